use crate::cli::StatusArgs;
use crate::context::Context;
use crate::history::PromptHistory;
use crate::output::{self, Format, Output};
use anyhow::Result;
use promptreg_core::prompt;
use serde::Serialize;
use std::collections::BTreeSet;

/// Where a prompt stands between the working tree and the mainline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Clean,
    Modified,
    Unreleased,
    New,
    /// Removed from the working tree; the mainline head still has it.
    Deleted,
    /// The mainline itself deleted it (`deleted_in` names the commit).
    DeletedOnMainline,
    Invalid,
    Violation,
}

#[derive(Debug, Serialize)]
pub struct PromptStatus {
    pub name: String,
    pub working_tree: Option<String>,
    pub released: Option<String>,
    pub state: State,
    /// Violations the mainline history records for this prompt.
    pub history_violations: usize,
    /// For `deleted-on-mainline`: the mainline commit that deleted the file.
    pub deleted_in: Option<String>,
}

/// The working-tree version and state of a file present there, whose
/// bytes are `bytes` and would be stored as `blob`.
fn working_tree_state(
    bytes: &[u8],
    blob: &str,
    released: Option<&PromptHistory>,
) -> (Option<String>, State) {
    // Bytes that are a release's, byte for byte (no line ending converted),
    // passed every rule with that version when the walk released them
    // (docs/DESIGN.md §3, "Released means valid"): they are clean without
    // being parsed again.
    let as_released = released
        .filter(|_| memchr::memmem::find(bytes, b"\r\n").is_none())
        .and_then(|h| h.versions.iter().find(|r| r.blob == blob));
    if let Some(r) = as_released {
        return (Some(r.version.to_string()), State::Clean);
    }
    let Some(p) = prompt::check(bytes).prompt else {
        return (None, State::Invalid);
    };
    let state = match (released, released.and_then(|h| h.latest(true))) {
        (Some(h), Some(last)) => match h.exact(&p.version) {
            Some(r) if r.blob == blob => State::Clean,
            Some(_) => State::Modified,
            None if p.version > last.version => State::Unreleased,
            None => State::Violation,
        },
        _ => State::New,
    };
    (Some(p.version.to_string()), state)
}

pub fn run(args: &StatusArgs, ctx: &Context) -> Result<Output> {
    let registry = ctx.registry()?;
    let repo = ctx.repo(&registry)?;
    let history = ctx.history(&registry, &repo)?;
    let scan = registry.scan()?;
    let names: BTreeSet<_> = scan
        .prompts
        .iter()
        .chain(history.prompts.keys())
        .cloned()
        .collect();
    let mut rows = Vec::new();
    for name in names {
        let released = history.get(&name);
        let last = released.and_then(|h| h.latest(true));
        let violations = history.violations_of(&name).count();
        let in_tree = scan.prompts.contains(&name);
        let mut deleted_in = None;
        let (working_tree, state) = if !in_tree {
            match (released, last, history.head.as_deref()) {
                (Some(h), Some(last), Some(head)) if !h.present => {
                    deleted_in = repo.deleting_commit(head, &last.path)?.map(|c| c.id);
                    (None, State::DeletedOnMainline)
                }
                _ => (None, State::Deleted),
            }
        } else {
            let bytes = registry.read_prompt(&name)?;
            let blob = repo.worktree_blob(&registry.relative_path(&name), &bytes)?;
            working_tree_state(&bytes, &blob, released)
        };
        rows.push(PromptStatus {
            name: name.to_string(),
            working_tree,
            released: last.map(|r| r.version.to_string()),
            state,
            history_violations: violations,
            deleted_in,
        });
    }
    Ok(match args.format {
        Format::Json => Output::json(&rows)?,
        Format::Human if rows.is_empty() => Output::stdout("No prompts.\n"),
        Format::Human => Output::stdout(output::table(
            &["name", "working tree", "released", "state", "history"],
            rows.iter().map(|r| {
                vec![
                    r.name.clone(),
                    r.working_tree.clone().unwrap_or_else(|| "-".into()),
                    r.released.clone().unwrap_or_else(|| "-".into()),
                    serde_json::to_value(r.state)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    [
                        r.deleted_in
                            .as_deref()
                            .map(|c| format!("deleted in {}", crate::history::short(c))),
                        (r.history_violations > 0).then(|| {
                            format!(
                                "{} violation(s): promptreg log {}",
                                r.history_violations, r.name
                            )
                        }),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("; "),
                ]
            }),
        )),
    })
}
