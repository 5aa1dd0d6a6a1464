use crate::cli::BumpArgs;
use crate::context::Context;
use crate::history::git;
use crate::output::{Format, Output};
use anyhow::Result;
use promptreg_core::bump::{next_version, rewrite, Level};
use promptreg_core::error::fail;
use promptreg_core::prompt::{self, ChangelogEntry};
use serde::Serialize;

/// What `bump` did (or, with `--dry-run`, would do).
#[derive(Debug, Serialize)]
struct BumpReport {
    name: String,
    path: String,
    /// The last released version the new one was computed from.
    released: Option<String>,
    version: String,
    /// A pending, uncommitted version this bump replaced.
    replaced_pending: Option<String>,
    dry_run: bool,
    /// With `auto`: the policy rules that decided the level.
    changes: Vec<promptreg_core::policy::Change>,
    commit: Option<String>,
    tag: Option<String>,
    diff: String,
}

pub fn run(args: &BumpArgs, ctx: &Context) -> Result<Output> {
    let registry = ctx.registry()?;
    let name = crate::commands::parse_name(&args.name)?;
    let reason = args.reason.trim();
    if reason.is_empty() {
        return Err(fail("the reason (-m) is empty")
            .hint("say why this version exists: -m \"Let callers choose the tone\"")
            .into());
    }
    let repo = ctx.repo(&registry)?;
    repo.ensure_no_operation_in_progress()?;
    let path = registry.relative_path(&name);
    let current = registry.load_prompt(&name)?;
    let author = git::identity(&registry.root)?;
    if args.tag && !args.commit {
        return Err(fail(
            "--tag needs --commit: the tag must point at a commit that carries the new version",
        )
        .hint(format!(
            "promptreg bump {name} {} -m ... --commit --tag",
            level_name(Level::from(args.level))
        ))
        .into());
    }
    if args.commit && !args.dry_run {
        let others = repo.other_staged_paths(&path)?;
        if !others.is_empty() {
            return Err(fail(format!(
                "other changes are staged ({}); --commit commits {path} alone",
                others.join(", ")
            ))
            .hint("commit or unstage them first (`git restore --staged PATH`)")
            .into());
        }
    }

    // HEAD as the history is read: `--commit` moves it only from here.
    let read_at = repo.head();
    let history = ctx.history_of(&registry, &repo, &name)?;
    let released = history
        .get(&name)
        .and_then(|h| h.latest(true))
        .map(|r| r.version.clone());
    let is_released =
        |v: &semver::Version| history.get(&name).is_some_and(|h| h.exact(v).is_some());
    // A version above the last release that the mainline has not seen, with
    // its own changelog entry, is a pending bump: a new bump replaces it.
    let pending = released.as_ref().is_some_and(|r| {
        current.version > *r
            && !is_released(&current.version)
            && current.file.changelog.first().map(|e| e.version.as_str())
                == Some(current.version.to_string().as_str())
    });
    let base = released.clone().unwrap_or_else(|| current.version.clone());
    let mut policy_changes = Vec::new();
    let level = if Level::from(args.level) == Level::Auto {
        let Some(last) = history.get(&name).and_then(|h| h.latest(true)) else {
            return Err(fail(format!(
                "{name} has never been released: `auto` has nothing to compare with"
            ))
            .hint(format!(
                "choose a level: promptreg bump {name} minor -m ..."
            ))
            .into());
        };
        let old = prompt::parse(&repo.read_blob(&last.blob)?).map_err(|f| {
            promptreg_core::registry::invalid_prompt(&format!("{path} ({})", last.version), &f)
        })?;
        // The composed interfaces (docs/DESIGN.md §16): the release with the
        // partials it renders with, the working tree with the working tree's.
        let interface = |prompt: &prompt::Prompt, origin: crate::lookup::Origin| {
            let loaded = crate::lookup::Loaded {
                prompt: prompt.clone(),
                origin,
                path: path.clone(),
            };
            crate::partials::of_loaded(ctx, &registry, &name, &loaded).map(|c| c.interface(prompt))
        };
        let old = interface(
            &old,
            crate::lookup::Origin::Released(Box::new(last.clone())),
        )?;
        let now = interface(&current, crate::lookup::Origin::WorkingTree)?;
        policy_changes =
            promptreg_core::policy::compare(&old.file, &now.file, &registry.config.bump_policy);
        match promptreg_core::policy::required(&policy_changes) {
            Some(required) => promptreg_core::policy::level_for(required, &base),
            None if args.allow_none => Level::Patch,
            None => {
                return Ok(Output::default()
                    .with_stderr(format!(
                        "{name}: no bump required: nothing of the interface or the text changed since {} (only the changelog or metadata)\nhint: pass --allow-none to release a patch anyway\n",
                        last.version
                    ))
                    .with_code(1))
            }
        }
    } else {
        Level::from(args.level)
    };
    let version = next_version(&base, level, &args.pre_id)?;
    if is_released(&version) {
        return Err(fail(format!("{name} {version} is already released"))
            .hint(format!(
                "`promptreg log {name}` lists the released versions"
            ))
            .into());
    }
    let entry = ChangelogEntry {
        version: version.to_string(),
        date: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        author: author.to_string(),
        reason: reason.to_string(),
    };
    let new_text = rewrite(&current.text, &version, &entry, pending)?;
    match prompt::parse(new_text.as_bytes()) {
        Ok(p) if p.version == version => {}
        _ => {
            return Err(fail(format!(
                "bumping {path} would leave it invalid; nothing was written"
            ))
            .hint("run `promptreg validate` and fix the file")
            .into())
        }
    }
    let diff = similar::TextDiff::from_lines(&current.text, &new_text)
        .unified_diff()
        .context_radius(1)
        .header(&path, &path)
        .to_string();

    let mut report = BumpReport {
        name: name.to_string(),
        path: path.clone(),
        released: released.as_ref().map(ToString::to_string),
        version: version.to_string(),
        replaced_pending: pending.then(|| current.version.to_string()),
        dry_run: args.dry_run,
        changes: policy_changes,
        commit: None,
        tag: None,
        diff,
    };
    if !args.dry_run {
        crate::output::files::write_atomic(&registry.path_of(&name), new_text.as_bytes())?;
        if args.commit {
            let one_line = reason.split_whitespace().collect::<Vec<_>>().join(" ");
            let message = format!(
                "{name} {version}: {one_line}\n\nPrompt: {name}\nPrompt-Version: {version}\nChange-Reason: {one_line}\n"
            );
            let committed = repo.commit_with_git(&git::CommitRequest {
                paths: &[&path],
                read: &[promptreg_core::config::FILE_NAME],
                message: &message,
                read_at: read_at.as_deref(),
                no_verify: args.no_verify,
            });
            let commit = match committed {
                Ok(commit) => commit,
                Err(e) => {
                    // Nothing stays written: the file is put back as it was.
                    return Err(
                        match crate::output::files::write_atomic(
                            &registry.path_of(&name),
                            current.text.as_bytes(),
                        ) {
                            Ok(()) => e.context(format!("{path} is left as it was")),
                            Err(undo) => e.context(format!(
                                "{path} holds the bumped text, and could not be put back: {undo:#}"
                            )),
                        },
                    );
                }
            };
            if args.tag {
                let tag = format!(
                    "{}{name}@{version}",
                    registry.config.tag_prefix.as_deref().unwrap_or("")
                );
                repo.tag(&tag, &commit, reason)?;
                report.tag = Some(tag);
            }
            report.commit = Some(commit);
        }
    }
    Ok(match args.format {
        Format::Json => Output::json(&report)?,
        Format::Human => Output::stdout(human(&report)),
    })
}

fn level_name(level: promptreg_core::bump::Level) -> String {
    serde_json::to_value(level)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn human(r: &BumpReport) -> String {
    let from = r.released.as_deref().unwrap_or("unreleased");
    let mut s = String::new();
    for c in &r.changes {
        s.push_str(&format!(
            "{}: {} ({})\n",
            promptreg_core::policy::level_name(c.level),
            c.message,
            c.rule
        ));
    }
    if let Some(pending) = &r.replaced_pending {
        s.push_str(&format!(
            "note: replaced the pending, uncommitted {pending} and its changelog entry; the new version is computed from the last released {from}\n"
        ));
    }
    if r.dry_run {
        s.push_str(&format!(
            "{} {from} → {} (dry run: nothing written)\n{}",
            r.name, r.version, r.diff
        ));
        return s;
    }
    s.push_str(&format!("{} {from} → {} ({})\n", r.name, r.version, r.path));
    if let Some(commit) = &r.commit {
        s.push_str(&format!("committed {}\n", crate::history::short(commit)));
    }
    if let Some(tag) = &r.tag {
        s.push_str(&format!("tagged {tag}\n"));
    }
    if r.commit.is_none() {
        s.push_str(&format!(
            "Next: review with `git diff {}`, then commit it.\n",
            r.path
        ));
    }
    s
}
