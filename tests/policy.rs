//! The bump policy and `diff`: one case directory per policy row
//! (`tests/cases/policy/<case>/{old,new}.prompt.yaml` + `expected.yaml`),
//! property tests, and snapshots of what a reviewer reads.

mod common;
use common::*;
use std::path::Path;

fn cases_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/policy")
}

#[derive(serde::Deserialize)]
struct Expected {
    required: String,
    verdict: String,
    rules: Vec<String>,
}

#[test]
fn every_policy_case() {
    let mut names: Vec<_> = std::fs::read_dir(cases_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert!(names.len() >= 30, "only {} cases", names.len());
    let mut failures = Vec::new();
    for name in &names {
        let dir = cases_dir().join(name);
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
        let expected: Expected = serde_yaml::from_str(&read("expected.yaml")).unwrap();
        let repo = TestRepo::new();
        repo.prompt("p", &read("old.prompt.yaml"));
        repo.commit("old");
        repo.prompt("p", &read("new.prompt.yaml"));
        let out = repo.run(&["diff", "p", "--format", "json"]);
        if out.code != 0 {
            failures.push(format!("{name}: exit {}: {}", out.code, out.stderr));
            continue;
        }
        let json = out.json();
        let d = &json[0];
        let required = d["required"].as_str().unwrap_or("none").to_string();
        let mut rules: Vec<String> = d["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["rule"].as_str().unwrap().to_string())
            .collect();
        let verdict = d["verdict"]["verdict"].as_str().unwrap_or("ok").to_string();
        let mut want_rules = expected.rules.clone();
        rules.sort();
        want_rules.sort();
        if required != expected.required || rules != want_rules || verdict != expected.verdict {
            failures.push(format!(
                "{name}: got required={required} verdict={verdict} rules={rules:?}; want required={} verdict={} rules={want_rules:?}",
                expected.required, expected.verdict
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_has_a_case() {
    let mut seen = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(cases_dir()).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path().join("expected.yaml")).unwrap();
        let expected: Expected = serde_yaml::from_str(&text).unwrap();
        seen.extend(expected.rules);
    }
    for (rule, _, _) in promptreg_core::policy::RULES {
        assert!(seen.contains(*rule), "no case exercises `{rule}`");
    }
}

fn repo_with(old: &str, new: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.prompt("support/triage", old);
    repo.commit("old");
    repo.prompt("support/triage", new);
    repo
}

fn case(name: &str, file: &str) -> String {
    std::fs::read_to_string(cases_dir().join(name).join(file)).unwrap()
}

#[test]
fn identical_versions_say_so() {
    let repo = TestRepo::new();
    repo.prompt("a", &text_prompt("1.0.0", &["1.0.0"], "Hi"));
    repo.commit("c1");
    repo.run(&["diff", "a@1.0.0", "a@1.0.0"])
        .ok()
        .stdout_has("identical");
    repo.run(&["diff", "a"]).ok().stdout_has("identical");
}

#[test]
fn bump_auto_uses_the_required_bump() {
    let repo = repo_with(
        &case("variable-made-required", "old.prompt.yaml"),
        &case("variable-made-required", "old.prompt.yaml").replace("    default: neutral\n", ""),
    );
    repo.run(&[
        "bump",
        "support/triage",
        "auto",
        "-m",
        "Tone is required now",
    ])
    .ok()
    .stdout_has("major: variable 'tone' made required")
    .stdout_has("1.0.0 → 2.0.0");
    // Nothing but the changelog changed: no bump required, refused.
    let repo = repo_with(
        &case("changelog-only", "old.prompt.yaml"),
        &case("changelog-only", "new.prompt.yaml"),
    );
    repo.run(&["bump", "support/triage", "auto", "-m", "x"])
        .code(1)
        .stderr_has("no bump required");
    assert_eq!(
        repo.read("prompts/support/triage.prompt.yaml"),
        case("changelog-only", "new.prompt.yaml")
    );
    repo.run(&["bump", "support/triage", "auto", "-m", "x", "--allow-none"])
        .ok()
        .stdout_has("1.0.0 → 1.0.1");
    // Pre-1.0: a breaking change bumps the minor number.
    let old = case("variable-made-required", "old.prompt.yaml").replace("1.0.0", "0.4.0");
    let repo = repo_with(&old, &old.replace("    default: neutral\n", ""));
    repo.run(&["bump", "support/triage", "auto", "-m", "x"])
        .ok()
        .stdout_has("0.4.0 → 0.5.0");
}

#[test]
fn policy_overrides_raise_levels_and_are_validated() {
    let repo = repo_with(
        &case("model-name-changed", "old.prompt.yaml"),
        &case("model-name-changed", "new.prompt.yaml"),
    );
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nbump_policy:\n  model-name-changed: major\n",
    );
    let out = repo.run(&["diff", "support/triage", "--format", "json"]);
    assert_eq!(out.json()[0]["required"], "major");
    assert_eq!(out.json()[0]["verdict"]["verdict"], "too-small");
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nbump_policy:\n  variable-removed: patch\n",
    );
    repo.run(&["validate"])
        .code(1)
        .stdout_has("promptreg.yaml:3:3")
        .stdout_has("can only raise");
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nbump_policy:\n  model-nme-changed: major\n",
    );
    repo.run(&["diff", "support/triage"])
        .code(2)
        .stderr_has("did you mean `model-name-changed`");
}

#[test]
fn diff_base_lists_every_changed_prompt() {
    let repo = TestRepo::new();
    repo.prompt("a", &text_prompt("1.0.0", &["1.0.0"], "A"));
    repo.prompt("b", &text_prompt("1.0.0", &["1.0.0"], "B"));
    repo.prompt("gone", &text_prompt("1.0.0", &["1.0.0"], "G"));
    repo.commit("c1");
    repo.prompt("a", &text_prompt("1.0.1", &["1.0.1", "1.0.0"], "A2"));
    repo.prompt("new", &text_prompt("0.1.0", &["0.1.0"], "N"));
    repo.remove("prompts/gone.prompt.yaml");
    let out = repo.run(&["diff", "--base", "HEAD", "--format", "json"]);
    out.ok();
    let got: Vec<(String, String)> = out
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap().to_string(),
                d["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("a".into(), "changed".into()),
            ("gone".into(), "deleted".into()),
            ("new".into(), "added".into())
        ]
    );
    repo.commit("c2");
    let stat = repo.run(&["diff", "--base", "HEAD~1", "--head", "HEAD", "--stat"]);
    stat.ok()
        .stdout_has("a  1.0.0 → 1.0.1  1 change(s), requires patch, ok")
        .stdout_has("new  new at 0.1.0");
    repo.run(&["diff", "--base", "nope"])
        .code(2)
        .stderr_has("unknown revision");
    repo.run(&["diff"])
        .code(2)
        .stderr_has("name a prompt or pass --base");
}

fn snapshot_repo(name: &str) -> TestRepo {
    repo_with(
        &case(name, "old.prompt.yaml"),
        &case(name, "new.prompt.yaml"),
    )
}

#[test]
fn snapshots_of_human_diffs() {
    for name in [
        "bump-too-small",
        "messages-reordered",
        "output-schema-enum-narrowed",
        "template-text-changed",
        "not-bumped",
    ] {
        let out = snapshot_repo(name).run(&["diff", "support/triage"]);
        out.ok();
        insta::assert_snapshot!(format!("diff_human_{name}"), out.stdout);
    }
}

#[test]
fn snapshots_of_json_diffs() {
    for name in ["variable-required-added", "model-provider-changed"] {
        let out = snapshot_repo(name).run(&["diff", "support/triage", "--format", "json"]);
        out.ok();
        insta::assert_snapshot!(format!("diff_json_{name}"), out.stdout);
    }
}

mod properties {
    use indexmap::IndexMap;
    use promptreg_core::policy::{compare, required};
    use promptreg_core::prompt::{Message, PromptFile, Role, Variable};
    use proptest::prelude::*;

    fn file(vars: Vec<(u8, bool)>, model: u8, messages: Vec<(u8, u8)>) -> PromptFile {
        let mut variables = IndexMap::new();
        for (name, has_default) in vars {
            variables.insert(
                format!("v{name}"),
                Variable {
                    description: None,
                    default: has_default.then(|| serde_json::json!("d")),
                },
            );
        }
        let roles = [Role::System, Role::User, Role::Assistant];
        PromptFile {
            version: "1.0.0".into(),
            description: None,
            partial: false,
            partials: IndexMap::new(),
            model: Some(promptreg_core::prompt::Model {
                provider: "openai".into(),
                name: format!("m{model}"),
                parameters: IndexMap::new(),
            }),
            variables,
            template: None,
            messages: Some(
                messages
                    .into_iter()
                    .map(|(role, text)| Message {
                        role: roles[role as usize % 3],
                        content: format!("text {text}"),
                    })
                    .collect(),
            ),
            output: None,
            changelog: Vec::new(),
            metadata: None,
        }
    }

    fn arb_file() -> impl Strategy<Value = PromptFile> {
        (
            proptest::collection::vec((0u8..6, any::<bool>()), 0..5),
            0u8..3,
            proptest::collection::vec((0u8..3, 0u8..4), 1..5),
        )
            .prop_map(|(vars, model, messages)| file(vars, model, messages))
    }

    /// The rule a change's reverse must fire.
    fn reverse(rule: &str) -> &'static [&'static str] {
        match rule {
            "variable-optional-added" | "variable-required-added" => &["variable-removed"],
            "variable-removed" => &["variable-optional-added", "variable-required-added"],
            "variable-made-required" => &["variable-default-added"],
            "variable-default-added" => &["variable-made-required"],
            "message-added" => &[
                "message-removed",
                "message-role-changed",
                "template-changed",
            ],
            "message-removed" => &["message-added", "message-role-changed", "template-changed"],
            "message-reordered" => &["message-reordered"],
            "model-name-changed" => &["model-name-changed"],
            _ => &[],
        }
    }

    proptest! {
        #[test]
        fn a_prompt_compared_with_itself_has_no_changes(a in arb_file()) {
            prop_assert!(compare(&a, &a, &IndexMap::new()).is_empty());
        }

        #[test]
        fn a_change_and_its_reverse_are_consistent(a in arb_file(), b in arb_file()) {
            let forward = compare(&a, &b, &IndexMap::new());
            let backward = compare(&b, &a, &IndexMap::new());
            prop_assert_eq!(forward.is_empty(), backward.is_empty());
            for change in &forward {
                let wanted = reverse(change.rule);
                if !wanted.is_empty() {
                    prop_assert!(
                        backward.iter().any(|c| wanted.contains(&c.rule)),
                        "{} has no reverse among {:?}", change.rule, backward
                    );
                }
            }
            // Adding an optional variable is minor; removing it again is major.
            let only_optional_added = !forward.is_empty() && forward.iter().all(|c| c.rule == "variable-optional-added");
            if only_optional_added {
                prop_assert_eq!(required(&forward), Some(promptreg_core::policy::BumpLevel::Minor));
                prop_assert_eq!(required(&backward), Some(promptreg_core::policy::BumpLevel::Major));
            }
        }
    }
}

#[test]
fn a_prompt_never_released_diffs_as_new() {
    let repo = TestRepo::new();
    repo.commit("empty");
    repo.prompt("fresh", &text_prompt("0.1.0", &["0.1.0"], "Hi"));
    let out = repo.run(&["diff", "fresh", "--format", "json"]);
    out.ok();
    assert_eq!(out.json()[0]["status"], "added");
    repo.run(&["diff", "fresh"]).ok().stdout_has("new prompt");
    // A prompt that does not exist at all is an error, not "new".
    repo.run(&["diff", "nope"])
        .code(2)
        .stderr_has("no prompt named `nope`");
}
