//! The walk's state: what one pass over the mainline has found so far,
//! what the cache stores, and how new mainline commits extend it
//! (docs/DESIGN.md §3, §4).

use super::model::{History, PromptHistory, ReleasedVersion, Violation, ViolationKind};
use crate::history::blob_facts::{Facts, StateEntry};
use crate::history::git::{short, BlobId, CommitId, CommitInfo, Repo};
use anyhow::Result;
use promptreg_core::name::PromptName;
use promptreg_core::prompt::ChangelogEntry;
use semver::Version;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Progress of a history walk, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    /// Mainline commits read so far (total unknown yet).
    Walking(usize),
    /// Changed files read: done of total.
    Reading(usize, usize),
}

/// The walk's state after some mainline commits: what the cache stores and
/// what new commits extend.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct WalkState {
    /// The newest mainline commit applied.
    pub(crate) head: Option<CommitId>,
    /// How many mainline commits were applied.
    pub(crate) commits: usize,
    pub(crate) prompts: BTreeMap<String, StatePrompt>,
    pub(crate) violations: Vec<StateViolation>,
    /// Per prompt: the blob and version of its file at the last commit.
    pub(crate) current: BTreeMap<String, (BlobId, String)>,
}

#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub(crate) struct StatePrompt {
    present: bool,
    versions: Vec<StateRelease>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
struct StateRelease {
    version: String,
    commit: StateCommit,
    blob: BlobId,
    sha256: String,
    path: String,
    entry: Option<StateEntry>,
    position: usize,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
struct StateCommit {
    id: CommitId,
    name: String,
    email: String,
    time: i64,
    summary: String,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub(crate) struct StateViolation {
    kind: ViolationKind,
    name: String,
    version: Option<String>,
    commit: CommitId,
    message: String,
}

impl WalkState {
    /// The newest mainline commit applied.
    pub fn head(&self) -> Option<&str> {
        self.head.as_deref()
    }

    /// Applies mainline commits (given newest first) on top of the state.
    pub(super) fn apply(
        &mut self,
        repo: &Repo,
        prompts_dir: &str,
        mainline: &[crate::history::git::MainlineCommit],
        facts: &mut Facts,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<()> {
        let dir = prompts_dir.trim_end_matches('/');
        let dir_prefix = if dir.is_empty() || dir == "." {
            String::new()
        } else {
            format!("{dir}/")
        };
        // Per prompt: released version text → index in `versions`.
        let mut released_index: HashMap<String, HashMap<String, usize>> = HashMap::new();
        for (n, step) in mainline.iter().rev().enumerate() {
            if n % 256 == 0 {
                let (done, total) = facts.progress();
                progress(Progress::Reading(done, total));
            }
            let position = self.commits;
            // A run of commits without changes counts as all of them.
            self.commits += step.commits;
            for change in &step.changes {
                let Some(Ok(name)) = PromptName::from_relative_path(&change.path) else {
                    continue;
                };
                let key = name.to_string();
                let entry = self.prompts.entry(key.clone()).or_default();
                let Some(blob) = &change.blob else {
                    entry.present = false;
                    continue;
                };
                entry.present = true;
                // Each blob is read once (here or by the helper), for all
                // of this, and its facts move into the release.
                let blob_facts = facts.take(repo, blob)?;
                let version = blob_facts
                    .version
                    .as_deref()
                    .and_then(|v| Version::parse(v).ok());
                let commit = &step.commit;
                let violation = |kind, version: Option<&Version>, message: String| StateViolation {
                    kind,
                    name: key.clone(),
                    version: version.map(ToString::to_string),
                    commit: commit.id.clone(),
                    message,
                };
                let Some(version) = version else {
                    self.violations.push(violation(
                        ViolationKind::Unreadable,
                        None,
                        "the file has no readable SemVer `version`".into(),
                    ));
                    continue;
                };
                // Released means valid: a file that does not pass validation
                // releases nothing, and the prompt's state stays as it was.
                if let Some(problem) = &blob_facts.unusable {
                    self.violations.push(violation(
                        ViolationKind::Invalid,
                        Some(&version),
                        format!("{version} is not released here: {problem}"),
                    ));
                    continue;
                }
                let previous: Option<Version> = self
                    .current
                    .get(&key)
                    .and_then(|(_, v)| Version::parse(v).ok());
                // Versions are stored in their canonical text form: compare
                // that through an index rather than parsing every release.
                let version_text = version.to_string();
                let index = released_index.entry(key.clone()).or_insert_with(|| {
                    entry
                        .versions
                        .iter()
                        .enumerate()
                        .map(|(i, r)| (r.version.clone(), i))
                        .collect()
                });
                let known = index.get(&version_text).map(|&i| &entry.versions[i]);
                match known {
                    Some(released) if &released.blob != blob => {
                        if previous.as_ref() == Some(&version) {
                            self.violations.push(violation(
                                ViolationKind::ChangedWithoutBump,
                                Some(&version),
                                format!("content changed but the version stayed {version}"),
                            ));
                        } else {
                            let message = format!(
                                "version {version} was released in {} with other bytes",
                                short(&released.commit.id)
                            );
                            self.violations.push(violation(
                                ViolationKind::VersionReused,
                                Some(&version),
                                message,
                            ));
                        }
                    }
                    Some(_) => {}
                    None => {
                        index.insert(version_text.clone(), entry.versions.len());
                        entry.versions.push(StateRelease {
                            version: version_text.clone(),
                            commit: StateCommit {
                                id: commit.id.clone(),
                                name: commit.author.name.clone(),
                                email: commit.author.email.clone(),
                                time: commit.time,
                                summary: commit.summary.clone(),
                            },
                            blob: blob.clone(),
                            sha256: blob_facts.sha256,
                            path: format!("{dir_prefix}{}", change.path),
                            entry: blob_facts.entry,
                            position,
                        });
                    }
                }
                if let Some(before) = &previous {
                    if &version < before {
                        self.violations.push(violation(
                            ViolationKind::VersionBackwards,
                            Some(&version),
                            format!("version went backwards from {before} to {version}"),
                        ));
                    }
                }
                self.current.insert(key, (blob.clone(), version_text));
            }
        }
        Ok(())
    }

    /// The public view: versions parsed and sorted, names validated.
    pub(super) fn into_history(self) -> Result<History> {
        let mut history = History {
            head: self.head,
            ..History::default()
        };
        for (name, prompt) in self.prompts {
            let Ok(name) = PromptName::parse(&name) else {
                continue;
            };
            let mut versions = Vec::with_capacity(prompt.versions.len());
            for r in prompt.versions {
                versions.push(ReleasedVersion {
                    version: Version::parse(&r.version)?,
                    commit: CommitInfo {
                        id: r.commit.id,
                        author: crate::history::git::Identity {
                            name: r.commit.name,
                            email: r.commit.email,
                        },
                        time: r.commit.time,
                        summary: r.commit.summary,
                    },
                    blob: r.blob,
                    sha256: r.sha256,
                    path: r.path,
                    entry: r.entry.map(|e| ChangelogEntry {
                        version: e.version,
                        date: e.date,
                        author: e.author,
                        reason: e.reason,
                    }),
                    mainline_position: r.position,
                });
            }
            versions.sort_by(|a, b| a.version.cmp(&b.version));
            history.prompts.insert(
                name,
                PromptHistory {
                    versions,
                    present: prompt.present,
                },
            );
        }
        for v in self.violations {
            let Ok(name) = PromptName::parse(&v.name) else {
                continue;
            };
            history.violations.push(Violation {
                kind: v.kind,
                name,
                version: v.version,
                commit: v.commit,
                message: v.message,
            });
        }
        Ok(history)
    }
}
