//! The history cache under `.git/promptreg/`: the walk's state at a mainline
//! commit, so the next run only walks the commits added since. Never in the
//! working tree; written atomically; a file that does not decode, from
//! another promptreg version or for another prompts directory is ignored.

use crate::history::state::{StatePrompt, StateViolation, WalkState};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// Bumped whenever the stored layout changes (5: a SHA-256 seal; 4: only
/// usable files are released).
const FORMAT: u32 = 5;

/// The largest cache file read (512 MiB; a registry of 10,000 prompts with
/// long histories stores about 12 MB). Its size is checked before it is
/// read, so a damaged or hostile huge file is ignored at once.
pub const MAX_CACHE_BYTES: u64 = 512 * 1024 * 1024;

/// Bytes of the seal at the end of the file: a SHA-256.
const SEAL: usize = 32;

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

/// The walk's state as stored: each prompt's history encoded on its own, so
/// a command about one prompt decodes only that one.
#[derive(Serialize, Deserialize)]
struct Stored<'a> {
    head: Option<String>,
    commits: usize,
    violations: Vec<StateViolation>,
    current: BTreeMap<String, (String, String)>,
    #[serde(borrow)]
    prompts: Vec<(&'a str, &'a serde_bytes::Bytes)>,
}

/// The cached state, or `None` when there is no usable cache. With `only`,
/// the state holds that prompt alone (enough to answer about it; never
/// extended nor stored).
pub fn load(path: &Path, key: &Key, only: Option<&str>) -> Option<WalkState> {
    let bytes = crate::output::files::read_at_most(path, MAX_CACHE_BYTES)?;
    let (header, rest): (Header, &[u8]) = postcard::take_from_bytes(unseal(&bytes)?).ok()?;
    if header.format != FORMAT
        || header.promptreg != env!("CARGO_PKG_VERSION")
        || &header.key != key
    {
        return None;
    }
    let stored: Stored<'_> = postcard::from_bytes(rest).ok()?;
    let mut prompts = BTreeMap::new();
    for (name, encoded) in &stored.prompts {
        if only.is_some_and(|o| o != *name) {
            continue;
        }
        let prompt: StatePrompt = postcard::from_bytes(encoded).ok()?;
        prompts.insert((*name).to_string(), prompt);
    }
    Some(WalkState {
        head: stored.head,
        commits: stored.commits,
        prompts,
        violations: stored.violations,
        current: stored.current,
    })
}

/// Writes the cache atomically: a temporary file in the same directory,
/// renamed over the old one, so a concurrent reader sees one or the other.
/// The file is written as it is encoded, one prompt at a time, rather than
/// built in memory first.
pub fn store(path: &Path, key: &Key, state: &WalkState) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let header = Header {
        format: FORMAT,
        promptreg: env!("CARGO_PKG_VERSION").to_string(),
        key: key.clone(),
    };
    let stored = StoredOut {
        head: &state.head,
        commits: state.commits,
        violations: &state.violations,
        current: &state.current,
        prompts: EncodedPrompts(&state.prompts),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".history-")
        .tempfile_in(dir)?;
    {
        let mut out = Sealing {
            inner: std::io::BufWriter::new(temp.as_file_mut()),
            hasher: Sha256::new(),
        };
        postcard::to_io(&header, &mut out)?;
        postcard::to_io(&stored, &mut out)?;
        let sum = out.hasher.finalize();
        out.inner.write_all(&sum)?;
        out.inner.flush()?;
    }
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// [`Stored`] as written: the same encoding, from borrowed parts.
#[derive(Serialize)]
struct StoredOut<'a> {
    head: &'a Option<String>,
    commits: usize,
    violations: &'a Vec<StateViolation>,
    current: &'a BTreeMap<String, (String, String)>,
    prompts: EncodedPrompts<'a>,
}

/// Each prompt's history encoded on its own, as `Stored::prompts` reads it.
struct EncodedPrompts<'a>(&'a BTreeMap<String, StatePrompt>);

impl Serialize for EncodedPrompts<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeSeq as _};
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for (name, prompt) in self.0 {
            let encoded = postcard::to_stdvec(prompt).map_err(S::Error::custom)?;
            seq.serialize_element(&(name.as_str(), serde_bytes::Bytes::new(&encoded)))?;
        }
        seq.end()
    }
}

/// A writer that also hashes what goes through it: the file ends with the
/// checksum of everything before it. A cache damaged in a way that still
/// decodes (a flipped byte in a version, a commit id or a count) would
/// otherwise be believed and give wrong answers. SHA-256, whose output is
/// fixed by its standard (std's `DefaultHasher` promises no stability
/// across Rust releases).
struct Sealing<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for Sealing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
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
    if !path.exists() {
        return Health::Missing;
    }
    let Some(bytes) = crate::output::files::read_at_most(path, MAX_CACHE_BYTES) else {
        return Health::Damaged;
    };
    let Some(Ok((header, _))) = unseal(&bytes).map(postcard::take_from_bytes::<Header>) else {
        return Health::Damaged;
    };
    if header.format != FORMAT
        || header.promptreg != env!("CARGO_PKG_VERSION")
        || &header.key != key
    {
        return Health::Outdated;
    }
    match load(path, key, None) {
        Some(state) => Health::Valid {
            head: state.head().map(str::to_string),
        },
        None => Health::Damaged,
    }
}

/// The bytes before the checksum [`store`] appends, when it matches.
fn unseal(file: &[u8]) -> Option<&[u8]> {
    let (body, sum) = file.split_at_checked(file.len().checked_sub(SEAL)?)?;
    (Sha256::digest(body).as_slice() == sum).then_some(body)
}
