//! Verifying pinned bytes, against Git or a bundle written by `export`,
//! and planning an export (docs/DESIGN.md §8, §11).

use super::*;
use crate::history::git::Repo;
use crate::history::{self, short};
use anyhow::{Context as _, Result};
use promptreg_core::bundle;
use promptreg_core::digest::sha256_hex;
use promptreg_core::error::fail;
use promptreg_core::manifest::{file_path, BundleFile, Manifest, MANIFEST, MANIFEST_VERSION};
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
    /// A path that would leave the directory (`..`, a symbolic link), or
    /// that is not where the name and version put it.
    PathEscapes,
    /// A file in the directory that the manifest does not list.
    UnexpectedFile,
    /// A listed file is not a valid prompt file, or carries another
    /// version than the manifest lists.
    InvalidPrompt,
    /// The manifest contradicts itself: a pin without a file, a file no
    /// pin deploys, a split whose weights do not sum to 100, a bad name or id.
    InconsistentManifest,
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
    for e in lock.prompts.iter().chain(&lock.partials) {
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
    // Each prompt renders with exactly the partials it pins
    // (docs/DESIGN.md §16): what its bytes reach through the pinned bytes.
    let broken: BTreeSet<String> = problems.iter().map(|p| p.subject.clone()).collect();
    for e in &lock.prompts {
        if broken.contains(&e.subject()) {
            continue;
        }
        let Some(bytes) = repo.find_blob(&e.blob)? else {
            continue;
        };
        let Ok(prompt) = promptreg_core::prompt::parse(&bytes) else {
            continue;
        };
        if prompt.file.partials.is_empty() && e.partials.is_empty() {
            continue;
        }
        let mut load = crate::partials::pinned_loader(repo, lock);
        let composed = promptreg_core::compose::compose(
            &e.name,
            &prompt,
            &mut promptreg_core::compose::Pinned {
                versions: &e.partials,
                load: &mut load,
            },
            "in prompts.lock",
        );
        let why = match composed {
            Err(err) => Some(err.to_string()),
            Ok(c) if c.versions() != e.partials => Some(format!(
                "it pins partials {} but its bytes reach {}",
                listing(&e.partials),
                listing(&c.versions())
            )),
            Ok(_) => None,
        };
        if let Some(message) = why {
            problems.push(Problem {
                kind: ProblemKind::InvalidEntry,
                subject: e.subject(),
                message,
            });
        }
    }
    Ok(Verification {
        checked: lock.prompts.len() + lock.partials.len(),
        problems,
    })
}

fn listing(partials: &BTreeMap<String, String>) -> String {
    if partials.is_empty() {
        return "none".into();
    }
    partials
        .iter()
        .map(|(n, v)| format!("{n}@{v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What `export` writes: files relative to the output directory (the
/// manifest last), and the manifest.
#[derive(Debug, Clone)]
pub struct ExportPlan {
    pub manifest: Manifest,
    pub files: Vec<(String, Vec<u8>)>,
}

/// Where the pins of an export come from.
#[derive(Debug, Clone, Copy)]
pub struct ExportSource<'a> {
    /// The parsed lockfile.
    pub lock: &'a Lockfile,
    /// The lockfile's bytes as read (the manifest carries their sha256).
    pub lock_bytes: &'a [u8],
    /// The commit the mainline resolves to (the registry commit).
    pub registry_commit: &'a str,
    /// The mainline's history: an entry is exported only when it is the
    /// release it claims to be.
    pub history: &'a crate::history::History,
}

/// Plans the export of `env` as a bundle (docs/DESIGN.md §11): every
/// version the environment pins, each arm of an A/B split included, read
/// from Git and checked against the lockfile's blob id and sha256, at
/// `manifest::file_path(name, version)`, plus `manifest.json`. Refuses a
/// name that is not a prompt name or a version that is not SemVer (its
/// path could leave the directory), a split whose weights do not sum to
/// 100, tampered bytes, and anything that would make a manifest
/// `promptreg_core::bundle` refuses to load.
pub fn export_plan(source: ExportSource<'_>, env: &str, repo: &Repo) -> Result<ExportPlan> {
    let lock = source.lock;
    let pins = lock.environment(env)?;
    let rewrite = || format!("{FILE_NAME} was edited by hand: run `promptreg lock` to rewrite it");
    let mut prompts = BTreeMap::new();
    let mut files: Vec<(BundleFile, Vec<u8>)> = Vec::new();
    let mut partials: BTreeMap<(String, String), (BundleFile, Vec<u8>)> = BTreeMap::new();
    for (name, pin) in pins {
        let prompt = PromptName::parse(name).map_err(|e| {
            fail(format!(
                "refusing to export `{name}`: {e}; its file could land outside the output directory"
            ))
            .hint(rewrite())
        })?;
        let pin = match pin {
            Pin::Version(v) => Pin::Version(v.clone()),
            Pin::Split(s) => {
                let arms = promptreg_core::split::ordered(&s.split).map_err(|e| {
                    fail(format!(
                        "refusing to export `{env}`: {name} is split between versions ({pin}): {e}"
                    ))
                    .hint(rewrite())
                })?;
                let arms: Vec<SplitArm> = arms.into_iter().cloned().collect();
                if let Some(twice) = arms
                    .windows(2)
                    .find(|w| w[0].version == w[1].version)
                    .map(|w| w[0].version.clone())
                {
                    return Err(fail(format!(
                        "refusing to export `{env}`: the split of {name} has two arms of version {twice}"
                    ))
                    .hint(rewrite())
                    .into());
                }
                Pin::Split(SplitPin { split: arms })
            }
        };
        for version in pin.versions() {
            if Version::parse(version).is_err() {
                return Err(fail(format!(
                    "refusing to export {name} `{version}`: it is not a SemVer version; its file could land outside the output directory"
                ))
                .hint(rewrite())
                .into());
            }
            let entry = lock.entry(name, version).ok_or_else(|| {
                fail(format!(
                    "environment `{env}` pins {name} {version} but {FILE_NAME} has no entry for it"
                ))
                .hint("run `promptreg lock` to rewrite the lockfile")
            })?;
            released_as_pinned(source.history, &prompt, entry)?;
            let (file, bytes) = bundle_file(entry, &prompt, repo)?;
            files.push((file, bytes));
            for (partial, version) in &entry.partials {
                if partials.contains_key(&(partial.clone(), version.clone())) {
                    continue;
                }
                let partial_name = PromptName::parse(partial).map_err(|e| {
                    fail(format!("refusing to export partial `{partial}`: {e}")).hint(rewrite())
                })?;
                if Version::parse(version).is_err() {
                    return Err(fail(format!(
                        "refusing to export partial {partial} `{version}`: it is not a SemVer version"
                    ))
                    .hint(rewrite())
                    .into());
                }
                let partial_entry = lock.partial_entry(partial, version).ok_or_else(|| {
                    fail(format!(
                        "{name} {version_of} reaches partial {partial} {version}, but {FILE_NAME} has no entry for it under `partials:`",
                        version_of = entry.version
                    ))
                    .hint("run `promptreg lock` to rewrite the lockfile")
                })?;
                released_as_pinned(source.history, &partial_name, partial_entry)?;
                let found = bundle_file(partial_entry, &partial_name, repo)?;
                partials.insert((partial.clone(), version.clone()), found);
            }
        }
        prompts.insert(name.clone(), pin);
    }
    files.sort_by(|(a, _), (b, _)| {
        a.name
            .cmp(&b.name)
            .then_with(|| version_order(&a.version, &b.version))
    });
    let mut partials: Vec<(BundleFile, Vec<u8>)> = partials.into_values().collect();
    partials.sort_by(|(a, _), (b, _)| {
        a.name
            .cmp(&b.name)
            .then_with(|| version_order(&a.version, &b.version))
    });
    let manifest = Manifest {
        partials: partials.iter().map(|(f, _)| f.clone()).collect(),
        manifest_version: MANIFEST_VERSION,
        environment: env.to_string(),
        registry_commit: source.registry_commit.to_string(),
        lockfile_sha256: sha256_hex(source.lock_bytes),
        prompts,
        files: files.iter().map(|(f, _)| f.clone()).collect(),
    };
    // What an application would refuse is never written.
    let problems = bundle::check_manifest(&manifest);
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(fail(format!(
            "refusing to export `{env}`: the bundle would not load: {}",
            list.join("; ")
        ))
        .hint(rewrite())
        .into());
    }
    let mut out: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .chain(partials)
        .map(|(f, bytes)| (f.path, bytes))
        .collect();
    out.push((
        MANIFEST.to_string(),
        crate::output::json(&manifest)?.into_bytes(),
    ));
    Ok(ExportPlan {
        manifest,
        files: out,
    })
}

/// Refuses an entry that is not what the history released: exports trust
/// only history, never the lockfile alone (an unreleased side-branch
/// blob, an older version's bytes under a newer label, another file at the
/// entry's path).
fn released_as_pinned(
    history: &crate::history::History,
    prompt: &PromptName,
    entry: &LockEntry,
) -> Result<()> {
    let released = Version::parse(&entry.version)
        .ok()
        .and_then(|v| history.get(prompt).and_then(|h| h.exact(&v)).cloned());
    let why = match &released {
        None => format!(
            "{} {} is not a released version on the mainline",
            entry.name, entry.version
        ),
        Some(r) if r.blob != entry.blob => format!(
            "its release is blob {}, not the pinned {}",
            short(&r.blob),
            short(&entry.blob)
        ),
        Some(r) if r.path != entry.path => {
            format!(
                "it was released at {}, not at the pinned {}",
                r.path, entry.path
            )
        }
        Some(r) if r.commit.id != entry.commit => format!(
            "it was released by commit {}, not the pinned {}",
            short(&r.commit.id),
            short(&entry.commit)
        ),
        Some(_) => return Ok(()),
    };
    Err(fail(format!(
        "SECURITY: {}: {why}; refusing to export",
        entry.subject()
    ))
    .hint("run `promptreg verify`; `promptreg lock` rewrites the lockfile from history")
    .into())
}

/// The bundle file of one lock entry, with its bytes read from Git and
/// checked against the entry's blob id and sha256.
fn bundle_file(
    entry: &LockEntry,
    prompt: &PromptName,
    repo: &Repo,
) -> Result<(BundleFile, Vec<u8>)> {
    for (field, value) in [("blob", &entry.blob), ("commit", &entry.commit)] {
        if !is_hex(value, 40) {
            return Err(fail(format!(
                "{}: {field} `{value}` is not a Git object id",
                entry.subject(),
            ))
            .hint("run `promptreg lock` to rewrite the lockfile")
            .into());
        }
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
    let file = BundleFile {
        name: entry.name.clone(),
        version: entry.version.clone(),
        path: file_path(prompt, &entry.version),
        sha256: sha,
        blob: entry.blob.clone(),
        commit: entry.commit.clone(),
        author: entry.author.clone(),
        date: entry.date.clone(),
        reason: entry.reason.clone(),
        partials: entry.partials.clone(),
    };
    Ok((file, bytes))
}

/// Checks a bundle written by `export` against its `manifest.json`, with
/// `promptreg_core::bundle`: the manifest is of the format this promptreg
/// reads and agrees with itself, every listed file is inside the directory
/// at its place, has the listed sha256 and is a valid prompt file of the
/// listed version, and no file the manifest does not list is there. Needs
/// no Git. `Ok(Err(why))` when the manifest cannot be read as one (a
/// finding: it may have been tampered with); `Err` when there is nothing
/// to verify (not a directory, no manifest).
/// `shown` names the directory in messages (as the user wrote it).
pub fn verify_dir(dir: &Path, shown: &str) -> Result<Result<(Manifest, Verification), String>> {
    if !dir.is_dir() {
        return Err(fail(format!("{shown} is not a directory"))
            .hint("pass the directory written by `promptreg export --out DIR`")
            .into());
    }
    if let Err(e) = std::fs::symlink_metadata(dir.join(MANIFEST)) {
        if e.kind() == std::io::ErrorKind::NotFound {
            return Err(fail(format!(
                "{shown} has no {MANIFEST}: it was not written by `promptreg export`"
            ))
            .hint("run `promptreg export --env ENV --out DIR` to write one")
            .into());
        }
    }
    let manifest = match bundle::read_manifest(dir) {
        Ok(m) => m,
        Err(bundle::Problem::Manifest(why)) => {
            return Ok(Err(format!(
                "{shown}/{MANIFEST} is not a valid manifest: {why}"
            )))
        }
        Err(other) => return Ok(Err(format!("{shown}/{other}"))),
    };
    let mut problems: Vec<Problem> = bundle::check_manifest(&manifest)
        .into_iter()
        .map(|p| Problem {
            kind: ProblemKind::InconsistentManifest,
            subject: MANIFEST.to_string(),
            message: match p {
                bundle::Problem::Inconsistent(why) => why,
                other => other.to_string(),
            },
        })
        .collect();
    let mut listed = BTreeSet::new();
    let mut partials = BTreeMap::new();
    let partial_entries = manifest.partials.iter().map(|e| (e, true));
    for (entry, is_partial) in partial_entries.chain(manifest.files.iter().map(|e| (e, false))) {
        let canonical = PromptName::parse(&entry.name)
            .is_ok_and(|name| file_path(&name, &entry.version) == entry.path);
        if canonical {
            listed.insert(entry.path.clone());
        }
        let checked = if is_partial {
            bundle::check_partial(dir, entry).map(|p| {
                partials.insert((entry.name.clone(), entry.version.clone()), p);
            })
        } else {
            // A prompt renders with exactly the partials it lists.
            bundle::check_file(dir, entry).and_then(|prompt| {
                bundle::compose_pinned(&entry.name, &prompt, &entry.partials, &partials)
                    .map(|_| ())
                    .map_err(|why| bundle::Problem::Invalid {
                        path: entry.path.clone(),
                        why,
                    })
            })
        };
        if let Err(p) = checked {
            let kind = match &p {
                bundle::Problem::UnsafePath { .. } => ProblemKind::PathEscapes,
                bundle::Problem::Missing { .. } => ProblemKind::FileMissing,
                bundle::Problem::Mismatch { .. } => ProblemKind::Sha256Mismatch,
                bundle::Problem::Invalid { .. } => ProblemKind::InvalidPrompt,
                bundle::Problem::Manifest(_)
                | bundle::Problem::UnsupportedVersion { .. }
                | bundle::Problem::Inconsistent(_) => ProblemKind::InconsistentManifest,
            };
            problems.push(Problem {
                kind,
                subject: format!("{} {}", entry.name, entry.version),
                message: p.to_string(),
            });
        }
    }
    for file in files_under(dir)? {
        if file != MANIFEST && !listed.contains(&file) {
            problems.push(Problem {
                kind: ProblemKind::UnexpectedFile,
                subject: file.clone(),
                message: format!("not listed in {MANIFEST}"),
            });
        }
    }
    let checked = manifest.files.len() + manifest.partials.len();
    Ok(Ok((manifest, Verification { checked, problems })))
}

/// Every file under `root` (not directories; a symbolic link counts as a
/// file and is not followed), relative, `/`-separated, sorted.
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
            let kind = entry
                .file_type()
                .with_context(|| format!("cannot read {}", entry.path().display()))?;
            if kind.is_dir() {
                stack.push((entry.path(), format!("{relative}/")));
            } else {
                out.push(relative);
            }
        }
    }
    out.sort();
    Ok(out)
}
