use crate::cli::ExportArgs;
use crate::context::Context;
use crate::history::short;
use crate::lockfile::{self, Pin};
use crate::output::files;
use crate::output::{self, Format, Output};
use anyhow::Result;
use promptreg_core::error::fail;
use promptreg_core::manifest::MANIFEST;
use std::path::{Component, Path, PathBuf};

pub fn run(args: &ExportArgs, ctx: &Context) -> Result<Output> {
    let registry = ctx.registry()?;
    let out = resolve(&ctx.cwd.join(&args.out));
    let shown = args.out.display().to_string();
    check_destination(&out, &shown, args.force, ctx, &registry)?;

    let repo = ctx.repo(&registry)?;
    let (lock_bytes, lock) = lockfile::read_required_bytes(
        &registry.root.join(lockfile::FILE_NAME),
        "nothing to export",
    )?;
    let mainline = ctx.mainline_rev(&registry);
    let registry_commit = repo.resolve_commit(mainline)?.ok_or_else(|| {
        fail(format!(
            "the mainline ({mainline}) has no commit: nothing is released, so there is nothing to export"
        ))
        .hint("commit the prompts, run `promptreg lock`, then export")
    })?;
    let history = ctx.history(&registry, &repo)?;
    let plan = lockfile::export_plan(
        lockfile::ExportSource {
            lock: &lock,
            lock_bytes: &lock_bytes,
            registry_commit: &registry_commit,
            history: &history,
        },
        &args.env,
        &repo,
    )?;
    files::replace_dir(&out, &plan.files)?;

    let manifest = &plan.manifest;
    Ok(match args.format {
        Format::Json => Output::json(manifest)?,
        Format::Human => {
            let table = output::table(
                &["prompt", "version", "weight", "file", "sha256"],
                manifest.files.iter().map(|f| {
                    vec![
                        f.name.clone(),
                        f.version.clone(),
                        weight(manifest.prompts.get(&f.name), &f.version),
                        f.path.clone(),
                        f.sha256[..f.sha256.len().min(12)].to_string(),
                    ]
                }),
            );
            Output::stdout(format!(
                "{table}Exported {} prompt(s) of environment `{}` to {shown} ({} file(s) and {}, registry commit {}); check it with `promptreg verify --against {shown}`\n",
                manifest.prompts.len(),
                args.env,
                manifest.files.len(),
                MANIFEST,
                short(&manifest.registry_commit),
            ))
        }
    })
}

/// The weight of `version` in a split pin (`90%`), or `-` for a single
/// pinned version.
fn weight(pin: Option<&Pin>, version: &str) -> String {
    match pin {
        Some(Pin::Split(s)) => s
            .split
            .iter()
            .find(|a| a.version == version)
            .map_or_else(|| "-".to_string(), |a| format!("{}%", a.weight)),
        _ => "-".to_string(),
    }
}

/// Refuses a destination that is a file, a non-empty directory without
/// `--force`, or one whose replacement would delete the registry, the
/// current directory or the prompts (or put exported files among them).
fn check_destination(
    out: &Path,
    shown: &str,
    force: bool,
    ctx: &Context,
    registry: &promptreg_core::registry::Registry,
) -> Result<()> {
    let root = resolve(&registry.root);
    let cwd = resolve(&ctx.cwd);
    if root.starts_with(out) || cwd.starts_with(out) {
        return Err(fail(format!(
            "refusing to export into {shown}: replacing it would delete the registry or the current directory"
        ))
        .hint("choose an output directory of its own, e.g. --out build/prompts")
        .into());
    }
    if out.starts_with(resolve(&registry.prompts_dir())) || out.starts_with(root.join(".git")) {
        return Err(fail(format!(
            "refusing to export into {shown}: it is inside the prompts directory or .git"
        ))
        .hint("choose an output directory outside prompts_dir, e.g. --out build/prompts")
        .into());
    }
    match std::fs::symlink_metadata(out) {
        Err(_) => Ok(()),
        Ok(meta) if !meta.is_dir() => Err(fail(format!("{shown} exists and is not a directory"))
            .hint("choose another --out")
            .into()),
        Ok(_) => {
            let empty = std::fs::read_dir(out)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false);
            if empty || force {
                Ok(())
            } else {
                Err(fail(format!("{shown} is not empty"))
                    .hint("pass --force to replace it (its old content is removed once the export is complete), or choose another --out")
                    .into())
            }
        }
    }
}

/// `path` made absolute with every link resolved, also when its last parts
/// do not exist yet (they are appended as written, `..` removing a part).
fn resolve(path: &Path) -> PathBuf {
    let parts: Vec<Component<'_>> = path.components().collect();
    for split in (0..=parts.len()).rev() {
        let head: PathBuf = parts[..split].iter().collect();
        let head = if head.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            head
        };
        if let Ok(mut real) = head.canonicalize() {
            for part in &parts[split..] {
                match part {
                    Component::ParentDir => {
                        real.pop();
                    }
                    Component::Normal(n) => real.push(n),
                    _ => {}
                }
            }
            return real;
        }
    }
    path.to_path_buf()
}
