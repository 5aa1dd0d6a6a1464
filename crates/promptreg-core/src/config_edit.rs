//! Editing `promptreg.yaml` in place: set one environment's requirement for
//! one prompt, changing no other byte of the file (comments, key order,
//! quoting, blank lines and line endings survive), as `bump` does for
//! prompt files. Returns the new text; the caller writes it. Never prints.

use crate::config::{self, EnvRule};
use crate::error::fail;
use anyhow::Result;

/// The result of an edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinEdit {
    /// The whole new text of promptreg.yaml.
    pub text: String,
    /// 1-based line of the entry in the new text.
    pub line: usize,
    /// True when the environment had no block and one was added.
    pub created_environment: bool,
}

/// `text` with `environments.<env>.<name>` set to `requirement`:
/// - an existing entry is replaced (a split included) and keeps its key as
///   written and the comment at the end of its line;
/// - a missing entry is added to the environment's block, before its `"*"`
///   entry when it has one, with the indentation of its siblings;
/// - a missing environment gets a block at the end of `environments:`, and a
///   missing `environments:` is added at the end of the file.
///
/// Flow-style maps (`production: { "*": latest }`), anchors and aliases are
/// refused: they cannot be edited without rewriting other entries. The
/// result is parsed again and must equal the old configuration with only
/// that entry changed, or nothing is returned.
pub fn set_requirement(text: &str, env: &str, name: &str, requirement: &str) -> Result<PinEdit> {
    let old = config::check(text.as_bytes()).map_err(|findings| {
        let list: Vec<String> = findings.iter().map(|f| format!("  {f}")).collect();
        fail(format!(
            "{} is invalid:\n{}",
            config::FILE_NAME,
            list.join("\n")
        ))
        .hint("fix it first (`promptreg validate` lists every problem)")
    })?;
    let edit = edit_lines(text, env, name, requirement)?;
    let mut want = old.clone();
    want.environments
        .entry(env.to_string())
        .or_default()
        .insert(
            name.to_string(),
            EnvRule::Requirement(requirement.to_string()),
        );
    match config::check(edit.text.as_bytes()) {
        // Maps compare as maps: where the entry was added does not matter.
        Ok(new) if new == want => Ok(edit),
        _ => Err(fail(format!(
            "cannot edit {} in place: its layout is more than promptreg can edit without touching other entries",
            config::FILE_NAME
        ))
        .hint(format!(
            "set `{name}: \"{requirement}\"` under `environments:` → `{env}:` by hand, then run `promptreg lock`"
        ))
        .into()),
    }
}

/// One line of the file and what it holds.
struct Line<'a> {
    /// The line with its end-of-line characters.
    raw: &'a str,
}

impl Line<'_> {
    fn body(&self) -> &str {
        self.raw.trim_end_matches(['\n', '\r'])
    }

    fn indent(&self) -> usize {
        self.body().len() - self.body().trim_start_matches(' ').len()
    }

    /// Not blank, not only a comment, not a document marker.
    fn is_content(&self) -> bool {
        let t = self.body().trim();
        !t.is_empty() && !t.starts_with('#') && t != "---"
    }

    /// `key: value` → (key, byte offset just past the colon).
    fn key(&self) -> Option<(String, usize)> {
        let body = self.body();
        let start = self.indent();
        // A byte order mark before the first key is not part of it.
        let rest = body[start..].trim_start_matches('\u{feff}');
        let start = body.len() - rest.len();
        let (key, after) =
            if let Some(q) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') {
                let end = closing_quote(rest, q)?;
                let quoted = &rest[..=end];
                let key = if q == '"' {
                    serde_json::from_str::<String>(quoted).ok()?
                } else {
                    quoted[1..quoted.len() - 1].replace("''", "'")
                };
                let after = rest[end + 1..].trim_start_matches(' ');
                let colon = after.strip_prefix(':')?;
                (key, body.len() - colon.len())
            } else {
                if rest.starts_with('-') && (rest.len() == 1 || rest[1..].starts_with(' ')) {
                    return None;
                }
                let colon = rest.match_indices(':').map(|(i, _)| i).find(|&i| {
                    rest[i + 1..].is_empty() || rest[i + 1..].starts_with([' ', '\t'])
                })?;
                (rest[..colon].trim_end().to_string(), start + colon + 1)
            };
        Some((key, after))
    }
}

/// The index of the quote closing the scalar that `text` opens with `q`.
fn closing_quote(text: &str, q: char) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        let c = bytes[i] as char;
        if q == '"' && c == '\\' {
            i += 2;
            continue;
        }
        if c == q {
            if q == '\'' && bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return Some(i);
        }
        i += 1;
    }
    None
}

/// A value as written after `key:`: the value, and the comment after it
/// (with its leading spaces), quotes respected.
fn split_comment(value: &str) -> (&str, &str) {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in value.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' && (prev == ' ' || prev == '\t' || i == 0) => {
                let v = value[..i].trim_end();
                return (v, &value[v.len()..]);
            }
            None => {}
        }
        prev = c;
    }
    (value.trim_end(), &value[value.trim_end().len()..])
}

/// What follows `key:` on its line.
#[derive(Debug, PartialEq, Eq)]
enum Value {
    /// Nothing (or only a comment): a block follows.
    Block,
    /// `{ ... }` or `[ ... ]`.
    Flow,
    /// An anchor, alias, tag or block scalar: not editable here.
    Special,
    Scalar,
}

fn value_kind(value: &str) -> Value {
    let (v, _) = split_comment(value);
    let v = v.trim();
    match v.chars().next() {
        None => Value::Block,
        Some('{' | '[') => Value::Flow,
        Some('&' | '*' | '!' | '|' | '>') => Value::Special,
        Some(_) => Value::Scalar,
    }
}

/// The end (exclusive) of the block that belongs to the key on line
/// `start` indented `indent`: up to the last content line indented deeper.
fn block_end(lines: &[Line<'_>], start: usize, indent: usize) -> usize {
    let mut end = start + 1;
    for (i, line) in lines.iter().enumerate().skip(start + 1) {
        if !line.is_content() {
            continue;
        }
        if line.indent() <= indent {
            break;
        }
        end = i + 1;
    }
    end
}

/// The line (index) of `key` among the direct children of the block
/// `lines[from..to]` indented `indent`.
fn find_key(lines: &[Line<'_>], from: usize, to: usize, indent: usize, key: &str) -> Option<usize> {
    (from..to).find(|&i| {
        let l = &lines[i];
        l.is_content() && l.indent() == indent && l.key().is_some_and(|(k, _)| k == key)
    })
}

/// The indentation of the first content line of `lines[from..to]`.
fn child_indent(lines: &[Line<'_>], from: usize, to: usize) -> Option<usize> {
    lines[from..to]
        .iter()
        .find(|l| l.is_content())
        .map(Line::indent)
}

/// A prompt name (or `*`) as a mapping key that every YAML reader reads
/// back as the same string.
fn key_token(name: &str) -> String {
    let reserved = matches!(
        name,
        "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
    );
    if name.starts_with(|c: char| c.is_ascii_lowercase()) && !reserved {
        name.to_string()
    } else {
        format!("\"{name}\"")
    }
}

/// The refusal of a flow-style map: `what` names it in the message, `key`
/// is its key in the file.
fn flow_refused(what: &str, key: &str, name: &str, requirement: &str) -> anyhow::Error {
    fail(format!(
        "{what} in {} is written in flow style ({{ ... }}); promptreg edits block-style maps only, so that no other entry changes",
        config::FILE_NAME
    ))
    .hint(format!(
        "rewrite it one entry per line (`{key}:`, then indented `KEY: VALUE` lines), or set `{name}: \"{requirement}\"` by hand and run `promptreg lock`"
    ))
    .into()
}

fn edit_lines(text: &str, env: &str, name: &str, requirement: &str) -> Result<PinEdit> {
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<Line<'_>> = text.split_inclusive('\n').map(|raw| Line { raw }).collect();
    // Keywords plain (`latest`), requirements quoted (`"=1.2.0"`), as the
    // README writes them.
    let value = if requirement
        .chars()
        .all(|c| c.is_ascii_lowercase() || c == '-')
    {
        requirement.to_string()
    } else {
        format!("\"{requirement}\"")
    };
    let entry_key = key_token(name);

    let splice = |at: usize, remove: usize, insert: &str| -> String {
        let mut out = String::with_capacity(text.len() + insert.len());
        for line in &lines[..at] {
            out.push_str(line.raw);
        }
        if at > 0 && !lines[at - 1].raw.ends_with('\n') {
            out.push_str(eol);
        }
        out.push_str(insert);
        for line in &lines[(at + remove).min(lines.len())..] {
            out.push_str(line.raw);
        }
        out
    };

    let Some(envs_line) = find_key(&lines, 0, lines.len(), 0, "environments") else {
        let insert = format!("environments:{eol}  {env}:{eol}    {entry_key}: {value}{eol}");
        return Ok(PinEdit {
            text: splice(lines.len(), 0, &insert),
            line: lines.len() + 3,
            created_environment: true,
        });
    };
    let (_, after) = lines[envs_line].key().unwrap_or_default();
    match value_kind(&lines[envs_line].body()[after..]) {
        Value::Block => {}
        Value::Flow => {
            return Err(flow_refused(
                "`environments:`",
                "environments",
                name,
                requirement,
            ))
        }
        _ => {
            return Err(fail(format!(
                "`environments:` in {} is not a block map (an anchor, alias or scalar)",
                config::FILE_NAME
            ))
            .hint(format!(
                "set `{name}: \"{requirement}\"` under `{env}:` by hand, then run `promptreg lock`"
            ))
            .into())
        }
    }
    let envs_end = block_end(&lines, envs_line, 0);
    let env_indent = child_indent(&lines, envs_line + 1, envs_end).unwrap_or(2);

    let Some(env_line) = find_key(&lines, envs_line + 1, envs_end, env_indent, env) else {
        // A new environment block at the end of `environments:`.
        let pad = " ".repeat(env_indent);
        let inner = " ".repeat(env_indent * 2);
        let insert = format!("{pad}{env}:{eol}{inner}{entry_key}: {value}{eol}");
        return Ok(PinEdit {
            text: splice(envs_end, 0, &insert),
            line: envs_end + 2,
            created_environment: true,
        });
    };
    let (_, after) = lines[env_line].key().unwrap_or_default();
    match value_kind(&lines[env_line].body()[after..]) {
        Value::Block => {}
        Value::Flow => {
            return Err(flow_refused(
                &format!("environment `{env}`"),
                env,
                name,
                requirement,
            ))
        }
        _ => {
            return Err(fail(format!(
                "environment `{env}` in {} is not a block map (an anchor, alias or scalar)",
                config::FILE_NAME
            ))
            .hint(format!(
                "set `{name}: \"{requirement}\"` under `{env}:` by hand, then run `promptreg lock`"
            ))
            .into())
        }
    }
    let env_end = block_end(&lines, env_line, env_indent);
    let entry_indent =
        child_indent(&lines, env_line + 1, env_end).unwrap_or(env_indent + env_indent.max(2));

    match find_key(&lines, env_line + 1, env_end, entry_indent, name) {
        Some(k) => {
            let line = &lines[k];
            let (_, after) = line.key().unwrap_or_default();
            let body = line.body();
            let rest = &body[after..];
            let eol_here = &line.raw[body.len()..];
            let kind = value_kind(rest);
            let new_line = match kind {
                Value::Scalar => {
                    let (old, comment) = split_comment(rest);
                    let lead = &old[..old.len() - old.trim_start().len()];
                    let lead = if lead.is_empty() { " " } else { lead };
                    let new = match old.trim_start().chars().next() {
                        Some('\'') => format!("'{requirement}'"),
                        _ => value.clone(),
                    };
                    format!("{}{lead}{new}{comment}{eol_here}", &body[..after])
                }
                Value::Block | Value::Flow => {
                    let (_, comment) = split_comment(rest);
                    let eol_here = if eol_here.is_empty() { eol } else { eol_here };
                    format!("{} {value}{comment}{eol_here}", &body[..after])
                }
                Value::Special => {
                    return Err(fail(format!(
                        "`{name}` of environment `{env}` in {} uses an anchor, alias, tag or block scalar",
                        config::FILE_NAME
                    ))
                    .hint(format!("set `{name}: \"{requirement}\"` by hand, then run `promptreg lock`"))
                    .into())
                }
            };
            let remove = if kind == Value::Scalar {
                1
            } else {
                block_end(&lines, k, entry_indent) - k
            };
            Ok(PinEdit {
                text: splice(k, remove, &new_line),
                line: k + 1,
                created_environment: false,
            })
        }
        None => {
            let at = find_key(&lines, env_line + 1, env_end, entry_indent, "*").unwrap_or(env_end);
            let insert = format!("{}{entry_key}: {value}{eol}", " ".repeat(entry_indent));
            Ok(PinEdit {
                text: splice(at, 0, &insert),
                line: at + 1,
                created_environment: false,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str, env: &str, name: &str) -> String {
        set_requirement(text, env, name, "=1.3.0").unwrap().text
    }

    #[test]
    fn replaces_a_scalar_keeping_everything_else() {
        let text = "# top\nprompts_dir: prompts\nenvironments:\n  production:   # prod\n    support/triage: \"^1.2\"   # compatible\n    \"*\": latest\n  staging:\n    \"*\": latest-pre\n";
        let out = set_requirement(text, "production", "support/triage", "=1.3.0").unwrap();
        assert_eq!(
            out.text,
            text.replace("\"^1.2\"   # compatible", "\"=1.3.0\"   # compatible")
        );
        assert_eq!(out.line, 5);
        // Single quotes and plain values.
        let single = text.replace("\"^1.2\"", "'^1.2'");
        assert_eq!(
            set(&single, "production", "support/triage"),
            single.replace("'^1.2'", "'=1.3.0'")
        );
        let plain = text.replace("\"^1.2\"", "latest");
        assert_eq!(
            set(&plain, "production", "support/triage"),
            plain.replace("support/triage: latest", "support/triage: \"=1.3.0\"")
        );
    }

    #[test]
    fn adds_a_missing_entry_before_the_star() {
        let text = "environments:\n  production:\n    a: latest\n    \"*\": latest\n\n  # staging next\n  staging:\n    \"*\": latest-pre\n";
        let out = set_requirement(text, "production", "b", "=1.3.0").unwrap();
        assert_eq!(
            out.text,
            text.replace(
                "    \"*\": latest\n\n",
                "    b: \"=1.3.0\"\n    \"*\": latest\n\n"
            )
        );
        assert_eq!(out.line, 4);
        let out = set_requirement(text, "staging", "b", "=1.3.0").unwrap();
        assert_eq!(
            out.text,
            text.replace("  staging:\n", "  staging:\n    b: \"=1.3.0\"\n")
        );
    }

    #[test]
    fn replaces_a_split_block_or_flow() {
        let block = "environments:\n  canary:\n    a:   # A/B\n      split:\n        \"=1.2.0\": 90\n        \"=1.3.0\": 10\n    \"*\": latest\n";
        assert_eq!(
            set(block, "canary", "a"),
            "environments:\n  canary:\n    a: \"=1.3.0\"   # A/B\n    \"*\": latest\n"
        );
        let flow = "environments:\n  canary:\n    a: { split: { \"=1.2.0\": 90, \"=1.3.0\": 10 } } # A/B\n";
        assert_eq!(
            set(flow, "canary", "a"),
            "environments:\n  canary:\n    a: \"=1.3.0\" # A/B\n"
        );
    }

    #[test]
    fn creates_environments_and_environment_blocks() {
        let text =
            "prompts_dir: prompts\nenvironments:\n  production:\n    \"*\": latest\ngates: {}\n";
        let out = set_requirement(text, "canary", "a", "=1.3.0").unwrap();
        assert_eq!(
            out.text,
            "prompts_dir: prompts\nenvironments:\n  production:\n    \"*\": latest\n  canary:\n    a: \"=1.3.0\"\ngates: {}\n"
        );
        assert!(out.created_environment);
        assert_eq!(out.line, 6);
        let bare = "prompts_dir: prompts";
        let out = set_requirement(bare, "production", "a", "=1.3.0").unwrap();
        assert_eq!(
            out.text,
            "prompts_dir: prompts\nenvironments:\n  production:\n    a: \"=1.3.0\"\n"
        );
        assert_eq!(out.line, 4);
    }

    #[test]
    fn keeps_crlf_and_four_space_indents() {
        let text = "environments:\r\n    production:\r\n        \"*\": latest\r\n";
        assert_eq!(
            set(text, "production", "a"),
            "environments:\r\n    production:\r\n        a: \"=1.3.0\"\r\n        \"*\": latest\r\n"
        );
    }

    #[test]
    fn reads_past_a_byte_order_mark() {
        let text = "\u{feff}environments:\n  production:\n    \"*\": latest\n";
        assert_eq!(
            set(text, "production", "a"),
            "\u{feff}environments:\n  production:\n    a: \"=1.3.0\"\n    \"*\": latest\n"
        );
    }

    #[test]
    fn refuses_flow_maps() {
        for text in [
            "environments:\n  production: { \"*\": latest }\n",
            "environments: { production: { \"*\": latest } }\n",
        ] {
            let err = set_requirement(text, "production", "a", "=1.3.0").unwrap_err();
            assert!(err.to_string().contains("flow style"), "{err}");
        }
    }

    #[test]
    fn names_that_look_typed_are_quoted() {
        let text = "environments:\n  production:\n    \"*\": latest\n";
        assert!(set(text, "production", "123").contains("    \"123\": \"=1.3.0\"\n"));
        assert!(set(text, "production", "yes").contains("    \"yes\": \"=1.3.0\"\n"));
    }
}
