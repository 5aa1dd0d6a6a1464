use crate::cli::DiffArgs;
use crate::context::Context;
use crate::history::git::Repo;
use crate::lookup::{self, Origin};
use crate::output::{Format, Output, Paint};
use anyhow::Result;
use promptreg_core::diff::{self, Hunk, PromptDiff, Side, Status};
use promptreg_core::error::fail;
use promptreg_core::name::{PromptName, SUFFIX};
use promptreg_core::policy::level_name;
use promptreg_core::prompt::{self, Prompt};
use promptreg_core::reference::{PromptRef, Selector};
use promptreg_core::registry::{invalid_prompt, Registry};
use std::collections::BTreeMap;

pub fn run(args: &DiffArgs, ctx: &Context) -> Result<Output> {
    let registry = ctx.registry()?;
    let overrides = &registry.config.bump_policy;
    let diffs =
        match (&args.base, &args.old, &args.new) {
            (Some(base), None, None) => by_revision(ctx, &registry, base, args.head.as_deref())?,
            (Some(_), _, _) => return Err(fail(
                "--base compares every prompt; it takes no prompt names",
            )
            .hint("promptreg diff --base origin/main, or promptreg diff NAME@OLD NAME@NEW")
            .into()),
            (None, Some(old), new) => {
                let old_ref = PromptRef::parse(old)?;
                let (old_ref, new_ref) = match new {
                    Some(new) => (old_ref, PromptRef::parse(new)?),
                    // One reference: it against the working tree; a bare name:
                    // the last released version against the working tree.
                    None if old_ref.selector == Selector::WorkingTree => (
                        PromptRef {
                            name: old_ref.name.clone(),
                            selector: Selector::LatestPre,
                        },
                        old_ref,
                    ),
                    None => {
                        let wt = PromptRef {
                            name: old_ref.name.clone(),
                            selector: Selector::WorkingTree,
                        };
                        (old_ref, wt)
                    }
                };
                vec![by_reference(ctx, &registry, &old_ref, &new_ref, overrides)?]
            }
            (None, None, _) => {
                return Err(fail("name a prompt or pass --base REV")
                    .hint("promptreg diff support/triage, or promptreg diff --base origin/main")
                    .into())
            }
        };
    let paint = Paint { enabled: ctx.color };
    Ok(match args.format {
        Format::Json => Output::json(&diffs)?,
        Format::Human if args.stat => Output::stdout(stat(&diffs)),
        Format::Human => Output::stdout(human(&diffs, paint)),
    })
}

fn side(reference: &PromptRef, prompt: &Prompt, origin: &Origin) -> Side {
    Side {
        reference: reference.to_string(),
        version: prompt.version.to_string(),
        origin: origin.describe(),
    }
}

fn by_reference(
    ctx: &Context,
    registry: &Registry,
    old: &PromptRef,
    new: &PromptRef,
    overrides: &indexmap::IndexMap<String, promptreg_core::policy::BumpLevel>,
) -> Result<PromptDiff> {
    let new_loaded = lookup::load(ctx, registry, new)?;
    // The last released version of a prompt never released: it is all new.
    let never_released = old.selector == Selector::LatestPre && {
        let repo = ctx.repo(registry)?;
        let history = ctx.history_of(registry, &repo, &old.name)?;
        history
            .get(&old.name)
            .and_then(|h| h.latest(true))
            .is_none()
    };
    let old_loaded = if never_released {
        None
    } else {
        Some(lookup::load(ctx, registry, old)?)
    };
    let name = if old.name == new.name {
        new.name.to_string()
    } else {
        format!("{} → {}", old.name, new.name)
    };
    // The policy judges the composed interface (docs/DESIGN.md §16): each
    // side with the partials it renders with.
    let interface = |loaded: &lookup::Loaded,
                     r: &PromptRef|
     -> Result<promptreg_core::prompt::Prompt> {
        Ok(crate::partials::of_loaded(ctx, registry, &r.name, loaded)?.interface(&loaded.prompt))
    };
    let old_interface = old_loaded.as_ref().map(|l| interface(l, old)).transpose()?;
    let new_interface = interface(&new_loaded, new)?;
    Ok(diff::compare(
        &name,
        old_loaded
            .as_ref()
            .zip(old_interface.as_ref())
            .map(|(l, p)| (p, side(old, &l.prompt, &l.origin))),
        Some((
            &new_interface,
            side(new, &new_loaded.prompt, &new_loaded.origin),
        )),
        overrides,
    ))
}

/// Every prompt whose bytes differ between `base` and the working tree (or `head`).
fn by_revision(
    ctx: &Context,
    registry: &Registry,
    base: &str,
    head: Option<&str>,
) -> Result<Vec<PromptDiff>> {
    let repo = ctx.repo(registry)?;
    let dir = &registry.config.prompts_dir;
    let commit = |rev: &str| -> Result<String> {
        repo.resolve_commit(rev)?.ok_or_else(|| {
            fail(format!(
                "`{rev}` names no commit: the repository has none yet"
            ))
            .into()
        })
    };
    let base_commit = commit(base)?;
    let base_files: BTreeMap<String, String> = repo
        .list_files(&base_commit, dir, SUFFIX)?
        .into_iter()
        .collect();
    // The new side: (path → (blob, bytes)) for a revision or the working tree.
    let mut head_files: BTreeMap<String, (String, Option<Vec<u8>>)> = BTreeMap::new();
    let head_commit = match head {
        Some(rev) => {
            let c = commit(rev)?;
            for (path, blob) in repo.list_files(&c, dir, SUFFIX)? {
                head_files.insert(path, (blob, None));
            }
            Some(c)
        }
        None => {
            for name in registry.scan()?.prompts {
                let bytes = registry.read_prompt(&name)?;
                head_files.insert(name.file_name(), (Repo::hash_blob(&bytes)?, Some(bytes)));
            }
            None
        }
    };
    let mut paths: Vec<&String> = base_files.keys().chain(head_files.keys()).collect();
    paths.sort();
    paths.dedup();
    let label = |rev: &str, commit: &str| format!("rev:{rev} ({})", crate::history::short(commit));
    let mut out = Vec::new();
    for path in paths {
        let Some(Ok(name)) = PromptName::from_relative_path(path) else {
            continue;
        };
        let old_blob = base_files.get(path);
        let new_entry = head_files.get(path);
        if old_blob.is_some() && old_blob == new_entry.map(|(b, _)| b) {
            continue;
        }
        let shown = registry.relative_path(&name);
        let parse = |bytes: Vec<u8>, origin: String| -> Result<Prompt> {
            prompt::parse(&bytes).map_err(|f| invalid_prompt(&format!("{shown} ({origin})"), &f))
        };
        let old = match old_blob {
            Some(blob) => Some(parse(repo.read_blob(blob)?, label(base, &base_commit))?),
            None => None,
        };
        let new = match (new_entry, &head_commit) {
            (Some((_, Some(bytes))), _) => Some(parse(bytes.clone(), "working tree".into())?),
            (Some((blob, None)), Some(c)) => Some(parse(
                repo.read_blob(blob)?,
                label(head.unwrap_or("HEAD"), c),
            )?),
            _ => None,
        };
        let side_of = |p: &Prompt, rev: Option<(&str, &str)>| Side {
            reference: match rev {
                Some((r, _)) => format!("{name}@rev:{r}"),
                None => name.to_string(),
            },
            version: p.version.to_string(),
            origin: rev.map_or_else(|| "working tree".to_string(), |(r, c)| label(r, c)),
        };
        // Composed interfaces (docs/DESIGN.md §16), each side with its
        // own tree's partials; a side that does not compose is judged alone.
        let composed = |p: &Prompt, at: Option<&str>| -> Prompt {
            if p.file.partials.is_empty() {
                return p.clone();
            }
            let result = match at {
                Some(c) => promptreg_core::compose::compose(
                    name.as_str(),
                    p,
                    &mut crate::partials::at_commit(&repo, registry, c),
                    "at the revision",
                ),
                None => promptreg_core::compose::compose(
                    name.as_str(),
                    p,
                    &mut promptreg_core::registry::working_tree_partials(registry),
                    "in the working tree",
                ),
            };
            result.map_or_else(|_| p.clone(), |c| c.interface(p))
        };
        let old_interface = old.as_ref().map(|p| composed(p, Some(&base_commit)));
        let new_interface = new.as_ref().map(|p| composed(p, head_commit.as_deref()));
        out.push(diff::compare(
            name.as_str(),
            old.as_ref()
                .zip(old_interface.as_ref())
                .map(|(p, i)| (i, side_of(p, Some((base, &base_commit))))),
            new.as_ref()
                .zip(new_interface.as_ref())
                .map(|(p, i)| (i, side_of(p, head.zip(head_commit.as_deref())))),
            &registry.config.bump_policy,
        ));
    }
    Ok(out)
}

fn stat(diffs: &[PromptDiff]) -> String {
    if diffs.is_empty() {
        return "No prompt changed.\n".into();
    }
    let mut s = String::new();
    for d in diffs {
        let versions = match (&d.old, &d.new) {
            (Some(a), Some(b)) => format!("{} → {}", a.version, b.version),
            (None, Some(b)) => format!("new at {}", b.version),
            (Some(a), None) => format!("deleted (was {})", a.version),
            (None, None) => String::new(),
        };
        let verdict = match (&d.status, &d.verdict) {
            (Status::Identical, _) => "identical".to_string(),
            (_, Some(v)) => format!(
                "{} change(s), requires {}, {}",
                d.changes.len(),
                d.required.map_or("no bump", level_name),
                v.describe()
            ),
            _ => String::new(),
        };
        s.push_str(&format!("{}  {versions}  {verdict}\n", d.name).replace("   ", "  "));
    }
    s
}

fn human(diffs: &[PromptDiff], paint: Paint) -> String {
    if diffs.is_empty() {
        return "No prompt changed.\n".into();
    }
    let mut s = String::new();
    for (i, d) in diffs.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        let label = |side: &Option<Side>| {
            side.as_ref()
                .map(|x| format!("{} ({})", x.version, x.origin))
                .unwrap_or_else(|| "—".into())
        };
        s.push_str(&paint.bold(&format!(
            "{}  {} → {}",
            d.name,
            label(&d.old),
            label(&d.new)
        )));
        s.push('\n');
        match d.status {
            Status::Identical => {
                s.push_str("identical: no difference between the two versions\n");
                continue;
            }
            Status::Added => s.push_str("new prompt: any starting version is fine\n"),
            Status::Deleted => s.push_str("prompt deleted\n"),
            Status::Changed => {
                if d.changes.is_empty() {
                    s.push_str(
                        "interface changes: none (only the changelog or metadata changed)\n",
                    );
                } else {
                    s.push_str("interface changes:\n");
                    let width = d.changes.iter().map(|c| c.rule.len()).max().unwrap_or(0);
                    for c in &d.changes {
                        let level = level_name(c.level);
                        let level = match c.level {
                            promptreg_core::policy::BumpLevel::Major => paint.red(level),
                            promptreg_core::policy::BumpLevel::Minor => paint.yellow(level),
                            promptreg_core::policy::BumpLevel::Patch => paint.green(level),
                        };
                        s.push_str(&format!("  {level:5}  {:width$}  {}\n", c.rule, c.message));
                    }
                }
                let actual = d
                    .actual
                    .map(|a| {
                        serde_json::to_value(a)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default()
                    })
                    .unwrap_or_default();
                let verdict = d
                    .verdict
                    .as_ref()
                    .map(|v| {
                        let text = v.describe();
                        if v.is_ok() {
                            paint.green(&text)
                        } else {
                            paint.red(&text)
                        }
                    })
                    .unwrap_or_default();
                s.push_str(&format!(
                    "required bump: {}   actual bump: {actual}   verdict: {verdict}\n",
                    d.required.map_or("none", level_name)
                ));
            }
        }
        for hunk in &d.hunks {
            s.push_str(&render_hunk(hunk, paint));
        }
    }
    s
}

fn render_hunk(hunk: &Hunk, paint: Paint) -> String {
    let mut s = paint.cyan(&format!("{} {}", hunk.header, hunk.part));
    s.push('\n');
    for line in &hunk.lines {
        let body = if paint.enabled && !line.segments.is_empty() {
            line.segments
                .iter()
                .map(|(emph, text)| match (emph, line.tag) {
                    (true, "-") => paint.reverse_red(text),
                    (true, _) => paint.reverse_green(text),
                    (false, "-") => paint.red(text),
                    (false, _) => paint.green(text),
                })
                .collect::<String>()
        } else {
            match line.tag {
                "-" => paint.red(&line.text),
                "+" => paint.green(&line.text),
                _ => line.text.clone(),
            }
        };
        let tag = match line.tag {
            "-" => paint.red("-"),
            "+" => paint.green("+"),
            _ => " ".to_string(),
        };
        s.push_str(&format!("{tag}{body}\n"));
    }
    s
}
