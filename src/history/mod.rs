//! Everything that reads Git: the repository (`git`), the one-pass walk of
//! the mainline (`state`, with blobs read by `blob_facts`), its cache, and
//! the lockfile's own history (`lock_history`). Released versions come out
//! as `History` (docs/DESIGN.md §3).

pub mod blob_facts;
pub mod cache;
pub mod git;
pub mod lock_history;
mod model;
pub(crate) mod state;

pub use git::short;
pub use model::*;
pub use state::{Progress, WalkState};

use crate::history::git::Repo;
use anyhow::Result;
use promptreg_core::name::SUFFIX;
use std::collections::BTreeSet;

/// Where and whether to keep the history cache.
#[derive(Debug, Clone, Default)]
pub struct CacheOptions {
    /// The cache file; `None` disables the cache (`--no-cache`).
    pub path: Option<std::path::PathBuf>,
    /// When the caller needs some prompts only: a warm cache then decodes
    /// just their histories, and a cold one prompt is walked alone.
    pub only: Option<BTreeSet<String>>,
}

/// Reads the history of the prompts under `prompts_dir` along the
/// first-parent history of `head`, in one pass. With a cache, only the
/// commits added since the cached head are walked; a cache from a rewritten
/// history (force-push, rebase), another promptreg version or a damaged file
/// is ignored and rebuilt.
pub fn compute(
    repo: &Repo,
    head: Option<&str>,
    prompts_dir: &str,
    cache: &CacheOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<History> {
    let Some(head) = head else {
        return Ok(History::default());
    };
    let key = crate::history::cache::Key {
        prompts_dir: repo.repo_path(prompts_dir),
    };
    if let (Some(path), Some(only)) = (cache.path.as_deref(), cache.only.as_ref()) {
        if let Some(state) = crate::history::cache::load(path, &key, Some(only)) {
            if state.head.as_deref() == Some(head) {
                return state.into_history();
            }
        }
    }
    let cached = cache
        .path
        .as_deref()
        .and_then(|p| crate::history::cache::load(p, &key, None));
    let mut state = match cached {
        Some(state) if state.head.as_deref() == Some(head) => return state.into_history(),
        Some(state) => state,
        None => {
            let single = cache.only.as_ref().filter(|o| o.len() == 1);
            if let Some(only) = single.and_then(BTreeSet::first) {
                if let Some(history) = one_prompt(repo, head, prompts_dir, only, progress)? {
                    return Ok(history);
                }
            }
            WalkState::default()
        }
    };
    // Blobs are read while the walk finds them (see blob_facts).
    let mut blobs = crate::history::blob_facts::BlobReader::new(repo);
    let (mainline, met) = repo.first_parent_changes(
        head,
        prompts_dir,
        SUFFIX,
        state.head.as_deref(),
        &mut |n| progress(Progress::Walking(n)),
        &mut |blob| blobs.want(blob),
    )?;
    let mut facts = blobs.into_facts();
    if !met && state.head.is_some() {
        // The cached head is not on the mainline any more: history was
        // rewritten. What was just walked is the whole mainline.
        state = WalkState::default();
    }
    state.apply(repo, prompts_dir, &mainline, &mut facts, progress)?;
    // Ends the helper, if it still runs.
    drop(facts);
    state.head = Some(head.to_string());
    if let Some(path) = cache.path.as_deref() {
        // A cache that cannot be written (read-only repository) only costs
        // speed next time.
        let _ = crate::history::cache::store(path, &key, &state);
    }
    state.into_history()
}

/// One prompt's history when no cache can answer (docs/DESIGN.md §3, "One
/// prompt, cold"): the walk follows only the prompt file's path and reads
/// only its blobs, and the same `WalkState::apply` builds the history, so
/// the prompt's versions and violations are the full walk's. Nothing is
/// cached: the full cache is built by the next command that needs every
/// prompt (docs/DESIGN.md §4). `None` when `only` is not a prompt name.
fn one_prompt(
    repo: &Repo,
    head: &str,
    prompts_dir: &str,
    only: &str,
    progress: &mut dyn FnMut(Progress),
) -> Result<Option<History>> {
    let file = format!("{only}{SUFFIX}");
    match promptreg_core::name::PromptName::from_relative_path(&file) {
        Some(Ok(name)) if name.as_str() == only => {}
        _ => return Ok(None),
    }
    let mut blobs = crate::history::blob_facts::BlobReader::new(repo);
    let mainline = repo.first_parent_path_changes(
        head,
        prompts_dir,
        &file,
        &mut |n| progress(Progress::Walking(n)),
        &mut |blob| blobs.want(blob),
    )?;
    let mut facts = blobs.into_facts();
    let mut state = WalkState::default();
    state.apply(repo, prompts_dir, &mainline, &mut facts, progress)?;
    drop(facts);
    state.head = Some(head.to_string());
    state.into_history().map(Some)
}
