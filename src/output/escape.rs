//! Making untrusted text safe to show on a terminal (docs/DESIGN.md §13).
//!
//! Names, reasons, authors, descriptions, diff lines and error messages come
//! from commits anyone could have made. Printed raw, an ESC sequence in them
//! can clear the screen, write the clipboard (OSC 52) or hide a link (OSC 8),
//! and a bidi override can reorder what a reviewer reads. Human output shows
//! every such character as a visible `\u{..}` escape; JSON and the data
//! commands (`render`, `show --format yaml`) keep the exact text.

use std::borrow::Cow;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

/// Whether `c` must not reach a terminal raw: C0 controls but line feed and
/// tab, DEL, C1 controls, and the bidi embedding, override, isolate and mark
/// characters.
pub fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// `text` with every [`is_unsafe`] character written as `\u{hex}`; borrowed
/// when there is none. The one escaping function of human output.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Human output as it reaches the terminal: [`visible`], except the colour
/// codes [`style_code`] made, which become real SGR sequences (or nothing,
/// when `color` is off). Text from a commit cannot forge those: their mark
/// holds a number drawn at random when the process starts.
pub fn for_terminal(text: &str, color: bool) -> String {
    let escaped = visible(text);
    restore_style(&escaped, color)
}

/// Data output: the exact text, with only [`style_code`]'s marks turned
/// into SGR sequences (`render`'s role headers on a terminal).
pub fn restore_style(text: &str, color: bool) -> String {
    let mark = style_mark();
    if !text.contains(mark) {
        return text.to_string();
    }
    if color {
        return text.replace(mark, "\x1b[");
    }
    // No colour: the whole marked code goes (`MARK 31 m`).
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(mark) {
        out.push_str(&rest[..at]);
        let after = &rest[at + mark.len()..];
        let code = after
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(after.len());
        rest = after[code..].strip_prefix('m').unwrap_or(&after[code..]);
    }
    out.push_str(rest);
    out
}

/// The marked form of the SGR sequence `ESC [ code m` that `Paint` puts in
/// output; [`for_terminal`] turns it into the sequence.
pub fn style_code(code: &str) -> String {
    format!("{}{code}m", style_mark())
}

/// A private-use character and 16 random hex digits, fixed per process.
fn style_mark() -> &'static str {
    static MARK: OnceLock<String> = OnceLock::new();
    MARK.get_or_init(|| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(std::process::id().into());
        format!("\u{E000}{:016x}\u{E001}", h.finish())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_class_and_keeps_the_rest() {
        let text = "a\x1b[2Jb\x07c\u{9b}d\u{202e}e\u{2066}f\rg\u{7f}\n\tü";
        assert_eq!(
            visible(text),
            "a\\u{1b}[2Jb\\u{7}c\\u{9b}d\\u{202e}e\\u{2066}f\\u{d}g\\u{7f}\n\tü"
        );
        assert!(matches!(visible("plain\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn only_marked_style_becomes_a_sequence() {
        let painted = format!("{}x{}", style_code("31"), style_code("0"));
        assert_eq!(for_terminal(&painted, true), "\x1b[31mx\x1b[0m");
        assert_eq!(for_terminal(&painted, false), "x");
        assert_eq!(for_terminal("\x1b[31m", true), "\\u{1b}[31m");
    }
}
