//! Finding the bytes a version reference names: the working tree, a
//! released version, or a revision. Bytes of released versions and
//! revisions come from Git objects, never from the working tree.

use crate::context::Context;
use crate::history::git::CommitId;
use crate::history::{short, ReleasedVersion};
use anyhow::Result;
use promptreg_core::error::fail;
use promptreg_core::prompt::{self, Prompt};
use promptreg_core::reference::{PromptRef, Selector};
use promptreg_core::registry::{invalid_prompt, Registry};

/// Where a loaded prompt's bytes came from.
#[derive(Debug, Clone)]
pub enum Origin {
    WorkingTree,
    Released(Box<ReleasedVersion>),
    Revision { rev: String, commit: CommitId },
}

impl Origin {
    /// "working tree", "released in abc1234", "rev:main (abc1234)".
    pub fn describe(&self) -> String {
        match self {
            Origin::WorkingTree => "working tree".into(),
            Origin::Released(r) => format!("released in {}", short(&r.commit.id)),
            Origin::Revision { rev, commit } => format!("rev:{rev} ({})", short(commit)),
        }
    }
}

/// A valid prompt and where it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub prompt: Prompt,
    pub origin: Origin,
    /// Path relative to the registry root.
    pub path: String,
}

/// The raw bytes a reference names, with their origin.
pub fn bytes(ctx: &Context, registry: &Registry, r: &PromptRef) -> Result<(Vec<u8>, Origin)> {
    let name = &r.name;
    let path = registry.relative_path(name);
    let released = |pick: &dyn Fn(&crate::history::PromptHistory) -> Option<ReleasedVersion>,
                    what: String|
     -> Result<(Vec<u8>, Origin)> {
        let repo = ctx.repo(registry)?;
        let history = ctx.history_of(registry, &repo, name)?;
        let Some(prompt_history) = history.get(name) else {
            return Err(fail(format!(
                "{name} has no released version on the mainline ({})",
                ctx.mainline_rev(registry)
            ))
            .hint(format!(
                "commit the prompt to release it; `promptreg log {name}` shows its history"
            ))
            .into());
        };
        let Some(found) = pick(prompt_history) else {
            return Err(fail(format!(
                "{name} has no released version {what}; released: {}",
                prompt_history.listing()
            ))
            .hint(format!("`promptreg log {name}` lists every version"))
            .into());
        };
        let bytes = repo.read_blob(&found.blob)?;
        Ok((bytes, Origin::Released(Box::new(found))))
    };
    match &r.selector {
        Selector::WorkingTree => {
            if std::fs::symlink_metadata(registry.path_of(name)).is_err() {
                if let Some(deleted) = deleted_prompt(ctx, registry, name)? {
                    return Err(deleted.into());
                }
            }
            Ok((registry.read_prompt(name)?, Origin::WorkingTree))
        }
        Selector::Exact(v) => released(&|h| h.exact(v).cloned(), v.to_string()),
        Selector::Requirement(req) => {
            released(&|h| h.matching(req).cloned(), format!("matching `{req}`"))
        }
        Selector::Latest => released(
            &|h| h.latest(false).cloned(),
            "(latest, pre-releases excluded)".into(),
        ),
        Selector::LatestPre => released(&|h| h.latest(true).cloned(), "(latest-pre)".into()),
        Selector::Revision(rev) => {
            let repo = ctx.repo(registry)?;
            let commit = repo.resolve_commit(rev)?.ok_or_else(|| {
                fail(format!(
                    "`{rev}` names no commit: the repository has none yet"
                ))
            })?;
            let (_, bytes) = repo.read_file_at(&commit, &path)?.ok_or_else(|| {
                fail(format!(
                    "{path} does not exist at {rev} ({})",
                    short(&commit)
                ))
                .hint(format!(
                    "`promptreg log {name}` shows where it was released"
                ))
            })?;
            Ok((
                bytes,
                Origin::Revision {
                    rev: rev.clone(),
                    commit,
                },
            ))
        }
    }
}

/// The valid prompt a reference names.
pub fn load(ctx: &Context, registry: &Registry, r: &PromptRef) -> Result<Loaded> {
    let (bytes, origin) = bytes(ctx, registry, r)?;
    let path = match &origin {
        Origin::Released(rv) => rv.path.clone(),
        _ => registry.relative_path(&r.name),
    };
    let prompt = prompt::parse(&bytes).map_err(|findings| {
        let shown = match &origin {
            Origin::WorkingTree => path.clone(),
            o => format!("{path} ({})", o.describe()),
        };
        invalid_prompt(&shown, &findings)
    })?;
    Ok(Loaded {
        prompt,
        origin,
        path,
    })
}

/// The error for a prompt the working tree lacks but the mainline released:
/// deleted on the mainline (in which commit, its last version), or removed
/// from the working tree and not committed yet. `None` for a prompt the
/// mainline never released, or when there is no history to ask.
fn deleted_prompt(
    ctx: &Context,
    registry: &Registry,
    name: &promptreg_core::name::PromptName,
) -> Result<Option<promptreg_core::error::Failure>> {
    let Ok(repo) = ctx.repo(registry) else {
        return Ok(None);
    };
    let history = ctx.history_of(registry, &repo, name)?;
    let Some(prompt_history) = history.get(name) else {
        return Ok(None);
    };
    let Some(last) = prompt_history.latest(true) else {
        return Ok(None);
    };
    let latest = if prompt_history.latest(false).is_some() {
        "latest"
    } else {
        "latest-pre"
    };
    let path = registry.relative_path(name);
    if prompt_history.present {
        return Ok(Some(
            fail(format!(
                "{path} was removed from the working tree (not committed); the mainline still has {name} {}",
                last.version
            ))
            .hint(format!(
                "`git restore {path}` brings it back; `promptreg show {name}@{latest}` shows the last released version"
            )),
        ));
    }
    let deleted_in = match &history.head {
        Some(head) => repo.deleting_commit(head, &last.path)?,
        None => None,
    };
    let when = match &deleted_in {
        Some(c) => format!(
            " in {} ({}, \"{}\")",
            short(&c.id),
            promptreg_core::date::rfc3339(c.time),
            c.summary
        ),
        None => String::new(),
    };
    let restore = match &deleted_in {
        Some(c) => format!(
            "; `git checkout {}~1 -- {}` restores the file",
            short(&c.id),
            last.path
        ),
        None => String::new(),
    };
    Ok(Some(
        fail(format!(
            "{name} was deleted on the mainline{when}; its last version is {} (released versions: {})",
            last.version,
            prompt_history.listing()
        ))
        .hint(format!(
            "`promptreg show {name}@{latest}` shows the last released version{restore}"
        )),
    ))
}
