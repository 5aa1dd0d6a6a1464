//! Errors a user sees: what failed, and what to do about it.

use std::fmt;

/// An error with an optional hint (the command or fix that helps).
/// `main` prints the hint after the `caused by:` lines.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// Shorthand: `Err(fail("...").hint("..."))?`.
pub fn fail(message: impl Into<String>) -> Failure {
    Failure::new(message)
}
