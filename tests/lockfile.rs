//! Environments and the lockfile: `lock`, `lock --locked`, `verify`,
//! `export`, `verify --against`.

mod common;
use common::*;
use std::path::Path;

const CONFIG: &str = r#"prompts_dir: prompts
environments:
  production:
    support/triage: "~1.1"
    classify/sentiment: "^1"
    "*": latest
  staging:
    "*": latest-pre
"#;

/// Three prompts, four released versions each, one release commit per
/// round, and the two environments of `CONFIG`:
/// - support/triage 1.0.0, 1.1.0, 1.2.0, 2.0.0-rc.1
/// - summarize/article 0.1.0, 0.2.0, 0.2.1, 1.0.0
/// - classify/sentiment 1.0.0, 1.0.1, 1.1.0, 2.0.0
fn registry() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("promptreg.yaml", CONFIG);
    let releases: [(&str, [&str; 4]); 3] = [
        ("support/triage", ["1.0.0", "1.1.0", "1.2.0", "2.0.0-rc.1"]),
        ("summarize/article", ["0.1.0", "0.2.0", "0.2.1", "1.0.0"]),
        ("classify/sentiment", ["1.0.0", "1.0.1", "1.1.0", "2.0.0"]),
    ];
    for round in 0..4 {
        for (name, versions) in &releases {
            release(&repo, name, &versions[..=round]);
        }
        repo.commit(&format!("release round {}", round + 1));
    }
    repo
}

/// Writes `name` at the last of `versions`, with a changelog entry for each.
fn release(repo: &TestRepo, name: &str, versions: &[&str]) {
    let history: Vec<&str> = versions.iter().rev().copied().collect();
    let version = history[0];
    repo.prompt(
        name,
        &text_prompt(version, &history, &format!("{name} at {version}:")),
    );
}

fn validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/lockfile.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

/// Asserts that a lockfile text validates against schemas/lockfile.schema.json.
#[track_caller]
fn assert_schema_valid(text: &str) {
    let value = promptreg_core::yaml::to_json(text).unwrap();
    let validator = validator();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{}\n{text}", errors.join("\n"));
}

/// Runs `lock`, expects success, validates what it wrote; returns the run.
#[track_caller]
fn lock(repo: &TestRepo) -> Run {
    let run = repo.run(&["lock"]);
    run.ok();
    assert_schema_valid(&repo.read("prompts.lock"));
    run
}

/// Replaces the first occurrence of `from` in prompts.lock.
fn edit_lockfile(repo: &TestRepo, from: &str, to: &str) {
    let text = repo.read("prompts.lock");
    assert!(text.contains(from), "{from} not in\n{text}");
    repo.write("prompts.lock", text.replacen(from, to, 1));
}

/// The value of `key:` in the lockfile entry of (name, version).
fn field(repo: &TestRepo, name: &str, version: &str, key: &str) -> String {
    let lock: serde_json::Value =
        promptreg_core::yaml::to_json(&repo.read("prompts.lock")).unwrap();
    lock["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name && e["version"] == version)
        .unwrap_or_else(|| panic!("no entry {name} {version}"))[key]
        .as_str()
        .unwrap()
        .to_string()
}

/// Names of the temporary files and directories promptreg leaves behind
/// when something goes wrong.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".promptreg-"))
        .collect()
}

#[test]
fn lock_writes_the_exact_deterministic_lockfile() {
    let repo = registry();
    // An unreleased version in the working tree is never locked.
    release(
        &repo,
        "support/triage",
        &["1.0.0", "1.1.0", "1.2.0", "2.0.0-rc.1", "2.0.0"],
    );
    let first = lock(&repo);
    first
        .stdout_has("production:\n  added       classify/sentiment 1.1.0\n")
        .stdout_has("  added       support/triage 1.1.0\n")
        .stdout_has("staging:\n")
        .stdout_has("  added       support/triage 2.0.0-rc.1\n")
        .stdout_has("Created prompts.lock: 2 environment(s), 5 pinned version(s)");
    let text = repo.read("prompts.lock");
    insta::assert_snapshot!("lockfile", text);

    // A second run changes nothing, byte for byte.
    let second = repo.run(&["lock"]);
    second.ok().stdout_has("prompts.lock is up to date");
    assert_eq!(repo.read("prompts.lock"), text);
    // Removing it and locking again gives the same bytes.
    repo.remove("prompts.lock");
    lock(&repo);
    assert_eq!(repo.read("prompts.lock"), text);

    // Another machine: a fresh clone locks to the same bytes.
    let clone = TestRepo::empty();
    let target = clone.path().join("clone");
    repo.git(&["clone", "-q", ".", target.to_str().unwrap()]);
    let run = run(clone.cmd().args(["-C", target.to_str().unwrap(), "lock"]));
    run.ok();
    assert_eq!(
        std::fs::read_to_string(target.join("prompts.lock")).unwrap(),
        text
    );
}

#[test]
fn lock_summarises_upgrades_downgrades_additions_and_removals() {
    let repo = registry();
    lock(&repo);
    repo.commit("lock");
    repo.write(
        "promptreg.yaml",
        r#"prompts_dir: prompts
environments:
  production:
    support/triage: "=1.0.0"
    classify/sentiment: latest
    summarize/article: exclude
    "*": latest
  staging:
    "*": latest-pre
"#,
    );
    release(
        &repo,
        "support/triage",
        &["1.0.0", "1.1.0", "1.2.0", "2.0.0-rc.1", "2.0.0"],
    );
    release(&repo, "new/one", &["0.1.0"]);
    repo.commit("release triage 2.0.0 and new/one 0.1.0; change production");
    let run = lock(&repo);
    assert_eq!(
        run.stdout,
        "production:
  upgraded    classify/sentiment 1.1.0 → 2.0.0
  added       new/one 0.1.0
  removed     summarize/article 1.0.0
  downgraded  support/triage 1.1.0 → 1.0.0
staging:
  added       new/one 0.1.0
  upgraded    support/triage 2.0.0-rc.1 → 2.0.0
Updated prompts.lock: 2 environment(s), 5 pinned version(s)
"
    );

    // The same changes as JSON, from a lockfile one step behind.
    repo.git(&["checkout", "-q", "prompts.lock"]);
    let json = repo.run(&["lock", "--format", "json"]);
    json.ok();
    let report = json.json();
    assert_eq!(report["status"], "updated");
    assert_eq!(report["written"], true);
    let changes: Vec<String> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {} {} {} {}",
                c["environment"].as_str().unwrap(),
                c["kind"].as_str().unwrap(),
                c["name"].as_str().unwrap(),
                c["from"].as_str().unwrap_or("-"),
                c["to"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        changes,
        vec![
            "production upgraded classify/sentiment 1.1.0 2.0.0",
            "production added new/one - 0.1.0",
            "production removed summarize/article 1.0.0 -",
            "production downgraded support/triage 1.1.0 1.0.0",
            "staging added new/one - 0.1.0",
            "staging upgraded support/triage 2.0.0-rc.1 2.0.0",
        ]
    );
    assert_eq!(report["edited_by_hand"], serde_json::json!([]));
    let again = repo.run(&["lock", "--format", "json"]);
    assert_eq!(again.json()["status"], "up-to-date");
    assert_eq!(again.json()["written"], false);
}

#[test]
fn locked_exit_codes_fresh_stale_missing() {
    let repo = registry();
    // Missing: exit 1 with the fix, and nothing written.
    let before = repo.files();
    repo.run(&["lock", "--locked"])
        .code(1)
        .stderr_has("prompts.lock does not exist; run `promptreg lock`");
    assert_eq!(repo.files(), before);

    lock(&repo);
    repo.commit("lock");
    repo.run(&["lock", "--locked"])
        .ok()
        .stdout_has("prompts.lock is up to date");

    // A checkout that turned LF into CRLF is still fresh.
    let text = repo.read("prompts.lock");
    repo.write("prompts.lock", text.replace('\n', "\r\n"));
    repo.run(&["lock", "--locked"]).ok();
    repo.write("prompts.lock", &text);

    // A new release makes it stale: exit 1, the difference, the fix.
    release(
        &repo,
        "summarize/article",
        &["0.1.0", "0.2.0", "0.2.1", "1.0.0", "1.1.0"],
    );
    repo.commit("summarize/article 1.1.0");
    let before = repo.files();
    let stale = repo.run(&["lock", "--locked"]);
    stale
        .code(1)
        .stdout_has("production:\n  upgraded    summarize/article 1.0.0 → 1.1.0\n")
        .stdout_has("staging:\n  upgraded    summarize/article 1.0.0 → 1.1.0\n")
        .stderr_has("prompts.lock is out of date; run `promptreg lock`");
    assert!(!stale.stdout.contains("edited by hand"), "{}", stale.stdout);
    assert_eq!(repo.files(), before, "--locked must not write");
    let json = repo.run(&["lock", "--locked", "--format", "json"]);
    json.code(1);
    assert_eq!(json.json()["status"], "out-of-date");
    assert_eq!(json.json()["written"], false);

    lock(&repo);
    repo.run(&["lock", "--locked"]).ok();
    // Comments or formatting edited by hand: same pins, still out of date.
    repo.write("prompts.lock", repo.read("prompts.lock") + "# note\n");
    repo.run(&["lock", "--locked"])
        .code(1)
        .stdout_has("pins the same versions but its text differs")
        .stderr_has("out of date");
}

#[test]
fn locked_reports_entries_edited_by_hand() {
    let repo = registry();
    lock(&repo);
    let real = field(&repo, "support/triage", "1.1.0", "sha256");
    let fake = "0".repeat(64);
    edit_lockfile(&repo, &real, &fake);
    repo.run(&["lock", "--locked"])
        .code(1)
        .stdout_has(&format!(
            "edited by hand: support/triage 1.1.0: sha256 is \"{fake}\" in prompts.lock, Git says \"{real}\""
        ))
        .stderr_has("out of date; run `promptreg lock`");

    // A version that was never released.
    lock(&repo);
    edit_lockfile(
        &repo,
        "name: support/triage\n    version: 1.1.0",
        "name: support/triage\n    version: 1.1.5",
    );
    edit_lockfile(&repo, "support/triage: 1.1.0", "support/triage: 1.1.5");
    repo.run(&["lock", "--locked"])
        .code(1)
        .stdout_has("edited by hand: support/triage 1.1.5: this version was never released")
        .stdout_has("production:\n  downgraded  support/triage 1.1.5 → 1.1.0\n")
        .stderr_has("out of date");
}

#[test]
fn lock_locked_and_verify_on_a_lockfile_that_does_not_parse() {
    let repo = registry();
    lock(&repo);
    let text = repo.read("prompts.lock");
    // Truncated in the middle of an entry.
    repo.write("prompts.lock", &text[..text.len() / 2]);
    repo.run(&["lock", "--locked"])
        .code(1)
        .stdout_has("prompts.lock cannot be read")
        .stderr_has("prompts.lock is out of date; run `promptreg lock`");
    repo.run(&["verify"])
        .code(1)
        .stdout_has("SECURITY: prompts.lock cannot be read")
        .stderr_has("run `promptreg lock`");
    let json = repo.run(&["verify", "--format", "json"]);
    json.code(1);
    assert_eq!(json.json()["ok"], false);
    assert!(json.json()["unreadable"].is_string());
    repo.run(&["export", "--env", "production", "--out", "out"])
        .code(2)
        .stderr_has("prompts.lock cannot be read");
    // An unknown key (deny_unknown_fields) is not a lockfile either.
    repo.write(
        "prompts.lock",
        text.replace("lockfile_version: 1", "lockfile_version: 1\nextra: x"),
    );
    repo.run(&["verify"])
        .code(1)
        .stdout_has("unknown key `extra`");
    // `lock` itself replaces an unreadable file.
    repo.write("prompts.lock", "not: [a lockfile\n");
    lock(&repo).stdout_has("prompts.lock cannot be read");
    assert_eq!(repo.read("prompts.lock"), text);
    // Missing: verify cannot run (exit 2); export neither.
    repo.remove("prompts.lock");
    repo.run(&["verify"])
        .code(2)
        .stderr_has("prompts.lock does not exist")
        .stderr_has("hint: run `promptreg lock`");
    repo.run(&["export", "--env", "production", "--out", "out"])
        .code(2)
        .stderr_has("hint: run `promptreg lock`");
}

#[test]
fn verify_passes_on_an_honest_lockfile() {
    let repo = registry();
    lock(&repo);
    repo.run(&["verify"])
        .ok()
        .stdout_has("prompts.lock: 5 pinned version(s) match Git (mainline HEAD, ");
    let json = repo.run(&["verify", "--format", "json"]);
    json.ok();
    assert_eq!(
        json.json(),
        serde_json::json!({
            "source": "git",
            "target": "prompts.lock",
            "ok": true,
            "checked": 5,
            "unreadable": null,
            "problems": []
        })
    );
    // The mainline moving on does not make the pinned bytes wrong.
    release(&repo, "other", &["1.0.0"]);
    repo.commit("other 1.0.0");
    repo.run(&["verify"]).ok();
}

#[test]
fn verify_detects_an_edited_sha256() {
    let repo = registry();
    lock(&repo);
    let real = field(&repo, "support/triage", "1.1.0", "sha256");
    let fake = format!("{}{}", "f".repeat(8), &real[8..]);
    edit_lockfile(&repo, &real, &fake);
    let run = repo.run(&["verify"]);
    run.code(1)
        .stdout_has(&format!(
            "SECURITY: support/triage 1.1.0: sha256 mismatch, wanted {fake}, got {real}\n"
        ))
        .stdout_has("prompts.lock: 1 problem(s) in 5 pinned version(s)");
    let json = repo.run(&["verify", "--format", "json"]);
    json.code(1);
    let problems = json.json()["problems"].clone();
    assert_eq!(problems.as_array().unwrap().len(), 1);
    assert_eq!(problems[0]["kind"], "sha256-mismatch");
    assert_eq!(problems[0]["subject"], "support/triage 1.1.0");
    // export refuses to write tampered bytes.
    repo.run(&["export", "--env", "production", "--out", "out"])
        .code(2)
        .stderr_has("SECURITY: support/triage 1.1.0: sha256 mismatch");
    assert!(!repo.file("out").exists());
}

#[test]
fn verify_detects_a_replaced_blob() {
    let repo = registry();
    lock(&repo);
    let pinned = field(&repo, "support/triage", "1.1.0", "blob");
    // Another blob that exists in the repository: the 1.0.0 file.
    let other = repo.git(&["rev-parse", "HEAD~3:prompts/support/triage.prompt.yaml"]);
    assert_ne!(pinned, other);
    edit_lockfile(&repo, &pinned, &other);
    let run = repo.run(&["verify"]);
    run.code(1)
        .stdout_has("SECURITY: support/triage 1.1.0: sha256 mismatch, wanted ")
        .stdout_has(&format!(
            "SECURITY: support/triage 1.1.0: blob {} carries version 1.0.0, not 1.1.0",
            &other[..7]
        ))
        .stdout_has(&format!(
            "SECURITY: support/triage 1.1.0: at release commit {}, prompts/support/triage.prompt.yaml is blob {}, not {}",
            &field(&repo, "support/triage", "1.1.0", "commit")[..7],
            &pinned[..7],
            &other[..7]
        ));
    repo.run(&["lock", "--locked"])
        .code(1)
        .stdout_has("edited by hand: support/triage 1.1.0: blob is");

    // A blob id Git does not have, and a commit id where a blob should be.
    lock(&repo);
    edit_lockfile(&repo, &pinned, &"e".repeat(40));
    repo.run(&["verify"]).code(1).stdout_has(&format!(
        "SECURITY: support/triage 1.1.0: blob {} is not in the repository",
        "e".repeat(40)
    ));
    lock(&repo);
    let commit = repo.git(&["rev-parse", "HEAD"]);
    edit_lockfile(&repo, &pinned, &commit);
    repo.run(&["verify"])
        .code(1)
        .stdout_has("is not in the repository");

    // A release commit that is not on the mainline.
    lock(&repo);
    repo.commit("lock");
    let release_commit = field(&repo, "support/triage", "1.1.0", "commit");
    repo.git(&["checkout", "-q", "-b", "side"]);
    let side = repo.commit("side");
    repo.git(&["checkout", "-q", "main"]);
    edit_lockfile(&repo, &release_commit, &side);
    repo.run(&["verify"]).code(1).stdout_has(&format!(
        "SECURITY: support/triage 1.1.0: release commit {} is not on the mainline (HEAD)",
        &side[..7]
    ));
}

#[test]
fn interrupted_lock_leaves_the_old_lockfile_intact() {
    let repo = registry();
    lock(&repo);
    let old = repo.read("prompts.lock");
    release(
        &repo,
        "summarize/article",
        &["0.1.0", "0.2.0", "0.2.1", "1.0.0", "1.1.0"],
    );
    repo.commit("summarize/article 1.1.0");
    let run = run(repo
        .cmd()
        .env("PROMPTREG_FAIL_BEFORE_RENAME", "1")
        .arg("lock"));
    run.code(2).stderr_has("interrupted before the rename");
    assert_eq!(repo.read("prompts.lock"), old);
    assert_eq!(leftovers(repo.path()), Vec::<String>::new());
    // Without the injected failure the update goes through.
    lock(&repo).stdout_has("upgraded    summarize/article 1.0.0 → 1.1.0");
    assert_ne!(repo.read("prompts.lock"), old);
}

#[test]
fn export_writes_the_pinned_bytes_from_git_and_a_manifest() {
    let repo = registry();
    lock(&repo);
    // The working tree holds other bytes: export must not read them.
    repo.prompt("classify/sentiment", "version: 9.9.9\ngarbage\n");
    let run = repo.run(&["export", "--env", "production", "--out", "build/prompts"]);
    run.ok()
        .stdout_has("Exported 3 prompt(s) of environment `production` to build/prompts");
    let out = repo.file("build/prompts");
    let mut files: Vec<String> = Vec::new();
    for name in ["classify/sentiment", "summarize/article", "support/triage"] {
        let file = format!("{name}.prompt.yaml");
        files.push(file.clone());
        let want: Vec<u8> = std::process::Command::new("git")
            .current_dir(repo.path())
            .args(["cat-file", "blob"])
            .arg(field(
                &repo,
                name,
                match name {
                    "summarize/article" => "1.0.0",
                    _ => "1.1.0",
                },
                "blob",
            ))
            .output()
            .unwrap()
            .stdout;
        assert_eq!(std::fs::read(out.join(&file)).unwrap(), want, "{file}");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let sha = |name: &str, version: &str| field(&repo, name, version, "sha256");
    assert_eq!(
        manifest,
        serde_json::json!({
            "environment": "production",
            "lockfile_version": 1,
            "prompts": {
                "classify/sentiment": {
                    "version": "1.1.0",
                    "sha256": sha("classify/sentiment", "1.1.0"),
                    "path": "classify/sentiment.prompt.yaml"
                },
                "summarize/article": {
                    "version": "1.0.0",
                    "sha256": sha("summarize/article", "1.0.0"),
                    "path": "summarize/article.prompt.yaml"
                },
                "support/triage": {
                    "version": "1.1.0",
                    "sha256": sha("support/triage", "1.1.0"),
                    "path": "support/triage.prompt.yaml"
                }
            }
        })
    );
    // Keys sorted, as promised.
    let text = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    let keys: Vec<usize> = ["classify/sentiment", "summarize/article", "support/triage"]
        .iter()
        .map(|k| text.find(k).unwrap())
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "{text}");
    // --format json prints the manifest.
    let json = repo.run(&[
        "export",
        "--env",
        "production",
        "--out",
        "build/json",
        "--format",
        "json",
    ]);
    json.ok();
    assert_eq!(json.stdout, text);
    assert_eq!(leftovers(&repo.file("build")), Vec::<String>::new());

    // The directory verifies, also on a machine with no Git and no registry.
    repo.run(&["verify", "--against", "build/prompts"])
        .ok()
        .stdout_has("build/prompts: 3 file(s) match manifest.json (environment production)");
    let elsewhere = TestRepo::empty();
    let run = elsewhere.run(&[
        "verify",
        "--against",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]);
    run.ok();
    assert_eq!(run.json()["ok"], true);
    assert_eq!(run.json()["source"], "directory");
    assert_eq!(run.json()["checked"], 3);

    // An unknown environment lists the known ones.
    repo.run(&["export", "--env", "prod", "--out", "x"])
        .code(2)
        .stderr_has("prompts.lock has no environment `prod`")
        .stderr_has("production, staging");
}

#[test]
fn export_refuses_a_name_that_would_escape_the_directory() {
    let repo = registry();
    lock(&repo);
    let text = repo.read("prompts.lock");
    let blob = field(&repo, "support/triage", "1.1.0", "blob");
    let sha = field(&repo, "support/triage", "1.1.0", "sha256");
    let commit = field(&repo, "support/triage", "1.1.0", "commit");
    // A hand-crafted lockfile: a real blob, pinned under the name `../evil`.
    let evil = format!(
        "{}\nlockfile_version: 1\nprompts:\n  - name: ../evil\n    version: 1.1.0\n    path: prompts/../evil.prompt.yaml\n    commit: {commit}\n    blob: {blob}\n    sha256: {sha}\n    reason: x\n    author: x\n    date: x\nenvironments:\n  production:\n    ../evil: 1.1.0\n",
        text.lines().next().unwrap()
    );
    repo.write("prompts.lock", &evil);
    repo.write("deploy/keep.txt", "keep");
    repo.run(&["export", "--env", "production", "--out", "deploy/out"])
        .code(2)
        .stderr_has("refusing to export `../evil`")
        .stderr_has("outside the output directory");
    assert!(!repo.file("deploy/evil.prompt.yaml").exists());
    assert!(!repo.file("deploy/out").exists());
    assert!(!repo.file("evil.prompt.yaml").exists());
    assert_eq!(leftovers(&repo.file("deploy")), Vec::<String>::new());
    // verify flags the entry too.
    repo.run(&["verify"])
        .code(1)
        .stdout_has("SECURITY: ../evil 1.1.0: invalid prompt name `../evil`");
}

#[test]
fn export_refuses_a_non_empty_directory_unless_forced() {
    let repo = registry();
    lock(&repo);
    repo.write("out/stale.txt", "old");
    repo.run(&["export", "--env", "staging", "--out", "out"])
        .code(2)
        .stderr_has("out is not empty")
        .stderr_has("--force");
    assert_eq!(repo.read("out/stale.txt"), "old");
    repo.run(&["export", "--env", "staging", "--out", "out", "--force"])
        .ok();
    assert!(!repo.file("out/stale.txt").exists());
    assert!(repo.file("out/support/triage.prompt.yaml").is_file());
    assert!(repo.file("out/manifest.json").is_file());
    assert_eq!(leftovers(repo.path()), Vec::<String>::new());
    repo.run(&["verify", "--against", "out"]).ok();
    // An empty directory needs no --force.
    std::fs::create_dir(repo.file("empty")).unwrap();
    repo.run(&["export", "--env", "staging", "--out", "empty"])
        .ok();
    // Never a directory holding the registry, nor inside prompts/.
    for out in [".", "..", "prompts/build"] {
        repo.run(&["export", "--env", "staging", "--out", out, "--force"])
            .code(2)
            .stderr_has("refusing to export into");
    }
    assert!(repo.file("promptreg.yaml").is_file());
    repo.write("a-file", "x");
    repo.run(&["export", "--env", "staging", "--out", "a-file"])
        .code(2)
        .stderr_has("not a directory");
}

#[test]
fn verify_against_detects_tampering_in_an_export_directory() {
    let repo = registry();
    lock(&repo);
    repo.run(&["export", "--env", "production", "--out", "out"])
        .ok();
    let pristine = repo.files();

    // A changed file.
    repo.write(
        "out/support/triage.prompt.yaml",
        repo.read("out/support/triage.prompt.yaml") + "# injected\n",
    );
    let run = repo.run(&["verify", "--against", "out"]);
    run.code(1)
        .stdout_has(
            "SECURITY: support/triage 1.1.0: support/triage.prompt.yaml: sha256 mismatch, wanted ",
        )
        .stdout_has("out: 1 problem(s) in 3 file(s)");

    // A missing file, an unexpected one.
    repo.run(&["export", "--env", "production", "--out", "out", "--force"])
        .ok();
    assert_eq!(repo.files(), pristine);
    repo.remove("out/summarize/article.prompt.yaml");
    repo.write("out/extra.prompt.yaml", "x");
    let json = repo.run(&["verify", "--against", "out", "--format", "json"]);
    json.code(1);
    let kinds: Vec<String> = json.json()["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p["kind"].as_str().unwrap(),
                p["subject"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            "file-missing summarize/article 1.0.0",
            "unexpected-file extra.prompt.yaml"
        ]
    );

    // A manifest path that leaves the directory.
    repo.run(&["export", "--env", "production", "--out", "out", "--force"])
        .ok();
    let manifest = repo.read("out/manifest.json");
    repo.write(
        "out/manifest.json",
        manifest.replace("\"support/triage.prompt.yaml\"", "\"../promptreg.yaml\""),
    );
    repo.run(&["verify", "--against", "out"])
        .code(1)
        .stdout_has("SECURITY: support/triage 1.1.0: path `../promptreg.yaml` is not a relative path inside out")
        .stdout_has("SECURITY: support/triage.prompt.yaml: not listed in manifest.json");

    // A manifest that does not parse: a finding. No manifest: cannot run.
    repo.write("out/manifest.json", &manifest[..manifest.len() / 2]);
    repo.run(&["verify", "--against", "out"])
        .code(1)
        .stdout_has("is not a valid manifest");
    repo.remove("out/manifest.json");
    repo.run(&["verify", "--against", "out"])
        .code(2)
        .stderr_has("has no manifest.json");
    repo.run(&["verify", "--against", "nowhere"])
        .code(2)
        .stderr_has("is not a directory");
}

#[test]
fn environment_errors_name_the_line() {
    let repo = registry();
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nenvironments:\n  production:\n    support/triag: latest\n",
    );
    repo.run(&["lock"])
        .code(2)
        .stderr_has("promptreg.yaml:4:5: environment `production` names `support/triag`, which matches no prompt released on the mainline (HEAD)")
        .stderr_has("did you mean `support/triage`?");
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nenvironments:\n  production:\n    \"*\": latest\n    support/triage: \"^5\"\n",
    );
    repo.run(&["lock"])
        .code(2)
        .stderr_has("promptreg.yaml:5:5: environment `production`, support/triage: no released version satisfies `^5` (released: 1.0.0, 1.1.0, 1.2.0, 2.0.0-rc.1)");
    // Cargo's reading of a bare version: `1.0.0` means `^1.0.0`.
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nenvironments:\n  production:\n    support/triage: 1.0.0\n    summarize/article: \"=0.2.0\"\n    classify/sentiment: \"~1.0\"\n",
    );
    lock(&repo);
    let lock: serde_json::Value =
        promptreg_core::yaml::to_json(&repo.read("prompts.lock")).unwrap();
    assert_eq!(
        lock["environments"],
        serde_json::json!({
            "production": {
                "classify/sentiment": "1.0.1",
                "summarize/article": "0.2.0",
                "support/triage": "1.2.0"
            }
        })
    );
    // A bad requirement or environment name stops lock (exit 2).
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nenvironments:\n  production:\n    support/triage: banana\n",
    );
    repo.run(&["lock"]).code(2).stderr_has("promptreg.yaml:4:5");
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nenvironments:\n  Prod:\n    \"*\": latest\n",
    );
    repo.run(&["lock"])
        .code(2)
        .stderr_has("promptreg.yaml:3:3: environment name `Prod`");
}

#[test]
fn deleted_prompts_are_pinned_only_when_named() {
    let repo = registry();
    repo.remove("prompts/summarize/article.prompt.yaml");
    repo.commit("delete summarize/article");
    lock(&repo);
    let lock_text = repo.read("prompts.lock");
    assert!(!lock_text.contains("summarize/article"), "{lock_text}");
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nenvironments:\n  production:\n    summarize/article: \"=0.2.1\"\n    \"*\": latest\n",
    );
    lock(&repo).stdout_has("added       summarize/article 0.2.1");
    repo.run(&["verify"]).ok();
    repo.run(&["export", "--env", "production", "--out", "out"])
        .ok();
    assert!(repo.file("out/summarize/article.prompt.yaml").is_file());
}

#[test]
fn without_environments_there_is_one_default_environment() {
    let repo = registry();
    repo.write("promptreg.yaml", "prompts_dir: prompts\n");
    lock(&repo);
    let lock: serde_json::Value =
        promptreg_core::yaml::to_json(&repo.read("prompts.lock")).unwrap();
    assert_eq!(
        lock["environments"],
        serde_json::json!({
            "default": {
                "classify/sentiment": "2.0.0",
                "summarize/article": "1.0.0",
                "support/triage": "1.2.0"
            }
        })
    );
}

#[test]
fn prompts_with_only_pre_releases_are_left_out_of_latest_with_a_note() {
    let repo = registry();
    release(&repo, "beta/only", &["0.1.0-rc.1"]);
    repo.commit("beta/only 0.1.0-rc.1");
    let run = lock(&repo);
    run.stderr_has("note: environment `production`: \"*\" leaves out beta/only: only pre-releases are released (0.1.0-rc.1)");
    let json = repo.run(&["lock", "--format", "json"]);
    assert_eq!(
        json.json()["skipped"],
        serde_json::json!([{
            "environment": "production",
            "name": "beta/only",
            "reason": "only pre-releases are released (0.1.0-rc.1); `latest` skips them, `latest-pre` accepts them"
        }])
    );
    assert!(repo.read("prompts.lock").contains("beta/only: 0.1.0-rc.1"));
}

#[test]
fn splits_are_locked_with_their_weights() {
    let repo = registry();
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nenvironments:\n  production:\n    support/triage:\n      split: { \"=1.1.0\": 10, \"=1.0.0\": 90 }\n",
    );
    lock(&repo);
    let text = repo.read("prompts.lock");
    assert!(
        text.ends_with(
            "environments:\n  production:\n    support/triage:\n      split:\n        - version: 1.0.0\n          weight: 90\n        - version: 1.1.0\n          weight: 10\n"
        ),
        "{text}"
    );
    assert!(text.contains("  - name: support/triage\n    version: 1.0.0\n"));
    assert!(text.contains("  - name: support/triage\n    version: 1.1.0\n"));
    repo.run(&["lock", "--locked"]).ok();
    repo.run(&["verify"]).ok();
    repo.run(&["export", "--env", "production", "--out", "out"])
        .code(2)
        .stderr_has("not supported yet");
    // Two arms resolving to one version are refused.
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nenvironments:\n  production:\n    support/triage:\n      split: { \"^1\": 50, \"^1.2\": 50 }\n",
    );
    repo.run(&["lock"])
        .code(2)
        .stderr_has("split arms resolve to the same version 1.2.0");
}

#[test]
fn lockfile_scalars_that_look_like_other_types_are_quoted() {
    // Names a YAML reader could take for a number, a boolean or a date.
    let repo = TestRepo::new();
    for name in ["123", "yes", "2026-01-01", "null"] {
        release(&repo, name, &["1.0.0"]);
    }
    repo.commit("odd names");
    lock(&repo);
    let text = repo.read("prompts.lock");
    for name in ["123", "yes", "2026-01-01", "null"] {
        assert!(text.contains(&format!("  - name: \"{name}\"\n")), "{text}");
        assert!(text.contains(&format!("    \"{name}\": 1.0.0\n")), "{text}");
    }
    repo.run(&["lock", "--locked"]).ok();
    repo.run(&["verify"]).ok();
}

/// The code block of README.md that starts with `start`.
fn readme_block(start: &str) -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let at = readme
        .find(start)
        .unwrap_or_else(|| panic!("README.md has no block starting {start:?}"));
    let end = at + readme[at..].find("```").unwrap();
    readme[at..end].to_string()
}

fn python(dir: &Path, script: &str, args: &[&str]) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .current_dir(dir)
        .arg("-")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn readme_python_recipes_deploy_the_same_bytes_as_export() {
    let has_pyyaml = std::process::Command::new("python3")
        .args(["-c", "import yaml"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_pyyaml {
        eprintln!("skipped: python3 with PyYAML is not installed");
        return;
    }
    let repo = registry();
    lock(&repo);
    repo.run(&["export", "--env", "production", "--out", "exported"])
        .ok();

    // The deploy script reads prompts.lock and `git cat-file`s each blob.
    let deploy = readme_block("#!/usr/bin/env python3\n\"\"\"Write the prompt files");
    let out = python(repo.path(), &deploy, &["production", "from-python"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["classify/sentiment", "summarize/article", "support/triage"] {
        let file = format!("{name}.prompt.yaml");
        assert_eq!(
            std::fs::read(repo.file("from-python").join(&file)).unwrap(),
            std::fs::read(repo.file("exported").join(&file)).unwrap(),
            "{file}"
        );
    }
    // Tampering stops it.
    let sha = field(&repo, "support/triage", "1.1.0", "sha256");
    edit_lockfile(&repo, &sha, &"0".repeat(64));
    let out = python(repo.path(), &deploy, &["production", "tampered"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("SECURITY: support/triage 1.1.0: sha256 mismatch"));

    // The runtime loader reads manifest.json and checks every sha256.
    let loader = readme_block("import hashlib, json, pathlib").replace(
        "PROMPTS = load_prompts(\"/srv/prompts\")",
        "print(json.dumps({n: p[\"version\"] for n, p in load_prompts(\"exported\").items()}, sort_keys=True))",
    );
    let out = python(repo.path(), &loader, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        r#"{"classify/sentiment": "1.1.0", "summarize/article": "1.0.0", "support/triage": "1.1.0"}"#
    );
    repo.write(
        "exported/summarize/article.prompt.yaml",
        repo.read("exported/summarize/article.prompt.yaml") + "\n",
    );
    let out = python(repo.path(), &loader, &[]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("summarize/article 1.0.0: sha256 mismatch")
    );
}

#[test]
fn a_registry_in_a_subdirectory_of_the_repository() {
    let repo = TestRepo::new();
    repo.write("team/promptreg.yaml", "prompts_dir: prompts\n");
    repo.write(
        "team/prompts/a.prompt.yaml",
        text_prompt("1.0.0", &["1.0.0"], "A"),
    );
    repo.commit("team registry");
    let team = repo.file("team");
    let team = team.to_str().unwrap();
    let locked = repo.run(&["-C", team, "lock"]);
    locked.ok().stdout_has("added       a 1.0.0");
    let text = repo.read("team/prompts.lock");
    assert_schema_valid(&text);
    // Paths are relative to the registry root, not the repository's.
    assert!(text.contains("    path: prompts/a.prompt.yaml\n"), "{text}");
    repo.run(&["-C", team, "lock", "--locked"]).ok();
    repo.run(&["-C", team, "verify"]).ok();
    repo.run(&["-C", team, "export", "--env", "default", "--out", "../out"])
        .ok();
    assert!(repo.file("out/a.prompt.yaml").is_file());
    repo.run(&["verify", "--against", "out"]).ok();
}
