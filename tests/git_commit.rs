//! Commits made as Git makes them (docs/DESIGN.md §5): `--commit` runs the
//! user's `git commit`, so hooks, signing, identity and dates are Git's.

mod common;
use common::*;

fn registry() -> TestRepo {
    let repo = TestRepo::new();
    repo.prompt("a", &text_prompt("1.0.0", &["1.0.0"], "Hello"));
    repo.commit("a 1.0.0");
    repo
}

fn hook(repo: &TestRepo, name: &str, body: &str) {
    let path = repo.file(&format!(".git/hooks/{name}"));
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn a_refusing_hook_stops_the_commit_with_nothing_changed() {
    for name in ["pre-commit", "commit-msg"] {
        let repo = registry();
        hook(&repo, name, "echo 'policy: no bumps today' >&2\nexit 1");
        let head = repo.git(&["rev-parse", "HEAD"]);
        let files = repo.files();
        let index = std::fs::read(repo.file(".git/index")).unwrap();
        repo.run(&["bump", "a", "patch", "-m", "Fix", "--commit"])
            .code(2)
            .stderr_has("policy: no bumps today")
            .stderr_has("nothing was committed");
        assert_eq!(repo.git(&["rev-parse", "HEAD"]), head, "{name}");
        assert_eq!(repo.files(), files, "{name}: the working tree changed");
        assert_eq!(repo.git(&["status", "--porcelain"]), "", "{name}");
        let _ = index;
        // --no-verify skips the hook, as in Git.
        repo.run(&["bump", "a", "patch", "-m", "Fix", "--commit", "--no-verify"])
            .ok();
        assert_ne!(repo.git(&["rev-parse", "HEAD"]), head, "{name}");
    }
}

#[test]
fn hooks_run_and_see_the_commit() {
    let repo = registry();
    hook(
        &repo,
        "pre-commit",
        "git diff --cached --name-only > .git/hook-saw",
    );
    repo.run(&["bump", "a", "minor", "-m", "Add", "--commit"])
        .ok();
    assert_eq!(
        std::fs::read_to_string(repo.file(".git/hook-saw")).unwrap(),
        "prompts/a.prompt.yaml\n"
    );
}

#[test]
fn the_environments_dates_and_identity_are_honoured() {
    let repo = registry();
    let run = common::run(
        repo.cmd()
            .env("GIT_AUTHOR_DATE", "2001-02-03T04:05:06Z")
            .env("GIT_COMMITTER_DATE", "2001-02-03T04:05:07Z")
            .env("GIT_COMMITTER_NAME", "Robot")
            .env("GIT_COMMITTER_EMAIL", "robot@example.com")
            .args(["bump", "a", "patch", "-m", "Dated", "--commit"]),
    );
    run.ok();
    assert_eq!(
        repo.git(&["log", "-1", "--format=%aI|%cI|%cn <%ce>|%an"]),
        "2001-02-03T04:05:06Z|2001-02-03T04:05:07Z|Robot <robot@example.com>|Test Author"
    );
}

#[test]
fn an_ssh_signing_configuration_is_honoured() {
    if std::process::Command::new("ssh-keygen")
        .arg("-?")
        .output()
        .is_err()
    {
        eprintln!("skipped: no ssh-keygen");
        return;
    }
    let repo = registry();
    let key = repo.file(".git/test-signing-key");
    let made = std::process::Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "test@example.com",
            "-f",
        ])
        .arg(&key)
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let allowed = repo.file(".git/allowed-signers");
    std::fs::write(&allowed, format!("test@example.com {public}")).unwrap();
    repo.git(&["config", "gpg.format", "ssh"]);
    repo.git(&["config", "user.signingkey", key.to_str().unwrap()]);
    repo.git(&["config", "commit.gpgsign", "true"]);
    repo.git(&[
        "config",
        "gpg.ssh.allowedSignersFile",
        allowed.to_str().unwrap(),
    ]);
    repo.run(&["bump", "a", "patch", "-m", "Signed", "--commit"])
        .ok();
    let out = repo.git_with_path_var(
        &["verify-commit", "HEAD"],
        &std::env::var_os("PATH").unwrap(),
    );
    assert_eq!(out.code, 0, "not signed:\n{}", out.stderr);
    assert!(
        out.stderr.contains("Good \"git\" signature"),
        "{}",
        out.stderr
    );
    // `--tag` is made by Git too: tag.gpgSign signs it.
    repo.git(&["config", "tag.gpgSign", "true"]);
    repo.run(&["bump", "a", "patch", "-m", "Tagged", "--commit", "--tag"])
        .ok();
    let out = repo.git_with_path_var(
        &["verify-tag", "a@1.0.2"],
        &std::env::var_os("PATH").unwrap(),
    );
    assert_eq!(out.code, 0, "tag not signed:\n{}", out.stderr);
}

#[test]
fn notes_commits_name_promptreg_and_the_prompt() {
    let repo = registry();
    repo.run(&["score", "a@1.0.0", "--metric", "accuracy=0.9"])
        .ok();
    let message = repo.git(&["log", "-1", "--format=%B", "refs/notes/promptreg"]);
    assert!(message.starts_with("promptreg score: a@1.0.0"), "{message}");
    assert!(!message.contains("libgit2"), "{message}");
}

#[test]
fn without_git_on_path_commit_says_so_and_changes_nothing() {
    let repo = registry();
    let files = repo.files();
    let empty = tempfile::tempdir().unwrap();
    let run = common::run(
        repo.cmd()
            .env("PATH", empty.path())
            .args(["bump", "a", "patch", "-m", "Fix", "--commit"]),
    );
    run.code(2).stderr_has("no `git` program is on PATH");
    assert_eq!(repo.files(), files);
    // Without --commit, git is not needed.
    common::run(
        repo.cmd()
            .env("PATH", empty.path())
            .args(["bump", "a", "patch", "-m", "Fix"]),
    )
    .ok();
}
