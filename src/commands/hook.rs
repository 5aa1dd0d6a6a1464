use crate::cli::{HookAction, HookArgs};
use crate::context::Context;
use crate::output::Output;
use anyhow::{Context as _, Result};
use promptreg_core::error::fail;

/// Marks the hook as ours, so `uninstall` never removes someone else's.
const MARKER: &str = "# Installed by promptreg (`promptreg hook install`).";

/// The pre-commit hook: checks what is staged, without the lockfile (a
/// commit that bumps a prompt is followed by `promptreg lock`). Git runs
/// hooks at the top of the work tree, so a registry in a subdirectory is
/// named with `-C`.
fn script(registry_dir: &str) -> String {
    let dir = registry_dir.trim_end_matches('/');
    let directory = if dir.is_empty() {
        String::new()
    } else {
        format!("-C {} ", shell_quote(dir))
    };
    [
        "#!/bin/sh".to_string(),
        MARKER.to_string(),
        "# Remove with `promptreg hook uninstall`.".to_string(),
        "if ! command -v promptreg >/dev/null 2>&1; then".to_string(),
        "  echo 'pre-commit: promptreg is not on PATH; install it, or remove this hook with `promptreg hook uninstall`' >&2".to_string(),
        "  exit 1".to_string(),
        "fi".to_string(),
        format!("exec promptreg {directory}check --staged --no-lock"),
        String::new(),
    ]
    .join("\n")
}

/// `text` as one single-quoted shell word.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

pub fn run(args: &HookArgs, ctx: &Context) -> Result<Output> {
    if let HookAction::Run = args.action {
        return run_hook(ctx);
    }
    let registry = ctx.registry()?;
    let repo = crate::history::git::Repo::open(&registry.root)?;
    let dir = repo.hooks_dir()?;
    let path = dir.join("pre-commit");
    // Any file (or link, even a dangling one) there is a hook; only its bytes
    // tell whether it is ours (a binary hook is someone else's, not "none").
    let exists = std::fs::symlink_metadata(&path).is_ok();
    let ours = std::fs::read(&path).is_ok_and(|bytes| contains(&bytes, MARKER.as_bytes()));
    match &args.action {
        HookAction::Install { force } => {
            if exists && !ours && !force {
                return Err(fail(format!("{} exists and was not written by promptreg; refusing to replace it", path.display()))
                    .hint("add `promptreg check --staged --no-lock` to it yourself, or pass --force to replace it")
                    .into());
            }
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            // The user's hook is kept: moved aside, and put back by
            // `uninstall`.
            let mut said = String::new();
            if exists && !ours {
                let backup = backup_path(&path);
                if std::fs::symlink_metadata(&backup).is_ok() {
                    // Never replace an earlier backup: it may be the user's
                    // only copy.
                    return Err(fail(format!(
                        "{} exists and so does the backup {}; refusing to replace either",
                        path.display(),
                        backup.display()
                    ))
                    .hint("move one of them away, then run `promptreg hook install --force` again")
                    .into());
                }
                std::fs::rename(&path, &backup).with_context(|| {
                    format!("cannot move {} to {}", path.display(), backup.display())
                })?;
                said = format!(
                    "Moved your hook to {} (`promptreg hook uninstall` puts it back).\n",
                    backup.display()
                );
            }
            crate::output::files::write_atomic(&path, script(&repo.repo_path("")).as_bytes())?;
            set_executable(&path)?;
            Ok(Output::stdout(format!(
                "{said}Installed {}: each commit runs `promptreg check --staged --no-lock`.\n",
                path.display()
            )))
        }
        HookAction::Uninstall => {
            if !exists {
                return Ok(Output::stdout(
                    "No pre-commit hook installed; nothing to do.\n",
                ));
            }
            if !ours {
                return Err(fail(format!(
                    "{} was not written by promptreg; leaving it alone",
                    path.display()
                ))
                .into());
            }
            // Lines the user added to our hook stay; only ours go.
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let our_lines: Vec<String> = script(&repo.repo_path(""))
                .lines()
                .map(str::to_string)
                .collect();
            let theirs: Vec<&str> = text
                .lines()
                .filter(|l| !our_lines.iter().any(|o| o == l) || l.starts_with("#!"))
                .collect();
            let meaningful = theirs
                .iter()
                .any(|l| !l.trim().is_empty() && !l.starts_with("#!"));
            if meaningful {
                let kept = theirs.join("\n") + "\n";
                crate::output::files::write_atomic(&path, kept.as_bytes())?;
                return Ok(Output::stdout(format!(
                    "Removed promptreg's lines from {}; kept the lines you added.\n",
                    path.display()
                )));
            }
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
            let backup = backup_path(&path);
            if backup.exists() {
                std::fs::rename(&backup, &path)
                    .with_context(|| format!("cannot put {} back", backup.display()))?;
                return Ok(Output::stdout(format!(
                    "Removed promptreg's hook and put yours back from {}.\n",
                    backup.display()
                )));
            }
            Ok(Output::stdout(format!("Removed {}.\n", path.display())))
        }
        HookAction::Run => run_hook(ctx),
    }
}

/// Where `install --force` keeps the hook it replaces.
fn backup_path(hook: &std::path::Path) -> std::path::PathBuf {
    hook.with_file_name("pre-commit.before-promptreg")
}

/// What a hook run checks.
#[derive(Debug, PartialEq, Eq)]
enum Scope {
    /// `git commit` is running the hook: what it will record.
    Staged,
    /// A pushed range (pre-push) or `pre-commit run --from-ref --to-ref`.
    Range { from: String, to: String },
    /// `pre-commit run --all-files`, pre-commit.ci, CI: everything the
    /// branch changed since it left its upstream, plus what is staged.
    Branch,
}

/// Reads the scope from the environment the hook runs in. Git exports
/// GIT_INDEX_FILE to the hooks of `git commit`; the pre-commit framework
/// sets PRE_COMMIT_FROM_REF/PRE_COMMIT_TO_REF for a range (older versions:
/// PRE_COMMIT_SOURCE/PRE_COMMIT_ORIGIN).
fn scope(var: impl Fn(&str) -> Option<String>, in_ci: bool) -> Scope {
    let var = |names: &[&str]| names.iter().find_map(|n| var(n).filter(|v| !v.is_empty()));
    let from = var(&["PRE_COMMIT_FROM_REF", "PRE_COMMIT_SOURCE"]);
    let to = var(&["PRE_COMMIT_TO_REF", "PRE_COMMIT_ORIGIN"]);
    match (from, to) {
        (Some(from), Some(to)) => Scope::Range { from, to },
        _ if var(&["GIT_INDEX_FILE"]).is_some() && !in_ci => Scope::Staged,
        _ => Scope::Branch,
    }
}

/// The branch's fork point: the merge base of HEAD with its upstream, else
/// with `origin/HEAD`, `origin/main` or `origin/master`; `None` when there
/// is none of these (a repository that was never pushed).
fn fork_point(repo: &crate::history::git::Repo) -> Result<Option<String>> {
    let Some(head) = repo.resolve_commit("HEAD")? else {
        return Ok(None);
    };
    for rev in ["@{upstream}", "origin/HEAD", "origin/main", "origin/master"] {
        if let Ok(Some(target)) = repo.resolve_commit(rev) {
            return Ok(Some(repo.merge_base(&head, &target)?.unwrap_or(target)));
        }
    }
    Ok(None)
}

/// `hook run`: `check --no-lock` on the scope of this run.
fn run_hook(ctx: &Context) -> Result<Output> {
    let scope = scope(|n| std::env::var(n).ok(), crate::context::running_in_ci());
    let root = promptreg_core::registry::find_root(&ctx.cwd)?;
    let repo = crate::history::git::Repo::open(&root)?;
    let mut args = crate::cli::CheckArgs {
        base: None,
        head: None,
        staged: false,
        no_lock: true,
        strict: false,
        format: crate::cli::CheckFormat::Human,
        output: None,
    };
    let what = match &scope {
        Scope::Staged => {
            args.staged = true;
            "the staged change".to_string()
        }
        Scope::Range { from, to } => {
            let to_id = repo.resolve_commit(to)?.unwrap_or_else(|| to.clone());
            // A new branch is pushed with an all-zero FROM: nothing to
            // compare with but the fork point.
            let base = if from.bytes().all(|b| b == b'0') {
                fork_point(&repo)?
            } else {
                let from_id = repo.resolve_commit(from)?.unwrap_or_else(|| from.clone());
                Some(repo.merge_base(&from_id, &to_id)?.unwrap_or(from_id))
            };
            args.base = base;
            args.head = Some(to_id);
            format!(
                "{}..{}",
                crate::history::short(from),
                crate::history::short(to)
            )
        }
        Scope::Branch => {
            args.staged = true;
            match fork_point(&repo)? {
                Some(base) => {
                    let what = format!(
                        "the branch since {} and the staged change",
                        crate::history::short(&base)
                    );
                    args.base = Some(base);
                    what
                }
                None => "the staged change (the branch has no upstream)".to_string(),
            }
        }
    };
    let out = super::check::run(&args, ctx)?;
    let note = if ctx.quiet {
        String::new()
    } else {
        format!("promptreg hook: checking {what}\n")
    };
    let stderr = format!("{note}{}", out.stderr);
    Ok(out.with_stderr(stderr))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(unix)]
fn set_executable(path: &std::path::Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot make {} executable", path.display()))
}

#[cfg(not(unix))]
fn set_executable(_path: &std::path::Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{scope, Scope};

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_scope_follows_the_environment() {
        assert_eq!(
            scope(env(&[("GIT_INDEX_FILE", ".git/index")]), false),
            Scope::Staged
        );
        assert_eq!(
            scope(env(&[("GIT_INDEX_FILE", ".git/index")]), true),
            Scope::Branch
        );
        assert_eq!(scope(env(&[]), false), Scope::Branch);
        assert_eq!(
            scope(
                env(&[
                    ("GIT_INDEX_FILE", ".git/index"),
                    ("PRE_COMMIT_FROM_REF", "a"),
                    ("PRE_COMMIT_TO_REF", "b")
                ]),
                false
            ),
            Scope::Range {
                from: "a".into(),
                to: "b".into()
            }
        );
        assert_eq!(
            scope(
                env(&[("PRE_COMMIT_SOURCE", "a"), ("PRE_COMMIT_ORIGIN", "b")]),
                false
            ),
            Scope::Range {
                from: "a".into(),
                to: "b".into()
            }
        );
        assert_eq!(
            scope(env(&[("PRE_COMMIT_FROM_REF", "a")]), false),
            Scope::Branch
        );
    }
}
