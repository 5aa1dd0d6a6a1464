//! What the history says: released versions per prompt, with their release
//! commits, and the violations found on the way (docs/DESIGN.md §3).

use crate::history::git::{BlobId, CommitId, CommitInfo};
use promptreg_core::name::PromptName;
use promptreg_core::prompt::ChangelogEntry;
use semver::{Version, VersionReq};
use serde::Serialize;
use std::collections::BTreeMap;

/// A version of a prompt carried by the mainline.
#[derive(Debug, Clone, Serialize)]
pub struct ReleasedVersion {
    #[serde(serialize_with = "as_string")]
    pub version: Version,
    /// The oldest mainline commit whose file carries this version.
    #[serde(serialize_with = "serialize_commit")]
    pub commit: CommitInfo,
    pub blob: BlobId,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
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
    /// The file has a version but is not a usable prompt at that commit
    /// (it does not pass validation): that version is not released there.
    Invalid,
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
    st.serialize_field("time", &promptreg_core::date::rfc3339(c.time))?;
    st.serialize_field("summary", &c.summary)?;
    st.end()
}

pub use promptreg_core::fast_read::{changelog_entry, version_of};

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
