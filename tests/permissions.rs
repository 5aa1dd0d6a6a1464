//! Files promptreg writes are ordinary files: a new one is readable by
//! others (0666 less the umask, not 0600), and a replaced one keeps its mode.
#![cfg(unix)]

mod common;
use common::*;
use std::os::unix::fs::PermissionsExt;

fn mode(repo: &TestRepo, rel: &str) -> u32 {
    std::fs::metadata(repo.file(rel))
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn new_files_are_not_private_and_replaced_files_keep_their_mode() {
    let repo = TestRepo::empty();
    let out = repo
        .cmd()
        .args(["init", "."])
        .env("GIT_AUTHOR_NAME", "A")
        .env("GIT_AUTHOR_EMAIL", "a@example.com")
        .output()
        .unwrap();
    assert!(out.status.success());
    repo.git(&["config", "user.name", "A"]);
    repo.git(&["config", "user.email", "a@example.com"]);
    repo.run(&["new", "a"]).ok();
    repo.commit("c1");
    repo.run(&["lock"]).ok();
    // Others can read what a deploy step or a teammate's tool reads.
    for file in ["promptreg.yaml", "prompts/a.prompt.yaml", "prompts.lock"] {
        assert_ne!(
            mode(&repo, file) & 0o044,
            0,
            "{file} is private: {:o}",
            mode(&repo, file)
        );
    }
    // A bump rewrites the file in place: its mode stays what the user set.
    std::fs::set_permissions(
        repo.file("prompts/a.prompt.yaml"),
        std::fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    repo.run(&["bump", "a", "patch", "-m", "Typo"]).ok();
    assert_eq!(mode(&repo, "prompts/a.prompt.yaml"), 0o640);
}
