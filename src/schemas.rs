//! The JSON Schemas of `schemas/`, embedded in the binary.

use crate::cli::SchemaKind;

pub const PROMPT: &str = include_str!("../schemas/prompt.schema.json");
pub const CONFIG: &str = include_str!("../schemas/config.schema.json");
pub const LOCKFILE: &str = include_str!("../schemas/lockfile.schema.json");
pub const MANIFEST: &str = include_str!("../schemas/manifest.schema.json");

/// Where `init` writes the schemas inside a registry.
pub const DIR: &str = ".promptreg/schemas";

/// Every schema with its file name.
pub const ALL: &[(SchemaKind, &str, &str)] = &[
    (SchemaKind::Prompt, "prompt.schema.json", PROMPT),
    (SchemaKind::Config, "config.schema.json", CONFIG),
    (SchemaKind::Lockfile, "lockfile.schema.json", LOCKFILE),
    (SchemaKind::Manifest, "manifest.schema.json", MANIFEST),
];

pub fn text(kind: SchemaKind) -> &'static str {
    ALL.iter()
        .find(|(k, _, _)| *k == kind)
        .map_or(PROMPT, |(_, _, t)| t)
}
