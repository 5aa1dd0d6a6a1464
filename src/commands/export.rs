use crate::cli::ExportArgs;
use crate::context::Context;
use crate::lockfile;
use crate::output::files;
use crate::output::{self, Format, Output};
use anyhow::Result;
use promptreg_core::error::fail;
use std::path::{Component, Path, PathBuf};

pub fn run(args: &ExportArgs, ctx: &Context) -> Result<Output> {
    let registry = ctx.registry()?;
    let out = resolve(&ctx.cwd.join(&args.out));
    let shown = args.out.display().to_string();
    check_destination(&out, &shown, args.force, ctx, &registry)?;

    let repo = ctx.repo(&registry)?;
    let lock = lockfile::read_required(
        &registry.root.join(lockfile::FILE_NAME),
        "nothing to export",
    )?;
    let plan = lockfile::export_plan(&lock, &args.env, &repo)?;
    files::replace_dir(&out, &plan.files)?;

    Ok(match args.format {
        Format::Json => Output::json(&plan.manifest)?,
        Format::Human => {
            let table = output::table(
                &["prompt", "version", "file", "sha256"],
                plan.manifest.prompts.iter().map(|(name, e)| {
                    vec![
                        name.clone(),
                        e.version.clone(),
                        e.path.clone(),
                        e.sha256[..e.sha256.len().min(12)].to_string(),
                    ]
                }),
            );
            Output::stdout(format!(
                "{table}Exported {} prompt(s) of environment `{}` to {shown} (with {}); check it with `promptreg verify --against {shown}`\n",
                plan.manifest.prompts.len(),
                args.env,
                promptreg_core::manifest::MANIFEST
            ))
        }
    })
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
