//! Terminal and CI injection (docs/DESIGN.md §13): text from commits reaches
//! human output with its control and bidi characters visibly escaped, while
//! JSON and the data commands keep the exact text.

mod common;
use common::{TestRepo, AUTHOR};

/// One of each class: OSC 52 ended by BEL, CSI clear screen, a C1 CSI, a
/// bidi override and isolate, backspace and carriage return, DEL.
const HOSTILE: &str =
    "\x1b]52;c;aGk=\x07|\x1b[2J|\u{9b}31m|\u{202e}evil\u{202c}|\u{2066}iso\u{2069}|\x08\r|\x7f";

/// `HOSTILE` as a YAML double-quoted scalar's escapes.
const HOSTILE_YAML: &str =
    r#"\e]52;c;aGk=\a|\e[2J|\x9b31m|\u202eevil\u202c|\u2066iso\u2069|\b\r|\x7f"#;

fn unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn prompt(version: &str, history: &[&str]) -> String {
    let mut s = format!(
        "version: {version}\ndescription: \"{HOSTILE_YAML}\"\nvariables:\n  x:\n    description: \"{HOSTILE_YAML}\"\ntemplate: \"{HOSTILE_YAML} {version} {{{{ x }}}}\"\nchangelog:\n"
    );
    for v in history {
        s.push_str(&format!(
            "  - version: {v}\n    date: 2026-01-20T10:00:00Z\n    author: \"{HOSTILE_YAML} <evil@example.com>\"\n    reason: \"{HOSTILE_YAML}\"\n"
        ));
    }
    s
}

fn hostile_registry() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nenvironments:\n  production:\n    \"*\": latest\n",
    );
    repo.prompt("a", &prompt("1.0.0", &["1.0.0"]));
    repo.commit(&format!("first {HOSTILE}"));
    repo.prompt("a", &prompt("1.1.0", &["1.1.0", "1.0.0"]));
    repo.commit(&format!("second {HOSTILE}"));
    repo.run(&["lock"]).ok();
    repo.commit("lock");
    // A hand-written score note whose free-text fields are hostile.
    let release = repo.git(&["rev-list", "-1", "HEAD~1"]);
    let line = serde_json::json!({
        "prompt": "a", "version": "1.1.0", "metric": "accuracy", "value": 0.5,
        "samples": null, "source": HOSTILE, "author": format!("{HOSTILE} <e@x>"),
        "timestamp": "2026-01-21T10:00:00Z",
    });
    repo.git(&[
        "notes",
        "--ref",
        "promptreg",
        "add",
        "-m",
        &format!(
            "{line}\n{}",
            line.to_string()
                .replace("\"accuracy\"", &serde_json::to_string(HOSTILE).unwrap())
        ),
        &release,
    ]);
    // The working tree changes a's text, so diff and status have work, and
    // holds a file whose unknown key is hostile, for validate and check.
    repo.prompt("a", &prompt("1.2.0", &["1.2.0", "1.1.0", "1.0.0"]));
    repo.prompt(
        "bad",
        &prompt("1.0.0", &["1.0.0"]).replacen(
            "description:",
            &format!("\"x-{HOSTILE_YAML}\": 1\ndescription:"),
            1,
        ),
    );
    repo
}

#[track_caller]
fn assert_escaped(repo: &TestRepo, args: &[&str]) {
    let run = repo.run(args);
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        if let Some(c) = text.chars().find(|&c| unsafe_char(c)) {
            panic!(
                "`promptreg {}` printed {c:?} raw on {stream}:\n{}",
                args.join(" "),
                text.escape_debug()
            );
        }
    }
    assert!(
        run.stdout.contains("\\u{1b}") || run.stderr.contains("\\u{1b}"),
        "`promptreg {}` did not show the hostile text escaped:\nstdout:\n{}\nstderr:\n{}",
        args.join(" "),
        run.stdout,
        run.stderr
    );
}

#[test]
fn human_output_escapes_control_and_bidi_characters() {
    let repo = hostile_registry();
    for args in [
        &["log"][..],
        &["log", "a"],
        &["show", "a"],
        &["show", "a@1.0.0"],
        &["list"],
        &["diff", "a"],
        &["diff", "a@1.0.0", "a@1.1.0"],
        &["blame", "a", "--at", "2099-01-01T00:00:00Z"],
        &["validate"],
        &["check"],
        &["check", "--format", "github"],
        &["scores", "a"],
    ] {
        assert_escaped(&repo, args);
    }
    // Error messages that echo input: a revision, a metric name.
    assert_escaped(&repo, &["show", &format!("a@rev:{HOSTILE}")]);
    assert_escaped(
        &repo,
        &["score", "a@1.1.0", "--metric", &format!("{HOSTILE}=1")],
    );
}

#[test]
fn json_and_data_commands_keep_the_exact_text() {
    let repo = hostile_registry();
    let shown = repo.run(&["show", "a@1.1.0", "--format", "json"]);
    shown.ok();
    assert_eq!(shown.json()["description"], HOSTILE);
    let log = repo.run(&["log", "a", "--format", "json"]);
    log.ok();
    assert!(log.stdout.contains("\\u001b]52"), "{}", log.stdout);

    let yaml = repo.run(&["show", "a", "--format", "yaml"]);
    yaml.ok();
    assert_eq!(yaml.stdout, repo.read("prompts/a.prompt.yaml"));

    let rendered = repo.run(&["render", "a", "--var", "x=\u{1b}[1m"]);
    rendered.ok();
    assert!(
        rendered
            .stdout
            .contains(&format!("{HOSTILE} 1.2.0 \u{1b}[1m")),
        "{:?}",
        rendered.stdout
    );
    let _ = AUTHOR;
}
