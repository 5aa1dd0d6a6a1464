//! Running prompts in production: `promote`, `rollback` (from the lockfile's
//! history, `--to`, `--if-failing`), A/B splits and `pick`, evaluation
//! scores in Git notes (`score`, `scores`), gates, `blame --at`, and the
//! `gate-failed` rule of `check`.

mod common;
use common::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::Path;

/// A promptreg.yaml with comments, blank lines, quoting and sections that
/// `promote` must leave as they are.
const CONFIG: &str = "# The registry of the support team.
prompts_dir: prompts   # where the prompt files live

environments:
  # What customers see.
  production:
    support/triage: \"^1.0\"   # compatible updates only
    \"*\": latest

  staging:
    \"*\": latest-pre   # release candidates too
bump_policy:
  model-name-changed: major   # our evals are model-specific
";

/// Writes `name` at the last of `versions`, with a changelog entry for each.
fn release(repo: &TestRepo, name: &str, versions: &[&str]) {
    let history: Vec<&str> = versions.iter().rev().copied().collect();
    let version = history[0];
    repo.prompt(
        name,
        &text_prompt(version, &history, &format!("{name} at {version}:")),
    );
}

/// `config`, then support/triage released at each of `versions` (one commit
/// each; classify/sentiment 1.0.0 comes with the first), then `lock`,
/// committed.
fn registry_with(config: &str, versions: &[&str]) -> TestRepo {
    let repo = TestRepo::new();
    repo.write("promptreg.yaml", config);
    release(&repo, "classify/sentiment", &["1.0.0"]);
    for i in 0..versions.len() {
        release(&repo, "support/triage", &versions[..=i]);
        repo.commit(&format!("support/triage {}", versions[i]));
    }
    repo.run(&["lock"]).ok();
    repo.commit("lock");
    repo
}

fn registry() -> TestRepo {
    registry_with(CONFIG, &["1.0.0", "1.1.0", "1.2.0"])
}

fn lockfile_validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/lockfile.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

/// prompts.lock validates against its schema and is what `lock` writes.
#[track_caller]
fn assert_lockfile_sound(repo: &TestRepo) {
    let value = promptreg_core::yaml::to_json(&repo.read("prompts.lock")).unwrap();
    let errors: Vec<String> = lockfile_validator()
        .iter_errors(&value)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    repo.run(&["lock", "--locked"]).ok();
}

/// What prompts.lock pins for `name` in `env`.
fn pinned(repo: &TestRepo, env: &str, name: &str) -> Value {
    promptreg_core::yaml::to_json(&repo.read("prompts.lock")).unwrap()["environments"][env][name]
        .clone()
}

/// The trailers Git itself reads from HEAD's message.
fn trailers(repo: &TestRepo) -> String {
    repo.git(&["log", "-1", "--format=%(trailers:only,unfold)"])
}

// ---------------------------------------------------------------------------
// promote

#[test]
fn promote_changes_only_the_entry_and_relocks() {
    let repo = registry();
    assert_eq!(pinned(&repo, "production", "support/triage"), "1.2.0");

    let out = repo.run(&["promote", "support/triage@1.1.0", "--env", "production"]);
    out.ok()
        .stdout_has("promptreg.yaml:7: production: support/triage \"^1.0\" → \"=1.1.0\"")
        .stdout_has("production   downgraded  support/triage 1.2.0 → 1.1.0")
        .stdout_has("Next: review with `git diff promptreg.yaml prompts.lock`");
    // The whole file: one value changed, every other byte as it was.
    assert_eq!(
        repo.read("promptreg.yaml"),
        CONFIG.replace("\"^1.0\"   # compatible", "\"=1.1.0\"   # compatible")
    );
    assert_eq!(pinned(&repo, "production", "support/triage"), "1.1.0");
    assert_lockfile_sound(&repo);

    // An entry the environment does not have goes before its "*".
    repo.run(&["promote", "classify/sentiment@1.0.0", "--env", "staging"])
        .ok()
        .stdout_has(
            "promptreg.yaml:11: staging: classify/sentiment no entry of its own → \"=1.0.0\"",
        );
    let after_second = CONFIG
        .replace("\"^1.0\"   # compatible", "\"=1.1.0\"   # compatible")
        .replace(
            "  staging:\n",
            "  staging:\n    classify/sentiment: \"=1.0.0\"\n",
        );
    assert_eq!(repo.read("promptreg.yaml"), after_second);

    // An environment that does not exist gets a block at the end of
    // `environments:`, before the next section.
    repo.run(&["promote", "support/triage@1.2.0", "--env", "canary"])
        .ok()
        .stdout_has("canary       added       support/triage 1.2.0");
    assert_eq!(
        repo.read("promptreg.yaml"),
        after_second.replace(
            "latest-pre   # release candidates too\n",
            "latest-pre   # release candidates too\n  canary:\n    support/triage: \"=1.2.0\"\n"
        )
    );
    assert_eq!(pinned(&repo, "canary", "support/triage"), "1.2.0");
    assert_lockfile_sound(&repo);

    // Promoting what is already pinned changes nothing.
    let before = repo.files();
    repo.run(&["promote", "support/triage@1.2.0", "--env", "canary"])
        .ok()
        .stdout_has("already \"=1.2.0\" in canary")
        .stdout_has("no pinned version changes");
    assert_eq!(repo.files(), before);
}

#[test]
fn promote_commit_records_both_files_with_trailers() {
    let repo = registry();
    let out = repo.run(&[
        "promote",
        "support/triage@1.1.0",
        "--env",
        "production",
        "--commit",
        "--format",
        "json",
    ]);
    out.ok();
    let json = out.json();
    assert_eq!(json["prompt"], "support/triage");
    assert_eq!(json["version"], "1.1.0");
    assert_eq!(json["environment"], "production");
    assert_eq!(json["config"]["changed"], true);
    assert_eq!(json["config"]["line"], 7);
    assert_eq!(json["config"]["before"], "^1.0");
    assert_eq!(json["config"]["after"], "=1.1.0");
    assert_eq!(json["lockfile"]["changes"][0]["kind"], "downgraded");
    assert_eq!(json["gates"], Value::Null);
    let commit = json["commit"].as_str().unwrap();
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), commit);
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]),
        "promote support/triage 1.1.0 to production"
    );
    assert_eq!(
        trailers(&repo),
        "Prompt: support/triage\nPrompt-Version: 1.1.0\nEnvironment: production"
    );
    assert_eq!(
        repo.git(&["show", "--name-only", "--format=", "HEAD"]),
        "promptreg.yaml\nprompts.lock"
    );
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

#[test]
fn promote_refuses_what_it_cannot_do_and_writes_nothing() {
    let repo = registry();
    let before = repo.files();
    // Not released.
    repo.run(&["promote", "support/triage@1.3.0", "--env", "production"])
        .code(2)
        .stderr_has("support/triage 1.3.0 is not released")
        .stderr_has("released: 1.0.0, 1.1.0, 1.2.0");
    // Not an exact version.
    repo.run(&["promote", "support/triage@^1", "--env", "production"])
        .code(2)
        .stderr_has("promote needs an exact released version");
    // --dry-run prints the plan and writes nothing.
    repo.run(&[
        "promote",
        "support/triage@1.0.0",
        "--env",
        "production",
        "--dry-run",
    ])
    .ok()
    .stdout_has("dry run: nothing written")
    .stdout_has("downgraded  support/triage 1.2.0 → 1.0.0");
    // Other staged changes and --commit.
    repo.write("notes.txt", "x");
    repo.git(&["add", "notes.txt"]);
    repo.run(&[
        "promote",
        "support/triage@1.0.0",
        "--env",
        "production",
        "--commit",
    ])
    .code(2)
    .stderr_has("other changes are staged (notes.txt)");
    repo.git(&["rm", "-q", "--cached", "notes.txt"]);
    repo.remove("notes.txt");
    assert_eq!(repo.files(), before);

    // A flow-style environment map cannot be edited without rewriting it.
    let flow = "prompts_dir: prompts\nenvironments:\n  production: { \"*\": latest }   # all\n";
    repo.write("promptreg.yaml", flow);
    repo.run(&["promote", "support/triage@1.1.0", "--env", "production"])
        .code(2)
        .stderr_has("environment `production` in promptreg.yaml is written in flow style")
        .stderr_has("hint: rewrite it one entry per line");
    assert_eq!(repo.read("promptreg.yaml"), flow);
}

#[test]
fn promote_without_environments_keeps_the_implicit_default() {
    let repo = registry_with("prompts_dir: prompts\n", &["1.0.0", "1.1.0"]);
    assert_eq!(pinned(&repo, "default", "support/triage"), "1.1.0");
    repo.run(&["promote", "support/triage@1.0.0", "--env", "production"])
        .ok();
    assert_eq!(
        repo.read("promptreg.yaml"),
        "prompts_dir: prompts\nenvironments:\n  default:\n    \"*\": latest\n  production:\n    support/triage: \"=1.0.0\"\n"
    );
    // `default` deploys what it did; production is new.
    assert_eq!(pinned(&repo, "default", "support/triage"), "1.1.0");
    assert_eq!(pinned(&repo, "default", "classify/sentiment"), "1.0.0");
    assert_eq!(pinned(&repo, "production", "support/triage"), "1.0.0");
    assert_lockfile_sound(&repo);
}

// ---------------------------------------------------------------------------
// rollback

#[test]
fn rollback_finds_the_previous_pin_in_the_lockfile_history() {
    let repo = registry_with(CONFIG, &["1.0.0", "1.1.0", "1.2.0", "1.3.0"]);
    // production: 1.3.0 (lock) ← 1.1.0 ← 1.2.0, each committed.
    for v in ["1.1.0", "1.2.0"] {
        repo.run(&[
            "promote",
            &format!("support/triage@{v}"),
            "--env",
            "production",
            "--commit",
        ])
        .ok();
    }
    // A commit that does not touch the lockfile is skipped over.
    repo.write("README.md", "docs\n");
    repo.commit("docs");
    let promoted_11 = repo.git(&["rev-parse", "HEAD~2"]);

    let out = repo.run(&[
        "rollback",
        "support/triage",
        "--env",
        "production",
        "--commit",
    ]);
    out.ok()
        .stdout_has("rollback support/triage in production: 1.2.0 → 1.1.0")
        .stdout_has("downgraded  support/triage 1.2.0 → 1.1.0")
        .stderr_has(&format!(
            "before 1.2.0, production pinned support/triage 1.1.0 (prompts.lock in {}",
            &promoted_11[..7]
        ));
    assert_eq!(pinned(&repo, "production", "support/triage"), "1.1.0");
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]),
        "rollback support/triage in production: 1.2.0 → 1.1.0"
    );
    assert_eq!(
        trailers(&repo),
        "Prompt: support/triage\nPrompt-Version: 1.1.0\nEnvironment: production"
    );
    assert!(repo
        .read("promptreg.yaml")
        .contains("    support/triage: \"=1.1.0\"   # compatible updates only\n"));
    assert_lockfile_sound(&repo);

    // The pin before the current one is the one the rollback replaced.
    let out = repo.run(&[
        "rollback",
        "support/triage",
        "--env",
        "production",
        "--dry-run",
        "--format",
        "json",
    ]);
    out.ok();
    assert_eq!(out.json()["from"], "1.1.0");
    assert_eq!(out.json()["to"], "1.2.0");
    assert_eq!(out.json()["action"], "rolled-back");

    // --to any released version.
    repo.run(&[
        "rollback",
        "support/triage",
        "--env",
        "production",
        "--to",
        "1.0.0",
    ])
    .ok()
    .stdout_has("rollback support/triage in production: 1.1.0 → 1.0.0");
    assert_eq!(pinned(&repo, "production", "support/triage"), "1.0.0");
    repo.run(&[
        "rollback",
        "support/triage",
        "--env",
        "production",
        "--to",
        "1.0.0",
    ])
    .code(2)
    .stderr_has("production already pins support/triage 1.0.0");
    repo.run(&[
        "rollback",
        "support/triage",
        "--env",
        "production",
        "--to",
        "0.9.0",
    ])
    .code(2)
    .stderr_has("support/triage 0.9.0 is not released");
}

#[test]
fn rollback_refuses_when_there_is_no_earlier_version() {
    let repo = registry();
    let before = repo.files();
    // classify/sentiment was only ever pinned at 1.0.0.
    repo.run(&["rollback", "classify/sentiment", "--env", "production"])
        .code(2)
        .stderr_has("production pinned no other version of classify/sentiment before 1.0.0")
        .stderr_has("hint: pass --to VERSION");
    repo.run(&["rollback", "support/triage", "--env", "nowhere"])
        .code(2)
        .stderr_has("prompts.lock has no environment `nowhere`");
    assert_eq!(repo.files(), before);
    // Without a lockfile there is nothing to roll back.
    repo.remove("prompts.lock");
    repo.run(&["rollback", "support/triage", "--env", "production"])
        .code(2)
        .stderr_has("prompts.lock does not exist: nothing is pinned");
}

// ---------------------------------------------------------------------------
// A/B splits and pick

const SPLIT_CONFIG: &str = "prompts_dir: prompts
environments:
  production:
    \"*\": latest
  canary:
    support/triage:
      split: { \"=1.2.0\": 50, \"=1.0.0\": 20, \"~1.1\": 30 }
";

#[test]
fn splits_resolve_every_arm_and_lock_with_weights() {
    let repo = registry_with(SPLIT_CONFIG, &["1.0.0", "1.1.0", "1.2.0"]);
    // Every arm is pinned, sorted by version, with its weight.
    assert_eq!(
        pinned(&repo, "canary", "support/triage"),
        serde_json::json!({"split": [
            {"version": "1.0.0", "weight": 20},
            {"version": "1.1.0", "weight": 30},
            {"version": "1.2.0", "weight": 50},
        ]})
    );
    assert!(repo.read("prompts.lock").contains(
        "  canary:\n    support/triage:\n      split:\n        - version: 1.0.0\n          weight: 20\n        - version: 1.1.0\n          weight: 30\n        - version: 1.2.0\n          weight: 50\n"
    ));
    assert_lockfile_sound(&repo);
    repo.run(&["verify"]).ok();
    // A pin without a split: pick prints it.
    repo.run(&[
        "pick",
        "support/triage",
        "--env",
        "production",
        "--key",
        "u1",
    ])
    .ok();
    assert_eq!(
        repo.run(&[
            "pick",
            "support/triage",
            "--env",
            "production",
            "--key",
            "u1"
        ])
        .stdout,
        "1.2.0\n"
    );
    // The schema refuses a split arm without a weight.
    let mut value = promptreg_core::yaml::to_json(&repo.read("prompts.lock")).unwrap();
    value["environments"]["canary"]["support/triage"]["split"][0]
        .as_object_mut()
        .unwrap()
        .remove("weight");
    assert!(!lockfile_validator().is_valid(&value));

    // Splits that do not add up, or name nothing released, are errors
    // naming the line.
    for (split, message) in [
        (
            "{ \"=1.2.0\": 80, \"=1.0.0\": 10 }",
            "promptreg.yaml:6:5: error[split-weights]: environment `canary`, `support/triage`: split weights sum to 90, not 100",
        ),
        (
            "{ \"=1.2.0\": 50, \"banana\": 50 }",
            "promptreg.yaml:6:5: error[environment-requirement]: environment `canary`, `support/triage`: `banana` is not a SemVer requirement",
        ),
        (
            "{ \"=1.2.0\": -50, \"=1.0.0\": 150 }",
            "promptreg.yaml:7",
        ),
    ] {
        repo.write(
            "promptreg.yaml",
            SPLIT_CONFIG.replace("{ \"=1.2.0\": 50, \"=1.0.0\": 20, \"~1.1\": 30 }", split),
        );
        repo.run(&["lock"]).code(2).stderr_has(message);
        repo.run(&["validate"]).code(1).stdout_has(message);
    }
    repo.write(
        "promptreg.yaml",
        SPLIT_CONFIG.replace("\"~1.1\": 30", "\"^2\": 30"),
    );
    repo.run(&["lock"])
        .code(2)
        .stderr_has("promptreg.yaml:6:5: environment `canary`, support/triage: no released version satisfies split arm `^2` (released: 1.0.0, 1.1.0, 1.2.0)");
}

/// The README's algorithm, written again from its text: SHA-256 of
/// "NAME\nENV\nKEY", first 8 bytes big-endian, modulo 10,000; arms by
/// version ascending take weight × 100 buckets each.
fn documented_pick(name: &str, env: &str, key: &str, arms: &[(semver::Version, u32)]) -> String {
    let digest = Sha256::digest(format!("{name}\n{env}\n{key}").as_bytes());
    let bucket = u64::from_be_bytes(digest[..8].try_into().unwrap()) % 10_000;
    let mut arms = arms.to_vec();
    arms.sort();
    let mut end = 0;
    for (version, weight) in &arms {
        end += u64::from(*weight) * 100;
        if bucket < end {
            return version.to_string();
        }
    }
    panic!("bucket {bucket} outside the split");
}

#[test]
fn pick_follows_the_documented_algorithm() {
    let repo = registry_with(SPLIT_CONFIG, &["1.0.0", "1.1.0", "1.2.0"]);
    let v = |s: &str| semver::Version::parse(s).unwrap();
    let arms = [(v("1.2.0"), 50), (v("1.0.0"), 20), (v("1.1.0"), 30)];

    // 1,000 keys through the command (one process; --key repeats).
    let keys: Vec<String> = (0..1000).map(|i| format!("user-{i}")).collect();
    let mut args = vec![
        "pick",
        "support/triage",
        "--env",
        "canary",
        "--format",
        "json",
    ];
    for k in &keys {
        args.extend(["--key", k.as_str()]);
    }
    let out = repo.run(&args);
    out.ok();
    let json = out.json();
    assert_eq!(json["split"], true);
    let assignments = json["assignments"].as_array().unwrap();
    assert_eq!(assignments.len(), 1000);
    for (key, got) in keys.iter().zip(assignments) {
        assert_eq!(got["key"], key.as_str());
        assert_eq!(
            got["version"],
            documented_pick("support/triage", "canary", key, &arms),
            "{key}"
        );
    }
    // One key at a time prints the version alone.
    for key in ["user-1", "session 2", "ünïcode", "42"] {
        let out = repo.run(&["pick", "support/triage", "--env", "canary", "--key", key]);
        out.ok();
        assert_eq!(
            out.stdout,
            format!(
                "{}\n",
                documented_pick("support/triage", "canary", key, &arms)
            )
        );
    }

    // 100,000 keys in-process: the library agrees with the documented
    // algorithm and the shares are within 2 points of the weights.
    let lock = promptreg::lockfile::parse(repo.read("prompts.lock").as_bytes()).unwrap();
    let pin = &lock.environments["canary"]["support/triage"];
    let mut counts = std::collections::BTreeMap::new();
    for i in 0..100_000 {
        let key = format!("session-{i}");
        let got = promptreg_core::split::assign(pin, "support/triage", "canary", &key).unwrap();
        if i % 10 == 0 {
            assert_eq!(
                got.version,
                documented_pick("support/triage", "canary", &key, &arms)
            );
        }
        *counts.entry(got.version).or_insert(0u32) += 1;
    }
    for (version, weight) in [("1.0.0", 20.0), ("1.1.0", 30.0), ("1.2.0", 50.0)] {
        let share = f64::from(counts[version]) / 1000.0;
        assert!(
            (share - weight).abs() <= 2.0,
            "{version}: {share}% of keys, weight {weight}%"
        );
    }

    repo.run(&["pick", "support/triage", "--env", "nowhere", "--key", "k"])
        .code(2)
        .stderr_has("prompts.lock has no environment `nowhere`")
        .stderr_has("hint: environments in prompts.lock: canary, production");
    repo.run(&["pick", "support/triage", "--env", "canary", "--key", ""])
        .code(2)
        .stderr_has("--key is empty");
}

// ---------------------------------------------------------------------------
// Scores in Git notes

#[test]
fn scores_are_json_lines_in_a_git_note_on_the_release_commit() {
    let repo = TestRepo::new();
    // Two prompts released by one commit share its note.
    release(&repo, "a", &["1.0.0"]);
    release(&repo, "b", &["1.0.0"]);
    let both = repo.commit("release a and b");

    repo.run(&[
        "score",
        "a@1.0.0",
        "--metric",
        "accuracy=0.8",
        "--samples",
        "200",
        "--source",
        "evals/nightly",
    ])
    .ok()
    .stdout_has(&format!(
        "recorded 1 score of a 1.0.0 on its release commit {} (refs/notes/promptreg)",
        &both[..7]
    ))
    .stdout_has("git push origin refs/notes/promptreg");
    repo.run(&["score", "b@1.0.0", "--metric", "accuracy=0.7"])
        .ok();
    let out = repo.run(&[
        "score",
        "a@latest",
        "--metric",
        "accuracy=0.85",
        "--metric",
        "f1=0.5",
        "--format",
        "json",
    ]);
    out.ok();
    assert_eq!(out.json()["commit"], both.as_str());
    assert_eq!(out.json()["records"].as_array().unwrap().len(), 2);

    // The real git CLI prints the records, oldest first, one per line.
    let note = repo.git(&["notes", "--ref", "promptreg", "show", &both]);
    let records: Vec<Value> = note
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary: Vec<(String, String, String, f64)> = records
        .iter()
        .map(|r| {
            (
                r["prompt"].as_str().unwrap().to_string(),
                r["version"].as_str().unwrap().to_string(),
                r["metric"].as_str().unwrap().to_string(),
                r["value"].as_f64().unwrap(),
            )
        })
        .collect();
    let row = |p: &str, m: &str, v: f64| (p.to_string(), "1.0.0".to_string(), m.to_string(), v);
    assert_eq!(
        summary,
        vec![
            row("a", "accuracy", 0.8),
            row("b", "accuracy", 0.7),
            row("a", "accuracy", 0.85),
            row("a", "f1", 0.5),
        ]
    );
    let keys: Vec<&String> = records[0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "prompt",
            "version",
            "metric",
            "value",
            "samples",
            "source",
            "author",
            "timestamp"
        ]
    );
    assert_eq!(records[0]["samples"], 200);
    assert_eq!(records[0]["source"], "evals/nightly");
    assert_eq!(records[1]["samples"], Value::Null);
    assert_eq!(records[0]["author"], AUTHOR);
    assert!(promptreg_core::date::is_utc_rfc3339(
        records[0]["timestamp"].as_str().unwrap()
    ));

    // A new version compares with the previous one that has the metric.
    release(&repo, "a", &["1.0.0", "1.1.0"]);
    let second = repo.commit("a 1.1.0");
    repo.run(&["score", "a@1.1.0", "--metric", "accuracy=0.9"])
        .ok();
    assert_eq!(
        repo.git(&["notes", "--ref", "promptreg", "show", &second])
            .lines()
            .count(),
        1
    );
    let out = repo.run(&["scores", "a", "--format", "json"]);
    out.ok();
    let json = out.json();
    assert_eq!(json["metrics"], serde_json::json!(["accuracy", "f1"]));
    let newest = &json["versions"][0];
    assert_eq!(newest["version"], "1.1.0");
    assert_eq!(newest["commit"], second.as_str());
    assert_eq!(newest["scores"]["accuracy"]["value"], 0.9);
    assert_eq!(newest["scores"]["accuracy"]["previous_version"], "1.0.0");
    assert_eq!(newest["scores"]["accuracy"]["change"], 0.05);
    assert_eq!(newest["scores"].get("f1"), None);
    let oldest = &json["versions"][1];
    assert_eq!(oldest["scores"]["accuracy"]["value"], 0.85);
    assert_eq!(oldest["scores"]["accuracy"]["samples"], Value::Null);
    assert_eq!(oldest["scores"]["accuracy"]["change"], Value::Null);
    assert_eq!(oldest["scores"]["f1"]["value"], 0.5);
    let table = repo.run(&["scores", "a"]);
    table
        .ok()
        .stdout_has("0.9 (+0.05)")
        .stdout_has("0.85")
        .stdout_has("—");
    let b = repo.run(&["scores", "b", "--format", "json"]);
    assert_eq!(b.json()["versions"][0]["scores"]["accuracy"]["value"], 0.7);

    // Refusals.
    repo.run(&["score", "a", "--metric", "accuracy=1"])
        .code(2)
        .stderr_has("scores belong to a released version");
    repo.run(&["score", "a@2.0.0", "--metric", "accuracy=1"])
        .code(2)
        .stderr_has("a@2.0.0 names no released version; released: 1.0.0, 1.1.0");
    repo.run(&["score", "a@1.0.0", "--metric", "accuracy=high"])
        .code(2)
        .stderr_has("`high` (metric accuracy) is not a number");
    repo.run(&["score", "a@1.0.0", "--metric", "x=1", "--metric", "x=2"])
        .code(2)
        .stderr_has("metric `x` is given twice");
}

/// The records of the note on `commit`, as JSON.
fn note_records(repo: &TestRepo, commit: &str) -> Vec<Value> {
    repo.git(&["notes", "--ref", "promptreg", "show", commit])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The commit refs/notes/promptreg points at, or `None`.
fn notes_head(repo: &TestRepo) -> Option<String> {
    let out = std::process::Command::new("git")
        .current_dir(repo.path())
        .args(["rev-parse", "--verify", "-q", "refs/notes/promptreg"])
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[test]
fn score_from_aggregates_outcome_records_per_version_and_metric() {
    let repo = TestRepo::new();
    // a 1.0.0 and b 1.0.0 share a release commit (and so a note).
    release(&repo, "a", &["1.0.0"]);
    release(&repo, "b", &["1.0.0"]);
    let both = repo.commit("release a and b");
    release(&repo, "a", &["1.0.0", "1.1.0"]);
    let second = repo.commit("a 1.1.0");
    // Extra keys (what a runtime logs) are ignored, blank lines skipped,
    // key order is free, CRLF line endings are fine.
    repo.write(
        "logs/outcomes.jsonl",
        [
            r#"{"prompt":"a","version":"1.0.0","metric":"thumbs_up","value":1,"sha256":"abc","commit":"def","environment":"production","timestamp":"2026-06-01T10:00:00Z","key":"u1"}"#,
            r#"{"value":0,"metric":"thumbs_up","version":"1.0.0","prompt":"a"}"#,
            "",
            r#"{"prompt":"a","version":"1.0.0","metric":"thumbs_up","value":0.5}"#,
            "   ",
            r#"{"prompt":"a","version":"1.0.0","metric":"latency_ms","value":800}"#,
            r#"{"prompt":"a","version":"1.0.0","metric":"latency_ms","value":1000.5}"#,
            r#"{"prompt":"a","version":"1.1.0","metric":"thumbs_up","value":1}"#,
            "{\"prompt\":\"b\",\"version\":\"1.0.0\",\"metric\":\"thumbs_up\",\"value\":-2.5}\r",
        ]
        .join("\n")
            + "\n",
    );
    let before = repo.files();
    let run = repo.run(&["score", "--from", "logs/outcomes.jsonl"]);
    run.ok()
        .stdout_has("recorded 4 scores of 3 versions from 7 outcome records in logs/outcomes.jsonl (refs/notes/promptreg)\n")
        .stdout_has(&format!("  a 1.0.0 on its release commit {}\n    latency_ms 900.25 (2 samples)\n    thumbs_up 0.5 (3 samples)\n", &both[..7]))
        .stdout_has(&format!("  a 1.1.0 on its release commit {}\n    thumbs_up 1 (1 sample)\n", &second[..7]))
        .stdout_has("  b 1.0.0 on its release commit ")
        .stdout_has("git push origin refs/notes/promptreg");
    // Nothing in the working tree changes: scores live in Git notes.
    assert_eq!(repo.files(), before);

    // One record per (prompt, version, metric), written as `--metric` writes
    // them: mean value, number of lines as samples, the file's name as source.
    let brief = |r: &Value| {
        (
            r["prompt"].as_str().unwrap().to_string(),
            r["version"].as_str().unwrap().to_string(),
            r["metric"].as_str().unwrap().to_string(),
            r["value"].as_f64().unwrap(),
            r["samples"].as_u64().unwrap(),
        )
    };
    let row = |p: &str, v: &str, m: &str, value: f64, n: u64| {
        (p.to_string(), v.to_string(), m.to_string(), value, n)
    };
    let first = note_records(&repo, &both);
    assert_eq!(
        first.iter().map(brief).collect::<Vec<_>>(),
        vec![
            row("a", "1.0.0", "latency_ms", 900.25, 2),
            row("a", "1.0.0", "thumbs_up", 0.5, 3),
            row("b", "1.0.0", "thumbs_up", -2.5, 1),
        ]
    );
    assert_eq!(
        note_records(&repo, &second)
            .iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![row("a", "1.1.0", "thumbs_up", 1.0, 1)]
    );
    for r in &first {
        assert_eq!(r["source"], "outcomes.jsonl");
        assert_eq!(r["author"], AUTHOR);
        assert!(promptreg_core::date::is_utc_rfc3339(
            r["timestamp"].as_str().unwrap()
        ));
        assert_eq!(
            r.as_object().unwrap().keys().collect::<Vec<_>>(),
            [
                "prompt",
                "version",
                "metric",
                "value",
                "samples",
                "source",
                "author",
                "timestamp"
            ]
        );
    }
    // `scores` reads them like any other record.
    let table = repo.run(&["scores", "a", "--format", "json"]);
    table.ok();
    assert_eq!(
        table.json()["versions"][1]["scores"]["thumbs_up"]["samples"],
        3
    );
    assert_eq!(
        table.json()["versions"][0]["scores"]["thumbs_up"]["change"],
        0.5
    );

    // A second run appends, with --source, and prints JSON.
    repo.write(
        "more.jsonl",
        "{\"prompt\":\"a\",\"version\":\"1.1.0\",\"metric\":\"thumbs_up\",\"value\":0.25}\n",
    );
    let json = repo.run(&[
        "score",
        "--from",
        "more.jsonl",
        "--source",
        "prod/2026-06-01",
        "--format",
        "json",
    ]);
    json.ok();
    let report = json.json();
    assert_eq!(report["from"], "more.jsonl");
    assert_eq!(report["notes_ref"], "refs/notes/promptreg");
    assert_eq!(report["outcomes"], 1);
    assert_eq!(report["versions"].as_array().unwrap().len(), 1);
    assert_eq!(report["versions"][0]["prompt"], "a");
    assert_eq!(report["versions"][0]["version"], "1.1.0");
    assert_eq!(report["versions"][0]["commit"], second.as_str());
    let note = note_records(&repo, &second);
    assert_eq!(note.len(), 2);
    assert_eq!(
        report["versions"][0]["records"],
        serde_json::json!([note[1].clone()])
    );
    assert_eq!(note[1]["source"], "prod/2026-06-01");
    assert_eq!(note[1]["value"], 0.25);
    assert_eq!(note[1]["samples"], 1);
}

#[test]
fn score_from_refuses_a_file_with_any_bad_line_and_records_nothing() {
    let repo = TestRepo::new();
    release(&repo, "a", &["1.0.0"]);
    let commit = repo.commit("a 1.0.0");
    repo.run(&["score", "a@1.0.0", "--metric", "accuracy=0.9"])
        .ok();
    let note = repo.git(&["notes", "--ref", "promptreg", "show", &commit]);
    let head = notes_head(&repo);
    assert!(head.is_some());
    let good = r#"{"prompt":"a","version":"1.0.0","metric":"accuracy","value":1}"#;
    repo.write(
        "bad.jsonl",
        [
            good,
            r#"{"prompt":"a","version":"1.0.0","metric":"accuracy","value":"high"}"#,
            "",
            "not json",
            r#"{"prompt":"a","version":"1.0.0","metric":"bad metric","value":1}"#,
            r#"{"prompt":"a","metric":"accuracy","value":1}"#,
            "[1, 2]",
            r#"{"prompt":"A/B","version":"1.0","metric":"accuracy","value":1}"#,
            good,
        ]
        .join("\n"),
    );
    let run = repo.run(&["score", "--from", "bad.jsonl"]);
    run.code(2)
        .stderr_has(
            "error: cannot record scores from bad.jsonl: 6 bad lines, so nothing was recorded:\n",
        )
        .stderr_has("\n  bad.jsonl:2: value is not a number\n")
        .stderr_has("\n  bad.jsonl:4: not JSON: ")
        .stderr_has("\n  bad.jsonl:5: metric `bad metric` is not a metric name")
        .stderr_has("\n  bad.jsonl:6: version is missing\n")
        .stderr_has("\n  bad.jsonl:7: not a JSON object\n")
        .stderr_has("\n  bad.jsonl:8: prompt: invalid prompt name `A/B`")
        .stderr_has("version `1.0` is not a SemVer version")
        .stderr_has("hint: fix or remove those lines and run again");
    assert!(!run.stderr.contains("bad.jsonl:1:"), "{}", run.stderr);
    assert!(!run.stderr.contains("bad.jsonl:9:"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    // Not one record of the good lines was written.
    assert_eq!(notes_head(&repo), head);
    assert_eq!(
        repo.git(&["notes", "--ref", "promptreg", "show", &commit]),
        note
    );

    // A version, or a prompt, that was never released: the line says so.
    repo.write(
        "unreleased.jsonl",
        [
            good,
            r#"{"prompt":"a","version":"2.0.0","metric":"accuracy","value":1}"#,
            r#"{"prompt":"a","version":"2.0.0","metric":"f1","value":1}"#,
            r#"{"prompt":"ghost","version":"1.0.0","metric":"accuracy","value":1}"#,
        ]
        .join("\n"),
    );
    repo.run(&["score", "--from", "unreleased.jsonl"])
        .code(2)
        .stderr_has("cannot record scores from unreleased.jsonl: 2 bad lines, so nothing was recorded:\n  unreleased.jsonl:2: a 2.0.0 is not a released version; released: 1.0.0\n  unreleased.jsonl:4: ghost has no released version on the mainline (HEAD)\n");
    assert_eq!(notes_head(&repo), head);

    // No records at all, no file, and arguments that do not go together.
    repo.write("empty.jsonl", "\n\n");
    repo.run(&["score", "--from", "empty.jsonl"])
        .code(2)
        .stderr_has("empty.jsonl has no outcome records: nothing to record");
    repo.run(&["score", "--from", "missing.jsonl"])
        .code(2)
        .stderr_has("cannot read missing.jsonl")
        .stderr_has("hint: ");
    repo.write("good.jsonl", good);
    for args in [
        &["score", "a@1.0.0", "--from", "good.jsonl"][..],
        &["score", "--from", "good.jsonl", "--metric", "accuracy=1"],
        &["score", "--from", "good.jsonl", "--samples", "3"],
    ] {
        repo.run(args).code(2).stderr_has("cannot be used with");
    }
    repo.run(&["score"])
        .code(2)
        .stderr_has("<PROMPT|--from <FILE.jsonl>>");
    assert_eq!(notes_head(&repo), head);
    // The good file alone records.
    repo.run(&["score", "--from", "good.jsonl"])
        .ok()
        .stdout_has("recorded 1 score of 1 version from 1 outcome record in good.jsonl");
    assert_eq!(note_records(&repo, &commit).len(), 2);
}

// ---------------------------------------------------------------------------
// Gates

const GATED_CONFIG: &str = "prompts_dir: prompts
environments:
  production:
    support/triage: \"=1.0.0\"
    \"*\": latest
  staging:
    \"*\": latest
gates:
  production:
    accuracy: \">= 0.85\"
";

#[test]
fn gates_refuse_a_promotion_unless_forced() {
    let repo = registry_with(GATED_CONFIG, &["1.0.0", "1.1.0"]);
    let before = repo.files();
    repo.run(&["promote", "support/triage@1.1.0", "--env", "production"])
        .code(2)
        .stderr_has("support/triage 1.1.0 fails the gates of `production`: accuracy: no score (needs >= 0.85)")
        .stderr_has("pass --force");
    repo.run(&["score", "support/triage@1.1.0", "--metric", "accuracy=0.8"])
        .ok();
    repo.run(&["promote", "support/triage@1.1.0", "--env", "production"])
        .code(2)
        .stderr_has("fails the gates of `production`: accuracy 0.8 misses >= 0.85");
    assert_eq!(repo.files(), before);
    // Environments without gates take anything released.
    repo.run(&["promote", "support/triage@1.1.0", "--env", "staging"])
        .ok();
    repo.git(&["checkout", "-q", "--", "."]);

    // --force promotes, and the commit says who overrode the gate.
    let out = repo.run(&[
        "promote",
        "support/triage@1.1.0",
        "--env",
        "production",
        "--force",
        "--commit",
        "--format",
        "json",
    ]);
    out.ok();
    assert_eq!(out.json()["forced"], true);
    assert_eq!(out.json()["gates"]["passed"], false);
    assert_eq!(out.json()["gates"]["checks"][0]["value"], 0.8);
    assert_eq!(pinned(&repo, "production", "support/triage"), "1.1.0");
    assert_eq!(
        trailers(&repo),
        format!(
            "Prompt: support/triage\nPrompt-Version: 1.1.0\nEnvironment: production\nGate-Override: forced by {AUTHOR}"
        )
    );

    // A passing score lets it through without --force (the latest record counts).
    repo.run(&["score", "support/triage@1.0.0", "--metric", "accuracy=0.6"])
        .ok();
    repo.run(&["score", "support/triage@1.0.0", "--metric", "accuracy=0.9"])
        .ok();
    repo.run(&["promote", "support/triage@1.0.0", "--env", "production"])
        .ok()
        .stdout_has("gates of production: passed (accuracy 0.9 meets >= 0.85)");
}

#[test]
fn gates_are_validated_with_their_line() {
    let repo = TestRepo::new();
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nenvironments:\n  production:\n    \"*\": latest\ngates:\n  prodution:\n    accuracy: \">= 0.85\"\n  production:\n    accuracy: \"=> 0.85\"\n    \"bad metric\": \"< 1\"\n",
    );
    let out = repo.run(&["validate", "--format", "json"]);
    out.code(1);
    let found: Vec<(String, Value)> = out.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_string(), f["line"].clone()))
        .collect();
    assert_eq!(
        found,
        vec![
            ("gate-environment".to_string(), Value::from(6)),
            ("gate-threshold".to_string(), Value::from(9)),
            ("gate-metric".to_string(), Value::from(10)),
        ]
    );
    repo.run(&["validate"])
        .code(1)
        .stdout_has("gates name environment `prodution`, which `environments:` does not declare (did you mean `production`?)")
        .stdout_has("`=> 0.85` is not a condition");
    // The schema refuses the same conditions.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/config.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let config = |cond: &str| serde_json::json!({"environments": {"production": {"*": "latest"}}, "gates": {"production": {"accuracy": cond}}});
    for good in [">= 0.85", "<1200", "== 1", "> -2.5e3", "<= .5"] {
        assert!(validator.is_valid(&config(good)), "{good}");
        assert!(
            promptreg::production::gates::Threshold::parse(good).is_ok(),
            "{good}"
        );
    }
    for bad in ["=> 0.85", "= 1", "!= 1", "0.85", ">= x"] {
        assert!(!validator.is_valid(&config(bad)), "{bad}");
        assert!(
            promptreg::production::gates::Threshold::parse(bad).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn rollback_if_failing_pins_the_newest_passing_version() {
    // Pinned at 1.0.0, then given `latest` once the scores are in: `lock`
    // only pins into a gated environment what passes its gates.
    let repo = registry_with(GATED_CONFIG, &["1.0.0", "1.1.0", "1.2.0", "1.3.0"]);
    for (version, accuracy) in [
        ("1.0.0", "0.9"),
        ("1.1.0", "0.88"),
        ("1.2.0", "0.7"),
        ("1.3.0", "0.95"),
    ] {
        repo.run(&[
            "score",
            &format!("support/triage@{version}"),
            "--metric",
            &format!("accuracy={accuracy}"),
        ])
        .ok();
    }
    repo.write(
        "promptreg.yaml",
        GATED_CONFIG.replace("support/triage: \"=1.0.0\"", "support/triage: latest"),
    );
    repo.run(&["lock"]).ok();
    repo.commit("latest");
    let before = repo.files();
    repo.run(&["rollback", "support/triage", "--env", "production", "--if-failing"])
        .ok()
        .stdout_has("support/triage 1.3.0 passes the gates of production (accuracy 0.95 meets >= 0.85): nothing to do");
    assert_eq!(repo.files(), before);

    // 1.3.0 degrades: the newest earlier version that passes is 1.1.0
    // (1.2.0 fails too).
    repo.run(&["score", "support/triage@1.3.0", "--metric", "accuracy=0.6"])
        .ok();
    let out = repo.run(&[
        "rollback",
        "support/triage",
        "--env",
        "production",
        "--if-failing",
        "--commit",
        "--format",
        "json",
    ]);
    out.ok()
        .stderr_has("support/triage 1.3.0 fails the gates of production: accuracy 0.6 misses >= 0.85\n  1.2.0 fails: accuracy 0.7 misses >= 0.85\n  1.1.0 passes: accuracy 0.88 meets >= 0.85\n");
    let json = out.json();
    assert_eq!(json["action"], "rolled-back");
    assert_eq!(json["from"], "1.3.0");
    assert_eq!(json["to"], "1.1.0");
    assert_eq!(json["gates"][0]["passed"], false);
    let tried: Vec<&str> = json["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["version"].as_str().unwrap())
        .collect();
    assert_eq!(tried, ["1.2.0", "1.1.0"]);
    assert_eq!(pinned(&repo, "production", "support/triage"), "1.1.0");
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]),
        "rollback support/triage in production: 1.3.0 → 1.1.0"
    );
    assert!(repo
        .read("promptreg.yaml")
        .contains("    support/triage: \"=1.1.0\"\n"));
    assert_lockfile_sound(&repo);

    // Nothing earlier passes: exit 1, nothing changed.
    repo.run(&["score", "support/triage@1.1.0", "--metric", "accuracy=0.5"])
        .ok();
    repo.run(&["score", "support/triage@1.0.0", "--metric", "accuracy=0.5"])
        .ok();
    let before = repo.files();
    repo.run(&["rollback", "support/triage", "--env", "production", "--if-failing"])
        .code(1)
        .stderr_has("support/triage 1.1.0 fails the gates of production (accuracy 0.5 misses >= 0.85) and no earlier version passes (1.0.0: accuracy 0.5 misses >= 0.85)");
    assert_eq!(repo.files(), before);

    // An environment without gates has nothing to check.
    repo.run(&[
        "rollback",
        "support/triage",
        "--env",
        "staging",
        "--if-failing",
    ])
    .code(2)
    .stderr_has("environment `staging` has no gates");
}

#[test]
fn check_reports_a_lockfile_pinning_a_version_that_fails_its_gate() {
    let repo = registry_with(GATED_CONFIG, &["1.0.0", "1.1.0"]);
    repo.run(&["score", "support/triage@1.0.0", "--metric", "accuracy=0.7"])
        .ok();
    repo.run(&[
        "score",
        "classify/sentiment@1.0.0",
        "--metric",
        "accuracy=0.99",
    ])
    .ok();
    // A newly passing prompt under `"*"` joins the gated environment.
    repo.run(&["lock"]).ok();
    repo.commit("lock");
    let out = repo.run(&["check", "--format", "json"]);
    out.code(1);
    let findings = out.json()["findings"].as_array().unwrap().clone();
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert_eq!(f["rule"], "gate-failed");
    assert_eq!(f["prompt"], "support/triage");
    assert_eq!(f["file"], "prompts.lock");
    let line = f["line"].as_u64().unwrap() as usize;
    assert_eq!(
        repo.read("prompts.lock").lines().nth(line - 1),
        Some("    support/triage: 1.0.0")
    );
    assert_eq!(
        f["message"],
        "environment `production` pins support/triage 1.0.0, which fails its gates: accuracy 0.7 misses >= 0.85"
    );
    // --no-lock skips the lockfile's rules; a passing score clears it.
    repo.run(&["check", "--no-lock"]).ok();
    repo.run(&["check", "--format", "github"])
        .code(1)
        .stdout_has("::error file=prompts.lock,line=");
    repo.run(&["score", "support/triage@1.0.0", "--metric", "accuracy=0.86"])
        .ok();
    repo.run(&["check"]).ok();
}

// ---------------------------------------------------------------------------
// blame --at

fn rfc3339(t: u64) -> String {
    promptreg_core::date::rfc3339(t as i64)
}

#[test]
fn blame_at_names_the_pins_in_force_and_who_set_them() {
    let repo = TestRepo::new();
    repo.write("promptreg.yaml", CONFIG);
    release(&repo, "classify/sentiment", &["1.0.0"]);
    release(&repo, "support/triage", &["1.0.0"]);
    let t0 = repo.next_commit_time();
    repo.commit("release 1.0.0");
    release(&repo, "support/triage", &["1.0.0", "1.1.0"]);
    repo.commit("release 1.1.0");
    // Lockfile commits, one minute apart, by different people.
    repo.run(&["promote", "support/triage@1.0.0", "--env", "production"])
        .ok();
    let t1 = repo.next_commit_time();
    let c1 = repo.commit_as("pin 1.0.0", "Ada Lovelace", "ada@example.com");
    repo.run(&["promote", "support/triage@1.1.0", "--env", "production"])
        .ok();
    let t2 = repo.next_commit_time();
    let c2 = repo.commit_as("promote 1.1.0", "Grace Hopper", "grace@example.com");
    repo.run(&["promote", "classify/sentiment@1.0.0", "--env", "canary"])
        .ok();
    let t3 = repo.next_commit_time();
    let c3 = repo.commit_as("canary", "Alan Turing", "alan@example.com");
    repo.write("README.md", "docs\n");
    repo.commit("docs, no lockfile change");
    repo.run(&["rollback", "support/triage", "--env", "production"])
        .ok();
    let t4 = repo.next_commit_time();
    let c4 = repo.commit_as("incident: roll back", "Ada Lovelace", "ada@example.com");

    let blame = |at: &str, extra: &[&str]| {
        let mut args = vec!["blame", "--at", at, "--format", "json"];
        args.extend(extra);
        let out = repo.run(&args);
        out.ok();
        out.json()
    };
    let pin = |json: &Value, env: &str, name: &str| -> (String, String, String) {
        let p = json["pins"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["environment"] == env && p["prompt"] == name)
            .unwrap_or_else(|| panic!("no {env}/{name} in {json}"));
        (
            p["version"].as_str().unwrap().to_string(),
            p["commit"].as_str().unwrap().to_string(),
            p["author"].as_str().unwrap().to_string(),
        )
    };
    let ada = "Ada Lovelace <ada@example.com>".to_string();

    // Exactly at the first lockfile commit.
    let json = blame(&rfc3339(t1), &[]);
    assert_eq!(json["lockfile_commit"], c1.as_str());
    assert_eq!(
        json["environments"],
        serde_json::json!(["production", "staging"])
    );
    assert_eq!(
        pin(&json, "production", "support/triage"),
        ("1.0.0".into(), c1.clone(), ada.clone())
    );

    // Between commits, in other spellings of the same moment.
    let between = chrono::DateTime::from_timestamp((t2 + 30) as i64, 0).unwrap();
    for at in [
        between.to_rfc3339(),
        between
            .with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap())
            .to_rfc3339(),
        between.format("%Y-%m-%d %H:%M:%S").to_string(),
    ] {
        let json = blame(&at, &[]);
        assert_eq!(json["lockfile_commit"], c2.as_str(), "{at}");
        assert_eq!(
            pin(&json, "production", "support/triage"),
            (
                "1.1.0".into(),
                c2.clone(),
                "Grace Hopper <grace@example.com>".into()
            )
        );
        // A pin that did not change keeps the commit that set it.
        assert_eq!(pin(&json, "production", "classify/sentiment").1, c1);
        let reason = json["pins"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["prompt"] == "support/triage" && p["environment"] == "production")
            .unwrap()["reason"]
            .clone();
        assert_eq!(reason, "Release 1.1.0.");
    }

    // After the canary commit and a commit that leaves the lockfile alone.
    let json = blame(&rfc3339(t3 + 90), &["--env", "canary"]);
    assert_eq!(json["lockfile_commit"], c3.as_str());
    assert_eq!(json["pins"].as_array().unwrap().len(), 1);
    assert_eq!(pin(&json, "canary", "classify/sentiment").1, c3);

    // After the rollback: the rollback's commit and author, with the reason
    // of the version it pinned again.
    let json = blame(
        &rfc3339(t4 + 1000),
        &["--env", "production", "support/triage"],
    );
    assert_eq!(json["pins"].as_array().unwrap().len(), 1);
    assert_eq!(
        pin(&json, "production", "support/triage"),
        ("1.0.0".into(), c4.clone(), ada)
    );
    assert_eq!(json["pins"][0]["reason"], "Release 1.0.0.");

    // Human output: one row per pin with the short commit and the author.
    repo.run(&["blame", "--at", &rfc3339(t2), "--env", "production"])
        .ok()
        .stdout_has(&format!("prompts.lock written by {}", &c2[..7]))
        .stdout_has("Grace Hopper <grace@example.com>")
        .stdout_has("Release 1.1.0.");

    // Before the first lockfile commit, before any commit, no match, bad input.
    repo.run(&["blame", "--at", &rfc3339(t0 + 30)])
        .code(1)
        .stderr_has(&format!(
            "it has no prompts.lock; the first commit with one is {} ({})",
            &c1[..7],
            rfc3339(t1)
        ));
    repo.run(&["blame", "--at", "2000-01-01"])
        .code(1)
        .stderr_has("is before the first commit of the mainline");
    repo.run(&["blame", "--at", &rfc3339(t2), "--env", "nowhere"])
        .code(1)
        .stderr_has("had no environment `nowhere` (environments: production, staging)");
    repo.run(&["blame", "--at", "yesterday"])
        .code(2)
        .stderr_has("`yesterday` is not a moment");
}
