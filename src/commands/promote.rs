use crate::cli::PromoteArgs;
use crate::context::Context;
use crate::history::git::{self, Repo};
use crate::history::short;
use crate::lockfile::{self, Change};
use crate::output::{Format, Output};
use crate::production::deploy::{self, PinPlan};
use crate::production::gates::{self, GateVerdict};
use crate::production::scores::ScoreReader;
use anyhow::Result;
use promptreg_core::config::{self, EnvRule};
use promptreg_core::error::fail;
use promptreg_core::reference::{PromptRef, Selector};
use promptreg_core::registry::Registry;
use serde::Serialize;
use std::fmt::Write as _;

/// What `promote` did (or, with `--dry-run`, would do).
#[derive(Debug, Serialize)]
struct PromoteReport<'a> {
    prompt: &'a str,
    version: &'a str,
    environment: &'a str,
    dry_run: bool,
    /// The gates of the environment applied to the version (`null`: the
    /// environment has no gates).
    gates: Option<&'a GateVerdict>,
    /// True when the version failed its gates and `--force` promoted it.
    forced: bool,
    #[serde(flatten)]
    files: FilesReport<'a>,
}

/// How promptreg.yaml and prompts.lock change, and the commit made.
#[derive(Debug, Serialize)]
pub(crate) struct FilesReport<'a> {
    config: ConfigReport<'a>,
    lockfile: LockReport<'a>,
    /// The commit made by `--commit`.
    commit: Option<String>,
}

#[derive(Debug, Serialize)]
struct ConfigReport<'a> {
    file: &'static str,
    changed: bool,
    /// Line of the entry in the new file.
    line: usize,
    /// The environment's rule for the prompt before (`null`: none of its own).
    before: Option<&'a EnvRule>,
    after: String,
    created_environment: bool,
}

#[derive(Debug, Serialize)]
struct LockReport<'a> {
    file: &'static str,
    changed: bool,
    changes: &'a [Change],
}

impl<'a> FilesReport<'a> {
    pub(crate) fn new(plan: &'a PinPlan, commit: Option<String>) -> Self {
        FilesReport {
            config: ConfigReport {
                file: config::FILE_NAME,
                changed: plan.config_changed,
                line: plan.config_line,
                before: plan.rule_before.as_ref(),
                after: deploy::exact(&plan.version),
                created_environment: plan.created_environment,
            },
            lockfile: LockReport {
                file: lockfile::FILE_NAME,
                changed: plan.lock_changed,
                changes: &plan.changes,
            },
            commit,
        }
    }
}

pub fn run(args: &PromoteArgs, ctx: &Context) -> Result<Output> {
    let registry = ctx.registry()?;
    let reference = PromptRef::parse(&args.prompt)?;
    let name = &reference.name;
    let Selector::Exact(version) = &reference.selector else {
        return Err(fail(format!(
            "`{}`: promote needs an exact released version",
            args.prompt
        ))
        .hint(format!(
            "write {name}@1.2.0; `promptreg log {name}` lists the released versions"
        ))
        .into());
    };
    let (repo, history, read_at) = open_for_change(ctx, &registry, args.commit && !args.dry_run)?;
    let mainline = ctx.mainline_rev(&registry);
    let release = deploy::released(&history, name, version, mainline)?;

    let verdict = if gates::is_gated(&registry.config, &args.env) {
        let mut reader = ScoreReader::new(&repo);
        Some(gates::verdict(
            &mut reader,
            &registry.config,
            &args.env,
            name,
            release,
        )?)
    } else {
        None
    };
    let failed = verdict.as_ref().is_some_and(|v| !v.passed);
    if failed && !args.force {
        let summary = verdict
            .as_ref()
            .map(GateVerdict::summary)
            .unwrap_or_default();
        return Err(fail(format!(
            "{name} {version} fails the gates of `{}`: {summary}",
            args.env
        ))
        .hint(format!(
            "record its scores with `promptreg score {name}@{version} --metric METRIC=VALUE`, or pass --force to promote it anyway (recorded in the commit as `Gate-Override:`)"
        ))
        .into());
    }
    let forced_by = if failed {
        Some(git::identity(&registry.root)?)
    } else {
        None
    };
    let plan = deploy::plan(
        &registry,
        &history,
        mainline,
        &args.env,
        name,
        version,
        &repo,
        &mut gates::ScoreGates::new(&repo),
    )?;
    let commit = if args.dry_run {
        None
    } else {
        let message =
            deploy::promote_message(name, &version.to_string(), &args.env, forced_by.as_ref());
        apply(
            &registry,
            &repo,
            &plan,
            args.commit.then_some(CommitWith {
                message,
                no_verify: args.no_verify,
                read_at,
            }),
        )?
    };
    let report = PromoteReport {
        prompt: name.as_str(),
        version: &plan.version,
        environment: &args.env,
        dry_run: args.dry_run,
        gates: verdict.as_ref(),
        forced: failed,
        files: FilesReport::new(&plan, commit.clone()),
    };
    if args.format == Format::Json {
        return Output::json(&report);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "promote {name} {version} to {}{}",
        args.env,
        if args.dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        }
    );
    if let Some(v) = &verdict {
        if v.passed {
            let _ = writeln!(out, "gates of {}: passed ({})", args.env, v.summary());
        } else if let Some(who) = &forced_by {
            let _ = writeln!(
                out,
                "gates of {}: FAILED ({}); promoted anyway with --force by {who}{}",
                args.env,
                v.summary(),
                if args.commit {
                    ""
                } else {
                    " (recorded only by --commit, as a Gate-Override trailer)"
                }
            );
        }
    }
    out.push_str(&human_plan(&plan));
    out.push_str(&human_commit(
        &plan,
        commit.as_deref(),
        args.commit,
        args.dry_run,
    ));
    Ok(Output::stdout(out))
}

/// `--commit` commits promptreg.yaml and prompts.lock alone: refuse other
/// staged changes and an operation in progress before anything is written.
/// The repository and its history for a command that changes the
/// environments; refuses up front a `--commit` that cannot be made safely.
pub(crate) fn open_for_change(
    ctx: &Context,
    registry: &Registry,
    will_commit: bool,
) -> Result<(Repo, std::rc::Rc<crate::history::History>, Option<String>)> {
    let repo = ctx.repo(registry)?;
    if will_commit {
        refuse_unsafe_commit(&repo)?;
    }
    // HEAD as the history is read: `--commit` moves it only from here.
    let read_at = repo.head();
    let history = ctx.history(registry, &repo)?;
    Ok((repo, history, read_at))
}

/// What `--commit` commits with: the message, `--no-verify`, and HEAD as
/// the command read it.
pub(crate) struct CommitWith {
    pub message: String,
    pub no_verify: bool,
    pub read_at: Option<String>,
}

fn refuse_unsafe_commit(repo: &Repo) -> Result<()> {
    repo.ensure_no_operation_in_progress()?;
    let lock = repo.repo_path(lockfile::FILE_NAME);
    let others: Vec<String> = repo
        .other_staged_paths(config::FILE_NAME)?
        .into_iter()
        .filter(|p| *p != lock)
        .collect();
    if !others.is_empty() {
        return Err(fail(format!(
            "other changes are staged ({}); --commit commits {} and {} alone",
            others.join(", "),
            config::FILE_NAME,
            lockfile::FILE_NAME
        ))
        .hint("commit or unstage them first (`git restore --staged PATH`)")
        .into());
    }
    Ok(())
}

/// Writes the plan's files (when they change) and, with a message, commits
/// both when either differs from HEAD. Returns the commit made.
pub(crate) fn apply(
    registry: &Registry,
    repo: &Repo,
    plan: &PinPlan,
    commit: Option<CommitWith>,
) -> Result<Option<String>> {
    let config_path = registry.root.join(config::FILE_NAME);
    let lock_path = registry.root.join(lockfile::FILE_NAME);
    let before: Vec<(&std::path::Path, Option<Vec<u8>>)> = [&config_path, &lock_path]
        .into_iter()
        .map(|p| (p.as_path(), std::fs::read(p).ok()))
        .collect();
    if plan.config_changed {
        crate::output::files::write_atomic(&config_path, plan.config_text.as_bytes())?;
    }
    if plan.lock_changed {
        crate::output::files::write_atomic(&lock_path, plan.lock_text.as_bytes())?;
    }
    let Some(commit) = commit else {
        return Ok(None);
    };
    let differs = |path: &str, now: &[u8]| -> Result<bool> {
        Ok(match repo.head() {
            Some(head) => repo.read_file_at(&head, path)?.map(|(_, b)| b).as_deref() != Some(now),
            None => true,
        })
    };
    let changed = differs(config::FILE_NAME, plan.config_text.as_bytes())?
        || differs(lockfile::FILE_NAME, plan.lock_text.as_bytes())?;
    if !changed {
        return Ok(None);
    }
    let committed = repo.commit_with_git(&git::CommitRequest {
        paths: &[config::FILE_NAME, lockfile::FILE_NAME],
        read: &[],
        message: &commit.message,
        read_at: commit.read_at.as_deref(),
        no_verify: commit.no_verify,
    });
    match committed {
        Ok(id) => Ok(Some(id)),
        Err(e) => {
            // Nothing stays written: both files are put back as they were.
            for (path, bytes) in &before {
                let undone = match bytes {
                    Some(b) => crate::output::files::write_atomic(path, b),
                    None => std::fs::remove_file(path).map_err(Into::into),
                };
                if let Err(undo) = undone {
                    return Err(e.context(format!(
                        "{} could not be put back: {undo:#}",
                        path.display()
                    )));
                }
            }
            Err(e.context(format!(
                "{} and {} are left as they were",
                config::FILE_NAME,
                lockfile::FILE_NAME
            )))
        }
    }
}

/// `"^1.2"`, `split { "=1.2.0": 90, "=1.3.0": 10 }`.
pub(crate) fn describe_rule(rule: &EnvRule) -> String {
    match rule {
        EnvRule::Requirement(r) => format!("\"{r}\""),
        EnvRule::Split { split } => {
            let arms: Vec<String> = split.iter().map(|(r, w)| format!("\"{r}\": {w}")).collect();
            format!("split {{ {} }}", arms.join(", "))
        }
    }
}

/// The edit of promptreg.yaml and the lockfile changes, for people.
pub(crate) fn human_plan(plan: &PinPlan) -> String {
    let mut out = String::new();
    let after = format!("\"{}\"", deploy::exact(&plan.version));
    let file = config::FILE_NAME;
    let line = plan.config_line;
    if !plan.config_changed {
        let _ = writeln!(
            out,
            "{file}:{line}: {} already {after} in {}",
            plan.name, plan.environment
        );
    } else {
        let before = match &plan.rule_before {
            Some(rule) => describe_rule(rule),
            None if plan.created_environment => "a new environment".to_string(),
            None => "no entry of its own".to_string(),
        };
        let _ = writeln!(
            out,
            "{file}:{line}: {}: {} {before} → {after}",
            plan.environment, plan.name
        );
    }
    if plan.changes.is_empty() {
        let _ = writeln!(
            out,
            "{}: no pinned version changes{}",
            lockfile::FILE_NAME,
            if plan.lock_changed {
                " (rewritten)"
            } else {
                ""
            }
        );
    } else {
        let _ = writeln!(out, "{}:", lockfile::FILE_NAME);
        for c in &plan.changes {
            let _ = writeln!(out, "  {:<12} {:<10}  {c}", c.environment, c.kind.as_str());
        }
    }
    out
}

/// The last line: the commit made, or what to do next.
pub(crate) fn human_commit(
    plan: &PinPlan,
    commit: Option<&str>,
    asked: bool,
    dry_run: bool,
) -> String {
    match commit {
        Some(id) => format!("committed {}\n", short(id)),
        None if dry_run => String::new(),
        None if asked => {
            "nothing to commit: promptreg.yaml and prompts.lock are as committed\n".into()
        }
        None if plan.config_changed || plan.lock_changed => format!(
            "Next: review with `git diff {} {}`, then commit them (or pass --commit).\n",
            config::FILE_NAME,
            lockfile::FILE_NAME
        ),
        None => String::new(),
    }
}
