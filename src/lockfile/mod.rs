//! Environments and the lockfile (docs/DESIGN.md §8): resolving each
//! environment of `promptreg.yaml` against released versions, comparing two
//! lockfiles, and checking pinned bytes against Git or against a bundle
//! written by `export`. The format itself is `promptreg_core::lockfile`.
//! Never prints; commands render what it returns.

use crate::history::History;
use anyhow::Result;
pub use promptreg_core::lockfile::*;

mod compare;
pub mod memo;
mod resolve;
mod verify;

pub use compare::*;
pub use resolve::*;
pub use verify::*;

/// What `lock` would write for the registry, and how the lockfile on disk
/// compares with it (what `lock --locked`, `check` and `doctor` ask).
pub struct Status {
    pub resolution: Resolution,
    /// The bytes `lock` would write.
    pub text: String,
    pub comparison: Comparison,
}

/// Resolves the registry's environments and compares the result with the
/// lockfile at the registry root.
pub fn status(
    registry: &promptreg_core::registry::Registry,
    history: &History,
    mainline: &str,
    repo: &crate::history::git::Repo,
    gates: &mut dyn Gates,
) -> Result<Status> {
    let config_path = registry.root.join(promptreg_core::config::FILE_NAME);
    let config_text = std::fs::read_to_string(&config_path).map_err(|e| {
        anyhow::Error::from(e).context(format!("cannot read {}", config_path.display()))
    })?;
    let path = registry.root.join(FILE_NAME);
    let existing = match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(anyhow::Error::from(e).context(format!("cannot read {}", path.display())))
        }
    };
    status_of(
        &registry.config,
        &config_text,
        existing,
        history,
        mainline,
        repo,
        gates,
    )
}

/// Resolves the environments of a config (`config_text` is its source, for
/// line numbers) and compares the result with a lockfile's bytes (`None`:
/// there is no lockfile), wherever both were read from: the working tree,
/// the index or a commit.
pub fn status_of(
    config: &promptreg_core::config::Config,
    config_text: &str,
    existing: Option<Vec<u8>>,
    history: &History,
    mainline: &str,
    repo: &crate::history::git::Repo,
    gates: &mut dyn Gates,
) -> Result<Status> {
    let resolution = resolve(config, config_text, history, mainline, repo, gates)?;
    let text = render(&resolution.lockfile);
    // The common case in CI: the file is exactly what `lock` writes.
    // Comparing bytes first spares parsing a large lockfile.
    if existing
        .as_deref()
        .is_some_and(|bytes| same_text(bytes, text.as_bytes()))
    {
        return Ok(Status {
            resolution,
            text,
            comparison: Comparison {
                freshness: Freshness::UpToDate,
                changes: Vec::new(),
                edited_by_hand: Vec::new(),
                unreadable: None,
            },
        });
    }
    let existing = match existing {
        None => Existing::Missing,
        Some(bytes) => match parse(&bytes) {
            Ok(lockfile) => Existing::Valid { bytes, lockfile },
            Err(error) => Existing::Invalid { bytes, error },
        },
    };
    let comparison = compare(&existing, &resolution.lockfile, &text, history)?;
    Ok(Status {
        resolution,
        text,
        comparison,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn changes_classify_upgrades_and_downgrades() {
        let lock = |pins: &[(&str, &str)]| Lockfile {
            lockfile_version: 1,
            prompts: Vec::new(),
            partials: Vec::new(),
            environments: BTreeMap::from([(
                "prod".to_string(),
                pins.iter()
                    .map(|(n, v)| (n.to_string(), Pin::Version(v.to_string())))
                    .collect(),
            )]),
        };
        let old = lock(&[
            ("a", "1.0.0"),
            ("b", "2.0.0"),
            ("c", "1.0.0"),
            ("d", "1.0.0"),
        ]);
        let new = lock(&[
            ("a", "1.1.0"),
            ("b", "1.9.0"),
            ("d", "1.0.0"),
            ("e", "0.1.0"),
        ]);
        let got: Vec<String> = changes(&old, &new)
            .iter()
            .map(|c| format!("{} {c}", c.kind.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                "upgraded a 1.0.0 → 1.1.0",
                "downgraded b 2.0.0 → 1.9.0",
                "removed c 1.0.0",
                "added e 0.1.0"
            ]
        );
    }
}
