//! `promptreg doctor`: each check, and the fix it names.

mod common;
use common::*;

fn checks(repo: &TestRepo, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["doctor", "--format", "json"];
    all.extend_from_slice(args);
    let out = repo.run(&all);
    (out.code, out.json())
}

fn status_of(report: &serde_json::Value, check: &str) -> String {
    report
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == check)
        .unwrap_or_else(|| panic!("no check `{check}` in {report}"))["status"]
        .as_str()
        .unwrap()
        .to_string()
}

fn healthy() -> TestRepo {
    let repo = TestRepo::new();
    repo.prompt("a", &text_prompt("1.0.0", &["1.0.0"], "A"));
    repo.commit("c1");
    repo.run(&["lock"]).ok();
    repo.run(&["doctor", "--fix"]);
    repo.commit("lock");
    repo
}

#[test]
fn a_healthy_registry_passes_every_check() {
    let repo = healthy();
    let (code, report) = checks(&repo, &[]);
    assert_eq!(code, 0, "{report}");
    for check in [
        "config",
        "git identity",
        "prompt files",
        "editor schemas",
        "git repository",
        "history depth",
        "history cache",
        "history",
        "lockfile",
        "blob helper",
    ] {
        assert_eq!(status_of(&report, check), "ok", "{check}: {report}");
    }
    repo.run(&["doctor"])
        .ok()
        .stdout_has("lockfile")
        .stdout_has("prompts.lock is up to date");
}

#[test]
fn problems_are_named_with_their_fix() {
    let repo = healthy();
    // A stale lockfile and an invalid prompt are problems: exit 1.
    repo.prompt("b", &text_prompt("1.0.0", &["1.0.0"], "B"));
    repo.commit("release b");
    repo.prompt("broken", "version: [\n");
    let (code, report) = checks(&repo, &[]);
    assert_eq!(code, 1);
    assert_eq!(status_of(&report, "lockfile"), "problem");
    assert_eq!(status_of(&report, "prompt files"), "problem");
    let text = report.to_string();
    assert!(
        text.contains("promptreg lock") && text.contains("promptreg validate"),
        "{text}"
    );
}

#[test]
fn warnings_do_not_fail() {
    let repo = healthy();
    // No Git identity, a damaged cache, missing editor schemas: warnings.
    repo.git(&["config", "--unset", "user.name"]);
    std::fs::remove_dir_all(repo.file(".promptreg")).unwrap();
    repo.run(&["log"]).ok();
    for entry in std::fs::read_dir(repo.file(".git/promptreg")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "bin") {
            std::fs::write(path, b"garbage").unwrap();
        }
    }
    let (code, report) = checks(&repo, &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(status_of(&report, "git identity"), "warning");
    assert_eq!(status_of(&report, "history cache"), "warning");
    assert_eq!(status_of(&report, "editor schemas"), "warning");
    // --fix writes the schemas.
    let (_, report) = checks(&repo, &["--fix"]);
    assert_eq!(status_of(&report, "editor schemas"), "ok");
    assert!(repo.file(".promptreg/schemas/prompt.schema.json").exists());
}

#[test]
fn a_shallow_clone_is_a_problem() {
    let origin = healthy();
    origin.prompt("a", &text_prompt("1.1.0", &["1.1.0", "1.0.0"], "A2"));
    origin.commit("c2");
    let clone = origin.shallow_clone();
    let (code, report) = checks(&clone, &[]);
    assert_eq!(code, 1);
    assert_eq!(status_of(&report, "history depth"), "problem");
    assert!(report.to_string().contains("git fetch --unshallow"));
}

#[test]
fn an_unknown_blob_helper_setting_is_a_warning() {
    let repo = healthy();
    for (value, status) in [("of", "warning"), ("off", "ok"), ("always", "ok")] {
        let out = run(repo
            .cmd()
            .env("PROMPTREG_BLOB_HELPER", value)
            .args(["doctor", "--format", "json"]));
        out.ok();
        let report = out.json();
        assert_eq!(
            status_of(&report, "blob helper"),
            status,
            "{value}: {report}"
        );
    }
}

#[test]
fn doctor_suggests_a_commit_graph_with_bloom_filters() {
    let repo = healthy();
    let finding = |repo: &TestRepo| {
        let (code, report) = checks(repo, &[]);
        assert_eq!(code, 0, "{report}");
        report
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == "commit-graph")
            .cloned()
            .unwrap_or_else(|| panic!("no commit-graph check in {report}"))
    };
    // None: a warning that says what one would gain and how to write it.
    let none = finding(&repo);
    assert_eq!(none["status"], "warning", "{none}");
    assert_eq!(
        none["fix"], "git commit-graph write --reachable --changed-paths",
        "{none}"
    );
    assert!(
        none["detail"].as_str().unwrap().contains("Bloom filters"),
        "{none}"
    );
    // A commit-graph without Bloom filters gains little: still a warning.
    repo.git(&["commit-graph", "write", "--reachable"]);
    let plain = finding(&repo);
    assert_eq!(plain["status"], "warning", "{plain}");
    assert!(
        plain["detail"]
            .as_str()
            .unwrap()
            .contains("no changed-path Bloom filters"),
        "{plain}"
    );
    // With them: ok, and still ok once the head moves past the graph.
    repo.git(&["commit-graph", "write", "--reachable", "--changed-paths"]);
    assert_eq!(finding(&repo)["status"], "ok");
    repo.prompt("b", &text_prompt("1.0.0", &["1.0.0"], "B"));
    repo.commit("release b");
    repo.run(&["lock"]).ok();
    repo.commit("lock b");
    let behind = finding(&repo);
    assert_eq!(behind["status"], "ok", "{behind}");
    assert!(
        behind["detail"].as_str().unwrap().contains("newer"),
        "{behind}"
    );
    // Git's own switch turns it off for promptreg too.
    repo.git(&["config", "core.commitGraph", "false"]);
    let off = finding(&repo);
    assert_eq!(off["status"], "ok", "{off}");
    assert!(
        off["detail"].as_str().unwrap().contains("not used"),
        "{off}"
    );
}
