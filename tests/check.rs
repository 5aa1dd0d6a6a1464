//! `promptreg check`, the CI gate, and `promptreg hook`: one case directory
//! per rule (`tests/cases/check/<case>/`), snapshots of the three output
//! formats, the pre-commit hook under a real `git commit`, and the ways
//! `check` refuses to run.
//!
//! A case directory holds file trees: optional `history/1/`, `history/2/`, …
//! (committed in order before the base), `base/` (committed), optional
//! `staged/` (written and `git add`-ed), and `head/` (the working tree to
//! check: files absent from it are deleted). `expected.yaml` gives the exit
//! code and the findings as `{prompt, rule, level}`, compared as a multiset.

mod common;
use common::*;
use serde::Deserialize;
use std::path::{Path, PathBuf};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/check")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    /// What the case shows, for a reader of the directory.
    #[allow(dead_code)]
    about: String,
    exit: i32,
    /// Extra arguments after `check --format json`.
    #[serde(default)]
    args: Vec<String>,
    /// Check the lockfile (otherwise the runner passes `--no-lock`).
    #[serde(default)]
    lock: bool,
    /// Run `promptreg lock` after committing base, and commit its lockfile
    /// (kept in the working tree when head/ is applied).
    #[serde(default)]
    lock_fresh: bool,
    findings: Vec<ExpectedFinding>,
}

#[derive(Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord, Clone)]
#[serde(deny_unknown_fields)]
struct ExpectedFinding {
    prompt: Option<String>,
    rule: String,
    level: String,
}

/// Every file under `dir`, relative path → bytes.
fn read_tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_path_buf();
                out.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Makes the working tree exactly `tree` (`.git/` and `keep` aside).
fn apply_tree(repo: &TestRepo, tree: &Path, keep: &[&str]) {
    for entry in std::fs::read_dir(repo.path()).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == ".git" || keep.contains(&name.as_str()) {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            std::fs::remove_dir_all(entry.path()).unwrap();
        } else {
            std::fs::remove_file(entry.path()).unwrap();
        }
    }
    for (rel, bytes) in read_tree(tree) {
        repo.write(rel.to_str().unwrap(), bytes);
    }
}

/// Builds a case's repository and runs `check` on it.
fn run_case(dir: &Path, expected: &Expected) -> Run {
    let repo = TestRepo::new();
    let history = dir.join("history");
    if history.is_dir() {
        let mut steps: Vec<u32> = std::fs::read_dir(&history)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().parse().unwrap())
            .collect();
        steps.sort();
        for step in steps {
            apply_tree(&repo, &history.join(step.to_string()), &[]);
            repo.commit(&format!("history {step}"));
        }
    }
    apply_tree(&repo, &dir.join("base"), &[]);
    repo.commit("base");
    let mut keep = Vec::new();
    if expected.lock_fresh {
        repo.run(&["lock"]).ok();
        repo.commit("lock");
        keep.push("prompts.lock");
    }
    if dir.join("staged").is_dir() {
        apply_tree(&repo, &dir.join("staged"), &keep);
        repo.git(&["add", "-A"]);
    }
    apply_tree(&repo, &dir.join("head"), &keep);
    let mut args = vec!["check", "--format", "json"];
    if !expected.lock {
        args.push("--no-lock");
    }
    args.extend(expected.args.iter().map(String::as_str));
    repo.run(&args)
}

fn case_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(cases_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn expected(name: &str) -> Expected {
    let text = std::fs::read_to_string(cases_dir().join(name).join("expected.yaml")).unwrap();
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{name}/expected.yaml: {e}"))
}

#[test]
fn every_check_case() {
    let names = case_names();
    assert!(names.len() >= 22, "only {} cases", names.len());
    let mut failures = Vec::new();
    for name in &names {
        let expected = expected(name);
        let out = run_case(&cases_dir().join(name), &expected);
        if out.code == 2 || !out.stdout.trim_start().starts_with('{') {
            failures.push(format!("{name}: exit {}, stderr: {}", out.code, out.stderr));
            continue;
        }
        let json = out.json();
        let mut got: Vec<ExpectedFinding> = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| ExpectedFinding {
                prompt: f["prompt"].as_str().map(str::to_string),
                rule: f["rule"].as_str().unwrap().to_string(),
                level: f["level"].as_str().unwrap().to_string(),
            })
            .collect();
        got.sort();
        let mut want = expected.findings.clone();
        want.sort();
        let show = |fs: &[ExpectedFinding]| -> String {
            let items: Vec<String> = fs
                .iter()
                .map(|f| {
                    format!(
                        "{}:{}:{}",
                        f.prompt.as_deref().unwrap_or("-"),
                        f.rule,
                        f.level
                    )
                })
                .collect();
            format!("[{}]", items.join(", "))
        };
        if got != want || out.code != expected.exit {
            failures.push(format!(
                "{name}: got exit {} {}; want exit {} {}\n  messages: {}",
                out.code,
                show(&got),
                expected.exit,
                show(&want),
                json["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["message"].as_str().unwrap_or_default().to_string())
                    .collect::<Vec<_>>()
                    .join(" | ")
            ));
        }
        // The summary counts agree with the findings.
        let errors = want.iter().filter(|f| f.level == "error").count();
        if got == want && (json["errors"] != errors || json["warnings"] != want.len() - errors) {
            failures.push(format!("{name}: counts disagree with findings: {json}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}

#[test]
fn every_rule_has_a_case() {
    let mut seen = std::collections::BTreeSet::new();
    for name in case_names() {
        seen.extend(expected(&name).findings.into_iter().map(|f| f.rule));
    }
    for (rule, _) in promptreg::check::RULES {
        assert!(seen.contains(*rule), "no case exercises `{rule}`");
    }
    let known: Vec<&str> = promptreg::check::RULES.iter().map(|(r, _)| *r).collect();
    for rule in &seen {
        assert!(
            known.contains(&rule.as_str()),
            "a case expects `{rule}`, which is not in check::RULES"
        );
    }
}

/// `text_prompt`, but each changelog entry's date depends on its version
/// only, so a bump leaves the older entries byte for byte as they were.
fn prompt(version: &str, history: &[&str], body: &str) -> String {
    let mut s = text_prompt(version, &[], body);
    for v in history {
        let day = v.bytes().map(u32::from).sum::<u32>() % 28 + 1;
        s.push_str(&format!(
            "  - version: {v}\n    date: 2026-01-{day:02}T10:00:00Z\n    author: {AUTHOR}\n    reason: Release {v}.\n"
        ));
    }
    s
}

// ---------------------------------------------------------------------------
// Output formats.

/// A registry where `support/triage` changed without a bump (an error) and
/// `reply` skipped a version (a warning); `untouched` did not change.
fn error_and_warning_repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.prompt(
        "support/triage",
        &prompt("1.2.0", &["1.2.0", "1.1.0"], "Summarise"),
    );
    repo.prompt("reply", &prompt("1.0.0", &["1.0.0"], "Reply to"));
    repo.prompt("untouched", &prompt("0.1.0", &["0.1.0"], "Leave"));
    repo.commit("release");
    repo.prompt(
        "support/triage",
        &prompt("1.2.0", &["1.2.0", "1.1.0"], "Briefly summarise"),
    );
    repo.prompt(
        "reply",
        &prompt("1.2.0", &["1.2.0", "1.0.0"], "Politely reply to"),
    );
    repo
}

/// Exit code, stdout and stderr, as a reviewer reads them.
fn transcript(out: &Run) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.code, out.stdout, out.stderr
    )
}

fn check_error_and_warning(format: &str) -> Run {
    common::run(
        error_and_warning_repo()
            .cmd()
            .env_remove("GITHUB_STEP_SUMMARY")
            .args(["check", "--no-lock", "--format", format]),
    )
}

#[test]
fn snapshots_of_the_three_formats() {
    for format in ["human", "json", "github"] {
        let out = check_error_and_warning(format);
        out.code(1);
        // Commit ids are part of the output: two fresh repositories agree.
        assert_eq!(
            check_error_and_warning(format).stdout,
            out.stdout,
            "{format} output is not stable"
        );
        insta::assert_snapshot!(format!("check_{format}"), transcript(&out));
    }
}

#[test]
fn json_findings_always_have_every_key() {
    let out = error_and_warning_repo().run(&["check", "--no-lock", "--format", "json"]);
    out.code(1);
    let json = out.json();
    for key in [
        "base",
        "head",
        "prompts_changed",
        "errors",
        "warnings",
        "findings",
    ] {
        assert!(json.get(key).is_some(), "no `{key}` in {json}");
    }
    assert_eq!(json["head"], "working tree");
    assert_eq!(json["prompts_changed"], 2);
    for f in json["findings"].as_array().unwrap() {
        let keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["prompt", "file", "line", "rule", "level", "message", "required", "actual"]
        );
    }
}

#[test]
fn strict_turns_warnings_into_errors_everywhere() {
    let repo = error_and_warning_repo();
    repo.prompt(
        "support/triage",
        &prompt("1.2.0", &["1.2.0", "1.1.0"], "Summarise"),
    );
    repo.run(&["check", "--no-lock"])
        .ok()
        .stdout_has("1 prompt changed, 0 errors, 1 warning");
    let strict = repo.run(&["check", "--no-lock", "--strict", "--format", "github"]);
    strict.code(1).stdout_has(
        "::error file=prompts/reply.prompt.yaml,line=1,title=promptreg version-skipped::",
    );
}

#[test]
fn github_format_appends_a_markdown_table_to_the_step_summary() {
    let repo = error_and_warning_repo();
    let summary = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(summary.path(), "## Earlier step\n\n").unwrap();
    let out = common::run(repo.cmd().env("GITHUB_STEP_SUMMARY", summary.path()).args([
        "check",
        "--no-lock",
        "--format",
        "github",
    ]));
    out.code(1)
        .stdout_has("::error file=prompts/support/triage.prompt.yaml");
    let text = std::fs::read_to_string(summary.path()).unwrap();
    assert!(
        text.starts_with("## Earlier step\n\n"),
        "the summary file was not appended to:\n{text}"
    );
    assert!(
        text.contains("| level | prompt | rule | file | message |"),
        "{text}"
    );
    assert!(text.contains("| error | support/triage | `version-not-bumped` | prompts/support/triage.prompt.yaml:1 |"), "{text}");
    insta::assert_snapshot!("check_github_step_summary", text);

    // A clean run says so, in the same file.
    let clean = TestRepo::new();
    clean.prompt("a", &prompt("1.0.0", &["1.0.0"], "A"));
    clean.commit("c1");
    let before = std::fs::read_to_string(summary.path()).unwrap();
    common::run(
        clean
            .cmd()
            .env("GITHUB_STEP_SUMMARY", summary.path())
            .args(["check", "--no-lock", "--format", "github"]),
    )
    .ok();
    let after = std::fs::read_to_string(summary.path()).unwrap();
    assert!(
        after.starts_with(&before) && after[before.len()..].contains("No problems found."),
        "{after}"
    );
}

#[test]
fn an_unwritable_step_summary_does_not_hide_the_verdict() {
    let repo = error_and_warning_repo();
    let dir = tempfile::tempdir().unwrap(); // a directory: cannot be appended to
    let out = common::run(repo.cmd().env("GITHUB_STEP_SUMMARY", dir.path()).args([
        "check",
        "--no-lock",
        "--format",
        "github",
    ]));
    out.code(1)
        .stdout_has("::error file=prompts/support/triage.prompt.yaml")
        .stderr_has("GITHUB_STEP_SUMMARY");
}

#[test]
fn github_format_is_one_annotation_per_finding_then_the_summary() {
    // Several findings, one of them about a file name with a space and a
    // comma (a property value GitHub would otherwise split).
    let repo = TestRepo::new();
    repo.prompt("a", &prompt("1.0.0", &["1.0.0"], "A"));
    repo.commit("c1");
    repo.prompt("a", "version: 1.0.0\ntemplate: [unclosed\n");
    repo.write("prompts/B, c.prompt.yaml", prompt("1.0.0", &["1.0.0"], "B"));
    let out = repo.run(&["check", "--no-lock", "--format", "github"]);
    out.code(1);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let (summary, annotations) = lines.split_last().unwrap();
    assert_eq!(
        *summary, "1 prompt changed, 2 errors, 0 warnings",
        "{}",
        out.stdout
    );
    for line in annotations {
        assert!(line.starts_with("::error file="), "{}", out.stdout);
    }
    assert!(
        out.stdout
            .contains("::error file=prompts/B%2C c.prompt.yaml,title=promptreg invalid-prompt::"),
        "{}",
        out.stdout
    );
}

// ---------------------------------------------------------------------------
// Revisions.

#[test]
fn head_revision_and_base_revision() {
    let repo = TestRepo::new();
    repo.prompt("a", &prompt("1.0.0", &["1.0.0"], "One"));
    let first = repo.commit("c1");
    repo.prompt("a", &prompt("1.0.0", &["1.0.0"], "Changed"));
    repo.commit("unbumped");
    // The working tree is HEAD: by default nothing changed.
    repo.run(&["check", "--no-lock"])
        .ok()
        .stdout_has("0 prompts changed");
    let out = repo.run(&[
        "check",
        "--no-lock",
        "--base",
        &first,
        "--head",
        "HEAD",
        "--format",
        "json",
    ]);
    out.code(1);
    let json = out.json();
    assert_eq!(json["base"], first.as_str());
    assert_eq!(json["head"], repo.git(&["rev-parse", "HEAD"]).as_str());
    assert_eq!(json["findings"][0]["rule"], "version-not-bumped");
}

#[test]
fn default_base_is_the_merge_base_with_the_registry_ref() {
    let repo = TestRepo::new();
    repo.write("promptreg.yaml", "prompts_dir: prompts\nref: main\n");
    repo.prompt("a", &prompt("1.0.0", &["1.0.0"], "A"));
    repo.prompt("b", &prompt("1.0.0", &["1.0.0"], "B"));
    repo.commit("c1");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.prompt("a", &prompt("1.0.0", &["1.0.0"], "A changed"));
    repo.commit("unbumped a");
    // Meanwhile main releases b 1.1.0.
    repo.git(&["checkout", "-q", "main"]);
    repo.prompt("b", &prompt("1.1.0", &["1.1.0", "1.0.0"], "B two"));
    repo.commit("b 1.1.0");
    repo.git(&["checkout", "-q", "feature"]);
    // On the branch, with a clean working tree, the base is where it forked.
    let out = repo.run(&["check", "--no-lock", "--format", "json"]);
    out.code(1);
    let rules = prompt_rules(&out.json());
    assert_eq!(rules, [("a".to_string(), "version-not-bumped".to_string())]);
    // From main, `--head feature` also compares with the fork point: b's
    // newer release on main is not a change of the branch.
    repo.git(&["checkout", "-q", "main"]);
    let out = repo.run(&[
        "check",
        "--no-lock",
        "--head",
        "feature",
        "--format",
        "json",
    ]);
    out.code(1);
    let findings = out.json()["findings"].as_array().unwrap().clone();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["prompt"], "a");
}

#[test]
fn with_the_target_branch_as_ref_a_branch_is_checked_against_its_fork_point() {
    // GitLab's recipe: `check --ref origin/TARGET` on the merge request's head.
    let repo = TestRepo::new();
    repo.prompt("a", &prompt("1.0.0", &["1.0.0"], "One"));
    repo.prompt("b", &prompt("1.0.0", &["1.0.0"], "One"));
    repo.commit("c1");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.prompt("a", &prompt("1.1.0", &["1.1.0", "1.0.0"], "Two"));
    repo.commit("a 1.1.0");
    // Polished before merging, without another bump: one release, not two.
    repo.prompt("a", &prompt("1.1.0", &["1.1.0", "1.0.0"], "Two, polished"));
    repo.commit("polish");
    repo.git(&["checkout", "-q", "main"]);
    repo.prompt("b", &prompt("1.0.1", &["1.0.1", "1.0.0"], "Two"));
    repo.commit("b 1.0.1");
    repo.git(&["checkout", "-q", "feature"]);
    let out = repo.run(&["check", "--ref", "main", "--no-lock", "--format", "json"]);
    out.ok();
    assert_eq!(out.json()["prompts_changed"], 1, "{}", out.stdout);
    // The same branch reusing a version main has released meanwhile fails.
    repo.git(&["checkout", "-q", "main"]);
    repo.prompt(
        "a",
        &prompt("1.1.0", &["1.1.0", "1.0.0"], "Main's own 1.1.0"),
    );
    repo.commit("a 1.1.0 on main");
    repo.git(&["checkout", "-q", "feature"]);
    let out = repo.run(&["check", "--ref", "main", "--no-lock", "--format", "json"]);
    out.code(1);
    assert_eq!(
        out.json()["findings"][0]["rule"],
        "version-already-released"
    );
}

#[test]
fn a_bad_base_revision_cannot_run() {
    let repo = TestRepo::new();
    repo.prompt("a", &prompt("1.0.0", &["1.0.0"], "A"));
    repo.commit("c1");
    repo.run(&["check", "--base", "no-such-branch"])
        .code(2)
        .stderr_has("unknown revision `no-such-branch`");
    repo.run(&["check", "--head", "no-such-branch"])
        .code(2)
        .stderr_has("no-such-branch");
}

#[test]
fn outside_a_registry_check_cannot_run() {
    let dir = TestRepo::empty();
    dir.run(&["check"])
        .code(2)
        .stderr_has("not a promptreg registry");
}

#[test]
fn shallow_clone_is_refused_with_the_fix() {
    let origin = TestRepo::new();
    origin.prompt("a", &prompt("1.0.0", &["1.0.0"], "One"));
    origin.commit("c1");
    origin.prompt("a", &prompt("1.1.0", &["1.1.0", "1.0.0"], "Two"));
    origin.commit("c2");
    let clone = origin.shallow_clone();
    clone
        .run(&["check", "--format", "github"])
        .code(2)
        .stderr_has("shallow clone")
        .stderr_has("git fetch --unshallow")
        .stderr_has("fetch-depth: 0");
}

#[test]
fn a_repository_without_commits_checks_every_prompt_as_new() {
    let repo = TestRepo::new();
    repo.prompt("a", &prompt("1.0.0", &["1.0.0"], "A"));
    let out = repo.run(&["check", "--no-lock", "--format", "json"]);
    out.ok();
    assert_eq!(out.json()["base"], serde_json::Value::Null);
    assert_eq!(out.json()["prompts_changed"], 1);
}

// ---------------------------------------------------------------------------
// The pre-commit hook.

fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_promptreg"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn hook_path(repo: &TestRepo) -> PathBuf {
    repo.file(".git/hooks/pre-commit")
}

#[test]
fn hook_install_writes_an_executable_pre_commit_hook() {
    let repo = TestRepo::new();
    repo.run(&["hook", "install"]).ok().stdout_has("pre-commit");
    let text = std::fs::read_to_string(hook_path(&repo)).unwrap();
    assert!(text.starts_with("#!/bin/sh\n"), "{text}");
    assert!(
        text.contains("promptreg check --staged --no-lock"),
        "{text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(hook_path(&repo))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "not executable: {mode:o}");
    }
    // Installing again replaces our own hook without --force.
    repo.run(&["hook", "install"]).ok();
}

#[test]
fn the_hook_blocks_an_unbumped_commit_and_lets_a_bumped_one_through() {
    let repo = TestRepo::new();
    repo.prompt("a", &prompt("1.0.0", &["1.0.0"], "One"));
    repo.commit("c1");
    repo.run(&["hook", "install"]).ok();
    let head_before = repo.git(&["rev-parse", "HEAD"]);

    repo.prompt("a", &prompt("1.0.0", &["1.0.0"], "Changed"));
    repo.git(&["add", "-A"]);
    let blocked = repo.git_with_path(&["commit", "-m", "unbumped"], &bin_dir());
    assert_ne!(
        blocked.code, 0,
        "the commit went through:\n{}{}",
        blocked.stdout, blocked.stderr
    );
    assert!(
        format!("{}{}", blocked.stdout, blocked.stderr).contains("version-not-bumped"),
        "{}{}",
        blocked.stdout,
        blocked.stderr
    );
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head_before);

    repo.prompt("a", &prompt("1.0.1", &["1.0.1", "1.0.0"], "Changed"));
    repo.git(&["add", "-A"]);
    let ok = repo.git_with_path(&["commit", "-m", "a 1.0.1"], &bin_dir());
    assert_eq!(
        ok.code, 0,
        "a correct commit was blocked:\n{}{}",
        ok.stdout, ok.stderr
    );
    assert_ne!(repo.git(&["rev-parse", "HEAD"]), head_before);
}

#[test]
fn the_hook_checks_only_what_is_staged() {
    let repo = TestRepo::new();
    repo.prompt("a", &prompt("1.0.0", &["1.0.0"], "One"));
    repo.prompt("b", &prompt("1.0.0", &["1.0.0"], "One"));
    repo.commit("c1");
    repo.run(&["hook", "install"]).ok();
    // b is bumped and staged; a has an unbumped edit that is not staged.
    repo.prompt("b", &prompt("1.1.0", &["1.1.0", "1.0.0"], "Two"));
    repo.git(&["add", "prompts/b.prompt.yaml"]);
    repo.prompt("a", &prompt("1.0.0", &["1.0.0"], "Unstaged edit"));
    let ok = repo.git_with_path(&["commit", "-m", "b 1.1.0"], &bin_dir());
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
}

#[test]
fn the_hook_blocks_commit_all_of_an_unbumped_change() {
    let repo = TestRepo::new();
    repo.prompt("a", &prompt("1.0.0", &["1.0.0"], "One"));
    repo.commit("c1");
    repo.run(&["hook", "install"]).ok();
    repo.prompt("a", &prompt("1.0.0", &["1.0.0"], "Changed"));
    let blocked = repo.git_with_path(&["commit", "-a", "-m", "unbumped"], &bin_dir());
    assert_ne!(
        blocked.code, 0,
        "`git commit -a` of an unbumped change went through"
    );
    let blocked = repo.git_with_path(
        &["commit", "-m", "unbumped", "prompts/a.prompt.yaml"],
        &bin_dir(),
    );
    assert_ne!(
        blocked.code, 0,
        "`git commit PATH` of an unbumped change went through"
    );
    // The same ways of committing let a bumped change through.
    repo.prompt("a", &prompt("1.0.1", &["1.0.1", "1.0.0"], "Changed"));
    let ok = repo.git_with_path(&["commit", "-a", "-m", "a 1.0.1"], &bin_dir());
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    repo.prompt(
        "a",
        &prompt("1.0.2", &["1.0.2", "1.0.1", "1.0.0"], "Changed again"),
    );
    let ok = repo.git_with_path(
        &["commit", "-m", "a 1.0.2", "prompts/a.prompt.yaml"],
        &bin_dir(),
    );
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
}

#[test]
fn the_hook_works_for_a_registry_in_a_subdirectory() {
    let repo = TestRepo::new();
    repo.remove("promptreg.yaml");
    repo.write("registry/promptreg.yaml", "prompts_dir: prompts\n");
    repo.write(
        "registry/prompts/a.prompt.yaml",
        prompt("1.0.0", &["1.0.0"], "One"),
    );
    repo.commit("c1");
    let install = common::run(repo.cmd().args(["-C", "registry", "hook", "install"]));
    install.ok();
    repo.write(
        "registry/prompts/a.prompt.yaml",
        prompt("1.0.0", &["1.0.0"], "Changed"),
    );
    repo.git(&["add", "-A"]);
    let blocked = repo.git_with_path(&["commit", "-m", "unbumped"], &bin_dir());
    assert_ne!(blocked.code, 0, "{}{}", blocked.stdout, blocked.stderr);
    assert!(
        blocked.stderr.contains("version-not-bumped"),
        "{}{}",
        blocked.stdout,
        blocked.stderr
    );
    assert!(
        blocked.stderr.contains("registry/prompts/a.prompt.yaml"),
        "{}",
        blocked.stdout
    );
}

#[test]
fn the_hook_says_so_when_promptreg_is_not_on_path() {
    let repo = TestRepo::new();
    repo.prompt("a", &prompt("1.0.0", &["1.0.0"], "One"));
    repo.commit("c1");
    repo.run(&["hook", "install"]).ok();
    repo.prompt("a", &prompt("1.0.1", &["1.0.1", "1.0.0"], "Two"));
    repo.git(&["add", "-A"]);
    // PATH: only the directory of git and the system's (where no promptreg is).
    let git = std::process::Command::new("sh")
        .args(["-c", "command -v git"])
        .output()
        .unwrap();
    let git = PathBuf::from(String::from_utf8(git.stdout).unwrap().trim());
    let dirs = [
        git.parent().unwrap(),
        Path::new("/usr/bin"),
        Path::new("/bin"),
    ];
    if dirs.iter().any(|d| d.join("promptreg").exists()) {
        return; // an installed promptreg would answer the hook
    }
    let out = repo.git_with_path_var(
        &["commit", "-m", "a 1.0.1"],
        &std::env::join_paths(dirs).unwrap(),
    );
    assert_ne!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("promptreg is not on PATH"),
        "{}",
        out.stderr
    );
}

#[test]
fn hook_install_refuses_to_replace_a_foreign_hook_unless_forced() {
    let repo = TestRepo::new();
    let foreign = "#!/bin/sh\necho 'lint first'\n";
    repo.write(".git/hooks/pre-commit", foreign);
    repo.run(&["hook", "install"])
        .code(2)
        .stderr_has("not written by promptreg")
        .stderr_has("--force");
    assert_eq!(repo.read(".git/hooks/pre-commit"), foreign);
    repo.run(&["hook", "install", "--force"]).ok();
    assert!(repo
        .read(".git/hooks/pre-commit")
        .contains("promptreg check --staged"));
}

#[test]
fn hook_install_refuses_to_replace_a_binary_hook() {
    let repo = TestRepo::new();
    let foreign: &[u8] = b"\x7fELF\x02\x01\x01\xff\xfe not text";
    repo.write(".git/hooks/pre-commit", foreign);
    repo.run(&["hook", "install"]).code(2);
    assert_eq!(std::fs::read(hook_path(&repo)).unwrap(), foreign);
    repo.run(&["hook", "uninstall"]).code(2);
    assert_eq!(std::fs::read(hook_path(&repo)).unwrap(), foreign);
}

#[test]
fn hook_uninstall_removes_only_ours() {
    let repo = TestRepo::new();
    repo.run(&["hook", "uninstall"])
        .ok()
        .stdout_has("nothing to do");
    repo.run(&["hook", "install"]).ok();
    repo.run(&["hook", "uninstall"]).ok().stdout_has("Removed");
    assert!(!hook_path(&repo).exists());

    let foreign = "#!/bin/sh\necho 'lint first'\n";
    repo.write(".git/hooks/pre-commit", foreign);
    repo.run(&["hook", "uninstall"])
        .code(2)
        .stderr_has("not written by promptreg");
    assert_eq!(repo.read(".git/hooks/pre-commit"), foreign);
}

#[test]
fn hook_install_follows_core_hooks_path() {
    let repo = TestRepo::new();
    repo.git(&["config", "core.hooksPath", "githooks"]);
    repo.run(&["hook", "install"]).ok();
    assert!(repo.file("githooks/pre-commit").is_file());
    assert!(!hook_path(&repo).exists());
}

// ---------------------------------------------------------------------------
// The pre-commit framework.

#[test]
fn pre_commit_framework_manifest_runs_the_staged_check() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let hooks: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let ids: Vec<&str> = hooks
        .as_sequence()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["promptreg-check", "promptreg-check-installed"]);
    for (hook, language) in hooks.as_sequence().unwrap().iter().zip(["rust", "system"]) {
        // `hook run` picks the scope (tests/pre_commit.rs runs it for real).
        assert_eq!(hook["entry"].as_str(), Some("promptreg hook run"));
        assert_eq!(hook["language"].as_str(), Some(language));
        assert_eq!(hook["pass_filenames"].as_bool(), Some(false));
        // A deleted prompt is in no file list pre-commit passes: run always.
        assert_eq!(hook["always_run"].as_bool(), Some(true));
        assert!(hook["name"].as_str().is_some_and(|n| !n.is_empty()));
        assert!(hook["description"].as_str().is_some_and(|d| !d.is_empty()));
    }
}

// ---------------------------------------------------------------------------
// The side being checked brings its own promptreg.yaml and prompts.lock.

/// Rules of the findings of `check` with `args`, and its exit code.
fn rules(repo: &TestRepo, args: &[&str]) -> (i32, Vec<String>) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let out = repo.run(&all);
    let rules = out.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    (out.code, rules)
}

#[test]
fn staged_and_head_checks_read_their_own_config() {
    let repo = TestRepo::new();
    repo.prompt("a", &prompt("1.0.0", &["1.0.0"], "One"));
    repo.commit("c1");
    // An unstaged mistake in promptreg.yaml: the commit being prepared
    // does not carry it.
    repo.write("promptreg.yaml", "prompts_dir: prompts\nenvironmnts: {}\n");
    let (code, found) = rules(&repo, &["--staged", "--no-lock"]);
    assert_eq!((code, found.clone()), (0, vec![]), "{found:?}");
    let (code, found) = rules(&repo, &["--head", "HEAD", "--no-lock"]);
    assert_eq!((code, found.clone()), (0, vec![]), "{found:?}");
    let (code, found) = rules(&repo, &["--no-lock"]);
    assert_eq!(code, 1);
    assert_eq!(found, vec!["invalid-config".to_string()]);
    // Staged, the mistake is the commit's.
    repo.git(&["add", "promptreg.yaml"]);
    let (code, found) = rules(&repo, &["--staged", "--no-lock"]);
    assert_eq!((code, found), (1, vec!["invalid-config".to_string()]));
}

#[test]
fn staged_and_head_checks_judge_their_own_lockfile() {
    let repo = TestRepo::new();
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nenvironments:\n  production:\n    \"*\": latest\n",
    );
    repo.prompt("a", &prompt("1.0.0", &["1.0.0"], "One"));
    repo.commit("c1");
    repo.run(&["lock"]).ok();
    repo.commit("lock");
    repo.prompt("a", &prompt("1.1.0", &["1.1.0", "1.0.0"], "One, better"));
    let released = repo.commit("release 1.1.0 without relocking");
    // HEAD's lockfile pins 1.0.0 while 1.1.0 is released: stale, at HEAD,
    // in the index and in the working tree.
    for args in [&["--staged"][..], &["--head", "HEAD"], &[]] {
        let (code, found) = rules(&repo, args);
        assert_eq!(
            (code, found),
            (1, vec!["lockfile-stale".to_string()]),
            "{args:?}"
        );
    }
    // Relocked in the working tree only: the commit would still be stale.
    repo.run(&["lock"]).ok();
    let (code, found) = rules(&repo, &[]);
    assert_eq!((code, found.clone()), (0, vec![]), "{found:?}");
    for args in [&["--staged"][..], &["--head", released.as_str()]] {
        let (code, found) = rules(&repo, args);
        assert_eq!(
            (code, found),
            (1, vec!["lockfile-stale".to_string()]),
            "{args:?}"
        );
    }
    repo.git(&["add", "prompts.lock"]);
    let (code, found) = rules(&repo, &["--staged"]);
    assert_eq!((code, found.clone()), (0, vec![]), "{found:?}");
}
