//! Examples that cannot drift: every example line of every `--help` text
//! (read from the clap definitions, so a new example is picked up without
//! touching this file) runs, under `sh`, in a fixture: a clone of this
//! repository's own example registry (prompts/, promptreg.yaml with its
//! canary split, prompts.lock, and their history), plus what some examples
//! need (tags, an `origin/main`, input files, a score, an export). Each
//! example runs in its own copy of the fixture, so one that commits or
//! rewrites files does not change what the next one sees.
//!
//! An example that cannot run as written is listed in `ADAPTED` with the
//! reason and the command the test runs instead. The `$ promptreg` lines of
//! README.md's console blocks run the same way (see the last test).

mod common;
use clap::CommandFactory;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Examples that cannot run as written, the reason, and what runs instead.
const ADAPTED: &[(&str, &str, &str)] = &[
    (
        "promptreg completions zsh > \"${fpath[1]}/_promptreg\"",
        "zsh syntax (`$fpath`); the test shell is sh",
        "promptreg completions zsh > _promptreg",
    ),
    (
        "promptreg man > /usr/local/share/man/man1/promptreg.1",
        "writes outside the fixture, into the system's man directory",
        "promptreg man > promptreg.1",
    ),
    (
        "promptreg export --env staging --out /srv/prompts --force --format json",
        "writes outside the fixture (/srv)",
        "promptreg export --env staging --out srv/prompts --force --format json",
    ),
];

/// Examples whose documented outcome is not exit 0, with the code and why.
const EXIT_CODES: &[(&str, i32, &str)] = &[
    (
        "promptreg rollback support/triage --env production --if-failing --commit",
        2,
        "the example registry has no gates (they need scores in notes, which a clone does not \
         fetch); the error says so and how to add them",
    ),
    (
        "promptreg blame --at 2026-06-01T10:00:00Z",
        1,
        "the example registry's lockfile history starts later: nothing pinned then",
    ),
    (
        "promptreg blame --at \"2026-06-01 10:00\" --env production support/triage",
        1,
        "as above",
    ),
    (
        "promptreg blame --at 2026-06-01 --format json",
        1,
        "as above",
    ),
];

/// Examples that run in a new, empty directory (they make a registry).
const IN_EMPTY_DIR: &[&str] = &["promptreg init", "promptreg init my-prompts"];

/// Examples that run in a registry `promptreg init` just made, with
/// nothing in it yet (they create prompts the example registry has).
const IN_NEW_REGISTRY: &[&str] = &[
    "promptreg new support/triage --chat",
    "promptreg new summarize/article",
    "promptreg new support/triage --chat -m \"First triage prompt\"",
];

/// Examples that need a prompt change in the working tree first (`bump
/// auto` has nothing to release otherwise).
const AFTER_AN_EDIT: &[&str] = &[
    "promptreg bump support/triage auto -m \"Add a tone\" --commit",
    "promptreg bump support/triage auto -m \"Add a locale variable\"",
];

/// The command of an example line: the text before the first run of two
/// or more spaces (what follows is the description).
fn command_of(line: &str) -> String {
    let line = line.trim_start();
    match line.find("  ") {
        Some(i) => line[..i].to_string(),
        None => line.trim_end().to_string(),
    }
}

/// Every `  promptreg …` line under `Examples:` in the help texts.
fn help_examples() -> Vec<(String, String)> {
    let mut cli = promptreg::cli::Cli::command();
    cli.build();
    let mut out = Vec::new();
    let mut collect = |who: String, text: String| {
        let mut in_examples = false;
        for line in text.lines() {
            if line.trim_end() == "Examples:" {
                in_examples = true;
                continue;
            }
            if in_examples {
                if line.starts_with("  promptreg ") || line == "  promptreg" {
                    out.push((who.clone(), command_of(line)));
                } else if line.trim().is_empty() || !line.starts_with(' ') {
                    in_examples = false;
                }
            }
        }
    };
    collect(
        "promptreg".into(),
        cli.get_after_help()
            .map(|h| h.to_string())
            .unwrap_or_default(),
    );
    for sub in cli.get_subcommands() {
        if sub.is_hide_set() {
            continue;
        }
        collect(
            format!("promptreg {}", sub.get_name()),
            sub.get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default(),
        );
        for nested in sub.get_subcommands() {
            collect(
                format!("promptreg {} {}", sub.get_name(), nested.get_name()),
                nested
                    .get_after_help()
                    .map(|h| h.to_string())
                    .unwrap_or_default(),
            );
        }
    }
    out
}

/// The fixture: a clone of this repository's committed example registry.
struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    home: tempfile::TempDir,
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        let root = dir.path().join("registry");
        let source = env!("CARGO_MANIFEST_DIR");
        git(dir.path(), &["clone", "-q", source, root.to_str().unwrap()]);
        git(&root, &["checkout", "-q", "-B", "main"]);
        git(&root, &["config", "user.name", "Example Author"]);
        git(&root, &["config", "user.email", "author@example.com"]);
        // Revisions the examples name.
        git(&root, &["update-ref", "refs/remotes/origin/main", "HEAD~1"]);
        for (tag, rev) in [
            ("v1", "HEAD~2"),
            ("v2", "HEAD"),
            ("v1.0", "HEAD~2"),
            ("v2.0", "HEAD"),
        ] {
            git(&root, &["tag", tag, rev]);
        }
        // Input files.
        std::fs::write(
            root.join("post.txt"),
            "We shipped the new billing page today. It loads twice as fast.\n",
        )
        .unwrap();
        std::fs::write(
            root.join("ticket.json"),
            "{\"ticket\": \"Printer on fire\", \"product\": \"Hardware\"}\n",
        )
        .unwrap();
        std::fs::write(
            root.join("outcomes.jsonl"),
            "{\"prompt\": \"support/triage\", \"version\": \"1.3.0\", \"metric\": \"thumbs_up\", \"value\": 1}\n\
             {\"prompt\": \"support/triage\", \"version\": \"1.3.1\", \"metric\": \"thumbs_up\", \"value\": 0}\n",
        )
        .unwrap();
        let fixture = Fixture {
            _dir: dir,
            root,
            home,
        };
        // A score for `scores`, and a bundle for `verify --against`.
        let bin = env!("CARGO_BIN_EXE_promptreg");
        for args in [
            &["score", "support/triage@1.3.0", "--metric", "accuracy=0.9"][..],
            &["export", "--env", "production", "--out", "deploy/prompts"],
        ] {
            let out = fixture
                .command(&fixture.root, bin)
                .args(args)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "fixture setup {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // An identity for the examples that commit (`bump --commit`).
        std::fs::write(
            fixture.home.path().join(".gitconfig"),
            "[user]\n\tname = Example Author\n\temail = author@example.com\n[init]\n\tdefaultBranch = main\n",
        )
        .unwrap();
        // Completions and man pages go where the examples put them.
        for dir in [
            ".local/share/bash-completion/completions",
            ".config/fish/completions",
        ] {
            std::fs::create_dir_all(fixture.home.path().join(dir)).unwrap();
        }
        fixture
    }

    fn command(&self, cwd: &Path, program: &str) -> Command {
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_promptreg")).parent().unwrap();
        let mut paths = vec![bin_dir.to_path_buf()];
        paths.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        let mut cmd = Command::new(program);
        cmd.current_dir(cwd)
            .env("PATH", std::env::join_paths(paths).unwrap())
            .env("HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("NO_COLOR", "1")
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .env_remove("CI")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("PROMPTREG_BLOB_HELPER")
            .env_remove("PRE_COMMIT_FROM_REF")
            .env_remove("PRE_COMMIT_TO_REF");
        cmd
    }

    /// A copy of the fixture (or an empty directory, or a new registry) to
    /// run `example` in.
    fn workspace(&self, example: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        if IN_EMPTY_DIR.contains(&example) {
            return dir;
        }
        if IN_NEW_REGISTRY.contains(&example) {
            git(dir.path(), &["init", "-q", "-b", "main"]);
            git(dir.path(), &["config", "user.name", "Example Author"]);
            git(dir.path(), &["config", "user.email", "author@example.com"]);
            let out = self
                .command(dir.path(), env!("CARGO_BIN_EXE_promptreg"))
                .arg("init")
                .output()
                .unwrap();
            assert!(out.status.success());
            return dir;
        }
        // Everything but the objects, which the copy borrows (alternates):
        // copying the history for each of ~80 examples would be most of
        // the test's time.
        copy_tree(&self.root, dir.path());
        let objects = dir.path().join(".git/objects");
        std::fs::create_dir_all(objects.join("info")).unwrap();
        std::fs::create_dir_all(objects.join("pack")).unwrap();
        std::fs::write(
            objects.join("info/alternates"),
            format!("{}\n", self.root.join(".git/objects").display()),
        )
        .unwrap();
        if AFTER_AN_EDIT.contains(&example) {
            let path = dir.path().join("prompts/support/triage.prompt.yaml");
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(
                &path,
                text.replacen(
                    "You are a support triage assistant",
                    "You are a careful support triage assistant",
                    1,
                ),
            )
            .unwrap();
        }
        dir
    }

    fn run(&self, example: &str) -> (String, Run) {
        let command = ADAPTED
            .iter()
            .find(|(written, _, _)| *written == example)
            .map(|(_, _, instead)| instead.to_string())
            .unwrap_or_else(|| example.to_string());
        let dir = self.workspace(example);
        let run = run(self.command(dir.path(), "sh").arg("-c").arg(&command));
        (command, run)
    }
}

/// Copies `from` into `to`, leaving out `.git/objects`.
fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            if path.ends_with(".git/objects") {
                continue;
            }
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&path, &target);
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&path).unwrap(), &target).unwrap();
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

#[test]
fn every_help_example_runs_in_the_example_registry() {
    let examples = help_examples();
    assert!(examples.len() > 60, "{} examples found", examples.len());
    for (written, reason, _) in ADAPTED {
        assert!(
            examples.iter().any(|(_, e)| e == written),
            "ADAPTED names an example that is no longer in the help ({reason}): {written}"
        );
    }
    let fixture = Fixture::new();
    let mut failures = Vec::new();
    for (who, example) in &examples {
        let want = EXIT_CODES
            .iter()
            .find(|(e, _, _)| e == example)
            .map(|(_, code, _)| *code)
            .unwrap_or(0);
        let (command, run) = fixture.run(example);
        if run.code != want {
            failures.push(format!(
                "`{who} --help`: `{command}` exited {} (want {want})\nstdout:\n{}\nstderr:\n{}",
                run.code, run.stdout, run.stderr
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} help examples fail:\n\n{}",
        failures.len(),
        examples.len(),
        failures.join("\n\n")
    );
}

/// The `$ promptreg …` lines of README.md's console blocks. Their output
/// is the README's illustration of a different registry (its commit ids,
/// dates and versions), so the test holds each command to running
/// (exit 0 or 1, never "could not run"), not to the output shown.
#[test]
fn every_readme_console_command_runs_in_the_example_registry() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let mut commands = Vec::new();
    let mut blocks: Vec<Vec<String>> = Vec::new();
    let mut in_console = false;
    for line in readme.lines() {
        if line.starts_with("```console") {
            in_console = true;
            blocks.push(Vec::new());
        } else if line.starts_with("```") {
            in_console = false;
        } else if in_console {
            if let Some(cmd) = line.strip_prefix("$ ") {
                // A trailing `# comment` is the README's explanation.
                let cmd = match cmd.find(" # ") {
                    Some(i) => &cmd[..i],
                    None => cmd,
                };
                blocks.last_mut().unwrap().push(cmd.trim_end().to_string());
            }
        }
    }
    // The worked example is one session from an empty directory: it runs
    // as one script, `$EDITOR` a no-op (the file `new` wrote is used as is).
    let worked = blocks.remove(0);
    assert!(
        worked[0].starts_with("promptreg init my-prompts"),
        "{worked:?}"
    );
    let script = format!("set -e\n{}\n", worked.join("\n"));
    let empty = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let session = run(fixture
        .command(empty.path(), "sh")
        .env("EDITOR", "true")
        .env("GIT_AUTHOR_NAME", "Example Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_COMMITTER_NAME", "Example Author")
        .env("GIT_COMMITTER_EMAIL", "author@example.com")
        .arg("-c")
        .arg(&script));
    assert_eq!(
        session.code, 0,
        "the worked example fails:\n{script}\nstdout:\n{}\nstderr:\n{}",
        session.stdout, session.stderr
    );
    assert!(
        session.stdout.contains("support/triage 0.1.0 → 0.2.0"),
        "{}",
        session.stdout
    );
    for block in blocks {
        commands.extend(block.into_iter().filter(|c| c.starts_with("promptreg")));
    }
    assert!(commands.len() >= 10, "{commands:?}");
    let mut failures = Vec::new();
    for command in &commands {
        let (ran, run) = fixture.run(command);
        if run.code == 2 || run.code < 0 {
            failures.push(format!(
                "`{ran}` could not run (exit {})\nstderr:\n{}",
                run.code, run.stderr
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} README commands fail:\n\n{}",
        failures.len(),
        commands.len(),
        failures.join("\n\n")
    );
}
