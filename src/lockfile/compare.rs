//! Comparing: what changed per environment, and entries edited by hand.

use super::*;
use crate::history::History;
use anyhow::Result;
use promptreg_core::error::fail;
use promptreg_core::name::PromptName;
use semver::Version;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

/// How an environment's pin of a prompt changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    Added,
    Removed,
    Upgraded,
    Downgraded,
    /// Any other change, e.g. to or from an A/B split.
    Changed,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Upgraded => "upgraded",
            ChangeKind::Downgraded => "downgraded",
            ChangeKind::Changed => "changed",
        }
    }
}

/// One prompt of one environment that the new lockfile pins differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub environment: String,
    pub name: String,
    pub kind: ChangeKind,
    pub from: Option<Pin>,
    pub to: Option<Pin>,
}

impl fmt::Display for Change {
    /// `support/triage 1.2.0 → 1.3.0`, `support/triage 1.2.0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.from, &self.to) {
            (Some(a), Some(b)) => write!(f, "{} {a} → {b}", self.name),
            (Some(p), None) | (None, Some(p)) => write!(f, "{} {p}", self.name),
            (None, None) => f.write_str(&self.name),
        }
    }
}

/// Per environment (sorted), then per prompt (sorted): what `new` pins
/// differently from `old`.
pub fn changes(old: &Lockfile, new: &Lockfile) -> Vec<Change> {
    let empty = BTreeMap::new();
    let envs: BTreeSet<&String> = old
        .environments
        .keys()
        .chain(new.environments.keys())
        .collect();
    let mut out = Vec::new();
    for env in envs {
        let before = old.environments.get(env).unwrap_or(&empty);
        let after = new.environments.get(env).unwrap_or(&empty);
        let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
        for name in names {
            let (from, to) = (before.get(name), after.get(name));
            let kind = match (from, to) {
                (None, Some(_)) => ChangeKind::Added,
                (Some(_), None) => ChangeKind::Removed,
                (Some(a), Some(b)) if a == b => continue,
                (Some(Pin::Version(a)), Some(Pin::Version(b))) => {
                    match (Version::parse(a), Version::parse(b)) {
                        (Ok(x), Ok(y)) if y > x => ChangeKind::Upgraded,
                        (Ok(x), Ok(y)) if y < x => ChangeKind::Downgraded,
                        _ => ChangeKind::Changed,
                    }
                }
                _ => ChangeKind::Changed,
            };
            out.push(Change {
                environment: env.clone(),
                name: name.clone(),
                kind,
                from: from.cloned(),
                to: to.cloned(),
            });
        }
    }
    out
}

/// A lockfile entry that disagrees with Git, or a pin with no entry: the
/// file was edited by hand (or its history was rewritten).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandEdit {
    /// `support/triage 1.2.0`, or `environment production`.
    pub subject: String,
    pub message: String,
}

impl fmt::Display for HandEdit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "edited by hand: {}: {}", self.subject, self.message)
    }
}

/// Entries of `old` whose fields differ from what Git says of the same
/// (name, version), versions that were never released, and structural
/// problems. A stale but honest lockfile has none.
pub fn hand_edits(old: &Lockfile, history: &History) -> Result<Vec<HandEdit>> {
    let mut out = Vec::new();
    let structural = old.problems();
    for (subject, message) in &structural {
        out.push(HandEdit {
            subject: subject.clone(),
            message: message.clone(),
        });
    }
    for e in &old.prompts {
        let (Ok(name), Ok(version)) = (PromptName::parse(&e.name), Version::parse(&e.version))
        else {
            continue;
        };
        let Some(release) = history.get(&name).and_then(|h| h.exact(&version)) else {
            out.push(HandEdit {
                subject: e.subject(),
                message: "this version was never released on the mainline".into(),
            });
            continue;
        };
        let want = entry_for(&name, release)?;
        for (field, have, git) in [
            ("path", &e.path, &want.path),
            ("commit", &e.commit, &want.commit),
            ("blob", &e.blob, &want.blob),
            ("sha256", &e.sha256, &want.sha256),
            ("reason", &e.reason, &want.reason),
            ("author", &e.author, &want.author),
            ("date", &e.date, &want.date),
        ] {
            if have != git {
                out.push(HandEdit {
                    subject: e.subject(),
                    message: format!("{field} is {have:?} in {FILE_NAME}, Git says {git:?}"),
                });
            }
        }
    }
    Ok(out)
}

/// Where the lockfile on disk stands against the one `lock` would write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Freshness {
    /// Byte for byte what `lock` writes (line endings aside).
    UpToDate,
    /// Differs: stale, edited, or unreadable.
    OutOfDate,
    Missing,
}

/// The lockfile on disk compared with a resolution.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub freshness: Freshness,
    pub changes: Vec<Change>,
    pub edited_by_hand: Vec<HandEdit>,
    /// Why the lockfile on disk could not be read, when it could not.
    pub unreadable: Option<String>,
}

/// The lockfile a command cannot do without: missing or unreadable is an
/// error saying how to fix it; `missing` says what a missing one means.
pub fn read_required(path: &Path, missing: &str) -> Result<Lockfile> {
    read_required_bytes(path, missing).map(|(_, lockfile)| lockfile)
}

/// [`read_required`], with the bytes the lockfile was parsed from.
pub fn read_required_bytes(path: &Path, missing: &str) -> Result<(Vec<u8>, Lockfile)> {
    match read(path)? {
        Existing::Valid { bytes, lockfile } => Ok((bytes, lockfile)),
        Existing::Missing => Err(fail(format!("{FILE_NAME} does not exist: {missing}"))
            .hint("run `promptreg lock` and commit the lockfile")
            .into()),
        Existing::Invalid { error, .. } => {
            Err(fail(format!("{FILE_NAME} cannot be read: {error}"))
                .hint("run `promptreg lock` to rewrite it; `promptreg verify` checks it")
                .into())
        }
    }
}

impl Comparison {
    /// The lockfile on disk is byte for byte what `lock` writes.
    pub fn up_to_date() -> Self {
        Comparison {
            freshness: Freshness::UpToDate,
            changes: Vec::new(),
            edited_by_hand: Vec::new(),
            unreadable: None,
        }
    }
}

/// Compares the lockfile on disk (`existing`) with `new` and its text.
pub fn compare(
    existing: &Existing,
    new: &Lockfile,
    new_text: &str,
    history: &History,
) -> Result<Comparison> {
    let empty = Lockfile {
        partials: Vec::new(),
        lockfile_version: FORMAT_VERSION,
        prompts: Vec::new(),
        environments: BTreeMap::new(),
    };
    Ok(match existing {
        Existing::Missing => Comparison {
            freshness: Freshness::Missing,
            changes: changes(&empty, new),
            edited_by_hand: Vec::new(),
            unreadable: None,
        },
        Existing::Invalid { error, .. } => Comparison {
            freshness: Freshness::OutOfDate,
            changes: changes(&empty, new),
            edited_by_hand: Vec::new(),
            unreadable: Some(error.clone()),
        },
        // Byte for byte what `lock` writes: nothing can disagree with Git.
        Existing::Valid { bytes, .. } if same_text(bytes, new_text.as_bytes()) => Comparison {
            freshness: Freshness::UpToDate,
            changes: Vec::new(),
            edited_by_hand: Vec::new(),
            unreadable: None,
        },
        Existing::Valid { lockfile, .. } => Comparison {
            freshness: Freshness::OutOfDate,
            changes: changes(lockfile, new),
            edited_by_hand: hand_edits(lockfile, history)?,
            unreadable: None,
        },
    })
}
