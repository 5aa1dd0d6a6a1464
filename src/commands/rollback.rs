use crate::cli::RollbackArgs;
use crate::commands::promote::{
    apply, human_commit, human_plan, open_for_change, CommitWith, FilesReport,
};
use crate::context::Context;
use crate::history::lock_history::{self, Previous};
use crate::history::short;
use crate::lockfile::{self, Pin};
use crate::output::{Format, Output};
use crate::production::deploy;
use crate::production::gates::{self, GateVerdict};
use crate::production::scores::ScoreReader;
use anyhow::Result;
use promptreg_core::error::fail;
use semver::Version;
use serde::Serialize;
use std::fmt::Write as _;

/// What `rollback` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Action {
    RolledBack,
    /// `--if-failing`: the pinned version passes the gates.
    NothingNeeded,
    /// `--if-failing`: it fails them and no earlier version passes.
    NoPassingVersion,
}

/// `rollback --format json`.
#[derive(Debug, Serialize)]
struct RollbackReport<'a> {
    prompt: &'a str,
    environment: &'a str,
    action: Action,
    dry_run: bool,
    /// What the environment pinned (prompts.lock in the working tree).
    from: &'a Pin,
    /// The version pinned now (`null` when nothing was done).
    to: Option<String>,
    /// Without --to and --if-failing: the lockfile commit that pinned `to`.
    found_in: Option<String>,
    /// `--if-failing`: the gates applied to the pinned versions.
    gates: Option<&'a [GateVerdict]>,
    /// `--if-failing`: the earlier versions tried, newest first.
    candidates: Option<&'a [GateVerdict]>,
    #[serde(flatten)]
    files: Option<FilesReport<'a>>,
}

pub fn run(args: &RollbackArgs, ctx: &Context) -> Result<Output> {
    let registry = ctx.registry()?;
    let name = crate::commands::parse_name(&args.name)?;
    let env = args.env.as_str();
    let lock = lockfile::read_required(
        &registry.root.join(lockfile::FILE_NAME),
        "nothing is pinned, so there is nothing to roll back",
    )?;
    let pins = lock.environment(env)?;
    let Some(current) = pins.get(name.as_str()) else {
        return Err(fail(format!("environment `{env}` does not pin {name}"))
            .hint(format!(
                "`promptreg blame --at \"$(date -u +%FT%TZ)\" --env {env}` lists what it pins"
            ))
            .into());
    };
    let (repo, history, read_at) = open_for_change(ctx, &registry, args.commit && !args.dry_run)?;
    let mainline = ctx.mainline_rev(&registry);
    let prompt = deploy::released_prompt(&history, &name, mainline)?;

    let failing: deploy::FailingCheck;
    let mut report = RollbackReport {
        prompt: name.as_str(),
        environment: env,
        action: Action::RolledBack,
        dry_run: args.dry_run,
        from: current,
        to: None,
        found_in: None,
        gates: None,
        candidates: None,
        files: None,
    };
    let mut notes = String::new();
    let target: Version = if args.if_failing {
        if !gates::is_gated(&registry.config, env) {
            return Err(fail(format!(
                "environment `{env}` has no gates: --if-failing has nothing to check"
            ))
            .hint(format!(
                "add them to {}: `gates: {{ {env}: {{ accuracy: \">= 0.85\" }} }}`",
                promptreg_core::config::FILE_NAME
            ))
            .into());
        }
        let mut reader = ScoreReader::new(&repo);
        failing = deploy::check_failing(&mut reader, &registry, env, &name, prompt, current)?;
        report.gates = Some(&failing.current);
        report.candidates = Some(&failing.candidates);
        // A split names each version; a single pin is named already.
        let split = matches!(current, Pin::Split(_));
        let verdicts = |vs: &[GateVerdict], named: bool| -> String {
            vs.iter()
                .map(|v| {
                    if named {
                        format!("{}: {}", v.version, v.summary())
                    } else {
                        v.summary()
                    }
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        let failing_only: Vec<GateVerdict> = failing
            .current
            .iter()
            .filter(|v| !v.passed)
            .cloned()
            .collect();
        if failing.passing() {
            report.action = Action::NothingNeeded;
            if args.format == Format::Json {
                return Output::json(&report);
            }
            return Ok(Output::stdout(format!(
                "{name} {current} passes the gates of {env} ({}): nothing to do\n",
                verdicts(&failing.current, split)
            )));
        }
        match &failing.target {
            Some(v) => {
                let _ = writeln!(
                    notes,
                    "{name} {current} fails the gates of {env}: {}",
                    verdicts(&failing_only, split)
                );
                for c in &failing.candidates {
                    let _ = writeln!(
                        notes,
                        "  {} {}: {}",
                        c.version,
                        if c.passed { "passes" } else { "fails" },
                        c.summary()
                    );
                }
                v.clone()
            }
            None => {
                report.action = Action::NoPassingVersion;
                let tried = if failing.candidates.is_empty() {
                    "there is no earlier released version".to_string()
                } else {
                    format!(
                        "no earlier version passes ({})",
                        verdicts(&failing.candidates, true)
                    )
                };
                let message = format!(
                    "error: {name} {current} fails the gates of {env} ({}) and {tried}; nothing was changed\nhint: record scores with `promptreg score {name}@VERSION --metric METRIC=VALUE`, or pin a version with `promptreg rollback {name} --env {env} --to VERSION`\n",
                    verdicts(&failing_only, split)
                );
                let out = if args.format == Format::Json {
                    Output::json(&report)?
                } else {
                    Output::default()
                };
                return Ok(out.with_stderr(message).with_code(1));
            }
        }
    } else if let Some(to) = &args.to {
        Version::parse(to.trim()).map_err(|e| {
            fail(format!("`{to}` is not a version ({e})")).hint(format!(
                "write --to 1.2.0; `promptreg log {name}` lists the released versions"
            ))
        })?
    } else {
        let lock_history = lock_history::read(&repo, repo.resolve_commit(mainline)?.as_deref())?;
        match lock_history.previous(env, name.as_str(), current) {
            Previous::Found(Pin::Version(v), rev) => {
                report.found_in = Some(rev.commit.id.clone());
                let _ = writeln!(
                    notes,
                    "before {current}, {env} pinned {name} {v} (prompts.lock in {}, {})",
                    short(&rev.commit.id),
                    promptreg_core::date::rfc3339(rev.committed)
                );
                Version::parse(v).map_err(|_| {
                    fail(format!("prompts.lock in {} pins `{v}`, not a version", short(&rev.commit.id)))
                        .hint("pass --to VERSION")
                })?
            }
            Previous::Found(pin @ Pin::Split(_), rev) => {
                return Err(fail(format!(
                    "before {current}, {env} served {name} as a {pin} (prompts.lock in {}); rollback pins one version",
                    short(&rev.commit.id)
                ))
                .hint(format!(
                    "pass --to VERSION, e.g. --to {}",
                    pin.versions()
                        .into_iter()
                        .find(|v| Pin::Version(v.to_string()) != *current)
                        .unwrap_or("VERSION")
                ))
                .into())
            }
            Previous::None => {
                return Err(fail(format!(
                    "{env} pinned no other version of {name} before {current}: the mainline history of {} has none to roll back to",
                    lockfile::FILE_NAME
                ))
                .hint(format!(
                    "pass --to VERSION to pin another released version ({})",
                    prompt.listing()
                ))
                .into())
            }
        }
    };
    if *current == Pin::Version(target.to_string()) {
        return Err(fail(format!("{env} already pins {name} {target}"))
            .hint(format!(
                "`promptreg log {name}` lists the released versions"
            ))
            .into());
    }
    let release = deploy::released(&history, &name, &target, mainline)?;
    if !args.if_failing && gates::is_gated(&registry.config, env) {
        let mut reader = ScoreReader::new(&repo);
        let verdict = gates::verdict(&mut reader, &registry.config, env, &name, release)?;
        if !verdict.passed {
            let _ = writeln!(
                notes,
                "note: {name} {target} fails the gates of {env} too: {}",
                verdict.summary()
            );
        }
    }
    let plan = deploy::plan(
        &registry,
        &history,
        mainline,
        env,
        &name,
        &target,
        &repo,
        &mut gates::ScoreGates::new(&repo),
    )?;
    let commit = if args.dry_run {
        None
    } else {
        let message = deploy::rollback_message(&name, env, current, &target.to_string());
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
    report.to = Some(target.to_string());
    report.files = Some(FilesReport::new(&plan, commit.clone()));
    if args.format == Format::Json {
        return Ok(Output::json(&report)?.with_stderr(notes));
    }
    let mut out = format!(
        "rollback {name} in {env}: {current} → {target}{}\n",
        if args.dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        }
    );
    out.push_str(&human_plan(&plan));
    out.push_str(&human_commit(
        &plan,
        commit.as_deref(),
        args.commit,
        args.dry_run,
    ));
    Ok(Output::stdout(out).with_stderr(notes))
}
