//! The real pre-commit framework (installed from PyPI into a virtualenv this
//! test makes) running this repository's `.pre-commit-hooks.yaml` through
//! the README's `.pre-commit-config.yaml` snippet, on a sample registry:
//! an unbumped change is refused on commit, with `--all-files` and for a
//! pushed range; a correct one passes.
//!
//! The snippet is used as written except for three substitutions: the
//! `repo:` URL becomes a `file://` copy of this repository's hook manifest,
//! `rev: COMMIT` that copy's commit, and the commented alternative
//! `promptreg-check-installed` is chosen over `promptreg-check`, because the
//! latter makes pre-commit build promptreg with Cargo (minutes on this
//! machine) where the former runs the binary `cargo test` just built.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The virtualenv's `bin/` with `pre-commit` in it, made once per run;
/// `None` when pip cannot install pre-commit (no index reachable).
fn pre_commit_bin() -> Option<&'static Path> {
    static BIN: OnceLock<Option<PathBuf>> = OnceLock::new();
    BIN.get_or_init(|| python_venv("pre-commit-venv", "pre-commit", &["pre-commit"]))
        .as_deref()
}

/// The README's `.pre-commit-config.yaml` snippet.
fn readme_snippet() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find("`.pre-commit-config.yaml`:\n\n```yaml\n")
        .expect("the README has the snippet");
    let body = &readme[start..];
    let body = &body[body.find("```yaml\n").unwrap() + 8..];
    body[..body.find("```").unwrap()].to_string()
}

/// A Git repository holding this repository's `.pre-commit-hooks.yaml`, as
/// `repo:`; returns it and its commit.
fn hook_repository() -> (TestRepo, String) {
    let hooks = TestRepo::new();
    let manifest =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"))
            .unwrap();
    hooks.write(".pre-commit-hooks.yaml", manifest);
    let commit = hooks.commit("the hook manifest");
    (hooks, commit)
}

struct Setup {
    registry: TestRepo,
    _hooks: TestRepo,
    _origin: tempfile::TempDir,
    path: std::ffi::OsString,
    pre_commit_home: tempfile::TempDir,
}

impl Setup {
    fn new(bin: &Path) -> Setup {
        let (hooks, rev) = hook_repository();
        let url = format!("file://{}", hooks.path().display());
        let snippet = readme_snippet();
        assert!(snippet.contains("rev: COMMIT"), "{snippet}");
        let config = snippet
            .replace("https://github.com/OWNER/promptreg", &url)
            .replace("rev: COMMIT", &format!("rev: {rev}"))
            .replace(
                "      - id: promptreg-check ",
                "      # - id: promptreg-check ",
            )
            .replace(
                "      # - id: promptreg-check-installed",
                "      - id: promptreg-check-installed",
            );
        assert!(
            config.contains("\n      - id: promptreg-check-installed"),
            "{config}"
        );

        let registry = TestRepo::new();
        registry.write(".pre-commit-config.yaml", &config);
        // Dated as the 1.0.0 entry is in the bumped file (text_prompt dates
        // entries by position).
        registry.prompt(
            "a",
            &text_prompt("1.0.0", &["1.0.0"], "Hello").replace("2026-01-28", "2026-01-27"),
        );
        registry.commit("a prompt");
        // An upstream, as a clone has: a bare repository it was pushed to.
        let origin = tempfile::tempdir().unwrap();
        registry.git(&["init", "-q", "--bare", origin.path().to_str().unwrap()]);
        registry.git(&["remote", "add", "origin", origin.path().to_str().unwrap()]);
        registry.git(&["push", "-q", "-u", "origin", "main"]);

        let promptreg_dir = Path::new(env!("CARGO_BIN_EXE_promptreg")).parent().unwrap();
        let mut paths = vec![bin.to_path_buf(), promptreg_dir.to_path_buf()];
        paths.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        let setup = Setup {
            registry,
            _hooks: hooks,
            _origin: origin,
            path: std::env::join_paths(paths).unwrap(),
            pre_commit_home: tempfile::tempdir().unwrap(),
        };
        setup.pre_commit(&["install"]).ok();
        setup
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(self.registry.path())
            .env("PATH", &self.path)
            .env("PRE_COMMIT_HOME", self.pre_commit_home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("NO_COLOR", "1")
            .env_remove("CI")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("PRE_COMMIT_FROM_REF")
            .env_remove("PRE_COMMIT_TO_REF")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE");
        cmd
    }

    fn pre_commit(&self, args: &[&str]) -> Run {
        run(self.command("pre-commit").args(args))
    }

    /// `git commit -am MESSAGE` through the installed hook.
    fn commit(&self, message: &str, extra: &[&str]) -> Run {
        self.registry.git(&["add", "-A"]);
        run(self
            .command("git")
            .args([
                "-c",
                "user.name=Test Author",
                "-c",
                "user.email=test@example.com",
            ])
            .args(["commit", "-q", "-m", message])
            .args(extra))
    }
}

#[test]
fn the_pre_commit_framework_refuses_an_unbumped_change_and_passes_a_bumped_one() {
    let Some(bin) = pre_commit_bin() else {
        return;
    };
    let setup = Setup::new(bin);
    let repo = &setup.registry;

    // On commit: the staged, unbumped change is refused.
    repo.prompt(
        "a",
        &text_prompt("1.0.0", &["1.0.0"], "Hello there").replace("2026-01-28", "2026-01-27"),
    );
    let refused = setup.commit("unbumped", &[]);
    assert_ne!(refused.code, 0, "{refused:?}");
    let said = format!("{}{}", refused.stdout, refused.stderr);
    assert!(said.contains("version-not-bumped"), "{said}");
    assert!(said.contains("checking the staged change"), "{said}");

    // Committed anyway; `pre-commit run --all-files` (as CI runs it) still
    // refuses it: the branch is checked against its upstream.
    setup.commit("unbumped", &["--no-verify"]).ok();
    let all = setup.pre_commit(&["run", "--all-files"]);
    assert_ne!(all.code, 0, "{all:?}");
    assert!(all.stdout.contains("version-not-bumped"), "{}", all.stdout);
    assert!(all.stdout.contains("the branch since"), "{}", all.stdout);
    // So does any run under CI=true, and the pushed range.
    let ci = run(setup.command("pre-commit").env("CI", "true").args(["run"]));
    assert_ne!(ci.code, 0, "{ci:?}");
    let from = repo.git(&["rev-parse", "origin/main"]);
    let range = setup.pre_commit(&[
        "run",
        "--hook-stage",
        "pre-push",
        "--from-ref",
        &from,
        "--to-ref",
        "HEAD",
    ]);
    assert_ne!(range.code, 0, "{range:?}");
    assert!(
        range.stdout.contains("version-not-bumped"),
        "{}",
        range.stdout
    );

    // The fix, bumped correctly: the commit and --all-files pass.
    repo.prompt(
        "a",
        &text_prompt("1.0.1", &["1.0.1", "1.0.0"], "Hello there"),
    );
    let fixed = setup.commit("a 1.0.1", &[]);
    fixed.ok();
    let all = setup.pre_commit(&["run", "--all-files"]);
    all.ok();
    let range = setup.pre_commit(&[
        "run",
        "--hook-stage",
        "pre-push",
        "--from-ref",
        &from,
        "--to-ref",
        "HEAD",
    ]);
    // The range holds the unbumped commit and its fix: base to head, the
    // prompt went 1.0.0 → 1.0.1 with an entry, which is right.
    range.ok();
}
