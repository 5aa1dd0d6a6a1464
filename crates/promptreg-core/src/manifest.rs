//! `manifest.json`: what `export` wrote into a bundle directory, and what
//! an application loads (docs/DESIGN.md §11).
//!
//! A bundle is one environment's deployment: every version the environment
//! pins, each arm of an A/B split included, as
//! `<name>@<version>.prompt.yaml` files, with this manifest beside them.
//! Prompt names never contain `@` and versions never contain `/`, so no file
//! path can be a prefix of another, and none can leave the directory.

use crate::lockfile::Pin;
use crate::name::{PromptName, SUFFIX};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The manifest's file name inside a bundle.
pub const MANIFEST: &str = "manifest.json";

/// The manifest format this promptreg writes and reads. Version 1 (one file
/// per prompt, no splits) is no longer read: export again.
pub const MANIFEST_VERSION: u32 = 2;

/// `manifest.json` of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The manifest format, [`MANIFEST_VERSION`].
    pub manifest_version: u32,
    /// The environment whose pins were exported, e.g. `production`.
    pub environment: String,
    /// The registry commit the bundle was exported from (the mainline head
    /// whose lockfile was read), 40 hex digits.
    pub registry_commit: String,
    /// Lowercase hex SHA-256 of the `prompts.lock` bytes the pins came from.
    pub lockfile_sha256: String,
    /// Prompt name → what the environment deploys of it: one version, or an
    /// A/B split with its arms sorted by version.
    pub prompts: BTreeMap<String, Pin>,
    /// Every prompt file of the bundle, sorted by name then version.
    pub files: Vec<BundleFile>,
    /// The partials the prompt files reach (docs/DESIGN.md §16), sorted as
    /// `files`; absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partials: Vec<BundleFile>,
}

/// One prompt file of a bundle: a released version, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleFile {
    /// The prompt's name, e.g. `support/triage`.
    pub name: String,
    /// The released version the file carries, e.g. `1.2.0`.
    pub version: String,
    /// The file's path inside the bundle: always [`file_path`] of the name
    /// and version.
    pub path: String,
    /// Lowercase hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// The Git blob id of the file's bytes.
    pub blob: String,
    /// The release commit: the oldest mainline commit carrying this version.
    pub commit: String,
    /// Who released the version, `Name <email>`.
    pub author: String,
    /// When it was released, RFC 3339 UTC.
    pub date: String,
    /// Why it was released (its changelog entry's reason).
    pub reason: String,
    /// Every partial this version renders with, transitively: name →
    /// version, each a file of `partials` (docs/DESIGN.md §16).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub partials: BTreeMap<String, String>,
}

/// Where a version's file lives in a bundle: `support/triage@1.2.0.prompt.yaml`.
pub fn file_path(name: &PromptName, version: &str) -> String {
    format!("{name}@{version}{SUFFIX}")
}

impl Manifest {
    /// The file of `name` at `version`.
    pub fn file(&self, name: &str, version: &str) -> Option<&BundleFile> {
        self.files
            .iter()
            .find(|f| f.name == name && f.version == version)
    }

    /// The partial file of `name` at `version`.
    pub fn partial(&self, name: &str, version: &str) -> Option<&BundleFile> {
        self.partials
            .iter()
            .find(|f| f.name == name && f.version == version)
    }
}
