//! Smaller promises, each a test: no panic on a full stderr, stale temporary
//! files reported, a vars file's error names the line, not the content.

mod common;
use common::*;

#[test]
fn a_full_or_closed_stderr_never_panics() {
    let repo = TestRepo::new();
    repo.prompt("a", &text_prompt("1.0.0", &["1.0.0"], "Hello"));
    repo.commit("a");
    if std::path::Path::new("/dev/full").exists() {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = repo
            .cmd()
            .args(["show", "missing"])
            .stderr(full)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
    }
    // A closed stderr pipe.
    let mut child = repo
        .cmd()
        .args(["show", "missing"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    assert_eq!(child.wait().unwrap().code(), Some(2));
}

#[test]
fn doctor_reports_temporary_files_left_by_an_interrupted_write() {
    let repo = TestRepo::new();
    repo.prompt("a", &text_prompt("1.0.0", &["1.0.0"], "Hello"));
    repo.commit("a");
    repo.run(&["doctor"])
        .stdout_has("none left by interrupted writes");
    repo.write(".promptreg-AbC123.tmp", "half");
    repo.write("prompts/team/.promptreg-XyZ987.tmp", "half");
    let json = repo.run(&["doctor", "--format", "json"]);
    let checks = json.json();
    let temp = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "temporary files")
        .unwrap()
        .clone();
    assert_eq!(temp["status"], "warning");
    let detail = temp["detail"].as_str().unwrap();
    assert!(detail.contains(".promptreg-AbC123.tmp"), "{detail}");
    assert!(
        detail.contains("prompts/team/.promptreg-XyZ987.tmp"),
        "{detail}"
    );
}

#[test]
fn a_vars_file_error_names_the_line_not_the_content() {
    let repo = TestRepo::new();
    repo.prompt("a", &text_prompt("1.0.0", &["1.0.0"], "Hello"));
    repo.write("vars.yaml", "SECRET-TOKEN-1234 and more secret text\n");
    let run = repo.run(&["render", "a", "--vars-file", "vars.yaml"]);
    run.code(2).stderr_has("vars.yaml");
    assert!(!run.stderr.contains("SECRET-TOKEN"), "{}", run.stderr);
    repo.write("vars.yaml", "x: 1\ny: [SECRET-TOKEN\n");
    let run = repo.run(&["render", "a", "--vars-file", "vars.yaml"]);
    run.code(2).stderr_has("line ");
    assert!(!run.stderr.contains("SECRET-TOKEN"), "{}", run.stderr);
}

#[test]
fn a_score_dated_in_the_far_future_is_never_the_latest() {
    let repo = TestRepo::new();
    repo.prompt("a", &text_prompt("1.0.0", &["1.0.0"], "Hello"));
    let release = repo.commit("a");
    repo.run(&["score", "a@1.0.0", "--metric", "accuracy=0.5"])
        .ok();
    let future = serde_json::json!({
        "prompt": "a", "version": "1.0.0", "metric": "accuracy", "value": 0.99,
        "samples": null, "source": null, "author": "X <x@example.com>",
        "timestamp": "2999-01-01T00:00:00Z",
    });
    let note = repo.git(&["notes", "--ref", "promptreg", "show", &release]);
    repo.git(&[
        "notes",
        "--ref",
        "promptreg",
        "add",
        "-f",
        "-m",
        &format!("{note}\n{future}"),
        &release,
    ]);
    let scores = repo.run(&["scores", "a", "--format", "json"]);
    scores.ok();
    assert!(!scores.stdout.contains("0.99"), "{}", scores.stdout);
    assert!(scores.stdout.contains("0.5"), "{}", scores.stdout);
}

#[test]
fn a_sha256_repository_is_reported_as_unsupported() {
    let repo = TestRepo::empty();
    repo.git(&["init", "-q", "--object-format=sha256", "-b", "main"]);
    repo.write("promptreg.yaml", "prompts_dir: prompts\n");
    repo.prompt("a", &text_prompt("1.0.0", &["1.0.0"], "Hello"));
    repo.run(&["log"])
        .code(2)
        .stderr_has("SHA-256 object ids")
        .stderr_has("not support");
}

#[test]
fn prompts_in_a_submodule_are_refused_clearly() {
    let inner = TestRepo::new();
    inner.prompt("a", &text_prompt("1.0.0", &["1.0.0"], "Hello"));
    inner.commit("a");
    let repo = TestRepo::new();
    repo.commit("root");
    let url = format!(
        "file://{}",
        inner.file("prompts").parent().unwrap().display()
    );
    repo.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        &url,
        "prompts",
    ]);
    repo.commit("prompts as a submodule");
    let head = repo.git(&["rev-parse", "HEAD"]);
    repo.run(&["log"])
        .code(2)
        .stderr_has("prompts is a Git submodule or a repository of its own");
    repo.run(&["doctor"]).code(1).stdout_has("submodule");
    repo.run(&["bump", "a", "patch", "-m", "x", "--commit"])
        .code(2);
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head);
}

#[cfg(unix)]
#[test]
fn a_non_utf8_file_name_is_reported() {
    use std::os::unix::ffi::OsStrExt;
    let repo = TestRepo::new();
    repo.prompt("a", &text_prompt("1.0.0", &["1.0.0"], "Hello"));
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.prompt.yaml");
    std::fs::write(
        repo.file("prompts").join(name),
        text_prompt("1.0.0", &["1.0.0"], "Hi"),
    )
    .unwrap();
    repo.run(&["validate"])
        .code(1)
        .stdout_has("name is not UTF-8");
}

#[test]
fn autocrlf_checkouts_are_not_modified_for_status_or_check() {
    let repo = TestRepo::new();
    repo.prompt("a", &text_prompt("1.0.0", &["1.0.0"], "Hello"));
    repo.commit("a");
    // A CRLF checkout, as core.autocrlf=true makes on Windows; git status
    // is clean.
    repo.git(&["config", "core.autocrlf", "true"]);
    let text = repo.read("prompts/a.prompt.yaml").replace('\n', "\r\n");
    repo.remove("prompts/a.prompt.yaml");
    repo.git(&["checkout", "--", "prompts/a.prompt.yaml"]);
    assert_eq!(repo.read("prompts/a.prompt.yaml"), text, "git wrote CRLF");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    let status = repo.run(&["status", "--format", "json"]);
    status.ok();
    assert!(status.stdout.contains("\"clean\""), "{}", status.stdout);
    repo.run(&["check", "--no-lock"])
        .ok()
        .stdout_has("0 prompts changed");
    // The same with an eol attribute instead of the setting.
    repo.git(&["config", "core.autocrlf", "false"]);
    repo.write(".gitattributes", "*.yaml text eol=crlf\n");
    repo.commit("attributes");
    repo.remove("prompts/a.prompt.yaml");
    repo.git(&["checkout", "--", "prompts/a.prompt.yaml"]);
    assert_eq!(repo.read("prompts/a.prompt.yaml"), text, "git wrote CRLF");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    let status = repo.run(&["status", "--format", "json"]);
    assert!(status.stdout.contains("\"clean\""), "{}", status.stdout);
    repo.run(&["check", "--no-lock"])
        .ok()
        .stdout_has("0 prompts changed");
}
