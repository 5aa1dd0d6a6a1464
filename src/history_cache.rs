//! The history cache under `.git/promptreg/`: the walk's state at a mainline
//! commit, so the next run only walks the commits added since. Never in the
//! working tree; written atomically; a file that does not decode, from
//! another promptreg version or for another prompts directory is ignored.

use crate::history::WalkState;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// Bumped whenever the stored layout changes.
const FORMAT: u32 = 2;

/// What a cache file must match to be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    /// The prompts directory, relative to the repository root.
    pub prompts_dir: String,
}

#[derive(Serialize, Deserialize)]
struct Header {
    format: u32,
    promptreg: String,
    key: Key,
}

/// The cached state, or `None` when there is no usable cache.
pub fn load(path: &Path, key: &Key) -> Option<WalkState> {
    let bytes = std::fs::read(path).ok()?;
    let (header, rest): (Header, &[u8]) = postcard::take_from_bytes(&bytes).ok()?;
    if header.format != FORMAT
        || header.promptreg != env!("CARGO_PKG_VERSION")
        || &header.key != key
    {
        return None;
    }
    postcard::from_bytes(rest).ok()
}

/// Writes the cache atomically: a temporary file in the same directory,
/// renamed over the old one, so a concurrent reader sees one or the other.
pub fn store(path: &Path, key: &Key, state: &WalkState) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let header = Header {
        format: FORMAT,
        promptreg: env!("CARGO_PKG_VERSION").to_string(),
        key: key.clone(),
    };
    let mut bytes = postcard::to_stdvec(&header)?;
    bytes.extend(postcard::to_stdvec(state)?);
    let mut temp = tempfile::Builder::new()
        .prefix(".history-")
        .tempfile_in(dir)?;
    temp.write_all(&bytes)?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// What a cache file holds, for `doctor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// No cache yet: the next history read builds it.
    Missing,
    /// Usable; the mainline commit it was built at.
    Valid { head: Option<String> },
    /// Written by another promptreg version or for another prompts
    /// directory: rebuilt on next use.
    Outdated,
    /// Does not decode: rebuilt on next use.
    Damaged,
}

/// Inspects the cache file at `path` without changing it.
pub fn health(path: &Path, key: &Key) -> Health {
    let Ok(bytes) = std::fs::read(path) else {
        return Health::Missing;
    };
    let Ok((header, rest)) = postcard::take_from_bytes::<Header>(&bytes) else {
        return Health::Damaged;
    };
    if header.format != FORMAT
        || header.promptreg != env!("CARGO_PKG_VERSION")
        || &header.key != key
    {
        return Health::Outdated;
    }
    match postcard::from_bytes::<WalkState>(rest) {
        Ok(state) => Health::Valid {
            head: state.head().map(str::to_string),
        },
        Err(_) => Health::Damaged,
    }
}
