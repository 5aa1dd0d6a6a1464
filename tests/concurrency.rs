//! Lost updates (docs/DESIGN.md §5, §9): commands that move a ref do it by
//! compare-and-swap, so concurrent runs either land or say they did not.

mod common;
use common::*;
use std::process::Stdio;

const PROMPTS: usize = 8;

fn registry() -> TestRepo {
    let repo = TestRepo::new();
    for i in 0..PROMPTS {
        repo.prompt(
            &format!("p{i}"),
            &text_prompt("1.0.0", &["1.0.0"], &format!("P{i}")),
        );
    }
    repo.commit("eight prompts");
    repo
}

/// Starts `promptreg ARGS` without waiting.
fn spawn(repo: &TestRepo, args: &[String]) -> std::process::Child {
    repo.cmd()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn concurrent_bump_commit_never_loses_a_release() {
    let repo = registry();
    let (mut runs, mut landed, mut present) = (0, 0, 0);
    let mut refusals: Vec<String> = Vec::new();
    for round in 0..20 {
        let children: Vec<_> = (0..PROMPTS)
            .map(|i| {
                let args: Vec<String> = [
                    format!("p{i}"),
                    "patch".into(),
                    "-m".into(),
                    format!("round {round}"),
                    "--commit".into(),
                    "--format".into(),
                    "json".into(),
                ]
                .into_iter()
                .collect();
                let mut all = vec!["bump".to_string()];
                all.extend(args);
                (i, spawn(&repo, &all))
            })
            .collect();
        for (i, child) in children {
            let out = child.wait_with_output().unwrap();
            runs += 1;
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!stderr.contains("panicked"), "{stderr}");
            match out.status.code() {
                Some(0) => {
                    landed += 1;
                    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                    let commit = report["commit"].as_str().unwrap().to_string();
                    let version = report["version"].as_str().unwrap();
                    let path = format!("prompts/p{i}.prompt.yaml");
                    // The commit is on HEAD's history, and carries the bytes
                    // the run wrote (its version line).
                    let on_head = repo
                        .git_with_path_var(
                            &["merge-base", "--is-ancestor", &commit, "HEAD"],
                            &std::env::var_os("PATH").unwrap(),
                        )
                        .code
                        == 0;
                    let bytes = repo.git(&["show", &format!("{commit}:{path}")]);
                    if on_head && bytes.contains(&format!("version: {version}\n")) {
                        present += 1;
                    }
                }
                Some(2) => refusals.push(stderr.lines().next().unwrap_or("").to_string()),
                _ => {}
            }
            match out.status.code() {
                Some(0) => {}
                Some(2) => assert!(
                    stderr.contains("nothing was committed")
                        || stderr.contains("other changes are staged"),
                    "an exit 2 must say nothing was written:\n{stderr}"
                ),
                other => panic!("exit {other:?}:\n{stderr}"),
            }
        }
        // A failed run left its file as it was: the tree is clean again.
        let status = repo.git(&["status", "--porcelain"]);
        assert!(status.is_empty(), "round {round} left changes:\n{status}");
    }
    eprintln!("bump --commit: {runs} runs, {landed} exits 0, {present} commits present on HEAD");
    for r in &refusals {
        eprintln!("  exit 2: {r}");
    }
    assert_eq!(
        present, landed,
        "a run that exited 0 is not in HEAD's history"
    );
    assert!(landed > 0);
    // And the mainline carries no violation.
    let log = repo.run(&["log", "--format", "json"]);
    log.ok();
    assert!(!log.stdout.contains("version-backwards"), "{}", log.stdout);
    let released: usize = (0..PROMPTS)
        .map(|i| {
            let one = repo.run(&["log", &format!("p{i}"), "--format", "json"]);
            one.json()["versions"].as_array().unwrap().len() - 1
        })
        .sum();
    assert_eq!(released, landed, "every landed bump is a release");
}

#[test]
fn concurrent_score_keeps_every_reported_record() {
    let (mut all_runs, mut all_recorded, mut all_kept) = (0, 0, 0);
    // Each trial starts without a notes ref, so the first writers race to
    // create it, then to move it.
    for trial in 0..5 {
        let (runs, recorded, kept) = score_trial();
        assert_eq!(kept, recorded, "trial {trial}: a reported score is missing");
        assert_eq!(recorded, runs, "trial {trial}: score retries a lost race");
        all_runs += runs;
        all_recorded += recorded;
        all_kept += kept;
    }
    eprintln!("score: {all_runs} runs, {all_recorded} reported recorded, {all_kept} in the note");
}

/// Three rounds of 8 concurrent `score` runs on one fresh registry: (runs,
/// reported recorded, present in the note).
fn score_trial() -> (usize, usize, usize) {
    let repo = registry();
    let release = repo.git(&["rev-parse", "HEAD"]);
    let (mut runs, mut recorded) = (0, Vec::new());
    for round in 0..3 {
        let children: Vec<_> = (0..8)
            .map(|i| {
                let metric = format!("m{round}_{i}");
                let args: Vec<String> = vec![
                    "score".into(),
                    format!("p{i}@1.0.0"),
                    "--metric".into(),
                    format!("{metric}=0.{i}"),
                ];
                (metric, spawn(&repo, &args))
            })
            .collect();
        for (metric, child) in children {
            let out = child.wait_with_output().unwrap();
            runs += 1;
            let stdout = String::from_utf8_lossy(&out.stdout);
            if out.status.code() == Some(0) && stdout.contains("recorded") {
                recorded.push(metric);
            } else {
                assert_eq!(
                    out.status.code(),
                    Some(2),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
    let note = repo.git(&["notes", "--ref", "promptreg", "show", &release]);
    let kept = recorded
        .iter()
        .filter(|m| note.contains(&format!("\"metric\":\"{m}\"")))
        .count();
    (runs, recorded.len(), kept)
}

/// A run that finds another holding promptreg's commit lock waits for it,
/// then commits: the lock serialises `git commit`, it does not refuse.
#[test]
fn bump_commit_waits_for_the_commit_lock() {
    let repo = registry();
    let dir = repo.file(".git/promptreg");
    std::fs::create_dir_all(&dir).unwrap();
    let held = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("commit.lock"))
        .unwrap();
    held.lock().unwrap();
    let args: Vec<String> = ["bump", "p0", "patch", "-m", "held", "--commit"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut child = spawn(&repo, &args);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "bump --commit did not wait for the commit lock"
    );
    held.unlock().unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(repo.git(&["log", "-1", "--format=%s"]).contains("p0 1.0.1"));
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}
