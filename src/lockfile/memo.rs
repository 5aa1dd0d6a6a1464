//! Remembers what `lock` resolved for a (mainline head, promptreg.yaml)
//! pair, so that `lock --locked` and `check` on an unchanged repository
//! answer "up to date" without reading history. The lockfile is a pure
//! function of those inputs (and of promptreg's version), so the memo never
//! goes stale: a new commit or an edited config is another key.

use crate::lockfile::{HeldBack, Skipped};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The largest lock memo read (1 MiB); the memo is checked for size before
/// it is read.
const MAX_MEMO_BYTES: u64 = 1024 * 1024;

#[derive(Serialize, Deserialize)]
struct Memo {
    key: String,
    /// SHA-256 of the lockfile text `lock` writes, line endings aside.
    lockfile_sha256: String,
    skipped: Vec<Skipped>,
    #[serde(default)]
    held_back: Vec<HeldBack>,
}

/// The memo for one registry.
pub struct LockMemo {
    path: PathBuf,
    key: String,
}

fn digest(bytes: &[u8]) -> String {
    // CRLF checkouts compare equal, as `lock --locked` does.
    let normalized: Vec<u8> = bytes.iter().copied().filter(|b| *b != b'\r').collect();
    Sha256::digest(&normalized)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl LockMemo {
    /// The memo under `git_dir` for this head, config and prompts directory.
    pub fn new(git_dir: &Path, head: &str, config_bytes: &[u8], prompts_dir: &str) -> Self {
        let mut hasher = Sha256::new();
        for part in [
            env!("CARGO_PKG_VERSION").as_bytes(),
            head.as_bytes(),
            prompts_dir.as_bytes(),
            config_bytes,
        ] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        let key: String = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        LockMemo {
            path: git_dir.join("promptreg").join("lock-memo.json"),
            key,
        }
    }

    /// When `lockfile_bytes` is what `lock` writes for this key: the prompts
    /// `"*"` left out and the versions the gates held back (for the notes),
    /// else `None`.
    pub fn fresh(&self, lockfile_bytes: &[u8]) -> Option<(Vec<Skipped>, Vec<HeldBack>)> {
        // A memo is a few lines: anything larger is not one.
        let text = crate::output::files::read_at_most(&self.path, MAX_MEMO_BYTES)?;
        let memo: Memo = serde_json::from_slice(&text).ok()?;
        (memo.key == self.key && memo.lockfile_sha256 == digest(lockfile_bytes))
            .then_some((memo.skipped, memo.held_back))
    }

    /// Records what `lock` resolved. Failing to write only costs speed.
    pub fn remember(&self, lockfile_text: &str, skipped: &[Skipped], held_back: &[HeldBack]) {
        let memo = Memo {
            key: self.key.clone(),
            lockfile_sha256: digest(lockfile_text.as_bytes()),
            skipped: skipped.to_vec(),
            held_back: held_back.to_vec(),
        };
        let _ = (|| -> anyhow::Result<()> {
            let dir = self.path.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir)?;
            let mut temp = tempfile::Builder::new()
                .prefix(".lock-memo-")
                .tempfile_in(dir)?;
            temp.write_all(&serde_json::to_vec(&memo)?)?;
            temp.persist(&self.path).map_err(|e| e.error)?;
            Ok(())
        })();
    }
}
