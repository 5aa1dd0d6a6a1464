//! The only module that talks to git2. The rest of promptreg sees plain
//! data: commit ids, blob ids, file bytes, identities.

use anyhow::{Context as _, Result};
use promptreg_core::error::fail;
use std::fmt;
use std::path::Path;

mod clone;
mod commit;
pub(crate) mod commit_graph;
mod mainline;
mod walk;

pub use clone::FETCH_HINT;
pub use commit::CommitRequest;
pub use mainline::CommitGraphState;

/// The first 7 hex digits of an id, as Git shows them.
pub fn short(id: &str) -> &str {
    &id[..id.len().min(7)]
}

/// A person as Git records them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub email: String,
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} <{}>", self.name, self.email)
    }
}

/// True when `dir` is inside a Git work tree.
pub fn is_repository(dir: &Path) -> bool {
    git2::Repository::discover(dir).is_ok()
}

/// `git init DIR`.
pub fn init(dir: &Path) -> Result<()> {
    git2::Repository::init(dir)
        .with_context(|| format!("cannot create a Git repository in {}", dir.display()))?;
    Ok(())
}

/// The identity Git would commit with from `dir` (repository config, then
/// global config, then the environment variables Git reads).
pub fn identity(dir: &Path) -> Result<Identity> {
    let config = match git2::Repository::discover(dir) {
        Ok(repo) => repo.config(),
        Err(_) => git2::Config::open_default(),
    }
    .context("cannot read Git's configuration")?;
    let name = std::env::var("GIT_AUTHOR_NAME")
        .ok()
        .or_else(|| config.get_string("user.name").ok())
        .filter(|s| !s.trim().is_empty());
    let email = std::env::var("GIT_AUTHOR_EMAIL")
        .ok()
        .or_else(|| config.get_string("user.email").ok())
        .filter(|s| !s.trim().is_empty());
    match (name, email) {
        (Some(name), Some(email)) => Ok(Identity { name, email }),
        _ => Err(fail("Git has no identity configured: user.name and user.email are needed to record who released a version")
            .hint("git config --global user.name \"Your Name\" && git config --global user.email you@example.com")
            .into()),
    }
}

/// A commit id, as 40 hex digits.
pub type CommitId = String;
/// A blob id, as 40 hex digits.
pub type BlobId = String;

/// What promptreg needs to know of a commit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: CommitId,
    pub author: Identity,
    /// Author time, seconds since the Unix epoch.
    pub time: i64,
    pub summary: String,
}

/// A prompt file added, changed or deleted by a mainline commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// Path under the walked directory, `/`-separated.
    pub path: String,
    /// The new blob; `None` when the commit deletes the file.
    pub blob: Option<BlobId>,
}

/// One mainline commit and the prompt files it changed against its first
/// parent, or a run of consecutive mainline commits that change none.
#[derive(Debug, Clone)]
pub struct MainlineCommit {
    /// Empty (`CommitInfo::default()`) for a run without changes.
    pub commit: CommitInfo,
    pub changes: Vec<FileChange>,
    /// How many mainline commits this stands for: 1 for a commit with
    /// changes; a run of commits without any is kept as one entry, so a
    /// monorepo's walk holds an entry per prompt change, not per commit.
    pub commits: usize,
}

/// Appends a walked commit to a walk's list, newest first: a commit without
/// changes joins the run of them before it, and its author and summary are
/// not read (`WalkState::apply` reads them only for changes).
pub(crate) fn push_walked(
    out: &mut Vec<MainlineCommit>,
    changes: Vec<FileChange>,
    info: impl FnOnce() -> CommitInfo,
) {
    if changes.is_empty() {
        if let Some(last) = out.last_mut().filter(|l| l.changes.is_empty()) {
            last.commits += 1;
            return;
        }
        out.push(MainlineCommit {
            commit: CommitInfo::default(),
            changes,
            commits: 1,
        });
        return;
    }
    out.push(MainlineCommit {
        commit: info(),
        changes,
        commits: 1,
    });
}

/// How much of the pack files libgit2 may keep mapped at once, and in
/// windows of what size (libgit2's defaults: 8 GiB in 1 GiB windows, so a
/// whole pack stays mapped and resident).
const MWINDOW_MAPPED_LIMIT: usize = 16 * 1024 * 1024;
const MWINDOW_SIZE: usize = 2 * 1024 * 1024;

/// A Git repository holding a registry (possibly in a subdirectory).
pub struct Repo {
    inner: git2::Repository,
    /// The registry root relative to the work tree: `""` or `"sub/dir/"`.
    prefix: String,
}

/// The error for an object the repository should have and does not.
pub(crate) fn missing_object(kind: &str, id: &str, e: git2::Error) -> anyhow::Error {
    // In a shallow or partial clone a missing object is expected, not a
    // sign of damage: say so, and how to fetch it.
    if let Some((message, hint)) = clone::missing_object_situation(kind, id) {
        return fail(message).hint(hint).caused_by(e).into();
    }
    fail(format!("cannot read {kind} {id}: the repository is missing objects or is damaged"))
        .hint("run `git fsck` to see what is missing; `git fetch` (or a fresh clone) restores missing objects")
        .caused_by(e)
        .into()
}

/// The raw object `id`, which must be a `kind` ("tree", "commit"): a
/// missing object is explained as `missing_object` does, another kind is an
/// error naming both.
pub(crate) fn read_object<'o>(
    odb: &'o git2::Odb<'_>,
    id: git2::Oid,
    kind: git2::ObjectType,
) -> Result<git2::OdbObject<'o>> {
    let name = kind.str();
    let object = odb
        .read(id)
        .map_err(|e| missing_object(name, &id.to_string(), e))?;
    if object.kind() != kind {
        anyhow::bail!("object {id} is a {}, not a {name}", object.kind());
    }
    Ok(object)
}

/// The first parent of a commit that has one.
pub(crate) fn first_parent<'r>(commit: &git2::Commit<'r>) -> Result<git2::Commit<'r>> {
    commit.parent(0).map_err(|e| {
        let id = commit
            .parent_id(0)
            .map(|i| i.to_string())
            .unwrap_or_default();
        missing_object("commit", &id, e)
    })
}

pub(crate) fn commit_info(commit: &git2::Commit<'_>) -> CommitInfo {
    let author = commit.author();
    CommitInfo {
        id: commit.id().to_string(),
        author: Identity {
            name: String::from_utf8_lossy(author.name_bytes()).into_owned(),
            email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        },
        time: author.when().seconds(),
        summary: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default()).into_owned(),
    }
}

/// Settings for reading many objects once each (docs/DESIGN.md §3).
fn tune_libgit2() {
    // The history walk reads each object once; libgit2's object cache
    // and hash verification only cost time there.
    git2::opts::strict_hash_verification(false);
    git2::opts::enable_caching(false);
    // Pack files are mapped in windows; libgit2 keeps up to 8 GiB of them
    // mapped by default, and every page touched stays resident. A lower
    // limit keeps a full walk of a large repository's pack small in
    // memory.
    // SAFETY: a process-wide setting, changed before any repository is
    // opened and while promptreg runs a single thread.
    unsafe {
        let _ = git2::opts::set_mwindow_size(MWINDOW_SIZE);
        let _ = git2::opts::set_mwindow_mapped_limit(MWINDOW_MAPPED_LIMIT);
    }
}

impl Repo {
    /// Opens a repository by its Git directory, only to read objects (the
    /// blob-reading helper of a history walk).
    pub fn open_objects(git_dir: &Path) -> Result<Repo> {
        tune_libgit2();
        let inner = git2::Repository::open(git_dir)
            .with_context(|| format!("cannot open the repository at {}", git_dir.display()))?;
        Ok(Repo {
            inner,
            prefix: String::new(),
        })
    }

    /// Opens the repository that holds `registry_root`.
    pub fn open(registry_root: &Path) -> Result<Repo> {
        tune_libgit2();
        let inner = git2::Repository::discover(registry_root).map_err(|e| {
            if e.message().contains("object format") || e.message().to_lowercase().contains("objectformat") {
                // libgit2 stops at the extension: say what is unsupported.
                return anyhow::Error::from(
                    fail(format!(
                        "the Git repository holding {} uses SHA-256 object ids (extensions.objectFormat = sha256), which promptreg does not support",
                        registry_root.display()
                    ))
                    .hint("use a SHA-1 repository (`git init --object-format=sha1`, Git's default)")
                    .caused_by(e),
                );
            }
            anyhow::Error::from(
                fail(format!("{} is not inside a Git repository", registry_root.display()))
                    .hint("run `git init` (or `promptreg init`) first: Git history is the registry's database")
                    .caused_by(e),
            )
        })?;
        clone::note_kind(&inner);
        let workdir = inner.workdir().ok_or_else(|| {
            fail("the registry is in a bare Git repository; promptreg needs a work tree")
        })?;
        let workdir = workdir
            .canonicalize()
            .unwrap_or_else(|_| workdir.to_path_buf());
        let root = registry_root
            .canonicalize()
            .unwrap_or_else(|_| registry_root.to_path_buf());
        let prefix = match root.strip_prefix(&workdir) {
            Ok(rel) if rel.as_os_str().is_empty() => String::new(),
            Ok(rel) => format!("{}/", rel.to_string_lossy().replace('\\', "/")),
            Err(_) => String::new(),
        };
        Ok(Repo { inner, prefix })
    }

    /// The blob id Git would store for `bytes`, the working-tree content of
    /// `path` (relative to the registry root): with `core.autocrlf` or a
    /// `text`/`eol` attribute, CRLF line endings become LF as `git add`
    /// makes them, so a checkout with CRLF endings is not "modified"
    /// (docs/DESIGN.md §3).
    pub fn worktree_blob(&self, path: &str, bytes: &[u8]) -> Result<BlobId> {
        if memchr::memmem::find(bytes, b"\r\n").is_some() && self.converts_line_endings(path) {
            let mut normal = Vec::with_capacity(bytes.len());
            let mut rest = bytes;
            while let Some(at) = memchr::memmem::find(rest, b"\r\n") {
                normal.extend_from_slice(&rest[..at]);
                normal.push(b'\n');
                rest = &rest[at + 2..];
            }
            normal.extend_from_slice(rest);
            return Repo::hash_blob(&normal);
        }
        Repo::hash_blob(bytes)
    }

    /// Whether `git add` converts CRLF to LF for `path`.
    fn converts_line_endings(&self, path: &str) -> bool {
        let repo_path = self.repo_path(path);
        // Some(true) set (or a value), Some(false) unset, None unspecified.
        let attr = |name: &str| -> Option<bool> {
            let value = self
                .inner
                .get_attr(
                    Path::new(&repo_path),
                    name,
                    git2::AttrCheckFlags::FILE_THEN_INDEX,
                )
                .ok()?;
            match git2::AttrValue::from_string(value) {
                git2::AttrValue::False => Some(false),
                git2::AttrValue::True | git2::AttrValue::String(_) | git2::AttrValue::Bytes(_) => {
                    Some(true)
                }
                _ => None,
            }
        };
        if let Some(set) = attr("text") {
            return set;
        }
        if attr("eol") == Some(true) {
            return true;
        }
        match self
            .inner
            .config()
            .and_then(|c| c.get_string("core.autocrlf"))
        {
            Ok(v) => matches!(
                v.to_lowercase().as_str(),
                "true" | "input" | "yes" | "on" | "1"
            ),
            Err(_) => false,
        }
    }

    /// True when something besides the commits decides what history is: a
    /// shallow clone, `info/grafts`, or `refs/replace/` refs. The history
    /// cache and the lock memo are not used then (docs/DESIGN.md §4): their
    /// keys do not cover those, and an unshallow or a new graft would leave
    /// them answering for another history.
    pub fn history_is_grafted(&self) -> bool {
        self.is_shallow()
            || self.inner.commondir().join("info").join("grafts").exists()
            || self
                .inner
                .references_glob("refs/replace/*")
                .is_ok_and(|mut refs| refs.next().is_some())
    }

    /// A path relative to the registry root, as a path in the repository.
    pub fn repo_path(&self, registry_path: &str) -> String {
        format!("{}{}", self.prefix, registry_path)
    }

    /// Git's own directory (`.git`), where promptreg keeps its cache.
    pub fn git_dir(&self) -> &Path {
        self.inner.path()
    }

    /// True for a shallow clone: its history is incomplete.
    pub fn is_shallow(&self) -> bool {
        self.inner.is_shallow()
    }

    /// The commit a revision (`HEAD`, `main`, a tag, an id) names, or `None`
    /// when `rev` is `HEAD` of a repository with no commits yet.
    pub fn resolve_commit(&self, rev: &str) -> Result<Option<CommitId>> {
        match self.inner.revparse_single(rev) {
            Ok(obj) => {
                let commit = obj.peel_to_commit().map_err(|_| {
                    fail(format!("`{rev}` does not name a commit"))
                        .hint("use a branch, tag or commit id")
                })?;
                Ok(Some(commit.id().to_string()))
            }
            Err(e) if rev == "HEAD" && self.inner.head().is_err() => {
                let _ = e;
                Ok(None)
            }
            Err(e) => Err(fail(format!("unknown revision `{rev}`"))
                .hint("check the name with `git rev-parse`; in CI, fetch the branch first")
                .caused_by(e)
                .into()),
        }
    }

    /// The author and summary of a commit the walk found.
    pub(crate) fn commit_info_of(&self, id: git2::Oid) -> Result<CommitInfo> {
        let commit = self
            .inner
            .find_commit(id)
            .map_err(|e| missing_object("commit", &id.to_string(), e))?;
        Ok(commit_info(&commit))
    }

    pub fn commit_info(&self, id: &str) -> Result<CommitInfo> {
        let commit = self.inner.find_commit(git2::Oid::from_str(id)?)?;
        Ok(commit_info(&commit))
    }

    /// The id of the tree at `dir` in `commit`, if there is one.
    pub(crate) fn subtree_id(
        &self,
        commit: &git2::Commit<'_>,
        dir: &str,
    ) -> Result<Option<git2::Oid>> {
        let tree = commit
            .tree()
            .map_err(|e| missing_object("tree", &commit.tree_id().to_string(), e))?;
        if dir.is_empty() {
            return Ok(Some(tree.id()));
        }
        match tree.get_path(Path::new(dir)) {
            Ok(entry) if entry.kind() == Some(git2::ObjectType::Tree) => Ok(Some(entry.id())),
            Ok(_) => Ok(None),
            Err(e)
                if e.code() == git2::ErrorCode::NotFound && e.class() == git2::ErrorClass::Tree =>
            {
                Ok(None)
            }
            Err(e) => Err(missing_object(
                "tree",
                &format!("{} (at {dir})", commit.id()),
                e,
            )),
        }
    }

    /// The bytes of a blob.
    pub fn read_blob(&self, id: &str) -> Result<Vec<u8>> {
        self.with_blob(id, <[u8]>::to_vec)
    }

    /// Calls `f` with the bytes of a blob, without copying them.
    pub fn with_blob<T>(&self, id: &str, f: impl FnOnce(&[u8]) -> T) -> Result<T> {
        let oid = git2::Oid::from_str(id)?;
        let blob = self
            .inner
            .find_blob(oid)
            .map_err(|e| missing_object("blob", id, e))?;
        Ok(f(blob.content()))
    }

    /// The blob id and bytes of `path` (relative to the registry root) at
    /// `commit`, or `None` when the commit has no such file.
    pub fn read_file_at(&self, commit: &str, path: &str) -> Result<Option<(BlobId, Vec<u8>)>> {
        let commit = self.inner.find_commit(git2::Oid::from_str(commit)?)?;
        let tree = commit.tree()?;
        match tree.get_path(Path::new(&self.repo_path(path))) {
            Ok(entry) if entry.kind() == Some(git2::ObjectType::Blob) => {
                let id = entry.id().to_string();
                let bytes = self.read_blob(&id)?;
                Ok(Some((id, bytes)))
            }
            Ok(_) => Ok(None),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The blob id Git would give these bytes.
    pub fn hash_blob(bytes: &[u8]) -> Result<BlobId> {
        Ok(git2::Oid::hash_object(git2::ObjectType::Blob, bytes)?.to_string())
    }
}

impl Repo {
    /// Refuses to go on in the middle of a merge, rebase, cherry-pick…
    pub fn ensure_no_operation_in_progress(&self) -> Result<()> {
        let state = self.inner.state();
        if state != git2::RepositoryState::Clean {
            return Err(fail(format!("the repository is in the middle of an operation ({state:?})"))
                .hint("finish it (`git commit`, `git rebase --continue`) or abort it (`git merge --abort`) first")
                .into());
        }
        Ok(())
    }

    /// Paths (relative to the work tree) whose staged content differs from
    /// HEAD, other than `except`.
    pub fn other_staged_paths(&self, except: &str) -> Result<Vec<String>> {
        let except = self.repo_path(except);
        let head_tree = match self.inner.head() {
            Ok(head) => Some(head.peel_to_tree()?),
            Err(_) => None,
        };
        let index = self.inner.index()?;
        let diff = self
            .inner
            .diff_tree_to_index(head_tree.as_ref(), Some(&index), None)?;
        Ok(diff
            .deltas()
            .filter_map(|d| {
                d.new_file()
                    .path()
                    .or(d.old_file().path())
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
            })
            .filter(|p| *p != except)
            .collect())
    }

    /// Creates the annotated tag `name` on `commit`; refuses an existing tag.
    pub fn tag(&self, name: &str, commit: &str, message: &str) -> Result<()> {
        if !git2::Reference::is_valid_name(&format!("refs/tags/{name}")) {
            return Err(fail(format!("`{name}` is not a valid Git tag name"))
                .hint("change tag_prefix in promptreg.yaml")
                .into());
        }
        if self
            .inner
            .find_reference(&format!("refs/tags/{name}"))
            .is_ok()
        {
            return Err(fail(format!("tag `{name}` already exists"))
                .hint(format!("see it with `git show {name}`"))
                .into());
        }
        // Git creates it (tag.gpgSign honoured), only if no such tag exists
        // by then: a compare-and-swap against "absent".
        self.tag_with_git(name, commit, message)
    }

    /// The id of HEAD, if there is a commit.
    pub fn head(&self) -> Option<CommitId> {
        self.inner
            .head()
            .ok()?
            .peel_to_commit()
            .ok()
            .map(|c| c.id().to_string())
    }
}

impl Repo {
    /// Every `*SUFFIX` file under `dir` (relative to the registry root) at
    /// `commit`: path under `dir` and blob id, sorted by path.
    pub fn list_files(
        &self,
        commit: &str,
        dir: &str,
        suffix: &str,
    ) -> Result<Vec<(String, BlobId)>> {
        let commit = self.inner.find_commit(git2::Oid::from_str(commit)?)?;
        let dir = self.repo_path(dir);
        let Some(tree_id) = self.subtree_id(&commit, dir.trim_end_matches('/'))? else {
            return Ok(Vec::new());
        };
        let tree = self.inner.find_tree(tree_id)?;
        let mut out = Vec::new();
        tree.walk(git2::TreeWalkMode::PreOrder, |root, entry| {
            if let (Ok(name), Some(git2::ObjectType::Blob)) = (entry.name(), entry.kind()) {
                if name.ends_with(suffix) && matches!(entry.filemode(), 0o100644 | 0o100755) {
                    out.push((format!("{root}{name}"), entry.id().to_string()));
                }
            }
            git2::TreeWalkResult::Ok
        })?;
        out.sort();
        Ok(out)
    }
}

impl Repo {
    /// The commits of the first-parent history of `start`, newest first:
    /// the mainline, without reading any tree.
    pub fn first_parent_ids(&self, start: &str) -> Result<Vec<CommitId>> {
        let mut out = Vec::new();
        let mut commit = self.inner.find_commit(git2::Oid::from_str(start)?)?;
        loop {
            out.push(commit.id().to_string());
            if commit.parent_count() == 0 {
                break;
            }
            commit = first_parent(&commit)?;
        }
        Ok(out)
    }

    /// The id of the blob at `path` (relative to the registry root) in
    /// `commit`, or `None` when the commit has no regular file there.
    pub fn blob_id_at(&self, commit: &str, path: &str) -> Result<Option<BlobId>> {
        let commit = self.inner.find_commit(git2::Oid::from_str(commit)?)?;
        let tree = commit.tree()?;
        match tree.get_path(Path::new(&self.repo_path(path))) {
            Ok(entry) if entry.kind() == Some(git2::ObjectType::Blob) => {
                Ok(Some(entry.id().to_string()))
            }
            Ok(_) => Ok(None),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The newest first-parent commit of `start` that removed the regular
    /// file at `path` (relative to the registry root): the commit lacks it
    /// and its first parent has it. `None` when `start` has the file, or no
    /// commit removed it. Stops at the deleting commit, one tree path per
    /// commit on the way.
    pub fn deleting_commit(&self, start: &str, path: &str) -> Result<Option<CommitInfo>> {
        let path = self.repo_path(path);
        let has = |commit: &git2::Commit<'_>| -> Result<bool> {
            let tree = commit
                .tree()
                .map_err(|e| missing_object("tree", &commit.tree_id().to_string(), e))?;
            match tree.get_path(Path::new(&path)) {
                Ok(entry) => Ok(entry.kind() == Some(git2::ObjectType::Blob)),
                Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(false),
                Err(e) => Err(e.into()),
            }
        };
        let mut commit = self.inner.find_commit(git2::Oid::from_str(start)?)?;
        if has(&commit)? {
            return Ok(None);
        }
        while commit.parent_count() > 0 {
            let parent = first_parent(&commit)?;
            if has(&parent)? {
                return Ok(Some(commit_info(&commit)));
            }
            commit = parent;
        }
        Ok(None)
    }

    /// The bytes of a blob, or `None` when the repository has no blob with
    /// that id (an id that is not 40 hex digits is an error).
    pub fn find_blob(&self, id: &str) -> Result<Option<Vec<u8>>> {
        let oid = git2::Oid::from_str(id)?;
        match self.inner.find_blob(oid) {
            Ok(blob) => Ok(Some(blob.content().to_vec())),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(anyhow::Error::from(e).context(format!("cannot read blob {id}"))),
        }
    }
}

impl Repo {
    /// The best common ancestor of two commits, if they share history.
    pub fn merge_base(&self, a: &str, b: &str) -> Result<Option<CommitId>> {
        match self
            .inner
            .merge_base(git2::Oid::from_str(a)?, git2::Oid::from_str(b)?)
        {
            Ok(id) => Ok(Some(id.to_string())),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Every `*SUFFIX` file under `dir` (relative to the registry root) in the
    /// index (what `git commit` would record): path under `dir` and blob id.
    pub fn index_files(&self, dir: &str, suffix: &str) -> Result<Vec<(String, BlobId)>> {
        let index = self.staged_index()?;
        let prefix = format!("{}/", self.repo_path(dir).trim_end_matches('/'));
        let prefix = if prefix == "/" { String::new() } else { prefix };
        let mut out = Vec::new();
        for entry in index.iter() {
            let Ok(path) = std::str::from_utf8(&entry.path) else {
                continue;
            };
            if let Some(rel) = path.strip_prefix(&prefix) {
                // Stage 0 only: a conflicted file has no single staged version.
                let stage = (entry.flags >> 12) & 0x3;
                if rel.ends_with(suffix) && stage == 0 && matches!(entry.mode, 0o100644 | 0o100755)
                {
                    out.push((rel.to_string(), entry.id.to_string()));
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// The blob id of `path` (relative to the registry root) in the index.
    pub fn index_blob(&self, path: &str) -> Result<Option<BlobId>> {
        let index = self.staged_index()?;
        Ok(index
            .get_path(Path::new(&self.repo_path(path)), 0)
            .map(|e| e.id.to_string()))
    }

    /// The index `git commit` would record: `$GIT_INDEX_FILE` when set (a
    /// pre-commit hook under `git commit -a` or `git commit PATH` sees a
    /// temporary index there, not `.git/index`), else the repository's.
    /// A relative path is relative to the current directory, as for Git.
    fn staged_index(&self) -> Result<git2::Index> {
        match std::env::var_os("GIT_INDEX_FILE").filter(|p| !p.is_empty()) {
            Some(path) => git2::Index::open(Path::new(&path)).with_context(|| {
                format!(
                    "cannot read the index {} (GIT_INDEX_FILE)",
                    Path::new(&path).display()
                )
            }),
            None => Ok(self.inner.index()?),
        }
    }

    /// The directory Git runs hooks from (`core.hooksPath`, else `.git/hooks`).
    pub fn hooks_dir(&self) -> Result<std::path::PathBuf> {
        let config = self.inner.config()?;
        if let Ok(custom) = config.get_path("core.hooksPath") {
            let base = self.inner.workdir().unwrap_or_else(|| self.inner.path());
            return Ok(base.join(custom));
        }
        // Linked worktrees share the hooks of the main repository.
        Ok(self.inner.commondir().join("hooks"))
    }
}

impl Repo {
    /// The note on `commit` under `notes_ref` (`refs/notes/...`), or `None`
    /// when the commit has none.
    pub fn read_note(&self, notes_ref: &str, commit: &str) -> Result<Option<String>> {
        let oid = git2::Oid::from_str(commit)?;
        match self.inner.find_note(Some(notes_ref), oid) {
            Ok(note) => Ok(Some(
                String::from_utf8_lossy(note.message_bytes()).into_owned(),
            )),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(anyhow::Error::from(e)
                .context(format!("cannot read the note on {commit} ({notes_ref})"))),
        }
    }

    /// The commit a reference (`refs/notes/promptreg`) points at, or `None`
    /// when it does not exist.
    pub fn reference_target(&self, name: &str) -> Result<Option<CommitId>> {
        match self.inner.find_reference(name) {
            Ok(r) => Ok(r.target().map(|oid| oid.to_string())),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(anyhow::Error::from(e).context(format!("cannot read {name}"))),
        }
    }

    /// Points the reference `name` at `target` again, or deletes it when
    /// `target` is `None`: undoes writes to it that must not stay.
    pub fn restore_reference(&self, name: &str, target: Option<&str>) -> Result<()> {
        match target {
            Some(id) => {
                let oid = git2::Oid::from_str(id)?;
                self.inner
                    .reference(name, oid, true, "promptreg: undo a partial write")
                    .with_context(|| format!("cannot reset {name} to {id}"))?;
            }
            None => match self.inner.find_reference(name) {
                Ok(mut r) => r
                    .delete()
                    .with_context(|| format!("cannot delete {name}"))?,
                Err(e) if e.code() == git2::ErrorCode::NotFound => {}
                Err(e) => return Err(anyhow::Error::from(e).context(format!("cannot read {name}"))),
            },
        }
        Ok(())
    }

    /// Every commit of the first-parent history of `start`, newest first,
    /// with its committer time (seconds since the epoch) and the blob id of
    /// `path` (relative to the registry root) in it, `None` when the commit
    /// has no regular file there. Reads one tree path per commit.
    pub fn mainline_file_blobs(
        &self,
        start: &str,
        path: &str,
    ) -> Result<Vec<(CommitInfo, i64, Option<BlobId>)>> {
        let path = self.repo_path(path);
        let mut out = Vec::new();
        let mut commit = self.inner.find_commit(git2::Oid::from_str(start)?)?;
        loop {
            let tree = commit
                .tree()
                .map_err(|e| missing_object("tree", &commit.tree_id().to_string(), e))?;
            let blob = match tree.get_path(Path::new(&path)) {
                Ok(entry) if entry.kind() == Some(git2::ObjectType::Blob) => {
                    Some(entry.id().to_string())
                }
                Ok(_) => None,
                Err(e) if e.code() == git2::ErrorCode::NotFound => None,
                Err(e) => return Err(e.into()),
            };
            out.push((
                commit_info(&commit),
                commit.committer().when().seconds(),
                blob,
            ));
            if commit.parent_count() == 0 {
                break;
            }
            commit = first_parent(&commit)?;
        }
        Ok(out)
    }
}
