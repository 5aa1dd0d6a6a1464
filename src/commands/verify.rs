use crate::cli::VerifyArgs;
use crate::context::Context;
use crate::history::short;
use crate::lockfile::{self, Existing, Problem, Verification};
use crate::output::{Format, Output};
use anyhow::Result;
use promptreg_core::error::fail;
use serde::Serialize;
use std::fmt::Write as _;

/// `verify --format json`.
#[derive(Debug, Serialize)]
struct Report<'a> {
    /// `git`: prompts.lock against Git objects; `directory`: an export
    /// directory against its manifest.json.
    source: &'a str,
    /// `prompts.lock`, or the directory.
    target: String,
    /// True when nothing is wrong.
    ok: bool,
    /// Pinned files checked.
    checked: usize,
    /// Why the lockfile or manifest could not be read, when it could not.
    unreadable: Option<&'a str>,
    problems: &'a [Problem],
}

/// Exit codes: 0 every pinned file matches; 1 a mismatch, or a lockfile or
/// manifest that does not parse (a finding: it may have been tampered
/// with); 2 nothing to verify (no lockfile, no manifest, not a registry).
pub fn run(args: &VerifyArgs, ctx: &Context) -> Result<Output> {
    match &args.against {
        Some(dir) => against_dir(&ctx.cwd.join(dir), &dir.display().to_string(), args.format),
        None => against_git(ctx, args.format),
    }
}

fn against_git(ctx: &Context, format: Format) -> Result<Output> {
    let registry = ctx.registry()?;
    let repo = ctx.repo(&registry)?;
    let path = registry.root.join(lockfile::FILE_NAME);
    let lock = lockfile::FILE_NAME;
    let lock_file = match lockfile::read(&path)? {
        Existing::Missing => {
            return Err(fail(format!("{lock} does not exist: nothing to verify"))
                .hint("run `promptreg lock` and commit the lockfile")
                .into())
        }
        Existing::Invalid { error, .. } => {
            return unreadable("git", lock.to_string(), &error, format);
        }
        Existing::Valid { lockfile, .. } => lockfile,
    };
    let mainline = ctx.mainline_rev(&registry);
    let head = repo.resolve_commit(mainline)?;
    let verification = lockfile::verify_git(&lock_file, &repo, head.as_deref(), mainline)?;
    let summary = match &head {
        _ if !verification.problems.is_empty() => format!(
            "{lock}: {} problem(s) in {} pinned version(s)",
            verification.problems.len(),
            verification.checked
        ),
        Some(h) => format!(
            "{lock}: {} pinned version(s) match Git (mainline {mainline}, {})",
            verification.checked,
            short(h)
        ),
        None => format!("{lock}: {} pinned version(s)", verification.checked),
    };
    report("git", lock.to_string(), &verification, &summary, format)
}

fn against_dir(dir: &std::path::Path, shown: &str, format: Format) -> Result<Output> {
    let shown = shown.to_string();
    match lockfile::verify_dir(dir, &shown)? {
        Err(error) => unreadable("directory", shown, &error, format),
        Ok((manifest, verification)) => {
            let summary = if verification.problems.is_empty() {
                format!(
                    "{shown}: {} file(s) match {} (environment {})",
                    verification.checked,
                    promptreg_core::manifest::MANIFEST,
                    manifest.environment
                )
            } else {
                format!(
                    "{shown}: {} problem(s) in {} file(s)",
                    verification.problems.len(),
                    verification.checked
                )
            };
            report("directory", shown, &verification, &summary, format)
        }
    }
}

fn report(
    source: &str,
    target: String,
    verification: &Verification,
    summary: &str,
    format: Format,
) -> Result<Output> {
    let ok = verification.problems.is_empty();
    let code = u8::from(!ok);
    let out = match format {
        Format::Json => Output::json(&Report {
            source,
            target,
            ok,
            checked: verification.checked,
            unreadable: None,
            problems: &verification.problems,
        })?,
        Format::Human => {
            let mut s = String::new();
            for p in &verification.problems {
                let _ = writeln!(s, "{p}");
            }
            let _ = writeln!(s, "{summary}");
            Output::stdout(s)
        }
    };
    Ok(out.with_code(code))
}

/// A lockfile or manifest that does not parse: a finding (exit 1).
fn unreadable(source: &str, target: String, error: &str, format: Format) -> Result<Output> {
    let out = match format {
        Format::Json => Output::json(&Report {
            source,
            target,
            ok: false,
            checked: 0,
            unreadable: Some(error),
            problems: &[],
        })?,
        Format::Human => Output::stdout(format!(
            "SECURITY: {target} cannot be read: {error}\n"
        ))
        .with_stderr(if source == "git" {
            format!("hint: {target} is generated: run `promptreg lock` to rewrite it, and review how it was changed\n")
        } else {
            "hint: write the directory again with `promptreg export`\n".to_string()
        }),
    };
    Ok(out.with_code(1))
}
