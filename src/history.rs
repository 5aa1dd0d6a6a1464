//! Released versions, computed in one pass over the mainline (the first-parent
//! history of the registry's ref). DESIGN.md section 3.

use crate::blob_facts::Facts;
use crate::git::{BlobId, CommitId, CommitInfo, Repo};
use crate::name::{PromptName, SUFFIX};
use crate::prompt::ChangelogEntry;
use anyhow::Result;
use semver::{Version, VersionReq};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// A version of a prompt carried by the mainline.
#[derive(Debug, Clone, Serialize)]
pub struct ReleasedVersion {
    #[serde(serialize_with = "crate::history::as_string")]
    pub version: Version,
    /// The oldest mainline commit whose file carries this version.
    #[serde(serialize_with = "serialize_commit")]
    pub commit: CommitInfo,
    pub blob: BlobId,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
    /// Path relative to the registry root.
    pub path: String,
    /// What the file's changelog says of this version.
    pub entry: Option<ChangelogEntry>,
    /// Position of the release commit on the mainline, 0 for the oldest.
    #[serde(skip)]
    pub mainline_position: usize,
}

/// Everything the mainline says about one prompt.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PromptHistory {
    /// Released versions, lowest first.
    pub versions: Vec<ReleasedVersion>,
    /// False when the newest mainline commit no longer has the file.
    pub present: bool,
}

/// What kind of rule a mainline commit broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ViolationKind {
    /// The file's bytes changed but its version did not.
    ChangedWithoutBump,
    /// The file carries a version it carried before, with other bytes.
    VersionReused,
    /// The version is lower than the one before it.
    VersionBackwards,
    /// The file has no readable version at that commit.
    Unreadable,
}

/// A mainline commit that broke the immutability of released versions.
#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    pub kind: ViolationKind,
    pub name: PromptName,
    pub version: Option<String>,
    pub commit: CommitId,
    pub message: String,
}

/// The registry's history: every released version of every prompt.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// The mainline commit the history was read from (`None`: no commits).
    pub head: Option<CommitId>,
    pub prompts: BTreeMap<PromptName, PromptHistory>,
    /// Oldest first.
    pub violations: Vec<Violation>,
}

fn as_string<S: serde::Serializer>(v: &Version, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

fn serialize_commit<S: serde::Serializer>(c: &CommitInfo, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut st = s.serialize_struct("Commit", 4)?;
    st.serialize_field("id", &c.id)?;
    st.serialize_field("author", &c.author.to_string())?;
    st.serialize_field("time", &crate::history::rfc3339(c.time))?;
    st.serialize_field("summary", &c.summary)?;
    st.end()
}

/// Seconds since the epoch as `2026-11-20T10:04:00Z`.
pub fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

pub use crate::fast_read::{changelog_entry, version_of};

impl PromptHistory {
    pub fn exact(&self, version: &Version) -> Option<&ReleasedVersion> {
        self.versions.iter().find(|r| &r.version == version)
    }

    /// The highest released version; pre-releases only when `pre`.
    pub fn latest(&self, pre: bool) -> Option<&ReleasedVersion> {
        self.versions
            .iter()
            .rev()
            .find(|r| pre || r.version.pre.is_empty())
    }

    /// The highest released version matching `req` (pre-releases only when
    /// the requirement names one, as Cargo does).
    pub fn matching(&self, req: &VersionReq) -> Option<&ReleasedVersion> {
        self.versions.iter().rev().find(|r| req.matches(&r.version))
    }

    /// "1.0.0, 1.1.0, 2.0.0" or "none".
    pub fn listing(&self) -> String {
        if self.versions.is_empty() {
            return "none".into();
        }
        self.versions
            .iter()
            .map(|r| r.version.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl History {
    pub fn get(&self, name: &PromptName) -> Option<&PromptHistory> {
        self.prompts.get(name)
    }

    pub fn violations_of<'a>(
        &'a self,
        name: &'a PromptName,
    ) -> impl Iterator<Item = &'a Violation> + 'a {
        self.violations.iter().filter(move |v| &v.name == name)
    }
}

/// Where and whether to keep the history cache.
#[derive(Debug, Clone, Default)]
pub struct CacheOptions {
    /// The cache file; `None` disables the cache (`--no-cache`).
    pub path: Option<std::path::PathBuf>,
    /// When the caller needs one prompt only: a warm cache then decodes
    /// just that prompt's history.
    pub only: Option<String>,
}

/// Progress of a history walk, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    /// Mainline commits read so far (total unknown yet).
    Walking(usize),
    /// Changed files read: done of total.
    Reading(usize, usize),
}

/// Reads the history of the prompts under `prompts_dir` along the
/// first-parent history of `head`, in one pass. With a cache, only the
/// commits added since the cached head are walked; a cache from a rewritten
/// history (force-push, rebase), another promptreg version or a damaged file
/// is ignored and rebuilt.
pub fn compute(
    repo: &Repo,
    head: Option<&str>,
    prompts_dir: &str,
    cache: &CacheOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<History> {
    let Some(head) = head else {
        return Ok(History::default());
    };
    let key = crate::history_cache::Key {
        prompts_dir: repo.repo_path(prompts_dir),
    };
    if let (Some(path), Some(only)) = (cache.path.as_deref(), cache.only.as_deref()) {
        if let Some(state) = crate::history_cache::load(path, &key, Some(only)) {
            if state.head.as_deref() == Some(head) {
                return state.into_history();
            }
        }
    }
    let cached = cache
        .path
        .as_deref()
        .and_then(|p| crate::history_cache::load(p, &key, None));
    let mut state = match cached {
        Some(state) if state.head.as_deref() == Some(head) => return state.into_history(),
        Some(state) => state,
        None => WalkState::default(),
    };
    // Blobs are read while the walk finds them (see blob_facts).
    let mut blobs = crate::blob_facts::BlobReader::new(repo);
    let (mainline, met) = repo.first_parent_changes(
        head,
        prompts_dir,
        SUFFIX,
        state.head.as_deref(),
        &mut |n| progress(Progress::Walking(n)),
        &mut |blob| blobs.want(blob),
    )?;
    let mut facts = blobs.into_facts();
    if !met && state.head.is_some() {
        // The cached head is not on the mainline any more: history was
        // rewritten. What was just walked is the whole mainline.
        state = WalkState::default();
    }
    state.apply(repo, prompts_dir, &mainline, &mut facts, progress)?;
    // Ends the helper, if it still runs.
    drop(facts);
    state.head = Some(head.to_string());
    if let Some(path) = cache.path.as_deref() {
        // A cache that cannot be written (read-only repository) only costs
        // speed next time.
        let _ = crate::history_cache::store(path, &key, &state);
    }
    state.into_history()
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

/// A changelog entry as the cache and the blob reader keep it (plain
/// strings: the cache's encoding is not self-describing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StateEntry {
    version: String,
    date: String,
    author: String,
    reason: String,
}

impl From<ChangelogEntry> for StateEntry {
    fn from(e: ChangelogEntry) -> StateEntry {
        StateEntry {
            version: e.version,
            date: e.date,
            author: e.author,
            reason: e.reason,
        }
    }
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
    fn apply(
        &mut self,
        repo: &Repo,
        prompts_dir: &str,
        mainline: &[crate::git::MainlineCommit],
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
            self.commits += 1;
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
    fn into_history(self) -> Result<History> {
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
                        author: crate::git::Identity {
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

/// The first 7 hex digits of an id, as Git shows them.
pub fn short(id: &str) -> &str {
    &id[..id.len().min(7)]
}
