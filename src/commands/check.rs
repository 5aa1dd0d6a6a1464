use crate::check::{self, CheckFinding, Head, Report};
use crate::cli::{CheckArgs, CheckFormat};
use crate::context::Context;
use crate::history::git::Repo;
use crate::lockfile::{self, Freshness};
use crate::output::{self, Output};
use anyhow::Result;
use promptreg_core::config;
use promptreg_core::error::fail;
use promptreg_core::finding::Level;
use promptreg_core::registry::{self, Registry};
use serde::Serialize;
use std::fmt::Write as _;

/// `check --format json`.
#[derive(Debug, Serialize)]
struct CheckReport<'a> {
    base: Option<String>,
    head: String,
    prompts_changed: usize,
    errors: usize,
    warnings: usize,
    findings: &'a [CheckFinding],
}

pub fn run(args: &CheckArgs, ctx: &Context) -> Result<Output> {
    let root = registry::find_root(&ctx.cwd)?;
    let repo = ctx.repo(&Registry {
        root: root.clone(),
        config: config::Config::default(),
    })?;
    let head = match (&args.head, args.staged) {
        (Some(rev), _) => Head::Revision(repo.resolve_commit(rev)?.ok_or_else(|| {
            fail(format!(
                "`{rev}` names no commit: the repository has none yet"
            ))
        })?),
        (None, true) => Head::Index,
        (None, false) => Head::WorkingTree,
    };
    // The config of the side being checked (the working tree's when that
    // side has none, as in a registry whose promptreg.yaml is not committed
    // yet). An invalid one is a finding here, not a reason to stop.
    let config_bytes = match head_file(&repo, &root, &head, config::FILE_NAME)? {
        Some(bytes) => bytes,
        None => registry::read_limited(&root.join(config::FILE_NAME))?,
    };
    let (config, config_findings) = match config::check(&config_bytes) {
        Ok(c) => (c, Vec::new()),
        Err(f) => (
            config::Config::default(),
            f.into_iter()
                .map(|f| f.in_file(config::FILE_NAME))
                .collect(),
        ),
    };
    let config_valid = config_findings.is_empty();
    let registry = Registry { root, config };
    let lock_checked = !args.no_lock && config_valid;
    let lock_side = match lock_checked {
        true => Some(LockSide::read(ctx, &registry, &repo, &head)?),
        false => None,
    };
    // Only the changed prompts' histories are read, unless the lockfile or
    // the gates need every prompt's: then the whole history is read once,
    // first, and answers for the changed prompts too.
    if lock_side
        .as_ref()
        .is_some_and(|side| !side.vouched || !registry.config.gates.is_empty())
    {
        ctx.history(&registry, &repo)?;
    }
    let head_commit = match &head {
        Head::Revision(c) => Some(c.as_str()),
        _ => None,
    };
    let base = base_commit(ctx, &registry, &repo, args.base.as_deref(), head_commit)?;
    // The base (and a `--head` revision) may be off the mainline, whose
    // blobs `history` made local already.
    let sides: Vec<String> = base
        .iter()
        .map(String::as_str)
        .chain(head_commit)
        .map(str::to_string)
        .collect();
    let mainline = repo.resolve_commit(ctx.mainline_rev(&registry))?;
    ctx.ensure_local_blobs(&registry, &repo, mainline.as_deref(), &sides)?;
    let mut report = check::check(
        &registry,
        config_findings,
        &repo,
        &|names| ctx.history_of_names(&registry, &repo, names),
        base.as_deref(),
        &head,
    )?;
    if let Some(side) = lock_side {
        let config_text = String::from_utf8_lossy(&config_bytes);
        lockfile_finding(ctx, &registry, &config_text, &repo, &side, &mut report)?;
        gate_findings(ctx, &registry, &repo, side.bytes.as_deref(), &mut report)?;
    }
    let errors = report
        .findings
        .iter()
        .filter(|f| f.level == Level::Error)
        .count();
    let warnings = report.findings.len() - errors;
    let failed = errors > 0 || (args.strict && warnings > 0);
    let head_label = match &head {
        Head::WorkingTree => "working tree".to_string(),
        Head::Index => "index".to_string(),
        Head::Revision(c) => c.clone(),
    };
    // `-q`: the findings without the summary line.
    let full_summary = summary(&report, errors, warnings);
    let summary = if ctx.quiet {
        String::new()
    } else {
        full_summary.clone()
    };
    let lock_file = repo.repo_path(lockfile::FILE_NAME);
    let out = match args.format {
        CheckFormat::Json => Output::json(&CheckReport {
            base: base.clone(),
            head: head_label,
            prompts_changed: report.prompts_changed,
            errors,
            warnings,
            findings: &report.findings,
        })?,
        CheckFormat::Human => Output::stdout(human(&report, &summary)),
        CheckFormat::Sarif => Output::json(&check::report::sarif(&report, args.strict))?,
        CheckFormat::Gitlab => Output::json(&check::report::gitlab(&report, args.strict))?,
        CheckFormat::Junit => Output::stdout(check::report::junit(
            &report,
            args.strict,
            lock_checked,
            &lock_file,
        )),
        CheckFormat::Github => {
            let out = Output::stdout(github(&report, &summary, args.strict));
            // The summary page is a courtesy: failing to write it must not
            // hide the verdict (exit 2 would replace exit 0 or 1).
            match std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
                Some(path) => {
                    match append_step_summary(std::path::Path::new(&path), &report, &full_summary) {
                        Ok(()) => out,
                        Err(e) => out.with_stderr(format!("warning: {e:#}\n")),
                    }
                }
                None => out,
            }
        }
    };
    // `--output`: the report goes to the file, people still read the
    // findings and the verdict on the terminal.
    let out = match &args.output {
        Some(path) => {
            let path = if path.is_absolute() {
                path.clone()
            } else {
                ctx.cwd.join(path)
            };
            output::files::write_atomic(&path, out.stdout.as_bytes())
                .map_err(|e| e.context(format!("cannot write the report to {}", path.display())))?;
            let mut terminal = Output::stdout(if ctx.quiet {
                String::new()
            } else {
                human(&report, &summary)
            });
            terminal.stderr = out.stderr;
            terminal
        }
        None => out,
    };
    Ok(out.with_code(u8::from(failed)))
}

/// A file at the registry root as the checked side has it: in the working
/// tree, the index or a commit; `None` when that side has no such file.
fn head_file(
    repo: &Repo,
    root: &std::path::Path,
    head: &Head,
    name: &str,
) -> Result<Option<Vec<u8>>> {
    Ok(match head {
        Head::WorkingTree => {
            let path = root.join(name);
            match path.try_exists() {
                Ok(false) => None,
                _ => Some(registry::read_limited(&path)?),
            }
        }
        Head::Index => match repo.index_blob(name)? {
            Some(blob) => Some(repo.read_blob(&blob)?),
            None => None,
        },
        Head::Revision(commit) => repo.read_file_at(commit, name)?.map(|(_, b)| b),
    })
}

/// `--base`, else the merge base with the mainline ref of `--head` (or of
/// HEAD when checking the index or the working tree), else that commit.
fn base_commit(
    ctx: &Context,
    registry: &Registry,
    repo: &Repo,
    base: Option<&str>,
    head_commit: Option<&str>,
) -> Result<Option<String>> {
    if let Some(rev) = base {
        return repo.resolve_commit(rev)?.map(Some).ok_or_else(|| {
            fail(format!(
                "`{rev}` names no commit: the repository has none yet"
            ))
            .into()
        });
    }
    let head = match head_commit {
        Some(c) => c.to_string(),
        None => match repo.resolve_commit("HEAD")? {
            Some(c) => c,
            None => return Ok(None),
        },
    };
    let mainline = ctx.mainline_rev(registry);
    match repo.resolve_commit(mainline)? {
        Some(m) if m != head => Ok(repo.merge_base(&head, &m)?.or(Some(head))),
        _ => Ok(Some(head)),
    }
}

/// The lockfile of the side being checked, read once, and what the lock
/// memo says of it.
struct LockSide {
    bytes: Option<Vec<u8>>,
    /// The memo, keyed by the working tree's promptreg.yaml: only for the
    /// working tree.
    memo: Option<crate::lockfile::memo::LockMemo>,
    /// The memo says these bytes are what `lock` writes: nothing to resolve.
    vouched: bool,
}

impl LockSide {
    fn read(ctx: &Context, registry: &Registry, repo: &Repo, head: &Head) -> Result<LockSide> {
        let bytes = head_file(repo, &registry.root, head, lockfile::FILE_NAME)?;
        let memo = match head {
            Head::WorkingTree => ctx.lock_memo(registry, repo)?,
            _ => None,
        };
        let vouched = match (&memo, &bytes) {
            (Some(memo), Some(bytes)) => memo.fresh(bytes).is_some(),
            _ => false,
        };
        Ok(LockSide {
            bytes,
            memo,
            vouched,
        })
    }
}

/// `lockfile-stale`: the lockfile of the side being checked is not what
/// `promptreg lock` would write from its config.
fn lockfile_finding(
    ctx: &Context,
    registry: &Registry,
    config_text: &str,
    repo: &Repo,
    side: &LockSide,
    report: &mut Report,
) -> Result<()> {
    if side.vouched {
        return Ok(());
    }
    let file = repo.repo_path(lockfile::FILE_NAME);
    let history = ctx.history(registry, repo)?;
    let mut stale = |message: String| {
        report.findings.push(CheckFinding {
            prompt: None,
            file: file.clone(),
            line: None,
            rule: "lockfile-stale",
            level: Level::Error,
            message,
            required: None,
            actual: None,
        })
    };
    let status = lockfile::status_of(
        &registry.config,
        config_text,
        side.bytes.clone(),
        &history,
        ctx.mainline_rev(registry),
        repo,
        &mut crate::production::gates::ScoreGates::new(repo),
    );
    let comparison = match status {
        Ok(status) => {
            if let Some(memo) = &side.memo {
                memo.remember(
                    &status.text,
                    &status.resolution.skipped,
                    &status.resolution.held_back,
                );
            }
            status.comparison
        }
        Err(e) => {
            stale(format!("prompts.lock cannot be resolved: {e:#}"));
            return Ok(());
        }
    };
    match comparison.freshness {
        Freshness::UpToDate => {}
        Freshness::Missing => {
            stale("prompts.lock is missing; run `promptreg lock` and commit it".into())
        }
        Freshness::OutOfDate => {
            let mut details: Vec<String> =
                comparison.changes.iter().map(|c| c.to_string()).collect();
            details.extend(
                comparison
                    .edited_by_hand
                    .iter()
                    .map(|e| format!("edited by hand: {e}")),
            );
            if let Some(why) = &comparison.unreadable {
                details.push(format!("unreadable: {why}"));
            }
            stale(format!(
                "prompts.lock is out of date; run `promptreg lock`{}",
                if details.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", details.join("; "))
                }
            ));
        }
    }
    Ok(())
}

/// `gate-failed`: the lockfile of the new side (working tree, index or
/// revision) pins, in a gated environment, a version that fails the gate.
/// A missing or unreadable lockfile has no pins to judge (`lockfile-stale`
/// says so for the working tree).
fn gate_findings(
    ctx: &Context,
    registry: &Registry,
    repo: &Repo,
    lockfile_bytes: Option<&[u8]>,
    report: &mut Report,
) -> Result<()> {
    if registry.config.gates.is_empty() {
        return Ok(());
    }
    let history = ctx.history(registry, repo)?;
    let Some(bytes) = lockfile_bytes else {
        return Ok(());
    };
    let Ok(lock) = lockfile::parse(bytes) else {
        return Ok(());
    };
    let text = String::from_utf8_lossy(bytes);
    let file = repo.repo_path(lockfile::FILE_NAME);
    for failure in
        crate::production::gates::locked_failures(repo, &registry.config, &lock, &history)?
    {
        let line = promptreg_core::yaml::locate(
            &text,
            &["environments", &failure.environment, &failure.name],
        )
        .map(|l| l.line);
        report.findings.push(CheckFinding {
            prompt: Some(failure.name.clone()),
            file: file.clone(),
            line,
            rule: "gate-failed",
            level: Level::Error,
            message: format!(
                "environment `{}` pins {} {}, which fails its gates: {}",
                failure.environment,
                failure.name,
                failure.verdict.version,
                failure.verdict.summary()
            ),
            required: None,
            actual: None,
        });
    }
    Ok(())
}

/// `3 prompts changed, 1 error, 0 warnings`.
fn summary(report: &Report, errors: usize, warnings: usize) -> String {
    let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    format!(
        "{} changed, {}, {}",
        count(report.prompts_changed, "prompt"),
        count(errors, "error"),
        count(warnings, "warning")
    )
}

fn human(report: &Report, summary: &str) -> String {
    let mut s = String::new();
    let mut groups: Vec<(Option<&str>, &str)> = Vec::new();
    for f in &report.findings {
        let key = (f.prompt.as_deref(), f.file.as_str());
        if !groups.contains(&key) {
            groups.push(key);
        }
    }
    for (prompt, file) in groups {
        match prompt {
            Some(p) => {
                let _ = writeln!(s, "{p} ({file})");
            }
            None => {
                let _ = writeln!(s, "{file}");
            }
        }
        s.push_str(&output::table(
            &["level", "rule", "line", "message"],
            report
                .findings
                .iter()
                .filter(|f| f.prompt.as_deref() == prompt && f.file == file)
                .map(|f| {
                    vec![
                        f.level.to_string(),
                        f.rule.to_string(),
                        f.line.map(|l| l.to_string()).unwrap_or_default(),
                        f.message.clone(),
                    ]
                }),
        ));
    }
    if !summary.is_empty() {
        let _ = writeln!(s, "{summary}");
    }
    s
}

/// GitHub's workflow-command escaping for a property value or a message.
fn escape(text: &str, property: bool) -> String {
    let s = text
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        s.replace(':', "%3A").replace(',', "%2C")
    } else {
        s
    }
}

fn github(report: &Report, summary: &str, strict: bool) -> String {
    let mut s = String::new();
    for f in &report.findings {
        let kind = if f.level == Level::Error || strict {
            "error"
        } else {
            "warning"
        };
        let line = f.line.map(|l| format!(",line={l}")).unwrap_or_default();
        let _ = writeln!(
            s,
            "::{kind} file={}{line},title={}::{}",
            escape(&f.file, true),
            escape(&format!("promptreg {}", f.rule), true),
            escape(&f.message, false)
        );
    }
    if !summary.is_empty() {
        let _ = writeln!(s, "{summary}");
    }
    s
}

fn append_step_summary(path: &std::path::Path, report: &Report, summary: &str) -> Result<()> {
    use std::io::Write;
    let mut md = String::from("### promptreg check\n\n");
    if report.findings.is_empty() {
        md.push_str("No problems found.\n\n");
    } else {
        md.push_str("| level | prompt | rule | file | message |\n|---|---|---|---|---|\n");
        for f in &report.findings {
            let cell = |t: &str| t.replace('|', "\\|").replace('\n', " ");
            let _ = writeln!(
                md,
                "| {} | {} | `{}` | {}{} | {} |",
                f.level,
                cell(f.prompt.as_deref().unwrap_or("")),
                f.rule,
                cell(&f.file),
                f.line.map(|l| format!(":{l}")).unwrap_or_default(),
                cell(&f.message)
            );
        }
        md.push('\n');
    }
    let _ = writeln!(md, "{summary}\n");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| {
            fail(format!(
                "cannot write GITHUB_STEP_SUMMARY ({}): {e}",
                path.display()
            ))
        })?;
    file.write_all(md.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn github_escaping() {
        assert_eq!(escape("a%b\r\nc", false), "a%25b%0D%0Ac");
        assert_eq!(escape("a: b, c", false), "a: b, c");
        assert_eq!(
            escape("dir/a:b,c.prompt.yaml", true),
            "dir/a%3Ab%2Cc.prompt.yaml"
        );
    }
}
