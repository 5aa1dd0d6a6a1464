//! A/B splits at run time: which version of a split a key (user id,
//! session id) gets. The assignment is deterministic and documented in the
//! README so that a runtime in any language reproduces it:
//!
//! 1. bucket = the first 8 bytes of SHA-256(`"{name}\n{env}\n{key}"`, UTF-8)
//!    read as a big-endian unsigned 64-bit integer, modulo 10,000;
//! 2. the arms, sorted by version ascending (the order `prompts.lock` lists
//!    them in), take consecutive bucket ranges `weight × 100` wide, from 0;
//!    the key gets the arm whose range holds its bucket.

use crate::error::fail;
use crate::lockfile::{Pin, SplitArm};
use anyhow::Result;
use semver::Version;
use sha2::{Digest, Sha256};

/// Buckets per split: weights are percent, so one percent is 100 buckets.
pub const BUCKETS: u64 = 10_000;

/// The bucket (0..10,000) of `key` for prompt `name` in environment `env`.
pub fn bucket(name: &str, env: &str, key: &str) -> u64 {
    let digest = Sha256::digest(format!("{name}\n{env}\n{key}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) % BUCKETS
}

/// The arms of a split in assignment order: by version ascending (SemVer
/// precedence), as `prompts.lock` lists them. Refuses weights that do not
/// sum to 100 (a lockfile edited by hand).
pub fn ordered(arms: &[SplitArm]) -> Result<Vec<&SplitArm>> {
    let total: u64 = arms.iter().map(|a| u64::from(a.weight)).sum();
    if total != 100 {
        return Err(fail(format!(
            "the split's weights sum to {total}, not 100 (prompts.lock was edited by hand?)"
        ))
        .hint("run `promptreg lock` to rewrite prompts.lock from promptreg.yaml")
        .into());
    }
    let mut sorted: Vec<&SplitArm> = arms.iter().collect();
    sorted.sort_by(
        |a, b| match (Version::parse(&a.version), Version::parse(&b.version)) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            _ => a.version.cmp(&b.version),
        },
    );
    Ok(sorted)
}

/// The arm whose bucket range holds `bucket`, from arms in assignment order
/// whose weights sum to 100.
pub fn arm_for<'a>(arms: &[&'a SplitArm], bucket: u64) -> Option<&'a SplitArm> {
    let mut end = 0u64;
    for arm in arms {
        end += u64::from(arm.weight) * (BUCKETS / 100);
        if bucket < end {
            return Some(arm);
        }
    }
    None
}

/// What a key gets from a pin: the version, and the bucket when the pin
/// is a split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The version the key gets, e.g. `1.2.0`.
    pub version: String,
    /// The key's bucket (0..10,000) for a split; `None` for a single version.
    pub bucket: Option<u64>,
}

/// The version `key` gets from `pin` (a single version gets it always).
pub fn assign(pin: &Pin, name: &str, env: &str, key: &str) -> Result<Assignment> {
    match pin {
        Pin::Version(v) => Ok(Assignment {
            version: v.clone(),
            bucket: None,
        }),
        Pin::Split(split) => {
            let arms = ordered(&split.split)?;
            let b = bucket(name, env, key);
            let arm = arm_for(&arms, b).ok_or_else(|| {
                fail(format!(
                    "bucket {b} falls outside the split of {name} in {env}"
                ))
            })?;
            Ok(Assignment {
                version: arm.version.clone(),
                bucket: Some(b),
            })
        }
    }
}

/// The version `key` gets of `pin` where a runtime serves it: the pinned
/// version for any key (or none), the arm [`assign`] picks for a split.
/// `Ok(None)`: a split asked for without a key, which picks no arm.
pub fn version_for(pin: &Pin, name: &str, env: &str, key: Option<&str>) -> Result<Option<String>> {
    match (pin, key) {
        (Pin::Version(v), _) => Ok(Some(v.clone())),
        (Pin::Split(_), None) => Ok(None),
        (Pin::Split(_), Some(key)) => assign(pin, name, env, key).map(|a| Some(a.version)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lockfile::SplitPin;

    fn split(arms: &[(&str, u32)]) -> Pin {
        Pin::Split(SplitPin {
            split: arms
                .iter()
                .map(|(v, w)| SplitArm {
                    version: v.to_string(),
                    weight: *w,
                })
                .collect(),
        })
    }

    #[test]
    fn known_buckets() {
        // Computed with the README's Python reference implementation.
        assert_eq!(bucket("a", "b", "c"), 2801);
        assert!(bucket("support/triage", "production", "user-1") < BUCKETS);
    }

    #[test]
    fn ranges_follow_version_order_not_file_order() {
        // 1.10.0 sorts after 1.9.0 by SemVer, not by text.
        let pin = split(&[("1.10.0", 10), ("1.9.0", 90)]);
        let Pin::Split(s) = &pin else { unreachable!() };
        let arms = ordered(&s.split).unwrap();
        assert_eq!(arms[0].version, "1.9.0");
        assert_eq!(arm_for(&arms, 0).unwrap().version, "1.9.0");
        assert_eq!(arm_for(&arms, 8999).unwrap().version, "1.9.0");
        assert_eq!(arm_for(&arms, 9000).unwrap().version, "1.10.0");
        assert_eq!(arm_for(&arms, 9999).unwrap().version, "1.10.0");
    }

    #[test]
    fn zero_weights_get_nothing_and_bad_sums_are_refused() {
        let arms = [
            SplitArm {
                version: "1.0.0".into(),
                weight: 0,
            },
            SplitArm {
                version: "2.0.0".into(),
                weight: 100,
            },
        ];
        let ordered_arms = ordered(&arms).unwrap();
        assert_eq!(arm_for(&ordered_arms, 0).unwrap().version, "2.0.0");
        assert!(ordered(&arms[..1]).is_err());
        let pin = split(&[("1.0.0", 50), ("2.0.0", 40)]);
        assert!(assign(&pin, "a", "b", "c").is_err());
    }
}
