//! Prompt names: `support/triage`, the path under the prompts directory
//! without the `.prompt.yaml` suffix.

use serde::Serialize;
use std::fmt;

/// The suffix every prompt file carries.
pub const SUFFIX: &str = ".prompt.yaml";

/// A valid prompt name: lowercase `[a-z0-9][a-z0-9._-]*` segments joined by `/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct PromptName(String);

/// Why a string is not a prompt name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid prompt name `{name}`: {reason}")]
pub struct NameError {
    /// The string that was refused, as given.
    pub name: String,
    /// Which rule it breaks, for a person to read, e.g. `a name cannot be
    /// empty`.
    pub reason: String,
}

impl PromptName {
    /// Checks `name` against the naming rule and says which part breaks it.
    pub fn parse(name: &str) -> Result<Self, NameError> {
        let fail = |reason: String| {
            Err(NameError {
                name: name.to_string(),
                reason,
            })
        };
        if name.is_empty() {
            return fail("a name cannot be empty".into());
        }
        if name.len() > 200 {
            return fail("a name is at most 200 characters".into());
        }
        if let Some(bare) = name.strip_suffix(SUFFIX) {
            return fail(format!("leave out the `{SUFFIX}` suffix (`{bare}`)"));
        }
        for segment in name.split('/') {
            if segment.is_empty() {
                return fail("empty path segment (leading, trailing or doubled `/`)".into());
            }
            let first = segment.chars().next().unwrap_or(' ');
            if !(first.is_ascii_lowercase() || first.is_ascii_digit()) {
                return fail(format!(
                    "segment `{segment}` must start with a lowercase letter or a digit"
                ));
            }
            if let Some(bad) = segment.chars().find(|c| {
                !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
            }) {
                return fail(format!(
                    "segment `{segment}` contains `{bad}`; use lowercase letters, digits, `.`, `_` and `-`"
                ));
            }
        }
        Ok(PromptName(name.to_string()))
    }

    /// The name of the prompt stored at `relative` (a path under the prompts
    /// directory, with `/` separators), if it is a prompt file at all.
    pub fn from_relative_path(relative: &str) -> Option<Result<Self, NameError>> {
        relative.strip_suffix(SUFFIX).map(Self::parse)
    }

    /// The file's path relative to the prompts directory.
    pub fn file_name(&self) -> String {
        format!("{}{SUFFIX}", self.0)
    }

    /// The name as text, e.g. `support/triage`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PromptName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_good_names() {
        for name in ["a", "support/triage", "v2/x.y_z-1", "0day"] {
            assert!(PromptName::parse(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn refuses_bad_names() {
        for name in [
            "Upper",
            "a b",
            "../x",
            "x/",
            "/x",
            "a//b",
            "-a",
            ".hidden",
            "é",
            "x.prompt.yaml",
            "",
        ] {
            assert!(PromptName::parse(name).is_err(), "{name}");
        }
    }
}
