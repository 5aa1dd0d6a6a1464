//! Released versions, computed in one pass over the mainline (the first-parent
//! history of the registry's ref). DESIGN.md section 3.

use crate::git::{BlobId, CommitId, CommitInfo, Repo};
use crate::name::{PromptName, SUFFIX};
use crate::prompt::ChangelogEntry;
use anyhow::Result;
use semver::{Version, VersionReq};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// A version of a prompt carried by the mainline.
#[derive(Debug, Clone, Serialize)]
pub struct ReleasedVersion {
    #[serde(serialize_with = "crate::history::as_string")]
    pub version: Version,
    /// The oldest mainline commit whose file carries this version.
    #[serde(serialize_with = "serialize_commit")]
    pub commit: CommitInfo,
    pub blob: BlobId,
    /// Path relative to the registry root.
    pub path: String,
    /// What the file's changelog says of this version.
    pub entry: Option<ChangelogEntry>,
    /// Position of the release commit on the mainline, 0 for the oldest.
    #[serde(skip)]
    pub mainline_position: usize,
}

/// Everything the mainline says about one prompt.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PromptHistory {
    /// Released versions, lowest first.
    pub versions: Vec<ReleasedVersion>,
    /// False when the newest mainline commit no longer has the file.
    pub present: bool,
}

/// What kind of rule a mainline commit broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ViolationKind {
    /// The file's bytes changed but its version did not.
    ChangedWithoutBump,
    /// The file carries a version it carried before, with other bytes.
    VersionReused,
    /// The version is lower than the one before it.
    VersionBackwards,
    /// The file has no readable version at that commit.
    Unreadable,
}

/// A mainline commit that broke the immutability of released versions.
#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    pub kind: ViolationKind,
    pub name: PromptName,
    pub version: Option<String>,
    pub commit: CommitId,
    pub message: String,
}

/// The registry's history: every released version of every prompt.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// The mainline commit the history was read from (`None`: no commits).
    pub head: Option<CommitId>,
    pub prompts: BTreeMap<PromptName, PromptHistory>,
    /// Oldest first.
    pub violations: Vec<Violation>,
}

fn as_string<S: serde::Serializer>(v: &Version, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

fn serialize_commit<S: serde::Serializer>(c: &CommitInfo, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut st = s.serialize_struct("Commit", 4)?;
    st.serialize_field("id", &c.id)?;
    st.serialize_field("author", &c.author.to_string())?;
    st.serialize_field("time", &crate::history::rfc3339(c.time))?;
    st.serialize_field("summary", &c.summary)?;
    st.end()
}

/// Seconds since the epoch as `2026-11-20T10:04:00Z`.
pub fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// The version a prompt file declares, read from its top-level `version:`
/// line; a full parse only when that line is not a plain scalar.
pub fn version_of(bytes: &[u8]) -> Option<Version> {
    let text = std::str::from_utf8(bytes).ok()?;
    let line = text.lines().find(|l| l.starts_with("version:"));
    if let Some(value) = line.and_then(|l| plain_value(&l["version:".len()..])) {
        if let Ok(v) = Version::parse(&value) {
            return Some(v);
        }
    }
    #[derive(serde::Deserialize)]
    struct OnlyVersion {
        version: String,
    }
    let parsed: OnlyVersion = crate::yaml::from_str(text).ok()?;
    Version::parse(&parsed.version).ok()
}

/// A one-line YAML scalar (plain, single- or double-quoted) with any comment
/// removed; `None` for anything else (block scalars, flow collections,
/// anchors), which callers then parse fully.
fn plain_value(raw: &str) -> Option<String> {
    let v = raw.trim();
    if let Some(rest) = v.strip_prefix('"') {
        let end = rest.find('"')?;
        let inner = &rest[..end];
        return (!inner.contains('\\')).then(|| inner.to_string());
    }
    if let Some(rest) = v.strip_prefix('\'') {
        let end = rest.find('\'')?;
        let inner = &rest[..end];
        return (!rest[end + 1..].starts_with('\'')).then(|| inner.to_string());
    }
    let v = match v.find(" #") {
        Some(i) => v[..i].trim_end(),
        None => v,
    };
    if v.is_empty() || v.starts_with(['|', '>', '[', '{', '&', '*', '!', '#']) {
        return None;
    }
    Some(v.to_string())
}

/// The changelog entry for `version`: the first entry, read from its lines,
/// or a full parse when the layout is unusual or the first entry is another
/// version.
pub fn changelog_entry(bytes: &[u8], version: &Version) -> Option<ChangelogEntry> {
    let text = std::str::from_utf8(bytes).ok()?;
    if let Some(entry) = first_entry_fast(text) {
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

fn first_entry_fast(text: &str) -> Option<ChangelogEntry> {
    let mut lines = text
        .lines()
        .skip_while(|l| l.trim_end() != "changelog:")
        .skip(1)
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let first = lines.next()?;
    let dash = first.len() - first.trim_start().len();
    let after = first.trim_start().strip_prefix("- ")?;
    let key_indent = first.len() - after.len();
    let mut fields = HashMap::new();
    let mut add = |line: &str| -> Option<()> {
        let (k, v) = line.split_once(':')?;
        fields.insert(k.trim().to_string(), plain_value(v)?);
        Some(())
    };
    add(after)?;
    for line in lines {
        let indent = line.len() - line.trim_start().len();
        if indent <= dash {
            break;
        }
        if indent != key_indent {
            return None;
        }
        add(line.trim_start())?;
    }
    Some(ChangelogEntry {
        version: fields.remove("version")?,
        date: fields.remove("date")?,
        author: fields.remove("author")?,
        reason: fields.remove("reason")?,
    })
}

impl PromptHistory {
    pub fn exact(&self, version: &Version) -> Option<&ReleasedVersion> {
        self.versions.iter().find(|r| &r.version == version)
    }

    /// The highest released version; pre-releases only when `pre`.
    pub fn latest(&self, pre: bool) -> Option<&ReleasedVersion> {
        self.versions
            .iter()
            .rev()
            .find(|r| pre || r.version.pre.is_empty())
    }

    /// The highest released version matching `req` (pre-releases only when
    /// the requirement names one, as Cargo does).
    pub fn matching(&self, req: &VersionReq) -> Option<&ReleasedVersion> {
        self.versions.iter().rev().find(|r| req.matches(&r.version))
    }

    /// "1.0.0, 1.1.0, 2.0.0" or "none".
    pub fn listing(&self) -> String {
        if self.versions.is_empty() {
            return "none".into();
        }
        self.versions
            .iter()
            .map(|r| r.version.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl History {
    pub fn get(&self, name: &PromptName) -> Option<&PromptHistory> {
        self.prompts.get(name)
    }

    pub fn violations_of<'a>(
        &'a self,
        name: &'a PromptName,
    ) -> impl Iterator<Item = &'a Violation> + 'a {
        self.violations.iter().filter(move |v| &v.name == name)
    }
}

/// Reads the history of the prompts under `prompts_dir` along the
/// first-parent history of `head`, in one pass.
pub fn compute(repo: &Repo, head: Option<&str>, prompts_dir: &str) -> Result<History> {
    let Some(head) = head else {
        return Ok(History::default());
    };
    let mainline = repo.first_parent_changes(head, prompts_dir, SUFFIX)?;
    let mut history = History {
        head: Some(head.to_string()),
        ..History::default()
    };
    // Per prompt: the blob and version of its file at the previous commit.
    let mut current: HashMap<PromptName, (BlobId, Version)> = HashMap::new();
    let mut versions: HashMap<BlobId, Option<Version>> = HashMap::new();
    let dir = prompts_dir.trim_end_matches('/');
    let dir_prefix = if dir.is_empty() || dir == "." {
        String::new()
    } else {
        format!("{dir}/")
    };

    for (position, step) in mainline.iter().rev().enumerate() {
        for change in &step.changes {
            let Some(Ok(name)) = PromptName::from_relative_path(&change.path) else {
                continue;
            };
            let entry = history.prompts.entry(name.clone()).or_default();
            let Some(blob) = &change.blob else {
                entry.present = false;
                continue;
            };
            entry.present = true;
            let version = match versions.get(blob) {
                Some(v) => v.clone(),
                None => {
                    let v = version_of(&repo.read_blob(blob)?);
                    versions.insert(blob.clone(), v.clone());
                    v
                }
            };
            let commit = &step.commit;
            let Some(version) = version else {
                history.violations.push(Violation {
                    kind: ViolationKind::Unreadable,
                    name,
                    version: None,
                    commit: commit.id.clone(),
                    message: "the file has no readable SemVer `version`".into(),
                });
                continue;
            };
            let previous = current.get(&name).cloned();
            let mut violation = |kind, message: String| {
                history.violations.push(Violation {
                    kind,
                    name: name.clone(),
                    version: Some(version.to_string()),
                    commit: commit.id.clone(),
                    message,
                });
            };
            match entry.exact(&version) {
                Some(released) if &released.blob != blob => {
                    if previous.as_ref().is_some_and(|(_, v)| v == &version) {
                        violation(
                            ViolationKind::ChangedWithoutBump,
                            format!("content changed but the version stayed {version}"),
                        );
                    } else {
                        violation(
                            ViolationKind::VersionReused,
                            format!(
                                "version {version} was released in {} with other bytes",
                                short(&released.commit.id)
                            ),
                        );
                    }
                }
                Some(_) => {}
                None => {
                    entry.versions.push(ReleasedVersion {
                        version: version.clone(),
                        commit: commit.clone(),
                        blob: blob.clone(),
                        path: format!("{dir_prefix}{}", change.path),
                        entry: None,
                        mainline_position: position,
                    });
                }
            }
            if let Some((_, before)) = &previous {
                if &version < before {
                    violation(
                        ViolationKind::VersionBackwards,
                        format!("version went backwards from {before} to {version}"),
                    );
                }
            }
            current.insert(name, (blob.clone(), version));
        }
    }
    for prompt in history.prompts.values_mut() {
        prompt.versions.sort_by(|a, b| a.version.cmp(&b.version));
        for released in &mut prompt.versions {
            released.entry = changelog_entry(&repo.read_blob(&released.blob)?, &released.version);
        }
    }
    Ok(history)
}

/// The first 7 hex digits of an id, as Git shows them.
pub fn short(id: &str) -> &str {
    &id[..id.len().min(7)]
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
    fn reads_the_first_changelog_entry() {
        let text = "version: 1.1.0\nchangelog:\n  - version: 1.1.0\n    date: 2026-01-02T00:00:00Z\n    author: A <a@b.c>\n    reason: \"Because: yes\"\n  - version: 1.0.0\n    date: 2026-01-01T00:00:00Z\n    author: A <a@b.c>\n    reason: First\n";
        let e = changelog_entry(text.as_bytes(), &Version::new(1, 1, 0)).unwrap();
        assert_eq!(e.reason, "Because: yes");
        let e = changelog_entry(text.as_bytes(), &Version::new(1, 0, 0)).unwrap();
        assert_eq!(e.reason, "First");
    }
}
