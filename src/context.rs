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
    /// `-q/--quiet`: no progress bar and no summary lines.
    pub quiet: bool,
    /// `--ref`: the mainline revision, overriding `ref:` in promptreg.yaml.
    pub git_ref: Option<String>,
    /// `--allow-shallow`.
    pub allow_shallow: bool,
    /// `--fetch`, or `CI=true`: a shallow or partial clone may fetch what
    /// it lacks from its remote (docs/DESIGN.md §3, "Incomplete clones").
    pub fetch: bool,
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

    /// The registry's Git repository. A shallow clone is deepened (without
    /// blobs) when fetching is allowed, accepted as it is with
    /// `--allow-shallow`, and refused otherwise: its history is incomplete.
    pub fn repo(&self, registry: &Registry) -> Result<Repo> {
        let repo = Repo::open(&registry.root)?;
        refuse_nested_prompts_repository(registry)?;
        if repo.is_shallow() && !self.allow_shallow {
            if self.fetch {
                let remote = repo.fetch_remote()?;
                repo.deepen(&remote)?;
                // Opened again: the shallow boundary is gone.
                return Repo::open(&registry.root);
            }
            return Err(fail(
                "shallow clone: its history is incomplete, so released versions cannot be known",
            )
            .hint(format!(
                "{}; --allow-shallow accepts the incomplete history instead",
                history::git::FETCH_HINT
            ))
            .into());
        }
        Ok(repo)
    }

    /// In a partial clone, makes sure the prompt blobs that the mainline
    /// history (up to `mainline`) and the trees of `commits` name are local:
    /// fetched in one batch when fetching is allowed, an error naming how
    /// many are missing otherwise. A full clone costs nothing here; a
    /// partial one that was complete for the same commits is remembered in
    /// `.git/promptreg/`.
    pub fn ensure_local_blobs(
        &self,
        registry: &Registry,
        repo: &Repo,
        mainline: Option<&str>,
        commits: &[String],
    ) -> Result<()> {
        let Some(remote) = repo.promisor_remote() else {
            return Ok(());
        };
        let dir = repo.repo_path(&registry.config.prompts_dir);
        let key = format!("{} {} {dir}", mainline.unwrap_or("-"), commits.join(","));
        let marker = repo.git_dir().join("promptreg").join("local-blobs");
        let known = std::fs::read_to_string(&marker).unwrap_or_default();
        if known.lines().any(|k| k == key) {
            return Ok(());
        }
        let missing = repo.missing_blobs(mainline, commits, &dir)?;
        if !missing.is_empty() {
            if !self.fetch {
                return Err(fail(format!(
                    "partial clone: {} prompt blobs are not local, and promptreg reads every released version",
                    missing.len()
                ))
                .hint(history::git::FETCH_HINT)
                .into());
            }
            repo.fetch_blobs(&remote, &missing)?;
            let still = repo.missing_blobs(mainline, commits, &dir)?;
            if !still.is_empty() {
                return Err(fail(format!(
                    "partial clone: {} prompt blobs are still not local after fetching from `{remote}`",
                    still.len()
                ))
                .hint("the remote may not serve objects by id; clone without `--filter`, or with `fetch-depth: 0`")
                .into());
            }
        }
        // Only a speed-up: a marker that cannot be written is read again.
        if let Some(parent) = marker.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let mut lines: Vec<&str> = known.lines().collect();
        lines.push(&key);
        let keep = &lines[lines.len().saturating_sub(16)..];
        let _ = std::fs::write(&marker, format!("{}\n", keep.join("\n")));
        Ok(())
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
        self.history_of_names(registry, repo, [name])
    }

    /// The histories of some prompts (a warm cache decodes only theirs);
    /// other prompts may be missing from the result.
    pub fn history_of_names<'a>(
        &self,
        registry: &Registry,
        repo: &Repo,
        names: impl IntoIterator<Item = &'a promptreg_core::name::PromptName>,
    ) -> Result<Rc<History>> {
        let names = names.into_iter().map(ToString::to_string).collect();
        self.read_history(registry, repo, Some(&names))
    }

    fn read_history(
        &self,
        registry: &Registry,
        repo: &Repo,
        only: Option<&std::collections::BTreeSet<String>>,
    ) -> Result<Rc<History>> {
        let rev = self.mainline_rev(registry);
        let head = repo.resolve_commit(rev)?;
        let base = format!(
            "{}\0{}",
            head.as_deref().unwrap_or(""),
            repo.repo_path(&registry.config.prompts_dir)
        );
        // A full history answers for any prompt.
        let full = format!("{base}\0*");
        let key = match only {
            Some(names) => format!(
                "{base}\0{}",
                names
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join("\0")
            ),
            None => full.clone(),
        };
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
            only: only.cloned(),
        };
        self.ensure_local_blobs(registry, repo, head.as_deref(), &[])?;
        let mut bar = crate::output::progress::WalkProgress::new(self.quiet);
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

/// `CI` set to something other than `false` or `0`, as GitHub Actions,
/// GitLab CI and most others set `CI=true`.
pub fn running_in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}
