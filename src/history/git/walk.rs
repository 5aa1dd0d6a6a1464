//! The first-parent walk that finds which prompt files each mainline commit
//! changes (docs/DESIGN.md §3): tree entry ids compared along the prompts
//! path, descending only into subtrees whose ids differ.
//!
//! Trees are read as raw objects and their entries compared in place: going
//! through libgit2's parsed trees costs an allocation per tree, a number
//! parse and a `strlen` per entry and a call per field, which on a registry
//! of 1,000 prompts in one directory was a third of the walk.

use super::commit_graph::Filter;
use super::{read_object, CommitInfo, FileChange, MainlineCommit, Repo};
use anyhow::{Context as _, Result};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::rc::Rc;

impl Repo {
    /// Walks the first-parent history from `start`, newest first, and lists
    /// for each commit the `*.prompt.yaml` files under `dir` (relative to the
    /// registry root) that it adds, changes or deletes. Compares tree entry
    /// ids and descends only into subtrees whose ids differ: no full diffs.
    ///
    /// Consecutive commits that change no prompt file are one entry
    /// ([`MainlineCommit::commits`]).
    ///
    /// Stops before `stop_at` (a commit already processed, e.g. by a cache)
    /// and says whether it was met; `progress` is told the count of commits
    /// walked so far, and `found` each new blob id as soon as it is seen.
    pub fn first_parent_changes(
        &self,
        start: &str,
        dir: &str,
        suffix: &str,
        stop_at: Option<&str>,
        progress: &mut dyn FnMut(usize),
        found: &mut dyn FnMut(&str),
    ) -> Result<(Vec<MainlineCommit>, bool)> {
        let dir = self.repo_path(dir);
        let dir = dir.trim_end_matches('/');
        let dirs: Vec<&[u8]> = dir
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .map(str::as_bytes)
            .collect();
        let keys = String::from_utf8_lossy(&dirs.join(&b'/')).into_owned();
        let stop_at = stop_at.map(git2::Oid::from_str).transpose()?;
        let mut out = Vec::new();
        let mut mainline = self.mainline(git2::Oid::from_str(start)?, &keys)?;
        let odb = self.inner.odb()?;
        let Some(mut commit) = mainline.next_link()? else {
            return Ok((out, false));
        };
        let mut subtree = raw_subtree(&odb, commit.tree, &dirs)?;
        let walk = TreeWalk { odb: &odb, suffix };
        let mut trees = TreeMemo::default();
        let mut walked = 0usize;
        loop {
            if Some(commit.id) == stop_at {
                return Ok((out, true));
            }
            if walked.is_multiple_of(1024) {
                progress(walked);
            }
            let parent = match commit.has_parent {
                true => mainline.next_link()?,
                false => None,
            };
            let parent_subtree = match &parent {
                // The commit's Bloom filter rules out a change under the
                // prompts directory: the parent's tree is not read.
                Some(_) if commit.filter == Filter::Unchanged => subtree,
                Some(p) => raw_subtree(&odb, p.tree, &dirs)?,
                None => None,
            };
            let mut changes = Vec::new();
            if subtree != parent_subtree {
                let new = subtree.map(|id| walk.tree(&mut trees, id)).transpose()?;
                let old = parent_subtree
                    .map(|id| walk.tree(&mut trees, id))
                    .transpose()?;
                walk.diff(&mut trees, old.as_deref(), new.as_deref(), "", &mut changes)
                    .with_context(|| {
                        format!("cannot compare the prompts of commit {}", commit.id)
                    })?;
                for blob in changes.iter().filter_map(|c| c.blob.as_deref()) {
                    found(blob);
                }
            }
            trees.next_commit();
            // The commits that leave prompts alone (97 % of a monorepo's)
            // are one entry per run, and their authors are not read
            // (docs/DESIGN.md §3).
            walked += 1;
            if changes.is_empty() {
                super::push_walked(&mut out, changes, CommitInfo::default);
            } else {
                let info = self.commit_info_of(commit.id)?;
                super::push_walked(&mut out, changes, || info);
            }
            match parent {
                Some(p) => {
                    commit = p;
                    subtree = parent_subtree;
                }
                None => break,
            }
        }
        Ok((out, false))
    }
}

impl Repo {
    /// The first-parent walk of one file (docs/DESIGN.md §3, "One prompt,
    /// cold"): from `start` to the root, newest first, what each commit did
    /// to `file` (a path under `dir`, relative to the registry root) against
    /// its first parent. Only the trees along the file's path are read, and
    /// a level whose id is the child commit's is not read again.
    ///
    /// Every mainline commit is counted, so positions match the full walk's;
    /// consecutive commits that leave the file alone are one entry
    /// ([`MainlineCommit::commits`]). The changes are the
    /// ones `first_parent_changes` lists for that path: `found` is told each
    /// new blob id as it is seen.
    pub fn first_parent_path_changes(
        &self,
        start: &str,
        dir: &str,
        file: &str,
        progress: &mut dyn FnMut(usize),
        found: &mut dyn FnMut(&str),
    ) -> Result<Vec<MainlineCommit>> {
        let full = self.repo_path(&format!("{}/{file}", dir.trim_end_matches('/')));
        let components: Vec<&[u8]> = full
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .map(str::as_bytes)
            .collect();
        let Some((leaf_name, dirs)) = components.split_last() else {
            return Ok(Vec::new());
        };
        let odb = self.inner.odb()?;
        let path = PathWalk {
            odb: &odb,
            dirs,
            leaf: leaf_name,
        };
        let mut out = Vec::new();
        let keys = String::from_utf8_lossy(&components.join(&b'/')).into_owned();
        let mut mainline = self.mainline(git2::Oid::from_str(start)?, &keys)?;
        let Some(mut commit) = mainline.next_link()? else {
            return Ok(out);
        };
        let mut here = path.resolve(commit.tree, None)?;
        let mut walked = 0usize;
        loop {
            if walked.is_multiple_of(1024) {
                progress(walked);
            }
            walked += 1;
            let parent = match commit.has_parent {
                true => mainline.next_link()?,
                false => None,
            };
            let there = match &parent {
                // The Bloom filter rules out a change at the path: the
                // parent has the same entry, and `here`'s trees still lead
                // to it.
                Some(_) if commit.filter == Filter::Unchanged => std::mem::take(&mut here),
                Some(p) => path.resolve(p.tree, Some(&here))?,
                None => PathAt::default(),
            };
            let change = match commit.filter {
                Filter::Unchanged if parent.is_some() => None,
                _ => leaf_change(there.leaf, here.leaf, file)?,
            };
            if let Some(blob) = change.as_ref().and_then(|c| c.blob.as_deref()) {
                found(blob);
            }
            match change {
                None => super::push_walked(&mut out, Vec::new(), CommitInfo::default),
                Some(change) => {
                    let info = self.commit_info_of(commit.id)?;
                    super::push_walked(&mut out, vec![change], || info);
                }
            }
            match parent {
                Some(p) => {
                    commit = p;
                    here = there;
                }
                None => break,
            }
        }
        Ok(out)
    }
}

/// The id of the tree at the path `dirs` under the root tree `root`, read
/// as raw trees; `None` when there is no tree there.
fn raw_subtree(odb: &git2::Odb<'_>, root: git2::Oid, dirs: &[&[u8]]) -> Result<Option<git2::Oid>> {
    let mut id = root;
    for dir in dirs {
        let tree = read_object(odb, id, git2::ObjectType::Tree)?;
        match find_entry(tree.data(), dir, Kind::Tree)? {
            Some(entry) => id = oid(entry.id)?,
            None => return Ok(None),
        }
    }
    Ok(Some(id))
}

/// The non-tree entry at a path: its kind, mode and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Leaf {
    kind: Kind,
    mode: u32,
    id: git2::Oid,
}

/// A commit's trees along a path (`trees[0]` is the root tree; fewer than
/// the path's directories when one is missing) and the entry at its end.
#[derive(Debug, Default)]
struct PathAt {
    trees: Vec<git2::Oid>,
    leaf: Option<Leaf>,
}

/// What `first_parent_changes` records for one prompt path between the
/// entry there in the parent (`old`) and in the commit (`new`): the same
/// rules as [`TreeWalk::changed`] and [`TreeWalk::removed`], for one name.
fn leaf_change(old: Option<Leaf>, new: Option<Leaf>, path: &str) -> Result<Option<FileChange>> {
    let file = |leaf: &Leaf| FileChange {
        path: path.to_string(),
        blob: Some(leaf.id.to_string()),
    };
    let gone = || FileChange {
        path: path.to_string(),
        blob: None,
    };
    Ok(match (old, new) {
        (Some(o), Some(n)) if o.id == n.id && o.mode == n.mode => None,
        (_, Some(n)) if n.kind == Kind::File => Some(file(&n)),
        (Some(o), Some(_)) if o.kind == Kind::File => Some(gone()),
        (Some(o), None) if o.kind == Kind::File => Some(gone()),
        _ => None,
    })
}

/// Resolves one path in commits' trees.
struct PathWalk<'o, 'p> {
    odb: &'o git2::Odb<'o>,
    /// The directories, from the root.
    dirs: &'p [&'p [u8]],
    leaf: &'p [u8],
}

impl PathWalk<'_, '_> {
    /// The trees and entry along the path from the root tree `root`.
    /// `known` is the path in another commit (the child): from the first
    /// level whose tree id is the same, the rest is the same too and is not
    /// read.
    fn resolve(&self, root: git2::Oid, known: Option<&PathAt>) -> Result<PathAt> {
        let mut trees = Vec::with_capacity(self.dirs.len() + 1);
        let mut id = root;
        for level in 0..=self.dirs.len() {
            if let Some(known) = known {
                if known.trees.get(level) == Some(&id) {
                    trees.extend_from_slice(&known.trees[level..]);
                    return Ok(PathAt {
                        trees,
                        leaf: known.leaf,
                    });
                }
            }
            trees.push(id);
            let tree = read_object(self.odb, id, git2::ObjectType::Tree)?;
            let (name, kind) = match self.dirs.get(level) {
                Some(dir) => (*dir, Kind::Tree),
                None => (self.leaf, Kind::File),
            };
            let Some(entry) = find_entry(tree.data(), name, kind)? else {
                return Ok(PathAt { trees, leaf: None });
            };
            if kind == Kind::Tree {
                id = oid(entry.id)?;
            } else {
                return Ok(PathAt {
                    trees,
                    leaf: Some(Leaf {
                        kind: entry.kind,
                        mode: entry.mode,
                        id: oid(entry.id)?,
                    }),
                });
            }
        }
        unreachable!("the loop returns at the leaf")
    }
}

/// The entry of a raw tree with this name that is a tree (`Kind::Tree`) or
/// not one (any other kind), as the merge of [`differing`] pairs them: the
/// first in Git's order.
fn find_entry<'t>(data: &'t [u8], name: &[u8], kind: Kind) -> Result<Option<Entry<'t>>> {
    let wanted = Entry {
        kind,
        mode: 0,
        name,
        id: &[],
    };
    for entry in entries(data) {
        let entry = entry?;
        match git_order(&entry, &wanted) {
            Ordering::Less => {}
            Ordering::Equal => return Ok(Some(entry)),
            Ordering::Greater => return Ok(None),
        }
    }
    Ok(None)
}

/// A tree object's bytes: entries `<octal mode> <name>\0<20-byte id>`.
type RawTree<'o> = Rc<git2::OdbObject<'o>>;

/// One entry of a raw tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry<'t> {
    /// The mode's type bits, as libgit2 normalises them (see [`Kind`]).
    kind: Kind,
    /// The mode as written, to notice a change of mode alone.
    mode: u32,
    name: &'t [u8],
    id: &'t [u8],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Tree,
    File,
    Link,
    Submodule,
}

impl Kind {
    /// libgit2's reading of a mode: the type bits, and anything else a
    /// regular file.
    fn of(mode: u32) -> Kind {
        match mode & 0o170000 {
            0o040000 => Kind::Tree,
            0o120000 => Kind::Link,
            0o160000 => Kind::Submodule,
            _ => Kind::File,
        }
    }
}

/// The entries of a raw tree, in the order Git stores them.
fn entries(data: &[u8]) -> impl Iterator<Item = Result<Entry<'_>>> + '_ {
    let mut rest = data;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let entry = next_entry(&mut rest);
        if entry.is_err() {
            // Nothing after a damaged entry can be read.
            rest = &[];
        }
        Some(entry)
    })
}

/// The error for a tree object that is not one.
fn damaged(why: &str) -> anyhow::Error {
    promptreg_core::error::fail(format!("a tree object is damaged: {why}"))
        .hint("run `git fsck` to see what is damaged; a fresh clone restores the objects")
        .into()
}

fn next_entry<'t>(rest: &mut &'t [u8]) -> Result<Entry<'t>> {
    let data: &'t [u8] = rest;
    let Some(space) = memchr::memchr(b' ', data) else {
        return Err(damaged("an entry has no mode"));
    };
    let mut mode = 0u32;
    for &digit in &data[..space] {
        if !(b'0'..=b'7').contains(&digit) || mode > 0o7777777 {
            return Err(damaged("an entry has a bad mode"));
        }
        mode = mode * 8 + u32::from(digit - b'0');
    }
    let after = &data[space + 1..];
    let Some(nul) = memchr::memchr(0, after) else {
        return Err(damaged("an entry's name does not end"));
    };
    let (name, after) = (&after[..nul], &after[nul + 1..]);
    if after.len() < 20 {
        return Err(damaged("an entry's id is cut short"));
    }
    *rest = &after[20..];
    Ok(Entry {
        kind: Kind::of(mode),
        mode,
        name,
        id: &after[..20],
    })
}

/// Git's order of tree entries: by name, a tree's name compared as if it
/// ended with `/`. Equal only for the same name and the same kind of entry.
fn git_order(a: &Entry<'_>, b: &Entry<'_>) -> Ordering {
    // Names hold no '/' and no NUL, so past a common prefix the next bytes
    // always differ unless both names end there.
    let terminator = |e: &Entry<'_>| if e.kind == Kind::Tree { b'/' } else { 0 };
    let (x, y) = (a.name, b.name);
    let n = x.len().min(y.len());
    x[..n].cmp(&y[..n]).then_with(|| {
        let next_x = x.get(n).copied().unwrap_or_else(|| terminator(a));
        let next_y = y.get(n).copied().unwrap_or_else(|| terminator(b));
        next_x.cmp(&next_y)
    })
}

fn oid(id: &[u8]) -> Result<git2::Oid> {
    Ok(git2::Oid::from_bytes(id)?)
}

/// Calls `f` for each name whose entry differs between two raw trees:
/// `(old, None)` removed, `(None, new)` added, `(old, new)` changed (same
/// name and kind, other id or mode).
fn differing<'t>(
    old: &'t [u8],
    new: &'t [u8],
    mut f: impl FnMut(Option<Entry<'t>>, Option<Entry<'t>>) -> Result<()>,
) -> Result<()> {
    // A commit's tree and its parent's differ in an entry or two: the
    // entries they share at the start and at the end are skipped without
    // being parsed.
    let start = shared_entries_start(old, new);
    let same_tail = common_suffix_len(old, new);
    let mut old = Cursor::new(old, start)?;
    let mut new = Cursor::new(new, start)?;
    // Both trees are sorted the way Git sorts entries, so one merge pass
    // pairs them: no lookup by name (each would allocate and search).
    loop {
        if old.remaining() == new.remaining() && old.remaining() <= same_tail {
            return Ok(());
        }
        let order = match (&old.head, &new.head) {
            (Some(x), Some(y)) => git_order(x, y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => return Ok(()),
        };
        match order {
            Ordering::Less => f(Some(old.take()?), None)?,
            Ordering::Greater => f(None, Some(new.take()?))?,
            Ordering::Equal => {
                let (x, y) = (old.take()?, new.take()?);
                if x.id != y.id || x.mode != y.mode {
                    f(Some(x), Some(y))?;
                }
            }
        }
    }
}

/// A position in a raw tree: the entry there, parsed, and what follows.
struct Cursor<'t> {
    data: &'t [u8],
    /// Where `head` starts.
    at: usize,
    head: Option<Entry<'t>>,
    rest: &'t [u8],
}

impl<'t> Cursor<'t> {
    fn new(data: &'t [u8], at: usize) -> Result<Cursor<'t>> {
        let mut cursor = Cursor {
            data,
            at,
            head: None,
            rest: &data[at..],
        };
        cursor.head = cursor.parse()?;
        Ok(cursor)
    }

    fn parse(&mut self) -> Result<Option<Entry<'t>>> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        next_entry(&mut self.rest).map(Some)
    }

    /// The entry here; moves to the next one.
    fn take(&mut self) -> Result<Entry<'t>> {
        let head = self.head.take().expect("called with an entry");
        self.at = self.data.len() - self.rest.len();
        self.head = self.parse()?;
        Ok(head)
    }

    /// Bytes from the current entry to the end.
    fn remaining(&self) -> usize {
        self.data.len() - self.at
    }
}

/// Where the first entry that is not the same in both trees starts (both
/// trees' entries before it are byte for byte the same).
fn shared_entries_start(a: &[u8], b: &[u8]) -> usize {
    let same = common_prefix_len(a, b);
    let mut start = 0;
    // An entry is `<mode> <name>\0<20-byte id>`: the first NUL ends the name.
    while let Some(nul) = memchr::memchr(0, &a[start..same]) {
        let end = start + nul + 1 + 20;
        if end > same {
            break;
        }
        start = end;
    }
    start
}

fn common_prefix_len(a: &[u8], b: &[u8]) -> usize {
    const CHUNK: usize = 64;
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + CHUNK <= n && a[i..i + CHUNK] == b[i..i + CHUNK] {
        i += CHUNK;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

fn common_suffix_len(a: &[u8], b: &[u8]) -> usize {
    const CHUNK: usize = 64;
    let n = a.len().min(b.len());
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let mut i = 0;
    while i + CHUNK <= n && a[n - i - CHUNK..n - i] == b[n - i - CHUNK..n - i] {
        i += CHUNK;
    }
    while i < n && a[n - i - 1] == b[n - i - 1] {
        i += 1;
    }
    i
}

/// The trees a first-parent walk loaded for the commit before and for the
/// current one. A commit's parent is the next commit walked, so each tree
/// is read once rather than twice.
#[derive(Default)]
struct TreeMemo<'o> {
    previous: HashMap<git2::Oid, RawTree<'o>>,
    current: HashMap<git2::Oid, RawTree<'o>>,
}

impl TreeMemo<'_> {
    /// Moves on to the next commit: what was loaded now is the previous
    /// commit's, and older trees are dropped.
    fn next_commit(&mut self) {
        self.previous = std::mem::take(&mut self.current);
    }
}

/// Compares trees of one commit and its parent.
struct TreeWalk<'o> {
    odb: &'o git2::Odb<'o>,
    suffix: &'o str,
}

impl<'o> TreeWalk<'o> {
    /// The bytes of a tree, read once per pair of commits.
    fn tree(&self, trees: &mut TreeMemo<'o>, id: git2::Oid) -> Result<RawTree<'o>> {
        if let Some(tree) = trees.previous.get(&id).or_else(|| trees.current.get(&id)) {
            return Ok(Rc::clone(tree));
        }
        let object = read_object(self.odb, id, git2::ObjectType::Tree)?;
        let tree = Rc::new(object);
        trees.current.insert(id, Rc::clone(&tree));
        Ok(tree)
    }

    /// Lists the prompt files that differ between two trees.
    fn diff(
        &self,
        trees: &mut TreeMemo<'o>,
        old: Option<&git2::OdbObject<'o>>,
        new: Option<&git2::OdbObject<'o>>,
        prefix: &str,
        out: &mut Vec<FileChange>,
    ) -> Result<()> {
        let old = old.map_or(&[][..], |t| t.data());
        let new = new.map_or(&[][..], |t| t.data());
        differing(old, new, |x, y| match (x, y) {
            (Some(x), None) => match std::str::from_utf8(x.name) {
                Ok(name) => self.removed(&x, &format!("{prefix}{name}"), out),
                Err(_) => Ok(()),
            },
            (x, Some(y)) => self.changed(trees, x.as_ref(), &y, prefix, out),
            (None, None) => Ok(()),
        })
    }

    /// Records what changed at one name: `new` added (no `old`) or replacing
    /// `old` of the same kind (both trees, or both files).
    fn changed(
        &self,
        trees: &mut TreeMemo<'o>,
        old: Option<&Entry<'_>>,
        new: &Entry<'_>,
        prefix: &str,
        out: &mut Vec<FileChange>,
    ) -> Result<()> {
        let Ok(name) = std::str::from_utf8(new.name) else {
            return Ok(());
        };
        let path = format!("{prefix}{name}");
        if new.kind == Kind::Tree {
            let new_sub = self.tree(trees, oid(new.id)?)?;
            let old_sub = old.map(|o| self.tree(trees, oid(o.id)?)).transpose()?;
            return self.diff(
                trees,
                old_sub.as_deref(),
                Some(&new_sub),
                &format!("{path}/"),
                out,
            );
        }
        if !name.ends_with(self.suffix) {
            return Ok(());
        }
        if new.kind == Kind::File {
            out.push(FileChange {
                path,
                blob: Some(oid(new.id)?.to_string()),
            });
        } else if old.is_some_and(|o| o.kind == Kind::File) {
            // A prompt file became a link: as far as prompts go, it is gone.
            out.push(FileChange { path, blob: None });
        }
        Ok(())
    }

    /// Records every prompt file under a removed entry as deleted.
    fn removed(&self, entry: &Entry<'_>, path: &str, out: &mut Vec<FileChange>) -> Result<()> {
        match entry.kind {
            Kind::Tree => {
                let id = oid(entry.id)?;
                let tree = read_object(self.odb, id, git2::ObjectType::Tree)?;
                for child in entries(tree.data()) {
                    let child = child?;
                    let Ok(name) = std::str::from_utf8(child.name) else {
                        continue;
                    };
                    self.removed(&child, &format!("{path}/{name}"), out)?;
                }
            }
            Kind::File if path.ends_with(self.suffix) => out.push(FileChange {
                path: path.to_string(),
                blob: None,
            }),
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(entries: &[(&str, &str, u8)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (mode, name, fill) in entries {
            out.extend_from_slice(mode.as_bytes());
            out.push(b' ');
            out.extend_from_slice(name.as_bytes());
            out.push(0);
            // Ids that differ in their first byte only: the shared tail of
            // two trees then ends inside an entry.
            out.push(*fill);
            out.extend_from_slice(&[7; 19]);
        }
        out
    }

    #[test]
    fn reads_entries_and_their_kinds() {
        let data = raw(&[
            ("100644", "a.prompt.yaml", 1),
            ("100755", "b", 2),
            ("120000", "link", 3),
            ("160000", "module", 4),
            ("40000", "sub", 5),
            ("100664", "old-mode", 6),
        ]);
        let got: Vec<(Kind, u32, &[u8], u8)> = entries(&data)
            .map(|e| e.unwrap())
            .map(|e| (e.kind, e.mode, e.name, e.id[0]))
            .collect();
        assert_eq!(
            got,
            vec![
                (Kind::File, 0o100644, &b"a.prompt.yaml"[..], 1),
                (Kind::File, 0o100755, &b"b"[..], 2),
                (Kind::Link, 0o120000, &b"link"[..], 3),
                (Kind::Submodule, 0o160000, &b"module"[..], 4),
                (Kind::Tree, 0o40000, &b"sub"[..], 5),
                (Kind::File, 0o100664, &b"old-mode"[..], 6),
            ]
        );
    }

    #[test]
    fn refuses_damaged_trees() {
        let good = raw(&[("100644", "a", 1)]);
        for bad in [
            &good[..good.len() - 1], // id cut short
            &b"100644 name-without-end"[..],
            &b"10x644 a\0aaaaaaaaaaaaaaaaaaaa"[..],
            &b"no-space"[..],
            &b"77777777777 a\0aaaaaaaaaaaaaaaaaaaa"[..],
        ] {
            assert!(entries(bad).any(|e| e.is_err()), "{bad:?}");
        }
    }

    /// A differing pair of entries, by name: (old, new).
    type Pair = (Option<Vec<u8>>, Option<Vec<u8>>);

    /// The differing entries by a plain merge of fully parsed trees.
    fn differing_slowly(old: &[u8], new: &[u8]) -> Vec<Pair> {
        let old: Vec<Entry<'_>> = entries(old).map(|e| e.unwrap()).collect();
        let new: Vec<Entry<'_>> = entries(new).map(|e| e.unwrap()).collect();
        let (mut i, mut j, mut out) = (0, 0, Vec::new());
        let key = |e: &Entry<'_>| e.name.to_vec();
        while i < old.len() || j < new.len() {
            let order = match (old.get(i), new.get(j)) {
                (Some(x), Some(y)) => git_order(x, y),
                (Some(_), None) => Ordering::Less,
                _ => Ordering::Greater,
            };
            match order {
                Ordering::Less => {
                    out.push((Some(key(&old[i])), None));
                    i += 1;
                }
                Ordering::Greater => {
                    out.push((None, Some(key(&new[j]))));
                    j += 1;
                }
                Ordering::Equal => {
                    if old[i] != new[j] {
                        out.push((Some(key(&old[i])), Some(key(&new[j]))));
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
        out
    }

    fn sorted_tree(entries: &std::collections::BTreeMap<String, (bool, u8)>) -> Vec<u8> {
        // Git's order: a tree's name sorts as if it ended in '/'.
        let mut list: Vec<(String, &str, u8)> = entries
            .iter()
            .map(|(name, &(is_tree, fill))| {
                let key = if is_tree {
                    format!("{name}/")
                } else {
                    name.clone()
                };
                (key, if is_tree { "40000" } else { "100644" }, fill)
            })
            .collect();
        list.sort();
        let shaped: Vec<(&str, &str, u8)> = list
            .iter()
            .map(|(key, mode, fill)| (*mode, key.trim_end_matches('/'), *fill))
            .collect();
        raw(&shaped)
    }

    proptest::proptest! {
        #[test]
        fn skipping_shared_entries_changes_nothing(
            base in proptest::collection::btree_map("[a-c]{1,3}", (proptest::bool::ANY, 0u8..3), 0..12),
            edits in proptest::collection::vec(("[a-c]{1,3}", proptest::option::of((proptest::bool::ANY, 0u8..3))), 0..4),
        ) {
            let mut changed = base.clone();
            for (name, edit) in edits {
                match edit {
                    Some(value) => { changed.insert(name, value); }
                    None => { changed.remove(&name); }
                }
            }
            let (old, new) = (sorted_tree(&base), sorted_tree(&changed));
            let mut fast = Vec::new();
            differing(&old, &new, |x, y| {
                fast.push((x.map(|e| e.name.to_vec()), y.map(|e| e.name.to_vec())));
                Ok(())
            }).unwrap();
            proptest::prop_assert_eq!(fast, differing_slowly(&old, &new));
        }
    }

    /// Tree-like bytes: entries with valid or broken modes, names and ids,
    /// cut anywhere.
    fn damaged_tree() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let mode = prop_oneof![
            Just(b"100644".to_vec()),
            Just(b"40000".to_vec()),
            Just(b"160000".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..8),
        ];
        let entry = (
            mode,
            proptest::collection::vec(any::<u8>(), 0..6),
            proptest::collection::vec(any::<u8>(), 0..22),
        );
        (
            proptest::collection::vec(entry, 0..6),
            any::<proptest::sample::Index>(),
        )
            .prop_map(|(entries, cut)| {
                let mut out = Vec::new();
                for (mode, name, id) in entries {
                    out.extend_from_slice(&mode);
                    out.push(b' ');
                    out.extend_from_slice(&name);
                    out.push(0);
                    out.extend_from_slice(&id);
                }
                let keep = cut.index(out.len() + 1);
                out.truncate(keep);
                out
            })
    }

    proptest::proptest! {
        /// Trees come from the repository, which may be damaged or hostile:
        /// any bytes give entries or an error, never a panic.
        #[test]
        fn damaged_trees_are_read_without_panicking(old in damaged_tree(), new in damaged_tree()) {
            let _ = entries(&old).collect::<Vec<_>>();
            let _ = differing(&old, &new, |_, _| Ok(()));
            let mut longer = old.clone();
            longer.extend_from_slice(&new);
            let _ = differing(&old, &longer, |_, _| Ok(()));
            let _ = differing(&longer, &old, |_, _| Ok(()));
        }
    }

    #[test]
    fn orders_a_tree_as_if_its_name_ended_in_a_slash() {
        let data = raw(&[
            ("100644", "a", 1),
            ("40000", "a", 2),
            ("100644", "a-b", 3),
            ("100644", "a0", 4),
        ]);
        let e: Vec<Entry<'_>> = entries(&data).map(|e| e.unwrap()).collect();
        // "a" < "a-b" < "a/" (tree) < "a0": '-' is 0x2d, '/' 0x2f, '0' 0x30.
        assert_eq!(git_order(&e[0], &e[2]), Ordering::Less);
        assert_eq!(git_order(&e[2], &e[1]), Ordering::Less);
        assert_eq!(git_order(&e[1], &e[3]), Ordering::Less);
        assert_eq!(git_order(&e[0], &e[1]), Ordering::Less);
        assert_eq!(git_order(&e[1], &e[1]), Ordering::Equal);
    }
}
