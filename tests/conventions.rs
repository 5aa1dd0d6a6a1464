//! The conventions of a well-kept CLI: shell completions, a man page,
//! `--color` with NO_COLOR and CLICOLOR_FORCE, plain tables off a terminal,
//! the terminal's width on one, `-q`, and `log --since` reading what
//! `blame --at` reads.

mod common;
use common::*;
use std::process::Command;

fn registry() -> TestRepo {
    let repo = TestRepo::new();
    repo.prompt("a", &text_prompt("1.0.0", &["1.0.0"], "Hello"));
    repo.commit("one prompt");
    repo
}

#[test]
fn completions_are_generated_for_every_shell() {
    let repo = TestRepo::empty();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = repo.run(&["completions", shell]);
        run.ok();
        assert!(
            run.stdout.contains("promptreg") && run.stdout.contains("check"),
            "{shell}:\n{}",
            run.stdout
        );
    }
    // The bash script is valid bash.
    let script = repo.run(&["completions", "bash"]).stdout.clone();
    repo.write("promptreg.bash", &script);
    let out = Command::new("bash")
        .arg("-n")
        .arg(repo.file("promptreg.bash"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    repo.run(&["completions", "tcsh"]).code(2);
}

#[test]
fn the_man_page_is_roff_with_every_subcommand() {
    let run = TestRepo::empty().run(&["man"]);
    run.ok();
    assert!(run.stdout.starts_with(".ie") || run.stdout.contains(".TH promptreg 1"));
    assert!(run.stdout.contains(".TH promptreg 1"), "{}", run.stdout);
    for section in ["PROMPTREG CHECK", "PROMPTREG LOCK", "PROMPTREG COMPLETIONS"] {
        assert!(
            run.stdout.contains(&format!(".SH \"{section}\"")),
            "{section}"
        );
    }
    assert!(!run.stdout.contains("__read-blobs"));
    // groff reads it without a warning, when it is installed.
    if let Ok(out) = Command::new("groff")
        .args(["-k", "-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(run.stdout.as_bytes())?;
            child.wait_with_output()
        })
    {
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    }
}

fn show(repo: &TestRepo, env: &[(&str, &str)], args: &[&str]) -> String {
    let mut cmd = repo.cmd();
    cmd.env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let run = run(cmd.args(args).args(["show", "a"]));
    run.ok();
    run.stdout.clone()
}

#[test]
fn color_follows_the_flag_then_no_color_then_clicolor_force() {
    let repo = registry();
    let colored = |s: &str| s.contains("\x1b[");
    // Off a terminal, auto means no colour.
    assert!(!colored(&show(&repo, &[], &[])));
    assert!(colored(&show(&repo, &[], &["--color", "always"])));
    assert!(!colored(&show(&repo, &[], &["--color", "never"])));
    assert!(colored(&show(&repo, &[("CLICOLOR_FORCE", "1")], &[])));
    assert!(!colored(&show(&repo, &[("CLICOLOR_FORCE", "0")], &[])));
    assert!(!colored(&show(&repo, &[("NO_COLOR", "1")], &[])));
    // NO_COLOR wins over CLICOLOR_FORCE; the flag wins over both.
    assert!(!colored(&show(
        &repo,
        &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")],
        &[]
    )));
    assert!(colored(&show(
        &repo,
        &[("NO_COLOR", "1")],
        &["--color=always"]
    )));
    assert!(!colored(&show(
        &repo,
        &[("CLICOLOR_FORCE", "1")],
        &["--color=never"]
    )));
    repo.run(&["--color", "sometimes", "list"]).code(2);
}

#[test]
fn tables_off_a_terminal_are_plain_aligned_columns_never_truncated() {
    let repo = TestRepo::new();
    let long = "word ".repeat(60);
    repo.prompt(
        "a",
        &text_prompt("1.0.0", &["1.0.0"], "Hello").replace("A test prompt.", long.trim()),
    );
    repo.prompt("bb/c", &text_prompt("0.1.0", &["0.1.0"], "Hi"));
    repo.commit("two prompts");
    let run = repo.run(&["list"]);
    run.ok();
    for box_char in ['│', '┆', '─', '═', '┌', '╞'] {
        assert!(!run.stdout.contains(box_char), "{}", run.stdout);
    }
    assert!(run.stdout.contains(long.trim()), "{}", run.stdout);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines[0].starts_with("name"), "{}", run.stdout);
    // Columns line up: the second column starts at the same place.
    let col = |l: &str| l.find("1.0.0").or_else(|| l.find("0.1.0"));
    let a = lines.iter().find(|l| l.starts_with("a ")).unwrap();
    let c = lines.iter().find(|l| l.starts_with("bb/c")).unwrap();
    assert_eq!(col(a), col(c), "{}", run.stdout);
    for line in &lines {
        assert_eq!(line.trim_end(), *line, "no trailing blanks");
    }
}

/// Runs promptreg under a pseudo-terminal (`script`), whose size is 0×0.
fn on_a_terminal(repo: &TestRepo, args: &str) -> Option<String> {
    let bin = env!("CARGO_BIN_EXE_promptreg");
    let out = Command::new("script")
        .args(["-qec", &format!("{bin} {args}"), "/dev/null"])
        .current_dir(repo.path())
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn on_a_terminal_of_no_size_tables_fit_a_sane_width() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: `script` (util-linux) is not installed, so no pseudo-terminal");
        return;
    }
    let repo = TestRepo::new();
    let long = "word ".repeat(60);
    repo.prompt(
        "a",
        &text_prompt("1.0.0", &["1.0.0"], "Hello").replace("A test prompt.", long.trim()),
    );
    repo.commit("one prompt");
    let text = on_a_terminal(&repo, "list").expect("promptreg runs under script");
    assert!(text.contains('│'), "a drawn table on a terminal:\n{text}");
    for line in text.lines() {
        assert!(
            line.chars().count() <= 100,
            "fits the 100-column fallback: {line:?}"
        );
    }
}

#[test]
fn quiet_drops_the_summary_line() {
    let repo = registry();
    repo.prompt("a", &text_prompt("1.0.0", &["1.0.0"], "Hello there"));
    let loud = repo.run(&["check", "--no-lock"]);
    loud.code(1).stdout_has("1 prompt changed, 1 error");
    let quiet = repo.run(&["check", "--no-lock", "-q"]);
    quiet.code(1).stdout_has("version-not-bumped");
    assert!(!quiet.stdout.contains("prompt changed"), "{}", quiet.stdout);
    let quiet = repo.run(&["--quiet", "check", "--no-lock"]);
    assert!(!quiet.stdout.contains("prompt changed"));
}

#[test]
fn quiet_silences_commands_that_only_report_what_they_did() {
    let repo = registry();
    for args in [
        &["lock"][..],
        &["validate"],
        &["verify"],
        &["lock", "--locked"],
    ] {
        let loud = repo.run(args);
        loud.ok();
        assert!(!loud.stdout.is_empty(), "{args:?} says what it did");
        let mut quiet_args = vec!["-q"];
        quiet_args.extend_from_slice(args);
        let quiet = repo.run(&quiet_args);
        quiet.ok();
        assert_eq!(quiet.stdout, "", "{args:?} -q");
    }
    // Data is still printed, and so are findings.
    repo.run(&["-q", "lock", "--format", "json"])
        .ok()
        .stdout_has("\"status\": \"up-to-date\"");
    repo.prompt(
        "a",
        &text_prompt("1.0.0", &["1.0.0"], "Changed without a bump"),
    );
    repo.write("prompts/broken.prompt.yaml", "version: [\n");
    repo.run(&["-q", "validate"]).code(1).stdout_has("broken");
}

#[test]
fn log_since_reads_the_moments_blame_at_reads() {
    let repo = registry();
    // The fixture's commit is at 1_780_000_000 s: 2026-05-28 20:26:40 UTC.
    for (since, releases) in [
        ("2026-05-28", 1),
        ("2026-05-28 20:26", 1),
        ("2026-05-28 20:26:40", 1),
        ("2026-05-28T20:26:41", 0),
        ("2026-05-28T22:26:41+02:00", 0),
        ("2026-05-28T20:26:40Z", 1),
        ("2026-05-29", 0),
    ] {
        let run = repo.run(&["log", "--since", since, "--format", "json"]);
        run.ok();
        let json = run.json();
        assert_eq!(
            json["versions"].as_array().unwrap().len(),
            releases,
            "--since {since}: {json}"
        );
        // blame --at accepts the same text.
        let blame = repo.run(&["blame", "--at", since]);
        assert_ne!(blame.code, 2, "blame --at {since}: {}", blame.stderr);
    }
    repo.run(&["log", "--since", "yesterday"])
        .code(2)
        .stderr_has("RFC 3339");
}
