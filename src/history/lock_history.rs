//! The mainline history of `prompts.lock`: which versions each environment
//! pinned, since when, and by whose commit. `rollback` finds the pin before
//! the current one here; `blame --at` the pins in force at a moment.
//! Never prints.

use crate::history::git::{BlobId, CommitInfo, Repo};
use crate::lockfile::{self, Lockfile, Pin};
use anyhow::Result;
use promptreg_core::date::rfc3339;
use serde::Serialize;
use std::collections::HashMap;

/// A mainline commit that added, changed or deleted `prompts.lock`.
#[derive(Debug, Clone)]
pub struct LockRevision {
    pub commit: CommitInfo,
    /// Committer time, seconds since the epoch.
    pub committed: i64,
    /// Position on the mainline: 0 for its newest commit.
    pub position: usize,
    /// The lockfile the commit holds: `None` when it deletes it, `Err` when
    /// it does not parse.
    pub lockfile: Option<Result<Lockfile, String>>,
}

impl LockRevision {
    /// What this revision's lockfile pins for `name` in `env`.
    pub fn pin(&self, env: &str, name: &str) -> Option<&Pin> {
        match &self.lockfile {
            Some(Ok(lock)) => lock.environments.get(env)?.get(name),
            _ => None,
        }
    }
}

/// The history of `prompts.lock` along the mainline.
#[derive(Debug, Clone, Default)]
pub struct LockHistory {
    /// Every mainline commit, newest first, with its committer time.
    mainline: Vec<(CommitInfo, i64)>,
    /// The commits that changed the lockfile, newest first.
    pub revisions: Vec<LockRevision>,
}

/// Reads the history of `prompts.lock` along the first-parent history of
/// `head` (`None`: a repository without commits).
pub fn read(repo: &Repo, head: Option<&str>) -> Result<LockHistory> {
    let Some(head) = head else {
        return Ok(LockHistory::default());
    };
    let commits = repo.mainline_file_blobs(head, lockfile::FILE_NAME)?;
    let mut parsed: HashMap<BlobId, Result<Lockfile, String>> = HashMap::new();
    let mut revisions = Vec::new();
    for (position, (commit, committed, blob)) in commits.iter().enumerate() {
        let parent_blob = commits.get(position + 1).and_then(|(_, _, b)| b.as_ref());
        if blob.as_ref() == parent_blob {
            continue;
        }
        let lockfile = match blob {
            Some(id) => {
                if !parsed.contains_key(id) {
                    let bytes = repo.read_blob(id)?;
                    parsed.insert(id.clone(), lockfile::parse(&bytes));
                }
                Some(parsed[id].clone())
            }
            None => None,
        };
        revisions.push(LockRevision {
            commit: commit.clone(),
            committed: *committed,
            position,
            lockfile,
        });
    }
    Ok(LockHistory {
        mainline: commits.into_iter().map(|(c, t, _)| (c, t)).collect(),
        revisions,
    })
}

/// The pin an environment had before `current`, and the commit that set it.
#[derive(Debug, Clone)]
pub enum Previous<'a> {
    Found(&'a Pin, &'a LockRevision),
    /// Before the current pin, the environment did not pin the prompt (or
    /// there was no lockfile).
    None,
}

impl LockHistory {
    /// Walks the lockfile's revisions, newest first, past every one that
    /// pins `current` (or cannot be read), to the first that pins something
    /// else for `name` in `env`.
    pub fn previous(&self, env: &str, name: &str, current: &Pin) -> Previous<'_> {
        for rev in &self.revisions {
            if matches!(rev.lockfile, Some(Err(_))) {
                continue;
            }
            match rev.pin(env, name) {
                Some(pin) if pin == current => continue,
                Some(pin) => return Previous::Found(pin, rev),
                None => return Previous::None,
            }
        }
        Previous::None
    }

    /// The newest mainline commit whose committer time is at or before `at`
    /// (seconds since the epoch), with its position.
    pub fn commit_at(&self, at: i64) -> Option<(usize, &CommitInfo, i64)> {
        self.mainline
            .iter()
            .enumerate()
            .find(|(_, (_, t))| *t <= at)
            .map(|(i, (c, t))| (i, c, *t))
    }

    /// The lockfile revision in force at mainline position `position`: the
    /// newest revision at or below it, by index into `revisions`.
    fn revision_at(&self, position: usize) -> Option<usize> {
        self.revisions.iter().position(|r| r.position >= position)
    }

    /// The oldest revision, going back from `from` (an index into
    /// `revisions`), that pins the same as `from` for `name` in `env`
    /// without interruption: the commit that set the pin.
    fn introduced(&self, from: usize, env: &str, name: &str) -> &LockRevision {
        let pin = self.revisions[from].pin(env, name);
        let mut found = from;
        for (i, rev) in self.revisions.iter().enumerate().skip(from + 1) {
            if rev.pin(env, name) != pin {
                break;
            }
            found = i;
        }
        &self.revisions[found]
    }

    /// The first mainline commit, oldest, that added the lockfile.
    pub fn first_lockfile(&self) -> Option<&LockRevision> {
        self.revisions
            .iter()
            .rev()
            .find(|r| matches!(r.lockfile, Some(Ok(_))))
    }
}

/// One arm of a split pin, with the reason of its version.
#[derive(Debug, Clone, Serialize)]
pub struct BlameArm {
    pub version: String,
    pub weight: u32,
    pub reason: Option<String>,
}

/// What one environment pinned of one prompt at the moment asked, and the
/// commit that set that pin.
#[derive(Debug, Clone, Serialize)]
pub struct BlamePin {
    pub environment: String,
    pub prompt: String,
    /// The pinned version; `null` for a split.
    pub version: Option<String>,
    /// The arms of a split; `null` for a single version.
    pub split: Option<Vec<BlameArm>>,
    /// The changelog reason of the pinned version (`null` for a split: see
    /// its arms).
    pub reason: Option<String>,
    /// The mainline commit that set this pin.
    pub commit: String,
    pub author: String,
    /// That commit's committer time, RFC 3339 UTC.
    pub since: String,
    pub summary: String,
}

/// `blame --at`: the pins in force at a moment.
#[derive(Debug, Clone, Serialize)]
pub struct Blame {
    /// The moment asked about, RFC 3339 UTC.
    pub at: String,
    /// The newest mainline commit at or before `at` (committer time).
    pub commit: String,
    pub commit_time: String,
    /// The commit that wrote the lockfile in force then.
    pub lockfile_commit: String,
    /// Every environment of that lockfile.
    pub environments: Vec<String>,
    pub pins: Vec<BlamePin>,
}

/// Why there is no answer for a moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoLockfile {
    /// The moment is before the first mainline commit.
    BeforeHistory,
    /// The commit in force then has no lockfile (or one that does not
    /// parse); `first` is the first commit that added one, when any did.
    NotYet {
        commit: String,
        first: Option<(String, String)>,
        unreadable: Option<String>,
    },
}

/// The pins in force at `at` (seconds since the epoch), optionally only of
/// `env` and of `name`.
pub fn blame(
    history: &LockHistory,
    at: i64,
    env: Option<&str>,
    name: Option<&str>,
) -> Result<Blame, NoLockfile> {
    let Some((position, commit, time)) = history.commit_at(at) else {
        return Err(NoLockfile::BeforeHistory);
    };
    let first = history
        .first_lockfile()
        .map(|r| (r.commit.id.clone(), rfc3339(r.committed)));
    let index = history.revision_at(position);
    let lock = match index.map(|i| &history.revisions[i].lockfile) {
        Some(Some(Ok(lock))) => lock,
        other => {
            return Err(NoLockfile::NotYet {
                commit: commit.id.clone(),
                first,
                unreadable: match other {
                    Some(Some(Err(e))) => Some(e.clone()),
                    _ => None,
                },
            })
        }
    };
    let index = index.unwrap_or_default();
    let reason =
        |prompt: &str, version: &str| lock.entry(prompt, version).map(|e| e.reason.clone());
    let mut pins = Vec::new();
    for (environment, entries) in &lock.environments {
        if env.is_some_and(|e| e != environment) {
            continue;
        }
        for (prompt, pin) in entries {
            if name.is_some_and(|n| n != prompt) {
                continue;
            }
            let set_by = history.introduced(index, environment, prompt);
            let (version, split, why) = match pin {
                Pin::Version(v) => (Some(v.clone()), None, reason(prompt, v)),
                Pin::Split(s) => (
                    None,
                    Some(
                        s.split
                            .iter()
                            .map(|a| BlameArm {
                                version: a.version.clone(),
                                weight: a.weight,
                                reason: reason(prompt, &a.version),
                            })
                            .collect(),
                    ),
                    None,
                ),
            };
            pins.push(BlamePin {
                environment: environment.clone(),
                prompt: prompt.clone(),
                version,
                split,
                reason: why,
                commit: set_by.commit.id.clone(),
                author: set_by.commit.author.to_string(),
                since: rfc3339(set_by.committed),
                summary: set_by.commit.summary.clone(),
            });
        }
    }
    Ok(Blame {
        at: rfc3339(at),
        commit: commit.id.clone(),
        commit_time: rfc3339(time),
        lockfile_commit: history.revisions[index].commit.id.clone(),
        environments: lock.environments.keys().cloned().collect(),
        pins,
    })
}

/// Parses a moment: RFC 3339 (`2026-06-01T10:00:00Z`, `2026-06-01T12:00:00+02:00`)
/// or `YYYY-MM-DD[ HH:MM[:SS]]` in UTC (a `T` may replace the space; a date
/// alone is its first second). Returns seconds since the epoch.
/// The formats [`parse_moment`] reads, for hints (`blame --at`, `log --since`).
pub const MOMENT_FORMATS: &str =
    "RFC 3339 (2026-06-01T10:00:00Z, 2026-06-01T12:00:00+02:00) or YYYY-MM-DD[ HH:MM[:SS]] in UTC";

pub fn parse_moment(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(d.timestamp());
    }
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(d) = chrono::NaiveDateTime::parse_from_str(t, format) {
            return Some(d.and_utc().timestamp());
        }
    }
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments() {
        let utc = parse_moment("2026-06-01T10:00:00Z").unwrap();
        assert_eq!(parse_moment("2026-06-01T12:00:00+02:00"), Some(utc));
        assert_eq!(parse_moment("2026-06-01 10:00:00"), Some(utc));
        assert_eq!(parse_moment("2026-06-01 10:00"), Some(utc));
        assert_eq!(parse_moment("2026-06-01T10:00"), Some(utc));
        assert_eq!(parse_moment("2026-06-01"), Some(utc - 10 * 3600));
        for bad in [
            "",
            "yesterday",
            "2026-13-01",
            "2026-06-01 25:00",
            "1780000000",
        ] {
            assert_eq!(parse_moment(bad), None, "{bad}");
        }
    }
}
