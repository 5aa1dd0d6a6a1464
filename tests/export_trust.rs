//! Exports trust only history: `export` writes a file only when the history
//! says that exact blob at that path is the release of that version.

mod common;
use common::*;

const CONFIG: &str = "prompts_dir: prompts\nenvironments:\n  production:\n    \"*\": latest\n";

fn registry() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("promptreg.yaml", CONFIG);
    repo.prompt("a", &text_prompt("0.1.0", &["0.1.0"], "One"));
    repo.commit("a 0.1.0");
    repo.prompt("a", &text_prompt("0.2.0", &["0.2.0", "0.1.0"], "Two"));
    repo.commit("a 0.2.0");
    repo.run(&["lock"]).ok();
    repo.commit("lock");
    repo
}

/// The lockfile with a's entry's `key:` lines replaced.
fn edit(repo: &TestRepo, changes: &[(&str, String)]) {
    let text = repo.read("prompts.lock");
    let out: Vec<String> = text
        .lines()
        .map(|l| {
            for (key, value) in changes {
                if l.trim_start().starts_with(&format!("{key}:")) {
                    let indent = &l[..l.len() - l.trim_start().len()];
                    return format!("{indent}{key}: {value}");
                }
            }
            l.to_string()
        })
        .collect();
    repo.write("prompts.lock", out.join("\n") + "\n");
}

fn refused(repo: &TestRepo, what: &str) {
    let run = repo.run(&["export", "--env", "production", "--out", "out"]);
    assert_ne!(run.code, 0, "{what}: exported:\n{}", run.stdout);
    assert!(
        !repo.file("out").exists() || std::fs::read_dir(repo.file("out")).unwrap().count() == 0,
        "{what}: files were written"
    );
}

fn blob(repo: &TestRepo, rev: &str, path: &str) -> (String, String) {
    let id = repo.git(&["rev-parse", &format!("{rev}:{path}")]);
    let bytes = repo.git(&["cat-file", "blob", &id]) + "\n";
    (id, promptreg_core::digest::sha256_hex(bytes.as_bytes()))
}

#[test]
fn an_unreleased_side_branch_blob_is_not_exported() {
    let repo = registry();
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.prompt(
        "a",
        &text_prompt("0.3.0", &["0.3.0", "0.2.0", "0.1.0"], "Side"),
    );
    let side = repo.commit("a 0.3.0 on a side branch");
    repo.git(&["checkout", "-q", "main"]);
    let (id, sha) = blob(&repo, &side, "prompts/a.prompt.yaml");
    edit(
        &repo,
        &[
            ("version", "0.3.0".into()),
            ("commit", side),
            ("blob", id),
            ("sha256", sha),
            ("a", "0.3.0".into()),
        ],
    );
    assert!(repo.read("prompts.lock").contains("    a: 0.3.0\n"));
    refused(&repo, "side-branch blob");
}

#[test]
fn old_bytes_under_a_newer_version_are_not_exported() {
    let repo = registry();
    let first = repo.git(&["rev-parse", "HEAD~2"]);
    let (id, sha) = blob(&repo, &first, "prompts/a.prompt.yaml");
    edit(&repo, &[("blob", id), ("sha256", sha)]);
    refused(&repo, "0.1.0's bytes labelled 0.2.0");
}

#[test]
fn promptreg_yaml_is_not_exported_as_a_prompt() {
    let repo = registry();
    let (id, sha) = blob(&repo, "HEAD", "promptreg.yaml");
    edit(
        &repo,
        &[
            ("path", "promptreg.yaml".into()),
            ("blob", id),
            ("sha256", sha),
        ],
    );
    refused(&repo, "promptreg.yaml as a prompt");
}
