//! What every command gets: the directory it runs in.

use crate::registry::Registry;
use anyhow::Result;
use std::path::PathBuf;

/// The environment a command runs in.
#[derive(Debug, Clone)]
pub struct Context {
    /// The directory promptreg acts in (`-C DIR`, or the current one).
    pub cwd: PathBuf,
    /// Whether output may carry ANSI colour.
    pub color: bool,
}

impl Context {
    /// The registry around `cwd`, with a valid config.
    pub fn registry(&self) -> Result<Registry> {
        Registry::open(&self.cwd)
    }
}
