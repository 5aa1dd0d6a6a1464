//! Bounded work (docs/DESIGN.md §2, §4, §8): rendering has a budget, and the
//! history cache and the lock memo are checked for size before they are
//! read whole.

mod common;
use common::*;
use std::path::Path;

/// Runs promptreg under a 1 GiB address-space limit, so that reading a
/// 4 GB file into memory fails (an allocation failure aborts the process).
fn run_limited(repo: &TestRepo, args: &[&str]) -> Run {
    let mut cmd = repo.cmd();
    let program = cmd.get_program().to_owned();
    let mut limited = std::process::Command::new("sh");
    limited
        .arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" \"$@\"")
        .arg(program)
        .args(args)
        .current_dir(repo.path());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => limited.env(k, v),
            None => limited.env_remove(k),
        };
    }
    let _ = &mut cmd;
    run(&mut limited)
}

fn sparse(path: &Path, len: u64) {
    let file = std::fs::File::create(path).unwrap();
    file.set_len(len).unwrap();
}

fn registry() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nenvironments:\n  production:\n    \"*\": latest\n",
    );
    repo.prompt("a", &text_prompt("1.0.0", &["1.0.0"], "Hello"));
    repo.commit("a");
    repo
}

#[test]
fn a_4_gb_history_cache_is_rejected_without_being_read() {
    let repo = registry();
    let cold = repo.run(&["log", "--format", "json", "--no-cache"]);
    cold.ok();
    repo.run(&["log"]).ok();
    let caches: Vec<_> = std::fs::read_dir(repo.file(".git/promptreg"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .collect();
    assert_eq!(caches.len(), 1);
    sparse(&caches[0], 4 << 30);
    run_limited(&repo, &["doctor"]).stdout_has("damaged");
    sparse(&caches[0], 4 << 30);
    let warm = run_limited(&repo, &["log", "--format", "json"]);
    warm.ok();
    assert_eq!(warm.stdout, cold.stdout);
    // Rebuilt in place.
    assert!(std::fs::metadata(&caches[0]).unwrap().len() < 1 << 20);
}

#[test]
fn a_4_gb_lock_memo_is_rejected_without_being_read() {
    let repo = registry();
    repo.run(&["lock"]).ok();
    let lock = repo.read("prompts.lock");
    sparse(&repo.file(".git/promptreg/lock-memo.json"), 4 << 30);
    run_limited(&repo, &["lock"]).ok();
    run_limited(&repo, &["lock", "--locked"]).ok();
    assert_eq!(repo.read("prompts.lock"), lock);
}

#[test]
fn the_cache_seal_is_a_sha256_of_its_bytes() {
    let repo = registry();
    repo.run(&["log"]).ok();
    let cache = std::fs::read_dir(repo.file(".git/promptreg"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "bin"))
        .unwrap();
    // The file ends with the index's length (u64, little-endian) and the
    // SHA-256 of the index before them.
    let bytes = std::fs::read(cache).unwrap();
    let (rest, seal) = bytes.split_at(bytes.len() - 32);
    let (rest, len) = rest.split_at(rest.len() - 8);
    let len = u64::from_le_bytes(len.try_into().unwrap()) as usize;
    let index = &rest[rest.len() - len..];
    assert_eq!(promptreg_core::digest::sha256_hex(index), hex(seal));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_rendering_over_its_budget_is_exit_2_saying_so() {
    let repo = TestRepo::new();
    let slow = "version: 1.0.0\ndescription: Slow.\ntemplate: \"{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}\"\nchangelog:\n  - version: 1.0.0\n    date: 2026-01-20T10:00:00Z\n    author: Test Author <test@example.com>\n    reason: First.\n";
    repo.prompt("slow", slow);
    let big = slow.replace("Slow.", "Big.").replace(
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        "{% for a in range(1000) %}{{ 'x' * 100000 }}{% endfor %}",
    );
    repo.prompt("big", &big);
    repo.run(&["render", "slow"])
        .code(2)
        .stderr_has("ran out of its budget of 5000000 steps");
    repo.run(&["render", "big"])
        .code(2)
        .stderr_has("larger than the limit of 4194304 bytes");
}
