//! The only module that talks to git2. The rest of promptreg sees plain
//! data: commit ids, blob ids, file bytes, identities.

use crate::error::fail;
use anyhow::{Context as _, Result};
use std::fmt;
use std::path::Path;

/// A person as Git records them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub email: String,
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} <{}>", self.name, self.email)
    }
}

/// True when `dir` is inside a Git work tree.
pub fn is_repository(dir: &Path) -> bool {
    git2::Repository::discover(dir).is_ok()
}

/// `git init DIR`.
pub fn init(dir: &Path) -> Result<()> {
    git2::Repository::init(dir)
        .with_context(|| format!("cannot create a Git repository in {}", dir.display()))?;
    Ok(())
}

/// The identity Git would commit with from `dir` (repository config, then
/// global config, then the environment variables Git reads).
pub fn identity(dir: &Path) -> Result<Identity> {
    let config = match git2::Repository::discover(dir) {
        Ok(repo) => repo.config(),
        Err(_) => git2::Config::open_default(),
    }
    .context("cannot read Git's configuration")?;
    let name = std::env::var("GIT_AUTHOR_NAME")
        .ok()
        .or_else(|| config.get_string("user.name").ok())
        .filter(|s| !s.trim().is_empty());
    let email = std::env::var("GIT_AUTHOR_EMAIL")
        .ok()
        .or_else(|| config.get_string("user.email").ok())
        .filter(|s| !s.trim().is_empty());
    match (name, email) {
        (Some(name), Some(email)) => Ok(Identity { name, email }),
        _ => Err(fail("Git has no identity configured: user.name and user.email are needed to record who released a version")
            .hint("git config --global user.name \"Your Name\" && git config --global user.email you@example.com")
            .into()),
    }
}
