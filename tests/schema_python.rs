//! Files promptreg writes (`new`, `bump`, `lock`) validate against its
//! shipped schemas with the readers other tools use: Python's `jsonschema`
//! after `yaml.safe_load` (PyYAML, YAML 1.1: an unquoted timestamp would
//! become a `datetime` and fail `"type": "string"`), and `check-jsonschema`.
//! Both are pip-installed into a virtualenv this test makes; it skips, saying
//! so, when pip cannot install them.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn venv_bin() -> Option<PathBuf> {
    python_venv(
        "schema-venv",
        "check-jsonschema",
        &["jsonschema", "pyyaml", "check-jsonschema"],
    )
}

const VALIDATE: &str = r#"
import json, sys, yaml, jsonschema
failures = []
for pair in sys.argv[1:]:
    schema_path, path = pair.split("=", 1)
    with open(schema_path) as f:
        schema = json.load(f)
    with open(path) as f:
        instance = yaml.safe_load(f)
    cls = jsonschema.validators.validator_for(schema)
    for error in cls(schema).iter_errors(instance):
        failures.append(f"{path}: {error.message} at {list(error.absolute_path)}")
print("\n".join(failures))
sys.exit(1 if failures else 0)
"#;

#[test]
fn written_files_validate_with_pyyaml_jsonschema_and_check_jsonschema() {
    let Some(bin) = venv_bin() else {
        return;
    };
    let repo = TestRepo::new();
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nenvironments:\n  production:\n    \"*\": latest\n",
    );
    repo.run(&["new", "support/triage", "--chat"]).ok();
    repo.run(&["new", "summarize/article"]).ok();
    // A partial and a prompt that includes it: the lockfile and the
    // manifest then carry `partials` (docs/DESIGN.md §16).
    repo.run(&["new", "shared/voice", "--partial"]).ok();
    repo.prompt(
        "composed",
        "version: 1.0.0\npartials:\n  shared/voice: \"^0.1\"\ntemplate: |\n  {% include \"shared/voice\" %}Hi.\nchangelog:\n  - version: 1.0.0\n    date: \"2026-03-01T10:00:00Z\"\n    author: Ada Lovelace <ada@example.com>\n    reason: First.\n",
    );
    repo.commit("prompts");
    repo.run(&[
        "bump",
        "support/triage",
        "minor",
        "-m",
        "A reason: with a colon",
    ])
    .ok();
    repo.commit("bump");
    repo.run(&["lock"]).ok();
    assert!(repo.read("prompts.lock").contains("\npartials:\n"));
    repo.commit("lock");
    repo.run(&["export", "--env", "production", "--out", "bundle"])
        .ok();
    assert!(repo.read("bundle/manifest.json").contains("\"partials\""));
    // The dates are written quoted: PyYAML reads them as strings.
    assert!(
        repo.read("prompts/support/triage.prompt.yaml")
            .contains("date: \""),
        "{}",
        repo.read("prompts/support/triage.prompt.yaml")
    );

    let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let schema = |name: &str| schemas.join(name).display().to_string();
    let mut pairs = vec![
        (
            schema("prompt.schema.json"),
            repo.file("prompts/support/triage.prompt.yaml"),
        ),
        (
            schema("prompt.schema.json"),
            repo.file("prompts/summarize/article.prompt.yaml"),
        ),
        (schema("config.schema.json"), repo.file("promptreg.yaml")),
        (schema("lockfile.schema.json"), repo.file("prompts.lock")),
        (
            schema("prompt.schema.json"),
            repo.file("prompts/shared/voice.prompt.yaml"),
        ),
        (
            schema("prompt.schema.json"),
            repo.file("prompts/composed.prompt.yaml"),
        ),
        (
            schema("manifest.schema.json"),
            repo.file("bundle/manifest.json"),
        ),
    ];
    // This repository's own example registry: its config, lockfile and
    // every prompt file (their changelog dates are quoted).
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    pairs.push((schema("config.schema.json"), root.join("promptreg.yaml")));
    pairs.push((schema("lockfile.schema.json"), root.join("prompts.lock")));
    let mut examples = Vec::new();
    for team in std::fs::read_dir(root.join("prompts")).unwrap() {
        for file in std::fs::read_dir(team.unwrap().path()).unwrap() {
            examples.push(file.unwrap().path());
        }
    }
    examples.sort();
    assert!(examples.len() >= 7, "{examples:?}");
    for file in examples {
        pairs.push((schema("prompt.schema.json"), file));
    }

    let args: Vec<String> = pairs
        .iter()
        .map(|(s, f)| format!("{s}={}", f.display()))
        .collect();
    let out = Command::new(bin.join("python"))
        .arg("-c")
        .arg(VALIDATE)
        .args(&args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "Python jsonschema after yaml.safe_load:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for (schema, file) in &pairs {
        // `prompts.lock` has no YAML extension: say how to read it.
        let out = Command::new(bin.join("check-jsonschema"))
            .args(["--default-filetype", "yaml"])
            .arg("--schemafile")
            .arg(schema)
            .arg(file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "check-jsonschema {schema} {}:\n{}{}",
            file.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // And an unquoted date, as older files have, is what PyYAML turns into
    // a datetime: the schema refuses it there, which is why promptreg quotes.
    let unquoted = repo
        .read("prompts/support/triage.prompt.yaml")
        .replacen("date: \"", "date: ", 1)
        .replacen("Z\"\n", "Z\n", 1);
    repo.write("unquoted.yaml", &unquoted);
    let out = Command::new(bin.join("python"))
        .arg("-c")
        .arg(VALIDATE)
        .arg(format!(
            "{}={}",
            schema("prompt.schema.json"),
            repo.file("unquoted.yaml").display()
        ))
        .output()
        .unwrap();
    assert!(!out.status.success(), "an unquoted date passes PyYAML?");
}
