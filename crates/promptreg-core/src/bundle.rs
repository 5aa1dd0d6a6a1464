//! Loading a bundle that `export` wrote: every file the manifest lists is
//! read, checked against its SHA-256 and parsed, or the bundle is refused
//! whole (docs/DESIGN.md §11). Nothing the manifest does not list is read.

use crate::config::is_environment_name;
use crate::digest::sha256_hex;
use crate::lockfile::{is_hex, Pin};
use crate::manifest::{file_path, BundleFile, Manifest, MANIFEST, MANIFEST_VERSION};
use crate::name::PromptName;
use crate::prompt::{self, Compiled, Prompt};
use crate::split;
use crate::yaml::MAX_FILE_BYTES;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Read as _;
use std::path::{Component, Path, PathBuf};

/// The largest manifest read: a bundle of a hundred thousand prompts.
pub const MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;

/// Why a bundle, or one of its files, cannot be served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// `manifest.json` is missing, unreadable or not a manifest.
    Manifest(String),
    /// The manifest is of a format this promptreg does not read.
    UnsupportedVersion {
        /// The `manifest_version` found.
        found: u64,
    },
    /// A listed path is not where the name and version put it, or it
    /// escapes the bundle (`..`, an absolute path, a symbolic link).
    UnsafePath {
        /// The path as listed.
        path: String,
        /// What is wrong with it.
        why: String,
    },
    /// A listed file is not in the bundle.
    Missing {
        /// The path as listed.
        path: String,
    },
    /// A listed file's bytes do not have the listed SHA-256.
    Mismatch {
        /// The path as listed.
        path: String,
        /// The SHA-256 the manifest lists.
        expected: String,
        /// The SHA-256 of the bytes found.
        found: String,
    },
    /// A listed file is not a valid prompt file, or carries another version.
    Invalid {
        /// The path as listed.
        path: String,
        /// Every problem found, one line each.
        why: String,
    },
    /// The manifest contradicts itself: a pin without a file, a file no pin
    /// uses, a split whose weights do not sum to 100, a bad name.
    Inconsistent(String),
}

impl Problem {
    /// The bundle-relative path the problem is about, when it is about one
    /// file.
    pub fn path(&self) -> Option<&str> {
        match self {
            Problem::UnsafePath { path, .. }
            | Problem::Missing { path }
            | Problem::Mismatch { path, .. }
            | Problem::Invalid { path, .. } => Some(path),
            _ => None,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Manifest(why) => write!(f, "{MANIFEST}: {why}"),
            Problem::UnsupportedVersion { found } => write!(
                f,
                "{MANIFEST}: manifest_version {found} is not supported: this promptreg reads version {MANIFEST_VERSION} (export the bundle again with this promptreg, or upgrade)"
            ),
            Problem::UnsafePath { path, why } => write!(f, "{path}: {why}"),
            Problem::Missing { path } => write!(f, "{path}: listed in {MANIFEST} but missing"),
            Problem::Mismatch {
                path,
                expected,
                found,
            } => write!(
                f,
                "{path}: sha256 mismatch: {MANIFEST} lists {expected}, the file has {found}"
            ),
            Problem::Invalid { path, why } => write!(f, "{path}: not a valid prompt file: {why}"),
            Problem::Inconsistent(why) => write!(f, "{MANIFEST}: {why}"),
        }
    }
}

/// A bundle whose every file was read, verified and parsed.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The directory it was loaded from.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// (name, version) → the parsed prompt and its file entry.
    pub files: BTreeMap<(String, String), Loaded>,
}

/// One verified file of a bundle, its templates parsed for rendering.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Its manifest entry.
    pub entry: BundleFile,
    /// The parsed prompt, compiled: `compiled.prompt` is the prompt.
    pub compiled: Compiled,
}

impl Bundle {
    /// What the bundle deploys of `name`, when it deploys it.
    pub fn pin(&self, name: &str) -> Option<&Pin> {
        self.manifest.prompts.get(name)
    }

    /// The verified file of `name` at `version`.
    pub fn file(&self, name: &str, version: &str) -> Option<&Loaded> {
        self.files.get(&(name.to_string(), version.to_string()))
    }

    /// The version `key` gets of `name` (its only version, or its split
    /// arm for that key, as `promptreg pick` assigns it), and that file.
    /// `None` when the bundle does not deploy `name`.
    pub fn select(&self, name: &str, key: Option<&str>) -> Option<Result<&Loaded, String>> {
        let pin = self.pin(name)?;
        let env = &self.manifest.environment;
        let version = match split::version_for(pin, name, env, key) {
            Ok(Some(v)) => v,
            Ok(None) => {
                return Some(Err(format!(
                    "{name} is an A/B split in `{env}` ({pin}): give the key (a user or session id) that picks the arm"
                )))
            }
            Err(e) => return Some(Err(e.to_string())),
        };
        Some(
            self.file(name, &version)
                .ok_or_else(|| format!("{name} {version} has no file in the bundle")),
        )
    }
}

/// Loads the bundle in `dir`: every problem found, or the whole bundle.
/// Files are read, hashed, parsed and compiled on every CPU the machine
/// has, up to eight.
pub fn load(dir: &Path) -> Result<Bundle, Vec<Problem>> {
    let manifest = read_manifest(dir).map_err(|p| vec![p])?;
    let mut problems = check_manifest(&manifest);
    // Partials first: every prompt file is compiled with the ones it
    // reaches (docs/DESIGN.md §16).
    let mut partials = BTreeMap::new();
    for entry in &manifest.partials {
        match check_partial(dir, entry) {
            Ok(p) => {
                partials.insert((entry.name.clone(), entry.version.clone()), p);
            }
            Err(p) => problems.push(p),
        }
    }
    let partials = &partials;
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, 8)
        .min(manifest.files.len().max(1));
    let chunk = manifest.files.len().div_ceil(workers).max(1);
    let results: Vec<Result<Loaded, Problem>> = std::thread::scope(|scope| {
        let handles: Vec<_> = manifest
            .files
            .chunks(chunk)
            .map(|entries| {
                scope.spawn(move || {
                    entries
                        .iter()
                        .map(|entry| load_compiled(dir, entry, partials))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(results) => results,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    let mut files = BTreeMap::new();
    for result in results {
        match result {
            Ok(loaded) => {
                files.insert(
                    (loaded.entry.name.clone(), loaded.entry.version.clone()),
                    loaded,
                );
            }
            Err(p) => problems.push(p),
        }
    }
    if problems.is_empty() {
        Ok(Bundle {
            dir: dir.to_path_buf(),
            manifest,
            files,
        })
    } else {
        Err(problems)
    }
}

fn load_compiled(
    dir: &Path,
    entry: &BundleFile,
    partials: &BTreeMap<(String, String), Prompt>,
) -> Result<Loaded, Problem> {
    let prompt = load_file(dir, entry)?;
    let invalid = |why: String| Problem::Invalid {
        path: entry.path.clone(),
        why,
    };
    let composition = compose_pinned(&entry.name, &prompt, &entry.partials, partials)
        .map_err(|e| invalid(e.to_string()))?;
    let compiled = composition
        .compile(&prompt)
        .map_err(|e| invalid(e.to_string()))?;
    Ok(Loaded {
        entry: entry.clone(),
        compiled,
    })
}

/// The composition of `prompt` (named `name`) with exactly the partial
/// versions `pins` names, from `partials`: every partial it reaches must be
/// pinned, and nothing else (docs/DESIGN.md §16).
pub fn compose_pinned(
    name: &str,
    prompt: &Prompt,
    pins: &BTreeMap<String, String>,
    partials: &BTreeMap<(String, String), Prompt>,
) -> Result<crate::compose::Composition, String> {
    let mut load = |n: &str, v: &str| {
        partials
            .get(&(n.to_string(), v.to_string()))
            .cloned()
            .ok_or_else(|| format!("partial {n} {v} is not in the bundle"))
    };
    let composition = crate::compose::compose(
        name,
        prompt,
        &mut crate::compose::Pinned {
            versions: pins,
            load: &mut load,
        },
        "in the bundle",
    )
    .map_err(|e| e.to_string())?;
    if &composition.versions() != pins {
        let listed: Vec<String> = pins.iter().map(|(n, v)| format!("{n}@{v}")).collect();
        return Err(format!(
            "it lists partials {} but reaches {}",
            if listed.is_empty() {
                "none".to_string()
            } else {
                listed.join(", ")
            },
            if composition.partials.is_empty() {
                "none".to_string()
            } else {
                composition.to_string()
            }
        ));
    }
    Ok(composition)
}

/// Reads, verifies and parses one partial file the manifest lists: a
/// listed file that is not a partial is refused.
pub fn check_partial(dir: &Path, entry: &BundleFile) -> Result<Prompt, Problem> {
    let prompt = load_file(dir, entry)?;
    if !prompt.file.partial {
        return Err(Problem::Invalid {
            path: entry.path.clone(),
            why: format!("{MANIFEST} lists it under `partials` but it is not a partial"),
        });
    }
    Ok(prompt)
}

/// Reads and parses `manifest.json`, refusing a format it does not know
/// before looking at anything else.
pub fn read_manifest(dir: &Path) -> Result<Manifest, Problem> {
    let path = dir.join(MANIFEST);
    let meta = std::fs::symlink_metadata(&path).map_err(|e| {
        Problem::Manifest(if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "missing in {}: is this a directory `promptreg export` wrote?",
                dir.display()
            )
        } else {
            format!("cannot read it: {e}")
        })
    })?;
    if !meta.is_file() {
        return Err(Problem::Manifest("is not a regular file".into()));
    }
    let bytes = read_at_most(&path, MAX_MANIFEST_BYTES)
        .map_err(|e| Problem::Manifest(format!("cannot read it: {e}")))?
        .ok_or_else(|| Problem::Manifest(format!("larger than {MAX_MANIFEST_BYTES} bytes")))?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| Problem::Manifest(format!("not JSON: {e}")))?;
    match value.get("manifest_version").and_then(serde_json::Value::as_u64) {
        Some(v) if v == u64::from(MANIFEST_VERSION) => {}
        Some(found) => return Err(Problem::UnsupportedVersion { found }),
        None => {
            return Err(Problem::Manifest(
                "has no manifest_version: it was written by an older promptreg; export the bundle again".into(),
            ))
        }
    }
    serde_json::from_value(value).map_err(|e| Problem::Manifest(format!("not a manifest: {e}")))
}

/// What is wrong with a manifest on its own, without reading files.
pub fn check_manifest(m: &Manifest) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut bad = |why: String| out.push(Problem::Inconsistent(why));
    if !is_environment_name(&m.environment) {
        bad(format!("`{}` is not an environment name", m.environment));
    }
    if !is_hex(&m.registry_commit, 40) && !is_hex(&m.registry_commit, 64) {
        bad(format!(
            "registry_commit `{}` is not a commit id",
            m.registry_commit
        ));
    }
    if !is_hex(&m.lockfile_sha256, 64) {
        bad(format!(
            "lockfile_sha256 `{}` is not a SHA-256",
            m.lockfile_sha256
        ));
    }
    let mut listed = BTreeSet::new();
    let mut partials = BTreeSet::new();
    for f in &m.partials {
        if semver::Version::parse(&f.version).is_err() {
            bad(format!(
                "{}: `{}` is not a SemVer version",
                f.name, f.version
            ));
        }
        if !partials.insert((f.name.as_str(), f.version.as_str())) {
            bad(format!("partial {} {} is listed twice", f.name, f.version));
        }
    }
    let mut reached = BTreeSet::new();
    for f in &m.files {
        for (name, version) in &f.partials {
            reached.insert((name.as_str(), version.as_str()));
            if !partials.contains(&(name.as_str(), version.as_str())) {
                bad(format!(
                    "{} {} reaches partial {name} {version}, which has no file",
                    f.name, f.version
                ));
            }
        }
    }
    for (name, version) in &partials {
        if listed.contains(&(*name, *version)) || m.file(name, version).is_some() {
            bad(format!(
                "{name} {version} is listed as a prompt and as a partial"
            ));
        }
        if !reached.contains(&(*name, *version)) {
            bad(format!(
                "partial {name} {version} has a file but no prompt reaches it"
            ));
        }
    }
    for f in &m.files {
        if semver::Version::parse(&f.version).is_err() {
            bad(format!(
                "{}: `{}` is not a SemVer version",
                f.name, f.version
            ));
        }
        if !listed.insert((f.name.as_str(), f.version.as_str())) {
            bad(format!("{} {} is listed twice", f.name, f.version));
        }
    }
    let mut used = BTreeSet::new();
    for (name, pin) in &m.prompts {
        if let Err(e) = PromptName::parse(name) {
            bad(format!("`{name}`: {e}"));
        }
        if let Pin::Split(s) = pin {
            if let Err(e) = split::ordered(&s.split) {
                bad(format!("{name}: {e}"));
            }
        }
        for version in pin.versions() {
            used.insert((name.as_str(), version));
            if !listed.contains(&(name.as_str(), version)) {
                bad(format!("{name} {version} is deployed but has no file"));
            }
        }
    }
    for (name, version) in &listed {
        if !used.contains(&(*name, *version)) {
            bad(format!("{name} {version} has a file but no pin deploys it"));
        }
    }
    out
}

/// Reads, verifies and parses one file the manifest lists, exactly as
/// [`load`] does: for a verifier that reports the problem of each file
/// (`promptreg verify --against`).
pub fn check_file(dir: &Path, entry: &BundleFile) -> Result<Prompt, Problem> {
    load_file(dir, entry)
}

/// Reads, verifies and parses one listed file.
fn load_file(dir: &Path, entry: &BundleFile) -> Result<Prompt, Problem> {
    let unsafe_path = |why: &str| Problem::UnsafePath {
        path: entry.path.clone(),
        why: why.to_string(),
    };
    let name = PromptName::parse(&entry.name).map_err(|e| unsafe_path(&e.to_string()))?;
    if entry.path != file_path(&name, &entry.version) {
        return Err(unsafe_path(&format!(
            "the file of {} {} must be at `{}`",
            entry.name,
            entry.version,
            file_path(&name, &entry.version)
        )));
    }
    let relative = Path::new(&entry.path);
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return Err(unsafe_path("is not a path inside the bundle"));
    }
    // No symbolic link on the way: a link could point out of the bundle.
    let mut at = dir.to_path_buf();
    for part in relative.components() {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(unsafe_path("is, or is inside, a symbolic link"))
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Problem::Missing {
                    path: entry.path.clone(),
                })
            }
            Err(e) => return Err(unsafe_path(&format!("cannot be read: {e}"))),
        }
    }
    if !std::fs::symlink_metadata(&at).is_ok_and(|m| m.is_file()) {
        return Err(unsafe_path("is not a regular file"));
    }
    let bytes = read_at_most(&at, MAX_FILE_BYTES as u64)
        .map_err(|e| unsafe_path(&format!("cannot be read: {e}")))?
        .ok_or_else(|| Problem::Invalid {
            path: entry.path.clone(),
            why: format!("larger than {MAX_FILE_BYTES} bytes"),
        })?;
    let found = sha256_hex(&bytes);
    if found != entry.sha256 {
        return Err(Problem::Mismatch {
            path: entry.path.clone(),
            expected: entry.sha256.clone(),
            found,
        });
    }
    let prompt = prompt::parse(&bytes).map_err(|findings| Problem::Invalid {
        path: entry.path.clone(),
        why: findings
            .iter()
            .filter(|f| f.level == crate::finding::Level::Error)
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
    })?;
    if prompt.version.to_string() != entry.version {
        return Err(Problem::Invalid {
            path: entry.path.clone(),
            why: format!(
                "it carries version {}, {MANIFEST} lists {}",
                prompt.version, entry.version
            ),
        });
    }
    Ok(prompt)
}

/// The bytes of `path`, or `None` when it holds more than `limit`.
fn read_at_most(path: &Path, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}
