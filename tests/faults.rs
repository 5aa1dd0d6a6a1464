//! Faults: a damaged repository, a damaged cache or lockfile, a registry
//! that cannot be written, many files, files at the size limit, odd paths,
//! and concurrent runs. Each gets a clear message and its exit code, and
//! none loses data.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const CONFIG: &str = "prompts_dir: prompts
environments:
  production:
    \"*\": latest
  staging:
    \"*\": latest-pre
";

/// Two prompts released over three commits:
/// - support/triage 1.0.0, 1.1.0, 2.0.0-rc.1
/// - summarize/article 0.1.0, 0.2.0, 1.0.0
fn registry() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("promptreg.yaml", CONFIG);
    let releases: [(&str, [&str; 3]); 2] = [
        ("support/triage", ["1.0.0", "1.1.0", "2.0.0-rc.1"]),
        ("summarize/article", ["0.1.0", "0.2.0", "1.0.0"]),
    ];
    for round in 0..3 {
        for (name, versions) in &releases {
            let history: Vec<&str> = versions[..=round].iter().rev().copied().collect();
            repo.prompt(
                name,
                &text_prompt(history[0], &history, &format!("{name} at {}:", history[0])),
            );
        }
        repo.commit(&format!("release round {}", round + 1));
    }
    repo
}

/// Releases support/triage 2.0.0 in a new commit.
fn release_more(repo: &TestRepo) {
    repo.prompt(
        "support/triage",
        &text_prompt(
            "2.0.0",
            &["2.0.0", "2.0.0-rc.1", "1.1.0", "1.0.0"],
            "support/triage at 2.0.0:",
        ),
    );
    repo.commit("release support/triage 2.0.0");
}

/// Files a write left behind in `dir`: promptreg's temporary files.
fn temp_files(dir: &Path) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".promptreg-") || n.ends_with(".tmp"))
        .collect();
    found.sort();
    found
}

fn git_objects(repo: &TestRepo, rev: &str) -> Vec<String> {
    repo.git(&["rev-list", "--objects", rev])
        .lines()
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect()
}

// ---------------------------------------------------------------------------
// A repository with missing objects.

#[test]
fn a_missing_loose_object_is_named_with_a_fsck_hint() {
    let repo = registry();
    // The blob support/triage had in the first commit, used by no other.
    let first = repo.git(&["rev-list", "--max-parents=0", "HEAD"]);
    let blob = repo.git(&[
        "rev-parse",
        &format!("{first}:prompts/support/triage.prompt.yaml"),
    ]);
    let object = repo.file(&format!(".git/objects/{}/{}", &blob[..2], &blob[2..]));
    assert!(object.exists(), "the fixture's objects are loose");
    std::fs::remove_file(object).unwrap();

    let out = repo.run(&["log", "--no-cache"]);
    out.code(2)
        .stderr_has(&blob)
        .stderr_has("missing objects")
        .stderr_has("hint: run `git fsck`");
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    // The prompt's own log and the lockfile need the same object.
    repo.run(&["log", "support/triage", "--no-cache"])
        .code(2)
        .stderr_has(&blob);
    repo.run(&["lock", "--no-cache"]).code(2).stderr_has(&blob);
    assert!(!repo.file("prompts.lock").exists(), "nothing written");
}

#[test]
fn a_deleted_pack_of_old_commits_is_named_with_a_fsck_hint() {
    // A copy of a registry whose old history sits in a pack, and the pack
    // is gone: every object of the first three commits is missing.
    let repo = registry();
    repo.git(&["repack", "-a", "-d", "-q"]);
    let packed = git_objects(&repo, "HEAD");
    release_more(&repo);
    let pack_dir = repo.file(".git/objects/pack");
    let mut removed = 0;
    for entry in std::fs::read_dir(&pack_dir).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("pack-")
        {
            std::fs::remove_file(path).unwrap();
            removed += 1;
        }
    }
    assert!(removed >= 2, "a .pack and its .idx");
    let fsck = Command::new("git")
        .current_dir(repo.path())
        .args(["fsck", "--no-progress"])
        .output()
        .unwrap();
    assert!(!fsck.status.success(), "the repository really is damaged");

    let out = repo.run(&["log", "--no-cache"]);
    out.code(2)
        .stderr_has("missing objects")
        .stderr_has("hint: run `git fsck`");
    assert!(
        packed.iter().any(|id| out.stderr.contains(id.as_str())),
        "names one of the missing objects:\n{}",
        out.stderr
    );
}

/// Runs git with `input` on stdin; returns trimmed stdout.
fn git_with_input(repo: &TestRepo, args: &[&str], input: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new("git")
        .current_dir(repo.path())
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "git {args:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn a_damaged_tree_is_named_with_a_fsck_hint() {
    let repo = registry();
    // A commit whose prompts/ tree is not a tree: an entry's name never ends.
    let bad = git_with_input(
        &repo,
        &["hash-object", "-t", "tree", "--literally", "-w", "--stdin"],
        b"100644 triage.prompt.yaml",
    );
    let config = repo.git(&["rev-parse", "HEAD:promptreg.yaml"]);
    let root = git_with_input(
        &repo,
        &["mktree", "--missing"],
        format!("100644 blob {config}\tpromptreg.yaml\n040000 tree {bad}\tprompts\n").as_bytes(),
    );
    let commit = repo.git(&["commit-tree", &root, "-p", "HEAD", "-m", "damaged"]);
    repo.git(&["update-ref", "HEAD", &commit]);

    let out = repo.run(&["log", "--no-cache"]);
    out.code(2)
        .stderr_has(&commit)
        .stderr_has("a tree object is damaged")
        .stderr_has("hint: run `git fsck`");
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
}

// ---------------------------------------------------------------------------
// A corrupted history cache.

fn cache_file(repo: &TestRepo) -> PathBuf {
    let dir = repo.file(".git/promptreg");
    let mut bins: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .collect();
    assert_eq!(bins.len(), 1, "{bins:?}");
    bins.remove(0)
}

/// What the commands reading history print, as JSON.
fn history_outputs(repo: &TestRepo, extra: &[&str]) -> Vec<String> {
    let commands: [&[&str]; 4] = [
        &["log", "--format", "json"],
        &["log", "support/triage", "--format", "json"],
        &["status", "--format", "json"],
        &["show", "summarize/article@0.2.0", "--format", "json"],
    ];
    commands
        .iter()
        .map(|args| {
            let mut args = args.to_vec();
            args.extend_from_slice(extra);
            let out = repo.run(&args);
            out.ok();
            out.stdout
        })
        .collect()
}

#[test]
fn a_corrupted_cache_gives_the_results_of_no_cache() {
    let repo = registry();
    let cold = history_outputs(&repo, &["--no-cache"]);
    assert_eq!(history_outputs(&repo, &[]), cold);
    let file = cache_file(&repo);
    let good = std::fs::read(&file).unwrap();
    assert!(good.len() > 64, "a real cache: {} bytes", good.len());

    // Deterministic garbage.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let garbage: Vec<u8> = (0..good.len())
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect();
    let flipped = |every: usize| -> Vec<u8> {
        // The header (format, version, key) intact, the state damaged.
        let mut b = good.clone();
        for i in (good.len() / 4..good.len()).step_by(every) {
            b[i] ^= 0x5a;
        }
        b
    };
    let corruptions: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", garbage),
        ("zeros", vec![0; good.len()]),
        ("empty", Vec::new()),
        ("half", good[..good.len() / 2].to_vec()),
        ("last byte cut", good[..good.len() - 1].to_vec()),
        ("trailing bytes", [good.as_slice(), b"trailing"].concat()),
        ("flipped bytes", flipped(7)),
        ("one flipped byte", flipped(good.len())),
    ];
    for (what, bytes) in corruptions {
        std::fs::write(&file, &bytes).unwrap();
        let warm = history_outputs(&repo, &[]);
        for (got, want) in warm.iter().zip(&cold) {
            assert_eq!(got, want, "cache {what}: differs from --no-cache");
        }
        // Rebuilt, and right again on the next run.
        assert_eq!(history_outputs(&repo, &[]), cold, "cache {what}, rebuilt");
    }
}

/// Single flipped bytes anywhere in the file: a cache that still decodes
/// but says something else must not be believed either.
#[test]
fn a_cache_with_one_flipped_byte_gives_the_results_of_no_cache() {
    let repo = registry();
    let args = ["log", "--format", "json"];
    let cold = repo.run(&["log", "--format", "json", "--no-cache"]);
    cold.ok();
    repo.run(&args).ok();
    let file = cache_file(&repo);
    let good = std::fs::read(&file).unwrap();
    let positions: Vec<usize> = (0..32).map(|i| i * good.len() / 32).collect();
    let mut wrong = Vec::new();
    for &at in &positions {
        let mut bytes = good.clone();
        bytes[at] ^= 0x5a;
        std::fs::write(&file, &bytes).unwrap();
        let warm = repo.run(&args);
        if warm.code != 0 || warm.stdout != cold.stdout {
            wrong.push(format!(
                "byte {at}: exit {}, {}",
                warm.code,
                warm.stderr.trim()
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} flipped bytes changed the result:\n{}",
        wrong.len(),
        positions.len(),
        wrong.join("\n")
    );
}

/// The memo `lock` keeps beside the cache: damaged, it is ignored.
#[test]
fn a_corrupted_lock_memo_changes_no_answer() {
    let repo = registry();
    repo.run(&["lock"]).ok();
    let memo = repo.file(".git/promptreg/lock-memo.json");
    for garbage in [&b"{"[..], b"", b"{\"key\": 1}", &[0xff; 64]] {
        if memo.exists() {
            std::fs::write(&memo, garbage).unwrap();
        }
        repo.run(&["lock", "--locked"])
            .ok()
            .stdout_has("prompts.lock is up to date");
    }
    // A stale lockfile is still found stale with a damaged memo.
    release_more(&repo);
    if memo.exists() {
        std::fs::write(&memo, b"not json").unwrap();
    }
    repo.run(&["lock", "--locked"])
        .code(1)
        .stderr_has("prompts.lock is out of date");
}

// ---------------------------------------------------------------------------
// A truncated lockfile.

#[test]
fn a_lockfile_truncated_to_half_is_reported_and_rewritten() {
    let repo = registry();
    repo.run(&["lock"]).ok().stdout_has("Created prompts.lock");
    let full = std::fs::read(repo.file("prompts.lock")).unwrap();
    std::fs::write(repo.file("prompts.lock"), &full[..full.len() / 2]).unwrap();

    let locked = repo.run(&["lock", "--locked"]);
    locked
        .code(1)
        .stdout_has("prompts.lock cannot be read: ")
        .stderr_has("error: prompts.lock is out of date; run `promptreg lock`");
    assert_eq!(
        std::fs::read(repo.file("prompts.lock")).unwrap(),
        &full[..full.len() / 2],
        "--locked writes nothing"
    );

    let verify = repo.run(&["verify"]);
    verify.code(1);
    let all = format!("{}{}", verify.stdout, verify.stderr);
    assert!(
        all.contains("prompts.lock cannot be read: ") && all.contains("missing field"),
        "says the lockfile cannot be read, and why:\n{all}"
    );
    assert!(all.contains("run `promptreg lock`"), "{all}");
    let json = repo.run(&["verify", "--format", "json"]);
    json.code(1);
    assert_eq!(json.json()["ok"], false);

    repo.run(&["lock"]).ok().stdout_has("Updated prompts.lock");
    assert_eq!(std::fs::read(repo.file("prompts.lock")).unwrap(), full);
    repo.run(&["lock", "--locked"]).ok();
    repo.run(&["verify"]).ok();
}

// ---------------------------------------------------------------------------
// A registry that cannot be written.

/// Sets the immutable attribute on `path` (root can write through any mode
/// bits, not through this), and clears it when dropped.
struct Immutable(PathBuf);

impl Immutable {
    /// `None` when chattr is missing or the file system does not support it.
    fn set(path: &Path) -> Option<Immutable> {
        let ok = Command::new("chattr")
            .arg("+i")
            .arg(path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Immutable(path.to_path_buf()))
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

/// A registry with a stale lockfile: `lock` has something to write.
fn stale_registry() -> (TestRepo, Vec<u8>) {
    let repo = registry();
    repo.run(&["lock"]).ok();
    repo.git(&["add", "prompts.lock"]);
    repo.commit("lock");
    release_more(&repo);
    repo.run(&["lock", "--locked"]).code(1);
    let old = std::fs::read(repo.file("prompts.lock")).unwrap();
    (repo, old)
}

#[test]
fn lock_in_a_read_only_registry_fails_cleanly() {
    let (repo, old) = stale_registry();
    let Some(guard) = Immutable::set(repo.path()) else {
        eprintln!("note: skipped: `chattr +i` is unavailable or unsupported here");
        return;
    };
    let out = repo.run(&["lock"]);
    drop(guard);
    out.code(2)
        .stderr_has("error: cannot create a temporary file in ")
        .stderr_has("caused by: ");
    assert_eq!(std::fs::read(repo.file("prompts.lock")).unwrap(), old);
    assert_eq!(temp_files(repo.path()), Vec::<String>::new());
    // Once writable again, lock works.
    repo.run(&["lock"]).ok().stdout_has("Updated prompts.lock");
    repo.run(&["lock", "--locked"]).ok();
}

#[test]
fn lock_over_a_read_only_lockfile_fails_cleanly() {
    let (repo, old) = stale_registry();
    let Some(guard) = Immutable::set(&repo.file("prompts.lock")) else {
        eprintln!("note: skipped: `chattr +i` is unavailable or unsupported here");
        return;
    };
    let out = repo.run(&["lock"]);
    let leftovers = temp_files(repo.path());
    drop(guard);
    out.code(2)
        .stderr_has("error: cannot replace ")
        .stderr_has("prompts.lock")
        .stderr_has("caused by: ");
    assert_eq!(std::fs::read(repo.file("prompts.lock")).unwrap(), old);
    assert_eq!(
        leftovers,
        Vec::<String>::new(),
        "the temporary file is removed"
    );
    repo.run(&["lock"]).ok();
    repo.run(&["lock", "--locked"]).ok();
}

// ---------------------------------------------------------------------------
// Many prompt files.

#[test]
fn ten_thousand_prompt_files_are_listed_and_validated() {
    let repo = TestRepo::new();
    let body = text_prompt("1.0.0", &["1.0.0"], "Bulk:");
    for i in 0..10_000 {
        repo.prompt(&format!("group{:03}/p{i:05}", i / 100), &body);
    }
    let list = repo.run(&["list", "--format", "json"]);
    list.ok();
    let listed = list.json();
    let listed = listed.as_array().expect("a JSON array");
    assert_eq!(listed.len(), 10_000);
    assert_eq!(listed[0]["name"], "group000/p00000");
    assert_eq!(listed[9_999]["name"], "group099/p09999");

    repo.run(&["validate"]).ok();
    // One invalid file among them is found and named.
    repo.prompt("group042/p04242", "version: nope\n");
    repo.run(&["validate"])
        .code(1)
        .stdout_has("group042/p04242.prompt.yaml");
}

// ---------------------------------------------------------------------------
// The size limit.

const MIB: usize = 1024 * 1024;

/// A valid prompt of exactly `size` bytes: a comment pads it.
fn prompt_of_size(size: usize) -> String {
    let mut text = text_prompt("1.0.0", &["1.0.0"], "Sized:");
    let pad = size - text.len() - "#\n".len();
    text.push('#');
    text.push_str(&"x".repeat(pad));
    text.push('\n');
    assert_eq!(text.len(), size);
    text
}

#[test]
fn a_prompt_of_exactly_the_size_limit_is_read_and_one_byte_more_is_refused() {
    let repo = TestRepo::new();
    repo.prompt("big", &prompt_of_size(MIB));
    repo.run(&["validate"]).ok();
    repo.run(&["show", "big"]).ok().stdout_has("1.0.0");
    repo.run(&["render", "big", "--var", "x=y"])
        .ok()
        .stdout_has("Sized: y");
    repo.commit("a prompt of exactly 1 MiB");
    repo.run(&["log", "big", "--no-cache"])
        .ok()
        .stdout_has("1.0.0");
    repo.run(&["show", "big@1.0.0"]).ok();

    repo.prompt("big", &prompt_of_size(MIB + 1));
    let out = repo.run(&["validate"]);
    out.code(1).stdout_has("prompts/big.prompt.yaml");
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(all.contains("larger than the limit"), "{all}");
    repo.run(&["show", "big"])
        .code(2)
        .stderr_has("larger than the limit");
    repo.run(&["render", "big", "--var", "x=y"])
        .code(2)
        .stderr_has("larger than the limit");
}

// ---------------------------------------------------------------------------
// A registry path with spaces and non-ASCII characters.

#[test]
fn a_registry_path_with_spaces_and_non_ascii_characters_works() {
    let root = TestRepo::empty();
    let name = "my prompts é";
    root.run_as_author(&["init", name]).ok();
    let dir = root.file(name);
    assert!(dir.join("promptreg.yaml").is_file());
    let in_dir = |args: &[&str]| {
        run(root
            .cmd()
            .current_dir(&dir)
            .env("GIT_AUTHOR_NAME", "Test Author")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .args(args))
    };
    root.git(&["-C", name, "config", "user.name", "Test Author"]);
    root.git(&["-C", name, "config", "user.email", "test@example.com"]);

    in_dir(&["new", "support/triage", "-m", "Triage tickets, ünïcödé"])
        .ok()
        .stdout_has("support/triage");
    in_dir(&["validate"]).ok();
    root.git(&["-C", name, "add", "-A"]);
    root.git(&["-C", name, "commit", "-q", "-m", "Add support/triage"]);
    in_dir(&["log", "support/triage"]).ok().stdout_has("0.1.0");
    in_dir(&["log", "--no-cache", "--format", "json"])
        .ok()
        .stdout_has("support/triage");
    in_dir(&["lock"]).ok().stdout_has("Created prompts.lock");
    in_dir(&["lock", "--locked"]).ok();
    in_dir(&["verify"]).ok();
    let out_dir = dir.join("exported é/out dir");
    in_dir(&[
        "export",
        "--env",
        "production",
        "--out",
        out_dir.to_str().unwrap(),
    ])
    .ok();
    assert!(out_dir.join("support/triage@0.1.0.prompt.yaml").is_file());
    in_dir(&["verify", "--against", out_dir.to_str().unwrap()]).ok();
    // From outside, with -C.
    run(root.cmd().args(["-C", name, "list"]))
        .ok()
        .stdout_has("support/triage");
}

// ---------------------------------------------------------------------------
// Concurrent lock runs.

#[test]
fn eight_concurrent_lock_runs_agree_and_leave_nothing_behind() {
    let repo = registry();
    let children: Vec<_> = (0..8)
        .map(|_| {
            repo.cmd()
                .arg("lock")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let concurrent = std::fs::read(repo.file("prompts.lock")).unwrap();
    assert_eq!(temp_files(repo.path()), Vec::<String>::new());
    let cache_leftovers: Vec<String> = std::fs::read_dir(repo.file(".git/promptreg"))
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                // Temporary files start with a dot (`.history-…`).
                .filter(|n| n.starts_with('.') || n.ends_with(".tmp"))
                .collect()
        })
        .unwrap_or_default();
    assert!(cache_leftovers.is_empty(), "{cache_leftovers:?}");

    repo.run(&["lock", "--locked"]).ok();
    std::fs::remove_file(repo.file("prompts.lock")).unwrap();
    repo.run(&["lock", "--no-cache"]).ok();
    assert_eq!(
        std::fs::read(repo.file("prompts.lock")).unwrap(),
        concurrent,
        "byte-identical to a single run"
    );
}

#[test]
fn output_that_cannot_be_written_is_an_error() {
    let repo = registry();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("Linux has /dev/full");
    for args in [&["list"][..], &["log", "--format", "json"]] {
        let out = run(repo.cmd().args(args).stdout(full.try_clone().unwrap()));
        out.code(2)
            .stderr_has("error: cannot write the output")
            .stderr_has("No space left on device");
    }
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    use std::io::Read;
    let repo = registry();
    // Enough output to fill the pipe many times over: long reasons.
    let reason = "because ".repeat(2_000);
    for round in 0..40 {
        let version = format!("1.{round}.0");
        repo.prompt(
            "big",
            &format!(
                "version: {version}\ntemplate: Hi.\nchangelog:\n  - version: {version}\n    date: 2026-01-01T00:00:00Z\n    author: {AUTHOR}\n    reason: {reason}\n"
            ),
        );
        repo.commit(&format!("big {round}"));
    }
    let whole = repo.run(&["log", "--format", "json"]);
    assert!(whole.stdout.len() > 1 << 20, "{} bytes", whole.stdout.len());
    let mut child = repo
        .cmd()
        .args(["log", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The read end is closed now: promptreg's next writes fail with EPIPE.
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
