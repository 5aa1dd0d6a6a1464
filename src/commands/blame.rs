use crate::cli::BlameArgs;
use crate::context::Context;
use crate::history::lock_history::{self, BlamePin, NoLockfile};
use crate::history::short;
use crate::lockfile;
use crate::output::{self, Format, Output};
use anyhow::Result;
use promptreg_core::date::rfc3339;
use promptreg_core::error::fail;

pub fn run(args: &BlameArgs, ctx: &Context) -> Result<Output> {
    let registry = ctx.registry()?;
    let at = lock_history::parse_moment(&args.at).ok_or_else(|| {
        fail(format!("`{}` is not a moment", args.at))
            .hint(format!("write {}", lock_history::MOMENT_FORMATS))
    })?;
    let name = args
        .name
        .as_deref()
        .map(crate::commands::parse_name)
        .transpose()?;
    let repo = ctx.repo(&registry)?;
    let head = repo.resolve_commit(ctx.mainline_rev(&registry))?;
    let history = lock_history::read(&repo, head.as_deref())?;
    let blame = match lock_history::blame(
        &history,
        at,
        args.env.as_deref(),
        name.as_ref().map(|n| n.as_str()),
    ) {
        Ok(b) => b,
        Err(NoLockfile::BeforeHistory) => {
            return Ok(Output::default()
                .with_stderr(format!(
                    "{} is before the first commit of the mainline: nothing was pinned then\n",
                    rfc3339(at)
                ))
                .with_code(1))
        }
        Err(NoLockfile::NotYet {
            commit,
            first,
            unreadable,
        }) => {
            let why = match (unreadable, first) {
                (Some(e), _) => format!("its {} cannot be read: {e}", lockfile::FILE_NAME),
                (None, Some((id, time))) => format!(
                    "it has no {}; the first commit with one is {} ({time})",
                    lockfile::FILE_NAME,
                    short(&id)
                ),
                (None, None) => format!("no mainline commit has a {}", lockfile::FILE_NAME),
            };
            return Ok(Output::default()
                .with_stderr(format!(
                    "at {} the mainline was at {}: {why}; nothing was pinned then\n",
                    rfc3339(at),
                    short(&commit)
                ))
                .with_code(1));
        }
    };
    if blame.pins.is_empty() && (args.env.is_some() || name.is_some()) {
        let what = match (&args.env, &name) {
            (Some(env), _) if !blame.environments.contains(env) => format!(
                "had no environment `{env}` (environments: {})",
                blame.environments.join(", ")
            ),
            (Some(env), Some(n)) => format!("did not pin {n} in {env}"),
            (None, Some(n)) => format!("did not pin {n} in any environment"),
            _ => "pinned nothing".to_string(),
        };
        return Ok(Output::default()
            .with_stderr(format!(
                "{} in force at {} (written by {}) {what}\n",
                lockfile::FILE_NAME,
                blame.at,
                short(&blame.lockfile_commit)
            ))
            .with_code(1));
    }
    if args.format == Format::Json {
        return Output::json(&blame);
    }
    let version = |p: &BlamePin| match (&p.version, &p.split) {
        (Some(v), _) => v.clone(),
        (None, Some(arms)) => arms
            .iter()
            .map(|a| format!("{} ({}%)", a.version, a.weight))
            .collect::<Vec<_>>()
            .join(", "),
        (None, None) => String::new(),
    };
    let reason = |p: &BlamePin| match (&p.reason, &p.split) {
        (Some(r), _) => r.clone(),
        (None, Some(arms)) => arms
            .iter()
            .map(|a| format!("{}: {}", a.version, a.reason.as_deref().unwrap_or("")))
            .collect::<Vec<_>>()
            .join("; "),
        (None, None) => String::new(),
    };
    let rows = blame.pins.iter().map(|p| {
        vec![
            p.environment.clone(),
            p.prompt.clone(),
            version(p),
            short(&p.commit).to_string(),
            p.author.clone(),
            reason(p),
        ]
    });
    Ok(Output::stdout(format!(
        "at {}: {} written by {} (mainline at {}, {})\n{}",
        blame.at,
        lockfile::FILE_NAME,
        short(&blame.lockfile_commit),
        short(&blame.commit),
        blame.commit_time,
        output::table(
            &[
                "environment",
                "prompt",
                "version",
                "pinned by",
                "author",
                "reason"
            ],
            rows
        )
    )))
}
