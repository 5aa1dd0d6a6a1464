//! A prompt file's version and first changelog entry, read from its lines
//! without a YAML parse: a history walk needs them from every version of
//! every prompt, and a full parse runs at about 19 MB/s (docs/DESIGN.md §3).
//!
//! The lines are believed only when that is provably what a parse would
//! give: the line read is a top-level key (no quoted scalar or flow
//! collection left open above it could make it text), the key appears once,
//! and the value is a one-line scalar that needs no YAML rule beyond
//! trimming spaces and tabs and dropping a comment. Anything else is parsed
//! fully. `tests/fuzz.rs` (`fuzz_blob_facts`) checks that on valid files
//! both ways agree.

use crate::prompt::ChangelogEntry;
use semver::Version;
use std::collections::HashMap;

/// The version a prompt file declares.
pub fn version_of(bytes: &[u8]) -> Option<Version> {
    let text = std::str::from_utf8(bytes).ok()?;
    let line = top_level_line(text, "version:").and_then(one_line_value);
    if let Some(v) = line
        .and_then(|l| plain_value(&l["version:".len()..]))
        .and_then(|v| Version::parse(&v).ok())
    {
        return Some(v);
    }
    #[derive(serde::Deserialize)]
    struct OnlyVersion {
        version: String,
    }
    let parsed: OnlyVersion = crate::yaml::from_str(text).ok()?;
    Version::parse(&parsed.version).ok()
}

/// The changelog entry for `version`: the first entry, read from its lines,
/// or a full parse when the layout is unusual or the first entry is another
/// version.
pub fn changelog_entry(bytes: &[u8], version: &Version) -> Option<ChangelogEntry> {
    let text = std::str::from_utf8(bytes).ok()?;
    if let Some(entry) = top_level_line(text, "changelog:").and_then(first_entry_fast) {
        if Version::parse(&entry.version).ok().as_ref() == Some(version) {
            return Some(entry);
        }
    }
    #[derive(serde::Deserialize)]
    struct OnlyChangelog {
        changelog: Vec<ChangelogEntry>,
    }
    let parsed: OnlyChangelog = crate::yaml::from_str(text).ok()?;
    parsed
        .changelog
        .into_iter()
        .find(|e| Version::parse(&e.version).ok().as_ref() == Some(version))
}

/// The first line of `rest` (a top-level key's line and what follows), when
/// its value cannot carry on below: the next line that is not blank starts
/// at column 0. An indented line would continue a plain scalar
/// (`version: 2.0.0` then `  .1` is the string `2.0.0 .1`), or break a
/// quoted one.
fn one_line_value(rest: &str) -> Option<&str> {
    let mut lines = rest.lines();
    let line = lines.next()?;
    let next = lines.find(|l| !l.trim_matches([' ', '\t', '\r']).is_empty());
    match next {
        Some(l) if l.starts_with([' ', '\t']) => None,
        _ => Some(line),
    }
}

/// The text from the line that starts with `key` (at column 0) on, when that
/// line is certainly the top-level key `key` and the file has it once.
fn top_level_line<'t>(text: &'t str, key: &str) -> Option<&'t str> {
    let bytes = text.as_bytes();
    if has_other_line_breaks(bytes) {
        return None;
    }
    let finder = memchr::memmem::Finder::new(key);
    let mut at = None;
    for found in finder.find_iter(bytes) {
        if found != 0 && bytes[found - 1] != b'\n' {
            continue;
        }
        if at.is_some() {
            // Twice: a parse refuses the duplicate key.
            return None;
        }
        at = Some(found);
    }
    let at = at?;
    plain_lines_before(&text[..at]).then_some(&text[at..])
}

/// True for line breaks YAML knows and `str::lines` does not: a CR alone,
/// NEL (U+0085), LS (U+2028) and PS (U+2029).
fn has_other_line_breaks(bytes: &[u8]) -> bool {
    memchr::memchr3_iter(b'\r', 0xC2, 0xE2, bytes).any(|i| match bytes[i] {
        b'\r' => bytes.get(i + 1) != Some(&b'\n'),
        0xC2 => bytes.get(i + 1) == Some(&0x85),
        _ => bytes.get(i + 1) == Some(&0x80) && matches!(bytes.get(i + 2), Some(0xA8 | 0xA9)),
    })
}

/// True when no line of `text` (whole lines) leaves a construct open that
/// could carry on into the next line as text: a quoted scalar, a flow
/// collection, a document marker, a tag or an anchor. Block scalars are
/// followed, so their content may hold anything.
fn plain_lines_before(text: &str) -> bool {
    // Column of the key that opened a block scalar, while in its content.
    let mut block: Option<usize> = None;
    for line in text.lines() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let rest = &line[indent..];
        if let Some(parent) = block {
            if rest.trim().is_empty() || indent > parent {
                continue;
            }
            block = None;
        }
        match line_shape(line, indent) {
            Shape::Plain => {}
            Shape::OpensBlock(parent) => block = Some(parent),
            Shape::Unsure => return false,
        }
    }
    true
}

enum Shape {
    /// Complete on its line.
    Plain,
    /// Ends with a block scalar indicator; its content is indented more
    /// than this column.
    OpensBlock(usize),
    /// Anything this reader does not follow.
    Unsure,
}

fn line_shape(line: &str, indent: usize) -> Shape {
    let mut col = indent;
    let mut rest = &line[indent..];
    if rest.starts_with("---") || rest.starts_with("...") || rest.starts_with('%') {
        return Shape::Unsure;
    }
    // Sequence entries: `- `, possibly nested (`- - x`).
    while rest == "-" || rest.starts_with("- ") {
        let after = rest[1..].trim_start_matches(' ');
        col += rest.len() - after.len();
        rest = after;
    }
    if rest.is_empty() || rest.starts_with('#') {
        return Shape::Plain;
    }
    // A plain key, then its value (a line without `: ` is a value alone).
    let value = match key_end(rest) {
        Some(end) => &rest[end..],
        None => rest,
    };
    value_shape(value.trim_start_matches([' ', '\t']), col)
}

/// Where the value starts after a plain `key:`, if the text starts with one.
fn key_end(text: &str) -> Option<usize> {
    if text.starts_with(['"', '\'', '[', '{', '?', '&', '*', '!', '|', '>']) {
        return None;
    }
    let bytes = text.as_bytes();
    memchr::memchr_iter(b':', bytes)
        .find(|&i| matches!(bytes.get(i + 1), None | Some(b' ') | Some(b'\t')))
        .map(|i| i + 1)
}

fn value_shape(value: &str, key_col: usize) -> Shape {
    match value.bytes().next() {
        None | Some(b'#') => Shape::Plain,
        Some(b'|') | Some(b'>') => {
            // `|`, `|-`, `>+2`, … then nothing but a comment.
            let indicators = value[1..]
                .trim_start_matches(['-', '+', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
            let tail = indicators.trim_start_matches([' ', '\t']);
            if tail.is_empty() || (tail.starts_with('#') && tail.len() < indicators.len()) {
                Shape::OpensBlock(key_col)
            } else {
                Shape::Unsure
            }
        }
        Some(b'"') => match value[1..].find('"') {
            // An escaped quote or a backslash: leave it to the parser.
            Some(end) if !value[1..1 + end].contains('\\') => Shape::Plain,
            _ => Shape::Unsure,
        },
        Some(b'\'') => {
            // `''` is a quote inside; a lone `'` closes.
            let mut inner = value[1..].bytes().peekable();
            while let Some(b) = inner.next() {
                if b == b'\'' {
                    if inner.peek() == Some(&b'\'') {
                        inner.next();
                    } else {
                        return Shape::Plain;
                    }
                }
            }
            Shape::Unsure
        }
        Some(b'[') | Some(b'{') => {
            if flow_closes_on_its_line(value) {
                Shape::Plain
            } else {
                Shape::Unsure
            }
        }
        Some(b'&') | Some(b'*') | Some(b'!') | Some(b'?') | Some(b'@') | Some(b'`')
        | Some(b'%') => Shape::Unsure,
        _ => Shape::Plain,
    }
}

/// True for a flow collection whose brackets all close on this line, with
/// no quoted scalar inside (where a bracket would be text).
fn flow_closes_on_its_line(value: &str) -> bool {
    let mut depth = 0usize;
    for b in value.bytes() {
        match b {
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth = match depth.checked_sub(1) {
                    Some(d) => d,
                    None => return false,
                };
                if depth == 0 {
                    return true;
                }
            }
            b'"' | b'\'' | b'#' => return false,
            _ => {}
        }
    }
    false
}

/// The first entry under a `changelog:` line (`text` starts with it).
fn first_entry_fast(text: &str) -> Option<ChangelogEntry> {
    let (key_line, entries) = text.split_once('\n')?;
    if !key_line["changelog:".len()..]
        .trim_end_matches([' ', '\t', '\r'])
        .is_empty()
    {
        return None;
    }
    let mut lines = entries
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let first = lines.next()?;
    let dash = first.len() - first.trim_start_matches(' ').len();
    let after = first[dash..].strip_prefix("- ")?;
    let after = after.trim_start_matches(' ');
    let key_indent = first.len() - after.len();
    let mut fields = HashMap::new();
    let mut add = |line: &str| -> Option<()> {
        let (k, v) = line.split_once(':')?;
        if fields.insert(k.to_string(), plain_value(v)?).is_some() {
            // A key given twice: a parse refuses it.
            return None;
        }
        Some(())
    };
    add(after)?;
    for line in lines {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if indent <= dash {
            break;
        }
        if indent != key_indent {
            return None;
        }
        add(&line[indent..])?;
    }
    if fields.len() != 4 {
        return None;
    }
    Some(ChangelogEntry {
        version: fields.remove("version")?,
        date: fields.remove("date")?,
        author: fields.remove("author")?,
        reason: fields.remove("reason")?,
    })
}

/// A one-line YAML scalar (plain, single- or double-quoted) with any comment
/// removed; `None` for anything else (block scalars, flow collections,
/// anchors, escapes), which callers then parse fully.
fn plain_value(raw: &str) -> Option<String> {
    // YAML separates and trims with spaces and tabs only.
    let v = raw.trim_matches([' ', '\t', '\r']);
    if let Some(rest) = v.strip_prefix('"') {
        let end = rest.find('"')?;
        let inner = &rest[..end];
        let after = rest[end + 1..].trim_start_matches([' ', '\t']);
        let clean = !inner.contains(['\\', '\t']) && (after.is_empty() || after.starts_with('#'));
        return clean.then(|| inner.to_string());
    }
    if let Some(rest) = v.strip_prefix('\'') {
        let end = rest.find('\'')?;
        let inner = &rest[..end];
        let after = &rest[end + 1..];
        let clean = !after.starts_with('\'')
            && !inner.contains('\t')
            && (after.trim_start_matches([' ', '\t']).is_empty()
                || after.trim_start_matches([' ', '\t']).starts_with('#'));
        return clean.then(|| inner.to_string());
    }
    // A comment starts at a `#` after a space or a tab.
    let end = v
        .as_bytes()
        .windows(2)
        .position(|w| matches!(w[0], b' ' | b'\t') && w[1] == b'#')
        .unwrap_or(v.len());
    let v = v[..end].trim_end_matches([' ', '\t']);
    if v.is_empty()
        || v.starts_with([
            '|', '>', '[', '{', '&', '*', '!', '#', '%', '@', '`', '?', '-', ':', ',',
        ])
        || v.contains(": ")
        || v.contains('\t')
    {
        return None;
    }
    Some(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_version_line() {
        assert_eq!(
            version_of(b"# c\nversion: 1.2.3 # note\n"),
            Some(Version::new(1, 2, 3))
        );
        assert_eq!(
            version_of(b"version: \"2.0.0-rc.1\"\n"),
            Version::parse("2.0.0-rc.1").ok()
        );
        assert_eq!(
            version_of(b"{version: 3.0.0, template: x}\n"),
            Some(Version::new(3, 0, 0))
        );
        assert_eq!(version_of(b"version: nope\n"), None);
    }

    #[test]
    fn a_continued_version_is_what_yaml_reads() {
        // For YAML these are the strings `2.0.0 .1` and `2.0.0\n.1`.
        assert_eq!(version_of(b"version: 2.0.0\n  .1\ntemplate: x\n"), None);
        assert_eq!(version_of(b"version: 2.0.0\n\n\t.1\n"), None);
        assert_eq!(
            version_of(b"version: 2.0.0\n\ntemplate: x\n"),
            Some(Version::new(2, 0, 0))
        );
    }

    #[test]
    fn reads_the_first_changelog_entry() {
        let text = "version: 1.1.0\nchangelog:\n  - version: 1.1.0\n    date: 2026-01-02T00:00:00Z\n    author: A <a@b.c>\n    reason: \"Because: yes\"\n  - version: 1.0.0\n    date: 2026-01-01T00:00:00Z\n    author: A <a@b.c>\n    reason: First\n";
        let e = changelog_entry(text.as_bytes(), &Version::new(1, 1, 0)).unwrap();
        assert_eq!(e.reason, "Because: yes");
        let e = changelog_entry(text.as_bytes(), &Version::new(1, 0, 0)).unwrap();
        assert_eq!(e.reason, "First");
    }

    /// A key-like line inside a quoted scalar is text, not a key.
    #[test]
    fn a_quoted_scalar_cannot_spoof_the_version_or_the_changelog() {
        let text = "description: \"first line\nversion: 9.9.9\nchangelog:\n  - version: 9.9.9\n    date: 2026-01-01T00:00:00Z\n    author: Eve <eve@example.com>\n    reason: Fake.\"\nversion: 1.0.0\ntemplate: Hi.\nchangelog:\n  - version: 1.0.0\n    date: 2026-01-01T00:00:00Z\n    author: A <a@example.com>\n    reason: Real.\n";
        assert_eq!(version_of(text.as_bytes()), Some(Version::new(1, 0, 0)));
        let entry = changelog_entry(text.as_bytes(), &Version::new(1, 0, 0)).unwrap();
        assert_eq!(entry.reason, "Real.");
        assert_eq!(
            changelog_entry(text.as_bytes(), &Version::new(9, 9, 9)),
            None
        );
        // The same inside a single-quoted scalar with a quote in it, and
        // inside a flow collection left open.
        let single = "description: 'it''s\nversion: 9.9.9'\nversion: 1.0.0\n";
        assert_eq!(version_of(single.as_bytes()), Some(Version::new(1, 0, 0)));
        let flow = "metadata: [a,\nversion: 9.9.9]\nversion: 1.0.0\n";
        assert_eq!(version_of(flow.as_bytes()), Some(Version::new(1, 0, 0)));
        let flow = "metadata: [a,\nversion: 9.9.9]\ntemplate: x\n";
        assert_eq!(top_level_line(flow, "version:"), None);
    }

    #[test]
    fn block_scalars_may_hold_anything() {
        let text = "template: |\n  Say \"hi\n  it's [ open\nversion: 1.0.0\nchangelog:\n  - version: 1.0.0\n    date: 2026-01-01T00:00:00Z\n    author: A <a@example.com>\n    reason: Real.\n";
        assert_eq!(
            top_level_line(text, "version:").and_then(|l| l.lines().next()),
            Some("version: 1.0.0")
        );
        assert_eq!(version_of(text.as_bytes()), Some(Version::new(1, 0, 0)));
        assert_eq!(
            changelog_entry(text.as_bytes(), &Version::new(1, 0, 0)).map(|e| e.reason),
            Some("Real.".into())
        );
    }

    /// Cases the fuzzer found where reading lines disagreed with YAML.
    #[test]
    fn yaml_whitespace_comments_and_line_breaks() {
        let entry = |reason: &str| {
            let text = format!(
                "version: 1.0.0\ntemplate: x\nchangelog:\n  - version: 1.0.0\n    date: 2026-01-01T00:00:00Z\n    author: A <a@example.com>\n    reason: {reason}\n"
            );
            changelog_entry(text.as_bytes(), &Version::new(1, 0, 0)).map(|e| e.reason)
        };
        // No-break space is not YAML whitespace: it stays.
        assert_eq!(entry("\u{a0}First."), Some("\u{a0}First.".into()));
        // A tab before `#` starts a comment.
        assert_eq!(entry("S\t#comment"), Some("S".into()));
        // A line break inside double quotes folds to a space.
        assert_eq!(entry("\"\rAsk.\""), Some(" Ask.".into()));
        assert_eq!(entry("\"\u{85}Ask.\""), Some(" Ask.".into()));
        // U+2028 breaks the line: what follows `#` is a comment.
        assert_eq!(entry("D\u{2028}#eclare"), Some("D".into()));
    }
}
