//! Exactness from real use: every problem at once, edits that
//! survive comments, answers that say what happened, one set of config rules.

mod common;
use common::*;

// ---------------------------------------------------------------------------
// `validate` lists every problem
// ---------------------------------------------------------------------------

/// Seven independent problems: an unknown key, a bad role (a type error),
/// a blank model provider, a bad variable name, an undeclared placeholder,
/// a bad changelog date and a malformed author.
const MANY_PROBLEMS: &str = "version: 1.0.0
descripton: A typo in a key.
model:
  provider: \"\"
  name: gpt-4o-mini
variables:
  bad-name: {}
  x: {}
messages:
  - role: robot
    content: Hi
  - role: user
    content: \"{{ x }} {{ who }}\"
changelog:
  - version: 1.0.0
    date: yesterday
    author: nobody
    reason: First.
";

#[test]
fn validate_lists_every_problem_of_a_file_at_once() {
    let repo = TestRepo::new();
    repo.prompt("bad", MANY_PROBLEMS);
    let run = repo.run(&["validate"]);
    run.code(1)
        .stdout_has("prompts/bad.prompt.yaml:2:1: error[unknown-key]")
        .stdout_has("unknown key `descripton` (did you mean `description`?)")
        .stdout_has("prompts/bad.prompt.yaml:10:")
        .stdout_has("error[invalid-yaml]")
        .stdout_has("robot")
        .stdout_has("prompts/bad.prompt.yaml:4:3: error[model-empty]")
        .stdout_has("prompts/bad.prompt.yaml:7:3: error[variable-name]")
        .stdout_has("error[undeclared-placeholder]")
        .stdout_has("prompts/bad.prompt.yaml:16:5: error[changelog-date]")
        .stdout_has("prompts/bad.prompt.yaml:17:5: error[changelog-author]");
    let errors: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains(": error["))
        .collect();
    assert!(errors.len() >= 6, "{}", run.stdout);
    // Each finding has its location.
    for line in &errors {
        assert!(
            line.starts_with("prompts/bad.prompt.yaml:"),
            "no location: {line}"
        );
    }
    // The placeholder of the second message is found at that message.
    assert!(
        errors
            .iter()
            .any(|l| l.starts_with("prompts/bad.prompt.yaml:13:") && l.contains("who")),
        "{}",
        run.stdout
    );
}

#[test]
fn a_type_error_does_not_hide_the_other_findings() {
    let repo = TestRepo::new();
    repo.prompt(
        "bad",
        &text_prompt("1.0.0", &["1.0.0"], "Hello {{ nobody }}")
            .replace("description: A test prompt.", "description: [not, text]")
            .replace("author: Test Author <test@example.com>", "author: nobody"),
    );
    repo.run(&["validate"])
        .code(1)
        .stdout_has("error[invalid-yaml]")
        .stdout_has("description")
        .stdout_has("error[undeclared-placeholder]")
        .stdout_has("error[changelog-author]");
}

// ---------------------------------------------------------------------------
// In-place edits survive the formats we document
// ---------------------------------------------------------------------------

/// The prompt file of README.md, "The prompt file", exactly.
fn readme_prompt_file() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("## The prompt file").unwrap();
    let block = &readme[start..];
    let open = block.find("```yaml\n").unwrap() + "```yaml\n".len();
    let close = block[open..].find("```").unwrap();
    block[open..open + close].to_string()
}

/// Runs `bump NAME minor` on `content` and checks that the version line
/// and the new entry are the only bytes that changed.
fn bump_keeps_every_other_byte(content: &str, old_version_line: &str, new_version_line: &str) {
    let repo = TestRepo::new();
    repo.prompt("p", content);
    repo.commit("release");
    repo.run(&["bump", "p", "minor", "-m", "Another release"])
        .ok();
    let after = std::fs::read_to_string(repo.file("prompts/p.prompt.yaml")).unwrap();
    let eol = if content.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    // Remove the new entry (four lines starting at the `- version:` of the
    // new version) and restore the version line: the rest is the input.
    let new_version = new_version_line
        .trim_start_matches('\u{feff}')
        .split_whitespace()
        .nth(1)
        .unwrap()
        .trim_matches('"')
        .to_string();
    let mut lines: Vec<&str> = after.split_inclusive('\n').collect();
    let at = lines
        .iter()
        .position(|l| {
            l.trim_start()
                .starts_with(&format!("- version: {new_version}"))
        })
        .unwrap_or_else(|| panic!("no new entry:\n{after}"));
    let entry: Vec<&str> = lines.drain(at..at + 4).collect();
    assert!(entry[1].trim_start().starts_with("date: "), "{entry:?}");
    assert!(
        entry[2]
            .trim_start()
            .starts_with("author: Test Author <test@example.com>"),
        "{entry:?}"
    );
    assert!(
        entry[3].trim_start().starts_with("reason: Another release"),
        "{entry:?}"
    );
    for l in &entry {
        assert!(l.ends_with(eol), "line ending of {l:?}");
    }
    let rest: String = lines.concat();
    assert!(after.contains(new_version_line), "{after}");
    assert_eq!(
        rest.replacen(new_version_line, old_version_line, 1),
        content
    );
    repo.run(&["validate", "p"]).ok();
}

#[test]
fn bump_edits_the_readme_prompt_file_in_place() {
    let content = readme_prompt_file();
    assert!(content.contains("changelog:                           # newest first"));
    bump_keeps_every_other_byte(
        &content,
        "version: 1.3.0                       # SemVer",
        "version: 1.4.0                       # SemVer",
    );
}

/// Comments at the end of the version, changelog and entry lines, and
/// between entries; a flow-style model beside the block changelog.
const COMMENTED: &str = "version: \"1.0.0\"   # the version
description: Commented.
model: { provider: openai, name: gpt-4o-mini, parameters: { temperature: 0.2 } }
variables:
  x: { description: The input. }
template: |
  Hello {{ x }}
changelog:  # newest first
  # the newest entry
  - version: 1.0.0   # released
    date: 2026-01-28T10:00:00Z  # when
    author: Test Author <test@example.com>  # who
    reason: Second.  # why

  # an older one
  - version: 0.9.0
    date: 2026-01-27T10:00:00Z
    author: Test Author <test@example.com>
    reason: First.
metadata: { owner: me }   # free
";

#[test]
fn bump_keeps_comments_on_every_line_and_between_entries() {
    bump_keeps_every_other_byte(
        COMMENTED,
        "version: \"1.0.0\"   # the version",
        "version: \"1.1.0\"   # the version",
    );
}

#[test]
fn bump_keeps_crlf_line_endings() {
    bump_keeps_every_other_byte(
        &COMMENTED.replace('\n', "\r\n"),
        "version: \"1.0.0\"   # the version",
        "version: \"1.1.0\"   # the version",
    );
}

#[test]
fn bump_keeps_a_byte_order_mark() {
    bump_keeps_every_other_byte(
        &format!("\u{feff}{COMMENTED}"),
        "\u{feff}version: \"1.0.0\"   # the version",
        "\u{feff}version: \"1.1.0\"   # the version",
    );
}

#[test]
fn bump_edits_the_readme_file_with_crlf_and_a_byte_order_mark() {
    let content = format!("\u{feff}{}", readme_prompt_file().replace('\n', "\r\n"));
    bump_keeps_every_other_byte(
        &content,
        "version: 1.3.0                       # SemVer",
        "version: 1.4.0                       # SemVer",
    );
}

#[test]
fn bump_edits_the_file_new_writes() {
    let repo = TestRepo::new();
    repo.run(&["new", "fresh", "-m", "First"]).ok();
    repo.run(&["new", "talk", "--chat", "-m", "First"]).ok();
    repo.commit("release");
    for name in ["fresh", "talk"] {
        let before = repo.read(&format!("prompts/{name}.prompt.yaml"));
        repo.run(&["bump", name, "patch", "-m", "Next"]).ok();
        let after = repo.read(&format!("prompts/{name}.prompt.yaml"));
        assert_eq!(after.lines().count(), before.lines().count() + 4, "{after}");
        assert!(after.contains("version: 0.1.1\n"));
    }
}

/// The `environments:` example of README.md, "Environments and the lockfile".
fn readme_environments() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("## Environments and the lockfile").unwrap();
    let block = &readme[start..];
    let open = block.find("```yaml\n").unwrap() + "```yaml\n".len();
    let close = block[open..].find("```").unwrap();
    block[open..open + close].to_string()
}

#[test]
fn promote_edits_the_readme_environments_with_comments_crlf_and_a_bom() {
    for (bom, eol) in [
        ("", "\n"),
        ("", "\r\n"),
        ("\u{feff}", "\n"),
        ("\u{feff}", "\r\n"),
    ] {
        let repo = TestRepo::new();
        for (name, versions) in [
            ("support/triage", &["1.2.0", "1.3.0"][..]),
            ("extract/invoice", &["3.0.0"][..]),
            ("sql/generate", &["1.0.0"][..]),
        ] {
            let mut history: Vec<&str> = Vec::new();
            for v in versions {
                history.insert(0, v);
                repo.prompt(name, &text_prompt(v, &history, "Hi"));
                repo.commit(&format!("{name} {v}"));
            }
        }
        let config = format!("prompts_dir: prompts\n{}", readme_environments()).replace('\n', eol);
        let config = format!("{bom}{config}");
        repo.write("promptreg.yaml", &config);
        repo.commit("config");
        repo.run(&["promote", "support/triage@1.2.0", "--env", "production"])
            .ok();
        let after = repo.read("promptreg.yaml");
        let old_line =
            "    support/triage: \"^1.2\"          # Cargo syntax: highest released 1.x.y ≥ 1.2.0";
        let new_line = "    support/triage: \"=1.2.0\"          # Cargo syntax: highest released 1.x.y ≥ 1.2.0";
        assert!(after.contains(new_line), "{after:?}");
        assert_eq!(after.replacen(new_line, old_line, 1), config);
    }
}

// ---------------------------------------------------------------------------
// Answers that say what happened
// ---------------------------------------------------------------------------

#[test]
fn diff_json_says_none_for_no_required_bump() {
    let repo = TestRepo::new();
    repo.prompt("p", &text_prompt("1.0.0", &["1.0.0"], "Hi"));
    repo.commit("release");
    repo.prompt(
        "p",
        &text_prompt("1.0.0", &["1.0.0"], "Hi")
            .replace("reason: Release 1.0.0.", "reason: Edited."),
    );
    let run = repo.run(&["diff", "p", "--format", "json"]);
    run.ok();
    let d = &run.json()[0];
    assert_eq!(d["required"], "none", "{}", run.stdout);
    assert_eq!(d["actual"], "none", "{}", run.stdout);
}

#[test]
fn a_changelog_only_change_shows_in_the_text_diff() {
    let repo = TestRepo::new();
    repo.prompt("p", &text_prompt("1.0.0", &["1.0.0"], "Hi"));
    repo.commit("release");
    repo.prompt(
        "p",
        &text_prompt("1.0.0", &["1.0.0"], "Hi")
            .replace("reason: Release 1.0.0.", "reason: Edited."),
    );
    let run = repo.run(&["diff", "p"]);
    run.ok()
        .stdout_has("-  Release 1.0.0.")
        .stdout_has("+  Edited.");
    let json = repo.run(&["diff", "p", "--format", "json"]).json();
    let hunks = json[0]["hunks"].as_array().unwrap();
    assert!(hunks.iter().any(|h| h["part"] == "changelog"), "{json}");
}

#[test]
fn a_comment_only_change_shows_the_file_lines() {
    let repo = TestRepo::new();
    repo.prompt("p", &text_prompt("1.0.0", &["1.0.0"], "Hi"));
    repo.commit("release");
    repo.prompt(
        "p",
        &format!(
            "# a new comment\n{}",
            text_prompt("1.0.0", &["1.0.0"], "Hi")
        ),
    );
    repo.run(&["diff", "p"]).ok().stdout_has("+# a new comment");
}

#[test]
fn render_prints_exactly_the_rendered_text() {
    let repo = TestRepo::new();
    repo.prompt(
        "plain",
        "version: 1.0.0\nvariables:\n  x: {}\ntemplate: \"Hello {{ x }}\"\nchangelog:\n  - version: 1.0.0\n    date: 2026-01-28T10:00:00Z\n    author: Test Author <test@example.com>\n    reason: First.\n",
    );
    let run = repo.run(&["render", "plain", "--var", "x=world"]);
    run.ok();
    assert_eq!(run.stdout, "Hello world");
    let json = repo.run(&["render", "plain", "--var", "x=world", "--format", "json"]);
    assert_eq!(json.json(), serde_json::json!(run.stdout));
}

#[test]
fn the_hint_for_an_unknown_variable_fits_it() {
    let repo = TestRepo::new();
    repo.prompt(
        "fixed",
        "version: 1.0.0\ntemplate: |\n  No variables here.\nchangelog:\n  - version: 1.0.0\n    date: 2026-01-28T10:00:00Z\n    author: Test Author <test@example.com>\n    reason: First.\n",
    );
    let run = repo.run(&["render", "fixed", "--var", "input=hello"]);
    run.code(2)
        .stderr_has("unknown variable(s): input (declared: none)")
        .stderr_has("hint: the prompt declares no variables: drop --var input");
    assert!(!run.stderr.contains("required"), "{}", run.stderr);
    // A misspelt one is pointed at the declared name.
    repo.prompt("p", &text_prompt("1.0.0", &["1.0.0"], "Hi"));
    repo.run(&["render", "p", "--var", "x=1", "--var", "xx=2"])
        .code(2)
        .stderr_has("drop or rename --var xx");
    // A missing one still gets the "give each required variable" hint.
    repo.run(&["render", "p"])
        .code(2)
        .stderr_has("give each required variable: --var x=VALUE");
}

#[test]
fn show_says_a_prompt_was_deleted_on_the_mainline() {
    let repo = TestRepo::new();
    let mut history: Vec<&str> = Vec::new();
    for v in ["1.0.0", "1.1.0", "1.2.0"] {
        history.insert(0, v);
        repo.prompt("create_toc", &text_prompt(v, &history, "Hi"));
        repo.commit(&format!("create_toc {v}"));
    }
    repo.remove("prompts/create_toc.prompt.yaml");
    let deleting = repo.commit("Retire create_toc");
    let run = repo.run(&["show", "create_toc"]);
    run.code(2)
        .stderr_has("create_toc was deleted on the mainline in ")
        .stderr_has(&deleting[..7])
        .stderr_has("its last version is 1.2.0")
        .stderr_has("create_toc@latest");
    assert!(!run.stderr.contains("promptreg new"), "{}", run.stderr);
    repo.run(&["show", "create_toc@latest"])
        .ok()
        .stdout_has("1.2.0");
}

#[test]
fn status_tells_a_mainline_deletion_from_an_uncommitted_rm() {
    let repo = TestRepo::new();
    repo.prompt("gone", &text_prompt("1.0.0", &["1.0.0"], "Hi"));
    repo.prompt("removed", &text_prompt("1.0.0", &["1.0.0"], "Hi"));
    repo.commit("release");
    repo.remove("prompts/gone.prompt.yaml");
    let deleting = repo.commit("Delete gone");
    repo.remove("prompts/removed.prompt.yaml");
    let run = repo.run(&["status", "--format", "json"]);
    run.ok();
    let rows = run.json();
    let row = |name: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(row("gone")["state"], "deleted-on-mainline");
    assert_eq!(row("gone")["deleted_in"], deleting.as_str());
    assert_eq!(row("removed")["state"], "deleted");
    assert_eq!(row("removed")["deleted_in"], serde_json::Value::Null);
    repo.run(&["status"])
        .ok()
        .stdout_has("deleted-on-mainline")
        .stdout_has(&format!("deleted in {}", &deleting[..7]));
}

#[test]
fn the_next_hint_of_new_is_a_command_that_works() {
    for chat in [false, true] {
        let repo = TestRepo::new();
        let mut args = vec!["new", "support/triage", "-m", "Triage"];
        if chat {
            args.push("--chat");
        }
        let run = repo.run(&args);
        run.ok();
        let hint = run
            .stdout
            .split('`')
            .nth(1)
            .unwrap_or_else(|| panic!("no command in {}", run.stdout))
            .to_string();
        let words: Vec<&str> = hint.split_whitespace().collect();
        assert_eq!(words[0], "promptreg", "{hint}");
        repo.run(&words[1..]).ok();
    }
}

// ---------------------------------------------------------------------------
// Config rules agree everywhere
// ---------------------------------------------------------------------------

#[test]
fn every_command_gives_the_same_verdict_on_an_invalid_config() {
    let cases = [
        (
            "environments:\n  Prod:\n    \"*\": latest\n",
            "environment-name",
        ),
        ("ref: \"\"\n", "error[ref]"),
        ("ref: \"main branch\"\n", "error[ref]"),
    ];
    for (config, rule) in cases {
        let repo = TestRepo::new();
        repo.prompt("p", &text_prompt("1.0.0", &["1.0.0"], "Hi"));
        repo.commit("release");
        repo.write("promptreg.yaml", format!("prompts_dir: prompts\n{config}"));
        repo.run(&["validate"]).code(1).stdout_has(rule);
        repo.run(&["doctor"])
            .code(1)
            .stdout_has(rule.trim_start_matches("error[").trim_end_matches(']'));
        repo.run(&["check", "--no-lock"])
            .code(1)
            .stdout_has("invalid-config");
        for args in [
            &["lock"][..],
            &["lock", "--locked"],
            &["log"],
            &["status"],
            &["list"],
            &["show", "p"],
            &["export", "--env", "production", "--out", "out"],
        ] {
            repo.run(args)
                .code(2)
                .stderr_has("promptreg.yaml is invalid")
                .stderr_has(rule.trim_start_matches("error[").trim_end_matches(']'));
        }
    }
}

// ---------------------------------------------------------------------------
// Gates hold in `lock`
// ---------------------------------------------------------------------------

/// A gated production deploying support/triage `"^1.2"`, released at each
/// of `versions` (one commit each), not locked yet.
fn gated(versions: &[&str], rule: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.write(
        "promptreg.yaml",
        format!(
            "prompts_dir: prompts\nenvironments:\n  production:\n    support/triage: {rule}\n  staging:\n    \"*\": latest\ngates:\n  production:\n    accuracy: \">= 0.85\"\n"
        ),
    );
    let mut history: Vec<&str> = Vec::new();
    for v in versions {
        history.insert(0, v);
        repo.prompt("support/triage", &text_prompt(v, &history, "Triage"));
        repo.commit(&format!("support/triage {v}"));
    }
    repo
}

fn score(repo: &TestRepo, version: &str, accuracy: &str) {
    repo.run(&[
        "score",
        &format!("support/triage@{version}"),
        "--metric",
        &format!("accuracy={accuracy}"),
    ])
    .ok();
}

fn production_pin(repo: &TestRepo) -> serde_json::Value {
    let lock: serde_json::Value = serde_yaml_ng_free_parse(&repo.read("prompts.lock"));
    lock["environments"]["production"]["support/triage"].clone()
}

/// The lockfile's environments, read with the line format `lock` writes
/// (two-space indentation, `name: version` or a split block).
fn serde_yaml_ng_free_parse(text: &str) -> serde_json::Value {
    let mut envs = serde_json::Map::new();
    let mut in_envs = false;
    let mut env = String::new();
    let mut prompt = String::new();
    for line in text.lines() {
        if line == "environments:" {
            in_envs = true;
            continue;
        }
        if !in_envs {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let t = line.trim();
        match indent {
            2 => {
                env = t.trim_end_matches(':').to_string();
                envs.insert(env.clone(), serde_json::json!({}));
            }
            4 => {
                let (k, v) = t.split_once(':').unwrap();
                prompt = k.to_string();
                let v = v.trim();
                envs[&env][&prompt] = if v.is_empty() {
                    serde_json::json!([])
                } else {
                    serde_json::json!(v)
                };
            }
            8 if t.starts_with("- version: ") => {
                envs[&env][&prompt]
                    .as_array_mut()
                    .unwrap()
                    .push(serde_json::json!(t.trim_start_matches("- version: ")));
            }
            _ => {}
        }
    }
    serde_json::json!({ "environments": envs })
}

#[test]
fn lock_pins_a_passing_newer_version() {
    let repo = gated(&["1.2.0", "1.3.0"], "\"^1.2\"");
    score(&repo, "1.2.0", "0.9");
    score(&repo, "1.3.0", "0.95");
    let run = repo.run(&["lock"]);
    run.ok();
    assert!(!run.stderr.contains("held back"), "{}", run.stderr);
    assert_eq!(production_pin(&repo), "1.3.0");
}

#[test]
fn lock_holds_back_an_unscored_newer_version_and_says_why() {
    let repo = gated(&["1.2.0", "1.3.0"], "\"^1.2\"");
    score(&repo, "1.2.0", "0.9");
    let run = repo.run(&["lock"]);
    run.ok().stderr_has(
        "note: environment `production`: held back support/triage 1.3.0 (no score for accuracy); pinned 1.2.0",
    );
    assert_eq!(production_pin(&repo), "1.2.0");
    // Staging has no gates: it takes the newest.
    assert!(repo
        .read("prompts.lock")
        .contains("  staging:\n    support/triage: 1.3.0\n"));
    let json = repo.run(&["lock", "--format", "json"]).json();
    assert_eq!(
        json["held_back"],
        serde_json::json!([{
            "environment": "production",
            "name": "support/triage",
            "version": "1.3.0",
            "reason": "no score for accuracy",
            "pinned": "1.2.0"
        }])
    );
    // Up to date, and stays so; a score arriving makes it stale.
    repo.commit("lock");
    repo.run(&["lock", "--locked"]).ok();
    score(&repo, "1.3.0", "0.9");
    repo.run(&["lock", "--locked"]).code(1);
    repo.run(&["lock"]).ok();
    assert_eq!(production_pin(&repo), "1.3.0");
}

#[test]
fn lock_holds_back_a_failing_newer_version() {
    let repo = gated(&["1.2.0", "1.2.1", "1.3.0"], "\"^1.2\"");
    score(&repo, "1.2.0", "0.9");
    score(&repo, "1.2.1", "0.8");
    score(&repo, "1.3.0", "0.5");
    repo.run(&["lock"])
        .ok()
        .stderr_has("held back support/triage 1.3.0 (accuracy 0.5 misses >= 0.85); pinned 1.2.0")
        .stderr_has("held back support/triage 1.2.1 (accuracy 0.8 misses >= 0.85); pinned 1.2.0");
    assert_eq!(production_pin(&repo), "1.2.0");
    // Nothing passing: an error naming the line and every version tried.
    score(&repo, "1.2.0", "0.1");
    repo.run(&["lock"])
        .code(2)
        .stderr_has("promptreg.yaml:4:")
        .stderr_has("no released version matching `^1.2` passes the gates of `production`")
        .stderr_has("1.2.0: accuracy 0.1 misses >= 0.85")
        .stderr_has("--force");
}

#[test]
fn lock_holds_back_a_failing_split_arm() {
    let repo = gated(
        &["1.2.0", "1.3.0", "1.4.0"],
        "{ split: { \"=1.2.0\": 80, \"^1.3\": 20 } }",
    );
    score(&repo, "1.2.0", "0.9");
    score(&repo, "1.3.0", "0.9");
    score(&repo, "1.4.0", "0.5");
    repo.run(&["lock"]).ok().stderr_has(
        "held back support/triage 1.4.0 (accuracy 0.5 misses >= 0.85); pinned 1.2.0, 1.3.0",
    );
    assert_eq!(production_pin(&repo), serde_json::json!(["1.2.0", "1.3.0"]));
}

#[test]
fn promote_force_still_pins_past_the_gates() {
    let repo = gated(&["1.2.0", "1.3.0"], "\"^1.2\"");
    score(&repo, "1.2.0", "0.9");
    repo.run(&["lock"]).ok();
    repo.commit("lock");
    repo.run(&["promote", "support/triage@1.3.0", "--env", "production"])
        .code(2);
    repo.run(&[
        "promote",
        "support/triage@1.3.0",
        "--env",
        "production",
        "--force",
        "--commit",
    ])
    .ok();
    assert_eq!(production_pin(&repo), "1.3.0");
    assert!(repo
        .git(&["log", "-1", "--format=%B"])
        .contains("Gate-Override: forced by"));
    // `lock` keeps the exact pin; `check` still says it fails.
    repo.run(&["lock", "--locked"]).ok();
    repo.run(&["check"]).code(1).stdout_has("gate-failed");
}

/// Every ```yaml block of README.md that is a `promptreg.yaml` (or a part
/// of one under `environments:`), in order.
fn readme_config_blocks() -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut blocks = Vec::new();
    let mut rest = readme.as_str();
    while let Some(open) = rest.find("```yaml\n") {
        let body = &rest[open + 8..];
        let close = body.find("```").unwrap();
        let block = &body[..close];
        if block.contains("environments:") && !block.contains("lockfile_version") {
            blocks.push(block.to_string());
        }
        rest = &body[close..];
    }
    blocks
}

#[test]
fn promote_edits_every_config_shape_of_the_readme() {
    let gates = readme_config_blocks();
    assert!(gates.len() >= 3, "{gates:?}");
    let gates_block = {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        let at = readme.find("### Gates").unwrap();
        let open = readme[at..].find("```yaml\n").unwrap() + at + 8;
        let close = readme[open..].find("```").unwrap() + open;
        readme[open..close].to_string()
    };
    let mut configs: Vec<String> = readme_config_blocks()
        .into_iter()
        .map(|b| {
            if b.starts_with("prompts_dir") {
                b
            } else {
                format!("prompts_dir: prompts\n{b}")
            }
        })
        .collect();
    configs.push(format!("{}{gates_block}", configs[1]));
    for config in configs {
        for (bom, eol) in [("", "\n"), ("\u{feff}", "\r\n")] {
            let repo = TestRepo::new();
            for (name, versions) in [
                ("support/triage", &["1.2.0", "1.3.0"][..]),
                ("extract/invoice", &["3.0.0"][..]),
                ("sql/generate", &["1.0.0"][..]),
            ] {
                let mut history: Vec<&str> = Vec::new();
                for v in versions {
                    history.insert(0, v);
                    repo.prompt(name, &text_prompt(v, &history, "Hi"));
                    repo.commit(&format!("{name} {v}"));
                }
            }
            let before = format!("{bom}{}", config.replace('\n', eol));
            repo.write("promptreg.yaml", &before);
            repo.commit("config");
            repo.run(&[
                "promote",
                "support/triage@1.2.0",
                "--env",
                "production",
                "--force",
            ])
            .ok();
            let after = repo.read("promptreg.yaml");
            let old: Vec<&str> = before.split_inclusive('\n').collect();
            let new: Vec<&str> = after.split_inclusive('\n').collect();
            let added: Vec<&&str> = new.iter().filter(|l| !old.contains(l)).collect();
            let removed: Vec<&&str> = old.iter().filter(|l| !new.contains(l)).collect();
            assert_eq!(added.len(), 1, "{config}\n{after}");
            assert!(added[0].contains("support/triage: \"=1.2.0\""), "{after}");
            assert!(added[0].ends_with(eol), "{after:?}");
            for line in &removed {
                assert!(
                    line.contains("support/triage") || line.contains("split:"),
                    "{line:?} removed:\n{after}"
                );
            }
            let kept_old: Vec<&&str> = old.iter().filter(|l| !removed.contains(l)).collect();
            let kept_new: Vec<&&str> = new.iter().filter(|l| !added.contains(l)).collect();
            assert_eq!(kept_old, kept_new, "{after}");
            assert_eq!(after.starts_with('\u{feff}'), !bom.is_empty());
        }
    }
}
