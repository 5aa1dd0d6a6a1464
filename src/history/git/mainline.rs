//! The mainline's commits as the walks read them (docs/DESIGN.md §3, "The
//! mainline from the commit-graph"): each commit's id, root tree and
//! whether it has a parent, from the commit-graph where it covers the
//! commit (no commit object inflated) and from the raw commit object
//! otherwise, and what the commit's changed-path Bloom filter says about
//! the walk's path.

use super::commit_graph::{CommitGraph, Filter, PathKeys};
use super::{missing_object, read_object, Repo};
use anyhow::Result;

/// One first-parent commit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Link {
    pub id: git2::Oid,
    pub tree: git2::Oid,
    pub has_parent: bool,
    /// `Unchanged` when the commit's Bloom filter proves that nothing at
    /// or under the walk's path changed against the first parent.
    pub filter: Filter,
}

/// Where the next commit comes from.
#[derive(Clone, Copy)]
enum Next {
    Graph(u32),
    Object(git2::Oid),
    Done,
}

/// The first-parent commits from a start commit to the root, newest first.
pub(crate) struct Mainline<'r> {
    repo: &'r Repo,
    odb: git2::Odb<'r>,
    graph: Option<CommitGraph>,
    keys: PathKeys,
    /// Parents as libgit2 sees them (shallow clones, grafts, replace
    /// refs): raw commit objects would name the real ones.
    grafted: bool,
    next: Next,
}

impl Repo {
    /// The mainline from `start`, with Bloom filters consulted for `path`
    /// (repository-relative; empty: the filters are not used).
    pub(crate) fn mainline(&self, start: git2::Oid, path: &str) -> Result<Mainline<'_>> {
        let grafted = self.history_is_grafted();
        let graph = if grafted { None } else { self.commit_graph() };
        let next = match graph.as_ref().and_then(|g| g.position(start)) {
            Some(position) => Next::Graph(position),
            None => Next::Object(start),
        };
        Ok(Mainline {
            repo: self,
            odb: self.inner.odb()?,
            graph,
            keys: PathKeys::new(path),
            grafted,
            next,
        })
    }

    /// The repository's commit-graph, unless `core.commitGraph` is false,
    /// as for Git, or the objects are elsewhere.
    pub(crate) fn commit_graph(&self) -> Option<CommitGraph> {
        if std::env::var_os("GIT_OBJECT_DIRECTORY").is_some() {
            return None;
        }
        let enabled = self
            .inner
            .config()
            .and_then(|c| c.get_bool("core.commitGraph"))
            .unwrap_or(true);
        if !enabled {
            return None;
        }
        CommitGraph::open(&self.inner.commondir().join("objects"))
    }
}

impl Mainline<'_> {
    /// The next commit, `None` after the root.
    pub fn next_link(&mut self) -> Result<Option<Link>> {
        match self.next {
            Next::Done => Ok(None),
            Next::Graph(position) => {
                let graph = self
                    .graph
                    .as_ref()
                    .expect("a graph position comes from a graph");
                let Some(commit) = graph.commit(position) else {
                    return Err(promptreg_core::error::fail(
                        "the repository's commit-graph file is damaged",
                    )
                    .hint("rewrite it with `git commit-graph write --reachable --changed-paths`")
                    .into());
                };
                let filter = match commit.parent {
                    Some(_) => graph.filter(position, &self.keys),
                    None => Filter::Maybe,
                };
                self.next = commit.parent.map_or(Next::Done, Next::Graph);
                Ok(Some(Link {
                    id: commit.id,
                    tree: commit.tree,
                    has_parent: commit.parent.is_some(),
                    filter,
                }))
            }
            Next::Object(id) => {
                let (tree, parent) = if self.grafted {
                    self.parsed(id)?
                } else {
                    self.raw(id)?
                };
                self.next = match parent {
                    None => Next::Done,
                    // Once the walk reaches commits the graph holds, it
                    // reads them there (a graph holds every ancestor of
                    // its commits).
                    Some(p) => match self.graph.as_ref().and_then(|g| g.position(p)) {
                        Some(position) => Next::Graph(position),
                        None => Next::Object(p),
                    },
                };
                Ok(Some(Link {
                    id,
                    tree,
                    has_parent: parent.is_some(),
                    filter: Filter::Maybe,
                }))
            }
        }
    }

    /// Tree and first parent from the commit object's header lines, without
    /// libgit2 parsing the whole commit.
    fn raw(&self, id: git2::Oid) -> Result<(git2::Oid, Option<git2::Oid>)> {
        let object = read_object(&self.odb, id, git2::ObjectType::Commit)?;
        let damaged = || {
            promptreg_core::error::fail(format!("commit {id} is damaged: no tree line"))
                .hint("run `git fsck` to see what is damaged; a fresh clone restores the objects")
        };
        let data = object.data();
        let tree = data
            .strip_prefix(b"tree ")
            .and_then(|rest| rest.get(..40))
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| git2::Oid::from_str(hex).ok())
            .ok_or_else(damaged)?;
        let parent = match data.get(46..).and_then(|r| r.strip_prefix(b"parent ")) {
            None => None,
            Some(rest) => Some(
                rest.get(..40)
                    .and_then(|hex| std::str::from_utf8(hex).ok())
                    .and_then(|hex| git2::Oid::from_str(hex).ok())
                    .ok_or_else(|| {
                        promptreg_core::error::fail(format!(
                            "commit {id} is damaged: a bad parent line"
                        ))
                        .hint("run `git fsck` to see what is damaged; a fresh clone restores the objects")
                    })?,
            ),
        };
        Ok((tree, parent))
    }

    /// Tree and first parent as libgit2 reads them, grafts included.
    fn parsed(&self, id: git2::Oid) -> Result<(git2::Oid, Option<git2::Oid>)> {
        let commit = self
            .repo
            .inner
            .find_commit(id)
            .map_err(|e| missing_object("commit", &id.to_string(), e))?;
        let parent = match commit.parent_count() {
            0 => None,
            _ => Some(commit.parent_id(0)?),
        };
        Ok((commit.tree_id(), parent))
    }
}

/// How far the repository's commit-graph can speed up history reads
/// (`doctor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitGraphState {
    /// No commit-graph file (or none promptreg can read).
    Missing,
    /// `core.commitGraph` is false, or the history is grafted.
    Unused,
    /// A commit-graph without changed-path Bloom filters.
    NoFilters,
    /// Bloom filters, but the mainline head is newer than the graph: the
    /// commits since are read from their objects.
    Behind,
    /// Bloom filters, up to the mainline head.
    Ready,
}

impl Repo {
    /// What the commit-graph holds for the mainline at `head`.
    pub fn commit_graph_state(&self, head: &str) -> CommitGraphState {
        let disabled = self.history_is_grafted()
            || self
                .inner
                .config()
                .and_then(|c| c.get_bool("core.commitGraph"))
                .is_ok_and(|enabled| !enabled);
        if disabled {
            return CommitGraphState::Unused;
        }
        let Some(graph) = self.commit_graph() else {
            return CommitGraphState::Missing;
        };
        if !graph.has_bloom_filters() {
            return CommitGraphState::NoFilters;
        }
        match git2::Oid::from_str(head)
            .ok()
            .and_then(|h| graph.position(h))
        {
            Some(_) => CommitGraphState::Ready,
            None => CommitGraphState::Behind,
        }
    }
}
