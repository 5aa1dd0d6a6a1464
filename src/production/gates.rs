//! Gates: per environment, the evaluation scores a version must reach to be
//! deployed there (`gates:` in promptreg.yaml). A version passes when, for
//! every gated metric, its latest score meets the condition; a metric with
//! no score fails. Never prints.

use crate::history::git::Repo;
use crate::history::{History, ReleasedVersion};
use crate::lockfile::Lockfile;
use crate::production::scores::{format_number, Latest, ScoreReader};
use anyhow::Result;
use promptreg_core::config::Config;
pub use promptreg_core::metric::{Op, Threshold};
use promptreg_core::name::PromptName;
use serde::Serialize;
use std::fmt;

/// One gated metric of one version.
#[derive(Debug, Clone, Serialize)]
pub struct GateCheck {
    pub metric: String,
    /// The condition as written in promptreg.yaml.
    pub condition: String,
    /// The latest score, `None` when the version has none for the metric.
    pub value: Option<f64>,
    pub passed: bool,
}

impl fmt::Display for GateCheck {
    /// `accuracy 0.91 meets >= 0.85`, `accuracy 0.8 misses >= 0.85`,
    /// `accuracy: no score (needs >= 0.85)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let condition = self.condition.trim();
        match self.value {
            Some(v) => write!(
                f,
                "{} {} {} {condition}",
                self.metric,
                format_number(v),
                if self.passed { "meets" } else { "misses" }
            ),
            None => write!(f, "{}: no score (needs {condition})", self.metric),
        }
    }
}

/// The gates of one environment applied to one version.
#[derive(Debug, Clone, Serialize)]
pub struct GateVerdict {
    pub environment: String,
    pub version: String,
    pub passed: bool,
    pub checks: Vec<GateCheck>,
}

impl GateVerdict {
    /// `accuracy 0.8 misses >= 0.85; latency: no score (needs < 1200)`:
    /// the failing checks, or every check when all pass.
    pub fn summary(&self) -> String {
        let shown: Vec<String> = self
            .checks
            .iter()
            .filter(|c| self.passed || !c.passed)
            .map(ToString::to_string)
            .collect();
        shown.join("; ")
    }
}

/// True when `env` has gates.
pub fn is_gated(config: &Config, env: &str) -> bool {
    config.gates.get(env).is_some_and(|g| !g.is_empty())
}

/// Applies the gates of `env` to scores. A condition that does not parse
/// (config validation refuses it before) fails.
pub fn evaluate(config: &Config, env: &str, version: &str, latest: &Latest) -> GateVerdict {
    let mut checks = Vec::new();
    if let Some(gates) = config.gates.get(env) {
        for (metric, condition) in gates {
            let value = latest.get(metric).map(|r| r.value);
            let passed = match (Threshold::parse(condition), value) {
                (Ok(t), Some(v)) => t.passes(v),
                _ => false,
            };
            checks.push(GateCheck {
                metric: metric.clone(),
                condition: condition.clone(),
                value,
                passed,
            });
        }
    }
    GateVerdict {
        environment: env.to_string(),
        version: version.to_string(),
        passed: checks.iter().all(|c| c.passed),
        checks,
    }
}

/// Applies the gates of `env` to a released version, reading its scores.
pub fn verdict(
    reader: &mut ScoreReader<'_>,
    config: &Config,
    env: &str,
    name: &PromptName,
    release: &ReleasedVersion,
) -> Result<GateVerdict> {
    let latest = reader.latest(name, release)?;
    Ok(evaluate(config, env, &release.version.to_string(), &latest))
}

impl GateVerdict {
    /// Why the version fails, in the words `lock` uses: `no score for
    /// accuracy`, `accuracy 0.8 misses >= 0.85`.
    pub fn failure(&self) -> Option<String> {
        if self.passed {
            return None;
        }
        let failing: Vec<String> = self
            .checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| match c.value {
                None => format!("no score for {}", c.metric),
                Some(_) => c.to_string(),
            })
            .collect();
        Some(failing.join("; "))
    }
}

/// The gates of promptreg.yaml over the scores in Git notes, for `lock`'s
/// resolution: each version's notes are read once.
pub struct ScoreGates<'a> {
    reader: ScoreReader<'a>,
}

impl<'a> ScoreGates<'a> {
    pub fn new(repo: &'a Repo) -> Self {
        ScoreGates {
            reader: ScoreReader::new(repo),
        }
    }
}

impl crate::lockfile::Gates for ScoreGates<'_> {
    fn gated(&self, config: &Config, env: &str) -> bool {
        is_gated(config, env)
    }

    fn failure(
        &mut self,
        config: &Config,
        env: &str,
        name: &PromptName,
        release: &ReleasedVersion,
    ) -> Result<Option<String>> {
        Ok(verdict(&mut self.reader, config, env, name, release)?.failure())
    }
}

/// A version a lockfile pins in a gated environment that fails the gate.
#[derive(Debug, Clone, Serialize)]
pub struct LockedFailure {
    pub environment: String,
    pub name: String,
    pub verdict: GateVerdict,
}

/// Every (environment, prompt, version) of `lock` in a gated environment
/// whose latest scores fail that environment's gates. Scores are read from
/// the note on the version's release commit (from the history, else the
/// lockfile's `commit`).
pub fn locked_failures(
    repo: &Repo,
    config: &Config,
    lock: &Lockfile,
    history: &History,
) -> Result<Vec<LockedFailure>> {
    let mut reader = ScoreReader::new(repo);
    let mut out = Vec::new();
    for (env, pins) in &lock.environments {
        if !is_gated(config, env) {
            continue;
        }
        for (name, pin) in pins {
            for version in pin.versions() {
                let commit = PromptName::parse(name)
                    .ok()
                    .zip(semver::Version::parse(version).ok())
                    .and_then(|(n, v)| history.get(&n).and_then(|h| h.exact(&v)))
                    .map(|r| r.commit.id.clone())
                    .or_else(|| lock.entry(name, version).map(|e| e.commit.clone()))
                    .filter(|c| c.len() == 40 && c.bytes().all(|b| b.is_ascii_hexdigit()));
                let latest = match commit {
                    Some(c) => {
                        crate::production::scores::latest(&reader.records(&c, name, version)?)
                    }
                    None => Latest::new(),
                };
                let verdict = evaluate(config, env, version, &latest);
                if !verdict.passed {
                    out.push(LockedFailure {
                        environment: env.clone(),
                        name: name.clone(),
                        verdict,
                    });
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_parse_and_compare() {
        let t = |s: &str| Threshold::parse(s).unwrap();
        assert!(t(">= 0.85").passes(0.85));
        assert!(!t(">= 0.85").passes(0.849));
        assert!(t(">0.85").passes(0.86));
        assert!(!t("> 0.85").passes(0.85));
        assert!(t("< 1200").passes(1199.0));
        assert!(t("<= 1200").passes(1200.0));
        assert!(t("== 1").passes(1.0));
        assert!(t("  >=  -1.5e2 ").passes(-150.0));
        assert_eq!(t(">= 0.85").to_string(), ">= 0.85");
        for bad in [
            "0.85", "=> 0.85", "= 1", "!= 1", ">= ", ">= abc", ">= inf", ">= NaN", "~ 1",
        ] {
            assert!(Threshold::parse(bad).is_err(), "{bad}");
        }
    }
}
