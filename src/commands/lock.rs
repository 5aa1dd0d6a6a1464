use crate::cli::LockArgs;

use crate::context::Context;
use crate::lockfile::{self, Change, Comparison, Freshness, HandEdit, HeldBack, Skipped};
use crate::output::files;
use crate::output::{Format, Output};
use anyhow::Result;
use serde::Serialize;
use std::fmt::Write as _;

/// What `lock` did, or with `--locked` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Status {
    /// The lockfile already had these bytes; nothing written.
    UpToDate,
    /// There was no lockfile; one was written.
    Created,
    /// The lockfile was rewritten.
    Updated,
    /// `--locked`: the lockfile differs from what `lock` writes.
    OutOfDate,
    /// `--locked`: there is no lockfile.
    Missing,
}

/// `lock --format json`.
#[derive(Debug, Serialize)]
struct LockReport<'a> {
    lockfile: &'a str,
    status: Status,
    /// True when this run wrote the lockfile.
    written: bool,
    /// Per environment and prompt, what the new lockfile pins differently.
    changes: &'a [Change],
    /// Entries of the old lockfile that disagree with Git.
    edited_by_hand: &'a [HandEdit],
    /// Why the old lockfile could not be read, when it could not.
    unreadable: Option<&'a str>,
    /// Prompts `"*"` could not pin.
    skipped: &'a [Skipped],
    /// In gated environments: newer matching versions that fail the gates,
    /// each with why and what was pinned instead.
    held_back: &'a [HeldBack],
}

pub fn run(args: &LockArgs, ctx: &Context) -> Result<Output> {
    let registry = ctx.registry()?;
    let repo = ctx.repo(&registry)?;
    let path = registry.root.join(lockfile::FILE_NAME);
    // Warm and unchanged: the memo says the lockfile on disk is what `lock`
    // would write, without reading history.
    let memo = ctx.lock_memo(&registry, &repo)?;
    if let (Some(memo), Ok(bytes)) = (&memo, std::fs::read(&path)) {
        if let Some((skipped, held_back)) = memo.fresh(&bytes) {
            return Ok(report(
                args,
                Status::UpToDate,
                false,
                &Comparison::up_to_date(),
                (&skipped, &held_back),
                0,
                0,
            ));
        }
    }
    let history = ctx.history(&registry, &repo)?;
    let lockfile::Status {
        resolution,
        text,
        comparison,
    } = lockfile::status(
        &registry,
        &history,
        ctx.mainline_rev(&registry),
        &repo,
        &mut crate::production::gates::ScoreGates::new(&repo),
    )?;
    if let Some(memo) = &memo {
        memo.remember(&text, &resolution.skipped, &resolution.held_back);
    }

    let status = match (args.locked, comparison.freshness) {
        (_, Freshness::UpToDate) => Status::UpToDate,
        (true, Freshness::Missing) => Status::Missing,
        (true, Freshness::OutOfDate) => Status::OutOfDate,
        (false, Freshness::Missing) => Status::Created,
        (false, Freshness::OutOfDate) => Status::Updated,
    };
    let written = matches!(status, Status::Created | Status::Updated);
    if written {
        files::write_atomic(&path, text.as_bytes())?;
    }
    Ok(report(
        args,
        status,
        written,
        &comparison,
        (&resolution.skipped, &resolution.held_back),
        resolution.lockfile.prompts.len(),
        resolution.lockfile.environments.len(),
    ))
}

/// Renders what `lock` found, for people or as JSON.
fn report(
    args: &LockArgs,
    status: Status,
    written: bool,
    comparison: &Comparison,
    (skipped, held_back): (&[Skipped], &[HeldBack]),
    pinned: usize,
    envs: usize,
) -> Output {
    let failed = matches!(status, Status::OutOfDate | Status::Missing);
    let code = u8::from(failed);
    if args.format == Format::Json {
        let report = LockReport {
            lockfile: lockfile::FILE_NAME,
            status,
            written,
            changes: &comparison.changes,
            edited_by_hand: &comparison.edited_by_hand,
            unreadable: comparison.unreadable.as_deref(),
            skipped,
            held_back,
        };
        return match Output::json(&report) {
            Ok(out) => out.with_code(code),
            Err(e) => Output::default()
                .with_stderr(format!("error: {e}\n"))
                .with_code(2),
        };
    }

    let mut out = human_changes(comparison);
    let lock = lockfile::FILE_NAME;
    match status {
        Status::UpToDate => {
            let _ = writeln!(out, "{lock} is up to date");
        }
        Status::Created => {
            let _ = writeln!(
                out,
                "Created {lock}: {envs} environment(s), {pinned} pinned version(s)"
            );
        }
        Status::Updated => {
            if comparison.changes.is_empty() && comparison.edited_by_hand.is_empty() {
                let _ = writeln!(
                    out,
                    "No pinned version changed; rewrote {lock} as `promptreg lock` writes it"
                );
            }
            let _ = writeln!(
                out,
                "Updated {lock}: {envs} environment(s), {pinned} pinned version(s)"
            );
        }
        Status::OutOfDate | Status::Missing => {}
    }
    let mut err = String::new();
    for s in skipped {
        let _ = writeln!(
            err,
            "note: environment `{}`: \"*\" leaves out {}: {}",
            s.environment, s.name, s.reason
        );
    }
    for h in held_back {
        let _ = writeln!(
            err,
            "note: environment `{}`: held back {} {} ({}); pinned {}",
            h.environment, h.name, h.version, h.reason, h.pinned
        );
    }
    match status {
        Status::Missing => {
            let _ = writeln!(
                err,
                "error: {lock} does not exist; run `promptreg lock` and commit it"
            );
        }
        Status::OutOfDate => {
            if comparison.changes.is_empty()
                && comparison.edited_by_hand.is_empty()
                && comparison.unreadable.is_none()
            {
                let _ = writeln!(
                    out,
                    "{lock} pins the same versions but its text differs from what `promptreg lock` writes (edited by hand?)"
                );
            }
            let _ = writeln!(err, "error: {lock} is out of date; run `promptreg lock`");
        }
        _ => {}
    }
    Output::stdout(out).with_stderr(err).with_code(code)
}

/// The changes grouped by environment, then the hand edits.
fn human_changes(comparison: &Comparison) -> String {
    let mut out = String::new();
    if let Some(why) = &comparison.unreadable {
        let _ = writeln!(out, "{} cannot be read: {why}", lockfile::FILE_NAME);
    }
    let mut current: Option<&str> = None;
    for change in &comparison.changes {
        if current != Some(change.environment.as_str()) {
            let _ = writeln!(out, "{}:", change.environment);
            current = Some(&change.environment);
        }
        let _ = writeln!(out, "  {:<10}  {change}", change.kind.as_str());
    }
    for edit in &comparison.edited_by_hand {
        let _ = writeln!(out, "{edit}");
    }
    out
}
