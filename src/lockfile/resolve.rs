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

/// A version newer than the one pinned, matching the rule, that the
/// environment's gates held back (docs/DESIGN.md §9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct HeldBack {
    pub environment: String,
    pub name: String,
    /// The version held back.
    pub version: String,
    /// Why: the gates it fails (`no score for accuracy`).
    pub reason: String,
    /// The version pinned instead.
    pub pinned: String,
}

/// The lockfile `lock` would write, and what it had to leave out.
#[derive(Debug, Clone)]
pub struct Resolution {
    pub lockfile: Lockfile,
    pub skipped: Vec<Skipped>,
    /// Newer versions the gates kept out of gated environments.
    pub held_back: Vec<HeldBack>,
}

/// What the gates of an environment say of a released version. The
/// scores live in Git notes (`production::gates` reads them); resolution
/// only asks.
pub trait Gates {
    /// True when `env` of `config` has gates.
    fn gated(&self, config: &Config, env: &str) -> bool;
    /// `None` when `release` passes the gates of `env`, else why it fails
    /// (`no score for accuracy; latency 1300 misses < 1200`).
    fn failure(
        &mut self,
        config: &Config,
        env: &str,
        name: &PromptName,
        release: &ReleasedVersion,
    ) -> Result<Option<String>>;
}

/// No environment has gates: for resolving without scores.
pub struct NoGates;

impl Gates for NoGates {
    fn gated(&self, _: &Config, _: &str) -> bool {
        false
    }
    fn failure(
        &mut self,
        _: &Config,
        _: &str,
        _: &PromptName,
        _: &ReleasedVersion,
    ) -> Result<Option<String>> {
        Ok(None)
    }
}

/// The gates as one environment and prompt see them while a rule is picked.
struct GateView<'g> {
    gates: Option<&'g mut dyn Gates>,
    config: &'g Config,
    env: &'g str,
    name: &'g PromptName,
    /// (version held back, why) for the rule being picked.
    held: Vec<(String, String)>,
}

impl GateView<'_> {
    /// The highest of `candidates` (highest first) that passes the gates;
    /// the ones above it are recorded as held back. `Err(Ok(why))` when
    /// none passes; `Err(Err(e))` when scores cannot be read.
    fn first_passing<'a>(
        &mut self,
        candidates: Vec<&'a ReleasedVersion>,
        exact: bool,
    ) -> Result<Option<&'a ReleasedVersion>, anyhow::Error> {
        let Some(gates) = self.gates.as_deref_mut() else {
            return Ok(candidates.first().copied());
        };
        // An exact pin (`=1.3.0`) is a person's choice, the one `promote`
        // makes (and `--force` makes past the gates): it is pinned as
        // written, and `check` reports it if it fails.
        if exact {
            return Ok(candidates.first().copied());
        }
        let mut held = Vec::new();
        for release in candidates {
            match gates.failure(self.config, self.env, self.name, release)? {
                None => {
                    self.held.extend(held);
                    return Ok(Some(release));
                }
                Some(why) => held.push((release.version.to_string(), why)),
            }
        }
        self.held.extend(held);
        Ok(None)
    }
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

/// Applies one rule to a prompt's history; the inner `Err` says why
/// nothing fits. In a gated environment a rule takes the highest matching
/// version that passes the gates.
fn pick<'a>(
    history: &'a PromptHistory,
    rule: &EnvRule,
    view: &mut GateView<'_>,
) -> Result<Result<Picked<'a>, String>> {
    let released = history.listing();
    let newest_first = |keep: &dyn Fn(&ReleasedVersion) -> bool| -> Vec<&'a ReleasedVersion> {
        history.versions.iter().rev().filter(|r| keep(r)).collect()
    };
    // Why nothing passed: the versions tried and the gates each failed.
    let failed_gates = |view: &mut GateView<'_>, what: &str| -> String {
        let tried: Vec<String> = view
            .held
            .drain(..)
            .map(|(v, why)| format!("{v}: {why}"))
            .collect();
        format!(
            "no released version {what} passes the gates of `{}` ({})",
            view.env,
            tried.join("; ")
        )
    };
    match rule {
        EnvRule::Requirement(r) if r == "exclude" => Ok(Ok(Picked::Excluded)),
        EnvRule::Requirement(r) if r == "latest" || r == "latest-pre" => {
            let pre = r == "latest-pre";
            let candidates = newest_first(&|v| pre || v.version.pre.is_empty());
            if candidates.is_empty() {
                return Ok(Err(if pre {
                    format!("no released version (released: {released})")
                } else {
                    format!(
                        "only pre-releases are released ({released}); `latest` skips them, `latest-pre` accepts them"
                    )
                }));
            }
            Ok(match view.first_passing(candidates, false)? {
                Some(found) => Ok(Picked::One(found)),
                None => Err(failed_gates(view, &format!("(`{r}`)"))),
            })
        }
        EnvRule::Requirement(r) => {
            let req = match parse_requirement(r) {
                Ok(req) => req,
                Err(e) => return Ok(Err(e)),
            };
            let candidates = newest_first(&|v| req.matches(&v.version));
            if candidates.is_empty() {
                return Ok(Err(format!(
                    "no released version satisfies `{r}` (released: {released})"
                )));
            }
            Ok(match view.first_passing(candidates, is_exact(&req))? {
                Some(found) => Ok(Picked::One(found)),
                None => Err(failed_gates(view, &format!("matching `{r}`"))),
            })
        }
        EnvRule::Split { split } => {
            let mut arms: Vec<(&ReleasedVersion, u32)> = Vec::new();
            for (r, weight) in split {
                let req = match parse_requirement(r) {
                    Ok(req) => req,
                    Err(e) => return Ok(Err(e)),
                };
                let candidates = newest_first(&|v| req.matches(&v.version));
                if candidates.is_empty() {
                    return Ok(Err(format!(
                        "no released version satisfies split arm `{r}` (released: {released})"
                    )));
                }
                let Some(found) = view.first_passing(candidates, is_exact(&req))? else {
                    return Ok(Err(failed_gates(
                        view,
                        &format!("matching split arm `{r}`"),
                    )));
                };
                if let Some((other, _)) = arms.iter().find(|(a, _)| a.version == found.version) {
                    return Ok(Err(format!(
                        "split arms resolve to the same version {} (`{r}` and another arm); make each arm name a different version, e.g. \"={}\"",
                        other.version, other.version
                    )));
                }
                arms.push((found, *weight));
            }
            Ok(Ok(Picked::Split(arms)))
        }
    }
}

/// The versions held back while `picked` was chosen, with what was pinned.
fn held_of(
    env: &str,
    name: &PromptName,
    picked: &Picked<'_>,
    held: Vec<(String, String)>,
) -> Vec<HeldBack> {
    let pinned = match picked {
        Picked::Excluded => String::new(),
        Picked::One(r) => r.version.to_string(),
        Picked::Split(arms) => arms
            .iter()
            .map(|(r, _)| r.version.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    };
    held.into_iter()
        .map(|(version, reason)| HeldBack {
            environment: env.to_string(),
            name: name.to_string(),
            version,
            reason,
            pinned: pinned.clone(),
        })
        .collect()
}

/// `=1.2.0`: a requirement that names exactly one version.
fn is_exact(req: &VersionReq) -> bool {
    matches!(req.comparators.as_slice(), [c] if c.op == semver::Op::Exact && c.minor.is_some() && c.patch.is_some())
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
        partials: BTreeMap::new(),
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
    repo: &crate::history::git::Repo,
    gates: &mut dyn Gates,
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
    let mut held_back = Vec::new();
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
        let is_gated = gates.gated(config, env);
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
            let mut view = GateView {
                gates: is_gated.then_some(&mut *gates),
                config,
                env,
                name: &name,
                held: Vec::new(),
            };
            let picked = pick(prompt, rule, &mut view)?.map_err(|why| {
                let hint = if is_gated {
                    format!("record the scores the gates need (`promptreg score {name}@VERSION --metric M=V`), pin a version past them with `promptreg promote {name}@VERSION --env {env} --force`, or change the requirement in {}", promptreg_core::config::FILE_NAME)
                } else {
                    format!("change the requirement in {}, or release a matching version with `promptreg bump`", promptreg_core::config::FILE_NAME)
                };
                fail(format!("{where_}: environment `{env}`, {name}: {why}")).hint(hint)
            })?;
            held_back.extend(held_of(env, &name, &picked, view.held));
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
                let mut view = GateView {
                    gates: is_gated.then_some(&mut *gates),
                    config,
                    env,
                    name,
                    held: Vec::new(),
                };
                match pick(prompt, rule, &mut view)? {
                    Ok(picked) => {
                        held_back.extend(held_of(env, name, &picked, view.held));
                        pin(name, picked)?
                    }
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
    let partials = attach_partials(config, &at, history, repo, &mut builder, &mut pinned)?;
    let lockfile = Lockfile {
        lockfile_version: FORMAT_VERSION,
        prompts: builder.entries.into_values().collect(),
        partials,
        environments: pinned,
    }
    .canonical();
    Ok(Resolution {
        lockfile,
        skipped,
        held_back,
    })
}

/// Partials in a resolution (docs/DESIGN.md §16). A partial is not deployed
/// on its own: `"*"` leaves it out, and naming one is an error. Every other
/// pinned version gets the partials it reaches, resolved against the
/// releases as `compose` does (the highest release meeting every
/// requirement), and each partial version reached gets its own entry.
/// A file that never mentions `partial` has none, and is not read further.
fn attach_partials(
    config: &Config,
    at: &dyn Fn(&[&str]) -> String,
    history: &History,
    repo: &crate::history::git::Repo,
    builder: &mut EntryBuilder,
    pinned: &mut BTreeMap<String, BTreeMap<String, Pin>>,
) -> Result<Vec<LockEntry>> {
    let mut files = BTreeMap::new();
    for (key, entry) in &builder.entries {
        // Released means valid (docs/DESIGN.md §3): a file that mentions
        // partials parses.
        let parsed = repo.with_blob(&entry.blob, |b| {
            memchr::memmem::find(b, b"partial").and_then(|_| promptreg_core::prompt::parse(b).ok())
        })?;
        if let Some(prompt) = parsed {
            files.insert(key.clone(), prompt);
        }
    }
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let rules = environments(config);
    for (env, pins) in pinned.iter_mut() {
        let named = rules.get(env);
        let mut refused = None;
        pins.retain(|name, pin| {
            let is_partial = pin.versions().iter().any(|v| {
                Version::parse(v).is_ok_and(|v| {
                    files
                        .get(&(name.clone(), v))
                        .is_some_and(|p| p.file.partial)
                })
            });
            if is_partial && named.is_some_and(|r| r.contains_key(name.as_str())) {
                refused.get_or_insert_with(|| name.clone());
            }
            !is_partial
        });
        if let Some(name) = refused {
            return Err(fail(format!(
                "{}: environment `{env}` names `{name}`, a partial: partials are not deployed on their own",
                at(&["environments", env, &name])
            ))
            .hint(format!(
                "remove it from the environment; a partial is pinned with every prompt that includes it (`promptreg show {name}` lists them)"
            ))
            .into());
        }
    }
    // Entries no environment pins any more (the partials `"*"` left out).
    let still: std::collections::BTreeSet<(String, String)> = pinned
        .values()
        .flat_map(|pins| {
            pins.iter().flat_map(|(name, pin)| {
                pin.versions()
                    .into_iter()
                    .map(|v| (name.clone(), v.to_string()))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    builder
        .entries
        .retain(|(name, version), _| still.contains(&(name.clone(), version.to_string())));
    let mut partials: BTreeMap<(String, Version), LockEntry> = BTreeMap::new();
    for ((name, _), entry) in builder.entries.iter_mut() {
        let Some(prompt) = files.get(&(name.clone(), Version::parse(&entry.version)?)) else {
            continue;
        };
        if prompt.file.partials.is_empty() {
            continue;
        }
        let mut source = crate::partials::Releases { repo, history };
        let composition =
            promptreg_core::compose::compose(name, prompt, &mut source, "on the mainline")
                .map_err(|e| {
                    fail(format!("cannot pin {name} {}: {e}", entry.version)).hint(
                        "release the partials it needs (`promptreg log NAME` shows a partial's releases), or change its requirements",
                    )
                })?;
        for (partial, file) in &composition.partials {
            let partial_name = PromptName::parse(partial)?;
            let release = history
                .get(&partial_name)
                .and_then(|h| h.exact(&file.version))
                .ok_or_else(|| fail(format!("{partial} {} is not released", file.version)))?;
            partials
                .entry((partial.clone(), file.version.clone()))
                .or_insert(entry_for(&partial_name, release)?);
        }
        entry.partials = composition.versions();
    }
    Ok(partials.into_values().collect())
}
