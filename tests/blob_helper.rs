//! The second process that reads blobs during a cold history walk
//! (`PROMPTREG_BLOB_HELPER`): the history it helps build is the same.

mod common;
use common::*;
use promptreg::history::blob_facts::{facts_of, BlobFacts};
use std::io::{BufRead, Read, Write};
use std::process::{Command, Stdio};

fn v(repo: &TestRepo, name: &str, version: &str, history: &[&str], body: &str) {
    repo.prompt(name, &text_prompt(version, history, body));
}

/// A history with what a walk must get right: prompts in sub-directories,
/// a change without a bump, a revert to bytes seen before, a deleted
/// prompt, a file without a readable version and a pre-release.
fn eventful() -> TestRepo {
    let repo = TestRepo::new();
    for i in 0..6 {
        v(
            &repo,
            &format!("team/p{i}"),
            "1.0.0",
            &["1.0.0"],
            &format!("Prompt {i}."),
        );
    }
    v(&repo, "top", "0.1.0", &["0.1.0"], "Top.");
    repo.commit("start");
    for round in 1..=5 {
        for i in 0..6 {
            let version = format!("1.{round}.0");
            v(
                &repo,
                &format!("team/p{i}"),
                &version,
                &[&version, "1.0.0"],
                &format!("Prompt {i}, round {round}."),
            );
        }
        repo.commit(&format!("round {round}"));
    }
    v(
        &repo,
        "top",
        "0.1.0",
        &["0.1.0"],
        "Top, changed without a bump.",
    );
    repo.commit("no bump");
    v(&repo, "top", "0.1.0", &["0.1.0"], "Top.");
    repo.commit("revert");
    v(
        &repo,
        "top",
        "0.2.0-rc.1",
        &["0.2.0-rc.1", "0.1.0"],
        "Top, candidate.",
    );
    repo.remove("prompts/team/p5.prompt.yaml");
    repo.write(
        "prompts/team/broken.prompt.yaml",
        "version: [not, a, version]\n",
    );
    repo.commit("candidate, deletion, broken file");
    repo
}

fn with_helper(repo: &TestRepo, mode: &str, args: &[&str]) -> Run {
    run(repo
        .cmd()
        .env("PROMPTREG_BLOB_HELPER", mode)
        .arg("--no-cache")
        .args(args))
}

#[test]
fn the_helper_gives_the_same_history_as_reading_alone() {
    let repo = eventful();
    for args in [
        &["log", "--format", "json"][..],
        &["log", "top", "--format", "json"],
        &["status", "--format", "json"],
    ] {
        let alone = with_helper(&repo, "off", args);
        // `strict`: the helper reads every blob, or the command fails.
        let helped = with_helper(&repo, "strict", args);
        let racing = with_helper(&repo, "always", args);
        assert_eq!(alone.code, helped.code, "{args:?}: {}", helped.stderr);
        assert!(!alone.stdout.is_empty(), "{args:?}");
        assert_eq!(alone.stdout, helped.stdout, "{args:?}");
        assert_eq!(alone.stdout, racing.stdout, "{args:?}");
    }
    // The history really has what the fixture claims.
    let log = with_helper(&repo, "strict", &["log", "top", "--format", "json"]);
    let log = log.json();
    let kinds: Vec<&str> = log["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"changed-without-bump"), "{kinds:?}");
    assert_eq!(log["versions"].as_array().unwrap().len(), 2);
    let locked = with_helper(&repo, "strict", &["lock"]);
    locked.ok();
    assert!(repo.read("prompts.lock").contains("team/p0"));
}

#[test]
fn an_object_missing_is_named_whoever_reads_it() {
    let repo = eventful();
    let first = repo.git(&["rev-list", "--max-parents=0", "HEAD"]);
    let blob = repo.git(&["rev-parse", &format!("{first}:prompts/team/p0.prompt.yaml")]);
    std::fs::remove_file(repo.file(&format!(".git/objects/{}/{}", &blob[..2], &blob[2..])))
        .unwrap();
    // The helper stops at the object it cannot read; this process then
    // reads it and says which object is missing.
    for mode in ["always", "off"] {
        let out = with_helper(&repo, mode, &["log"]);
        out.code(2).stderr_has(&blob).stderr_has("missing objects");
    }
    with_helper(&repo, "strict", &["log"])
        .code(2)
        .stderr_has("did not deliver");
}

#[test]
fn the_helper_answers_blob_ids_with_their_facts_in_order() {
    let repo = eventful();
    let ids: Vec<String> = ["team/p0", "top", "team/broken"]
        .iter()
        .map(|n| repo.git(&["rev-parse", &format!("HEAD:prompts/{n}.prompt.yaml")]))
        .collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_promptreg"))
        .arg("__read-blobs")
        .arg(repo.file(".git"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for id in &ids {
        writeln!(stdin, "{id}").unwrap();
    }
    drop(stdin);
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut greeting = String::new();
    out.read_line(&mut greeting).unwrap();
    assert!(
        greeting.starts_with("promptreg-blob-facts 2 "),
        "{greeting}"
    );
    for id in &ids {
        let mut len = [0u8; 4];
        out.read_exact(&mut len).unwrap();
        let mut frame = vec![0; u32::from_le_bytes(len) as usize];
        out.read_exact(&mut frame).unwrap();
        let (got_id, facts): (String, BlobFacts) = postcard::from_bytes(&frame).unwrap();
        assert_eq!(&got_id, id);
        let bytes = Command::new("git")
            .current_dir(repo.path())
            .args(["cat-file", "blob", id])
            .output()
            .unwrap()
            .stdout;
        assert_eq!(facts, facts_of(&bytes));
    }
    assert!(child.wait().unwrap().success());
    let top = facts_of(repo.read("prompts/top.prompt.yaml").as_bytes());
    assert_eq!(top.version.as_deref(), Some("0.2.0-rc.1"));
    let broken = facts_of(repo.read("prompts/team/broken.prompt.yaml").as_bytes());
    assert_eq!(broken.version, None);
}

#[test]
fn the_helper_is_not_in_the_help() {
    let repo = TestRepo::new();
    let help = repo.run(&["--help"]);
    help.ok();
    assert!(!help.stdout.contains("__read-blobs"), "{}", help.stdout);
    assert!(help.stdout.contains("blame"), "the list is there");
}

#[test]
fn the_helper_reads_from_a_linked_worktree_and_an_odd_path() {
    let repo = eventful();
    let parent = tempfile::tempdir().unwrap();
    let linked = parent.path().join("a linked work tree é");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "linked",
        linked.to_str().unwrap(),
    ]);
    let alone = with_helper(&repo, "off", &["log", "--format", "json"]);
    let helped = run(repo
        .cmd()
        .current_dir(&linked)
        .env("PROMPTREG_BLOB_HELPER", "strict")
        .args(["--no-cache", "log", "--format", "json"]));
    helped.ok();
    assert_eq!(alone.stdout, helped.stdout);
}
