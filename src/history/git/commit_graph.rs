//! A reader of Git's commit-graph file and its changed-path Bloom filters
//! (docs/DESIGN.md §3, "The mainline from the commit-graph"), in the format
//! of Git's `Documentation/gitformat-commit-graph.txt`.
//!
//! libgit2 ignores the Bloom filters, and the released `gix-commitgraph`
//! (0.43) does not read the `BIDX`/`BDAT` chunks, so this is the small
//! part of the format a first-parent walk
//! needs: commit ids (`OIDF`, `OIDL`), root trees and first parents
//! (`CDAT`), and the filters (`BIDX`, `BDAT`), for a single file or a
//! chain of split files. Anything unexpected makes the whole graph unused
//! (`open` returns `None`): the walk then reads commit objects, which is
//! slower and gives the same answer.

use std::path::Path;

/// Git's "no parent" value in `CDAT`.
const NO_PARENT: u32 = 0x7000_0000;
/// SHA-1, the only object format promptreg reads.
const HASH_LEN: usize = 20;
/// `CDAT` row: root tree id, two parent positions, generation and date.
const CDAT_ROW: usize = HASH_LEN + 16;
/// A chain deeper than this is not one Git wrote.
const MAX_LAYERS: usize = 64;

/// The commit-graph of a repository: its layers, base first.
pub(crate) struct CommitGraph {
    layers: Vec<Layer>,
}

/// One commit-graph file.
struct Layer {
    data: Vec<u8>,
    /// Commits in the layers below this one.
    base: u32,
    count: u32,
    fanout: usize,
    oids: usize,
    cdat: usize,
    bloom: Option<Bloom>,
}

/// Where a layer's Bloom filters are, and how they were made.
struct Bloom {
    /// `BIDX`: per commit, the end of its filter in `BDAT`'s data.
    index: usize,
    /// The first filter byte (after `BDAT`'s 12-byte header).
    data: usize,
    data_len: usize,
    hash_version: u32,
    num_hashes: u32,
}

/// What a Bloom filter says about a set of paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Filter {
    /// None of the paths changed against the first parent.
    Unchanged,
    /// Some may have changed, or the filter cannot tell.
    Maybe,
}

/// A commit as the commit-graph records it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GraphCommit {
    pub id: git2::Oid,
    pub tree: git2::Oid,
    /// The first parent's position, if the commit has parents.
    pub parent: Option<u32>,
}

/// The Bloom keys of a path and of each directory above it, as Git makes
/// them: a changed path's leading directories are in its commit's filter,
/// so a filter missing any of them rules the path out.
#[derive(Debug, Clone, Default)]
pub(crate) struct PathKeys {
    /// Per path: (murmur3 with seed 0, seed 1) for hash version 2, and
    /// whether version 1 gives the same (only bytes below 0x80).
    keys: Vec<(u32, u32, bool)>,
}

impl PathKeys {
    /// The keys of `path` (`a/b/c`: `a/b/c`, `a/b` and `a`). No keys (the
    /// repository root) rule nothing out.
    pub fn new(path: &str) -> PathKeys {
        let path = path.trim_matches('/');
        let mut keys = Vec::new();
        if !path.is_empty() {
            let mut end = path.len();
            loop {
                let key = &path.as_bytes()[..end];
                keys.push((
                    murmur3(0x293a_e76f, key),
                    murmur3(0x7e64_6e2c, key),
                    key.is_ascii(),
                ));
                match path[..end].rfind('/') {
                    Some(slash) => end = slash,
                    None => break,
                }
            }
        }
        PathKeys { keys }
    }
}

impl CommitGraph {
    /// The commit-graph of the repository whose object directory is
    /// `objects`: `info/commit-graph`, or the chain in
    /// `info/commit-graphs/`. `None` when there is none or it cannot be
    /// used (damaged, another hash, unknown version).
    pub fn open(objects: &Path) -> Option<CommitGraph> {
        let info = objects.join("info");
        let chain = info.join("commit-graphs");
        let mut layers = Vec::new();
        if let Ok(list) = std::fs::read_to_string(chain.join("commit-graph-chain")) {
            // Git prefers the chain when both exist.
            let hashes: Vec<&str> = list.lines().filter(|l| !l.is_empty()).collect();
            if hashes.is_empty() || hashes.len() > MAX_LAYERS {
                return None;
            }
            let mut base = 0u32;
            for (depth, hash) in hashes.iter().enumerate() {
                if hash.len() != 2 * HASH_LEN || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                let data = std::fs::read(chain.join(format!("graph-{hash}.graph"))).ok()?;
                let layer = Layer::parse(data, base, depth)?;
                base = base.checked_add(layer.count)?;
                layers.push(layer);
            }
        } else {
            let data = std::fs::read(info.join("commit-graph")).ok()?;
            layers.push(Layer::parse(data, 0, 0)?);
        }
        // Positions are u32 and parents stay below NO_PARENT.
        let total = layers.iter().map(|l| u64::from(l.count)).sum::<u64>();
        (total < u64::from(NO_PARENT)).then_some(CommitGraph { layers })
    }

    /// Whether any layer has Bloom filters.
    pub fn has_bloom_filters(&self) -> bool {
        self.layers.iter().any(|l| l.bloom.is_some())
    }

    /// The position of a commit in the graph, if it is there.
    pub fn position(&self, id: git2::Oid) -> Option<u32> {
        self.layers
            .iter()
            .rev()
            .find_map(|layer| layer.find(id.as_bytes()).map(|i| layer.base + i))
    }

    /// The commit at a position; `None` for a position out of range or a
    /// damaged row.
    pub fn commit(&self, position: u32) -> Option<GraphCommit> {
        let (layer, i) = self.layer_of(position)?;
        let id = layer.slice(layer.oids + i as usize * HASH_LEN, HASH_LEN)?;
        let row = layer.slice(layer.cdat + i as usize * CDAT_ROW, CDAT_ROW)?;
        let parent = be32(&row[HASH_LEN..])?;
        let parent = match parent {
            NO_PARENT => None,
            p if p & 0x8000_0000 != 0 => return None,
            // A parent lies in this layer or below it.
            p if p >= layer.base + layer.count => return None,
            p => Some(p),
        };
        Some(GraphCommit {
            id: git2::Oid::from_bytes(id).ok()?,
            tree: git2::Oid::from_bytes(&row[..HASH_LEN]).ok()?,
            parent,
        })
    }

    /// What the commit's changed-path filter says about `keys` (against its
    /// first parent).
    pub fn filter(&self, position: u32, keys: &PathKeys) -> Filter {
        self.filter_at(position, keys).unwrap_or(Filter::Maybe)
    }

    fn filter_at(&self, position: u32, keys: &PathKeys) -> Option<Filter> {
        if keys.keys.is_empty() {
            return None;
        }
        let (layer, i) = self.layer_of(position)?;
        let bloom = layer.bloom.as_ref()?;
        let end = be32(layer.slice(bloom.index + i as usize * 4, 4)?)? as usize;
        let start = match i {
            0 => 0,
            _ => be32(layer.slice(bloom.index + (i as usize - 1) * 4, 4)?)? as usize,
        };
        if start > end || end > bloom.data_len {
            return None;
        }
        let filter = layer.slice(bloom.data + start, end - start)?;
        // An empty filter was not computed: it cannot rule anything out.
        let bits = (filter.len() as u64) * 8;
        if bits == 0 {
            return None;
        }
        for &(h0, h1, ascii) in &keys.keys {
            // Version 1 hashed bytes above 0x7f as signed chars: only
            // ASCII keys hash the same in both versions.
            if bloom.hash_version == 1 && !ascii {
                return None;
            }
            let present = (0..bloom.num_hashes).all(|n| {
                let hash = u64::from(h0.wrapping_add(n.wrapping_mul(h1))) % bits;
                filter[(hash / 8) as usize] & (1 << (hash % 8)) != 0
            });
            if !present {
                return Some(Filter::Unchanged);
            }
        }
        Some(Filter::Maybe)
    }

    fn layer_of(&self, position: u32) -> Option<(&Layer, u32)> {
        let layer = self
            .layers
            .iter()
            .find(|l| position >= l.base && position - l.base < l.count)?;
        Some((layer, position - layer.base))
    }
}

impl Layer {
    fn parse(data: Vec<u8>, base: u32, depth: usize) -> Option<Layer> {
        // Header: CGPH, version 1, hash version 1 (SHA-1), chunk count,
        // base graph count.
        if data.len() < 8 || &data[..4] != b"CGPH" || data[4] != 1 || data[5] != 1 {
            return None;
        }
        if usize::from(data[7]) != depth {
            return None;
        }
        let chunks = usize::from(data[6]);
        // The table of contents: chunks + 1 rows of (id, offset), the last
        // one marking the end; the file ends with its own hash.
        let toc = 8;
        let body_end = data.len().checked_sub(HASH_LEN)?;
        let mut table = Vec::with_capacity(chunks);
        for row in 0..=chunks {
            let at = toc + row * 12;
            let id: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
            let offset = usize::try_from(be64(data.get(at + 4..at + 12)?)?).ok()?;
            if offset > body_end {
                return None;
            }
            table.push((id, offset));
        }
        if table.windows(2).any(|w| w[0].1 > w[1].1) || table.last()?.0 != [0; 4] {
            return None;
        }
        let chunk = |name: &[u8; 4]| {
            table
                .windows(2)
                .find(|w| &w[0].0 == name)
                .map(|w| (w[0].1, w[1].1 - w[0].1))
        };
        let (fanout, fanout_len) = chunk(b"OIDF")?;
        let (oids, oids_len) = chunk(b"OIDL")?;
        let (cdat, cdat_len) = chunk(b"CDAT")?;
        if fanout_len != 256 * 4 {
            return None;
        }
        let count = be32(data.get(fanout + 255 * 4..fanout + 256 * 4)?)?;
        if oids_len != count as usize * HASH_LEN || cdat_len != count as usize * CDAT_ROW {
            return None;
        }
        let mut layer = Layer {
            data,
            base,
            count,
            fanout,
            oids,
            cdat,
            bloom: None,
        };
        if let (Some((index, index_len)), Some((bdat, bdat_len))) = (chunk(b"BIDX"), chunk(b"BDAT"))
        {
            let header = layer.slice(bdat, 12)?;
            let (hash_version, num_hashes) = (be32(header)?, be32(&header[4..])?);
            // Unknown hash versions or settings: the filters are not used.
            if index_len == count as usize * 4
                && bdat_len >= 12
                && matches!(hash_version, 1 | 2)
                && (1..=32).contains(&num_hashes)
            {
                layer.bloom = Some(Bloom {
                    index,
                    data: bdat + 12,
                    data_len: bdat_len - 12,
                    hash_version,
                    num_hashes,
                });
            }
        }
        Some(layer)
    }

    fn slice(&self, at: usize, len: usize) -> Option<&[u8]> {
        self.data.get(at..at.checked_add(len)?)
    }

    /// The position of an id in this layer (the fanout narrows a binary
    /// search of the sorted ids).
    fn find(&self, id: &[u8]) -> Option<u32> {
        let first = usize::from(*id.first()?);
        let lo = match first {
            0 => 0,
            f => be32(self.slice(self.fanout + (f - 1) * 4, 4)?)?,
        };
        let hi = be32(self.slice(self.fanout + first * 4, 4)?)?;
        let (mut lo, mut hi) = (lo, hi.min(self.count));
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let at = self.slice(self.oids + mid as usize * HASH_LEN, HASH_LEN)?;
            match at.cmp(id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }
}

fn be32(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?))
}

fn be64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?))
}

/// 32-bit MurmurHash3, as Git's Bloom filters of hash version 2 use it.
fn murmur3(seed: u32, data: &[u8]) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h = seed;
    let mut blocks = data.chunks_exact(4);
    for block in &mut blocks {
        let mut k = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        let mut k = 0u32;
        for (i, &b) in tail.iter().enumerate() {
            k ^= u32::from(b) << (8 * i);
        }
        h ^= k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    }
    // Git hashes paths far shorter than 4 GiB.
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur3_gives_the_reference_values() {
        assert_eq!(murmur3(0, b""), 0);
        assert_eq!(murmur3(1, b""), 0x514e_28b7);
        assert_eq!(murmur3(0, b"Hello world!"), 0x627b_0c2c);
        assert_eq!(
            murmur3(0, b"The quick brown fox jumps over the lazy dog"),
            0x2e4f_f723
        );
    }

    #[test]
    fn keys_probe_the_bits_git_sets() {
        // Git's t0095-bloom.sh: the seven hashes of the empty path.
        let (h0, h1) = (murmur3(0x293a_e76f, b""), murmur3(0x7e64_6e2c, b""));
        let hashes: Vec<u32> = (0..7u32)
            .map(|n| h0.wrapping_add(n.wrapping_mul(h1)))
            .collect();
        assert_eq!(
            hashes,
            [
                0x5615_800c,
                0x5b96_6560,
                0x6117_4ab4,
                0x6698_3008,
                0x6c19_155c,
                0x7199_fab0,
                0x771a_e004
            ]
        );
    }

    #[test]
    fn keys_cover_each_leading_directory() {
        assert_eq!(PathKeys::new("a/b/c").keys.len(), 3);
        assert_eq!(PathKeys::new("prompts/").keys.len(), 1);
        assert!(PathKeys::new("").keys.is_empty());
    }

    #[test]
    fn damaged_files_are_not_used() {
        for bad in [&b""[..], b"CGPH", b"CGPH\x01\x01\x03\x00", &[0u8; 64]] {
            assert!(Layer::parse(bad.to_vec(), 0, 0).is_none());
        }
    }
}
