//! A registry on disk: its root (where `promptreg.yaml` is), its config and
//! its prompt files in the working tree.

use crate::config::{self, Config};
use crate::error::fail;
use crate::finding::Finding;
use crate::name::{PromptName, SUFFIX};
use crate::yaml::MAX_FILE_BYTES;
use anyhow::{Context as _, Result};
use std::io::Read;
use std::path::{Path, PathBuf};

/// An opened registry with a valid config.
#[derive(Debug, Clone)]
pub struct Registry {
    /// The directory holding `promptreg.yaml` (canonicalized when found by
    /// `open`).
    pub root: PathBuf,
    /// Its `promptreg.yaml`, checked, with `prompts_dir` normalized.
    pub config: Config,
}

/// Prompt files found in the working tree, and files that could not be
/// prompts (bad names, links leaving the registry).
#[derive(Debug, Default)]
pub struct Scan {
    /// The names of the prompt files found, sorted.
    pub prompts: Vec<PromptName>,
    /// `prompt-name` errors for `*.prompt.yaml` files whose path is not a
    /// valid prompt name, each attributed to its file.
    pub problems: Vec<Finding>,
}

/// The nearest directory at or above `start` holding `promptreg.yaml`.
pub fn find_root(start: &Path) -> Result<PathBuf> {
    let start = start
        .canonicalize()
        .with_context(|| format!("cannot open directory {}", start.display()))?;
    for dir in start.ancestors() {
        if dir.join(config::FILE_NAME).is_file() {
            return Ok(dir.to_path_buf());
        }
    }
    Err(fail(format!(
        "not a promptreg registry: no {} in {} or any parent directory",
        config::FILE_NAME,
        start.display()
    ))
    .hint("run `promptreg init` to make this directory a registry, or pass `-C DIR`")
    .into())
}

/// Reads the config at `root`, returning its findings when invalid.
pub fn read_config(root: &Path) -> Result<std::result::Result<Config, Vec<Finding>>> {
    let path = root.join(config::FILE_NAME);
    let bytes = read_limited(&path)?;
    Ok(config::check(&bytes).map_err(|fs| {
        fs.into_iter()
            .map(|f| f.in_file(config::FILE_NAME))
            .collect()
    }))
}

impl Registry {
    /// Finds and opens the registry around `start`; an invalid config stops here.
    pub fn open(start: &Path) -> Result<Registry> {
        let root = find_root(start)?;
        match read_config(&root)? {
            Ok(config) => Ok(Registry { root, config }),
            Err(findings) => {
                let list: Vec<String> = findings.iter().map(|f| format!("  {f}")).collect();
                Err(fail(format!(
                    "{} is invalid:\n{}",
                    config::FILE_NAME,
                    list.join("\n")
                ))
                .hint(format!(
                    "fix {} (`promptreg validate` lists every problem)",
                    config::FILE_NAME
                ))
                .into())
            }
        }
    }

    /// The prompts directory on disk: `root` joined with the config's
    /// `prompts_dir`.
    pub fn prompts_dir(&self) -> PathBuf {
        self.root.join(&self.config.prompts_dir)
    }

    /// Path of a prompt file relative to the registry root, `/`-separated
    /// (the form Git and the lockfile use).
    pub fn relative_path(&self, name: &PromptName) -> String {
        let dir = self.config.prompts_dir.trim_end_matches('/');
        let dir = dir.strip_prefix("./").unwrap_or(dir);
        if dir.is_empty() || dir == "." {
            name.file_name()
        } else {
            format!("{dir}/{}", name.file_name())
        }
    }

    /// Where the prompt file of `name` is (or would be) on disk: `root`
    /// joined with its `relative_path`.
    pub fn path_of(&self, name: &PromptName) -> PathBuf {
        self.root.join(self.relative_path(name))
    }

    /// Every prompt file under the prompts directory, sorted by name.
    pub fn scan(&self) -> Result<Scan> {
        let mut scan = Scan::default();
        let dir = self.prompts_dir();
        if dir.is_dir() {
            self.walk(&dir, "", &mut scan)?;
        }
        scan.prompts.sort();
        Ok(scan)
    }

    fn walk(&self, dir: &Path, prefix: &str, scan: &mut Scan) -> Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read directory {}", dir.display()))?
            .collect::<std::io::Result<_>>()
            .with_context(|| format!("cannot read directory {}", dir.display()))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let file_name = entry.file_name();
            let Some(file_name) = file_name.to_str() else {
                // Never skipped silently: a prompt no command could name.
                let lossy = file_name.to_string_lossy();
                let is_dir = entry.file_type().is_ok_and(|k| k.is_dir());
                if is_dir || lossy.ends_with(SUFFIX) {
                    let shown = match self.config.prompts_dir.as_str() {
                        "" => format!("{prefix}{lossy}"),
                        dir => format!("{dir}/{prefix}{lossy}"),
                    };
                    scan.problems.push(
                        Finding::error(
                            "prompt-name",
                            None,
                            format!(
                                "the {} name is not UTF-8, so no prompt name can refer to it; rename it",
                                if is_dir { "directory" } else { "file" }
                            ),
                        )
                        .in_file(&shown),
                    );
                }
                continue;
            };
            let relative = format!("{prefix}{file_name}");
            let kind = entry.file_type()?;
            // `.git`, `.promptreg` and other hidden directories hold no
            // prompts (a name never starts with a dot).
            if kind.is_dir() && file_name.starts_with('.') {
                continue;
            }
            if kind.is_dir() {
                self.walk(&entry.path(), &format!("{relative}/"), scan)?;
            } else if relative.ends_with(SUFFIX) {
                let shown = match self.config.prompts_dir.as_str() {
                    "" => relative.clone(),
                    dir => format!("{dir}/{relative}"),
                };
                match PromptName::from_relative_path(&relative) {
                    Some(Ok(name)) => scan.prompts.push(name),
                    Some(Err(e)) => scan.problems.push(
                        Finding::error("prompt-name", None, format!("{e}; rename the file"))
                            .in_file(&shown),
                    ),
                    None => {}
                }
            }
        }
        Ok(())
    }

    /// The bytes of a prompt file in the working tree. Refuses a link that
    /// leads outside the registry and a file over the size limit.
    pub fn read_prompt(&self, name: &PromptName) -> Result<Vec<u8>> {
        let path = self.path_of(name);
        let meta = std::fs::symlink_metadata(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                anyhow::Error::from(
                    fail(format!(
                        "no prompt named `{name}` ({} does not exist)",
                        self.relative_path(name)
                    ))
                    .hint("`promptreg list` shows the prompts; `promptreg new NAME` creates one"),
                )
            } else {
                anyhow::Error::from(e).context(format!("cannot read {}", path.display()))
            }
        })?;
        // Resolve every link on the way (the file, a directory above it, the
        // prompts directory itself): what is read must be inside the registry.
        let target = path
            .canonicalize()
            .with_context(|| format!("{} is a broken symbolic link", self.relative_path(name)))?;
        if !target.starts_with(&self.root) {
            return Err(fail(format!(
                "{} is (or is under) a symbolic link to {}, outside the registry; refusing to read it",
                self.relative_path(name),
                target.display()
            ))
            .hint("replace the link with the file itself")
            .into());
        }
        if !meta.file_type().is_symlink() && !meta.is_file() || !target.is_file() {
            return Err(fail(format!(
                "{} is not a regular file",
                self.relative_path(name)
            ))
            .into());
        }
        read_limited(&path)
    }
}

/// Reads a file, refusing one over the size limit without reading it all.
pub fn read_limited(path: &Path) -> Result<Vec<u8>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(bytes)
}

impl Registry {
    /// A prompt of the working tree that must be valid.
    pub fn load_prompt(&self, name: &PromptName) -> Result<crate::prompt::Prompt> {
        let bytes = self.read_prompt(name)?;
        let file = self.relative_path(name);
        crate::prompt::parse(&bytes).map_err(|findings| invalid_prompt(&file, &findings))
    }
}

/// The error for a prompt that has to be valid and is not.
pub fn invalid_prompt(file: &str, findings: &[Finding]) -> anyhow::Error {
    let list: Vec<String> = findings
        .iter()
        .filter(|f| f.level == crate::finding::Level::Error)
        .map(|f| format!("  {}", f.clone().in_file(file)))
        .collect();
    fail(format!("{file} is invalid:\n{}", list.join("\n")))
        .hint("fix the file; `promptreg validate` lists every problem")
        .into()
}

/// The partials of `registry`'s working tree (docs/DESIGN.md §16): each
/// name offers the one version its file has. What `validate`, `render
/// NAME` and the Python runtime's `open_registry` compose prompts with.
pub fn working_tree_partials(
    registry: &Registry,
) -> crate::compose::Files<
    impl FnMut(&PromptName) -> std::result::Result<Option<Vec<u8>>, String> + '_,
> {
    crate::compose::Files::new(move |name: &PromptName| {
        if std::fs::symlink_metadata(registry.path_of(name)).is_err() {
            return Ok(None);
        }
        registry
            .read_prompt(name)
            .map(Some)
            .map_err(|e| format!("{e:#}"))
    })
}
