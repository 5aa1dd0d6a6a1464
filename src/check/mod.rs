//! The CI gate (docs/DESIGN.md §12): compare a new state of the registry
//! (working tree, index or revision) with a base revision and report every
//! rule a prompt change breaks. Returns findings; never prints.

use crate::history::git::{BlobId, Repo};
use crate::history::History;
use anyhow::Result;
use promptreg_core::compose::{compose, Source};
use promptreg_core::config::{Config, EnvRule, FILE_NAME};
use promptreg_core::finding::{Finding, Level};
use promptreg_core::name::{PromptName, SUFFIX};
use promptreg_core::policy::BumpLevel;
use promptreg_core::policy::{self, ActualBump, Verdict};
use promptreg_core::prompt::{self, Prompt};
use promptreg_core::registry::Registry;
use promptreg_core::yaml;
use semver::Version;
use serde::Serialize;
use std::collections::BTreeMap;

pub mod report;

/// Every rule `check` reports, with what to do about it (README lists them).
pub const RULES: &[(&str, &str)] = &[
    ("invalid-prompt", "The prompt file breaks a rule of the format. Fix it; `promptreg validate` lists every problem."),
    ("invalid-config", "promptreg.yaml is invalid. Fix it; `promptreg validate` lists every problem."),
    ("version-not-bumped", "The file changed but its version did not. Run `promptreg bump NAME auto -m REASON`."),
    ("version-not-greater", "The new version is not greater than the base version. Bump from the base version."),
    ("version-already-released", "This version was already released with other bytes. Released versions are immutable: bump to a new version."),
    ("bump-too-small", "The change requires a bigger bump (the policy rules that fired are named). Run `promptreg bump NAME auto -m REASON`."),
    ("version-skipped", "Warning: the bump skips versions (1.2.0 → 1.4.0). Use the next version unless the gap is intended."),
    ("changelog-entry-missing", "The changelog has no first entry for the new version. `promptreg bump` writes it."),
    ("changelog-entry-incomplete", "The new changelog entry lacks a reason, an author or a valid date."),
    ("changelog-entry-edited", "An older changelog entry was edited, or removed from the middle. History is append-only: restore it (trimming the oldest entries is allowed)."),
    ("deleted-but-required", "A deleted prompt is still named by an environment in promptreg.yaml. Remove it there too, or restore the prompt."),
    ("partial-changed", "Warning: a partial this prompt includes (the chain is named) changed, so what the prompt renders changes; `promptreg lock` picks the new partial version up. Review the prompt's output."),
    ("partial-missing", "The prompt includes a partial that does not exist (deleted or never added). Restore the partial, or remove the include and its declaration."),
    ("partial-unsatisfied", "No version of the partial meets the prompt's requirement (a major bump of the partial?). Update the requirement under `partials:`, and bump the prompt as its composed interface requires."),
    ("partial-cycle", "Partials include each other in a cycle (the chain is named). Break the cycle."),
    ("partial-depth", "Includes nest deeper than the limit (the chain is named). Flatten the partials."),
    ("partial-not-partial", "A name under `partials:` is a prompt, not a partial (`partial: true`). Include only partials."),
    ("partial-variable-conflict", "Two partials declare a variable differently. Declare it in the prompt to settle it."),
    ("partial-unreadable", "A partial the prompt includes is not a valid file. Fix it; `promptreg validate` lists every problem."),
    ("lockfile-stale", "prompts.lock is out of date. Run `promptreg lock` and commit prompts.lock."),
    ("gate-failed", "prompts.lock pins, in an environment with `gates:`, a version whose latest scores miss a gate (or that has no score for a gated metric). Record its scores with `promptreg score`, or pin a passing version (`promptreg rollback NAME --env ENV --if-failing`)."),
];

/// One finding of `check`, about one prompt (or the config or lockfile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckFinding {
    /// The prompt, when the finding is about one.
    pub prompt: Option<String>,
    /// Path relative to the repository root (what CI annotations need).
    pub file: String,
    pub line: Option<usize>,
    pub rule: &'static str,
    pub level: Level,
    pub message: String,
    /// The bump the change requires (`null` when the finding is not about
    /// a version change); always present so the JSON shape never varies.
    pub required: Option<BumpLevel>,
    /// The bump from the base version to the new one (`null` likewise).
    pub actual: Option<ActualBump>,
}

impl CheckFinding {
    /// A finding about prompt `name` in `file`, not about a version change.
    fn about(
        name: &PromptName,
        file: &str,
        rule: &'static str,
        level: Level,
        line: Option<usize>,
        message: String,
    ) -> CheckFinding {
        CheckFinding {
            prompt: Some(name.to_string()),
            file: file.to_string(),
            line,
            rule,
            level,
            message,
            required: None,
            actual: None,
        }
    }
}

/// The new side of the comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    WorkingTree,
    /// What `git commit` would record.
    Index,
    Revision(String),
}

/// What `check` found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Prompt files whose bytes differ between base and head.
    pub prompts_changed: usize,
    /// The prompts checked (changed, added or deleted), in path order: what
    /// a JUnit report lists as test cases.
    #[serde(skip)]
    pub prompts: Vec<CheckedPrompt>,
    pub findings: Vec<CheckFinding>,
}

/// A prompt that `check` compared: its name and file (repository-relative).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedPrompt {
    pub name: String,
    pub file: String,
}

/// A prompt file on one side: its blob id, and its bytes when they were
/// read already (working tree). Blobs are read only for files that differ.
struct FileState {
    blob: BlobId,
    bytes: Option<Vec<u8>>,
}

impl FileState {
    fn contents(&self, repo: &Repo) -> Result<Vec<u8>> {
        match &self.bytes {
            Some(bytes) => Ok(bytes.clone()),
            None => repo.read_blob(&self.blob),
        }
    }
}

fn unread(files: Vec<(String, BlobId)>) -> BTreeMap<String, FileState> {
    files
        .into_iter()
        .map(|(path, blob)| (path, FileState { blob, bytes: None }))
        .collect()
}

fn files_at_commit(repo: &Repo, commit: &str, dir: &str) -> Result<BTreeMap<String, FileState>> {
    Ok(unread(repo.list_files(commit, dir, SUFFIX)?))
}

/// Compares `head` with the base commit and reports every finding.
/// `history_of` gives the mainline history of the prompts that changed
/// (it may hold others too): only theirs is read.
pub fn check(
    registry: &Registry,
    config_findings: Vec<Finding>,
    repo: &Repo,
    history_of: &dyn Fn(&[PromptName]) -> Result<std::rc::Rc<History>>,
    base: Option<&str>,
    head: &Head,
) -> Result<Report> {
    let dir = &registry.config.prompts_dir;
    let base_files = match base {
        Some(commit) => files_at_commit(repo, commit, dir)?,
        // No commit yet: every prompt is new.
        None => BTreeMap::new(),
    };
    let mut findings: Vec<CheckFinding> = config_findings
        .into_iter()
        .map(|f| CheckFinding {
            prompt: None,
            file: repo.repo_path(FILE_NAME),
            line: f.line,
            rule: "invalid-config",
            level: Level::Error,
            message: f.message,
            required: None,
            actual: None,
        })
        .collect();
    let head_files = match head {
        Head::Revision(commit) => files_at_commit(repo, commit, dir)?,
        Head::Index => unread(repo.index_files(dir, SUFFIX)?),
        Head::WorkingTree => {
            let scan = registry.scan()?;
            for problem in scan.problems {
                findings.push(CheckFinding {
                    prompt: None,
                    file: repo.repo_path(problem.file.as_deref().unwrap_or(dir)),
                    line: None,
                    rule: "invalid-prompt",
                    level: Level::Error,
                    message: format!("{} [{}]", problem.message, problem.rule),
                    required: None,
                    actual: None,
                });
            }
            let mut out = BTreeMap::new();
            for name in scan.prompts {
                let bytes = registry.read_prompt(&name)?;
                out.insert(
                    name.file_name(),
                    FileState {
                        blob: repo.worktree_blob(&registry.relative_path(&name), &bytes)?,
                        bytes: Some(bytes),
                    },
                );
            }
            out
        }
    };

    let mut paths: Vec<&String> = base_files.keys().chain(head_files.keys()).collect();
    paths.sort();
    paths.dedup();
    let differs = |path: &String| match (base_files.get(path), head_files.get(path)) {
        (Some(a), Some(b)) => a.blob != b.blob,
        _ => true,
    };
    let changed_names: Vec<PromptName> = paths
        .iter()
        .filter(|p| differs(p))
        .filter_map(|p| PromptName::from_relative_path(p)?.ok())
        .collect();
    let history = history_of(&changed_names)?;
    let mut changed = 0;
    let mut checked_prompts = Vec::new();
    let mut changed_partials = std::collections::BTreeSet::new();
    let mut head_partials = side_partials(repo, &head_files);
    let mut base_partials = side_partials(repo, &base_files);
    for path in paths {
        let (old, new) = (base_files.get(path), head_files.get(path));
        if let (Some(a), Some(b)) = (old, new) {
            if a.blob == b.blob {
                continue;
            }
        }
        changed += 1;
        let name = match PromptName::from_relative_path(path) {
            Some(Ok(name)) => name,
            // The working tree's scan has reported bad names already; the
            // index and a revision are not scanned.
            Some(Err(e)) if new.is_some() && *head != Head::WorkingTree => {
                findings.push(CheckFinding {
                    prompt: None,
                    file: repo.repo_path(&format!("{}/{path}", dir.trim_end_matches('/'))),
                    line: None,
                    rule: "invalid-prompt",
                    level: Level::Error,
                    message: format!("{e}; rename the file [prompt-name]"),
                    required: None,
                    actual: None,
                });
                continue;
            }
            _ => continue,
        };
        let file = repo.repo_path(&registry.relative_path(&name));
        checked_prompts.push(CheckedPrompt {
            name: name.to_string(),
            file: file.clone(),
        });
        let mut report =
            |rule: &'static str, level: Level, line: Option<usize>, message: String| {
                findings.push(CheckFinding::about(
                    &name, &file, rule, level, line, message,
                ));
            };
        let Some(new) = new else {
            if let Some(old) = old {
                if old
                    .contents(repo)
                    .ok()
                    .and_then(|b| prompt::parse(&b).ok())
                    .is_some_and(|p| p.file.partial)
                {
                    changed_partials.insert(name.to_string());
                }
            }
            // Reported where the fix is: the environment's line.
            for (line, message) in still_required(&registry.config, &registry.root, &name) {
                findings.push(CheckFinding {
                    prompt: Some(name.to_string()),
                    file: repo.repo_path(FILE_NAME),
                    line,
                    rule: "deleted-but-required",
                    level: Level::Error,
                    message,
                    required: None,
                    actual: None,
                });
            }
            continue;
        };
        let checked = prompt::check(&new.contents(repo)?);
        let old_bytes = old.map(|o| o.contents(repo)).transpose()?;
        // Parsed once: whether it was a partial, and the base side below.
        let old_prompt = old_bytes.as_deref().and_then(|b| prompt::parse(b).ok());
        let was_partial = old_prompt.as_ref().is_some_and(|p| p.file.partial);
        // A file that does not parse may be a partial someone includes: the
        // prompts that reach it are composed again below.
        let may_be_partial = checked.prompt.as_ref().is_none_or(|p| p.file.partial);
        if was_partial || may_be_partial {
            changed_partials.insert(name.to_string());
        }
        for f in checked.findings.iter().filter(|f| f.level == Level::Error) {
            let rule = rule_of(f);
            let message = if rule == "invalid-prompt" {
                format!("{} [{}]", f.message, f.rule)
            } else {
                f.message.clone()
            };
            report(rule, Level::Error, f.line, message);
        }
        let Some(new_prompt) = checked.prompt else {
            continue;
        };
        let version_line = yaml::locate(&new_prompt.text, &["version"]).map(|l| l.line);
        let released = history.get(&name);
        if let Some(r) = released.and_then(|h| h.exact(&new_prompt.version)) {
            // Same version as the base: that is `version-not-bumped`, said below.
            let same_as_base = old_bytes
                .as_deref()
                .is_some_and(|o| parse_version(o).as_ref() == Some(&new_prompt.version));
            if r.blob != new.blob && !same_as_base {
                report(
                    "version-already-released",
                    Level::Error,
                    version_line,
                    format!(
                        "{} was released in {} with other bytes; released versions are immutable",
                        new_prompt.version,
                        crate::history::short(&r.commit.id)
                    ),
                );
            }
        }
        // The composed interface (docs/DESIGN.md §16): a partial's
        // variables are part of every prompt that includes it.
        let mut new_interface = new_prompt.clone();
        if !new_prompt.file.partials.is_empty() {
            match compose(
                name.as_str(),
                &new_prompt,
                &mut head_partials,
                "in the checked tree",
            ) {
                Ok(c) => new_interface = c.interface(&new_prompt),
                Err(e) => {
                    let line = declaration_line(&new_prompt.text, e.declaration());
                    report(e.rule(), Level::Error, line, e.to_string());
                }
            }
        }
        let Some(old_prompt) = old_prompt else {
            continue;
        };
        let mut old_interface = old_prompt.clone();
        if !old_prompt.file.partials.is_empty() {
            if let Ok(c) = compose(
                name.as_str(),
                &old_prompt,
                &mut base_partials,
                "at the base",
            ) {
                old_interface = c.interface(&old_prompt);
            }
        }
        compare_versions(
            Subject {
                name: &name,
                file: &file,
            },
            &old_interface,
            &new_interface,
            version_line,
            &registry.config,
            history.get(&name),
            &mut findings,
        );
    }
    if !changed_partials.is_empty() {
        through_partials(
            registry,
            repo,
            (&base_files, &head_files),
            (&mut base_partials, &mut head_partials),
            &changed_partials,
            &mut findings,
        )?;
    }
    // A version reported as already released is also not bumped: say it once.
    dedupe(&mut findings);
    Ok(Report {
        prompts_changed: changed,
        prompts: checked_prompts,
        findings,
    })
}

/// The `check` rule for a problem of the file format: a missing or
/// incomplete newest changelog entry has its own rule (and fix), anything
/// else is `invalid-prompt`.
fn rule_of(f: &Finding) -> &'static str {
    let first_entry = f.message.starts_with("changelog[0]");
    match f.rule {
        "changelog-version-mismatch" | "changelog-missing" => "changelog-entry-missing",
        "invalid-yaml" if f.message.starts_with("missing field `changelog`") => {
            "changelog-entry-missing"
        }
        "changelog-reason" | "changelog-author" | "changelog-date" if first_entry => {
            "changelog-entry-incomplete"
        }
        // `changelog[0]: missing field `reason``: the key is not there at all.
        "invalid-yaml" if first_entry && f.message.contains("missing field") => {
            "changelog-entry-incomplete"
        }
        _ => "invalid-prompt",
    }
}

fn parse_version(bytes: &[u8]) -> Option<Version> {
    crate::history::version_of(bytes)
}

/// For a deleted prompt, each environment that still names it: the line in
/// promptreg.yaml and a message.
fn still_required(
    config: &Config,
    root: &std::path::Path,
    name: &PromptName,
) -> Vec<(Option<usize>, String)> {
    let text = std::fs::read_to_string(root.join(FILE_NAME)).unwrap_or_default();
    let mut out = Vec::new();
    for (env, rules) in &config.environments {
        match rules.get(name.as_str()) {
            Some(EnvRule::Requirement(r)) if r == "exclude" => {}
            Some(_) => out.push((
                yaml::locate(&text, &["environments", env, name.as_str()]).map(|l| l.line),
                format!(
                    "{name} was deleted but environment `{env}` still requires it; remove it from `{env}` in {FILE_NAME}, or restore the prompt"
                ),
            )),
            None => {}
        }
    }
    out
}

/// The partials one side of the comparison has (docs/DESIGN.md §16): the
/// file each name has there, read and parsed once per side.
fn side_partials<'a>(
    repo: &'a Repo,
    files: &'a BTreeMap<String, FileState>,
) -> promptreg_core::compose::Files<
    impl FnMut(&PromptName) -> std::result::Result<Option<Vec<u8>>, String> + 'a,
> {
    promptreg_core::compose::Files::new(move |partial: &PromptName| {
        files
            .get(&partial.file_name())
            .map(|state| state.contents(repo))
            .transpose()
            .map_err(|e| format!("{e:#}"))
    })
}

/// The line of the declaration that leads to a composition problem.
fn declaration_line(text: &str, declared: Option<&str>) -> Option<usize> {
    yaml::locate(text, &["partials", declared?]).map(|l| l.line)
}

/// Every unchanged prompt that reaches a changed partial (docs/DESIGN.md
/// §16): an error when it no longer composes (the partial was deleted, or
/// released past its requirement), else a warning naming the chain when
/// what it renders or its composed interface changes.
fn through_partials(
    registry: &Registry,
    repo: &Repo,
    (base_files, head_files): (&BTreeMap<String, FileState>, &BTreeMap<String, FileState>),
    (base_partials, head_partials): (&mut dyn Source, &mut dyn Source),
    changed: &std::collections::BTreeSet<String>,
    findings: &mut Vec<CheckFinding>,
) -> Result<()> {
    for (path, state) in head_files {
        if base_files.get(path).is_none_or(|b| b.blob != state.blob) {
            // Changed files were compared above.
            continue;
        }
        let Some(Ok(name)) = PromptName::from_relative_path(path) else {
            continue;
        };
        let bytes = state.contents(repo)?;
        if !bytes.windows(b"partials".len()).any(|w| w == b"partials") {
            continue;
        }
        let Ok(prompt) = prompt::parse(&bytes) else {
            continue;
        };
        if prompt.file.partials.is_empty() {
            continue;
        }
        let file = repo.repo_path(&registry.relative_path(&name));
        let mut push = |rule: &'static str, level: Level, line: Option<usize>, message: String| {
            findings.push(CheckFinding::about(
                &name, &file, rule, level, line, message,
            ));
        };
        let head = compose(name.as_str(), &prompt, head_partials, "in the checked tree");
        let base = compose(name.as_str(), &prompt, base_partials, "at the base");
        match (head, base) {
            (Err(e), _) => {
                if e.chain().iter().any(|n| changed.contains(n))
                    || e.partial().is_some_and(|p| changed.contains(p))
                {
                    let line = declaration_line(&prompt.text, e.declaration());
                    push(e.rule(), Level::Error, line, e.to_string());
                }
            }
            (Ok(head), base) => {
                let base = base.ok();
                for partial in head.partials.keys().filter(|p| changed.contains(*p)) {
                    let chain = head.chains[partial].join(" → ");
                    let now = &head.partials[partial];
                    let before = base.as_ref().and_then(|b| b.partials.get(partial));
                    if before.is_some_and(|b| b.text == now.text) {
                        continue;
                    }
                    let what = match before {
                        Some(b) if b.version != now.version => {
                            format!("{partial} {} → {}", b.version, now.version)
                        }
                        Some(_) => format!("{partial} {} (edited)", now.version),
                        None => format!("{partial} {} (newly reached)", now.version),
                    };
                    let interface = base.as_ref().is_some_and(|b| b.variables != head.variables);
                    push(
                        "partial-changed",
                        Level::Warning,
                        declaration_line(
                            &prompt.text,
                            head.chains[partial].get(1).map(String::as_str),
                        ),
                        format!(
                            "{name} renders differently through {chain}: {what}{}",
                            if interface {
                                "; its composed interface changes too"
                            } else {
                                ""
                            }
                        ),
                    );
                }
            }
        }
    }
    Ok(())
}

/// The prompt a finding is about, and its file.
struct Subject<'a> {
    name: &'a PromptName,
    file: &'a str,
}

fn compare_versions(
    subject: Subject<'_>,
    old: &Prompt,
    new: &Prompt,
    version_line: Option<usize>,
    config: &Config,
    released: Option<&crate::history::PromptHistory>,
    findings: &mut Vec<CheckFinding>,
) {
    let Subject { name, file } = subject;
    let changes = policy::compare(&old.file, &new.file, &config.bump_policy);
    let required = policy::required(&changes);
    let actual = policy::actual_bump(&old.version, &new.version);
    let mut push = |rule: &'static str, level: Level, line: Option<usize>, message: String| {
        findings.push(CheckFinding {
            required,
            actual: Some(actual),
            ..CheckFinding::about(name, file, rule, level, line, message)
        });
    };
    match policy::verdict(required, &old.version, &new.version) {
        Verdict::NotGreater => push(
            "version-not-greater",
            Level::Error,
            version_line,
            format!(
                "version {} is not greater than the base version {}",
                new.version, old.version
            ),
        ),
        Verdict::NotBumped { .. } | Verdict::Ok if actual == ActualBump::None => push(
            "version-not-bumped",
            Level::Error,
            version_line,
            format!(
                "the file changed but its version stayed {}{}",
                new.version,
                required
                    .map(|r| format!("; the change requires a {} bump", policy::level_name(r)))
                    .unwrap_or_default()
            ),
        ),
        Verdict::TooSmall { needs, got } => {
            let rows: Vec<String> = changes
                .iter()
                .filter(|c| c.level > got)
                .map(|c| {
                    format!(
                        "{} ({}: {})",
                        c.rule,
                        policy::level_name(c.level),
                        c.message
                    )
                })
                .collect();
            push(
                "bump-too-small",
                Level::Error,
                version_line,
                format!(
                    "{} → {} is a {} bump but the change requires {}: {}",
                    old.version,
                    new.version,
                    policy::level_name(got),
                    policy::level_name(needs),
                    rows.join("; ")
                ),
            );
        }
        _ => {}
    }
    // Versions released on the mainline since the base (a branch that
    // merged them) are not skipped: compare with the closest one below.
    let previous = released
        .and_then(|h| {
            h.versions
                .iter()
                .rev()
                .map(|r| &r.version)
                .find(|v| *v < &new.version)
        })
        .filter(|v| *v > &old.version)
        .unwrap_or(&old.version);
    if let Some(expected) = skipped(previous, &new.version) {
        push(
            "version-skipped",
            Level::Warning,
            version_line,
            format!(
                "{previous} → {} skips versions; the next version would be {expected}",
                new.version
            ),
        );
    }
    // Older changelog entries are history: they must stay as they were. The
    // oldest ones may be trimmed (a long-lived prompt keeps its file short):
    // removing entries is allowed from the end only.
    let kept = old
        .file
        .changelog
        .iter()
        .rposition(|e| new.file.changelog.iter().any(|n| n.version == e.version));
    for (i, entry) in old.file.changelog.iter().enumerate() {
        if kept.is_none_or(|k| i > k) && !new.file.changelog.is_empty() {
            continue;
        }
        let now = new
            .file
            .changelog
            .iter()
            .position(|e| e.version == entry.version);
        let line = now
            .and_then(|j| yaml::locate(&new.text, &["changelog", &j.to_string()]))
            .or_else(|| yaml::locate(&new.text, &["changelog"]))
            .map(|l| l.line);
        match now.map(|j| &new.file.changelog[j]) {
            Some(e) if e == entry => {}
            Some(_) => push(
                "changelog-entry-edited",
                Level::Error,
                line,
                format!(
                    "the changelog entry for {} was edited; older entries are history",
                    entry.version
                ),
            ),
            None => push(
                "changelog-entry-edited",
                Level::Error,
                line,
                format!(
                    "the changelog entry for {} (changelog[{i}] in the base) was removed",
                    entry.version
                ),
            ),
        }
    }
}

/// The version that should have come next, when `new` skips over it.
fn skipped(old: &Version, new: &Version) -> Option<String> {
    if new <= old {
        return None;
    }
    let triple = (new.major, new.minor, new.patch);
    let candidates = [
        (old.major + 1, 0, 0),
        (old.major, old.minor + 1, 0),
        (old.major, old.minor, old.patch + 1),
        (old.major, old.minor, old.patch),
    ];
    if candidates.contains(&triple) {
        return None;
    }
    let next = if new.major > old.major {
        candidates[0]
    } else if new.minor > old.minor {
        candidates[1]
    } else {
        candidates[2]
    };
    Some(format!("{}.{}.{}", next.0, next.1, next.2))
}

fn dedupe(findings: &mut Vec<CheckFinding>) {
    let mut seen = std::collections::HashSet::new();
    findings.retain(|f| seen.insert((f.prompt.clone(), f.rule, f.line, f.message.clone())));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips() {
        let v = |s: &str| Version::parse(s).unwrap();
        assert_eq!(skipped(&v("1.2.0"), &v("1.4.0")).as_deref(), Some("1.3.0"));
        assert_eq!(skipped(&v("1.2.0"), &v("1.3.0")), None);
        assert_eq!(skipped(&v("1.2.0"), &v("3.0.0")).as_deref(), Some("2.0.0"));
        assert_eq!(skipped(&v("1.2.0"), &v("2.0.0-rc.1")), None);
        assert_eq!(skipped(&v("2.0.0-rc.1"), &v("2.0.0")), None);
        assert_eq!(skipped(&v("1.2.3"), &v("1.2.5")).as_deref(), Some("1.2.4"));
    }
}
