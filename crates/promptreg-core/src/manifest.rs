//! `manifest.json`: what `export` wrote into a bundle directory
//! (docs/DESIGN.md §11).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The manifest's file name inside a bundle.
pub const MANIFEST: &str = "manifest.json";

/// `manifest.json` of an export directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The environment whose pins were exported, e.g. `production`.
    pub environment: String,
    /// The lockfile format the pins were read from (`lockfile::FORMAT_VERSION`).
    pub lockfile_version: u32,
    /// Prompt name → what was written for it.
    pub prompts: BTreeMap<String, ManifestEntry>,
}

/// One exported prompt file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestEntry {
    /// The exported version, the one the environment pins, e.g. `1.2.0`.
    pub version: String,
    /// Lowercase hex SHA-256 of the written file's bytes.
    pub sha256: String,
    /// Relative to the export directory: `support/triage.prompt.yaml`.
    pub path: String,
}
