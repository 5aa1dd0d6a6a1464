//! The history cache under `.git/promptreg/`: used when warm, extended when
//! the ref moves forward, rebuilt when history is rewritten or the file is
//! damaged, safe under concurrent runs, never in the working tree.

mod common;
use common::*;
use std::path::PathBuf;

fn cache_files(repo: &TestRepo) -> Vec<PathBuf> {
    let dir = repo.file(".git/promptreg");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .collect();
    files.sort();
    files
}

fn log_json(repo: &TestRepo, extra: &[&str]) -> String {
    let mut args = vec!["log", "--format", "json"];
    args.extend_from_slice(extra);
    let out = repo.run(&args);
    out.ok();
    out.stdout
}

fn history_repo() -> TestRepo {
    let repo = TestRepo::new();
    for (i, v) in ["1.0.0", "1.1.0", "1.2.0"].iter().enumerate() {
        repo.prompt(
            "a",
            &text_prompt(v, &["1.2.0", "1.1.0", "1.0.0"][2 - i..], &format!("A{i}")),
        );
        repo.prompt(
            "b",
            &text_prompt(
                &format!("0.{}.0", i + 1),
                &[&format!("0.{}.0", i + 1)],
                &format!("B{i}"),
            ),
        );
        repo.commit(&format!("c{i}"));
    }
    repo
}

#[test]
fn warm_runs_use_the_cache_and_agree_with_a_cold_walk() {
    let repo = history_repo();
    let cold = log_json(&repo, &["--no-cache"]);
    assert!(
        cache_files(&repo).is_empty(),
        "--no-cache must not write a cache"
    );
    let first = log_json(&repo, &[]);
    assert_eq!(first, cold);
    let files = cache_files(&repo);
    assert_eq!(files.len(), 1);
    let written = std::fs::metadata(&files[0]).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(log_json(&repo, &[]), cold);
    // A warm run reads the cache and does not rewrite it.
    assert_eq!(
        std::fs::metadata(&files[0]).unwrap().modified().unwrap(),
        written
    );
    // Never in the working tree.
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

#[test]
fn the_cache_extends_when_the_ref_moves_forward() {
    let repo = history_repo();
    log_json(&repo, &[]);
    repo.prompt(
        "a",
        &text_prompt("1.3.0", &["1.3.0", "1.2.0", "1.1.0", "1.0.0"], "A3"),
    );
    repo.commit("c3");
    let warm = log_json(&repo, &[]);
    assert!(warm.contains("\"1.3.0\""));
    assert_eq!(warm, log_json(&repo, &["--no-cache"]));
}

#[test]
fn a_rewritten_history_rebuilds_the_cache() {
    let repo = history_repo();
    log_json(&repo, &[]);
    repo.git(&["reset", "-q", "--hard", "HEAD~2"]);
    repo.prompt("c", &text_prompt("5.0.0", &["5.0.0"], "C"));
    repo.commit("rewritten");
    let warm = log_json(&repo, &[]);
    assert!(!warm.contains("\"1.2.0\""), "{warm}");
    assert!(warm.contains("\"5.0.0\""));
    assert_eq!(warm, log_json(&repo, &["--no-cache"]));
}

#[test]
fn a_damaged_cache_is_ignored_and_rebuilt() {
    let repo = history_repo();
    let cold = log_json(&repo, &["--no-cache"]);
    log_json(&repo, &[]);
    let file = cache_files(&repo).remove(0);
    for garbage in [&b"not a cache"[..], &[], &[0xff; 4096][..]] {
        std::fs::write(&file, garbage).unwrap();
        assert_eq!(log_json(&repo, &[]), cold);
        assert_ne!(
            std::fs::read(&file).unwrap(),
            garbage,
            "the cache is rewritten"
        );
    }
    // Truncated to half its bytes.
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    assert_eq!(log_json(&repo, &[]), cold);
}

#[test]
fn concurrent_runs_do_not_corrupt_the_cache() {
    let repo = history_repo();
    let cold = log_json(&repo, &["--no-cache"]);
    let children: Vec<_> = (0..8)
        .map(|_| {
            repo.cmd()
                .args(["log", "--format", "json"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8(out.stdout).unwrap(), cold);
    }
    assert_eq!(log_json(&repo, &[]), cold);
    // No temporary files left behind.
    let leftovers: Vec<_> = std::fs::read_dir(repo.file(".git/promptreg"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| !n.to_string_lossy().ends_with(".bin"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn an_unwritable_cache_only_costs_speed() {
    let repo = history_repo();
    let cold = log_json(&repo, &["--no-cache"]);
    // A file where the cache directory goes: nothing can be written there,
    // even by root (for whom a read-only mode changes nothing).
    repo.write(".git/promptreg", "not a directory");
    assert_eq!(log_json(&repo, &[]), cold);
    repo.run(&["lock"]).ok();
    repo.run(&["lock", "--locked"]).ok();
    assert_eq!(repo.read(".git/promptreg"), "not a directory");
}

#[test]
fn a_shallow_clone_uses_no_cache_so_unshallowing_changes_no_answer() {
    let repo = history_repo();
    let clone = repo.shallow_clone();
    let shallow = clone.run(&["--allow-shallow", "log", "a", "--format", "json"]);
    shallow.ok();
    assert!(
        cache_files(&clone).is_empty(),
        "a shallow history was cached"
    );
    clone.run(&["--allow-shallow", "lock"]).ok();
    assert!(!clone.file(".git/promptreg/lock-memo.json").exists());
    clone.git(&["fetch", "-q", "--unshallow"]);
    let warm = clone.run(&["log", "a", "--format", "json"]);
    let cold = clone.run(&["log", "a", "--format", "json", "--no-cache"]);
    assert_eq!(warm.stdout, cold.stdout);
    assert_ne!(
        warm.stdout, shallow.stdout,
        "unshallowing shows more history"
    );
    let warm = clone.run(&["lock", "--locked"]);
    let cold = clone.run(&["lock", "--locked", "--no-cache"]);
    assert_eq!(warm.code, cold.code, "{}\n{}", warm.stderr, cold.stderr);
}

#[test]
fn a_flipped_byte_anywhere_changes_no_answer() {
    let repo = history_repo();
    let cold = log_json(&repo, &["--no-cache"]);
    let cold_a = log_json(&repo, &["a", "--no-cache"]);
    log_json(&repo, &[]);
    let file = cache_files(&repo).remove(0);
    let good = std::fs::read(&file).unwrap();
    // Every byte is covered by a seal: the index's, or its prompt's, which
    // a one-prompt read checks without reading the others.
    for at in (0..good.len()).step_by(3) {
        let mut bad = good.clone();
        bad[at] ^= 0x20;
        std::fs::write(&file, &bad).unwrap();
        assert_eq!(log_json(&repo, &["a"]), cold_a, "byte {at}");
        std::fs::write(&file, &bad).unwrap();
        assert_eq!(log_json(&repo, &[]), cold, "byte {at}");
    }
}

/// `check` reads from a warm cache only the histories of the prompts that
/// changed, and the lock memo spares it the rest: its answer must be the
/// cold walk's, whether the lockfile is up to date or not.
#[test]
fn a_warm_check_answers_as_a_cold_one() {
    let repo = history_repo();
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nenvironments:\n  prod:\n    \"*\": latest\n",
    );
    repo.run(&["lock"]).ok();
    repo.commit("lock");
    // A new environment makes the lockfile stale; `a` changes at a
    // released version; `c` is new; `b` is untouched.
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nenvironments:\n  prod:\n    \"*\": latest\n  staging:\n    \"*\": latest\n",
    );
    repo.prompt(
        "a",
        &text_prompt("1.2.0", &["1.2.0", "1.1.0", "1.0.0"], "A edited"),
    );
    repo.prompt("c", &text_prompt("1.0.0", &["1.0.0"], "C"));
    let check = |extra: &[&str]| {
        let mut args = vec!["check", "--base", "HEAD~2", "--format", "json"];
        args.extend_from_slice(extra);
        let out = repo.run(&args);
        out.code(1);
        out.stdout
    };
    let cold = check(&["--no-cache"]);
    let rules = prompt_rules(&serde_json::from_str(&cold).unwrap());
    assert!(
        rules.iter().any(|(prompt, _)| prompt == "a"),
        "the edit of a released version is a finding: {rules:?}"
    );
    assert!(
        rules.iter().any(|(_, rule)| rule == "lockfile-stale"),
        "the new environment makes the lockfile stale: {rules:?}"
    );
    assert_eq!(check(&[]), cold, "the run that writes the cache");
    assert_eq!(check(&[]), cold, "the run that reads it");
    assert_eq!(check(&["--no-lock"]), check(&["--no-lock", "--no-cache"]));
    // With the lockfile current, a warm run trusts the lock memo and still
    // reads only `a`'s and `c`'s histories.
    repo.run(&["lock"]).ok();
    let cold = check(&["--no-cache"]);
    assert!(!cold.contains("lockfile-stale"), "{cold}");
    assert_eq!(check(&[]), cold);
    assert_eq!(check(&[]), cold);
    // One changed prompt and no lockfile check: a cold run walks only that
    // prompt's path.
    repo.remove("prompts/c.prompt.yaml");
    let cold = check(&["--no-lock", "--no-cache"]);
    assert!(cold.contains("version-already-released"), "{cold}");
    assert_eq!(check(&["--no-lock"]), cold);
}
