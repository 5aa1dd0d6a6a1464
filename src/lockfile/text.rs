//! Text: the deterministic bytes of a lockfile, and reading them back.

use super::*;
use crate::yaml;
use anyhow::Result;
use std::path::Path;

/// The lockfile's text: the header line, then the fields in a fixed order,
/// entries sorted, every scalar quoted only when it must be. The same
/// lockfile gives the same bytes on every run and machine.
pub fn render(lock: &Lockfile) -> String {
    let lock = lock.clone().canonical();
    let mut s = String::new();
    let _ = writeln!(s, "{HEADER}");
    let _ = writeln!(s, "lockfile_version: {}", lock.lockfile_version);
    if lock.prompts.is_empty() {
        s.push_str("prompts: []\n");
    } else {
        s.push_str("prompts:\n");
    }
    for e in &lock.prompts {
        let _ = writeln!(s, "  - name: {}", token(&e.name));
        let _ = writeln!(s, "    version: {}", token(&e.version));
        let _ = writeln!(s, "    path: {}", token(&e.path));
        let _ = writeln!(s, "    commit: {}", token(&e.commit));
        let _ = writeln!(s, "    blob: {}", token(&e.blob));
        let _ = writeln!(s, "    sha256: {}", token(&e.sha256));
        let _ = writeln!(s, "    reason: {}", yaml::scalar(&e.reason));
        let _ = writeln!(s, "    author: {}", yaml::scalar(&e.author));
        // Quoted: YAML 1.1 readers (PyYAML) would turn a plain timestamp
        // into a datetime; every reader sees this as a string.
        let _ = writeln!(s, "    date: {}", quoted(&e.date));
    }
    if lock.environments.is_empty() {
        s.push_str("environments: {}\n");
    } else {
        s.push_str("environments:\n");
    }
    for (env, pins) in &lock.environments {
        if pins.is_empty() {
            let _ = writeln!(s, "  {}: {{}}", token(env));
            continue;
        }
        let _ = writeln!(s, "  {}:", token(env));
        for (name, pin) in pins {
            match pin {
                Pin::Version(v) => {
                    let _ = writeln!(s, "    {}: {}", token(name), token(v));
                }
                Pin::Split(split) => {
                    let _ = writeln!(s, "    {}:", token(name));
                    // `split:` alone would read back as null, not an empty list.
                    s.push_str(if split.split.is_empty() {
                        "      split: []\n"
                    } else {
                        "      split:\n"
                    });
                    for arm in &split.split {
                        let _ = writeln!(s, "        - version: {}", token(&arm.version));
                        let _ = writeln!(s, "          weight: {}", arm.weight);
                    }
                }
            }
        }
    }
    s
}

fn quoted(text: &str) -> String {
    yaml::quoted(text)
}

/// A name, version, path or id: plain when every YAML reader (YAML 1.2 and
/// the 1.1 of PyYAML) reads it back as the same string, quoted otherwise.
/// Hex ids made only of digits, names like `123` or `yes`, are quoted.
pub(crate) fn token(text: &str) -> String {
    let simple = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/+-".contains(c));
    if simple
        && !looks_typed(text)
        && matches!(yaml::to_json(text), Ok(serde_json::Value::String(ref s)) if s == text)
    {
        text.to_string()
    } else {
        quoted(text)
    }
}

/// True for text some YAML reader resolves to a non-string: booleans and
/// null (YAML 1.1 spellings too), integers and floats (with `_`, an
/// exponent, one dot), dates.
fn looks_typed(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
    ) {
        return true;
    }
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '_');
    let body = text.trim_start_matches(['+', '-']);
    let (mantissa, exponent) = match body.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.trim_start_matches(['+', '-']))),
        None => (body, None),
    };
    let mantissa_numeric = match mantissa.split_once('.') {
        Some((int, frac)) => (digits(int) || int.is_empty()) && (frac.is_empty() || digits(frac)),
        None => digits(mantissa),
    };
    if mantissa_numeric && exponent.is_none_or(digits) {
        return true;
    }
    // YAML 1.1 timestamps start with a date: 2026-01-31.
    let b = text.as_bytes();
    b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-'
}

/// A lockfile as found on disk.
#[derive(Debug)]
pub enum Existing {
    Missing,
    /// Present but not a lockfile this promptreg can read.
    Invalid {
        bytes: Vec<u8>,
        error: String,
    },
    Valid {
        bytes: Vec<u8>,
        lockfile: Lockfile,
    },
}

/// Reads the lockfile at `path`.
pub fn read(path: &Path) -> Result<Existing> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Existing::Missing),
        Err(e) => {
            return Err(anyhow::Error::from(e).context(format!("cannot read {}", path.display())))
        }
    };
    Ok(match parse(&bytes) {
        Ok(lockfile) => Existing::Valid { bytes, lockfile },
        Err(error) => Existing::Invalid { bytes, error },
    })
}

/// Parses a lockfile's bytes; the error says what is wrong, with a line
/// when there is one.
pub fn parse(bytes: &[u8]) -> Result<Lockfile, String> {
    let text = yaml::text_of(bytes).map_err(|e| e.to_string())?;
    let lock: Lockfile = yaml::from_str(text).map_err(|e| e.to_string())?;
    if lock.lockfile_version != FORMAT_VERSION {
        return Err(format!(
            "lockfile_version {} is not supported: this promptreg reads version {FORMAT_VERSION}",
            lock.lockfile_version
        ));
    }
    Ok(lock)
}

/// True when two lockfile texts are the same apart from line endings (a
/// checkout with `core.autocrlf` turns LF into CRLF).
pub fn same_text(a: &[u8], b: &[u8]) -> bool {
    a == b
        || a.iter()
            .filter(|c| **c != b'\r')
            .eq(b.iter().filter(|c| **c != b'\r'))
}
