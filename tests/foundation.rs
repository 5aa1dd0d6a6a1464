//! The foundation commands (`init`, `new`, `list`, `show`, `render`,
//! `validate`, `schema`) driven through the real binary on real temporary
//! directories: the acceptance flow of issue 2 and every bad input it names.

mod common;
use common::*;

use std::path::Path;

/// A valid chat prompt: `ticket` is required, `tone` defaults to `neutral`.
const CHAT: &str = "\
version: 1.2.0
description: Summarise a support ticket.
variables:
  ticket:
    description: Raw ticket text
  tone:
    description: Voice of the summary
    default: neutral
messages:
  - role: system
    content: You are a support triage assistant. Answer in a {{ tone }} tone.
  - role: user
    content: |
      Summarise this ticket:
      {{ ticket }}
changelog:
  - version: 1.2.0
    date: 2026-01-20T10:00:00Z
    author: Test Author <test@example.com>
    reason: Let callers choose the tone.
  - version: 1.0.0
    date: 2026-01-10T10:00:00Z
    author: Test Author <test@example.com>
    reason: First version.
";

/// A registry holding `support/triage` (the chat prompt above).
fn chat_repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.prompt("support/triage", CHAT);
    repo
}

/// A registry holding one prompt `bad` with `content`.
fn repo_with_bad(content: impl AsRef<[u8]>) -> TestRepo {
    let repo = TestRepo::new();
    repo.write("prompts/bad.prompt.yaml", content);
    repo
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

// ---------------------------------------------------------------------------
// Acceptance flow and `init`
// ---------------------------------------------------------------------------

#[test]
fn acceptance_init_new_validate_list() {
    let repo = TestRepo::empty();
    repo.run_as_author(&["init"])
        .ok()
        .stdout_has("Created a prompt registry");
    repo.run_as_author(&["new", "support/triage"])
        .ok()
        .stdout_has("support/triage");
    repo.run_as_author(&["validate"])
        .ok()
        .stdout_has("0 error(s)");
    let run = repo.run_as_author(&["list", "--format", "json"]);
    run.ok();
    let list = run.json();
    let list = list.as_array().expect("list --format json is an array");
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["name"], "support/triage");
    assert_eq!(list[0]["version"], "0.1.0");
    assert_eq!(list[0]["kind"], "text");
    assert_eq!(list[0]["valid"], true);
    assert_eq!(list[0]["path"], "prompts/support/triage.prompt.yaml");

    // The first changelog entry records the Git identity and the default reason.
    let shown = repo.run_as_author(&["show", "support/triage", "--format", "json"]);
    shown.ok();
    let shown = shown.json();
    assert_eq!(shown["changelog"][0]["version"], "0.1.0");
    assert_eq!(shown["changelog"][0]["author"], AUTHOR);
    assert_eq!(shown["changelog"][0]["reason"], "Initial version");
    let date = shown["changelog"][0]["date"].as_str().unwrap();
    assert!(date.ends_with('Z') && date.len() == 20, "date {date}");
}

#[test]
fn init_runs_git_init_and_writes_schemas() {
    let repo = TestRepo::empty();
    assert!(!repo.file(".git").exists());
    repo.run(&["init"])
        .ok()
        .stdout_has("Initialized a Git repository");
    assert!(repo.file(".git").is_dir(), "init did not create .git");
    assert!(repo.file("prompts").is_dir());
    assert!(repo.read("promptreg.yaml").contains("prompts_dir: prompts"));
    for file in [
        "prompt.schema.json",
        "config.schema.json",
        "lockfile.schema.json",
        "manifest.schema.json",
    ] {
        let written = repo.read(&format!(".promptreg/schemas/{file}"));
        let shipped = std::fs::read_to_string(manifest_dir().join("schemas").join(file)).unwrap();
        assert_eq!(written, shipped, "{file} differs from schemas/{file}");
    }
    // The registry it made is valid as it stands.
    repo.run(&["validate"]).ok();
    repo.run(&["list"]).ok().stdout_has("No prompts yet");
}

#[test]
fn init_in_an_existing_repository_does_not_reinitialise_it() {
    let repo = TestRepo::empty();
    repo.git(&["init", "-q", "-b", "main"]);
    let head = repo.read(".git/HEAD");
    let run = repo.run(&["init"]);
    run.ok().stdout_has("Created a prompt registry");
    assert!(
        !run.stdout.contains("Initialized a Git repository"),
        "{}",
        run.stdout
    );
    assert_eq!(repo.read(".git/HEAD"), head);
    assert!(repo.file("promptreg.yaml").is_file());
}

#[test]
fn init_takes_a_directory_argument() {
    let repo = TestRepo::empty();
    repo.run(&["init", "my-prompts"]).ok();
    assert!(repo.file("my-prompts/promptreg.yaml").is_file());
    assert!(repo.file("my-prompts/.git").is_dir());
    assert!(repo
        .file("my-prompts/.promptreg/schemas/prompt.schema.json")
        .is_file());
    assert!(!repo.file("promptreg.yaml").exists());
}

#[test]
fn init_refuses_an_existing_config() {
    let repo = TestRepo::new();
    repo.write("promptreg.yaml", "prompts_dir: mine\n");
    let before = repo.files();
    repo.run(&["init"])
        .code(2)
        .stderr_has("promptreg.yaml already exists")
        .stderr_has("refusing to overwrite");
    assert_eq!(repo.read("promptreg.yaml"), "prompts_dir: mine\n");
    assert_eq!(repo.files(), before, "init wrote something");
}

// ---------------------------------------------------------------------------
// `new`
// ---------------------------------------------------------------------------

#[test]
fn new_text_prompt_has_a_template_and_a_schema_line_that_resolves() {
    let repo = TestRepo::new();
    repo.run(&["new", "support/triage"])
        .ok()
        .stdout_has("Created support/triage at 0.1.0");
    let rel = "prompts/support/triage.prompt.yaml";
    let text = repo.read(rel);
    assert!(text.contains("\ntemplate: |\n"), "{text}");
    assert!(!text.contains("\nmessages:"), "{text}");
    assert!(text.contains("\nversion: 0.1.0\n"), "{text}");

    let first = text.lines().next().unwrap();
    let schema = first
        .strip_prefix("# yaml-language-server: $schema=")
        .unwrap_or_else(|| panic!("first line is {first:?}"));
    let target = repo.file(rel).parent().unwrap().join(schema);
    assert!(target.is_file(), "{} does not exist", target.display());
    let target = target.canonicalize().unwrap();
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        std::fs::read_to_string(manifest_dir().join("schemas/prompt.schema.json")).unwrap()
    );
    assert!(target.starts_with(repo.path().canonicalize().unwrap()));
}

#[test]
fn new_chat_prompt_has_messages_and_renders() {
    let repo = TestRepo::new();
    repo.run(&["new", "a/b/deep", "--chat", "-m", "First deep prompt"])
        .ok();
    let rel = "prompts/a/b/deep.prompt.yaml";
    let text = repo.read(rel);
    assert!(text.contains("\nmessages:\n"), "{text}");
    assert!(text.contains("- role: system"), "{text}");
    assert!(text.contains("- role: user"), "{text}");
    assert!(!text.contains("\ntemplate:"), "{text}");
    assert!(text.contains("reason: First deep prompt"), "{text}");

    // Three directories deep: the relative schema path must still resolve.
    let first = text.lines().next().unwrap();
    let schema = first
        .strip_prefix("# yaml-language-server: $schema=")
        .unwrap();
    assert!(
        repo.file(rel).parent().unwrap().join(schema).is_file(),
        "{schema}"
    );

    let run = repo.run(&[
        "render",
        "a/b/deep",
        "--var",
        "input=hello",
        "--format",
        "json",
    ]);
    run.ok();
    let messages = run.json();
    let messages = messages.as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["role"], "system");
    assert_eq!(messages[1]["role"], "user");
    assert!(messages[1]["content"].as_str().unwrap().contains("hello"));
    repo.run(&["validate"]).ok();
}

#[test]
fn new_honours_a_custom_prompts_dir() {
    let repo = TestRepo::new();
    repo.write("promptreg.yaml", "prompts_dir: lib/prompts\n");
    repo.run(&["new", "a/b"])
        .ok()
        .stdout_has("lib/prompts/a/b.prompt.yaml");
    let rel = "lib/prompts/a/b.prompt.yaml";
    let text = repo.read(rel);
    let schema = text
        .lines()
        .next()
        .unwrap()
        .strip_prefix("# yaml-language-server: $schema=")
        .unwrap();
    assert_eq!(schema, "../../../.promptreg/schemas/prompt.schema.json");
    assert!(repo.file(rel).parent().unwrap().join(schema).is_file());
    assert!(!repo.file("prompts").exists());
    let run = repo.run(&["list", "--format", "json"]);
    run.ok();
    assert_eq!(run.json()[0]["name"], "a/b");
}

#[test]
fn new_refuses_an_empty_reason() {
    let repo = TestRepo::new();
    repo.run(&["new", "a", "-m", "  "])
        .code(2)
        .stderr_has("the reason (-m) is empty");
    assert!(!repo.file("prompts/a.prompt.yaml").exists());
}

#[test]
fn new_refuses_an_existing_prompt() {
    let repo = TestRepo::new();
    let content = text_prompt("2.0.0", &["2.0.0"], "Mine");
    repo.prompt("support/triage", &content);
    let before = repo.files();
    repo.run(&["new", "support/triage", "--chat"])
        .code(2)
        .stderr_has("prompt `support/triage` already exists")
        .stderr_has("prompts/support/triage.prompt.yaml");
    assert_eq!(repo.read("prompts/support/triage.prompt.yaml"), content);
    assert_eq!(repo.files(), before, "new wrote something");
}

#[test]
fn new_refuses_invalid_names_and_writes_nothing() {
    for (name, why) in [
        ("Upper", "must start with a lowercase letter or a digit"),
        ("a b", "contains ` `"),
        ("../x", "segment `..` must start"),
        ("x/", "empty path segment"),
    ] {
        let repo = TestRepo::new();
        let before = repo.files();
        repo.run(&["new", name])
            .code(2)
            .stderr_has(&format!("invalid prompt name `{name}`"))
            .stderr_has(why)
            .stderr_has("hint:");
        assert_eq!(repo.files(), before, "`new {name}` wrote something");
        assert!(!repo.file("x.prompt.yaml").exists());
        assert!(!repo.file("prompts").exists(), "`new {name}` made prompts/");
    }
}

#[test]
fn new_without_git_identity_fails_with_a_hint() {
    let repo = TestRepo::empty();
    repo.git(&["init", "-q", "-b", "main"]);
    repo.write("promptreg.yaml", "prompts_dir: prompts\n");
    let before = repo.files();
    let run = run(repo
        .cmd()
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("GIT_COMMITTER_NAME")
        .env_remove("GIT_COMMITTER_EMAIL")
        .args(["new", "support/triage"]));
    run.code(2)
        .stderr_has("Git has no identity")
        .stderr_has("git config");
    assert_eq!(repo.files(), before, "new wrote something");
}

// ---------------------------------------------------------------------------
// `render`
// ---------------------------------------------------------------------------

#[test]
fn render_chat_json_fills_every_placeholder_and_applies_defaults() {
    let repo = chat_repo();
    let run = repo.run(&[
        "render",
        "support/triage",
        "--var",
        "ticket=Printer on fire",
        "--format",
        "json",
    ]);
    run.ok();
    let value = run.json();
    let messages = value.as_array().expect("a JSON array");
    assert_eq!(messages.len(), 2);
    for m in messages {
        let keys: Vec<&String> = m.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["role", "content"], "{m}");
        let content = m["content"].as_str().unwrap();
        assert!(
            !content.contains("{{") && !content.contains("}}"),
            "{content}"
        );
    }
    assert_eq!(messages[0]["role"], "system");
    assert_eq!(
        messages[0]["content"],
        "You are a support triage assistant. Answer in a neutral tone."
    );
    assert_eq!(messages[1]["role"], "user");
    assert_eq!(
        messages[1]["content"],
        "Summarise this ticket:\nPrinter on fire\n"
    );
}

#[test]
fn render_chat_human_shows_roles_and_content() {
    let repo = chat_repo();
    repo.run(&[
        "render",
        "support/triage",
        "--var",
        "ticket=Printer on fire",
        "--var",
        "tone=formal",
    ])
    .ok()
    .stdout_has("system")
    .stdout_has("Answer in a formal tone.")
    .stdout_has("Printer on fire");
}

#[test]
fn render_text_prompt_prints_the_text() {
    let repo = TestRepo::new();
    repo.prompt("greet", &text_prompt("1.0.0", &["1.0.0"], "Hello"));
    let run = repo.run(&["render", "greet", "--var", "x=world"]);
    run.ok();
    assert_eq!(run.stdout, "Hello world\n");
    let run = repo.run(&["render", "greet", "--var", "x=world", "--format", "json"]);
    run.ok();
    assert_eq!(run.json(), serde_json::json!("Hello world\n"));
}

#[test]
fn render_missing_required_variable_names_it() {
    let repo = chat_repo();
    let run = repo.run(&["render", "support/triage", "--format", "json"]);
    assert_ne!(run.code, 0);
    run.code(2)
        .stderr_has("missing required variable(s): ticket")
        .stderr_has("--var");
    assert!(run.stdout.is_empty(), "printed {}", run.stdout);
    // `tone` has a default: it is not reported missing.
    assert!(!run.stderr.contains("tone"), "{}", run.stderr);
}

#[test]
fn render_lists_every_unknown_variable() {
    let repo = chat_repo();
    repo.run(&[
        "render",
        "support/triage",
        "--var",
        "ticket=t",
        "--var",
        "colour=red",
        "--var",
        "size=9",
    ])
    .code(2)
    .stderr_has("unknown variable(s): colour, size")
    .stderr_has("declared: ticket, tone");
}

#[test]
fn render_reports_missing_and_unknown_together() {
    let repo = chat_repo();
    repo.run(&["render", "support/triage", "--var", "tickt=t"])
        .code(2)
        .stderr_has("missing required variable(s): ticket")
        .stderr_has("unknown variable(s): tickt");
}

#[test]
fn render_reads_a_json_vars_file() {
    let repo = chat_repo();
    repo.write(
        "vars.json",
        r#"{"ticket": "From JSON", "tone": "cheerful"}"#,
    );
    let run = repo.run(&[
        "render",
        "support/triage",
        "--vars-file",
        "vars.json",
        "--format",
        "json",
    ]);
    run.ok();
    let m = run.json();
    assert_eq!(
        m[0]["content"],
        "You are a support triage assistant. Answer in a cheerful tone."
    );
    assert_eq!(m[1]["content"], "Summarise this ticket:\nFrom JSON\n");
}

#[test]
fn render_reads_a_yaml_vars_file() {
    let repo = chat_repo();
    repo.write("vars.yaml", "ticket: |\n  From YAML\n  two lines\n");
    let run = repo.run(&[
        "render",
        "support/triage",
        "--vars-file",
        "vars.yaml",
        "--format",
        "json",
    ]);
    run.ok();
    let m = run.json();
    assert_eq!(
        m[1]["content"],
        "Summarise this ticket:\nFrom YAML\ntwo lines\n\n"
    );
    // Default still applies when the file leaves `tone` out.
    assert!(m[0]["content"].as_str().unwrap().contains("neutral tone"));
}

#[test]
fn render_var_overrides_the_vars_file() {
    let repo = chat_repo();
    repo.write("vars.json", r#"{"ticket": "from file", "tone": "dry"}"#);
    let run = repo.run(&[
        "render",
        "support/triage",
        "--vars-file",
        "vars.json",
        "--var",
        "ticket=from command line",
        "--format",
        "json",
    ]);
    run.ok();
    let m = run.json();
    assert_eq!(
        m[1]["content"],
        "Summarise this ticket:\nfrom command line\n"
    );
    // Keys the command line does not repeat still come from the file.
    assert!(m[0]["content"].as_str().unwrap().contains("dry tone"));
}

#[test]
fn render_refuses_a_vars_file_that_is_not_a_map() {
    let repo = chat_repo();
    repo.write("vars.yaml", "- a\n- b\n");
    repo.run(&["render", "support/triage", "--vars-file", "vars.yaml"])
        .code(2)
        .stderr_has("vars.yaml");
}

#[test]
fn render_refuses_a_var_without_equals() {
    let repo = chat_repo();
    repo.run(&["render", "support/triage", "--var", "ticket"])
        .code(2)
        .stderr_has("--var `ticket` is not KEY=VALUE");
}

#[test]
fn render_an_unknown_prompt_says_so() {
    let repo = chat_repo();
    repo.run(&["render", "nope", "--var", "ticket=t"])
        .code(2)
        .stderr_has("no prompt named `nope`")
        .stderr_has("promptreg list");
}

// ---------------------------------------------------------------------------
// `show`
// ---------------------------------------------------------------------------

#[test]
fn show_human_has_metadata_and_messages() {
    let repo = chat_repo();
    repo.run(&["show", "support/triage"])
        .ok()
        .stdout_has("support/triage 1.2.0")
        .stdout_has("prompts/support/triage.prompt.yaml")
        .stdout_has("Summarise a support ticket.")
        .stdout_has("ticket")
        .stdout_has("required")
        .stdout_has("default \"neutral\"")
        .stdout_has("Let callers choose the tone.")
        .stdout_has("First version.")
        .stdout_has("── system ──")
        .stdout_has("{{ ticket }}");
}

#[test]
fn show_json_has_the_fields() {
    let repo = chat_repo();
    let run = repo.run(&["show", "support/triage", "--format", "json"]);
    run.ok();
    let v = run.json();
    assert_eq!(v["name"], "support/triage");
    assert_eq!(v["path"], "prompts/support/triage.prompt.yaml");
    assert_eq!(v["kind"], "chat");
    assert_eq!(v["version"], "1.2.0");
    assert_eq!(v["description"], "Summarise a support ticket.");
    assert_eq!(v["variables"]["tone"]["default"], "neutral");
    assert_eq!(v["messages"][1]["role"], "user");
    assert_eq!(v["changelog"].as_array().unwrap().len(), 2);
    assert_eq!(v["changelog"][1]["version"], "1.0.0");
}

#[test]
fn show_yaml_is_the_file_byte_for_byte() {
    let repo = TestRepo::new();
    // Comments, odd spacing and quoting must survive.
    let content = format!(
        "# A comment the parser drops.\n{}\n# trailing comment\n",
        CHAT.replace(
            "version: 1.2.0\ndescription:",
            "version:   \"1.2.0\"\ndescription:"
        )
    );
    repo.prompt("support/triage", &content);
    let run = repo.run(&["show", "support/triage", "--format", "yaml"]);
    run.ok();
    assert_eq!(run.stdout, content);
    assert_eq!(
        run.stdout.as_bytes(),
        std::fs::read(repo.file("prompts/support/triage.prompt.yaml")).unwrap()
    );
}

#[test]
fn show_an_invalid_prompt_refuses_with_the_location() {
    let repo = repo_with_bad(CHAT.replace("version: 1.2.0\n", "version: one\n"));
    repo.run(&["show", "bad"])
        .code(2)
        .stderr_has("prompts/bad.prompt.yaml is invalid")
        .stderr_has("prompts/bad.prompt.yaml:1:1")
        .stderr_has("promptreg validate");
}

// ---------------------------------------------------------------------------
// `validate` on bad input: exit 1 with the message and the location
// ---------------------------------------------------------------------------

#[test]
fn validate_valid_registry_exits_zero() {
    let repo = chat_repo();
    repo.prompt("greet", &text_prompt("1.0.0", &["1.0.0"], "Hello"));
    repo.run(&["validate"])
        .ok()
        .stdout_has("3 file(s) checked")
        .stdout_has("0 error(s), 0 warning(s)");
}

#[test]
fn validate_broken_yaml_gives_line_and_column() {
    let repo = repo_with_bad("version: 1.0.0\ndescription: a: b\ntemplate: x\n");
    repo.run(&["validate"])
        .code(1)
        .stdout_has("prompts/bad.prompt.yaml:2:15: error[invalid-yaml]")
        .stdout_has("mapping values are not allowed");
}

#[test]
fn validate_unclosed_flow_mapping_gives_line_and_column() {
    let repo = repo_with_bad("version: 1.0.0\nvariables:\n  x: {description: y\ntemplate: x\n");
    repo.run(&["validate"])
        .code(1)
        .stdout_has("prompts/bad.prompt.yaml:4:9: error[invalid-yaml]");
}

#[test]
fn validate_empty_file() {
    let repo = repo_with_bad("");
    repo.run(&["validate"])
        .code(1)
        .stdout_has("prompts/bad.prompt.yaml: error[unreadable]: file is empty");
}

#[test]
fn validate_comment_only_file_is_empty() {
    let repo = repo_with_bad("# nothing here yet\n---\n\n");
    repo.run(&["validate"])
        .code(1)
        .stdout_has("prompts/bad.prompt.yaml: error[unreadable]: file is empty");
}

#[test]
fn validate_not_utf8_points_at_the_bad_byte() {
    let mut bytes = b"version: 1.0.0\ndescription: caf".to_vec();
    bytes.push(0xE9); // Latin-1 é
    bytes.extend_from_slice(b"\ntemplate: x\n");
    let repo = repo_with_bad(bytes);
    repo.run(&["validate"])
        .code(1)
        .stdout_has("prompts/bad.prompt.yaml:2:17: error[unreadable]: file is not valid UTF-8");
}

#[test]
fn validate_deeply_nested_document() {
    // Nearly 1 MiB of `[`: refused at once, with where it got too deep
    // (the YAML scanner alone would take many minutes over it).
    let mut content = text_prompt("1.0.0", &["1.0.0"], "Hello");
    content.push_str("metadata:\n  deep: ");
    content.push_str(&"[".repeat(1024 * 1024 - content.len() - 1));
    content.push('\n');
    repo_with_bad(content)
        .run(&["validate"])
        .code(1)
        .stdout_has("prompts/bad.prompt.yaml:14:265: error[invalid-yaml]")
        .stdout_has("more than 256 levels deep");
    // Just past the reader's own limit: refused by it, still located.
    let mut content = text_prompt("1.0.0", &["1.0.0"], "Hello");
    content.push_str(&format!(
        "metadata:\n  deep: {}{}\n",
        "[".repeat(200),
        "]".repeat(200)
    ));
    repo_with_bad(content)
        .run(&["validate"])
        .code(1)
        .stdout_has("prompts/bad.prompt.yaml:14:")
        .stdout_has("recursion limit exceeded: the document nests too deeply");
    // Ordinary nesting is fine.
    let mut content = text_prompt("1.0.0", &["1.0.0"], "Hello");
    content.push_str(&format!(
        "metadata:\n  deep: {}1{}\n",
        "[".repeat(20),
        "]".repeat(20)
    ));
    repo_with_bad(content).run(&["validate"]).ok();
}

#[test]
fn validate_duplicate_key() {
    let content = format!(
        "version: 2.0.0\n{}",
        text_prompt("1.0.0", &["1.0.0"], "Hello")
    );
    repo_with_bad(content)
        .run(&["validate"])
        .code(1)
        .stdout_has("prompts/bad.prompt.yaml:1:1: error[invalid-yaml]")
        .stdout_has("duplicate field `version`");
}

#[test]
fn byte_order_mark_and_crlf_line_ends_are_accepted() {
    let repo = TestRepo::new();
    let text = text_prompt("1.0.0", &["1.0.0"], "Hello");
    repo.prompt("bom", &format!("\u{feff}{text}"));
    repo.prompt("crlf", &text.replace('\n', "\r\n"));
    repo.run(&["validate"]).ok().stdout_has("0 error(s)");
    repo.run(&["render", "bom", "--var", "x=you"])
        .ok()
        .stdout_has("Hello you");
    let run = repo.run(&["render", "crlf", "--var", "x=you"]);
    run.ok();
    assert_eq!(run.stdout, "Hello you\n");
    // A located finding in a file with a byte order mark still has the
    // right line and column.
    repo.prompt(
        "bom",
        &format!(
            "\u{feff}{}",
            text.replacen("version: 1.0.0", "version: one", 1)
        ),
    );
    repo.run(&["validate", "bom"])
        .code(1)
        .stdout_has("prompts/bom.prompt.yaml:1:1: error[version-not-semver]");
}

#[test]
fn validate_file_over_one_mib() {
    let mut content = text_prompt("1.0.0", &["1.0.0"], "Hello");
    content.push_str("metadata:\n  padding: \"");
    content.push_str(&"a".repeat(1024 * 1024));
    content.push_str("\"\n");
    let repo = repo_with_bad(content);
    repo.run(&["validate"])
        .code(1)
        .stdout_has("prompts/bad.prompt.yaml: error[unreadable]")
        .stdout_has("larger than the limit of 1048576 bytes (1 MiB)");
}

#[test]
fn validate_file_of_exactly_one_mib_is_read() {
    // The limit is "over 1 MiB": a file at the limit is parsed normally.
    let mut content = text_prompt("1.0.0", &["1.0.0"], "Hello");
    content.push_str("metadata:\n  padding: \"\"\n");
    let pad = 1024 * 1024 - content.len();
    let content = content.replace(
        "padding: \"\"",
        &format!("padding: \"{}\"", "a".repeat(pad)),
    );
    assert_eq!(content.len(), 1024 * 1024);
    let repo = repo_with_bad(content);
    repo.run(&["validate"]).ok();
}

#[test]
fn validate_yaml_alias_bomb() {
    let mut content = text_prompt("1.0.0", &["1.0.0"], "Hello");
    content.push_str(
        "metadata:
  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
",
    );
    let repo = repo_with_bad(content);
    repo.run(&["validate"])
        .code(1)
        .stdout_has("prompts/bad.prompt.yaml")
        .stdout_has("error[invalid-yaml]")
        .stdout_has("alias bomb");
    // `list` survives it too and marks the prompt invalid.
    let run = repo.run(&["list", "--format", "json"]);
    run.ok().stderr_has("1 prompt file(s) are invalid");
    assert_eq!(run.json()[0]["valid"], false);
}

#[test]
fn validate_symlink_outside_the_registry() {
    let repo = TestRepo::new();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("secret.prompt.yaml");
    std::fs::write(&target, text_prompt("1.0.0", &["1.0.0"], "Hello")).unwrap();
    std::fs::create_dir_all(repo.file("prompts")).unwrap();
    std::os::unix::fs::symlink(&target, repo.file("prompts/evil.prompt.yaml")).unwrap();
    repo.run(&["validate"])
        .code(1)
        .stdout_has("prompts/evil.prompt.yaml: error[unreadable]")
        .stdout_has("symbolic link")
        .stdout_has("outside the registry");
    repo.run(&["show", "evil"])
        .code(2)
        .stderr_has("outside the registry")
        .stderr_has("replace the link with the file itself");
    repo.run(&["render", "evil", "--var", "x=1"])
        .code(2)
        .stderr_has("outside the registry");
}

#[test]
fn validate_broken_symlink() {
    let repo = TestRepo::new();
    std::fs::create_dir_all(repo.file("prompts")).unwrap();
    std::os::unix::fs::symlink(
        repo.file("nowhere.yaml"),
        repo.file("prompts/dead.prompt.yaml"),
    )
    .unwrap();
    repo.run(&["validate"])
        .code(1)
        .stdout_has("prompts/dead.prompt.yaml: error[unreadable]")
        .stdout_has("broken symbolic link");
    // `new` does not write through it.
    repo.run(&["new", "dead"])
        .code(2)
        .stderr_has("already exists");
    assert!(!repo.file("nowhere.yaml").exists());
}

#[test]
fn prompt_under_a_directory_link_outside_the_registry_is_refused() {
    let repo = TestRepo::new();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("x.prompt.yaml"),
        text_prompt("1.0.0", &["1.0.0"], "Secret"),
    )
    .unwrap();
    std::fs::create_dir_all(repo.file("prompts")).unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.file("prompts/ext")).unwrap();
    let run = repo.run(&["show", "ext/x", "--format", "yaml"]);
    run.code(2).stderr_has("outside the registry");
    assert!(!run.stdout.contains("Secret"), "{}", run.stdout);
    repo.run(&["validate", "ext/x"])
        .code(1)
        .stdout_has("outside the registry");
}

#[test]
fn validate_symlink_inside_the_registry_is_fine() {
    let repo = TestRepo::new();
    repo.write(
        "shared/real.yaml",
        text_prompt("1.0.0", &["1.0.0"], "Hello"),
    );
    std::fs::create_dir_all(repo.file("prompts")).unwrap();
    std::os::unix::fs::symlink(
        repo.file("shared/real.yaml"),
        repo.file("prompts/linked.prompt.yaml"),
    )
    .unwrap();
    repo.run(&["validate"]).ok();
    repo.run(&["render", "linked", "--var", "x=you"])
        .ok()
        .stdout_has("Hello you");
}

#[test]
fn validate_version_not_semver() {
    let content =
        text_prompt("1.0.0", &["1.0.0"], "Hello").replacen("version: 1.0.0", "version: 1.2.x", 1);
    let repo = repo_with_bad(content);
    repo.run(&["validate"])
        .code(1)
        .stdout_has("prompts/bad.prompt.yaml:1:1: error[version-not-semver]")
        .stdout_has("version `1.2.x` is not SemVer 2.0");
}

#[test]
fn validate_prerelease_version_is_semver() {
    let repo = TestRepo::new();
    repo.prompt(
        "rc",
        &text_prompt("2.0.0-rc.1", &["2.0.0-rc.1", "1.0.0"], "Hello"),
    );
    repo.run(&["validate"]).ok();
}

#[test]
fn validate_unknown_key_suggests_the_right_one() {
    let content = text_prompt("1.0.0", &["1.0.0"], "Hello")
        .replace("description: A test", "descripton: A test");
    let repo = repo_with_bad(content);
    repo.run(&["validate"])
        .code(1)
        .stdout_has("prompts/bad.prompt.yaml:2:1: error[unknown-key]")
        .stdout_has("unknown key `descripton` (did you mean `description`?)");
}

#[test]
fn validate_undeclared_placeholder() {
    let content = text_prompt("1.0.0", &["1.0.0"], "Hello {{ name }},");
    let repo = repo_with_bad(content);
    let run = repo.run(&["validate"]);
    run.code(1)
        .stdout_has("prompts/bad.prompt.yaml:6:1: error[undeclared-placeholder]")
        .stdout_has("placeholder `{{ name }}` in template is not declared")
        .stdout_has("add `name:` under `variables:`");
    // `x` is declared and used: no finding about it.
    assert!(!run.stdout.contains("`x`"), "{}", run.stdout);
}

#[test]
fn validate_undeclared_placeholder_in_a_message() {
    let repo = repo_with_bad(CHAT.replace("{{ ticket }}", "{{ ticket }} {{ customer.name }}"));
    repo.run(&["validate"])
        .code(1)
        .stdout_has("prompts/bad.prompt.yaml:13:5: error[undeclared-placeholder]")
        .stdout_has("`{{ customer }}` in messages.1.content");
}

#[test]
fn validate_template_syntax_error_points_into_the_template() {
    // Block scalar: the template's second line is the file's line 8.
    let block = text_prompt("1.0.0", &["1.0.0"], "Hello").replace(
        "template: |\n  Hello {{ x }}\n",
        "template: |\n  Hello {{ x }}\n  Bye {{ x\n",
    );
    repo_with_bad(block)
        .run(&["validate"])
        .code(1)
        .stdout_has("prompts/bad.prompt.yaml:8:1: error[template-syntax]")
        .stdout_has("template syntax error in template");
    // Inline scalar: the error is on the key's own line.
    let inline = text_prompt("1.0.0", &["1.0.0"], "Hello").replace(
        "template: |\n  Hello {{ x }}\n",
        "template: \"Hello {{ x\"\n",
    );
    repo_with_bad(inline)
        .run(&["validate"])
        .code(1)
        .stdout_has("prompts/bad.prompt.yaml:6:1: error[template-syntax]");
    // Inside a message: the line of that message's content.
    let chat = CHAT.replace("content: You are", "content: \"{% if %}\"\n    # You are");
    repo_with_bad(chat)
        .run(&["validate"])
        .code(1)
        .stdout_has("prompts/bad.prompt.yaml:11:5: error[template-syntax]")
        .stdout_has("messages.0.content");
}

#[test]
fn validate_changelog_problems_point_at_the_entry() {
    let content = text_prompt("1.1.0", &["1.0.0", "0.9.0"], "Hello")
        .replace("date: 2026-01-27T10:00:00Z", "date: last tuesday");
    let repo = repo_with_bad(content);
    repo.run(&["validate"])
        .code(1)
        .stdout_has("prompts/bad.prompt.yaml:9:5: error[changelog-version-mismatch]")
        .stdout_has("prompts/bad.prompt.yaml:14:5: error[changelog-date]")
        .stdout_has("changelog[1].date `last tuesday` is not an RFC 3339 UTC timestamp");
}

#[test]
fn validate_unused_variable_is_only_a_warning() {
    let content = text_prompt("1.0.0", &["1.0.0"], "Hello").replace(
        "variables:\n",
        "variables:\n  spare:\n    description: Nobody reads this.\n",
    );
    let repo = repo_with_bad(content);
    repo.run(&["validate"])
        .ok()
        .stdout_has("prompts/bad.prompt.yaml:4:3: warning[unused-variable]")
        .stdout_has("variable `spare` is declared but no template uses it")
        .stdout_has("0 error(s), 1 warning(s)");
    // A prompt with only warnings still renders.
    repo.run(&["render", "bad", "--var", "x=1", "--var", "spare=2"])
        .ok();
}

#[test]
fn validate_json_output_carries_locations() {
    let repo = repo_with_bad("version: 1.0.0\ndescription: a: b\ntemplate: x\n");
    let run = repo.run(&["validate", "--format", "json"]);
    run.code(1);
    let v = run.json();
    assert_eq!(v["errors"], 1);
    assert_eq!(v["files_checked"], 2);
    let f = &v["findings"][0];
    assert_eq!(f["level"], "error");
    assert_eq!(f["rule"], "invalid-yaml");
    assert_eq!(f["file"], "prompts/bad.prompt.yaml");
    assert_eq!(f["line"], 2);
    assert_eq!(f["column"], 15);
}

#[test]
fn validate_reports_every_bad_file_not_just_the_first() {
    let repo = TestRepo::new();
    repo.prompt("one", "");
    repo.prompt("two", "version: 1.0.0\ndescription: a: b\n");
    repo.prompt("ok", &text_prompt("1.0.0", &["1.0.0"], "Hello"));
    repo.run(&["validate"])
        .code(1)
        .stdout_has("prompts/one.prompt.yaml")
        .stdout_has("prompts/two.prompt.yaml")
        .stdout_has("2 error(s)");
}

#[test]
fn validate_named_prompts_only() {
    let repo = chat_repo();
    repo.prompt("broken", "");
    repo.run(&["validate", "support/triage"])
        .ok()
        .stdout_has("2 file(s) checked");
    repo.run(&["validate", "broken"]).code(1);
    repo.run(&["validate", "missing"])
        .code(2)
        .stderr_has("no prompt named `missing`");
    repo.run(&["validate", "Bad Name"])
        .code(2)
        .stderr_has("invalid prompt name `Bad Name`");
}

#[test]
fn validate_reports_a_badly_named_prompt_file() {
    let repo = TestRepo::new();
    repo.write(
        "prompts/Bad.prompt.yaml",
        text_prompt("1.0.0", &["1.0.0"], "Hello"),
    );
    repo.run(&["validate"])
        .code(1)
        .stdout_has("prompts/Bad.prompt.yaml")
        .stdout_has("error[prompt-name]")
        .stdout_has("rename the file");
}

#[test]
fn config_with_unknown_key() {
    let repo = chat_repo();
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nprompt_dir: other\n",
    );
    repo.run(&["validate"])
        .code(1)
        .stdout_has("promptreg.yaml:2:1: error[unknown-key]")
        .stdout_has("unknown key `prompt_dir` (did you mean `prompts_dir`?)");
    let run = repo.run(&["list"]);
    run.code(2)
        .stderr_has("promptreg.yaml is invalid")
        .stderr_has("unknown key `prompt_dir`")
        .stderr_has("promptreg validate");
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    repo.run(&["render", "support/triage", "--var", "ticket=t"])
        .code(2)
        .stderr_has("promptreg.yaml is invalid");
}

#[test]
fn config_that_is_broken_yaml() {
    let repo = chat_repo();
    repo.write("promptreg.yaml", "prompts_dir: a: b\n");
    repo.run(&["validate"])
        .code(1)
        .stdout_has("promptreg.yaml:1:15: error[invalid-yaml]")
        .stdout_has("mapping values are not allowed");
    repo.run(&["list"])
        .code(2)
        .stderr_has("promptreg.yaml is invalid");
}

#[test]
fn config_alias_bomb() {
    let repo = chat_repo();
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts
x: &a [1,1,1,1,1,1,1,1,1,1]
y: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
z: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
w: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
v: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
u: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
t: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
s: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
",
    );
    repo.run(&["validate"]).code(1).stdout_has("promptreg.yaml");
    repo.run(&["list"])
        .code(2)
        .stderr_has("promptreg.yaml is invalid");
}

// ---------------------------------------------------------------------------
// Finding the registry
// ---------------------------------------------------------------------------

#[test]
fn outside_a_registry_every_command_refuses_with_a_hint() {
    let dir = TestRepo::empty();
    for args in [
        &["list"][..],
        &["validate"],
        &["show", "a"],
        &["render", "a"],
        &["new", "a"],
    ] {
        let before = dir.files();
        let run = dir.run_as_author(args);
        run.code(2)
            .stderr_has("not a promptreg registry")
            .stderr_has("promptreg init");
        assert_eq!(dir.files(), before, "{args:?} wrote something");
    }
}

#[test]
fn dash_c_runs_in_another_directory() {
    let repo = chat_repo();
    let elsewhere = TestRepo::empty();
    let dir = repo.path().to_str().unwrap();
    let run = elsewhere.run(&["-C", dir, "list", "--format", "json"]);
    run.ok();
    assert_eq!(run.json()[0]["name"], "support/triage");
    // -C is global: it also works after the subcommand.
    elsewhere.run(&["validate", "-C", dir]).ok();
    elsewhere
        .run(&["-C", dir, "show", "support/triage"])
        .ok()
        .stdout_has("support/triage 1.2.0");
    // And `init -C DIR` makes DIR the registry.
    let target = TestRepo::empty();
    elsewhere
        .run(&["-C", target.path().to_str().unwrap(), "init"])
        .ok();
    assert!(target.file("promptreg.yaml").is_file());
    assert!(!elsewhere.file("promptreg.yaml").exists());
}

#[test]
fn dash_c_to_a_missing_directory_fails() {
    let elsewhere = TestRepo::empty();
    let missing = elsewhere.file("does/not/exist");
    elsewhere
        .run(&["-C", missing.to_str().unwrap(), "list"])
        .code(2)
        .stderr_has("does/not/exist");
}

#[test]
fn commands_work_from_a_subdirectory() {
    let repo = chat_repo();
    let sub = repo.file("prompts/support");
    let run = run(repo
        .cmd()
        .current_dir(&sub)
        .args(["list", "--format", "json"]));
    run.ok();
    assert_eq!(run.json()[0]["name"], "support/triage");
    run_in(&repo, &sub, &["validate"]).ok();
    run_in(
        &repo,
        &sub,
        &["render", "support/triage", "--var", "ticket=deep"],
    )
    .ok()
    .stdout_has("deep");
    // `new` from a subdirectory writes under the registry root's prompts dir.
    run_in(&repo, &sub, &["new", "other"]).ok();
    assert!(repo.file("prompts/other.prompt.yaml").is_file());
    assert!(!sub.join("prompts").exists());
}

#[test]
fn vars_file_is_relative_to_the_working_directory() {
    let repo = chat_repo();
    repo.write("work/vars.json", r#"{"ticket": "relative"}"#);
    run_in(
        &repo,
        &repo.file("work"),
        &["render", "support/triage", "--vars-file", "vars.json"],
    )
    .ok()
    .stdout_has("relative");
}

fn run_in(repo: &TestRepo, dir: &Path, args: &[&str]) -> Run {
    run(repo.cmd().current_dir(dir).args(args))
}

// ---------------------------------------------------------------------------
// Help, schemas, the example registry
// ---------------------------------------------------------------------------

#[test]
fn help_of_every_command_shows_an_example() {
    let dir = TestRepo::empty();
    dir.run(&["--help"])
        .ok()
        .stdout_has("Example")
        .stdout_has("Exit codes");
    // Every subcommand clap knows, so a new one cannot be forgotten here
    // (but the hidden, internal ones).
    use clap::CommandFactory;
    let command = promptreg::cli::Cli::command();
    let subs: Vec<String> = command
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect();
    assert!(subs.len() >= 20, "{subs:?}");
    for sub in subs.iter().map(String::as_str) {
        dir.run(&[sub, "--help"])
            .ok()
            .stdout_has("Example")
            .stdout_has(&format!("promptreg {sub}"));
    }
}

#[test]
fn bad_arguments_exit_two() {
    let repo = chat_repo();
    repo.run(&["list", "--format", "xml"])
        .code(2)
        .stderr_has("xml");
    repo.run(&["no-such-command"]).code(2);
    repo.run(&["schema", "nope"]).code(2);
}

#[test]
fn schema_prints_the_shipped_schemas() {
    let dir = TestRepo::empty();
    for (kind, file) in [
        ("prompt", "prompt.schema.json"),
        ("config", "config.schema.json"),
        ("lockfile", "lockfile.schema.json"),
        ("manifest", "manifest.schema.json"),
    ] {
        let run = dir.run(&["schema", kind]);
        run.ok();
        let shipped: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(manifest_dir().join("schemas").join(file)).unwrap(),
        )
        .unwrap();
        assert_eq!(run.json(), shipped, "schema {kind}");
    }
}

#[test]
fn the_example_registry_validates_and_lists() {
    let dir = TestRepo::empty();
    let root = manifest_dir().to_str().unwrap();
    dir.run(&["-C", root, "validate"])
        .ok()
        .stdout_has("0 error(s)");
    let run = dir.run(&["-C", root, "list", "--format", "json"]);
    run.ok();
    let list = run.json();
    let list = list.as_array().unwrap();
    assert!(list.len() >= 5, "only {} example prompts", list.len());
    for p in list {
        assert_eq!(p["valid"], true, "{p}");
        assert!(p["version"].is_string(), "{p}");
    }
    assert!(list.iter().any(|p| p["kind"] == "chat"));
    assert!(list.iter().any(|p| p["kind"] == "text"));
}
