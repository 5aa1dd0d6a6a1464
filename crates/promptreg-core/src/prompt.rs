//! The prompt file (`*.prompt.yaml`): its model, parsing and every rule of
//! docs/DESIGN.md §2. Returns data and findings; never prints.

use crate::date::is_utc_rfc3339;
use crate::finding::Location;
use crate::finding::{has_errors, Finding};
use crate::template;
use crate::yaml;
use indexmap::IndexMap;
use semver::Version;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A prompt file as written, field by field.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PromptFile {
    /// The prompt's SemVer version as written, e.g. `1.3.0` or `2.0.0-rc.1`;
    /// `check` refuses one that does not parse.
    #[serde(deserialize_with = "yaml::strict_string")]
    pub version: String,
    /// What the prompt is for, in a sentence or two.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "yaml::strict_opt_string"
    )]
    pub description: Option<String>,
    /// `true` marks a partial: a shared text block that prompts include,
    /// never deployed on its own (docs/DESIGN.md §16).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// The partials this file includes: partial name → SemVer requirement,
    /// in file order (docs/DESIGN.md §16).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub partials: IndexMap<String, Requirement>,
    /// The model the prompt is written and evaluated for, if declared.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub model: Option<Model>,
    /// The inputs the templates expect: variable name → declaration, in
    /// file order.
    #[serde(
        default,
        skip_serializing_if = "IndexMap::is_empty",
        deserialize_with = "variables"
    )]
    pub variables: IndexMap<String, Variable>,
    /// A text prompt's template, with Jinja `{{ placeholders }}`; a valid
    /// file has exactly one of `template` and `messages`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "yaml::strict_opt_string"
    )]
    pub template: Option<String>,
    /// A chat prompt's messages, in the order they are sent; a valid file
    /// has exactly one of `template` and `messages`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub messages: Option<Vec<Message>>,
    /// What the model is expected to return, if declared.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub output: Option<OutputContract>,
    /// Release notes, newest first; the first entry describes `version`.
    pub changelog: Vec<ChangelogEntry>,
    /// A free map for anything else (owner, tags, links); promptreg ignores
    /// it, and changing it requires no bump.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub metadata: Option<IndexMap<String, serde_json::Value>>,
}

/// A SemVer requirement as written under `partials:` (`^1.2`, `=1.0.0`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Requirement(#[serde(deserialize_with = "yaml::strict_string")] pub String);

/// An optional key that, when written, must hold a value: `key: null` is
/// refused like the schema refuses it, instead of reading as absent.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// `variables:` where every entry is a map: `name:` alone (null) is refused,
/// as the schema does, so that a forgotten description is not silently a
/// required variable.
fn variables<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<IndexMap<String, Variable>, D::Error> {
    let raw: IndexMap<String, Option<Variable>> = IndexMap::deserialize(d)?;
    raw.into_iter()
        .map(|(name, v)| match v {
            Some(v) => Ok((name, v)),
            None => Err(serde::de::Error::custom(format!(
                "variable `{name}` has no value; write `{name}: {{}}` or give it a description"
            ))),
        })
        .collect()
}

/// Which model a prompt is written for.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// The model provider, e.g. `openai` or `anthropic`.
    #[serde(deserialize_with = "yaml::strict_string")]
    pub provider: String,
    /// The provider's model identifier, e.g. `gpt-4o-mini`.
    #[serde(deserialize_with = "yaml::strict_string")]
    pub name: String,
    /// Free-form call parameters for the model (`temperature`,
    /// `max_tokens`, …), parameter name → value.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub parameters: IndexMap<String, serde_json::Value>,
}

/// A declared variable: required unless it has a default.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    /// What the caller should pass in this variable.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "yaml::strict_opt_string"
    )]
    pub description: Option<String>,
    /// The value used when the caller passes none (any YAML value); having
    /// one makes the variable optional.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub default: Option<serde_json::Value>,
}

impl Variable {
    /// True when the variable has no default, so every render must pass it.
    pub fn is_required(&self) -> bool {
        self.default.is_none()
    }
}

/// The speaker of a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions to the model (`system`).
    System,
    /// The caller's turn (`user`).
    User,
    /// The model's turn: an example or prefilled reply (`assistant`).
    Assistant,
}

impl Role {
    /// The role as the file and model APIs write it: `system`, `user` or
    /// `assistant`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One message of a chat prompt.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// Who speaks the message.
    pub role: Role,
    /// The message's template text, with Jinja `{{ placeholders }}`.
    #[serde(deserialize_with = "yaml::strict_string")]
    pub content: String,
}

/// The format of the model's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// Free text (`text`).
    Text,
    /// A JSON document (`json`), optionally described by a schema.
    Json,
}

/// An optional structured-output contract.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OutputContract {
    /// Whether the answer is free text or JSON.
    pub format: OutputFormat,
    /// A JSON Schema (an object) the model's JSON answer must satisfy.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub schema: Option<serde_json::Map<String, serde_json::Value>>,
}

/// One changelog entry: who released which version, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChangelogEntry {
    /// The version the entry describes, as written, e.g. `1.2.0`.
    #[serde(deserialize_with = "yaml::strict_string")]
    pub version: String,
    /// When the version was made: RFC 3339 in UTC with a `Z`, e.g.
    /// `2026-11-20T10:04:00Z`.
    #[serde(deserialize_with = "yaml::strict_string")]
    pub date: String,
    /// Who made it, `Name <email>`.
    #[serde(deserialize_with = "yaml::strict_string")]
    pub author: String,
    /// Why the version exists (never blank in a valid file).
    #[serde(deserialize_with = "yaml::strict_string")]
    pub reason: String,
}

/// Whether a prompt is a single text or a list of chat messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// One text, from `template:`.
    Text,
    /// A list of chat messages, from `messages:`.
    Chat,
}

/// A prompt file that passed every rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    /// The file's fields, as written.
    pub file: PromptFile,
    /// The file's `version`, parsed.
    pub version: Version,
    /// The file's text, byte for byte.
    pub text: String,
}

impl Prompt {
    /// `Kind::Chat` when the file has `messages:`, else `Kind::Text`.
    pub fn kind(&self) -> Kind {
        if self.file.messages.is_some() {
            Kind::Chat
        } else {
            Kind::Text
        }
    }

    /// Every template text in the file with the key path that holds it.
    pub fn templates(&self) -> Vec<(Vec<String>, &str)> {
        templates_of(&self.file)
    }
}

fn templates_of(file: &PromptFile) -> Vec<(Vec<String>, &str)> {
    let mut out = Vec::new();
    if let Some(t) = &file.template {
        out.push((vec!["template".to_string()], t.as_str()));
    }
    for (i, m) in file.messages.iter().flatten().enumerate() {
        out.push((
            vec!["messages".to_string(), i.to_string(), "content".to_string()],
            m.content.as_str(),
        ));
    }
    out
}

/// The outcome of checking one file: the prompt when it has no errors, and
/// every finding (errors and warnings) either way.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The prompt, when no finding is an error.
    pub prompt: Option<Prompt>,
    /// Every error and warning found, in the order found.
    pub findings: Vec<Finding>,
}

/// Parses and validates a prompt file's bytes against every rule.
pub fn check(bytes: &[u8]) -> Checked {
    let fail = |f: Finding| Checked {
        prompt: None,
        findings: vec![f],
    };
    let text = match yaml::text_of(bytes) {
        Ok(t) => t,
        Err(e) => return fail(Finding::error("unreadable", e.location, e.message)),
    };
    let (file, findings) = match yaml::from_str::<PromptFile>(text) {
        Ok(f) => {
            let findings = validate(&f, text);
            (f, findings)
        }
        Err(e) => {
            let rule = if e.message.starts_with("unknown key") {
                "unknown-key"
            } else {
                "invalid-yaml"
            };
            let first = Finding::error(rule, e.location, e.message);
            // A structural error does not stop the other rules: what could
            // be read is checked too, so one run lists every problem.
            let findings = match salvage(text) {
                Some(mut findings) if !findings.is_empty() => {
                    // The parser's own finding is the more exact one: its
                    // location and message replace the salvaged twin.
                    match findings
                        .iter_mut()
                        .find(|f| f.rule == first.rule && f.message.ends_with(&first.message))
                    {
                        Some(twin) => *twin = first,
                        None => findings.insert(0, first),
                    }
                    findings
                }
                _ => vec![first],
            };
            return Checked {
                prompt: None,
                findings,
            };
        }
    };
    let prompt = if has_errors(&findings) {
        None
    } else {
        Version::parse(&file.version).ok().map(|version| Prompt {
            file,
            version,
            text: text.to_string(),
        })
    };
    Checked { prompt, findings }
}

/// The keys a prompt file may have, in the order the format lists them.
const KEYS: &[&str] = &[
    "version",
    "description",
    "partial",
    "partials",
    "model",
    "variables",
    "template",
    "messages",
    "output",
    "changelog",
    "metadata",
];

/// Every finding of a file the typed parse refused: each structural error
/// (an unknown key, a wrong type, at the top level, in a variable, in a
/// message or a changelog entry) with its location, then every rule of
/// `validate` on the parts that could be read. `None` when the text is not
/// a YAML mapping at all (the parser's own error says it all).
fn salvage(text: &str) -> Option<Vec<Finding>> {
    use yaml::Value;
    let yaml::Value::Mapping(map) = yaml::from_str::<Value>(text).ok()? else {
        return None;
    };
    let at = |path: &[&str]| yaml::locate(text, path);
    let mut findings = Vec::new();
    let structural = |path: &[&str], message: String| {
        let rule = if message.starts_with("unknown key") {
            "unknown-key"
        } else {
            "invalid-yaml"
        };
        let shown = path
            .iter()
            .enumerate()
            .map(|(i, p)| match p.parse::<usize>() {
                Ok(_) => format!("[{p}]"),
                Err(_) if i == 0 => (*p).to_string(),
                Err(_) => format!(".{p}"),
            })
            .collect::<String>();
        let message = if shown.is_empty() {
            message
        } else {
            format!("{shown}: {message}")
        };
        Finding::error(rule, at(path), message)
    };
    // A one-key document that the typed parse accepts exactly when this
    // key's value is right: the required keys get neutral values.
    let probe = |key: &str, value: &Value| -> Result<(), String> {
        let mut doc = yaml::Mapping::new();
        doc.insert(Value::from("version"), Value::from("0.0.0"));
        doc.insert(Value::from("changelog"), Value::Sequence(Vec::new()));
        doc.insert(Value::from(key), value.clone());
        yaml::from_value::<PromptFile>(Value::Mapping(doc)).map(|_| ())
    };
    let mut clean = yaml::Mapping::new();
    // Rules that compare what could not be read with what could are left
    // out: their finding would be about the stand-in, not the file.
    let mut stand_ins: Vec<&'static str> = Vec::new();
    for (key, value) in map {
        let Some(name) = key.as_str() else {
            findings.push(structural(&[], "a key is not a string".to_string()));
            continue;
        };
        if !KEYS.contains(&name) {
            let hint = yaml::did_you_mean(name, KEYS)
                .map(|b| format!(" (did you mean `{b}`?)"))
                .unwrap_or_default();
            findings.push(Finding::error(
                "unknown-key",
                at(&[name]),
                format!(
                    "unknown key `{name}`{hint}; allowed keys: {}",
                    KEYS.join(", ")
                ),
            ));
            continue;
        }
        let kept = match (name, &value) {
            // Lists and maps of independent items: each item on its own.
            ("messages" | "changelog", Value::Sequence(items)) => {
                let mut kept = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let index = i.to_string();
                    let one = Value::Sequence(vec![item.clone()]);
                    let result = if name == "messages" {
                        yaml::from_value::<Vec<Message>>(one).map(|_| ())
                    } else {
                        yaml::from_value::<Vec<ChangelogEntry>>(one).map(|_| ())
                    };
                    match result {
                        Ok(()) => kept.push(item.clone()),
                        Err(e) => {
                            findings.push(structural(&[name, &index], e));
                            if name == "changelog" {
                                stand_ins.extend(["changelog-version-mismatch", "changelog-order"]);
                            }
                            // An empty user message keeps the later ones at
                            // their index, so their findings at their line.
                            if name == "messages" {
                                let mut stand_in = yaml::Mapping::new();
                                stand_in.insert(Value::from("role"), Value::from("user"));
                                stand_in.insert(Value::from("content"), Value::from(""));
                                kept.push(Value::Mapping(stand_in));
                            }
                        }
                    }
                }
                Some(Value::Sequence(kept))
            }
            ("variables", Value::Mapping(vars)) => {
                let mut kept = yaml::Mapping::new();
                for (var, decl) in vars {
                    let mut one = yaml::Mapping::new();
                    one.insert(var.clone(), decl.clone());
                    let var_name = var.as_str().unwrap_or("?");
                    match probe(name, &Value::Mapping(one)) {
                        Ok(()) => {
                            kept.insert(var.clone(), decl.clone());
                        }
                        Err(e) => findings.push(structural(&[name, var_name], e)),
                    }
                }
                Some(Value::Mapping(kept))
            }
            _ => match probe(name, &value) {
                Ok(()) => Some(value.clone()),
                Err(e) => {
                    findings.push(structural(&[name], e));
                    None
                }
            },
        };
        if let Some(kept) = kept {
            clean.insert(Value::from(name), kept);
        }
    }
    // The required keys, when missing or unreadable, get stand-ins that no
    // rule fires on; the structural finding already says what is wrong.
    // A missing one is said in the parser's words, so that its own finding
    // replaces this one.
    if !clean.contains_key("changelog") {
        if !findings.iter().any(|f| f.message.starts_with("changelog")) {
            findings.push(Finding::error(
                "invalid-yaml",
                None,
                "missing field `changelog`",
            ));
        }
        clean.insert(Value::from("changelog"), Value::Sequence(Vec::new()));
        stand_ins.push("changelog-missing");
    }
    if !clean.contains_key("version") {
        if !findings.iter().any(|f| f.message.starts_with("version")) {
            findings.push(Finding::error(
                "invalid-yaml",
                None,
                "missing field `version`",
            ));
        }
        let first = clean
            .get("changelog")
            .and_then(|c| c.as_sequence())
            .and_then(|c| c.first())
            .and_then(|e| e.get("version"))
            .and_then(|v| v.as_str())
            .unwrap_or("0.0.0")
            .to_string();
        clean.insert(Value::from("version"), Value::from(first));
        stand_ins.extend(["version-not-semver", "changelog-version-mismatch"]);
    }
    if let Ok(file) = yaml::from_value::<PromptFile>(Value::Mapping(clean)) {
        let version_line = at(&["version"]).map(|l| l.line);
        findings.extend(validate(&file, text).into_iter().filter(|f| {
            !(stand_ins.contains(&f.rule)
                && (f.rule != "version-not-semver" || f.line == version_line))
        }));
    }
    Some(findings)
}

/// Parses a prompt that must be valid (for commands that display or render it).
pub fn parse(bytes: &[u8]) -> Result<Prompt, Vec<Finding>> {
    let checked = check(bytes);
    checked.prompt.ok_or(checked.findings)
}

fn validate(file: &PromptFile, text: &str) -> Vec<Finding> {
    let at = |path: &[&str]| yaml::locate(text, path);
    let mut findings = Vec::new();
    let mut error =
        |rule, loc: Option<Location>, msg: String| findings.push(Finding::error(rule, loc, msg));

    let version = Version::parse(&file.version);
    if let Err(e) = &version {
        error(
            "version-not-semver",
            at(&["version"]),
            format!(
                "version `{}` is not SemVer 2.0 ({e}); write MAJOR.MINOR.PATCH, e.g. 1.0.0",
                file.version
            ),
        );
    }

    match (&file.template, &file.messages) {
        (Some(_), Some(_)) => error(
            "template-and-messages",
            at(&["messages"]),
            "a prompt has either `template` or `messages`, not both".into(),
        ),
        (None, None) => error(
            "no-template",
            None,
            "a prompt needs a `template:` (text) or `messages:` (chat)".into(),
        ),
        (None, Some(m)) if m.is_empty() => error(
            "no-messages",
            at(&["messages"]),
            "`messages` is empty; give at least one message".into(),
        ),
        _ => {}
    }

    for (name, _) in &file.variables {
        if !is_identifier(name) {
            error(
                "variable-name",
                at(&["variables", name]),
                format!("variable name `{name}` must be an identifier: letters, digits and `_`, not starting with a digit"),
            );
        }
    }

    if let Some(model) = &file.model {
        for (key, value) in [("provider", &model.provider), ("name", &model.name)] {
            if value.trim().is_empty() {
                error(
                    "model-empty",
                    at(&["model", key]),
                    format!("model.{key} is empty"),
                );
            }
        }
    }

    validate_changelog(file, version.as_ref().ok(), &at, &mut error);

    // Placeholders: every one declared; a declared one never used is a warning.
    let mut used = BTreeSet::new();
    let mut templates_ok = true;
    for (path, source) in templates_of(file) {
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        match template::placeholders(source) {
            Ok(names) => {
                for name in names.iter().filter(|n| !file.variables.contains_key(*n)) {
                    error(
                        "undeclared-placeholder",
                        at(&path),
                        format!(
                            "placeholder `{{{{ {name} }}}}` in {} is not declared; add `{name}:` under `variables:`",
                            path.join(".")
                        ),
                    );
                }
                used.extend(names);
            }
            Err(e) => {
                templates_ok = false;
                let loc = at(&path).map(|l| {
                    // A block scalar (`template: |`) starts on the line after
                    // its key; any other scalar on the key's own line.
                    let block = text
                        .lines()
                        .nth(l.line - 1)
                        .and_then(|key_line| key_line.split_once(':'))
                        .is_some_and(|(_, value)| value.trim_start().starts_with(['|', '>']));
                    let inside = e.line.unwrap_or(1);
                    if block {
                        Location {
                            line: l.line + inside,
                            column: 1,
                        }
                    } else {
                        Location {
                            line: l.line + inside - 1,
                            column: l.column,
                        }
                    }
                });
                error(
                    "template-syntax",
                    loc,
                    format!("template syntax error in {}: {}", path.join("."), e.message),
                );
            }
        }
    }
    // Partials (docs/DESIGN.md §16): what a partial may hold, and every
    // include declared under `partials:`.
    if file.partial && (file.messages.is_some() || file.model.is_some() || file.output.is_some()) {
        let key = ["messages", "model", "output"]
            .into_iter()
            .find(|k| match *k {
                "messages" => file.messages.is_some(),
                "model" => file.model.is_some(),
                _ => file.output.is_some(),
            })
            .unwrap_or("partial");
        error(
            "partial-kind",
            at(&[key]),
            "a partial is a block of text: it has a `template:` and no `messages`, `model` or `output`".into(),
        );
    }
    for (name, requirement) in &file.partials {
        if let Err(e) = crate::name::PromptName::parse(name) {
            error(
                "partial-name",
                at(&["partials", name]),
                format!("partial `{name}`: {e}"),
            );
        }
        if let Err(e) = semver::VersionReq::parse(&requirement.0) {
            error(
                "partial-requirement",
                at(&["partials", name]),
                format!(
                    "partial `{name}`: `{}` is not a SemVer requirement ({e}); write e.g. `^1.2`",
                    requirement.0
                ),
            );
        }
    }
    let mut included = BTreeSet::new();
    for (path, source) in templates_of(file) {
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        // A template that does not tokenize was reported above.
        for reference in template::references(source).unwrap_or_default() {
            match (&reference.refused, &reference.name) {
                (Some(why), _) => error(
                    "template-include",
                    at(&path),
                    format!("{} line {}: {why}", path.join("."), reference.line),
                ),
                (None, Some(name)) => {
                    if !file.partials.contains_key(name) {
                        error(
                            "undeclared-partial",
                            at(&path),
                            format!(
                                "{} includes `{name}`, which is not declared; add `{name}: \"^1\"` (its requirement) under `partials:`",
                                path.join(".")
                            ),
                        );
                    }
                    included.insert(name.clone());
                }
                (None, None) => {}
            }
        }
    }
    let unused_partials: Vec<Finding> = file
        .partials
        .keys()
        .filter(|n| templates_ok && !included.contains(*n))
        .map(|name| {
            Finding::warning(
                "unused-partial",
                at(&["partials", name]),
                format!("partial `{name}` is declared but no template includes it"),
            )
        })
        .collect();
    findings.extend(unused_partials);
    if templates_ok {
        for name in file.variables.keys().filter(|n| !used.contains(*n)) {
            findings.push(Finding::warning(
                "unused-variable",
                at(&["variables", name]),
                format!("variable `{name}` is declared but no template uses it"),
            ));
        }
    }
    findings
}

fn validate_changelog(
    file: &PromptFile,
    version: Option<&Version>,
    at: &dyn Fn(&[&str]) -> Option<Location>,
    error: &mut dyn FnMut(&'static str, Option<Location>, String),
) {
    if file.changelog.is_empty() {
        error(
            "changelog-missing",
            at(&["changelog"]),
            "`changelog` is empty; its first entry must describe the current version".into(),
        );
        return;
    }
    let mut previous: Option<Version> = None;
    for (i, entry) in file.changelog.iter().enumerate() {
        let index = i.to_string();
        let field = |name: &str| at(&["changelog", &index, name]);
        let parsed = Version::parse(&entry.version);
        match &parsed {
            Err(e) => error(
                "version-not-semver",
                field("version"),
                format!(
                    "changelog[{i}].version `{}` is not SemVer 2.0 ({e})",
                    entry.version
                ),
            ),
            Ok(v) => {
                if i == 0 {
                    if let Some(current) = version {
                        if v != current {
                            error(
                                "changelog-version-mismatch",
                                field("version"),
                                format!(
                                    "the first changelog entry is for {v} but `version` is {current}; the newest entry comes first and describes `version`"
                                ),
                            );
                        }
                    }
                }
                if let Some(newer) = &previous {
                    if v >= newer {
                        error(
                            "changelog-order",
                            field("version"),
                            format!("changelog[{i}].version {v} is not lower than the entry above it ({newer}); entries go newest first"),
                        );
                    }
                }
            }
        }
        previous = parsed.ok();
        if !is_utc_rfc3339(&entry.date) {
            error(
                "changelog-date",
                field("date"),
                format!(
                    "changelog[{i}].date `{}` is not an RFC 3339 UTC timestamp like 2026-11-20T10:04:00Z",
                    entry.date
                ),
            );
        }
        if !is_author(&entry.author) {
            error(
                "changelog-author",
                field("author"),
                format!(
                    "changelog[{i}].author `{}` is not `Name <email>`",
                    entry.author
                ),
            );
        }
        if entry.reason.trim().is_empty() {
            error(
                "changelog-reason",
                field("reason"),
                format!("changelog[{i}].reason is empty; say why this version exists"),
            );
        }
    }
}

/// `letters, digits, _`, not starting with a digit.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `Name <local@domain>`.
pub fn is_author(author: &str) -> bool {
    let Some(inner) = author.strip_suffix('>') else {
        return false;
    };
    let Some((name, email)) = inner.split_once(" <") else {
        return false;
    };
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let plain =
        |s: &str| !s.is_empty() && !s.contains(['<', '>']) && !s.contains(char::is_whitespace);
    !name.trim().is_empty() && !name.contains(['<', '>']) && plain(local) && plain(domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_be_utc_and_real() {
        assert!(is_utc_rfc3339("2026-11-20T10:04:00Z"));
        assert!(is_utc_rfc3339("2026-11-20T10:04:00.123Z"));
        assert!(!is_utc_rfc3339("2026-11-20T10:04:00+01:00"));
        assert!(!is_utc_rfc3339("2026-02-30T10:04:00Z"));
        assert!(!is_utc_rfc3339("2026-11-20"));
        assert!(!is_utc_rfc3339("2026-11-20t10:04:00z"));
    }

    #[test]
    fn authors_are_name_and_email() {
        assert!(is_author("Ada Lovelace <ada@example.com>"));
        assert!(!is_author("Ada Lovelace"));
        assert!(!is_author("<ada@example.com>"));
        assert!(!is_author("Ada <ada example.com>"));
    }

    #[test]
    fn structural_errors_do_not_hide_the_other_rules() {
        let text = "version: 1.0.0\ndescripton: typo\nmessages:\n  - role: robot\n    content: Hi\n  - role: user\n    content: \"{{ who }}\"\nchangelog:\n  - version: 1.0.0\n    date: 2026-01-28T10:00:00Z\n    author: nobody\n    reason: First.\n";
        let checked = check(text.as_bytes());
        assert!(checked.prompt.is_none());
        let found: Vec<(&str, Option<usize>)> =
            checked.findings.iter().map(|f| (f.rule, f.line)).collect();
        assert_eq!(
            found,
            [
                ("unknown-key", Some(2)),
                ("invalid-yaml", Some(4)),
                ("changelog-author", Some(11)),
                ("undeclared-placeholder", Some(7)),
            ]
        );
        // A missing required key is said once, in the parser's words.
        let checked = check(b"version: 1.0.0\ntemplate: Hi\n");
        let messages: Vec<&str> = checked
            .findings
            .iter()
            .map(|f| f.message.as_str())
            .collect();
        assert_eq!(messages, ["missing field `changelog`"]);
    }
}

/// A rendered prompt, ready for a model API.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Rendered {
    /// A text prompt's rendered template.
    Text(String),
    /// A chat prompt's rendered messages, in order.
    Chat(Vec<RenderedMessage>),
}

/// One rendered chat message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RenderedMessage {
    /// Who speaks: `system`, `user` or `assistant`.
    pub role: &'static str,
    /// The message's content with every placeholder filled in.
    pub content: String,
}

/// Why a prompt could not be rendered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RenderError {
    /// The values given do not match the declared variables.
    #[error("{}", describe_variables(.missing, .unknown, .declared))]
    Variables {
        /// Required variables (no default) that were not given, in file order.
        missing: Vec<String>,
        /// Given names that the prompt does not declare, sorted.
        unknown: Vec<String>,
        /// Every declared variable, in file order (for the message).
        declared: Vec<String>,
    },
    /// The template engine failed on one template.
    #[error("template error in {path}: {message}")]
    Template {
        /// Which template: `template` or `messages.N.content` (N from 0).
        path: String,
        /// The engine's message.
        message: String,
    },
}

fn describe_variables(missing: &[String], unknown: &[String], declared: &[String]) -> String {
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!(
            "missing required variable(s): {}",
            missing.join(", ")
        ));
    }
    if !unknown.is_empty() {
        parts.push(format!(
            "unknown variable(s): {} (declared: {})",
            unknown.join(", "),
            if declared.is_empty() {
                "none".to_string()
            } else {
                declared.join(", ")
            }
        ));
    }
    parts.join("; ")
}

impl Prompt {
    /// Renders every template with `given` values over the declared
    /// defaults. Missing and unknown variables are reported all at once.
    pub fn render(
        &self,
        given: &std::collections::BTreeMap<String, serde_json::Value>,
    ) -> Result<Rendered, RenderError> {
        self.render_with(&self.file.variables, given, &|_, source, values| {
            template::render(source, values)
        })
    }

    /// Parses the prompt's templates once, for rendering many times: what a
    /// runtime serving the prompt keeps. Renders exactly as [`Prompt::render`].
    pub fn compile(&self) -> Result<Compiled, RenderError> {
        self.compile_with(self.file.variables.clone(), Vec::new())
    }

    /// [`Prompt::compile`] with partials (docs/DESIGN.md §16): each
    /// `(name, text)` is added under its name, so `{% include "NAME" %}`
    /// renders it, and `variables` is the composed interface. What
    /// `compose::Composition::compile` calls.
    pub fn compile_with(
        &self,
        variables: IndexMap<String, Variable>,
        partials: Vec<(String, String)>,
    ) -> Result<Compiled, RenderError> {
        // The prompt's own templates under names no partial can have.
        let templates: Vec<(String, String)> = self
            .file
            .template
            .iter()
            .map(|t| (own_template("template"), t.clone()))
            .chain(
                self.file
                    .messages
                    .iter()
                    .flatten()
                    .enumerate()
                    .map(|(i, m)| {
                        (
                            own_template(&format!("messages.{i}.content")),
                            m.content.clone(),
                        )
                    }),
            )
            .chain(partials)
            .collect();
        let templates =
            template::Compiled::new(templates).map_err(|(path, e)| RenderError::Template {
                path: path.strip_prefix('@').unwrap_or(&path).to_string(),
                message: e.message,
            })?;
        Ok(Compiled {
            prompt: self.clone(),
            variables,
            templates,
        })
    }

    /// Renders with `one(path, source, values)` rendering each template.
    #[allow(clippy::type_complexity)] // one closure type, spelled out once
    fn render_with(
        &self,
        vars: &IndexMap<String, Variable>,
        given: &std::collections::BTreeMap<String, serde_json::Value>,
        one: &dyn Fn(
            &str,
            &str,
            &std::collections::BTreeMap<String, serde_json::Value>,
        ) -> Result<String, template::TemplateError>,
    ) -> Result<Rendered, RenderError> {
        let missing: Vec<String> = vars
            .iter()
            .filter(|(n, v)| v.is_required() && !given.contains_key(*n))
            .map(|(n, _)| n.clone())
            .collect();
        let unknown: Vec<String> = given
            .keys()
            .filter(|n| !vars.contains_key(*n))
            .cloned()
            .collect();
        if !missing.is_empty() || !unknown.is_empty() {
            return Err(RenderError::Variables {
                missing,
                unknown,
                declared: vars.keys().cloned().collect(),
            });
        }
        let mut values = std::collections::BTreeMap::new();
        for (name, var) in vars {
            if let Some(value) = given.get(name).or(var.default.as_ref()) {
                values.insert(name.clone(), value.clone());
            }
        }
        let one = |path: &str, source: &str| {
            one(path, source, &values).map_err(|e| RenderError::Template {
                path: path.to_string(),
                message: e.message,
            })
        };
        Ok(match (&self.file.template, &self.file.messages) {
            (Some(t), _) => Rendered::Text(one("template", t)?),
            (None, messages) => Rendered::Chat(
                messages
                    .iter()
                    .flatten()
                    .enumerate()
                    .map(|(i, m)| {
                        Ok(RenderedMessage {
                            role: m.role.as_str(),
                            content: one(&format!("messages.{i}.content"), &m.content)?,
                        })
                    })
                    .collect::<Result<_, RenderError>>()?,
            ),
        })
    }
}

/// A prompt whose templates are parsed once (see [`Prompt::compile`]).
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The prompt.
    pub prompt: Prompt,
    /// Its interface: the prompt's variables and its partials' (docs/DESIGN.md §16).
    pub variables: IndexMap<String, Variable>,
    templates: template::Compiled,
}

/// The engine's name of one of the prompt's own templates: `@` cannot
/// start a partial's name.
fn own_template(path: &str) -> String {
    format!("@{path}")
}

impl Compiled {
    /// Renders as [`Prompt::render`] does, without parsing the templates
    /// again.
    pub fn render(
        &self,
        given: &std::collections::BTreeMap<String, serde_json::Value>,
    ) -> Result<Rendered, RenderError> {
        self.prompt
            .render_with(&self.variables, given, &|path, _, values| {
                self.templates.render(&own_template(path), values)
            })
    }
}
