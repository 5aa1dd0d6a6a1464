//! Version references on the command line: `name`, `name@1.2.0`,
//! `name@^1.2`, `name@latest`, `name@rev:<git-rev>`.

use crate::error::{fail, Failure};
use crate::name::PromptName;
use semver::{Version, VersionReq};
use std::fmt;

/// Which version of a prompt a reference names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// The file in the working tree.
    WorkingTree,
    /// Exactly this released version.
    Exact(Version),
    /// The highest released version matching the requirement.
    Requirement(VersionReq),
    /// The highest released version that is not a pre-release.
    Latest,
    /// The highest released version, pre-releases included.
    LatestPre,
    /// The file at a Git revision (commit, tag, branch).
    Revision(String),
}

/// A prompt and a version of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptRef {
    /// The prompt, the part before `@`.
    pub name: PromptName,
    /// Which version of it, from the part after `@` (`WorkingTree` without one).
    pub selector: Selector,
}

impl PromptRef {
    /// Parses `name[@spec]`.
    pub fn parse(text: &str) -> Result<Self, Failure> {
        let (name, spec) = match text.split_once('@') {
            Some((n, s)) => (n, Some(s.trim())),
            None => (text, None),
        };
        let name = PromptName::parse(name).map_err(|e| {
            fail(e.to_string()).hint("names are lowercase segments joined by `/`, e.g. support/triage; `promptreg list` shows them")
        })?;
        let selector = match spec {
            None => Selector::WorkingTree,
            Some("") => {
                return Err(fail(format!("`{text}`: nothing after `@`"))
                    .hint("write NAME@1.2.0, NAME@^1.2, NAME@latest or NAME@rev:main"))
            }
            Some("latest") => Selector::Latest,
            Some("latest-pre") => Selector::LatestPre,
            Some(s) if s.starts_with("rev:") => {
                let rev = &s[4..];
                if rev.is_empty() {
                    return Err(fail(format!("`{text}`: no revision after `rev:`")).hint("write NAME@rev:main or NAME@rev:HEAD~1"));
                }
                Selector::Revision(rev.to_string())
            }
            Some(s) => match Version::parse(s) {
                Ok(v) => Selector::Exact(v),
                Err(_) => Selector::Requirement(VersionReq::parse(s).map_err(|e| {
                    fail(format!("`{s}` in `{text}` is neither a version nor a SemVer requirement ({e})"))
                        .hint("write NAME@1.2.0, NAME@^1.2, NAME@~1.2, NAME@\">=1.0, <2\", NAME@latest or NAME@rev:REV")
                })?),
            },
        };
        Ok(PromptRef { name, selector })
    }

    /// True when the reference reads Git rather than the working tree.
    pub fn needs_history(&self) -> bool {
        !matches!(self.selector, Selector::WorkingTree | Selector::Revision(_))
    }
}

impl fmt::Display for PromptRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)?;
        match &self.selector {
            Selector::WorkingTree => Ok(()),
            Selector::Exact(v) => write!(f, "@{v}"),
            Selector::Requirement(r) => write!(f, "@{r}"),
            Selector::Latest => write!(f, "@latest"),
            Selector::LatestPre => write!(f, "@latest-pre"),
            Selector::Revision(r) => write!(f, "@rev:{r}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        let sel = |s: &str| PromptRef::parse(s).unwrap().selector;
        assert_eq!(sel("a/b"), Selector::WorkingTree);
        assert_eq!(sel("a@1.2.0"), Selector::Exact(Version::new(1, 2, 0)));
        assert_eq!(
            sel("a@^1.2"),
            Selector::Requirement(VersionReq::parse("^1.2").unwrap())
        );
        assert_eq!(
            sel("a@>=1.0, <2"),
            Selector::Requirement(VersionReq::parse(">=1.0, <2").unwrap())
        );
        assert_eq!(sel("a@latest"), Selector::Latest);
        assert_eq!(sel("a@rev:main~2"), Selector::Revision("main~2".into()));
        for bad in ["A@1.0.0", "a@", "a@rev:", "a@banana"] {
            assert!(PromptRef::parse(bad).is_err(), "{bad}");
        }
    }
}
