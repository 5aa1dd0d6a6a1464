//! Releasing a version: the next version number, and the edit of the prompt
//! file that records it. Returns a plan; the caller writes it. Changes no
//! byte of the file but the `version:` value and the new changelog entry.

use crate::error::fail;
use crate::prompt::{ChangelogEntry, PromptFile};
use crate::yaml::scalar;
use anyhow::Result;
use semver::{BuildMetadata, Prerelease, Version};

/// How to move a version (npm's and Cargo's vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The next major version (`1.4.2` → `2.0.0`); `2.0.0-rc.1` becomes `2.0.0`.
    Major,
    /// The next minor version (`1.4.2` → `1.5.0`); `1.5.0-rc.1` becomes `1.5.0`.
    Minor,
    /// The next patch version (`1.4.2` → `1.4.3`); any pre-release becomes its release.
    Patch,
    /// A pre-release of the next major version (`1.4.2` → `2.0.0-<id>.0`,
    /// `<id>` being the `pre_id` given to `next_version`).
    Premajor,
    /// A pre-release of the next minor version (`1.4.2` → `1.5.0-<id>.0`).
    Preminor,
    /// A pre-release of the next patch version (`1.4.2` → `1.4.3-<id>.0`).
    Prepatch,
    /// The next pre-release: a pre-release's last numeric part goes up
    /// (`2.0.0-rc.1` → `2.0.0-rc.2`), or `.0` is added when it has none
    /// (`1.2.4-beta` → `1.2.4-beta.0`); a release starts a pre-release of the
    /// next patch (`1.4.2` → `1.4.3-<id>.0`).
    Prerelease,
    /// The bump the change requires under the bump policy.
    Auto,
}

/// The version after `base` at `level`. A pre-release moves to its release
/// (`2.0.0-rc.1` + major = `2.0.0`), as npm does.
pub fn next_version(base: &Version, level: Level, pre_id: &str) -> Result<Version> {
    let pre = |n: u64| -> Result<Prerelease> {
        Prerelease::new(&format!("{pre_id}.{n}")).map_err(|e| {
            fail(format!(
                "`{pre_id}` is not a valid pre-release identifier ({e})"
            ))
            .into()
        })
    };
    let mut v = Version::new(base.major, base.minor, base.patch);
    v.build = BuildMetadata::EMPTY;
    let is_pre = !base.pre.is_empty();
    match level {
        Level::Major => {
            if !(is_pre && base.minor == 0 && base.patch == 0) {
                v = Version::new(base.major + 1, 0, 0);
            }
        }
        Level::Minor => {
            if !(is_pre && base.patch == 0) {
                v = Version::new(base.major, base.minor + 1, 0);
            }
        }
        Level::Patch => {
            if !is_pre {
                v = Version::new(base.major, base.minor, base.patch + 1);
            }
        }
        Level::Premajor => {
            v = Version::new(base.major + 1, 0, 0);
            v.pre = pre(0)?;
        }
        Level::Preminor => {
            v = Version::new(base.major, base.minor + 1, 0);
            v.pre = pre(0)?;
        }
        Level::Prepatch => {
            v = Version::new(base.major, base.minor, base.patch + 1);
            v.pre = pre(0)?;
        }
        Level::Auto => {
            return Err(fail("`auto` is resolved to a level before computing a version").into())
        }
        Level::Prerelease => {
            if is_pre {
                let mut parts: Vec<String> =
                    base.pre.as_str().split('.').map(str::to_string).collect();
                match parts.last().and_then(|p| p.parse::<u64>().ok()) {
                    Some(n) => {
                        *parts.last_mut().unwrap_or(&mut String::new()) = (n + 1).to_string()
                    }
                    None => parts.push("0".into()),
                }
                v.pre = Prerelease::new(&parts.join("."))
                    .map_err(|e| fail(format!("cannot increment {base}: {e}")))?;
            } else {
                v = Version::new(base.major, base.minor, base.patch + 1);
                v.pre = pre(0)?;
            }
        }
    }
    Ok(v)
}

/// Rewrites `text` to carry `version` and a new first changelog entry.
/// With `replace_first`, the current first entry (a pending, unreleased
/// bump) is removed first.
pub fn rewrite(
    text: &str,
    version: &Version,
    entry: &ChangelogEntry,
    replace_first: bool,
) -> Result<String> {
    // A byte order mark stays where it is; the lines are edited after it.
    if let Some(body) = text.strip_prefix('\u{feff}') {
        return rewrite(body, version, entry, replace_first).map(|out| format!("\u{feff}{out}"));
    }
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };

    let vi = lines
        .iter()
        .position(|l| l.starts_with("version:"))
        .ok_or_else(|| cannot("its `version:` is not on a top-level line of its own"))?;
    let new_version_line = replace_value(lines[vi], "version:", &version.to_string())
        .ok_or_else(|| cannot("its `version:` value is not a one-line scalar"))?;

    let ci = lines
        .iter()
        .position(|l| {
            // `changelog:` alone, or followed by a comment after any spacing.
            l.strip_prefix("changelog:").is_some_and(|rest| {
                let rest = rest.trim();
                rest.is_empty() || (rest.starts_with('#') && !l.starts_with("changelog:#"))
            })
        })
        .ok_or_else(|| cannot("its `changelog:` is not a block list on lines of its own"))?;
    let is_content = |l: &str| !l.trim().is_empty() && !l.trim_start().starts_with('#');
    let first = (ci + 1..lines.len())
        .find(|&i| is_content(lines[i]))
        .filter(|&i| lines[i].trim_start().starts_with("- "))
        .ok_or_else(|| cannot("its changelog is not a block list (`- version: ...`)"))?;
    let dash_indent = lines[first].len() - lines[first].trim_start().len();
    let key_indent = dash_indent
        + 2
        + (lines[first].trim_start()[2..].len()
            - lines[first].trim_start()[2..].trim_start().len());

    // The first item ends at the next line indented no deeper than its dash.
    let item_end = (first + 1..lines.len())
        .find(|&i| {
            is_content(lines[i]) && lines[i].len() - lines[i].trim_start().len() <= dash_indent
        })
        .unwrap_or(lines.len());
    let item_end = if item_end < lines.len() {
        // Keep blank lines and comments that precede the next item with it.
        let mut end = item_end;
        while end > first + 1 && !is_content(lines[end - 1]) {
            end -= 1;
        }
        end
    } else {
        item_end
    };

    let pad = |n: usize| " ".repeat(n);
    let new_entry = format!(
        "{d}-{gap}version: {v}{eol}{k}date: \"{date}\"{eol}{k}author: {author}{eol}{k}reason: {reason}{eol}",
        d = pad(dash_indent),
        gap = pad(key_indent - dash_indent - 1),
        k = pad(key_indent),
        v = version,
        date = scalar(&entry.date),
        author = scalar(&entry.author),
        reason = scalar(&entry.reason),
    );

    let mut out = String::with_capacity(text.len() + new_entry.len());
    for (i, line) in lines.iter().enumerate() {
        if i == vi {
            out.push_str(&new_version_line);
            continue;
        }
        if i == first {
            out.push_str(&new_entry);
        }
        if replace_first && (first..item_end).contains(&i) {
            continue;
        }
        out.push_str(line);
    }
    same_but_version_and_entry(text, &out, version, entry, replace_first)?;
    Ok(out)
}

/// The edit works on lines, so a layout it misreads (a quoted scalar in the
/// first changelog entry continued on a line at column 0) could cut a value
/// in two: read both texts back and refuse unless the version and the new
/// first entry are all that changed.
fn same_but_version_and_entry(
    before: &str,
    after: &str,
    version: &Version,
    entry: &ChangelogEntry,
    replace_first: bool,
) -> Result<()> {
    let Ok(mut want) = crate::yaml::from_str::<PromptFile>(before) else {
        // Nothing to compare with; the caller validates the result.
        return Ok(());
    };
    want.version = version.to_string();
    if replace_first && !want.changelog.is_empty() {
        want.changelog.remove(0);
    }
    want.changelog.insert(0, entry.clone());
    match crate::yaml::from_str::<PromptFile>(after) {
        Ok(got) if got == want => Ok(()),
        _ => Err(cannot(
            "its first changelog entry is laid out in a way bump cannot edit line by line",
        )),
    }
}

fn cannot(why: &str) -> anyhow::Error {
    fail(format!("cannot edit the file in place: {why}"))
        .hint("write `version: X.Y.Z` and `changelog:` as block-style top-level keys, then run bump again")
        .into()
}

/// `key: old # comment` → `key: new # comment`, keeping the quoting style.
fn replace_value(line: &str, key: &str, value: &str) -> Option<String> {
    let rest = &line[key.len()..];
    let body = rest.trim_start();
    let lead = &rest[..rest.len() - body.len()];
    let (old, tail) = if let Some(q) = body.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let end = body[1..].find(q)? + 2;
        (&body[..end], &body[end..])
    } else {
        let end = body
            .find(" #")
            .unwrap_or_else(|| body.trim_end_matches(['\n', '\r']).trim_end().len());
        // The spacing before a comment belongs to the comment: it stays.
        let end = body[..end].trim_end().len();
        (&body[..end], &body[end..])
    };
    if old.is_empty() || old.starts_with(['|', '>', '[', '{', '&', '*', '!']) {
        return None;
    }
    let quote = old.chars().next().filter(|c| *c == '"' || *c == '\'');
    let new = match quote {
        Some(q) => format!("{q}{value}{q}"),
        None => value.to_string(),
    };
    let lead = if lead.is_empty() { " " } else { lead };
    Some(format!("{key}{lead}{new}{tail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn next_versions() {
        let cases = [
            ("1.2.3", Level::Major, "2.0.0"),
            ("1.2.3", Level::Minor, "1.3.0"),
            ("1.2.3", Level::Patch, "1.2.4"),
            ("1.2.3", Level::Premajor, "2.0.0-rc.0"),
            ("1.2.3", Level::Preminor, "1.3.0-rc.0"),
            ("1.2.3", Level::Prepatch, "1.2.4-rc.0"),
            ("1.2.3", Level::Prerelease, "1.2.4-rc.0"),
            ("2.0.0-rc.1", Level::Prerelease, "2.0.0-rc.2"),
            ("2.0.0-rc.1", Level::Major, "2.0.0"),
            ("1.3.0-rc.1", Level::Minor, "1.3.0"),
            ("1.3.0-rc.1", Level::Major, "2.0.0"),
            ("1.2.4-beta", Level::Prerelease, "1.2.4-beta.0"),
            ("1.2.4-rc.1", Level::Patch, "1.2.4"),
        ];
        for (base, level, want) in cases {
            assert_eq!(
                next_version(&v(base), level, "rc").unwrap(),
                v(want),
                "{base} {level:?}"
            );
        }
    }

    #[test]
    fn keeps_quotes_and_comments_on_the_version_line() {
        assert_eq!(
            replace_value("version: 1.0.0\n", "version:", "1.1.0").unwrap(),
            "version: 1.1.0\n"
        );
        assert_eq!(
            replace_value("version: \"1.0.0\" # hi\n", "version:", "1.1.0").unwrap(),
            "version: \"1.1.0\" # hi\n"
        );
        assert_eq!(
            replace_value("version:   '1.0.0'\n", "version:", "2.0.0").unwrap(),
            "version:   '2.0.0'\n"
        );
        assert_eq!(
            replace_value("version: 1.3.0      # SemVer\r\n", "version:", "1.4.0").unwrap(),
            "version: 1.4.0      # SemVer\r\n"
        );
        assert!(replace_value("version: |\n", "version:", "2.0.0").is_none());
    }
}
