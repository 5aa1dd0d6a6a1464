//! The history cache under `.git/promptreg/`: the walk's state at a mainline
//! commit, so the next run only walks the commits added since. Never in the
//! working tree; written atomically; a file that does not decode, from
//! another promptreg version or for another prompts directory is ignored.

use crate::history::state::{StatePrompt, StateViolation, WalkState};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

/// Bumped whenever the stored layout changes (6: each prompt sealed on its
/// own, the index at the end; 5: a SHA-256 seal; 4: only usable files are
/// released).
const FORMAT: u32 = 6;

/// The largest cache file read (512 MiB; a registry of 10,000 prompts with
/// long histories stores about 12 MB). Its size is checked before it is
/// read, so a damaged or hostile huge file is ignored at once.
pub const MAX_CACHE_BYTES: u64 = 512 * 1024 * 1024;

/// Bytes of a seal: a SHA-256.
const SEAL: usize = 32;

/// The file's last bytes: the index's length (u64, little-endian) and seal.
const TRAILER: usize = 8 + SEAL;

/// What a cache file must match to be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    /// The prompts directory, relative to the repository root.
    pub prompts_dir: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Header {
    format: u32,
    promptreg: String,
    key: Key,
}

impl Header {
    fn current(key: &Key) -> Header {
        Header {
            format: FORMAT,
            promptreg: env!("CARGO_PKG_VERSION").to_string(),
            key: key.clone(),
        }
    }
}

/// The index at the end of the file (docs/DESIGN.md §4): everything but
/// the prompts' histories, and per prompt the length and SHA-256 of its
/// part, so one prompt is read, checked and decoded alone.
#[derive(Serialize, Deserialize)]
struct Index {
    header: Header,
    /// Where the first prompt's part starts (after the unsealed header).
    parts_start: u64,
    head: Option<String>,
    commits: usize,
    violations: Vec<StateViolation>,
    current: BTreeMap<String, (String, String)>,
    prompts: Vec<(String, u64, [u8; SEAL])>,
}

/// The cached state, or `None` when there is no usable cache. With `only`,
/// the state holds those prompts alone (enough to answer about them; never
/// extended nor stored), and only the index and their parts are read.
pub fn load(path: &Path, key: &Key, only: Option<&BTreeSet<String>>) -> Option<WalkState> {
    let mut file = std::fs::File::open(path).ok()?;
    let (index, parts_end) = read_index(&mut file)?;
    if index.header != Header::current(key) {
        return None;
    }
    // The parts fill the space between the header and the index exactly.
    let mut offset = index.parts_start;
    let mut spans = Vec::with_capacity(index.prompts.len());
    for (_, len, _) in &index.prompts {
        spans.push(offset);
        offset = offset.checked_add(*len)?;
    }
    if offset != parts_end {
        return None;
    }
    let mut prompts = BTreeMap::new();
    let mut decode = |name: &str, bytes: &[u8], sum: &[u8; SEAL]| -> Option<()> {
        if Sha256::digest(bytes).as_slice() != sum {
            return None;
        }
        let prompt: StatePrompt = postcard::from_bytes(bytes).ok()?;
        prompts.insert(name.to_string(), prompt);
        Some(())
    };
    match only {
        Some(only) => {
            for (i, (name, len, sum)) in index.prompts.iter().enumerate() {
                if only.contains(name) {
                    let bytes = read_span(&mut file, spans[i], *len)?;
                    decode(name, &bytes, sum)?;
                }
            }
        }
        None => {
            let all = read_span(&mut file, index.parts_start, parts_end - index.parts_start)?;
            for ((name, len, sum), start) in index.prompts.iter().zip(&spans) {
                let at = usize::try_from(start - index.parts_start).ok()?;
                let bytes = all.get(at..at.checked_add(usize::try_from(*len).ok()?)?)?;
                decode(name, bytes, sum)?;
            }
        }
    }
    Some(WalkState {
        head: index.head,
        commits: index.commits,
        prompts,
        violations: index.violations,
        current: index.current,
    })
}

/// The sealed index and where it starts (the end of the parts), for a file
/// no larger than [`MAX_CACHE_BYTES`].
fn read_index(file: &mut std::fs::File) -> Option<(Index, u64)> {
    let size = file.metadata().ok()?.len();
    if size > MAX_CACHE_BYTES || size < TRAILER as u64 {
        return None;
    }
    let trailer = read_span(file, size - TRAILER as u64, TRAILER as u64)?;
    let (len, seal) = trailer.split_at(8);
    let len = u64::from_le_bytes(len.try_into().ok()?);
    let start = (size - TRAILER as u64).checked_sub(len)?;
    let bytes = read_span(file, start, len)?;
    if Sha256::digest(&bytes).as_slice() != seal {
        return None;
    }
    let index: Index = postcard::from_bytes(&bytes).ok()?;
    (index.parts_start <= start).then_some((index, start))
}

/// `len` bytes at `offset` (the caller has checked both against the size).
fn read_span(file: &mut std::fs::File, offset: u64, len: u64) -> Option<Vec<u8>> {
    use std::io::{Read as _, Seek as _};
    file.seek(std::io::SeekFrom::Start(offset)).ok()?;
    let mut bytes = vec![0; usize::try_from(len).ok()?];
    file.read_exact(&mut bytes).ok()?;
    Some(bytes)
}

/// Writes the cache atomically: a temporary file in the same directory,
/// renamed over the old one, so a concurrent reader sees one or the other.
/// The prompts are written one at a time as they are encoded, the index
/// after them.
pub fn store(path: &Path, key: &Key, state: &WalkState) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let header = Header::current(key);
    let mut temp = tempfile::Builder::new()
        .prefix(".history-")
        .tempfile_in(dir)?;
    {
        let mut out = std::io::BufWriter::new(temp.as_file_mut());
        // Unsealed, for `health` to tell another version from damage.
        let head = postcard::to_stdvec(&header)?;
        out.write_all(&head)?;
        let mut prompts = Vec::with_capacity(state.prompts.len());
        for (name, prompt) in &state.prompts {
            let encoded = postcard::to_stdvec(prompt)?;
            out.write_all(&encoded)?;
            let sum: [u8; SEAL] = Sha256::digest(&encoded).into();
            prompts.push((name.clone(), encoded.len() as u64, sum));
        }
        let index = IndexOut {
            header: &header,
            parts_start: head.len() as u64,
            head: &state.head,
            commits: state.commits,
            violations: &state.violations,
            current: &state.current,
            prompts: &prompts,
        };
        let index = postcard::to_stdvec(&index)?;
        out.write_all(&index)?;
        out.write_all(&(index.len() as u64).to_le_bytes())?;
        out.write_all(&Sha256::digest(&index))?;
        out.flush()?;
    }
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// [`Index`] as written: the same encoding, from borrowed parts.
#[derive(Serialize)]
struct IndexOut<'a> {
    header: &'a Header,
    parts_start: u64,
    head: &'a Option<String>,
    commits: usize,
    violations: &'a Vec<StateViolation>,
    current: &'a BTreeMap<String, (String, String)>,
    prompts: &'a Vec<(String, u64, [u8; SEAL])>,
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
    // The header at the start is not sealed: it only tells a file of
    // another version (or prompts directory) from a damaged one.
    let start = std::fs::File::open(path).ok().and_then(|mut f| {
        let size = f.metadata().ok()?.len();
        if size > MAX_CACHE_BYTES {
            return None;
        }
        read_span(&mut f, 0, size.min(64 * 1024))
    });
    let Some(start) = start else {
        return Health::Damaged;
    };
    match postcard::take_from_bytes::<Header>(&start) {
        Ok((header, _)) if header != Header::current(key) => return Health::Outdated,
        Ok(_) => {}
        Err(_) => return Health::Damaged,
    }
    match load(path, key, None) {
        Some(state) => Health::Valid {
            head: state.head().map(str::to_string),
        },
        None => Health::Damaged,
    }
}
