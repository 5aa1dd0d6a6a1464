//! What every command gets: the directory it runs in and the global options.

use crate::history::git::Repo;
use crate::history::{self, History};
use anyhow::Result;
use promptreg_core::error::fail;
use promptreg_core::registry::Registry;
use std::path::PathBuf;
use std::rc::Rc;

/// The environment a command runs in.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The directory promptreg acts in (`-C DIR`, or the current one).
    pub cwd: PathBuf,
    /// Whether output may carry ANSI colour.
    pub color: bool,
    /// `--ref`: the mainline revision, overriding `ref:` in promptreg.yaml.
    pub git_ref: Option<String>,
    /// `--allow-shallow`.
    pub allow_shallow: bool,
    /// `--no-cache`: neither read nor write the history cache.
    pub no_cache: bool,
    /// The history read by this process, keyed by (mainline head, prompts
    /// directory): a command that resolves several references reads it once.
    pub memo: std::cell::RefCell<Vec<(String, Rc<History>)>>,
}

impl Context {
    /// The registry around `cwd`, with a valid config.
    pub fn registry(&self) -> Result<Registry> {
        Registry::open(&self.cwd)
    }

    /// The registry's Git repository. A shallow clone is refused (its
    /// history is incomplete) unless `--allow-shallow`.
    pub fn repo(&self, registry: &Registry) -> Result<Repo> {
        let repo = Repo::open(&registry.root)?;
        refuse_nested_prompts_repository(registry)?;
        if repo.is_shallow() && !self.allow_shallow {
            return Err(fail(
                "this is a shallow clone: its history is incomplete, so released versions cannot be known",
            )
            .hint(
                "run `git fetch --unshallow` (GitHub Actions: `actions/checkout` with `fetch-depth: 0`), or pass --allow-shallow to accept an incomplete history",
            )
            .into());
        }
        Ok(repo)
    }

    /// The mainline revision: `--ref`, else `ref:` in promptreg.yaml, else HEAD.
    pub fn mainline_rev<'a>(&'a self, registry: &'a Registry) -> &'a str {
        self.git_ref
            .as_deref()
            .or(registry.config.git_ref.as_deref())
            .unwrap_or("HEAD")
    }

    /// Every released version of every prompt, from the mainline, through
    /// the cache under `.git/promptreg/` unless `--no-cache`.
    pub fn history(&self, registry: &Registry, repo: &Repo) -> Result<Rc<History>> {
        self.read_history(registry, repo, None)
    }

    /// The history of one prompt (a warm cache decodes only that prompt);
    /// other prompts may be missing from the result.
    pub fn history_of(
        &self,
        registry: &Registry,
        repo: &Repo,
        name: &promptreg_core::name::PromptName,
    ) -> Result<Rc<History>> {
        self.read_history(registry, repo, Some(name.as_str()))
    }

    fn read_history(
        &self,
        registry: &Registry,
        repo: &Repo,
        only: Option<&str>,
    ) -> Result<Rc<History>> {
        let rev = self.mainline_rev(registry);
        let head = repo.resolve_commit(rev)?;
        let base = format!(
            "{}\0{}",
            head.as_deref().unwrap_or(""),
            repo.repo_path(&registry.config.prompts_dir)
        );
        // A full history answers for any prompt.
        let key = format!("{base}\0{}", only.unwrap_or("*"));
        let full = format!("{base}\0*");
        if let Some((_, h)) = self
            .memo
            .borrow()
            .iter()
            .find(|(k, _)| *k == key || *k == full)
        {
            return Ok(Rc::clone(h));
        }
        let cache = history::CacheOptions {
            path: (!self.no_cache && !repo.history_is_grafted())
                .then(|| cache_path(repo, &registry.config.prompts_dir, rev)),
            only: only.map(str::to_string),
        };
        let mut bar = crate::output::progress::WalkProgress::new();
        let history = history::compute(
            repo,
            head.as_deref(),
            &registry.config.prompts_dir,
            &cache,
            &mut |p| bar.update(p),
        );
        bar.finish();
        let history = Rc::new(history?);
        self.memo.borrow_mut().push((key, Rc::clone(&history)));
        Ok(history)
    }
}

impl Context {
    /// The memo of what `lock` resolves for the current mainline head and
    /// promptreg.yaml (`None` with `--no-cache` or before the first commit).
    pub fn lock_memo(
        &self,
        registry: &Registry,
        repo: &Repo,
    ) -> Result<Option<crate::lockfile::memo::LockMemo>> {
        if self.no_cache || repo.history_is_grafted() {
            return Ok(None);
        }
        let Some(head) = repo.resolve_commit(self.mainline_rev(registry))? else {
            return Ok(None);
        };
        let mut config = std::fs::read(registry.root.join(promptreg_core::config::FILE_NAME))
            .unwrap_or_default();
        // Gates make the lockfile depend on the scores too: the notes' tip
        // is part of the key (docs/DESIGN.md §4).
        if !registry.config.gates.is_empty() {
            let notes = repo.reference_target(crate::production::scores::NOTES_REF)?;
            config.extend_from_slice(b"\0notes:");
            config.extend_from_slice(notes.unwrap_or_default().as_bytes());
        }
        Ok(Some(crate::lockfile::memo::LockMemo::new(
            repo.git_dir(),
            &head,
            &config,
            &repo.repo_path(&registry.config.prompts_dir),
        )))
    }
}

/// One cache file per (prompts directory, mainline ref), so that switching
/// `--ref` does not throw away the other's cache.
pub fn cache_path(repo: &Repo, prompts_dir: &str, rev: &str) -> PathBuf {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{}\0{rev}", repo.repo_path(prompts_dir)).as_bytes());
    let key: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    repo.git_dir()
        .join("promptreg")
        .join(format!("history-{key}.bin"))
}

/// Refuses a prompts directory that is (or lies in) another Git repository,
/// a submodule most often: its history is not this repository's, so `log`
/// would show no releases and `bump --commit` would replace the submodule
/// link with a file.
pub fn refuse_nested_prompts_repository(registry: &Registry) -> Result<()> {
    let prompts = registry.prompts_dir();
    let mut dir = prompts.as_path();
    while dir != registry.root.as_path() {
        if dir.join(".git").exists() {
            return Err(fail(format!(
                "{} is a Git submodule or a repository of its own: promptreg reads prompt history from the repository that holds promptreg.yaml",
                dir.strip_prefix(&registry.root).unwrap_or(dir).display()
            ))
            .hint("put promptreg.yaml inside that repository (run promptreg there), or move the prompts into this one")
            .into());
        }
        match dir.parent() {
            Some(parent) if parent.starts_with(&registry.root) => dir = parent,
            _ => break,
        }
    }
    Ok(())
}
