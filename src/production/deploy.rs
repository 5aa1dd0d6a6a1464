//! Promote and rollback: pin one prompt of one environment to exactly one
//! released version by editing `promptreg.yaml` in place, then relock.
//! Returns plans (the new bytes of both files and what changes); the
//! commands write them. Never prints.

use crate::history::git::Identity;
use crate::history::{History, PromptHistory, ReleasedVersion};
use crate::lockfile::{self, Change, Existing, Lockfile, Pin};
use crate::production::gates::{self, GateVerdict};
use crate::production::scores::ScoreReader;
use anyhow::Result;
use promptreg_core::config::{self, EnvRule};
use promptreg_core::config_edit;
use promptreg_core::error::fail;
use promptreg_core::name::PromptName;
use promptreg_core::registry::{read_limited, Registry};
use semver::Version;
use std::collections::BTreeMap;

/// What pinning a version changes.
#[derive(Debug, Clone)]
pub struct PinPlan {
    pub environment: String,
    pub name: String,
    pub version: String,
    /// The environment's rule for the prompt before (`None`: it had no
    /// entry of its own).
    pub rule_before: Option<EnvRule>,
    /// The new promptreg.yaml.
    pub config_text: String,
    pub config_changed: bool,
    /// Line of the entry in the new promptreg.yaml.
    pub config_line: usize,
    pub created_environment: bool,
    /// The new prompts.lock.
    pub lock_text: String,
    pub lock_changed: bool,
    /// Per environment and prompt, what the new lockfile pins differently
    /// from the one on disk.
    pub changes: Vec<Change>,
}

/// The requirement that pins exactly `version`.
pub fn exact(version: &str) -> String {
    format!("={version}")
}

/// Plans pinning `name` to exactly `version` (which must be released) in
/// `env`. Without any environment in promptreg.yaml, the implicit
/// `default: {"*": latest}` is written out first so that it keeps deploying
/// what it did.
#[allow(clippy::too_many_arguments)] // what to pin, and the three sources it is resolved from
pub fn plan(
    registry: &Registry,
    history: &History,
    mainline: &str,
    env: &str,
    name: &PromptName,
    version: &Version,
    repo: &crate::history::git::Repo,
    gates: &mut dyn lockfile::Gates,
) -> Result<PinPlan> {
    if !promptreg_core::config::is_environment_name(env) {
        return Err(fail(format!(
            "`{env}` is not an environment name: lowercase letters, digits, `_` and `-`, starting with a letter or digit"
        ))
        .into());
    }
    let path = registry.root.join(config::FILE_NAME);
    let bytes = read_limited(&path)?;
    let original = String::from_utf8(bytes)
        .map_err(|_| fail(format!("{} is not valid UTF-8", config::FILE_NAME)))?;
    let mut text = original.clone();
    if registry.config.environments.is_empty() {
        text = config_edit::set_requirement(
            &text,
            promptreg_core::config::DEFAULT_ENVIRONMENT,
            "*",
            "latest",
        )?
        .text;
    }
    let requirement = exact(&version.to_string());
    let edit = config_edit::set_requirement(&text, env, name.as_str(), &requirement)?;
    let new_config = config::check(edit.text.as_bytes()).map_err(|_| {
        fail(format!(
            "editing {} would make it invalid; nothing was written",
            config::FILE_NAME
        ))
    })?;
    let resolution = lockfile::resolve(&new_config, &edit.text, history, mainline, repo, gates)?;
    let lock_text = lockfile::render(&resolution.lockfile);
    let existing = lockfile::read(&registry.root.join(lockfile::FILE_NAME))?;
    let empty = Lockfile {
        partials: Vec::new(),
        lockfile_version: lockfile::FORMAT_VERSION,
        prompts: Vec::new(),
        environments: BTreeMap::new(),
    };
    let (old_lock, lock_changed) = match &existing {
        Existing::Valid { bytes, lockfile } => {
            (lockfile, !lockfile::same_text(bytes, lock_text.as_bytes()))
        }
        _ => (&empty, true),
    };
    Ok(PinPlan {
        environment: env.to_string(),
        name: name.to_string(),
        version: version.to_string(),
        rule_before: registry
            .config
            .environments
            .get(env)
            .and_then(|rules| rules.get(name.as_str()))
            .cloned(),
        config_changed: edit.text != original,
        config_text: edit.text,
        config_line: edit.line,
        created_environment: edit.created_environment
            && !registry.config.environments.contains_key(env),
        changes: lockfile::changes(old_lock, &resolution.lockfile),
        lock_text,
        lock_changed,
    })
}

/// The released version `version` of `name`, or an error listing them.
pub fn released<'a>(
    history: &'a History,
    name: &PromptName,
    version: &Version,
    mainline: &str,
) -> Result<&'a ReleasedVersion> {
    let prompt = released_prompt(history, name, mainline)?;
    prompt.exact(version).ok_or_else(|| {
        fail(format!(
            "{name} {version} is not released on the mainline ({mainline}); released: {}",
            prompt.listing()
        ))
        .hint(format!(
            "only released versions can be deployed; `promptreg log {name}` lists them"
        ))
        .into()
    })
}

/// The history of a prompt that has released versions.
pub fn released_prompt<'a>(
    history: &'a History,
    name: &PromptName,
    mainline: &str,
) -> Result<&'a PromptHistory> {
    history
        .get(name)
        .filter(|h| !h.versions.is_empty())
        .ok_or_else(|| {
            fail(format!(
                "{name} has no released version on the mainline ({mainline})"
            ))
            .hint("commit the prompt to release it; `promptreg log` lists released prompts")
            .into()
        })
}

/// The commit message of `promote`, with its trailers.
pub fn promote_message(
    name: &PromptName,
    version: &str,
    env: &str,
    forced_by: Option<&Identity>,
) -> String {
    let mut message = format!(
        "promote {name} {version} to {env}\n\nPrompt: {name}\nPrompt-Version: {version}\nEnvironment: {env}\n"
    );
    if let Some(who) = forced_by {
        message.push_str(&format!("Gate-Override: forced by {who}\n"));
    }
    message
}

/// The commit message of `rollback`, with its trailers.
pub fn rollback_message(name: &PromptName, env: &str, from: &Pin, to: &str) -> String {
    format!(
        "rollback {name} in {env}: {from} → {to}\n\nPrompt: {name}\nPrompt-Version: {to}\nEnvironment: {env}\n"
    )
}

/// What `rollback --if-failing` found.
#[derive(Debug, Clone)]
pub struct FailingCheck {
    /// The gates applied to every version the environment pins.
    pub current: Vec<GateVerdict>,
    /// Versions below every failing one, newest first, with their verdicts,
    /// up to and including the first that passes.
    pub candidates: Vec<GateVerdict>,
    /// The newest of them that passes, when one does.
    pub target: Option<Version>,
}

impl FailingCheck {
    /// True when every pinned version passes.
    pub fn passing(&self) -> bool {
        self.current.iter().all(|v| v.passed)
    }
}

/// Applies the gates of `env` to what `pin` deploys and, when a version
/// fails, looks for the newest released version below every failing one
/// that passes (pre-releases only when a failing version is one).
pub fn check_failing(
    reader: &mut ScoreReader<'_>,
    registry: &Registry,
    env: &str,
    name: &PromptName,
    prompt: &PromptHistory,
    pin: &Pin,
) -> Result<FailingCheck> {
    let config = &registry.config;
    let mut current = Vec::new();
    for version in pin.versions() {
        let verdict = match Version::parse(version).ok().and_then(|v| prompt.exact(&v)) {
            Some(release) => gates::verdict(reader, config, env, name, release)?,
            None => gates::evaluate(config, env, version, &Default::default()),
        };
        current.push(verdict);
    }
    let failing: Vec<Version> = current
        .iter()
        .filter(|v| !v.passed)
        .filter_map(|v| Version::parse(&v.version).ok())
        .collect();
    let mut candidates = Vec::new();
    let mut target = None;
    if let Some(lowest) = failing.iter().min() {
        let pre = failing.iter().any(|v| !v.pre.is_empty());
        for release in prompt.versions.iter().rev() {
            if release.version >= *lowest || (!pre && !release.version.pre.is_empty()) {
                continue;
            }
            let verdict = gates::verdict(reader, config, env, name, release)?;
            let passed = verdict.passed;
            candidates.push(verdict);
            if passed {
                target = Some(release.version.clone());
                break;
            }
        }
    }
    Ok(FailingCheck {
        current,
        candidates,
        target,
    })
}
