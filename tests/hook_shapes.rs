//! `hook install` where Git looks for hooks, and never at the cost of the
//! user's own hook.

mod common;
use common::*;

fn registry() -> TestRepo {
    let repo = TestRepo::new();
    repo.prompt("a", &text_prompt("1.0.0", &["1.0.0"], "Hello"));
    repo.commit("a");
    repo
}

#[test]
fn install_in_a_linked_worktree_writes_where_git_runs_hooks() {
    let repo = registry();
    let linked = repo.path().join("linked");
    repo.git(&["worktree", "add", "-q", linked.to_str().unwrap()]);
    run(repo
        .cmd()
        .args(["-C", linked.to_str().unwrap(), "hook", "install"]))
    .ok();
    let common = repo.file(".git/hooks/pre-commit");
    assert!(
        common.exists(),
        "not installed in the common hooks directory"
    );
    assert!(std::fs::read_to_string(common)
        .unwrap()
        .contains("promptreg"));
}

#[test]
fn install_force_keeps_the_users_hook_and_uninstall_puts_it_back() {
    let repo = registry();
    let hook = repo.file(".git/hooks/pre-commit");
    std::fs::write(&hook, "#!/bin/sh\necho mine\n").unwrap();
    repo.run(&["hook", "install"]).code(2);
    repo.run(&["hook", "install", "--force"])
        .ok()
        .stdout_has("Moved your hook");
    assert!(std::fs::read_to_string(&hook)
        .unwrap()
        .contains("promptreg"));
    repo.run(&["hook", "uninstall"])
        .ok()
        .stdout_has("put yours back");
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
}

#[test]
fn uninstall_keeps_lines_the_user_added() {
    let repo = registry();
    repo.run(&["hook", "install"]).ok();
    let hook = repo.file(".git/hooks/pre-commit");
    let text = std::fs::read_to_string(&hook).unwrap();
    let edited = text.replacen("#!/bin/sh\n", "#!/bin/sh\n./scripts/lint-my-stuff\n", 1);
    std::fs::write(&hook, edited).unwrap();
    repo.run(&["hook", "uninstall"])
        .ok()
        .stdout_has("kept the lines you added");
    let left = std::fs::read_to_string(&hook).unwrap();
    assert_eq!(left, "#!/bin/sh\n./scripts/lint-my-stuff\n");
}

#[test]
fn install_force_never_replaces_an_earlier_backup() {
    let repo = registry();
    let hook = repo.file(".git/hooks/pre-commit");
    let backup = repo.file(".git/hooks/pre-commit.before-promptreg");
    std::fs::write(&backup, "#!/bin/sh\necho first\n").unwrap();
    std::fs::write(&hook, "#!/bin/sh\necho second\n").unwrap();
    repo.run(&["hook", "install", "--force"])
        .code(2)
        .stderr_has("refusing to replace either");
    assert_eq!(
        std::fs::read_to_string(&backup).unwrap(),
        "#!/bin/sh\necho first\n"
    );
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\necho second\n"
    );
}
