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
