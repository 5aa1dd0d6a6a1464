//! The one module that parses YAML. Everything else asks it for typed values
//! and gets back errors that carry a line and column.

use crate::finding::Location;
use serde::de::DeserializeOwned;
use std::fmt;

/// Files larger than this are refused before parsing.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// Why a YAML document could not be turned into the wanted type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// What is wrong, for a person to read (misspelt keys get a "did you mean").
    pub message: String,
    /// Where in the file, when known.
    pub location: Option<Location>,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Some(loc) => write!(f, "{loc}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for YamlError {}

/// Checks the raw bytes of a YAML file (size, encoding, emptiness) and
/// returns them as text.
pub fn text_of(bytes: &[u8]) -> Result<&str, YamlError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(YamlError {
            message: format!("file is larger than the limit of {MAX_FILE_BYTES} bytes (1 MiB)"),
            location: None,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        let line = good.iter().filter(|b| **b == b'\n').count() + 1;
        let column = good.len() - good.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1) + 1;
        YamlError {
            message: "file is not valid UTF-8".into(),
            location: Some(Location { line, column }),
        }
    })?;
    let meaningful = without_bom(text)
        .lines()
        .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#') && l.trim() != "---");
    if !meaningful {
        return Err(YamlError {
            message: "file is empty".into(),
            location: None,
        });
    }
    Ok(text)
}

/// Parses `text` into `T`, turning serde's message into one a person can act
/// on (a "did you mean" for misspelt keys).
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    let text = without_bom(text);
    check_flow_depth(text)?;
    serde_yaml::from_str(text).map_err(|e| YamlError {
        message: humanize(&e.to_string()),
        location: e.location().map(|l| Location {
            line: l.line(),
            column: l.column(),
        }),
    })
}

/// A parsed YAML node, for reading the parts of a document that a typed
/// parse refused (see `prompt::check`).
pub use serde_yaml::{Mapping, Value};

/// Turns a parsed node into `T`, with the message [`from_str`] would give
/// (a node carries no location: the caller finds it with [`locate`]).
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_yaml::from_value(value).map_err(|e| humanize(&e.to_string()))
}

/// Flow collections (`[`, `{`) nested deeper than this are refused before
/// parsing. The YAML scanner's work grows with nesting depth times tokens
/// (a 1 MiB file of `[` would take it many minutes) and the reader refuses
/// anything past 128 levels anyway.
pub const MAX_FLOW_DEPTH: usize = 256;

/// Refuses text whose `[`/`{` nesting exceeds [`MAX_FLOW_DEPTH`]. Counts
/// every bracket, even in strings and comments: no real file comes close.
fn check_flow_depth(text: &str) -> Result<(), YamlError> {
    // The depth cannot pass the limit with fewer openings than that: one
    // vectorised count answers for almost every file.
    if memchr::memchr2_iter(b'[', b'{', text.as_bytes()).count() <= MAX_FLOW_DEPTH {
        return Ok(());
    }
    let mut depth = 0usize;
    for (number, line) in text.lines().enumerate() {
        for (column, c) in line.chars().enumerate() {
            match c {
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_FLOW_DEPTH {
                        return Err(YamlError {
                            message: format!(
                                "the document nests `[` and `{{` more than {MAX_FLOW_DEPTH} levels deep"
                            ),
                            location: Some(Location {
                                line: number + 1,
                                column: column + 1,
                            }),
                        });
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    Ok(())
}

/// `text` without a leading byte order mark. YAML allows one (editors on
/// Windows write it) but the parser would read it as part of the first key.
fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Parses `text` into a JSON value, the form JSON Schema validators and
/// `--format json` want.
pub fn to_json(text: &str) -> Result<serde_json::Value, YamlError> {
    from_str::<serde_json::Value>(text)
}

/// Serialises a value as YAML.
pub fn to_string<T: serde::Serialize>(value: &T) -> anyhow::Result<String> {
    Ok(serde_yaml::to_string(value)?)
}

/// serde_yaml appends " at line L column C" to its messages; the location is
/// reported separately, so strip it, and add a suggestion for unknown keys.
fn humanize(raw: &str) -> String {
    let message = match raw.find(" at line ") {
        Some(i) => &raw[..i],
        None => raw,
    };
    let message = message.trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    if let Some(rest) = message.strip_prefix("unknown field `") {
        if let Some((field, expected)) = rest.split_once('`') {
            let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
            let mut out = format!("unknown key `{field}`");
            if let Some(best) = did_you_mean(field, &candidates) {
                out.push_str(&format!(" (did you mean `{best}`?)"));
            }
            if !candidates.is_empty() {
                out.push_str(&format!("; allowed keys: {}", candidates.join(", ")));
            }
            return out;
        }
    }
    if message.contains("repetition limit exceeded") {
        return format!("{message}: the document expands too much (YAML alias bomb?)");
    }
    if message.contains("recursion limit exceeded") {
        return format!("{message}: the document nests too deeply");
    }
    message.to_string()
}

/// The closest candidate to `word`, when one is close enough to be a typo.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Finds where a key path (`["changelog", "1", "date"]`) sits in a block-style
/// YAML document. serde_yaml reports positions only for syntax and type
/// errors; rules checked after parsing use this to point at the right line.
/// Falls back to the deepest ancestor it could find.
pub fn locate(text: &str, path: &[&str]) -> Option<Location> {
    let lines: Vec<&str> = without_bom(text).lines().collect();
    let mut found = None;
    // Search window: [start, end) lines, children indented more than `parent_indent`.
    let (mut start, mut end, mut parent_indent) = (0usize, lines.len(), -1isize);
    // The line of the sequence item the previous segment found, if any.
    let mut item_line: Option<usize> = None;
    for segment in path {
        let index: Option<usize> = segment.parse().ok();
        let mut hit = None;
        let mut seen = 0usize;
        let mut child_indent: Option<isize> = None;
        for (i, line) in lines.iter().enumerate().take(end).skip(start) {
            let mut trimmed = line.trim_start();
            if item_line == Some(i) {
                // The item's first key shares the dash's line (`- key: v`)
                // and sits at the item's key column, past the dash.
                trimmed = trimmed.strip_prefix('-').unwrap_or(trimmed).trim_start();
            }
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let indent = (line.len() - trimmed.len()) as isize;
            if indent <= parent_indent {
                break;
            }
            let level = *child_indent.get_or_insert(indent);
            if indent != level {
                continue;
            }
            match index {
                Some(n) => {
                    if trimmed.starts_with("- ") || trimmed == "-" {
                        if seen == n {
                            hit = Some((i, indent));
                            break;
                        }
                        seen += 1;
                    }
                }
                None => {
                    let key = trimmed.trim_start_matches("- ");
                    let key_name = key
                        .split_once(':')
                        .map(|(k, _)| k.trim().trim_matches(|c| c == '"' || c == '\''));
                    if key_name == Some(segment) {
                        let column = (line.len() - key.len()) as isize;
                        hit = Some((i, column));
                        break;
                    }
                }
            }
        }
        let Some((line, indent)) = hit else { break };
        found = Some(Location {
            line: line + 1,
            column: indent as usize + 1,
        });
        // Children of a sequence item start on the same line ("- key: v").
        start = if index.is_some() { line } else { line + 1 };
        item_line = index.map(|_| line);
        parent_indent = indent;
        if index.is_some() {
            // Keys of the item are indented past the dash.
            let item = lines[line];
            let after_dash = item.trim_start().trim_start_matches('-').trim_start();
            let key_col = (item.len() - after_dash.len()) as isize;
            parent_indent = key_col - 1;
        }
        // The window ends at the next line indented at or less than the parent.
        let mut stop = lines.len();
        for (j, l) in lines.iter().enumerate().skip(line + 1) {
            let t = l.trim_start();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            if ((l.len() - t.len()) as isize) <= indent {
                stop = j;
                break;
            }
        }
        end = stop;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "version: 1.0.0\nvariables:\n  ticket: {}\n  tone:\n    default: x\nchangelog:\n  - version: 1.0.0\n    date: d\n  - version: 0.9.0\n    date: e\n";

    #[test]
    fn flow_depth_is_judged_by_nesting_not_by_count() {
        // Many brackets side by side take the exact path and pass.
        let side_by_side = format!("a: [{}]\n", vec!["[1]"; 400].join(", "));
        assert!(check_flow_depth(&side_by_side).is_ok());
        let at_limit = format!(
            "a: {}{}\n",
            "[".repeat(MAX_FLOW_DEPTH),
            "]".repeat(MAX_FLOW_DEPTH)
        );
        assert!(check_flow_depth(&at_limit).is_ok());
        let past = format!("a: {}\n", "[".repeat(MAX_FLOW_DEPTH + 1));
        let err = check_flow_depth(&past).unwrap_err();
        assert_eq!(
            err.location.map(|l| (l.line, l.column)),
            Some((1, MAX_FLOW_DEPTH + 4))
        );
    }

    #[test]
    fn locates_nested_keys_and_items() {
        assert_eq!(
            locate(DOC, &["version"]),
            Some(Location { line: 1, column: 1 })
        );
        assert_eq!(
            locate(DOC, &["variables", "tone"]),
            Some(Location { line: 4, column: 3 })
        );
        assert_eq!(
            locate(DOC, &["changelog", "1"]),
            Some(Location { line: 9, column: 3 })
        );
        assert_eq!(
            locate(DOC, &["changelog", "1", "date"]),
            Some(Location {
                line: 10,
                column: 5
            })
        );
        assert_eq!(
            locate(DOC, &["changelog", "0", "version"]),
            Some(Location { line: 7, column: 5 })
        );
        // Missing leaf: falls back to the parent.
        assert_eq!(
            locate(DOC, &["variables", "nope"]),
            Some(Location { line: 2, column: 1 })
        );
    }

    #[test]
    fn suggests_close_keys() {
        assert_eq!(
            did_you_mean("descripton", &["version", "description"]),
            Some("description")
        );
        assert_eq!(did_you_mean("zzz", &["version", "description"]), None);
    }
}

/// `text` as a YAML scalar: plain when that reads back as the same string,
/// double-quoted (JSON syntax, which YAML accepts) otherwise.
pub fn scalar(text: &str) -> String {
    // Timestamps are written plain, as people write them in prompt files.
    if crate::date::is_utc_rfc3339(text) {
        return text.to_string();
    }
    let plain_chars = text
        .chars()
        .all(|c| c.is_alphanumeric() || " ,.()'_@<>+/-".contains(c));
    let starts_ok = text.chars().next().is_some_and(char::is_alphabetic);
    let reserved = matches!(
        text.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
    );
    if plain_chars && starts_ok && !reserved && !text.ends_with(' ') {
        text.to_string()
    } else {
        quoted(text)
    }
}

/// `text` as a double-quoted YAML scalar that reads back as `text`: JSON's
/// escapes, plus `\uXXXX` for the characters JSON leaves raw but YAML
/// refuses (DEL, C1 controls, BOM, U+FFFE/U+FFFF) or reads as a line break
/// and folds into a space (NEL, U+2028, U+2029).
pub fn quoted(text: &str) -> String {
    let escape = |c: char| {
        matches!(
            c,
            '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
    };
    let json = serde_json::to_string(text).unwrap_or_else(|_| format!("{text:?}"));
    if !json.contains(escape) {
        return json;
    }
    json.chars()
        .map(|c| {
            if escape(c) {
                format!("\\u{:04x}", u32::from(c))
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod scalar_tests {
    use super::*;

    #[test]
    fn scalars_read_back_as_written() {
        for s in [
            "Initial version",
            "Ada Lovelace <ada@example.com>",
            "yes",
            "a: b",
            "# no",
            "1.0",
            "x'y",
            "\"q\"",
            " lead",
            "tab\there",
            "üñí",
            // Found by tests/fuzz.rs: raw in JSON, refused or folded by YAML.
            "\u{7f}",
            "a\u{85}b",
            "\u{9f}",
            "x\u{2028}y\u{2029}",
            "\u{feff}",
            "\u{ffff}",
        ] {
            let doc = format!("k: {}\n", scalar(s));
            let back: std::collections::BTreeMap<String, String> = from_str(&doc).unwrap();
            assert_eq!(back["k"], s, "{doc}");
        }
    }
}

/// Deserializes a string that was written as a string. YAML readers hand a
/// plain `1.0`, `null` or `true` to a `String` field as text; a prompt file
/// must not pass where its JSON Schema (which sees a number, null or
/// boolean) would refuse it.
pub fn strict_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct Text;
    impl serde::de::Visitor<'_> for Text {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string (quote it if it looks like a number, boolean or null)")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_string())
        }
    }
    d.deserialize_any(Text)
}

/// [`strict_string`] for an optional key: absent is `None`, `null` is refused.
pub fn strict_opt_string<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    strict_string(d).map(Some)
}
