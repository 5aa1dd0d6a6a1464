//! Problems found in a file: what `validate` and `check` report.

use serde::Serialize;
use std::fmt;

/// A position in a text file, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    /// The line, counting from 1.
    pub line: usize,
    /// The column, counting from 1.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Worth fixing, but the file is still usable.
    Warning,
    /// The file is invalid; `has_errors` is true.
    Error,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Warning => "warning",
            Level::Error => "error",
        })
    }
}

/// One problem in one file, with a stable rule id and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Whether the finding is a warning or an error.
    pub level: Level,
    /// Stable identifier of the rule, e.g. `version-not-semver`.
    pub rule: &'static str,
    /// Path of the file, relative to the registry root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The line the problem is on (1-based), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The column the problem starts at (1-based), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// What is wrong, for a person to read.
    pub message: String,
}

impl Finding {
    /// An error of rule `rule` at `location`, not yet attributed to a file.
    pub fn error(
        rule: &'static str,
        location: Option<Location>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(Level::Error, rule, location, message)
    }

    /// A warning of rule `rule` at `location`, not yet attributed to a file.
    pub fn warning(
        rule: &'static str,
        location: Option<Location>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(Level::Warning, rule, location, message)
    }

    fn new(
        level: Level,
        rule: &'static str,
        location: Option<Location>,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            level,
            rule,
            file: None,
            line: location.map(|l| l.line),
            column: location.map(|l| l.column),
            message: message.into(),
        }
    }

    /// The same finding, attributed to `file`.
    pub fn in_file(mut self, file: &str) -> Self {
        self.file = Some(file.to_string());
        self
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}")?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
                if let Some(column) = self.column {
                    write!(f, ":{column}")?;
                }
            }
            write!(f, ": ")?;
        }
        write!(f, "{}[{}]: {}", self.level, self.rule, self.message)
    }
}

/// True when any finding is an error.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.level == Level::Error)
}
