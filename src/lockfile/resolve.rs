//! Resolution: promptreg.yaml + history → lockfile.

use super::*;
use crate::history::{History, PromptHistory, ReleasedVersion};
use anyhow::Result;
use indexmap::IndexMap;
use promptreg_core::config::{is_environment_name, DEFAULT_ENVIRONMENT};
use promptreg_core::config::{Config, EnvRule};
use promptreg_core::error::fail;
use promptreg_core::name::PromptName;
use promptreg_core::yaml;
use semver::{Version, VersionReq};
use serde::Serialize;
use std::collections::BTreeMap;

/// A prompt that `"*"` could not pin in an environment, and why. Named
/// prompts that cannot be pinned are errors instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Skipped {
    pub environment: String,
    pub name: String,
    pub reason: String,
}

/// The lockfile `lock` would write, and what it had to leave out.
#[derive(Debug, Clone)]
pub struct Resolution {
    pub lockfile: Lockfile,
    pub skipped: Vec<Skipped>,
}

/// The environments of `config`, or the implicit `default: {"*": latest}`.
pub fn environments(config: &Config) -> IndexMap<String, IndexMap<String, EnvRule>> {
    if config.environments.is_empty() {
        let mut rules = IndexMap::new();
        rules.insert("*".to_string(), EnvRule::Requirement("latest".into()));
        let mut envs = IndexMap::new();
        envs.insert(DEFAULT_ENVIRONMENT.to_string(), rules);
        envs
    } else {
        config.environments.clone()
    }
}

/// What a rule picks from one prompt's released versions.
enum Picked<'a> {
    Excluded,
    One(&'a ReleasedVersion),
    Split(Vec<(&'a ReleasedVersion, u32)>),
}

/// Applies one rule to a prompt's history; `Err` says why nothing fits.
fn pick<'a>(history: &'a PromptHistory, rule: &EnvRule) -> Result<Picked<'a>, String> {
    let released = history.listing();
    match rule {
        EnvRule::Requirement(r) if r == "exclude" => Ok(Picked::Excluded),
        EnvRule::Requirement(r) if r == "latest" => {
            history.latest(false).map(Picked::One).ok_or_else(|| {
                format!(
                    "only pre-releases are released ({released}); `latest` skips them, `latest-pre` accepts them"
                )
            })
        }
        EnvRule::Requirement(r) if r == "latest-pre" => history
            .latest(true)
            .map(Picked::One)
            .ok_or_else(|| format!("no released version (released: {released})")),
        EnvRule::Requirement(r) => {
            let req = parse_requirement(r)?;
            history
                .matching(&req)
                .map(Picked::One)
                .ok_or_else(|| format!("no released version satisfies `{r}` (released: {released})"))
        }
        EnvRule::Split { split } => {
            let mut arms: Vec<(&ReleasedVersion, u32)> = Vec::new();
            for (r, weight) in split {
                let req = parse_requirement(r)?;
                let found = history.matching(&req).ok_or_else(|| {
                    format!("no released version satisfies split arm `{r}` (released: {released})")
                })?;
                if let Some((other, _)) = arms.iter().find(|(a, _)| a.version == found.version) {
                    return Err(format!(
                        "split arms resolve to the same version {} (`{r}` and another arm); make each arm name a different version, e.g. \"={}\"",
                        other.version, other.version
                    ));
                }
                arms.push((found, *weight));
            }
            Ok(Picked::Split(arms))
        }
    }
}

fn parse_requirement(text: &str) -> Result<VersionReq, String> {
    VersionReq::parse(text).map_err(|e| format!("`{text}` is not a SemVer requirement ({e})"))
}

/// Builds lock entries from released versions, once per (name, version).
struct EntryBuilder {
    entries: BTreeMap<(String, Version), LockEntry>,
}

impl EntryBuilder {
    fn add(&mut self, name: &PromptName, release: &ReleasedVersion) -> Result<String> {
        let key = (name.to_string(), release.version.clone());
        if let std::collections::btree_map::Entry::Vacant(slot) = self.entries.entry(key) {
            slot.insert(entry_for(name, release)?);
        }
        Ok(release.version.to_string())
    }
}

/// The lock entry Git gives for a released version.
/// The hash comes from the history walk, which read the blob once.
pub fn entry_for(name: &PromptName, release: &ReleasedVersion) -> Result<LockEntry> {
    let changelog = release.entry.as_ref();
    Ok(LockEntry {
        name: name.to_string(),
        version: release.version.to_string(),
        path: release
            .path
            .strip_prefix("./")
            .unwrap_or(&release.path)
            .to_string(),
        commit: release.commit.id.clone(),
        blob: release.blob.clone(),
        sha256: release.sha256.clone(),
        // Without a changelog entry for the version (an invalid file was
        // committed), the release commit says who and when; no reason.
        reason: changelog.map(|e| e.reason.clone()).unwrap_or_default(),
        author: changelog.map_or_else(|| release.commit.author.to_string(), |e| e.author.clone()),
        date: changelog.map_or_else(
            || promptreg_core::date::rfc3339(release.commit.time),
            |e| e.date.clone(),
        ),
    })
}

/// Resolves every environment of `config` against the released versions
/// in `history`. `config_text` (the file as written) is used only to point
/// errors at a line; `mainline` names the ref in messages.
///
/// - a named prompt with no released version, or whose rule no released
///   version satisfies, is an error naming the line;
/// - `"*"` covers every prompt present at the head of the mainline that is
///   not named; one it cannot pin is skipped and reported in `skipped`;
/// - a prompt deleted from the mainline is pinned only when named.
pub fn resolve(
    config: &Config,
    config_text: &str,
    history: &History,
    mainline: &str,
) -> Result<Resolution> {
    let at = |path: &[&str]| {
        let loc = yaml::locate(config_text, path);
        match loc {
            Some(l) => format!("{}:{l}", promptreg_core::config::FILE_NAME),
            None => promptreg_core::config::FILE_NAME.to_string(),
        }
    };
    let mut builder = EntryBuilder {
        entries: BTreeMap::new(),
    };
    let mut pinned = BTreeMap::new();
    let mut skipped = Vec::new();
    let known: Vec<&str> = history.prompts.keys().map(PromptName::as_str).collect();
    for (env, rules) in &environments(config) {
        if !is_environment_name(env) {
            return Err(fail(format!(
                "{}: environment name `{env}` must be lowercase letters, digits, `_` and `-`, starting with a letter or digit",
                at(&["environments", env])
            ))
            .hint(format!("rename it in {}", promptreg_core::config::FILE_NAME))
            .into());
        }
        let mut pins = BTreeMap::new();
        let mut pin = |name: &PromptName, picked: Picked<'_>| -> Result<()> {
            match picked {
                Picked::Excluded => {}
                Picked::One(release) => {
                    let version = builder.add(name, release)?;
                    pins.insert(name.to_string(), Pin::Version(version));
                }
                Picked::Split(arms) => {
                    let mut split = Vec::new();
                    for (release, weight) in arms {
                        split.push(SplitArm {
                            version: builder.add(name, release)?,
                            weight,
                        });
                    }
                    split.sort_by(|a, b| version_order(&a.version, &b.version));
                    pins.insert(name.to_string(), Pin::Split(SplitPin { split }));
                }
            }
            Ok(())
        };
        for (key, rule) in rules {
            if key == "*" {
                continue;
            }
            let where_ = at(&["environments", env, key]);
            let name = PromptName::parse(key).map_err(|e| {
                fail(format!("{where_}: environment `{env}`: {e}")).hint(format!(
                    "fix the name in {}",
                    promptreg_core::config::FILE_NAME
                ))
            })?;
            let Some(prompt) = history.get(&name).filter(|h| !h.versions.is_empty()) else {
                let suggestion = yaml::did_you_mean(key, &known)
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                return Err(fail(format!(
                    "{where_}: environment `{env}` names `{key}`, which matches no prompt released on the mainline ({mainline})"
                ))
                .hint(format!(
                    "{suggestion}a prompt is released when a mainline commit carries its file; `promptreg log` lists released prompts"
                ))
                .into());
            };
            let picked = pick(prompt, rule).map_err(|why| {
                fail(format!("{where_}: environment `{env}`, {name}: {why}"))
                    .hint(format!("change the requirement in {}, or release a matching version with `promptreg bump`", promptreg_core::config::FILE_NAME))
            })?;
            pin(&name, picked)?;
        }
        if let Some(rule) = rules.get("*") {
            for (name, prompt) in &history.prompts {
                if !prompt.present || rules.contains_key(name.as_str()) {
                    continue;
                }
                if prompt.versions.is_empty() {
                    skipped.push(Skipped {
                        environment: env.clone(),
                        name: name.to_string(),
                        reason: "no released version has a readable `version:` (`promptreg log` shows why)".into(),
                    });
                    continue;
                }
                match pick(prompt, rule) {
                    Ok(picked) => pin(name, picked)?,
                    Err(reason) => skipped.push(Skipped {
                        environment: env.clone(),
                        name: name.to_string(),
                        reason,
                    }),
                }
            }
        }
        pinned.insert(env.clone(), pins);
    }
    let lockfile = Lockfile {
        lockfile_version: FORMAT_VERSION,
        prompts: builder.entries.into_values().collect(),
        environments: pinned,
    }
    .canonical();
    Ok(Resolution { lockfile, skipped })
}
