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

/// The bytes of a Git blob, from the git CLI.
fn blob_bytes(repo: &TestRepo, blob: &str) -> Vec<u8> {
    let out = std::process::Command::new("git")
        .current_dir(repo.path())
        .args(["cat-file", "blob", blob])
        .output()
        .unwrap();
    assert!(out.status.success(), "git cat-file blob {blob}");
    out.stdout
}

/// The manifest entry `export` must write for (name, version): the
/// lockfile entry's facts at `<name>@<version>.prompt.yaml`.
fn bundle_file(repo: &TestRepo, name: &str, version: &str) -> serde_json::Value {
    let f = |key: &str| field(repo, name, version, key);
    serde_json::json!({
        "name": name,
        "version": version,
        "path": format!("{name}@{version}.prompt.yaml"),
        "sha256": f("sha256"),
        "blob": f("blob"),
        "commit": f("commit"),
        "author": f("author"),
        "date": f("date"),
        "reason": f("reason"),
    })
}

fn manifest_validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/manifest.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

/// Asserts that a manifest validates against schemas/manifest.schema.json.
#[track_caller]
fn assert_manifest_valid(value: &serde_json::Value) {
    let errors: Vec<String> = manifest_validator()
        .iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{}\n{value:#}", errors.join("\n"));
}

/// The manifest.json of a bundle directory, as JSON.
fn read_manifest(repo: &TestRepo, dir: &str) -> serde_json::Value {
    serde_json::from_str(&repo.read(&format!("{dir}/manifest.json"))).unwrap()
}

#[test]
fn export_writes_the_pinned_bytes_from_git_and_a_manifest() {
    let repo = registry();
    lock(&repo);
    // The working tree holds other bytes: export must not read them.
    repo.prompt("classify/sentiment", "version: 9.9.9\ngarbage\n");
    let run = repo.run(&["export", "--env", "production", "--out", "build/prompts"]);
    run.ok()
        .stdout_has("Exported 3 prompt(s) of environment `production` to build/prompts (3 file(s) and manifest.json, registry commit ");
    let out = repo.file("build/prompts");
    let pins = [
        ("classify/sentiment", "1.1.0"),
        ("summarize/article", "1.0.0"),
        ("support/triage", "1.1.0"),
    ];
    for (name, version) in pins {
        let file = format!("{name}@{version}.prompt.yaml");
        assert_eq!(
            std::fs::read(out.join(&file)).unwrap(),
            blob_bytes(&repo, &field(&repo, name, version, "blob")),
            "{file}"
        );
        run.stdout_has(&file);
    }
    let text = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    let expected = serde_json::json!({
        "manifest_version": 2,
        "environment": "production",
        "registry_commit": repo.git(&["rev-parse", "HEAD"]),
        "lockfile_sha256": promptreg_core::digest::sha256_hex(&std::fs::read(repo.file("prompts.lock")).unwrap()),
        "prompts": {
            "classify/sentiment": "1.1.0",
            "summarize/article": "1.0.0",
            "support/triage": "1.1.0"
        },
        "files": pins.iter().map(|(n, v)| bundle_file(&repo, n, v)).collect::<Vec<_>>(),
    });
    assert_eq!(manifest, expected);
    assert_manifest_valid(&manifest);
    // Stable bytes: pretty JSON, keys in this order, a final newline.
    assert_eq!(
        text,
        serde_json::to_string_pretty(&expected).unwrap() + "\n"
    );
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

const SPLIT_CONFIG: &str = r#"prompts_dir: prompts
environments:
  production:
    "*": latest
  canary:
    support/triage:
      split: { "=1.1.0": 10, "=1.0.0": 60, "=1.2.0": 30 }
    classify/sentiment: "=2.0.0"
"#;

/// `registry()` with `SPLIT_CONFIG`, locked, and `canary` exported to `out`.
fn exported_split() -> TestRepo {
    let repo = registry();
    repo.write("promptreg.yaml", SPLIT_CONFIG);
    lock(&repo);
    repo.run(&["export", "--env", "canary", "--out", "out"])
        .ok();
    repo
}

#[test]
fn export_writes_every_arm_of_a_split_and_a_manifest_that_validates() {
    let repo = registry();
    repo.write("promptreg.yaml", SPLIT_CONFIG);
    lock(&repo);
    let run = repo.run(&["export", "--env", "canary", "--out", "out"]);
    run.ok().stdout_has(
        "Exported 2 prompt(s) of environment `canary` to out (4 file(s) and manifest.json",
    );
    let files = [
        ("classify/sentiment", "2.0.0", "-"),
        ("support/triage", "1.0.0", "60%"),
        ("support/triage", "1.1.0", "10%"),
        ("support/triage", "1.2.0", "30%"),
    ];
    // One table row per file, with the arm's weight (plain columns: stdout
    // is not a terminal).
    let lines: Vec<&str> = run.stdout.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.starts_with("prompt") || l.starts_with("name"))
        .unwrap_or_else(|| panic!("a table header:\n{}", run.stdout));
    let rows: Vec<&str> = lines[header..]
        .iter()
        .take(1 + files.len())
        .copied()
        .collect();
    assert_eq!(rows.len(), 1 + files.len(), "{}", run.stdout);
    for ((name, version, weight), row) in files.iter().zip(&rows[1..]) {
        let cells: Vec<&str> = row.split_whitespace().collect();
        let sha = field(&repo, name, version, "sha256");
        assert_eq!(
            cells,
            vec![
                *name,
                *version,
                *weight,
                &format!("{name}@{version}.prompt.yaml"),
                &sha[..12]
            ]
        );
        // Every arm's bytes, from Git.
        assert_eq!(
            std::fs::read(repo.file(&format!("out/{name}@{version}.prompt.yaml"))).unwrap(),
            blob_bytes(&repo, &field(&repo, name, version, "blob"))
        );
    }
    let manifest = read_manifest(&repo, "out");
    assert_manifest_valid(&manifest);
    assert_eq!(
        manifest["prompts"],
        serde_json::json!({
            "classify/sentiment": "2.0.0",
            "support/triage": {"split": [
                {"version": "1.0.0", "weight": 60},
                {"version": "1.1.0", "weight": 10},
                {"version": "1.2.0", "weight": 30}
            ]}
        })
    );
    assert_eq!(
        manifest["files"],
        serde_json::json!(files
            .iter()
            .map(|(n, v, _)| bundle_file(&repo, n, v))
            .collect::<Vec<_>>())
    );
    assert_eq!(manifest["environment"], "canary");
    assert_eq!(
        manifest["registry_commit"],
        repo.git(&["rev-parse", "HEAD"])
    );
    // Nothing but the listed files and the manifest.
    let mut written: Vec<String> = repo
        .files()
        .keys()
        .filter_map(|p| p.strip_prefix("out").ok())
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .collect();
    written.sort();
    assert_eq!(
        written,
        vec![
            "classify/sentiment@2.0.0.prompt.yaml",
            "manifest.json",
            "support/triage@1.0.0.prompt.yaml",
            "support/triage@1.1.0.prompt.yaml",
            "support/triage@1.2.0.prompt.yaml",
        ]
    );
    // --format json prints the same manifest.
    let json = repo.run(&[
        "export", "--env", "canary", "--out", "out", "--force", "--format", "json",
    ]);
    json.ok();
    assert_eq!(json.json(), manifest);

    // The bundle loads with the core crate, and each key gets the arm
    // `pick` gives it.
    let bundle = promptreg_core::bundle::load(&repo.file("out")).unwrap();
    let keys: Vec<String> = (0..50).map(|i| format!("user-{i}")).collect();
    let mut args = vec!["pick", "support/triage", "--env", "canary"];
    for k in &keys {
        args.extend(["--key", k.as_str()]);
    }
    let picked = repo.run(&args);
    picked.ok();
    for (key, line) in keys.iter().zip(picked.stdout.lines()) {
        let loaded = bundle.select("support/triage", Some(key)).unwrap().unwrap();
        assert_eq!(line, format!("{key}\t{}", loaded.entry.version));
    }

    // The schema is strict.
    let validator = manifest_validator();
    for (pointer, bad) in [
        ("/manifest_version", serde_json::json!(3)),
        ("/registry_commit", serde_json::json!("HEAD")),
        ("/lockfile_sha256", serde_json::json!("ABC")),
        ("/environment", serde_json::json!("Canary")),
        (
            "/files/0/path",
            serde_json::json!("../classify/sentiment@2.0.0.prompt.yaml"),
        ),
        (
            "/files/0/path",
            serde_json::json!("classify/sentiment.prompt.yaml"),
        ),
        ("/files/0/blob", serde_json::json!("e".repeat(39))),
        ("/files/0/version", serde_json::json!("2.0")),
        ("/files/0/extra", serde_json::json!("x")),
        (
            "/prompts/support~1triage/split/0/weight",
            serde_json::json!(101),
        ),
        (
            "/prompts/support~1triage/split/0/version",
            serde_json::json!("^1"),
        ),
    ] {
        let mut value = manifest.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        value
            .pointer_mut(parent)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .insert(key.replace("~1", "/"), bad.clone());
        assert!(!validator.is_valid(&value), "{pointer} = {bad} accepted");
    }
    let mut value = manifest.clone();
    value["prompts"]
        .as_object_mut()
        .unwrap()
        .insert("Bad Name".into(), serde_json::json!("1.0.0"));
    assert!(!validator.is_valid(&value));
    let mut value = manifest;
    value.as_object_mut().unwrap().remove("lockfile_sha256");
    assert!(!validator.is_valid(&value));
}

#[test]
fn verify_against_checks_a_bundle_with_a_split() {
    let repo = exported_split();
    repo.run(&["verify", "--against", "out"])
        .ok()
        .stdout_has("out: 4 file(s) match manifest.json (environment canary)");
    let pristine = repo.files();
    let arm = "out/support/triage@1.1.0.prompt.yaml";

    // Changed bytes in one arm.
    repo.write(arm, repo.read(arm) + "# injected\n");
    repo.run(&["verify", "--against", "out"])
        .code(1)
        .stdout_has(&format!(
            "SECURITY: support/triage 1.1.0: support/triage@1.1.0.prompt.yaml: sha256 mismatch: manifest.json lists {}, the file has ",
            field(&repo, "support/triage", "1.1.0", "sha256")
        ))
        .stdout_has("out: 1 problem(s) in 4 file(s)");

    // A missing arm, an extra file the manifest does not list.
    repo.run(&["export", "--env", "canary", "--out", "out", "--force"])
        .ok();
    assert_eq!(repo.files(), pristine);
    repo.remove("out/support/triage@1.0.0.prompt.yaml");
    repo.write("out/support/triage@9.9.9.prompt.yaml", "x");
    repo.run(&["verify", "--against", "out"])
        .code(1)
        .stdout_has("SECURITY: support/triage 1.0.0: support/triage@1.0.0.prompt.yaml: listed in manifest.json but missing")
        .stdout_has("SECURITY: support/triage@9.9.9.prompt.yaml: not listed in manifest.json");
    let json = repo.run(&["verify", "--against", "out", "--format", "json"]);
    json.code(1);
    let kinds = problem_kinds(&json);
    assert_eq!(
        kinds,
        vec![
            "file-missing support/triage 1.0.0",
            "unexpected-file support/triage@9.9.9.prompt.yaml"
        ]
    );

    // A manifest that drops an arm's file: the split names a version with
    // no file, and the file is no longer listed.
    repo.run(&["export", "--env", "canary", "--out", "out", "--force"])
        .ok();
    let text = repo.read("out/manifest.json");
    let mut manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    manifest["files"].as_array_mut().unwrap().remove(2);
    repo.write(
        "out/manifest.json",
        serde_json::to_string_pretty(&manifest).unwrap(),
    );
    let json = repo.run(&["verify", "--against", "out", "--format", "json"]);
    json.code(1);
    let kinds: Vec<String> = json.json()["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {}: {}",
                p["kind"].as_str().unwrap(),
                p["subject"].as_str().unwrap(),
                p["message"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            "inconsistent-manifest manifest.json: support/triage 1.1.0 is deployed but has no file",
            "unexpected-file support/triage@1.1.0.prompt.yaml: not listed in manifest.json"
        ]
    );

    // A manifest of a format this promptreg does not read (exit 1, said
    // clearly), and one of the old format without manifest_version.
    manifest = serde_json::from_str(&text).unwrap();
    manifest["manifest_version"] = serde_json::json!(3);
    repo.write(
        "out/manifest.json",
        serde_json::to_string_pretty(&manifest).unwrap(),
    );
    repo.run(&["verify", "--against", "out"])
        .code(1)
        .stdout_has("SECURITY: out cannot be read: out/manifest.json: manifest_version 3 is not supported: this promptreg reads version 2")
        .stderr_has("hint: write the directory again with `promptreg export`");
    let json = repo.run(&["verify", "--against", "out", "--format", "json"]);
    json.code(1);
    assert_eq!(json.json()["ok"], false);
    assert!(json.json()["unreadable"]
        .as_str()
        .unwrap()
        .contains("manifest_version 3 is not supported"));
    repo.write(
        "out/manifest.json",
        r#"{"environment": "canary", "lockfile_version": 1, "prompts": {}}"#,
    );
    repo.run(&["verify", "--against", "out"])
        .code(1)
        .stdout_has("out/manifest.json is not a valid manifest: has no manifest_version: it was written by an older promptreg; export the bundle again");
}

#[test]
fn a_failed_export_leaves_no_directory() {
    let repo = registry();
    repo.write("promptreg.yaml", SPLIT_CONFIG);
    lock(&repo);
    repo.write("build/keep.txt", "keep");
    // The last arm's bytes do not match the lockfile: nothing is written,
    // not even the arms that did match.
    let real = field(&repo, "support/triage", "1.2.0", "sha256");
    edit_lockfile(&repo, &real, &"0".repeat(64));
    repo.run(&["export", "--env", "canary", "--out", "build/out"])
        .code(2)
        .stderr_has("SECURITY: support/triage 1.2.0: sha256 mismatch")
        .stderr_has("hint: run `promptreg verify`");
    assert!(!repo.file("build/out").exists());
    assert_eq!(leftovers(&repo.file("build")), Vec::<String>::new());
    lock(&repo);

    // A split whose weights were edited to not sum to 100.
    edit_lockfile(&repo, "weight: 60", "weight: 61");
    repo.run(&["export", "--env", "canary", "--out", "build/out"])
        .code(2)
        .stderr_has("refusing to export `canary`: support/triage is split between versions")
        .stderr_has("sum to 101, not 100")
        .stderr_has("hint: prompts.lock was edited by hand: run `promptreg lock`");
    assert!(!repo.file("build/out").exists());
    lock(&repo);

    // Interrupted once every file is written, before the rename: no
    // directory, or the old one intact.
    let interrupted = |args: &[&str]| {
        run(repo
            .cmd()
            .env("PROMPTREG_FAIL_BEFORE_RENAME", "1")
            .args(args))
    };
    interrupted(&["export", "--env", "canary", "--out", "build/out"])
        .code(2)
        .stderr_has("interrupted before the rename");
    assert!(!repo.file("build/out").exists());
    assert_eq!(leftovers(&repo.file("build")), Vec::<String>::new());
    repo.run(&["export", "--env", "production", "--out", "build/out"])
        .ok();
    let before = repo.files();
    interrupted(&["export", "--env", "canary", "--out", "build/out", "--force"])
        .code(2)
        .stderr_has("interrupted before the rename");
    assert_eq!(repo.files(), before);
    assert_eq!(leftovers(&repo.file("build")), Vec::<String>::new());
    assert_eq!(
        read_manifest(&repo, "build/out")["environment"],
        "production"
    );
    repo.run(&["verify", "--against", "build/out"]).ok();

    // Before the first commit there is no registry commit to export from.
    let empty = TestRepo::new();
    empty.run(&["lock"]).ok();
    empty
        .run(&["export", "--env", "default", "--out", "out"])
        .code(2)
        .stderr_has("the mainline (HEAD) has no commit")
        .stderr_has("hint: commit the prompts");
    assert!(!empty.file("out").exists());
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
    // A version that is a path would put the file elsewhere too.
    let evil = evil
        .replace("../evil", "support/triage")
        .replace("1.1.0", "1.1.0/../../../evil");
    repo.write("prompts.lock", &evil);
    repo.run(&["export", "--env", "production", "--out", "deploy/out"])
        .code(2)
        .stderr_has(
            "refusing to export support/triage `1.1.0/../../../evil`: it is not a SemVer version",
        )
        .stderr_has("hint: prompts.lock was edited by hand");
    assert!(!repo.file("deploy/out").exists());
    assert!(!repo.file("evil.prompt.yaml").exists());
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
    assert!(repo
        .file("out/support/triage@2.0.0-rc.1.prompt.yaml")
        .is_file());
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
        "out/support/triage@1.1.0.prompt.yaml",
        repo.read("out/support/triage@1.1.0.prompt.yaml") + "# injected\n",
    );
    let run = repo.run(&["verify", "--against", "out"]);
    run.code(1)
        .stdout_has(
            "SECURITY: support/triage 1.1.0: support/triage@1.1.0.prompt.yaml: sha256 mismatch: manifest.json lists ",
        )
        .stdout_has("out: 1 problem(s) in 3 file(s)");

    // A missing file, an unexpected one.
    repo.run(&["export", "--env", "production", "--out", "out", "--force"])
        .ok();
    assert_eq!(repo.files(), pristine);
    repo.remove("out/summarize/article@1.0.0.prompt.yaml");
    repo.write("out/extra.prompt.yaml", "x");
    let json = repo.run(&["verify", "--against", "out", "--format", "json"]);
    json.code(1);
    let kinds = problem_kinds(&json);
    assert_eq!(
        kinds,
        vec![
            "file-missing summarize/article 1.0.0",
            "unexpected-file extra.prompt.yaml"
        ]
    );
    // A file whose bytes match a tampered manifest but are not a valid
    // prompt of the listed version.
    repo.run(&["export", "--env", "production", "--out", "out", "--force"])
        .ok();
    let fake = "version: 1.1.0\n";
    repo.write("out/support/triage@1.1.0.prompt.yaml", fake);
    let manifest = repo.read("out/manifest.json");
    repo.write(
        "out/manifest.json",
        manifest.replace(
            &field(&repo, "support/triage", "1.1.0", "sha256"),
            &promptreg_core::digest::sha256_hex(fake.as_bytes()),
        ),
    );
    let json = repo.run(&["verify", "--against", "out", "--format", "json"]);
    json.code(1);
    assert_eq!(json.json()["problems"][0]["kind"], "invalid-prompt");
    assert_eq!(
        json.json()["problems"][0]["subject"],
        "support/triage 1.1.0"
    );

    // A manifest path that leaves the directory.
    repo.run(&["export", "--env", "production", "--out", "out", "--force"])
        .ok();
    let manifest = repo.read("out/manifest.json");
    repo.write(
        "out/manifest.json",
        manifest.replace(
            "\"support/triage@1.1.0.prompt.yaml\"",
            "\"../promptreg.yaml\"",
        ),
    );
    repo.run(&["verify", "--against", "out"])
        .code(1)
        .stdout_has("SECURITY: support/triage 1.1.0: ../promptreg.yaml: the file of support/triage 1.1.0 must be at `support/triage@1.1.0.prompt.yaml`")
        .stdout_has("SECURITY: support/triage@1.1.0.prompt.yaml: not listed in manifest.json");
    // A symbolic link where a listed file should be, even to the right bytes.
    #[cfg(unix)]
    {
        repo.write("out/manifest.json", &manifest);
        let file = repo.file("out/support/triage@1.1.0.prompt.yaml");
        std::fs::rename(&file, repo.file("elsewhere.prompt.yaml")).unwrap();
        std::os::unix::fs::symlink(repo.file("elsewhere.prompt.yaml"), &file).unwrap();
        repo.run(&["verify", "--against", "out"])
            .code(1)
            .stdout_has("SECURITY: support/triage 1.1.0: support/triage@1.1.0.prompt.yaml: is, or is inside, a symbolic link");
        std::fs::remove_file(&file).unwrap();
        std::fs::rename(repo.file("elsewhere.prompt.yaml"), &file).unwrap();
        repo.run(&["verify", "--against", "out"]).ok();
    }

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
        .stderr_has("promptreg.yaml:3:3: error[environment-name]: environment name `Prod`");
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
    assert!(repo
        .file("out/summarize/article@0.2.1.prompt.yaml")
        .is_file());
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
    // Both arms are exported, with their weights in the manifest.
    repo.run(&["export", "--env", "production", "--out", "out"])
        .ok();
    assert!(repo.file("out/support/triage@1.0.0.prompt.yaml").is_file());
    assert!(repo.file("out/support/triage@1.1.0.prompt.yaml").is_file());
    assert_eq!(
        read_manifest(&repo, "out")["prompts"]["support/triage"],
        serde_json::json!({"split": [
            {"version": "1.0.0", "weight": 90},
            {"version": "1.1.0", "weight": 10}
        ]})
    );
    repo.run(&["verify", "--against", "out"]).ok();
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
    repo.write("promptreg.yaml", SPLIT_CONFIG);
    lock(&repo);
    let files = [
        "classify/sentiment@2.0.0.prompt.yaml",
        "support/triage@1.0.0.prompt.yaml",
        "support/triage@1.1.0.prompt.yaml",
        "support/triage@1.2.0.prompt.yaml",
    ];
    repo.run(&["export", "--env", "canary", "--out", "exported"])
        .ok();

    // The deploy script reads prompts.lock and `git cat-file`s each blob,
    // every arm of the split included.
    let deploy = readme_block("#!/usr/bin/env python3\n\"\"\"Write the prompt files");
    let out = python(repo.path(), &deploy, &["canary", "from-python"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in files {
        assert_eq!(
            std::fs::read(repo.file("from-python").join(file)).unwrap(),
            std::fs::read(repo.file("exported").join(file)).unwrap(),
            "{file}"
        );
    }
    // Tampering stops it.
    let sha = field(&repo, "support/triage", "1.1.0", "sha256");
    edit_lockfile(&repo, &sha, &"0".repeat(64));
    let out = python(repo.path(), &deploy, &["canary", "tampered"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("SECURITY: support/triage 1.1.0: sha256 mismatch"));

    // The runtime loader reads manifest.json and checks every sha256; with
    // the README's `pick`, a key gets the arm `promptreg pick` gives it.
    let pick = readme_block("import hashlib\n\ndef pick(lock, name, env, key):");
    let loader = readme_block("import hashlib, json, pathlib, re").replace(
        "MANIFEST, PROMPTS = load_bundle(\"/srv/prompts\")",
        &format!(
            "{pick}\nMANIFEST, PROMPTS = load_bundle(\"exported\")\n\
             lock = {{\"environments\": {{MANIFEST[\"environment\"]: MANIFEST[\"prompts\"]}}}}\n\
             picked = {{k: pick(lock, \"support/triage\", MANIFEST[\"environment\"], k) for k in [\"u1\", \"u2\", \"u3\", \"u4\"]}}\n\
             print(json.dumps({{\"files\": sorted(f\"{{n}}@{{v}}\" for (n, v), p in PROMPTS.items() if p[\"version\"] == v), \"picked\": picked}}, sort_keys=True))"
        ),
    );
    let out = python(repo.path(), &loader, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        got["files"],
        serde_json::json!([
            "classify/sentiment@2.0.0",
            "support/triage@1.0.0",
            "support/triage@1.1.0",
            "support/triage@1.2.0"
        ])
    );
    for key in ["u1", "u2", "u3", "u4"] {
        let cli = repo.run(&["pick", "support/triage", "--env", "canary", "--key", key]);
        cli.ok();
        assert_eq!(
            got["picked"][key].as_str().unwrap(),
            cli.stdout.trim(),
            "{key}"
        );
    }
    // A changed file, or a manifest of another format, is refused.
    let file = "exported/support/triage@1.2.0.prompt.yaml";
    let original = repo.read(file);
    repo.write(file, original.clone() + "\n");
    let out = python(repo.path(), &loader, &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("support/triage 1.2.0: sha256 mismatch"));
    repo.write(file, original);
    let manifest = repo.read("exported/manifest.json");
    repo.write(
        "exported/manifest.json",
        manifest.replace("\"manifest_version\": 2", "\"manifest_version\": 3"),
    );
    let out = python(repo.path(), &loader, &[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported manifest_version 3"));
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
    assert!(repo.file("out/a@1.0.0.prompt.yaml").is_file());
    repo.run(&["verify", "--against", "out"]).ok();
}

/// `verify --format json`'s problems as `KIND SUBJECT` lines.
fn problem_kinds(run: &Run) -> Vec<String> {
    run.json()["problems"]
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
        .collect()
}
