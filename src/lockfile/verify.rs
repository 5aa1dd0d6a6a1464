//! Verifying pinned bytes, against Git or an export directory, and
//! planning an export.

use super::*;
use crate::history::git::Repo;
use crate::history::{self, short};
use anyhow::{Context as _, Result};
use promptreg_core::digest::sha256_hex;
use promptreg_core::error::fail;
use promptreg_core::manifest::{Manifest, ManifestEntry, MANIFEST};
use promptreg_core::name::PromptName;
use semver::Version;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

/// What kind of mismatch `verify` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// The entry is malformed (name, version, id, path) or has no entry.
    InvalidEntry,
    /// Git has no blob with the pinned id.
    BlobMissing,
    /// The bytes stored under the blob id hash to another id.
    BlobMismatch,
    Sha256Mismatch,
    /// The blob's `version:` is not the pinned version.
    VersionMismatch,
    /// The release commit is not on the mainline, or does not hold the
    /// blob at the path.
    NotOnMainline,
    /// A file the manifest lists is missing from the directory.
    FileMissing,
    /// A path that would leave the directory.
    PathEscapes,
    /// A file in the directory that the manifest does not list.
    UnexpectedFile,
}

/// One mismatch between what is pinned and what is there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub kind: ProblemKind,
    /// `support/triage 1.2.0`, or a file.
    pub subject: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SECURITY: {}: {}", self.subject, self.message)
    }
}

/// The result of a verification: how many pinned files were checked, and
/// every problem found (none: all good).
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub checked: usize,
    pub problems: Vec<Problem>,
}

/// Checks every entry of `lock` against Git: the blob exists, its bytes
/// hash to the pinned blob id and sha256 and carry the pinned version, and
/// the release commit is on the mainline of `head` with the blob at `path`.
pub fn verify_git(
    lock: &Lockfile,
    repo: &Repo,
    head: Option<&str>,
    mainline: &str,
) -> Result<Verification> {
    let on_mainline: BTreeSet<String> = match head {
        Some(h) => repo.first_parent_ids(h)?.into_iter().collect(),
        None => BTreeSet::new(),
    };
    let mut problems: Vec<Problem> = lock
        .problems()
        .into_iter()
        .map(|(subject, message)| Problem {
            kind: ProblemKind::InvalidEntry,
            subject,
            message,
        })
        .collect();
    let malformed: BTreeSet<String> = problems.iter().map(|p| p.subject.clone()).collect();
    for e in &lock.prompts {
        let subject = e.subject();
        if malformed.contains(&subject) {
            continue;
        }
        let mut problem = |kind, message: String| {
            problems.push(Problem {
                kind,
                subject: subject.clone(),
                message,
            })
        };
        let Some(bytes) = repo.find_blob(&e.blob)? else {
            problem(
                ProblemKind::BlobMissing,
                format!("blob {} is not in the repository", e.blob),
            );
            continue;
        };
        let id = Repo::hash_blob(&bytes)?;
        if id != e.blob {
            problem(
                ProblemKind::BlobMismatch,
                format!(
                    "blob id mismatch, wanted {}, got {id} (the object database is corrupt)",
                    e.blob
                ),
            );
        }
        let sha = sha256_hex(&bytes);
        if sha != e.sha256 {
            problem(
                ProblemKind::Sha256Mismatch,
                format!("sha256 mismatch, wanted {}, got {sha}", e.sha256),
            );
        }
        let carried = history::version_of(&bytes);
        if carried.as_ref().map(Version::to_string).as_deref() != Some(e.version.as_str()) {
            problem(
                ProblemKind::VersionMismatch,
                format!(
                    "blob {} carries version {}, not {}",
                    short(&e.blob),
                    carried.map_or_else(|| "none".to_string(), |v| v.to_string()),
                    e.version
                ),
            );
        }
        if !on_mainline.contains(&e.commit) {
            problem(
                ProblemKind::NotOnMainline,
                format!(
                    "release commit {} is not on the mainline ({mainline})",
                    short(&e.commit)
                ),
            );
        } else {
            match repo.blob_id_at(&e.commit, &e.path)? {
                Some(b) if b == e.blob => {}
                Some(b) => problem(
                    ProblemKind::NotOnMainline,
                    format!(
                        "at release commit {}, {} is blob {}, not {}",
                        short(&e.commit),
                        e.path,
                        short(&b),
                        short(&e.blob)
                    ),
                ),
                None => problem(
                    ProblemKind::NotOnMainline,
                    format!("release commit {} has no file {}", short(&e.commit), e.path),
                ),
            }
        }
    }
    Ok(Verification {
        checked: lock.prompts.len(),
        problems,
    })
}

/// What `export` writes: files relative to the output directory (the
/// manifest last), and the manifest.
#[derive(Debug, Clone)]
pub struct ExportPlan {
    pub manifest: Manifest,
    pub files: Vec<(String, Vec<u8>)>,
}

/// Plans the export of `env`: every pinned file's bytes, read from Git and
/// checked against the lockfile's blob id and sha256, at
/// `<name>.prompt.yaml`. Refuses a name that is not a prompt name (its
/// path could leave the directory), a split pin, and tampered bytes.
pub fn export_plan(lock: &Lockfile, env: &str, repo: &Repo) -> Result<ExportPlan> {
    let pins = lock.environment(env)?;
    let mut manifest = Manifest {
        environment: env.to_string(),
        lockfile_version: FORMAT_VERSION,
        prompts: BTreeMap::new(),
    };
    let mut files = Vec::new();
    for (name, pin) in pins {
        let prompt = PromptName::parse(name).map_err(|e| {
            fail(format!(
                "refusing to export `{name}`: {e}; its file could land outside the output directory"
            ))
            .hint(format!(
                "{FILE_NAME} was edited by hand: run `promptreg lock` to rewrite it"
            ))
        })?;
        let path = prompt.file_name();
        if !is_relative_path(&path) {
            return Err(fail(format!(
                "refusing to export `{name}`: its path `{path}` would land outside the output directory"
            ))
            .into());
        }
        let Pin::Version(version) = pin else {
            return Err(fail(format!(
                "environment `{env}` splits {name} between versions ({pin}); exporting A/B splits is not supported yet"
            ))
            .hint("export an environment without splits")
            .into());
        };
        let entry = lock.entry(name, version).ok_or_else(|| {
            fail(format!(
                "environment `{env}` pins {name} {version} but {FILE_NAME} has no entry for it"
            ))
            .hint("run `promptreg lock` to rewrite the lockfile")
        })?;
        if !is_hex(&entry.blob, 40) {
            return Err(fail(format!(
                "{}: blob `{}` is not a Git blob id",
                entry.subject(),
                entry.blob
            ))
            .hint("run `promptreg lock` to rewrite the lockfile")
            .into());
        }
        let bytes = repo.find_blob(&entry.blob)?.ok_or_else(|| {
            fail(format!(
                "SECURITY: {}: blob {} is not in the repository; refusing to export",
                entry.subject(),
                entry.blob
            ))
            .hint("run `promptreg verify`; in a clone, fetch the full history")
        })?;
        let sha = sha256_hex(&bytes);
        if Repo::hash_blob(&bytes)? != entry.blob || sha != entry.sha256 {
            return Err(fail(format!(
                "SECURITY: {}: sha256 mismatch, wanted {}, got {sha}; refusing to export",
                entry.subject(),
                entry.sha256
            ))
            .hint("run `promptreg verify` for every mismatch")
            .into());
        }
        manifest.prompts.insert(
            name.clone(),
            ManifestEntry {
                version: version.clone(),
                sha256: sha,
                path: path.clone(),
            },
        );
        files.push((path, bytes));
    }
    files.push((
        MANIFEST.to_string(),
        crate::output::json(&manifest)?.into_bytes(),
    ));
    Ok(ExportPlan { manifest, files })
}

/// Checks a directory written by `export` against its `manifest.json`:
/// every listed file exists inside the directory with the listed sha256,
/// and nothing else is there. Needs no Git. `Err` when the directory or
/// its manifest cannot be read at all.
/// `shown` names the directory in messages (as the user wrote it).
pub fn verify_dir(dir: &Path, shown: &str) -> Result<Result<(Manifest, Verification), String>> {
    if !dir.is_dir() {
        return Err(fail(format!("{shown} is not a directory"))
            .hint("pass the directory written by `promptreg export --out DIR`")
            .into());
    }
    let manifest_path = dir.join(MANIFEST);
    let text = match std::fs::read_to_string(&manifest_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(fail(format!(
                "{shown} has no {MANIFEST}: it was not written by `promptreg export`"
            ))
            .hint("run `promptreg export --env ENV --out DIR` to write one")
            .into())
        }
        Err(e) => {
            return Ok(Err(format!("cannot read {shown}/{MANIFEST}: {e}")));
        }
    };
    let manifest: Manifest = match serde_json::from_str(&text) {
        Ok(m) => m,
        Err(e) => {
            return Ok(Err(format!(
                "{shown}/{MANIFEST} is not a valid manifest: {e}"
            )))
        }
    };
    if manifest.lockfile_version != FORMAT_VERSION {
        return Ok(Err(format!(
            "{shown}/{MANIFEST} has lockfile_version {}; this promptreg reads {FORMAT_VERSION}",
            manifest.lockfile_version
        )));
    }
    let root = dir
        .canonicalize()
        .with_context(|| format!("cannot open {shown}"))?;
    let mut problems = Vec::new();
    let mut listed = BTreeSet::new();
    for (name, entry) in &manifest.prompts {
        let subject = format!("{name} {}", entry.version);
        let mut problem = |kind, message: String| {
            problems.push(Problem {
                kind,
                subject: subject.clone(),
                message,
            })
        };
        if PromptName::parse(name).is_err() || !is_relative_path(&entry.path) {
            problem(
                ProblemKind::PathEscapes,
                format!(
                    "path `{}` is not a relative path inside {shown}",
                    entry.path
                ),
            );
            continue;
        }
        listed.insert(entry.path.clone());
        let path = root.join(&entry.path);
        // A link inside the directory may still point outside it.
        let bytes = match path.canonicalize() {
            Ok(real) if !real.starts_with(&root) => {
                problem(
                    ProblemKind::PathEscapes,
                    format!("{} leads outside {shown} (symbolic link)", entry.path),
                );
                continue;
            }
            Ok(real) => {
                std::fs::read(&real).with_context(|| format!("cannot read {}", real.display()))?
            }
            Err(_) => {
                problem(
                    ProblemKind::FileMissing,
                    format!("{} is missing", entry.path),
                );
                continue;
            }
        };
        let sha = sha256_hex(&bytes);
        if sha != entry.sha256 {
            problem(
                ProblemKind::Sha256Mismatch,
                format!(
                    "{}: sha256 mismatch, wanted {}, got {sha}",
                    entry.path, entry.sha256
                ),
            );
        }
    }
    for file in files_under(&root)? {
        if file != MANIFEST && !listed.contains(&file) {
            problems.push(Problem {
                kind: ProblemKind::UnexpectedFile,
                subject: file.clone(),
                message: format!("not listed in {MANIFEST}"),
            });
        }
    }
    let checked = manifest.prompts.len();
    Ok(Ok((manifest, Verification { checked, problems })))
}

/// Every file under `root` (not directories), relative, `/`-separated, sorted.
fn files_under(root: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?
        {
            let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = format!("{prefix}{name}");
            if entry.file_type()?.is_dir() {
                stack.push((entry.path(), format!("{relative}/")));
            } else {
                out.push(relative);
            }
        }
    }
    out.sort();
    Ok(out)
}
