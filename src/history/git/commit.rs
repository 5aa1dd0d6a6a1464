//! Commits made as Git makes them, and refs moved by compare-and-swap
//! (docs/DESIGN.md §5, "Commits and concurrent writers").
//!
//! `--commit` runs the user's own `git commit`, so hooks run (`--no-verify`
//! skips them), signing follows `commit.gpgsign`/`gpg.format`, and the
//! environment's identity and dates (`GIT_AUTHOR_DATE`, …) are honoured.
//! Git holds `.git/index.lock` while it commits; a held lock is waited for.
//! HEAD may only move from the commit the command read its history at: when
//! another writer moved it, the commit goes on the new tip only if the files
//! the command wrote are the same there (the result is then provably what it
//! would have been); otherwise it stops, exit 2, with nothing committed.

use super::{CommitId, Repo};
use anyhow::{Context as _, Result};
use promptreg_core::error::fail;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long a held `index.lock` is waited for before giving up.
const LOCK_WAIT: Duration = Duration::from_secs(20);

/// What `commit_with_git` needs to know.
pub struct CommitRequest<'a> {
    /// The files to commit, relative to the registry root.
    pub paths: &'a [&'a str],
    /// Files whose content the command read (besides `paths`): if another
    /// writer changed them, the commit is refused.
    pub read: &'a [&'a str],
    /// The full commit message.
    pub message: &'a str,
    /// HEAD when the command read its history (`None`: no commit yet).
    pub read_at: Option<&'a str>,
    /// `--no-verify`: skip the pre-commit and commit-msg hooks.
    pub no_verify: bool,
}

impl Repo {
    /// Commits the working-tree content of `paths` alone with the user's
    /// `git commit --only`, on HEAD, if HEAD is still `read_at` or the
    /// files involved are unchanged since; returns the commit id.
    pub fn commit_with_git(&self, req: &CommitRequest<'_>) -> Result<CommitId> {
        let workdir = self
            .inner
            .workdir()
            .ok_or_else(|| fail("the registry is in a bare Git repository"))?
            .to_path_buf();
        // Held until the index is as it must be, clean-up included.
        let _serialised = self.commit_lock()?;
        let paths: Vec<String> = req.paths.iter().map(|p| self.repo_path(p)).collect();
        let mut watched = paths.clone();
        watched.extend(req.read.iter().map(|p| self.repo_path(p)));
        let lock = self.inner.path().join("index.lock");
        let mut backoff = Backoff::new();
        let mut added: Vec<String> = Vec::new();
        // Every way out of the loop, an early error included, goes through
        // the clean-up below: an attempt that Git refused as locked may have
        // staged the paths already.
        let mut attempt = || -> Result<CommitId> {
            loop {
                let wait = |backoff: &mut Backoff| -> Result<()> {
                    if !backoff.wait() {
                        return Err(fail(format!(
                        "another Git process has held {} for {} seconds; nothing was committed",
                        lock.display(),
                        LOCK_WAIT.as_secs()
                    ))
                    .hint("wait for it to finish; if no Git process is running, remove the stale lock file")
                    .into());
                    }
                    Ok(())
                };
                let now = self.head();
                self.refuse_if_changed(req.read_at, now.as_deref(), &watched)?;
                if lock.exists() {
                    wait(&mut backoff)?;
                    continue;
                }
                // A file Git does not know yet: `--only` needs it in the index.
                let mut index = self.inner.index()?;
                // Forced: another writer may have changed the file within the same
                // second and size, which an unforced read would take as unchanged.
                index.read(true)?;
                let new: Vec<&String> = paths
                    .iter()
                    .filter(|p| index.get_path(Path::new(p.as_str()), 0).is_none())
                    .collect();
                if !new.is_empty() {
                    let mut add = git(&workdir);
                    add.args(["add", "--intent-to-add", "--"]).args(&new);
                    match run(add, None)? {
                        Ran::Ok => added.extend(new.into_iter().cloned()),
                        Ran::Locked => {
                            wait(&mut backoff)?;
                            continue;
                        }
                        Ran::Failed(text) => {
                            break Err(fail("`git add` failed; nothing was committed")
                                .caused_by(std::io::Error::other(text))
                                .into())
                        }
                    }
                }
                let mut commit = git(&workdir);
                commit.args(["commit", "--quiet", "--only", "--file", "-"]);
                if req.no_verify {
                    commit.arg("--no-verify");
                }
                commit.arg("--").args(&paths);
                match run(commit, Some(req.message))? {
                Ran::Ok => break self.our_commit(req, &paths),
                Ran::Locked => {
                    wait(&mut backoff)?;
                    continue;
                }
                Ran::Failed(text) => {
                    break Err(fail("`git commit` refused the commit; nothing was committed")
                        .hint("a hook may have refused it: see its message above; `--no-verify` skips the pre-commit and commit-msg hooks")
                        .caused_by(std::io::Error::other(text))
                        .into())
                }
            }
            }
        };
        let result = attempt();
        if result.is_err() {
            // The index is put back as HEAD has the files: undo `git add
            // --intent-to-add`, and whatever a failed `git commit --only`
            // left staged.
            if !added.is_empty() {
                retry_while_locked(|| {
                    let mut undo = git(&workdir);
                    undo.args(["rm", "--cached", "--quiet", "--"]).args(&added);
                    undo
                });
            }
            let known: Vec<&String> = paths.iter().filter(|p| !added.contains(p)).collect();
            if !known.is_empty() {
                retry_while_locked(|| {
                    let mut reset = git(&workdir);
                    reset.args(["reset", "--quiet", "--"]).args(&known);
                    reset
                });
            }
        }
        result
    }

    /// promptreg's own commit lock for this work tree's index, held while
    /// one run commits: `.git/promptreg/commit.lock`, locked with the
    /// operating system's advisory lock, so a run that dies frees it.
    ///
    /// Why: `git commit --only` reads the index before it takes
    /// `index.lock`, so two of them at once can write back an index entry
    /// the other had just changed (or put back), leaving a path staged that
    /// nobody staged. Taken in turn they cannot. `None` where the lock file
    /// cannot be made (a read-only `.git`, where Git's own error will say
    /// why) or the file system has no such locks: the commit then goes
    /// ahead without it.
    fn commit_lock(&self) -> Result<Option<std::fs::File>> {
        let dir = self.inner.path().join("promptreg");
        let opened = std::fs::create_dir_all(&dir).and_then(|()| {
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(dir.join("commit.lock"))
        });
        let Ok(file) = opened else {
            return Ok(None);
        };
        let mut backoff = Backoff::new();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Some(file)),
                Err(std::fs::TryLockError::WouldBlock) => {
                    if !backoff.wait() {
                        return Err(fail(format!(
                            "another promptreg run has been committing in this repository for {} seconds; nothing was committed",
                            LOCK_WAIT.as_secs()
                        ))
                        .hint("wait for it to finish (a hook may be waiting for input), then run the command again")
                        .into());
                    }
                }
                Err(std::fs::TryLockError::Error(_)) => return Ok(None),
            }
        }
    }

    /// Errors when HEAD moved from `read_at` to `now` and a `watched` file
    /// differs between them (or `now` does not descend from `read_at`).
    fn refuse_if_changed(
        &self,
        read_at: Option<&str>,
        now: Option<&str>,
        watched: &[String],
    ) -> Result<()> {
        if read_at == now {
            return Ok(());
        }
        let moved = |what: String| -> anyhow::Error {
            fail(format!(
                "HEAD moved from {} to {} while this command ran, and {what}; nothing was committed",
                read_at.map_or("no commit", super::short),
                now.map_or("no commit", super::short),
            ))
            .hint("run the command again: it reads the new history")
            .into()
        };
        let (Some(before), Some(after)) = (read_at, now) else {
            return Err(moved("the history is not the one it read".into()));
        };
        let descends = self
            .inner
            .graph_descendant_of(git2::Oid::from_str(after)?, git2::Oid::from_str(before)?)
            .unwrap_or(false);
        if !descends {
            return Err(moved(
                "the new HEAD does not descend from the old one".into(),
            ));
        }
        for path in watched {
            if self.blob_id_at_repo_path(before, path)? != self.blob_id_at_repo_path(after, path)? {
                return Err(moved(format!("{path} changed there")));
            }
        }
        Ok(())
    }

    fn blob_id_at_repo_path(&self, commit: &str, path: &str) -> Result<Option<String>> {
        let commit = self.inner.find_commit(git2::Oid::from_str(commit)?)?;
        let tree = commit.tree()?;
        Ok(match tree.get_path(Path::new(path)) {
            Ok(entry) => Some(entry.id().to_string()),
            Err(e) if e.code() == git2::ErrorCode::NotFound => None,
            Err(e) => return Err(e.into()),
        })
    }

    /// The commit `git commit` just made: on HEAD's first-parent line (other
    /// writers may have committed on top since), with our summary and our
    /// first file's bytes. Then checks its parent as `refuse_if_changed`
    /// does: Git read HEAD itself, possibly after another writer moved it.
    fn our_commit(&self, req: &CommitRequest<'_>, paths: &[String]) -> Result<CommitId> {
        let summary = req.message.lines().next().unwrap_or("").trim();
        let id = self
            .commit_in_reflog(summary)?
            .ok_or_else(|| fail("`git commit` succeeded but its commit is not in HEAD's reflog"))?;
        let commit = self.inner.find_commit(git2::Oid::from_str(&id)?)?;
        let parent = commit.parent_id(0).ok().map(|p| p.to_string());
        let mut watched = paths.to_vec();
        watched.extend(req.read.iter().map(|p| self.repo_path(p)));
        if let Err(e) = self.refuse_if_changed(req.read_at, parent.as_deref(), &watched) {
            return Err(self.undo(&id, parent.as_deref(), e));
        }
        Ok(id)
    }

    /// The commit `git commit` just made: the newest entry of HEAD's reflog
    /// that Git wrote for a commit with this summary. Git appends it under
    /// the ref's lock as it moves HEAD, so other writers committing at the
    /// same time (other prompts, other summaries) cannot be mistaken for it,
    /// and commits they make on top do not hide it.
    fn commit_in_reflog(&self, summary: &str) -> Result<Option<CommitId>> {
        let reflog = self.inner.reflog("HEAD")?;
        for entry in reflog.iter().take(1024) {
            let Ok(Some(message)) = entry.message() else {
                continue;
            };
            let subject = message
                .strip_prefix("commit: ")
                .or_else(|| message.strip_prefix("commit (initial): "))
                .or_else(|| message.strip_prefix("commit (merge): "));
            if subject.map(str::trim) == Some(summary) {
                return Ok(Some(entry.id_new().to_string()));
            }
        }
        Ok(None)
    }

    /// Moves HEAD back from `ours` to `parent`, only if it is still at
    /// `ours` (compare-and-swap); `why` says why.
    fn undo(&self, ours: &str, parent: Option<&str>, why: anyhow::Error) -> anyhow::Error {
        let workdir = self
            .inner
            .workdir()
            .unwrap_or(self.inner.path())
            .to_path_buf();
        let mut cmd = git(&workdir);
        match parent {
            Some(p) => cmd.args([
                "update-ref",
                "-m",
                "promptreg: undo a commit made on a moved HEAD",
                "HEAD",
                p,
                ours,
            ]),
            None => cmd.args(["update-ref", "-d", "HEAD", ours]),
        };
        match run(cmd, None) {
            // The caller puts the index back for the files committed.
            Ok(Ran::Ok) => why,
            _ => why.context(format!(
                "a commit {} was made on the moved HEAD and others committed on top before it could be undone: revert it with `git revert {}`",
                super::short(ours),
                super::short(ours)
            )),
        }
    }
}

impl Repo {
    /// `git tag -a NAME COMMIT` with `message`: the user's Git makes the tag
    /// (signed when `tag.gpgSign` says so) and refuses one that exists.
    pub(super) fn tag_with_git(&self, name: &str, commit: &str, message: &str) -> Result<()> {
        let workdir = self
            .inner
            .workdir()
            .unwrap_or(self.inner.path())
            .to_path_buf();
        let mut cmd = git(&workdir);
        cmd.args(["tag", "--annotate", "--file", "-", name, commit]);
        match run(cmd, Some(message))? {
            Ran::Ok => Ok(()),
            Ran::Locked => {
                Err(fail(format!("cannot create tag {name}: a ref lock is held")).into())
            }
            Ran::Failed(text) => Err(fail(format!("`git tag` refused tag {name}"))
                .hint(format!(
                    "the commit {} is made; tag it yourself with `git tag -a {name} {}`",
                    super::short(commit),
                    super::short(commit)
                ))
                .caused_by(std::io::Error::other(text))
                .into()),
        }
    }
}

/// Runs a clean-up command, again while another Git process holds the
/// index (a skipped clean-up would leave the user's index staged), for at
/// most `LOCK_WAIT`. Its failure is not reported: the command's own error is.
fn retry_while_locked(make: impl Fn() -> Command) {
    let mut backoff = Backoff::new();
    while let Ok(Ran::Locked) = run(make(), None) {
        if !backoff.wait() {
            return;
        }
    }
}

/// Waiting for a lock another process holds: 5 ms, doubling up to 200 ms,
/// plus jitter, for at most `LOCK_WAIT` in all.
struct Backoff {
    started: Instant,
    pause: Duration,
}

impl Backoff {
    fn new() -> Backoff {
        Backoff {
            started: Instant::now(),
            pause: Duration::from_millis(5),
        }
    }

    /// Sleeps one pause; `false` (without sleeping) once `LOCK_WAIT` has
    /// passed.
    fn wait(&mut self) -> bool {
        if self.started.elapsed() > LOCK_WAIT {
            return false;
        }
        std::thread::sleep(self.pause + jitter());
        self.pause = (self.pause * 2).min(Duration::from_millis(200));
        true
    }
}

/// A `git` command run in `workdir`, in the user's environment.
fn git(workdir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(workdir);
    cmd
}

enum Ran {
    Ok,
    /// Another Git process holds the index or a ref lock, or moved the ref
    /// under git's own compare-and-swap: nothing was done; try again.
    Locked,
    Failed(String),
}

fn run(mut cmd: Command, stdin: Option<&str>) -> Result<Ran> {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| {
        let text = if e.kind() == std::io::ErrorKind::NotFound {
            "`--commit` runs Git's own `git commit`, and no `git` program is on PATH; nothing was committed"
        } else {
            "cannot run `git`; nothing was committed"
        };
        anyhow::Error::from(
            fail(text)
                .hint("install Git (or put it on PATH), or leave out --commit and commit the files yourself")
                .caused_by(e),
        )
    })?;
    if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
        // Git may stop before reading it (a held index lock): its exit
        // status says what happened.
        let _ = input.write_all(text.as_bytes());
    }
    let out = child.wait_with_output().context("cannot run `git`")?;
    let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stdout));
    if out.status.success() {
        Ok(Ran::Ok)
    } else if text.contains("index.lock")
        || text.contains("cannot lock ref")
        || text.contains("HEAD.lock")
    {
        // Another writer holds the index or the ref: nothing was committed.
        Ok(Ran::Locked)
    } else {
        Ok(Ran::Failed(text.trim_end().to_string()))
    }
}

/// A few random milliseconds, so that waiting writers do not retry in step.
fn jitter() -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    Duration::from_millis(h.finish() % 20)
}

/// How many times a notes update is tried on a ref that others keep moving.
const NOTES_TRIES: usize = 200;

impl Repo {
    /// Rewrites the notes of `commits` under `notes_ref` as one notes commit
    /// with `message`, by compare-and-swap: the ref moves only from the
    /// commit the notes were read at. When another writer moved it first,
    /// `edit` runs again on the new notes (it must merge, as appending
    /// score lines does), so nothing either wrote is lost. `edit` gets the
    /// annotated commit and its note's current text.
    pub fn update_notes(
        &self,
        notes_ref: &str,
        commits: &[&str],
        edit: &dyn Fn(&str, Option<&str>) -> Result<String>,
        message: &str,
        author: &super::Identity,
    ) -> Result<()> {
        let signature = git2::Signature::now(&author.name, &author.email)
            .with_context(|| format!("`{author}` cannot sign a Git note"))?;
        for attempt in 0..NOTES_TRIES {
            let base = self.reference_target(notes_ref)?;
            let scratch = format!("refs/promptreg/tmp/notes-{}-{attempt}", std::process::id());
            let built = self.build_notes(&scratch, base.as_deref(), commits, edit, &signature);
            let _ = self.restore_reference(&scratch, None);
            let tree = built?;
            let tree = self.inner.find_tree(tree)?;
            let parent = match &base {
                Some(b) => Some(self.inner.find_commit(git2::Oid::from_str(b)?)?),
                None => None,
            };
            let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
            let new = self
                .inner
                .commit(None, &signature, &signature, message, &tree, &parents)
                .context("cannot create the notes commit")?;
            let log = format!("promptreg: {}", message.lines().next().unwrap_or(""));
            // The expected value is compared under the ref's lock. "Absent"
            // is the zero id: libgit2 checks `force = false` before taking
            // the lock, so two creators could both succeed that way.
            let expected = match &base {
                Some(b) => git2::Oid::from_str(b)?,
                None => git2::Oid::ZERO_SHA1,
            };
            let swapped = self
                .inner
                .reference_matching(notes_ref, new, true, expected, &log)
                .map(|_| ());
            match swapped {
                Ok(()) => return Ok(()),
                Err(e)
                    if matches!(
                        e.code(),
                        git2::ErrorCode::Modified
                            | git2::ErrorCode::Exists
                            | git2::ErrorCode::Locked
                    ) =>
                {
                    // Another writer moved the ref: merge again on its tip.
                    std::thread::sleep(Duration::from_millis(2) + jitter());
                }
                Err(e) => {
                    return Err(anyhow::Error::from(e).context(format!("cannot update {notes_ref}")))
                }
            }
        }
        Err(fail(format!(
            "{notes_ref} kept moving under other writers ({NOTES_TRIES} tries); nothing was recorded"
        ))
        .hint("run the command again")
        .into())
    }

    /// The notes tree after `edit`, built on a scratch ref at `base`.
    fn build_notes(
        &self,
        scratch: &str,
        base: Option<&str>,
        commits: &[&str],
        edit: &dyn Fn(&str, Option<&str>) -> Result<String>,
        signature: &git2::Signature<'_>,
    ) -> Result<git2::Oid> {
        self.restore_reference(scratch, base)?;
        for commit in commits {
            let existing = self.read_note(scratch, commit)?;
            let text = edit(commit, existing.as_deref())?;
            self.inner
                .note(
                    signature,
                    signature,
                    Some(scratch),
                    git2::Oid::from_str(commit)?,
                    &text,
                    true,
                )
                .with_context(|| format!("cannot write the note on {commit}"))?;
        }
        let tip = self
            .reference_target(scratch)?
            .ok_or_else(|| fail("the notes were not written"))?;
        Ok(self
            .inner
            .find_commit(git2::Oid::from_str(&tip)?)?
            .tree_id())
    }
}
