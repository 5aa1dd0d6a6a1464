//! `promptreg.yaml`: where prompts live, environments, bump policy.

use crate::finding::Finding;
use crate::policy::BumpLevel;
use crate::yaml;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use std::path::{Component, Path};

/// The config file's name at the registry root.
pub const FILE_NAME: &str = "promptreg.yaml";

/// The environment used when `promptreg.yaml` declares none.
pub const DEFAULT_ENVIRONMENT: &str = "default";

/// What an environment wants of one prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum EnvRule {
    /// A SemVer requirement, or `latest`, `latest-pre`, `exclude`.
    Requirement(String),
    /// An A/B split: requirement → weight.
    Split {
        /// Each arm's requirement (e.g. `"=1.2.0"`) → its weight in percent;
        /// `check` wants the weights to sum to 100.
        split: IndexMap<String, u32>,
    },
}

// By hand rather than `untagged`: serde's untagged enums say only "data did
// not match any variant", and lose the line of a bad weight.
impl<'de> Deserialize<'de> for EnvRule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{Error, MapAccess, Visitor};
        struct Rule;
        impl<'de> Visitor<'de> for Rule {
            type Value = EnvRule;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a requirement (latest, latest-pre, exclude, \"^1.2\", \"=1.2.0\") or an A/B split (split: { REQUIREMENT: WEIGHT, ... })")
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<EnvRule, E> {
                Ok(EnvRule::Requirement(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EnvRule, A::Error> {
                let mut split: Option<IndexMap<String, Weight>> = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key != "split" {
                        return Err(A::Error::unknown_field(&key, &["split"]));
                    }
                    if split.is_some() {
                        return Err(A::Error::duplicate_field("split"));
                    }
                    split = Some(map.next_value()?);
                }
                let split = split.ok_or_else(|| A::Error::missing_field("split"))?;
                Ok(EnvRule::Split {
                    split: split.into_iter().map(|(req, w)| (req, w.0)).collect(),
                })
            }
        }
        d.deserialize_any(Rule)
    }
}

/// A split weight: a whole number (`check` wants percents summing to 100).
struct Weight(u32);

impl<'de> Deserialize<'de> for Weight {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{Error, Unexpected, Visitor};
        struct Percent;
        impl Visitor<'_> for Percent {
            type Value = Weight;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a weight: a whole percent from 0 to 100")
            }
            fn visit_u64<E: Error>(self, v: u64) -> Result<Weight, E> {
                // Above 100 is the sum rule's to report (`split-weights`).
                u32::try_from(v)
                    .map(Weight)
                    .map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
            }
            fn visit_i64<E: Error>(self, v: i64) -> Result<Weight, E> {
                match u64::try_from(v) {
                    Ok(u) => self.visit_u64(u),
                    Err(_) => Err(E::invalid_value(Unexpected::Signed(v), &self)),
                }
            }
        }
        d.deserialize_any(Percent)
    }
}

/// `promptreg.yaml`, as written.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where prompt files live, relative to the registry root (`prompts` by
    /// default). `check` normalizes it: `./prompts/` becomes `prompts`, and
    /// `.` (the root itself) the empty string.
    #[serde(default = "default_prompts_dir")]
    pub prompts_dir: String,
    /// The ref whose first-parent history is the mainline.
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
    /// Put before `NAME@VERSION` in the names of release tags, e.g.
    /// `prompts/` for `prompts/support/triage@1.2.0`; none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_prefix: Option<String>,
    /// Environment name → prompt name (or `*` for every prompt) → the
    /// versions it deploys. Empty means one environment, `default`, that
    /// deploys `latest` of every prompt.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub environments: IndexMap<String, IndexMap<String, EnvRule>>,
    /// Bump policy rule id → the level it requires, overriding the default
    /// (it can only raise a rule's level).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub bump_policy: IndexMap<String, BumpLevel>,
    /// Environment name → metric name → the condition its latest score must
    /// meet, e.g. `">= 0.85"` (see `metric::Threshold`).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub gates: IndexMap<String, IndexMap<String, String>>,
}

fn default_prompts_dir() -> String {
    "prompts".to_string()
}

impl Default for Config {
    fn default() -> Self {
        Config {
            prompts_dir: default_prompts_dir(),
            git_ref: None,
            tag_prefix: None,
            environments: IndexMap::new(),
            bump_policy: IndexMap::new(),
            gates: IndexMap::new(),
        }
    }
}

/// The config written by `promptreg init`.
pub const INITIAL: &str = "# promptreg registry configuration. Schema: `promptreg schema config`.
# yaml-language-server: $schema=.promptreg/schemas/config.schema.json

# Where prompt files live (`<name>.prompt.yaml`, any depth).
prompts_dir: prompts

# Which versions each environment deploys (SemVer requirements, Cargo syntax).
# `promptreg lock` pins them in prompts.lock.
environments:
  production:
    \"*\": latest        # highest released version, no pre-releases
  staging:
    \"*\": latest-pre    # pre-releases allowed
";

/// Parses and validates `promptreg.yaml`; every finding is returned.
pub fn check(bytes: &[u8]) -> Result<Config, Vec<Finding>> {
    let text = yaml::text_of(bytes)
        .map_err(|e| vec![Finding::error("unreadable", e.location, e.message)])?;
    let config: Config = yaml::from_str(text).map_err(|e| {
        let rule = if e.message.starts_with("unknown key") {
            "unknown-key"
        } else {
            "invalid-yaml"
        };
        vec![Finding::error(rule, e.location, e.message)]
    })?;
    let at = |path: &[&str]| yaml::locate(text, path);
    let mut findings = Vec::new();

    if !is_inside_relative(&config.prompts_dir) {
        findings.push(Finding::error(
            "prompts-dir",
            at(&["prompts_dir"]),
            format!(
                "prompts_dir `{}` must be a relative path inside the registry (no `..`, not absolute)",
                config.prompts_dir
            ),
        ));
    }
    if let Some(git_ref) = &config.git_ref {
        if let Err(why) = check_ref(git_ref) {
            findings.push(Finding::error(
                "ref",
                at(&["ref"]),
                format!("ref `{git_ref}` {why}; name a branch, tag or commit (e.g. `ref: main`), or drop the key for HEAD"),
            ));
        }
    }
    for (env, rules) in &config.environments {
        if !is_environment_name(env) {
            findings.push(Finding::error(
                "environment-name",
                at(&["environments", env]),
                format!("environment name `{env}` must be lowercase letters, digits, `_` and `-`, starting with a letter or digit"),
            ));
        }
        for (name, rule) in rules {
            let loc = at(&["environments", env, name]);
            if name != "*" {
                if let Err(e) = crate::name::PromptName::parse(name) {
                    findings.push(Finding::error(
                        "environment-prompt-name",
                        loc,
                        format!("environment `{env}`: {e}"),
                    ));
                }
            }
            match rule {
                EnvRule::Requirement(req) => {
                    if let Err(msg) = check_requirement(req, true) {
                        findings.push(Finding::error(
                            "environment-requirement",
                            loc,
                            format!("environment `{env}`, `{name}`: {msg}"),
                        ));
                    }
                }
                EnvRule::Split { split } => {
                    // In u64: u32 weights could wrap around to 100.
                    let total: u64 = split.values().map(|w| u64::from(*w)).sum();
                    if total != 100 {
                        findings.push(Finding::error(
                            "split-weights",
                            loc,
                            format!("environment `{env}`, `{name}`: split weights sum to {total}, not 100"),
                        ));
                    }
                    for req in split.keys() {
                        if let Err(msg) = check_requirement(req, false) {
                            findings.push(Finding::error(
                                "environment-requirement",
                                loc,
                                format!("environment `{env}`, `{name}`: {msg}"),
                            ));
                        }
                    }
                }
            }
        }
    }
    let rules: Vec<&str> = crate::policy::RULES.iter().map(|(id, _, _)| *id).collect();
    for (rule, level) in &config.bump_policy {
        match crate::policy::default_level(rule) {
            Some(default) if *level < default => findings.push(Finding::error(
                "bump-policy-lower",
                at(&["bump_policy", rule]),
                format!(
                    "bump_policy can only raise a rule's level: `{rule}` is {} by default",
                    crate::policy::level_name(default)
                ),
            )),
            Some(_) => {}
            None => {
                let hint = yaml::did_you_mean(rule, &rules)
                    .map(|b| format!(" (did you mean `{b}`?)"))
                    .unwrap_or_default();
                findings.push(Finding::error(
                    "bump-policy-rule",
                    at(&["bump_policy", rule]),
                    format!(
                        "unknown bump policy rule `{rule}`{hint}; known rules: {}",
                        rules.join(", ")
                    ),
                ));
            }
        }
    }
    for (env, gates) in &config.gates {
        let known = if config.environments.is_empty() {
            env == DEFAULT_ENVIRONMENT
        } else {
            config.environments.contains_key(env)
        };
        if !known {
            let envs: Vec<&str> = if config.environments.is_empty() {
                vec![DEFAULT_ENVIRONMENT]
            } else {
                config.environments.keys().map(String::as_str).collect()
            };
            let hint = yaml::did_you_mean(env, &envs)
                .map(|b| format!(" (did you mean `{b}`?)"))
                .unwrap_or_default();
            findings.push(Finding::error(
                "gate-environment",
                at(&["gates", env]),
                format!(
                    "gates name environment `{env}`, which `environments:` does not declare{hint}; environments: {}",
                    envs.join(", ")
                ),
            ));
        }
        for (metric, condition) in gates {
            let loc = at(&["gates", env, metric]);
            if !crate::scores::is_metric_name(metric) {
                findings.push(Finding::error(
                    "gate-metric",
                    loc,
                    format!("gates of `{env}`: `{metric}` is not a metric name (letters, digits, `_`, `.` and `-`, starting with a letter or digit)"),
                ));
            }
            if let Err(msg) = crate::metric::Threshold::parse(condition) {
                findings.push(Finding::error(
                    "gate-threshold",
                    loc,
                    format!("gates of `{env}`, `{metric}`: {msg}"),
                ));
            }
        }
    }
    if findings.is_empty() {
        let mut config = config;
        config.prompts_dir = normalize_dir(&config.prompts_dir);
        Ok(config)
    } else {
        Err(findings)
    }
}

/// `./prompts/` → `prompts`, `.` → `` (the registry root itself): one
/// spelling, so paths built from it are the paths Git stores.
fn normalize_dir(dir: &str) -> String {
    Path::new(dir)
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A mainline revision as Git can read it: not blank, no whitespace or
/// control characters, not an option (`-x`).
fn check_ref(git_ref: &str) -> Result<(), &'static str> {
    if git_ref.is_empty() {
        Err("is empty")
    } else if git_ref.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err("contains whitespace or a control character")
    } else if git_ref.starts_with('-') {
        Err("starts with `-`")
    } else {
        Ok(())
    }
}

/// A requirement string: a Cargo-style SemVer requirement or a keyword.
fn check_requirement(req: &str, keywords: bool) -> Result<(), String> {
    if keywords && matches!(req, "latest" | "latest-pre" | "exclude") {
        return Ok(());
    }
    semver::VersionReq::parse(req)
        .map(|_| ())
        .map_err(|e| format!("`{req}` is not a SemVer requirement ({e}); write e.g. \"^1.2\", \"=1.2.0\", latest, latest-pre or exclude"))
}

/// True for a relative path that stays inside its base (no `..`, no root).
pub fn is_inside_relative(path: &str) -> bool {
    let p = Path::new(path);
    !path.is_empty()
        && p.components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// Environment names: lowercase letters, digits, `_` and `-`, starting with
/// a letter or digit (the schemas' pattern).
pub fn is_environment_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_names_and_refs_are_checked_here() {
        let rules = |text: &str| -> Vec<&'static str> {
            match check(text.as_bytes()) {
                Ok(_) => Vec::new(),
                Err(findings) => findings.iter().map(|f| f.rule).collect(),
            }
        };
        assert_eq!(
            rules("environments:\n  Prod:\n    \"*\": latest\n"),
            ["environment-name"]
        );
        assert_eq!(rules("ref: \"\"\n"), ["ref"]);
        assert_eq!(rules("ref: \"main branch\"\n"), ["ref"]);
        assert_eq!(rules("ref: -x\n"), ["ref"]);
        assert!(
            rules("ref: origin/main\nenvironments:\n  prod-eu_1:\n    \"*\": latest\n").is_empty()
        );
    }
}
