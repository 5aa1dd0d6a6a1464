use crate::cli::PickArgs;
use crate::context::Context;
use crate::lockfile;
use crate::output::{Format, Output};
use anyhow::Result;
use promptreg_core::error::fail;
use promptreg_core::split;
use serde::Serialize;
use std::fmt::Write as _;

/// `pick --format json`.
#[derive(Debug, Serialize)]
struct PickReport<'a> {
    prompt: &'a str,
    environment: &'a str,
    /// True when the environment splits the prompt between versions.
    split: bool,
    assignments: Vec<Assignment<'a>>,
}

#[derive(Debug, Serialize)]
struct Assignment<'a> {
    key: &'a str,
    version: String,
    /// The key's bucket (0 to 9999); `null` for a single pinned version.
    bucket: Option<u64>,
}

pub fn run(args: &PickArgs, ctx: &Context) -> Result<Output> {
    let registry = ctx.registry()?;
    let name = crate::commands::parse_name(&args.name)?;
    let env = args.env.as_str();
    // The lockfile alone decides: what is deployed is what it pins.
    let lock = lockfile::read_required(
        &registry.root.join(lockfile::FILE_NAME),
        "nothing is pinned",
    )?;
    let pins = lock.environment(env)?;
    let Some(pin) = pins.get(name.as_str()) else {
        return Err(fail(format!("environment `{env}` does not pin {name}"))
            .hint(format!(
                "it pins: {}",
                pins.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
            .into());
    };
    let mut assignments = Vec::new();
    for key in &args.key {
        if key.is_empty() {
            return Err(fail("--key is empty")
                .hint("pass the user or session id the version is picked for")
                .into());
        }
        let a = split::assign(pin, name.as_str(), env, key)?;
        assignments.push(Assignment {
            key,
            version: a.version,
            bucket: a.bucket,
        });
    }
    if args.format == Format::Json {
        return Output::json(&PickReport {
            prompt: name.as_str(),
            environment: env,
            split: matches!(pin, lockfile::Pin::Split(_)),
            assignments,
        });
    }
    let mut out = String::new();
    match assignments.as_slice() {
        [one] => {
            let _ = writeln!(out, "{}", one.version);
        }
        many => {
            for a in many {
                let _ = writeln!(out, "{}\t{}", a.key, a.version);
            }
        }
    }
    Ok(Output::stdout(out))
}
