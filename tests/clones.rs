//! Shallow (`--depth 1`) and partial (`--filter=blob:none`) clones, as CI
//! checkouts make them: with `--fetch` (or `CI=true`) `check`, `lock
//! --locked`, `verify`, `log` and `export` give the full clone's answers;
//! without, the error names the situation and its fix. The remotes are
//! `file://` URLs of a repository that allows filters.

mod common;
use common::*;

/// A registry with history: two prompts over several releases, a lockfile
/// for two environments, and a last commit that changes `b` without a bump
/// (so `check --base HEAD~1` has a finding).
fn origin() -> TestRepo {
    let repo = TestRepo::new();
    repo.git(&["config", "uploadpack.allowFilter", "true"]);
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nenvironments:\n  production:\n    \"*\": latest\n  staging:\n    \"*\": latest-pre\n",
    );
    repo.prompt("a", &text_prompt("1.0.0", &["1.0.0"], "Hello"));
    repo.prompt("b", &text_prompt("0.1.0", &["0.1.0"], "Bee"));
    repo.commit("two prompts");
    repo.prompt("a", &text_prompt("1.0.1", &["1.0.1", "1.0.0"], "Hello!"));
    repo.commit("a 1.0.1");
    repo.prompt(
        "a",
        &text_prompt("1.1.0", &["1.1.0", "1.0.1", "1.0.0"], "Hello!!"),
    );
    repo.prompt("b", &text_prompt("0.2.0", &["0.2.0", "0.1.0"], "Bee!"));
    repo.commit("a 1.1.0, b 0.2.0");
    repo.run(&["lock"]).ok();
    repo.commit("lock");
    repo.prompt("b", &text_prompt("0.2.0", &["0.2.0", "0.1.0"], "Bee?"));
    repo.commit("b changed without a bump");
    repo
}

fn clone_with(origin: &TestRepo, args: &[&str]) -> TestRepo {
    let clone = TestRepo::empty();
    let url = format!("file://{}", origin.path().display());
    let mut all = vec!["clone", "-q"];
    all.extend_from_slice(args);
    all.push(&url);
    all.push(".");
    clone.git(&all);
    clone
}

/// The answers compared between clones: JSON outputs and exit codes.
fn answers(repo: &TestRepo, extra: &[&str]) -> Vec<(i32, String)> {
    let out_dir = repo.path().join("bundle");
    let out = out_dir.to_str().unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec!["log", "--format", "json"],
        vec!["lock", "--locked"],
        vec!["verify", "--format", "json"],
        vec!["check", "--base", "HEAD~1", "--format", "json"],
        vec![
            "check", "--base", "HEAD~3", "--head", "HEAD~1", "--format", "json",
        ],
        vec![
            "export",
            "--env",
            "production",
            "--out",
            out,
            "--force",
            "--format",
            "json",
        ],
    ];
    commands
        .into_iter()
        .map(|args| {
            let mut all: Vec<&str> = extra.to_vec();
            all.extend(args);
            let run = repo.run(&all);
            assert!(
                run.code != 2,
                "promptreg {all:?} could not run:\n{}",
                run.stderr
            );
            // Paths differ between the clones; everything else must not.
            let stdout = run.stdout.replace(repo.path().to_str().unwrap(), "<clone>");
            (run.code, stdout)
        })
        .collect()
}

#[test]
fn a_depth_1_clone_with_fetch_answers_as_a_full_clone_does() {
    let origin = origin();
    let full = clone_with(&origin, &[]);
    let want = answers(&full, &[]);
    assert_eq!(want[3].0, 1, "the unbumped change is found: {:?}", want[3]);

    let shallow = clone_with(&origin, &["--depth", "1"]);
    assert_eq!(
        shallow.git(&["rev-parse", "--is-shallow-repository"]),
        "true"
    );
    assert_eq!(answers(&shallow, &["--fetch"]), want);
    // Deepened without blobs: it is a partial clone now, no longer shallow.
    assert_eq!(
        shallow.git(&["rev-parse", "--is-shallow-repository"]),
        "false"
    );
    assert_eq!(shallow.git(&["config", "remote.origin.promisor"]), "true");
    // And it stays answered without fetching again.
    assert_eq!(answers(&shallow, &[]), want);
}

#[test]
fn a_blobless_clone_with_fetch_answers_as_a_full_clone_does() {
    let origin = origin();
    let want = answers(&clone_with(&origin, &[]), &[]);
    let partial = clone_with(&origin, &["--filter=blob:none"]);
    assert_eq!(answers(&partial, &["--fetch"]), want);
}

#[test]
fn ci_true_fetches_without_the_flag() {
    let origin = origin();
    let want = answers(&clone_with(&origin, &[]), &[]);
    let shallow = clone_with(&origin, &["--depth", "1"]);
    let run = run(shallow
        .cmd()
        .env("CI", "true")
        .args(["log", "--format", "json"]));
    run.ok();
    assert_eq!(run.stdout, want[0].1);
}

#[test]
fn without_permission_a_shallow_clone_is_named_with_its_fix() {
    let origin = origin();
    let shallow = clone_with(&origin, &["--depth", "1"]);
    for args in [
        &["check", "--base", "HEAD"][..],
        &["lock", "--locked"],
        &["log"],
        &["verify"],
    ] {
        let run = shallow.run(args);
        run.code(2)
            .stderr_has("shallow clone")
            .stderr_has("--fetch")
            .stderr_has("fetch-depth: 0");
        assert!(!run.stderr.contains("damaged"), "{}", run.stderr);
    }
    // CI=false is no permission either.
    run(shallow.cmd().env("CI", "false").arg("log")).code(2);
}

#[test]
fn without_permission_a_partial_clone_counts_the_missing_blobs() {
    let origin = origin();
    let partial = clone_with(&origin, &["--filter=blob:none"]);
    // Blobs of older versions are not local: a 1.0.0, a 1.0.1, b 0.1.0,
    // and the 1.1.0/0.2.0 pair replaced by the last commit's b (a 1.1.0
    // is checked out, b 0.2.0 "Bee!" is not).
    let run = partial.run(&["log"]);
    run.code(2)
        .stderr_has("partial clone: 4 prompt blobs are not local")
        .stderr_has("--fetch");
    assert!(!run.stderr.contains("damaged"), "{}", run.stderr);
    let run = partial.run(&["lock", "--locked"]);
    run.code(2).stderr_has("partial clone:");
}

#[test]
fn without_network_the_error_names_the_situation() {
    let origin = origin();
    let shallow = clone_with(&origin, &["--depth", "1"]);
    let partial = clone_with(&origin, &["--filter=blob:none"]);
    // The remote is gone (as a network that is down looks to git).
    drop(origin);
    let run = shallow.run(&["--fetch", "log"]);
    run.code(2)
        .stderr_has("shallow clone: cannot fetch its history from `origin`")
        .stderr_has("fetch-depth: 0");
    assert!(!run.stderr.contains("damaged"), "{}", run.stderr);
    let run = partial.run(&["--fetch", "log"]);
    run.code(2).stderr_has(
        "partial clone: 4 prompt blobs are not local, and fetching them from `origin` failed",
    );
    assert!(!run.stderr.contains("damaged"), "{}", run.stderr);
}

#[test]
fn allow_shallow_still_accepts_the_incomplete_history() {
    let origin = origin();
    let shallow = clone_with(&origin, &["--depth", "1"]);
    shallow.run(&["--allow-shallow", "log"]).ok();
    assert_eq!(
        shallow.git(&["rev-parse", "--is-shallow-repository"]),
        "true"
    );
}
