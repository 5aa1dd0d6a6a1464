//! Errors a user sees: what failed, and what to do about it.

use std::fmt;

/// An error with an optional hint (the command or fix that helps).
/// `main` prints the hint after the `caused by:` lines.
#[derive(Debug)]
pub struct Failure {
    /// What failed, in one line; this is what `Display` prints.
    pub message: String,
    /// The command or fix that helps, if any.
    pub hint: Option<String>,
    /// The lower-level error behind this one, shown as `caused by:`.
    pub source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Failure {
    /// A failure saying `message`, with no hint and no cause.
    pub fn new(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            hint: None,
            source: None,
        }
    }

    /// The same failure, caused by `source`.
    pub fn caused_by(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The same failure, with `hint` (replacing any earlier one).
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

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Shorthand: `Err(fail("...").hint("..."))?`.
pub fn fail(message: impl Into<String>) -> Failure {
    Failure::new(message)
}
