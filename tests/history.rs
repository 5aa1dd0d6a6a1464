//! Versions from Git history: `log`, version references, `bump`, `status`.

mod common;
use common::*;

fn v(repo: &TestRepo, name: &str, version: &str, history: &[&str], body: &str) {
    repo.prompt(name, &text_prompt(version, history, body));
}

/// Released versions of `name` as (version, commit) pairs, newest first.
fn released(repo: &TestRepo, name: &str) -> Vec<(String, String)> {
    let log = repo.run(&["log", name, "--format", "json"]);
    log.ok();
    log.json()["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["version"].as_str().unwrap().to_string(),
                e["commit"]["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn violations(repo: &TestRepo, name: &str) -> Vec<(String, String, String)> {
    let log = repo.run(&["log", name, "--format", "json"]);
    log.json()["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                e["version"].as_str().unwrap_or("").to_string(),
                e["commit"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn one_pass_history_finds_versions_release_commits_and_violations() {
    let repo = TestRepo::new();
    // c1: a released at 1.0.0, b at 0.1.0
    v(&repo, "a", "1.0.0", &["1.0.0"], "One");
    v(&repo, "team/b", "0.1.0", &["0.1.0"], "Bee");
    let c1 = repo.commit("c1");
    // c2: an unrelated file changes: no release
    repo.write("README.md", "hello\n");
    let _c2 = repo.commit("c2");
    // c3 on a side branch bumps a to 1.1.0; merged into main as c3m
    repo.git(&["checkout", "-q", "-b", "side"]);
    v(&repo, "a", "1.1.0", &["1.1.0", "1.0.0"], "Two");
    let side = repo.commit("side: a 1.1.0");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("other.txt", "x\n");
    repo.commit("c3 main work");
    repo.git(&["merge", "-q", "--no-ff", "-m", "merge side", "side"]);
    let merge = repo.git(&["rev-parse", "HEAD"]);
    // c4: a changes without a bump (violation)
    v(&repo, "a", "1.1.0", &["1.1.0", "1.0.0"], "Two, mutated");
    let c4 = repo.commit("c4 mutate a");
    // c5: b deleted
    repo.remove("prompts/team/b.prompt.yaml");
    let _c5 = repo.commit("c5 delete b");
    // c6: b re-created at 0.2.0 (history continues)
    v(&repo, "team/b", "0.2.0", &["0.2.0", "0.1.0"], "Bee again");
    let c6 = repo.commit("c6 recreate b");
    // c7: a goes backwards to 1.0.5
    v(&repo, "a", "1.0.5", &["1.0.5", "1.0.0"], "Back");
    let c7 = repo.commit("c7 a backwards");

    assert_eq!(
        released(&repo, "a"),
        // Newest release first: 1.0.5 came after 1.1.0 on the mainline.
        vec![
            ("1.0.5".into(), c7.clone()),
            ("1.1.0".into(), merge.clone()),
            ("1.0.0".into(), c1.clone())
        ]
    );
    assert_ne!(
        merge, side,
        "the release commit is the mainline merge, not the side commit"
    );
    assert_eq!(
        released(&repo, "team/b"),
        vec![("0.2.0".into(), c6), ("0.1.0".into(), c1)]
    );
    assert_eq!(
        violations(&repo, "a"),
        vec![
            ("changed-without-bump".into(), "1.1.0".into(), c4),
            ("version-backwards".into(), "1.0.5".into(), c7),
        ]
    );
    assert!(violations(&repo, "team/b").is_empty());
    // The human log flags the violations with the commit.
    repo.run(&["log", "a"])
        .ok()
        .stdout_has("changed-without-bump")
        .stdout_has("violation: a 1.1.0");
    // The registry-wide log lists every release, newest first.
    let all = repo.run(&["log", "--format", "json"]);
    let all = all.json();
    // The same shape as `log NAME`: an object, `name` and `present` null.
    assert_eq!(all["name"], serde_json::Value::Null);
    assert_eq!(all["present"], serde_json::Value::Null);
    assert_eq!(all["violations"].as_array().unwrap().len(), 2);
    let list: Vec<String> = all["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}@{}",
                e["name"].as_str().unwrap(),
                e["version"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        list,
        vec![
            "a@1.0.5",
            "team/b@0.2.0",
            "a@1.1.0",
            "a@1.0.0",
            "team/b@0.1.0"
        ]
    );
    let limited = repo.run(&["log", "--limit", "2", "--format", "json"]);
    assert_eq!(limited.json()["versions"].as_array().unwrap().len(), 2);
}

#[test]
fn log_filters_by_author_and_date() {
    let repo = TestRepo::new();
    v(&repo, "a", "1.0.0", &["1.0.0"], "One");
    repo.commit("c1");
    let out = repo.run(&["log", "--author", "TEST author", "--format", "json"]);
    assert_eq!(out.json()["versions"].as_array().unwrap().len(), 1);
    let out = repo.run(&["log", "--author", "nobody", "--format", "json"]);
    assert_eq!(out.json()["versions"].as_array().unwrap().len(), 0);
    let out = repo.run(&["log", "--since", "2100-01-01", "--format", "json"]);
    assert_eq!(out.json()["versions"].as_array().unwrap().len(), 0);
    let out = repo.run(&["log", "--since", "2000-01-01", "--format", "json"]);
    assert_eq!(out.json()["versions"].as_array().unwrap().len(), 1);
    repo.run(&["log", "--since", "yesterday"])
        .code(2)
        .stderr_has("is not a moment");
}

#[test]
fn version_reused_with_other_bytes_is_a_violation() {
    let repo = TestRepo::new();
    v(&repo, "a", "1.0.0", &["1.0.0"], "One");
    repo.commit("c1");
    v(&repo, "a", "1.1.0", &["1.1.0", "1.0.0"], "Two");
    repo.commit("c2");
    v(&repo, "a", "1.0.0", &["1.0.0"], "One but different");
    let c3 = repo.commit("c3");
    let found = violations(&repo, "a");
    assert!(
        found.contains(&("version-reused".into(), "1.0.0".into(), c3.clone())),
        "{found:?}"
    );
    assert!(
        found.contains(&("version-backwards".into(), "1.0.0".into(), c3)),
        "{found:?}"
    );
}

#[test]
fn references_read_historical_bytes() {
    let repo = TestRepo::new();
    v(&repo, "a", "1.0.0", &["1.0.0"], "First");
    repo.commit("c1");
    v(&repo, "a", "1.2.0", &["1.2.0", "1.0.0"], "Second");
    repo.commit("c2");
    v(
        &repo,
        "a",
        "2.0.0-rc.1",
        &["2.0.0-rc.1", "1.2.0", "1.0.0"],
        "Third",
    );
    repo.commit("c3");
    // The working tree holds yet another version.
    v(
        &repo,
        "a",
        "3.0.0",
        &["3.0.0", "2.0.0-rc.1", "1.2.0", "1.0.0"],
        "Working",
    );

    let shown = repo.run(&["show", "a@^1", "--format", "json"]);
    shown.ok();
    assert_eq!(shown.json()["version"], "1.2.0");
    assert!(shown.json()["template"]
        .as_str()
        .unwrap()
        .contains("Second"));
    repo.run(&["render", "a@1.0.0", "--var", "x=X"])
        .ok()
        .stdout_has("First X");
    repo.run(&["render", "a", "--var", "x=X"])
        .ok()
        .stdout_has("Working X");
    repo.run(&["render", "a@latest", "--var", "x=X"])
        .ok()
        .stdout_has("Second X");
    repo.run(&["render", "a@latest-pre", "--var", "x=X"])
        .ok()
        .stdout_has("Third X");
    repo.run(&["render", "a@>=2.0.0-rc.0", "--var", "x=X"])
        .ok()
        .stdout_has("Third X");
    repo.run(&["render", "a@rev:HEAD~2", "--var", "x=X"])
        .ok()
        .stdout_has("First X");
    repo.run(&["show", "a@1.2.0", "--format", "yaml"])
        .ok()
        .stdout_has("Second");
    // An unknown version lists the released ones.
    repo.run(&["show", "a@9.9.9"])
        .code(2)
        .stderr_has("no released version 9.9.9")
        .stderr_has("1.0.0, 1.2.0, 2.0.0-rc.1");
    repo.run(&["show", "a@rev:nope"])
        .code(2)
        .stderr_has("unknown revision `nope`");
    repo.run(&["show", "a@what?"])
        .code(2)
        .stderr_has("neither a version nor a SemVer requirement");
}

#[test]
fn bump_commit_and_tag_are_read_back_by_git() {
    let repo = TestRepo::new();
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts\ntag_prefix: prompts/\n",
    );
    v(&repo, "support/triage", "1.2.0", &["1.2.0"], "Hi");
    repo.commit("c1");
    repo.run(&[
        "bump",
        "support/triage",
        "minor",
        "-m",
        "Let callers choose the tone",
        "--commit",
        "--tag",
    ])
    .ok()
    .stdout_has("1.2.0 → 1.3.0")
    .stdout_has("tagged prompts/support/triage@1.3.0");
    repo.git(&["fsck", "--strict"]);
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]),
        "support/triage 1.3.0: Let callers choose the tone"
    );
    let body = repo.git(&["log", "-1", "--format=%B"]);
    let trailers = {
        use std::io::Write;
        let mut child = std::process::Command::new("git")
            .args(["interpret-trailers", "--parse"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(body.as_bytes())
            .unwrap();
        String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
    };
    assert_eq!(
        trailers,
        "Prompt: support/triage\nPrompt-Version: 1.3.0\nChange-Reason: Let callers choose the tone\n"
    );
    assert_eq!(
        repo.git(&["cat-file", "-t", "prompts/support/triage@1.3.0"]),
        "tag"
    );
    assert_eq!(
        repo.git(&[
            "tag",
            "-l",
            "--format=%(contents)",
            "prompts/support/triage@1.3.0"
        ]),
        "Let callers choose the tone"
    );
    assert_eq!(
        repo.git(&["rev-parse", "prompts/support/triage@1.3.0^{commit}"]),
        repo.git(&["rev-parse", "HEAD"])
    );
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    assert_eq!(released(&repo, "support/triage")[0].0, "1.3.0");
    let log = repo.run(&["log", "support/triage", "--format", "json"]);
    assert_eq!(
        log.json()["versions"][0]["reason"],
        "Let callers choose the tone"
    );
    assert_eq!(log.json()["versions"][0]["author"], AUTHOR);
}

#[test]
fn second_bump_replaces_the_pending_one() {
    let repo = TestRepo::new();
    v(&repo, "a", "1.0.0", &["1.0.0"], "Hi");
    repo.commit("c1");
    repo.run(&["bump", "a", "minor", "-m", "First try"])
        .ok()
        .stdout_has("1.0.0 → 1.1.0");
    repo.run(&["bump", "a", "major", "-m", "Second thought"])
        .ok()
        .stdout_has("replaced the pending, uncommitted 1.1.0")
        .stdout_has("1.0.0 → 2.0.0");
    let text = repo.read("prompts/a.prompt.yaml");
    assert!(text.starts_with("version: 2.0.0\n"), "{text}");
    assert!(
        !text.contains("First try") && !text.contains("1.1.0"),
        "{text}"
    );
    assert_eq!(text.matches("- version:").count(), 2, "{text}");
    repo.run(&["validate"]).ok();
}

#[test]
fn bump_refusals_write_nothing() {
    let repo = TestRepo::new();
    v(&repo, "a", "1.0.0", &["1.0.0"], "Hi");
    repo.commit("c1");
    let before = repo.read("prompts/a.prompt.yaml");
    repo.run(&["bump", "a", "minor", "-m", "  "])
        .code(2)
        .stderr_has("reason (-m) is empty");
    repo.run(&["bump", "nope", "minor", "-m", "x"])
        .code(2)
        .stderr_has("no prompt named `nope`");
    repo.run(&["bump", "a", "minor", "-m", "x", "--tag"])
        .code(2)
        .stderr_has("--tag needs --commit");
    // Other staged changes and --commit.
    repo.write("other.txt", "x");
    repo.git(&["add", "other.txt"]);
    repo.run(&["bump", "a", "minor", "-m", "x", "--commit"])
        .code(2)
        .stderr_has("other changes are staged (other.txt)");
    repo.git(&["reset", "-q"]);
    // A merge in progress.
    repo.write(".git/MERGE_HEAD", repo.git(&["rev-parse", "HEAD"]) + "\n");
    repo.run(&["bump", "a", "minor", "-m", "x"])
        .code(2)
        .stderr_has("middle of an operation");
    repo.remove(".git/MERGE_HEAD");
    // No Git identity.
    repo.git(&["config", "--unset", "user.name"]);
    repo.run(&["bump", "a", "minor", "-m", "x"])
        .code(2)
        .stderr_has("git config --global user.name");
    assert_eq!(repo.read("prompts/a.prompt.yaml"), before);
    // Dry run prints the change and writes nothing.
    repo.git(&["config", "user.name", "Test Author"]);
    repo.run(&["bump", "a", "patch", "-m", "Typo", "--dry-run"])
        .ok()
        .stdout_has("1.0.0 → 1.0.1 (dry run")
        .stdout_has("-version: 1.0.0")
        .stdout_has("+version: 1.0.1")
        .stdout_has("+    reason: Typo");
    assert_eq!(repo.read("prompts/a.prompt.yaml"), before);
}

/// Formats a bump must preserve byte for byte, with the expected result.
const FORMATS: &[(&str, &str, &str)] = &[
    (
        "plain",
        "version: 1.0.0\ntemplate: Hi {{ x }}\nvariables:\n  x: {}\nchangelog:\n  - version: 1.0.0\n    date: 2026-01-01T00:00:00Z\n    author: A B <a@b.c>\n    reason: First\n",
        "version: 1.1.0\ntemplate: Hi {{ x }}\nvariables:\n  x: {}\nchangelog:\n  - version: 1.1.0\n    date: DATE\n    author: Test Author <test@example.com>\n    reason: REASON\n  - version: 1.0.0\n    date: 2026-01-01T00:00:00Z\n    author: A B <a@b.c>\n    reason: First\n",
    ),
    (
        "comments-quotes-and-order",
        "# Header comment\n# yaml-language-server: $schema=x.json\ndescription: 'Quoted: yes'   # trailing\nversion: \"1.0.0\" # the version\nvariables: { x: { description: \"flow\" } }\ntemplate: >-\n  Folded {{ x }}\n  text\nchangelog:\n# newest first\n- version: 1.0.0\n  date: \"2026-01-01T00:00:00Z\"\n  author: 'A B <a@b.c>'\n  reason: >-\n    A long\n    reason\n",
        "# Header comment\n# yaml-language-server: $schema=x.json\ndescription: 'Quoted: yes'   # trailing\nversion: \"1.1.0\" # the version\nvariables: { x: { description: \"flow\" } }\ntemplate: >-\n  Folded {{ x }}\n  text\nchangelog:\n# newest first\n- version: 1.1.0\n  date: DATE\n  author: Test Author <test@example.com>\n  reason: REASON\n- version: 1.0.0\n  date: \"2026-01-01T00:00:00Z\"\n  author: 'A B <a@b.c>'\n  reason: >-\n    A long\n    reason\n",
    ),
    (
        "chat-four-space-indent",
        "version: 1.0.0\nmessages:\n    -   role: system\n        content: |\n            Be {{ x }}.\nvariables:\n    x:\n        default: kind\nchangelog:\n    -   version: 1.0.0\n        date: 2026-01-01T00:00:00Z\n        author: A B <a@b.c>\n        reason: First\nmetadata:\n    owner: team\n",
        "version: 1.1.0\nmessages:\n    -   role: system\n        content: |\n            Be {{ x }}.\nvariables:\n    x:\n        default: kind\nchangelog:\n    -   version: 1.1.0\n        date: DATE\n        author: Test Author <test@example.com>\n        reason: REASON\n    -   version: 1.0.0\n        date: 2026-01-01T00:00:00Z\n        author: A B <a@b.c>\n        reason: First\nmetadata:\n    owner: team\n",
    ),
    (
        "crlf",
        "version: 1.0.0\r\ntemplate: Hi {{ x }}\r\nvariables:\r\n  x: {}\r\nchangelog:\r\n  - version: 1.0.0\r\n    date: 2026-01-01T00:00:00Z\r\n    author: A B <a@b.c>\r\n    reason: First\r\n",
        "version: 1.1.0\r\ntemplate: Hi {{ x }}\r\nvariables:\r\n  x: {}\r\nchangelog:\r\n  - version: 1.1.0\r\n    date: DATE\r\n    author: Test Author <test@example.com>\r\n    reason: REASON\r\n  - version: 1.0.0\r\n    date: 2026-01-01T00:00:00Z\r\n    author: A B <a@b.c>\r\n    reason: First\r\n",
    ),
    (
        "changelog-in-the-middle-with-blank-lines",
        "version: 1.0.0\n\nchangelog:\n\n  - version: 1.0.0\n    date: 2026-01-01T00:00:00Z\n    author: A B <a@b.c>\n    reason: First\n\nvariables:\n  x:\n    description: in\n\ntemplate: |\n  {{ x }}\n\n  Keep the blank line.\n",
        "version: 1.1.0\n\nchangelog:\n\n  - version: 1.1.0\n    date: DATE\n    author: Test Author <test@example.com>\n    reason: REASON\n  - version: 1.0.0\n    date: 2026-01-01T00:00:00Z\n    author: A B <a@b.c>\n    reason: First\n\nvariables:\n  x:\n    description: in\n\ntemplate: |\n  {{ x }}\n\n  Keep the blank line.\n",
    ),
    (
        "no-trailing-newline-and-model-flow",
        "version: 1.0.0\nmodel: {provider: openai, name: gpt-4o, parameters: {temperature: 0.1}}\ntemplate: \"Hi {{ x }}\"\nvariables: {x: {}}\nchangelog:\n  - {version: 1.0.0, date: 2026-01-01T00:00:00Z, author: A B <a@b.c>, reason: First}",
        "version: 1.1.0\nmodel: {provider: openai, name: gpt-4o, parameters: {temperature: 0.1}}\ntemplate: \"Hi {{ x }}\"\nvariables: {x: {}}\nchangelog:\n  - version: 1.1.0\n    date: DATE\n    author: Test Author <test@example.com>\n    reason: REASON\n  - {version: 1.0.0, date: 2026-01-01T00:00:00Z, author: A B <a@b.c>, reason: First}",
    ),
];

#[test]
fn bump_changes_no_other_byte() {
    for (label, before, after) in FORMATS {
        let repo = TestRepo::new();
        repo.prompt("p", before);
        repo.commit("c1");
        repo.run(&["validate"]).ok();
        repo.run(&["bump", "p", "minor", "-m", "Reason: with a colon"])
            .ok();
        let got = repo.read("prompts/p.prompt.yaml");
        // The date is "now": take it from the file, then compare every byte.
        let date = got
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("date: \"")
                    .and_then(|d| d.strip_suffix('"'))
                    .filter(|d| d.starts_with("20") && !d.starts_with("2026-01-01"))
            })
            .unwrap_or_else(|| panic!("{label}: no new date in\n{got}"))
            .to_string();
        // Quoted, so that YAML 1.1 readers (PyYAML) keep it a string.
        let want = after
            .replace("DATE", &format!("\"{date}\""))
            .replace("REASON", "\"Reason: with a colon\"");
        assert_eq!(got, want, "{label}");
        repo.run(&["validate"]).ok();
    }
}

#[test]
fn shallow_clone_is_refused_with_the_fix() {
    let origin = TestRepo::new();
    v(&origin, "a", "1.0.0", &["1.0.0"], "One");
    origin.commit("c1");
    v(&origin, "a", "1.1.0", &["1.1.0", "1.0.0"], "Two");
    origin.commit("c2");
    let clone = origin.shallow_clone();
    clone
        .run(&["log", "a"])
        .code(2)
        .stderr_has("shallow clone")
        .stderr_has("git fetch --unshallow")
        .stderr_has("fetch-depth: 0");
    let allowed = clone.run(&["log", "a", "--allow-shallow", "--format", "json"]);
    allowed.ok();
    assert_eq!(allowed.json()["versions"].as_array().unwrap().len(), 1);
}

#[test]
fn status_tells_each_state() {
    let repo = TestRepo::new();
    for name in ["clean", "modified", "unreleased", "deleted"] {
        v(&repo, name, "1.0.0", &["1.0.0"], "One");
    }
    repo.commit("c1");
    v(&repo, "modified", "1.0.0", &["1.0.0"], "Changed");
    v(&repo, "unreleased", "1.1.0", &["1.1.0", "1.0.0"], "Two");
    v(&repo, "brand-new", "0.1.0", &["0.1.0"], "New");
    repo.remove("prompts/deleted.prompt.yaml");
    let out = repo.run(&["status", "--format", "json"]);
    out.ok();
    let states: Vec<(String, String)> = out
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![
            ("brand-new".into(), "new".into()),
            ("clean".into(), "clean".into()),
            ("deleted".into(), "deleted".into()),
            ("modified".into(), "modified".into()),
            ("unreleased".into(), "unreleased".into()),
        ]
    );
}

#[test]
fn registry_in_a_subdirectory_of_the_repository() {
    let repo = TestRepo::new();
    repo.remove("promptreg.yaml");
    repo.write("ml/promptreg.yaml", "prompts_dir: prompts\n");
    repo.write(
        "ml/prompts/a.prompt.yaml",
        text_prompt("1.0.0", &["1.0.0"], "Sub"),
    );
    let c1 = repo.commit("c1");
    let out = repo.run(&["-C", "ml", "log", "a", "--format", "json"]);
    out.ok();
    assert_eq!(out.json()["versions"][0]["commit"]["id"], c1.as_str());
    assert_eq!(out.json()["versions"][0]["path"], "prompts/a.prompt.yaml");
    repo.run(&["-C", "ml", "render", "a@1.0.0", "--var", "x=1"])
        .ok()
        .stdout_has("Sub 1");
}

#[test]
fn the_mainline_is_the_configured_ref() {
    let repo = TestRepo::new();
    v(&repo, "a", "1.0.0", &["1.0.0"], "One");
    repo.commit("c1");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    v(&repo, "a", "1.1.0", &["1.1.0", "1.0.0"], "Two");
    repo.commit("feature: a 1.1.0");
    let versions = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["log", "a", "--format", "json"];
        all.extend_from_slice(args);
        let out = repo.run(&all);
        out.ok();
        out.json()["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["version"].as_str().unwrap().to_string())
            .collect()
    };
    // HEAD (the feature branch) by default; `--ref` and `ref:` pick main.
    assert_eq!(versions(&[]), ["1.1.0", "1.0.0"]);
    assert_eq!(versions(&["--ref", "main"]), ["1.0.0"]);
    repo.write("promptreg.yaml", "prompts_dir: prompts\nref: main\n");
    assert_eq!(versions(&[]), ["1.0.0"]);
    assert_eq!(versions(&["--ref", "feature"]), ["1.1.0", "1.0.0"]);
    repo.run(&["log", "a", "--ref", "nope"])
        .code(2)
        .stderr_has("unknown revision `nope`");
}

/// A working-tree file holding a release's exact bytes is `clean` at that
/// release's version, however old, and with CRLF endings under
/// `core.autocrlf` too; bytes that are another prompt's release are judged
/// on their own.
#[test]
fn status_of_bytes_released_earlier() {
    let repo = TestRepo::new();
    v(&repo, "a", "1.0.0", &["1.0.0"], "One");
    v(&repo, "b", "1.0.0", &["1.0.0"], "Bee");
    repo.commit("c1");
    v(&repo, "a", "1.1.0", &["1.1.0", "1.0.0"], "Two");
    repo.commit("c2");
    let old = text_prompt("1.0.0", &["1.0.0"], "One");
    let state_of = |name: &str| -> (String, String) {
        let out = repo.run(&["status", "--format", "json"]);
        out.ok();
        let rows = out.json();
        let row = rows
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()
            .clone();
        (
            row["working_tree"].as_str().unwrap_or("-").to_string(),
            row["state"].as_str().unwrap().to_string(),
        )
    };
    // Back to 1.0.0's bytes: clean at 1.0.0 (below the last release).
    repo.prompt("a", &old);
    assert_eq!(state_of("a"), ("1.0.0".into(), "clean".into()));
    // The same bytes with CRLF endings are what `git add` stores as 1.0.0.
    repo.git(&["config", "core.autocrlf", "true"]);
    repo.prompt("a", &old.replace('\n', "\r\n"));
    assert_eq!(state_of("a"), ("1.0.0".into(), "clean".into()));
    // `b` given `a`'s 1.0.0 bytes: `b` released 1.0.0 with other bytes.
    repo.git(&["config", "core.autocrlf", "false"]);
    repo.prompt("b", &old);
    assert_eq!(state_of("b"), ("1.0.0".into(), "modified".into()));
}
