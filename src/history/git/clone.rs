//! Shallow and partial clones (docs/DESIGN.md §3, "Incomplete clones"): what
//! a clone lacks, and fetching it with the git CLI from the clone's remote.
//! libgit2 neither deepens a shallow clone nor fetches a promisor's missing
//! objects, so these steps run `git`; everything else reads with git2.

use super::Repo;
use anyhow::Result;
use promptreg_core::error::fail;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU8, Ordering};

/// What kind of clone the process opened: reported by the error for a
/// missing object, so it names the situation instead of suspecting damage.
static KIND: AtomicU8 = AtomicU8::new(0);
const SHALLOW: u8 = 1;
const PARTIAL: u8 = 2;

/// Remembers what kind of clone `repo` is, for [`missing_object_situation`].
pub(super) fn note_kind(repo: &git2::Repository) {
    let mut kind = 0;
    if repo.is_shallow() {
        kind |= SHALLOW;
    }
    if promisor_remote_of(repo).is_some() {
        kind |= PARTIAL;
    }
    KIND.fetch_or(kind, Ordering::Relaxed);
}

/// For an object that cannot be read: the situation and its fix when the
/// repository is a partial or shallow clone (the object is simply not
/// local), `None` otherwise.
pub(super) fn missing_object_situation(kind: &str, id: &str) -> Option<(String, String)> {
    let k = KIND.load(Ordering::Relaxed);
    if k & PARTIAL != 0 {
        Some((
            format!("cannot read {kind} {id}: this is a partial clone and the object is not local"),
            FETCH_HINT.to_string(),
        ))
    } else if k & SHALLOW != 0 {
        Some((
            format!("cannot read {kind} {id}: this is a shallow clone and the object is beyond its depth"),
            FETCH_HINT.to_string(),
        ))
    } else {
        None
    }
}

/// The fix for a clone that lacks what promptreg reads.
pub const FETCH_HINT: &str = "pass --fetch (automatic under CI=true) to let promptreg fetch what it needs from the clone's remote, or clone the full history (GitHub Actions: `actions/checkout` with `fetch-depth: 0`; GitLab: `GIT_DEPTH: 0`; or run `git fetch --unshallow` / `git fetch --refetch`)";

/// The remote a partial clone lazily fetches from (`remote.NAME.promisor`,
/// or `extensions.partialClone`), if it is one.
fn promisor_remote_of(repo: &git2::Repository) -> Option<String> {
    let config = repo.config().ok()?;
    if let Ok(name) = config.get_string("extensions.partialclone") {
        if !name.is_empty() {
            return Some(name);
        }
    }
    let mut entries = config.entries(Some(r"remote\..*\.promisor")).ok()?;
    while let Some(Ok(entry)) = entries.next() {
        let on = entry
            .value()
            .is_ok_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on"));
        if on {
            let name = entry.name().ok()?;
            let remote = name.strip_prefix("remote.")?.strip_suffix(".promisor")?;
            return Some(remote.to_string());
        }
    }
    None
}

impl Repo {
    /// The promisor remote, when this is a partial clone.
    pub fn promisor_remote(&self) -> Option<String> {
        promisor_remote_of(&self.inner)
    }

    /// The remote to fetch from: the promisor of a partial clone, else the
    /// upstream remote of the current branch, else `origin`, else the only
    /// remote.
    pub fn fetch_remote(&self) -> Result<String> {
        if let Some(remote) = self.promisor_remote() {
            return Ok(remote);
        }
        if let Ok(head) = self.inner.head() {
            if let Ok(branch) = head.name() {
                if let Ok(buf) = self.inner.branch_upstream_remote(branch) {
                    if let Ok(name) = buf.as_str() {
                        return Ok(name.to_string());
                    }
                }
            }
        }
        let remotes = self.inner.remotes()?;
        let names: Vec<&str> = remotes.iter().flatten().flatten().collect();
        if names.contains(&"origin") {
            return Ok("origin".into());
        }
        match names.as_slice() {
            [only] => Ok(only.to_string()),
            [] => Err(fail("the clone has no remote to fetch the missing history from")
                .hint(FETCH_HINT)
                .into()),
            _ => Err(fail(format!(
                "the clone has several remotes ({}) and none is `origin`: promptreg cannot tell which to fetch from",
                names.join(", ")
            ))
            .hint("set the current branch's upstream (`git branch --set-upstream-to`), or fetch the history yourself")
            .into()),
        }
    }

    /// The directory git runs in: the work tree (or the Git directory).
    fn git_cwd(&self) -> &std::path::Path {
        self.inner.workdir().unwrap_or_else(|| self.inner.path())
    }

    fn git(&self) -> Command {
        let mut cmd = Command::new("git");
        cmd.current_dir(self.git_cwd())
            // Never prompt for credentials: CI has no one to answer.
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(Stdio::null());
        cmd
    }

    /// Deepens a shallow clone to its full history without blobs:
    /// `git fetch --filter=blob:none --unshallow REMOTE`. The clone becomes a
    /// partial one; [`Repo::missing_blobs`] then says which blobs to fetch.
    pub fn deepen(&self, remote: &str) -> Result<()> {
        let out = self
            .git()
            .args([
                "fetch",
                "--quiet",
                "--no-tags",
                "--filter=blob:none",
                "--unshallow",
            ])
            .arg(remote)
            .output()
            .map_err(|e| git_missing(&e))?;
        if !out.status.success() {
            return Err(fail(format!(
                "shallow clone: cannot fetch its history from `{remote}`: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
            .hint("check the network and the remote; or clone the full history (GitHub Actions: `actions/checkout` with `fetch-depth: 0`)")
            .into());
        }
        Ok(())
    }

    /// The blobs under `dir` that the first-parent history of `mainline`,
    /// and the trees of `commits`, name but this clone does not have.
    pub fn missing_blobs(
        &self,
        mainline: Option<&str>,
        commits: &[String],
        dir: &str,
    ) -> Result<Vec<String>> {
        let pathspec = if dir.is_empty() { "." } else { dir };
        let mut missing = Vec::new();
        let mut runs: Vec<Vec<String>> = Vec::new();
        if let Some(m) = mainline {
            runs.push(vec!["--first-parent".into(), m.to_string()]);
        }
        if !commits.is_empty() {
            let mut args = vec!["--no-walk".to_string()];
            args.extend(commits.iter().cloned());
            runs.push(args);
        }
        for args in runs {
            let out = self
                .git()
                .args(["rev-list", "--objects", "--missing=print"])
                .args(&args)
                .arg("--")
                .arg(pathspec)
                .output()
                .map_err(|e| git_missing(&e))?;
            if !out.status.success() {
                return Err(fail(format!(
                    "cannot list the objects of the history: git rev-list failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ))
                .into());
            }
            for line in String::from_utf8_lossy(&out.stdout).lines() {
                if let Some(id) = line.strip_prefix('?') {
                    missing.push(id.trim().to_string());
                }
            }
        }
        missing.sort();
        missing.dedup();
        Ok(missing)
    }

    /// Fetches `blobs` from `remote` in one request (what git's own lazy
    /// fetch does, for all of them at once).
    pub fn fetch_blobs(&self, remote: &str, blobs: &[String]) -> Result<()> {
        let mut child = self
            .git()
            .args([
                "-c",
                "fetch.negotiationAlgorithm=noop",
                "fetch",
                "--quiet",
                "--no-tags",
                "--no-write-fetch-head",
                "--recurse-submodules=no",
                "--filter=blob:none",
                "--stdin",
            ])
            .arg(remote)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| git_missing(&e))?;
        if let Some(mut stdin) = child.stdin.take() {
            let list: String = blobs.iter().map(|b| format!("{b}\n")).collect();
            // A git that exits early reports why on stderr, read below.
            let _ = stdin.write_all(list.as_bytes());
        }
        let out = child.wait_with_output()?;
        if !out.status.success() {
            return Err(fail(format!(
                "partial clone: {} prompt blobs are not local, and fetching them from `{remote}` failed: {}",
                blobs.len(),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
            .hint("check the network and the remote; or clone without `--filter` (GitHub Actions: `actions/checkout` with `filter:` unset)")
            .into());
        }
        Ok(())
    }
}

fn git_missing(e: &std::io::Error) -> anyhow::Error {
    fail(format!("cannot run git: {e}"))
        .hint("fetching for a shallow or partial clone needs the git command on PATH")
        .into()
}
