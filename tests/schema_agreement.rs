//! The JSON Schema in `schemas/prompt.schema.json` and the Rust parser must
//! accept and refuse the same files. Rules a JSON Schema cannot express are
//! listed in `tests/corpus/invalid/PARSER_ONLY.txt`: the schema accepts
//! those files and only the parser refuses them.

use std::path::{Path, PathBuf};

fn corpus(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".prompt.yaml"))
        .collect();
    files.sort();
    files
}

fn schema_accepts(validator: &jsonschema::Validator, bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    match promptreg_core::yaml::to_json(text) {
        Ok(value) => validator.is_valid(&value),
        // Not even YAML: no schema can accept it.
        Err(_) => false,
    }
}

fn validator(file: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(file);
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

#[test]
fn corpus_is_large_enough() {
    assert!(corpus("valid").len() >= 15);
    assert!(corpus("invalid").len() >= 25);
}

#[test]
fn schema_and_parser_agree_on_valid_files() {
    let schema = validator("prompt.schema.json");
    let mut wrong = Vec::new();
    for file in corpus("valid") {
        let bytes = std::fs::read(&file).unwrap();
        let checked = promptreg_core::prompt::check(&bytes);
        if checked.prompt.is_none() {
            wrong.push(format!(
                "{}: parser refuses: {:?}",
                file.display(),
                checked.findings
            ));
        }
        if !schema_accepts(&schema, &bytes) {
            wrong.push(format!("{}: schema refuses", file.display()));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn schema_and_parser_agree_on_invalid_files() {
    let schema = validator("prompt.schema.json");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/invalid");
    let parser_only: Vec<String> = std::fs::read_to_string(dir.join("PARSER_ONLY.txt"))
        .unwrap()
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let mut wrong = Vec::new();
    for file in corpus("invalid") {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&file).unwrap();
        let checked = promptreg_core::prompt::check(&bytes);
        if checked.prompt.is_some() {
            wrong.push(format!("{name}: parser accepts it"));
        }
        let only_parser = parser_only.contains(&name);
        let accepted = schema_accepts(&schema, &bytes);
        if only_parser && !accepted {
            wrong.push(format!(
                "{name}: listed as parser-only but the schema refuses it"
            ));
        }
        if !only_parser && accepted {
            wrong.push(format!("{name}: schema accepts it"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn example_registry_validates_against_the_schema() {
    let schema = validator("prompt.schema.json");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts");
    let mut stack = vec![root];
    let mut seen = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(".prompt.yaml") {
                let bytes = std::fs::read(&path).unwrap();
                assert!(schema_accepts(&schema, &bytes), "{}", path.display());
                let checked = promptreg_core::prompt::check(&bytes);
                assert!(
                    checked.findings.is_empty(),
                    "{}: {:?}",
                    path.display(),
                    checked.findings
                );
                seen += 1;
            }
        }
    }
    assert!(seen >= 5, "only {seen} example prompts");
}

#[test]
fn schemas_are_valid_json_schemas_and_config_validates() {
    for file in [
        "prompt.schema.json",
        "config.schema.json",
        "lockfile.schema.json",
        "manifest.schema.json",
    ] {
        validator(file);
    }
    let config = validator("config.schema.json");
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("promptreg.yaml"))
            .unwrap();
    assert!(config.is_valid(&promptreg_core::yaml::to_json(&text).unwrap()));
}

/// What promptreg refuses in `promptreg.yaml`, the config schema refuses
/// too, and what it accepts the schema accepts: environment names, `ref`,
/// bump_policy levels (raise only), `prompts_dir` inside the registry.
#[test]
fn the_config_schema_refuses_what_promptreg_refuses() {
    let schema = validator("config.schema.json");
    let verdicts = |text: &str| {
        let ours = promptreg_core::config::check(text.as_bytes()).is_ok();
        let theirs = schema_accepts(&schema, text.as_bytes());
        (ours, theirs)
    };
    for bad in [
        "environments:\n  Prod:\n    \"*\": latest\n",
        "environments:\n  \"prod:\":\n    \"*\": latest\n",
        "ref: \"\"\n",
        "ref: \"main branch\"\n",
        "ref: \"-x\"\n",
        "bump_policy:\n  variable-removed: patch\n",
        "bump_policy:\n  model-name-changed: patch\n",
        "bump_policy:\n  no-such-rule: major\n",
        "prompts_dir: ../elsewhere\n",
        "prompts_dir: /etc\n",
        "prompts_dir: a/../../b\n",
        "prompts_dir: \"\"\n",
    ] {
        assert_eq!(verdicts(bad), (false, false), "both must refuse:\n{bad}");
    }
    for good in [
        "prompts_dir: prompts\n",
        "prompts_dir: ./prompts/\n",
        "prompts_dir: .hidden/prompts\n",
        "ref: main\n",
        "environments:\n  prod-eu_1:\n    \"*\": latest\n",
        "bump_policy:\n  model-name-changed: major\n  template-changed: minor\n",
    ] {
        assert_eq!(verdicts(good), (true, true), "both must accept:\n{good}");
    }
}

/// A version whose numbers do not fit in 64 bits is refused by the parser
/// and by every schema that carries versions.
#[test]
fn version_numbers_too_long_for_promptreg_are_refused_by_the_schemas() {
    let long = "1.0.99999999999999999999";
    let file = format!(
        "version: {long}\ntemplate: Hi\nchangelog:\n  - version: {long}\n    date: \"2026-11-20T10:04:00Z\"\n    author: Ada <ada@example.com>\n    reason: Long.\n"
    );
    assert!(promptreg_core::prompt::check(file.as_bytes())
        .prompt
        .is_none());
    assert!(!schema_accepts(
        &validator("prompt.schema.json"),
        file.as_bytes()
    ));
    let fits = file.replace(long, "1.0.9999999999999999999");
    assert!(promptreg_core::prompt::check(fits.as_bytes())
        .prompt
        .is_some());
    assert!(schema_accepts(
        &validator("prompt.schema.json"),
        fits.as_bytes()
    ));
}
