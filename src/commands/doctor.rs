use crate::cli::DoctorArgs;
use crate::context::{cache_path, Context};
use crate::history::cache::{self, Health};
use crate::history::git::{self, Repo};
use crate::lockfile::{self, Freshness};
use crate::output::{self, Format, Output};
use crate::schemas;
use anyhow::Result;
use promptreg_core::prompt;
use promptreg_core::registry::{self, Registry};
use serde::Serialize;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Ok,
    Warning,
    Problem,
}

#[derive(Debug, Serialize)]
struct Check {
    check: &'static str,
    status: Status,
    detail: String,
    /// What to do, when something is wrong.
    fix: Option<String>,
}

fn check(
    check: &'static str,
    status: Status,
    detail: impl Into<String>,
    fix: Option<&str>,
) -> Check {
    Check {
        check,
        status,
        detail: detail.into(),
        fix: fix.map(str::to_string),
    }
}

pub fn run(args: &DoctorArgs, ctx: &Context) -> Result<Output> {
    let mut checks = Vec::new();
    let root = registry::find_root(&ctx.cwd)?;
    let config = match registry::read_config(&root)? {
        Ok(c) => {
            checks.push(check("config", Status::Ok, "promptreg.yaml is valid", None));
            Some(c)
        }
        Err(findings) => {
            checks.push(check(
                "config",
                Status::Problem,
                format!(
                    "promptreg.yaml has {} problem(s): {}",
                    findings.len(),
                    findings[0]
                ),
                Some("fix promptreg.yaml; `promptreg validate` lists every problem"),
            ));
            None
        }
    };
    let registry = Registry {
        root: root.clone(),
        config: config.clone().unwrap_or_default(),
    };
    match git::identity(&root) {
        Ok(who) => checks.push(check("git identity", Status::Ok, who.to_string(), None)),
        Err(_) => checks.push(check(
            "git identity",
            Status::Warning,
            "user.name or user.email is not set: `new` and `bump` cannot record who released a version",
            Some("git config --global user.name \"Your Name\" && git config --global user.email you@example.com"),
        )),
    }
    prompts_check(&registry, &mut checks)?;
    checks.push(temp_files_check(&registry));
    if let Err(e) = crate::context::refuse_nested_prompts_repository(&registry) {
        checks.push(check(
            "prompts repository",
            Status::Problem,
            format!("{e:#}"),
            Some("run promptreg inside that repository, or move the prompts into this one"),
        ));
    }
    schemas_check(&registry, args.fix, &mut checks)?;
    checks.push(match crate::history::blob_facts::helper_setting() {
        Ok(detail) => check("blob helper", Status::Ok, detail, None),
        Err(value) => check(
            "blob helper",
            Status::Warning,
            format!("PROMPTREG_BLOB_HELPER={value:?} is not a setting; it means auto"),
            Some("set PROMPTREG_BLOB_HELPER to off, auto or always, or unset it"),
        ),
    });

    match Repo::open(&root) {
        Err(e) => checks.push(check(
            "git repository",
            Status::Problem,
            format!("{e:#}"),
            Some("run `git init`"),
        )),
        Ok(repo) => {
            checks.push(check(
                "git repository",
                Status::Ok,
                repo.git_dir().display().to_string(),
                None,
            ));
            if repo.is_shallow() {
                checks.push(check(
                    "history depth",
                    Status::Problem,
                    "shallow clone: released versions cannot be known",
                    Some("git fetch --unshallow (GitHub Actions: actions/checkout with fetch-depth: 0)"),
                ));
            } else {
                checks.push(check("history depth", Status::Ok, "full history", None));
            }
            if config.is_some() && !repo.is_shallow() {
                history_checks(ctx, &registry, &repo, &mut checks)?;
            }
        }
    }
    let problem = checks.iter().any(|c| c.status == Status::Problem);
    let out = match args.format {
        Format::Json => Output::json(&checks)?,
        Format::Human => Output::stdout(output::table(
            &["check", "status", "detail", "fix"],
            checks.iter().map(|c| {
                vec![
                    c.check.to_string(),
                    match c.status {
                        Status::Ok => "ok".to_string(),
                        Status::Warning => "warning".to_string(),
                        Status::Problem => "PROBLEM".to_string(),
                    },
                    c.detail.clone(),
                    c.fix.clone().unwrap_or_default(),
                ]
            }),
        )),
    };
    Ok(out.with_code(u8::from(problem)))
}

fn prompts_check(registry: &Registry, checks: &mut Vec<Check>) -> Result<()> {
    let scan = registry.scan()?;
    let mut invalid = scan.problems.len();
    for name in &scan.prompts {
        let ok = registry
            .read_prompt(name)
            .is_ok_and(|b| prompt::check(&b).prompt.is_some());
        invalid += usize::from(!ok);
    }
    checks.push(if invalid == 0 {
        check(
            "prompt files",
            Status::Ok,
            format!("{} valid", scan.prompts.len()),
            None,
        )
    } else {
        check(
            "prompt files",
            Status::Problem,
            format!(
                "{invalid} of {} invalid",
                scan.prompts.len() + scan.problems.len()
            ),
            Some("`promptreg validate` says what to fix"),
        )
    });
    // Only a registry with partials has this row (docs/DESIGN.md §16).
    let graph = crate::partials::Graph::of_working_tree(registry)?;
    if !graph.partials.is_empty() {
        let unused = graph.unused();
        checks.push(if unused.is_empty() {
            check(
                "partials",
                Status::Ok,
                format!(
                    "{} partial(s), each included by a prompt",
                    graph.partials.len()
                ),
                None,
            )
        } else {
            check(
                "partials",
                Status::Warning,
                format!(
                    "{} of {} partial(s) included by no prompt: {}",
                    unused.len(),
                    graph.partials.len(),
                    unused.join(", ")
                ),
                Some("include them in a prompt, or delete them (their releases stay in history)"),
            )
        });
    }
    Ok(())
}

fn schemas_check(registry: &Registry, fix: bool, checks: &mut Vec<Check>) -> Result<()> {
    let stale_in = |dir: &std::path::Path| -> Vec<&str> {
        schemas::ALL
            .iter()
            .filter(|(_, file, text)| {
                std::fs::read_to_string(dir.join(file)).ok().as_deref() != Some(*text)
            })
            .map(|(_, file, _)| *file)
            .collect()
    };
    // A registry may keep the schemas where `init` writes them, or (like
    // promptreg's own repository) in `schemas/`.
    if let Some(found) = [schemas::DIR, "schemas"]
        .into_iter()
        .find(|d| stale_in(&registry.root.join(d)).is_empty())
    {
        checks.push(check(
            "editor schemas",
            Status::Ok,
            format!("{found}/ up to date"),
            None,
        ));
        return Ok(());
    }
    let dir = registry.root.join(schemas::DIR);
    let stale = stale_in(&dir);
    if stale.is_empty() {
        checks.push(check(
            "editor schemas",
            Status::Ok,
            format!("{} up to date", schemas::DIR),
            None,
        ));
    } else if fix {
        std::fs::create_dir_all(&dir)?;
        for (_, file, text) in schemas::ALL {
            crate::output::files::write_atomic(&dir.join(file), text.as_bytes())?;
        }
        checks.push(check(
            "editor schemas",
            Status::Ok,
            format!("wrote {}", stale.join(", ")),
            None,
        ));
    } else {
        checks.push(check(
            "editor schemas",
            Status::Warning,
            format!(
                "missing or outdated in {}: {}",
                schemas::DIR,
                stale.join(", ")
            ),
            Some("promptreg doctor --fix"),
        ));
    }
    Ok(())
}

fn history_checks(
    ctx: &Context,
    registry: &Registry,
    repo: &Repo,
    checks: &mut Vec<Check>,
) -> Result<()> {
    let rev = ctx.mainline_rev(registry);
    let path = cache_path(repo, &registry.config.prompts_dir, rev);
    let key = cache::Key {
        prompts_dir: repo.repo_path(&registry.config.prompts_dir),
    };
    checks.push(match cache::health(&path, &key) {
        Health::Valid { .. } => check(
            "history cache",
            Status::Ok,
            path.display().to_string(),
            None,
        ),
        Health::Missing => check(
            "history cache",
            Status::Ok,
            "none yet: built on the next history read",
            None,
        ),
        Health::Outdated => check(
            "history cache",
            Status::Ok,
            "from another promptreg version: rebuilt on next use",
            None,
        ),
        Health::Damaged => check(
            "history cache",
            Status::Warning,
            format!(
                "{} is damaged: it is ignored and rebuilt on next use",
                path.display()
            ),
            None,
        ),
    });
    if let Ok(Some(head)) = repo.resolve_commit(rev) {
        checks.push(commit_graph_check(repo, &head));
    }
    let history = match ctx.history(registry, repo) {
        Ok(h) => h,
        Err(e) => {
            checks.push(check(
                "history",
                Status::Problem,
                format!("{e:#}"),
                Some("run `git fsck`"),
            ));
            return Ok(());
        }
    };
    let versions: usize = history.prompts.values().map(|p| p.versions.len()).sum();
    checks.push(if history.violations.is_empty() {
        check(
            "history",
            Status::Ok,
            format!("{versions} released versions, no violations"),
            None,
        )
    } else {
        check(
            "history",
            Status::Warning,
            format!(
                "{} immutability violation(s) on the mainline",
                history.violations.len()
            ),
            Some("`promptreg log` shows them; released versions cannot be changed, bump instead"),
        )
    });
    checks.push(
        match lockfile::status(
            registry,
            &history,
            rev,
            repo,
            &mut crate::production::gates::ScoreGates::new(repo),
        ) {
            Err(e) => check(
                "lockfile",
                Status::Problem,
                format!("{e:#}"),
                Some("fix the environments in promptreg.yaml"),
            ),
            Ok(status) => match status.comparison.freshness {
                Freshness::UpToDate => {
                    check("lockfile", Status::Ok, "prompts.lock is up to date", None)
                }
                Freshness::Missing => check(
                    "lockfile",
                    Status::Warning,
                    "no prompts.lock",
                    Some("promptreg lock"),
                ),
                Freshness::OutOfDate => check(
                    "lockfile",
                    Status::Problem,
                    "prompts.lock is out of date",
                    Some("promptreg lock"),
                ),
            },
        },
    );
    Ok(())
}

/// Whether Git's commit-graph and its changed-path Bloom filters serve
/// history reads (docs/DESIGN.md §3, "The mainline from the commit-graph").
fn commit_graph_check(repo: &Repo, head: &str) -> Check {
    const WRITE: &str = "git commit-graph write --reachable --changed-paths";
    const GAIN: &str = "history reads inflate every mainline commit and read its tree; with \
         changed-path Bloom filters they skip the commits that leave the prompts alone \
         (measured on a 150,000-commit monorepo: a cold full history 1.6x faster, one \
         prompt's history 9x)";
    match repo.commit_graph_state(head) {
        git::CommitGraphState::Ready => check(
            "commit-graph",
            Status::Ok,
            "with changed-path Bloom filters, up to the mainline head",
            None,
        ),
        git::CommitGraphState::Behind => check(
            "commit-graph",
            Status::Ok,
            "with changed-path Bloom filters; the mainline head is newer, and the commits \
             since are read from their objects",
            None,
        ),
        git::CommitGraphState::Unused => check(
            "commit-graph",
            Status::Ok,
            "not used (core.commitGraph is false, or the history is grafted)",
            None,
        ),
        git::CommitGraphState::NoFilters => check(
            "commit-graph",
            Status::Warning,
            format!("no changed-path Bloom filters in the commit-graph: {GAIN}"),
            Some(WRITE),
        ),
        git::CommitGraphState::Missing => check(
            "commit-graph",
            Status::Warning,
            format!("no commit-graph: {GAIN}"),
            Some(WRITE),
        ),
    }
}

/// Temporary files an interrupted write left behind (`kill -9` between
/// creating `.promptreg-*.tmp` and renaming it): in the registry root and
/// under the prompts directory, where promptreg writes.
fn temp_files_check(registry: &Registry) -> Check {
    fn walk(dir: &std::path::Path, depth: usize, found: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_file() && name.starts_with(".promptreg-") && name.ends_with(".tmp") {
                found.push(entry.path());
            } else if kind.is_dir() && depth > 0 && name != ".git" {
                walk(&entry.path(), depth - 1, found);
            }
        }
    }
    let mut found = Vec::new();
    walk(&registry.root, 0, &mut found);
    walk(&registry.prompts_dir(), 32, &mut found);
    found.sort();
    found.dedup();
    if found.is_empty() {
        return check(
            "temporary files",
            Status::Ok,
            "none left by interrupted writes",
            None,
        );
    }
    let shown: Vec<String> = found
        .iter()
        .map(|p| {
            p.strip_prefix(&registry.root)
                .unwrap_or(p)
                .display()
                .to_string()
        })
        .collect();
    check(
        "temporary files",
        Status::Warning,
        format!(
            "{} left by an interrupted write: {}",
            found.len(),
            shown.join(", ")
        ),
        Some("no promptreg run is writing them: delete them (rm .promptreg-*.tmp)"),
    )
}
