use crate::cli::LogArgs;
use crate::context::Context;
use crate::history::{short, History, ReleasedVersion, Violation};
use crate::output::{self, Format, Output};
use anyhow::Result;
use promptreg_core::date::rfc3339;
use promptreg_core::error::fail;
use promptreg_core::name::PromptName;
use serde::Serialize;

/// One release in `log` output.
#[derive(Debug, Serialize)]
pub struct LogEntry<'a> {
    pub name: &'a PromptName,
    /// The release's version as text; serialised by `release`.
    #[serde(skip)]
    pub version: String,
    /// The changelog's date, else the release commit's time.
    pub date: String,
    /// The changelog's author, else the release commit's author.
    pub author: String,
    pub reason: Option<String>,
    #[serde(flatten)]
    pub release: &'a ReleasedVersion,
    /// Kinds of violation recorded at this version.
    pub violations: Vec<&'a Violation>,
}

/// `log --format json` and `log NAME --format json`: one shape, an object.
/// For the whole registry `name` and `present` are null.
#[derive(Debug, Serialize)]
struct LogDocument<'a> {
    name: Option<&'a PromptName>,
    /// False when the mainline no longer has the file; null for the registry.
    present: Option<bool>,
    /// The releases, newest first, after `--since`, `--author`, `--limit`.
    versions: Vec<LogEntry<'a>>,
    /// Every violation the mainline records (of NAME, or of every prompt).
    violations: Vec<&'a Violation>,
}

pub fn run(args: &LogArgs, ctx: &Context) -> Result<Output> {
    let registry = ctx.registry()?;
    let repo = ctx.repo(&registry)?;
    let only = args
        .name
        .as_deref()
        .map(crate::commands::parse_name)
        .transpose()?;
    let history = match &only {
        Some(name) => ctx.history_of(&registry, &repo, name)?,
        None => ctx.history(&registry, &repo)?,
    };
    let filter = Filter {
        since: args.since.as_deref().map(parse_since).transpose()?,
        author: args.author.as_ref().map(|a| a.to_lowercase()),
        limit: args.limit,
    };
    if only.is_none() && args.format == Format::Json {
        // Every release of the registry: written as it is serialised.
        return Ok(Output::streamed(move |out| {
            output::write_json(
                out,
                &LogDocument {
                    name: None,
                    present: None,
                    versions: filter.select(entries(&history, None)),
                    violations: history.violations.iter().collect(),
                },
            )
        }));
    }
    let entries = filter.select(entries(&history, only.as_ref()));
    match &args.name {
        Some(name) => {
            let name = crate::commands::parse_name(name)?;
            let Some(prompt) = history.get(&name) else {
                return Err(fail(format!(
                    "{name} has no released version on the mainline ({})",
                    ctx.mainline_rev(&registry)
                ))
                .hint("commit the prompt file to release it; `promptreg log` lists every release")
                .into());
            };
            let violations: Vec<&Violation> = history.violations_of(&name).collect();
            match args.format {
                Format::Json => Output::json(&LogDocument {
                    name: Some(&name),
                    present: Some(prompt.present),
                    versions: entries,
                    violations,
                }),
                Format::Human => {
                    let mut s = format!(
                        "{name}: {} released version(s){}\n",
                        prompt.versions.len(),
                        if prompt.present {
                            ""
                        } else {
                            " (deleted from the mainline)"
                        }
                    );
                    s.push_str(&table(&entries, false));
                    s.push_str(&violation_lines(&violations));
                    Ok(Output::stdout(s))
                }
            }
        }
        None => match args.format {
            // Answered above, streamed.
            Format::Json => Output::json(&LogDocument {
                name: None,
                present: None,
                versions: entries,
                violations: history.violations.iter().collect(),
            }),
            Format::Human if entries.is_empty() => {
                Ok(Output::stdout("No releases on the mainline yet.\n"))
            }
            Format::Human => {
                let all: Vec<&Violation> = history.violations.iter().collect();
                Ok(Output::stdout(
                    table(&entries, true) + &violation_lines(&all),
                ))
            }
        },
    }
}

/// `--since`, `--author` and `--limit`.
struct Filter {
    since: Option<i64>,
    /// Lower case.
    author: Option<String>,
    limit: Option<usize>,
}

impl Filter {
    fn select<'a>(&self, mut entries: Vec<LogEntry<'a>>) -> Vec<LogEntry<'a>> {
        if let Some(since) = self.since {
            entries.retain(|e| e.release.commit.time >= since);
        }
        if let Some(needle) = &self.author {
            entries.retain(|e| {
                e.author.to_lowercase().contains(needle)
                    || e.release
                        .commit
                        .author
                        .to_string()
                        .to_lowercase()
                        .contains(needle)
            });
        }
        if let Some(limit) = self.limit {
            entries.truncate(limit);
        }
        entries
    }
}

/// Releases newest first (by position on the mainline, then name, then version).
fn entries<'a>(history: &'a History, only: Option<&PromptName>) -> Vec<LogEntry<'a>> {
    let mut out = Vec::new();
    for (name, prompt) in &history.prompts {
        if only.is_some_and(|o| o != name) {
            continue;
        }
        for release in &prompt.versions {
            let version = release.version.to_string();
            out.push(LogEntry {
                name,
                date: release
                    .entry
                    .as_ref()
                    .map_or_else(|| rfc3339(release.commit.time), |e| e.date.clone()),
                author: release
                    .entry
                    .as_ref()
                    .map_or_else(|| release.commit.author.to_string(), |e| e.author.clone()),
                reason: release.entry.as_ref().map(|e| e.reason.clone()),
                violations: history
                    .violations
                    .iter()
                    .filter(|v| &v.name == name && v.version.as_deref() == Some(version.as_str()))
                    .collect(),
                version,
                release,
            });
        }
    }
    out.sort_by(|a, b| {
        b.release
            .mainline_position
            .cmp(&a.release.mainline_position)
            .then_with(|| a.name.cmp(b.name))
            .then_with(|| b.release.version.cmp(&a.release.version))
    });
    out
}

fn table(entries: &[LogEntry<'_>], with_name: bool) -> String {
    let mut header = vec!["version", "date", "author", "reason", "commit", "flags"];
    if with_name {
        header.insert(0, "prompt");
    }
    output::table(
        &header,
        entries.iter().map(|e| {
            let mut flags: Vec<String> = e
                .violations
                .iter()
                .map(|v| {
                    format!(
                        "{} in {}",
                        serde_json::to_value(v.kind)
                            .ok()
                            .and_then(|k| k.as_str().map(str::to_string))
                            .unwrap_or_default(),
                        short(&v.commit)
                    )
                })
                .collect();
            if e.release.entry.is_none() {
                flags.push("no changelog entry".into());
            }
            let mut row = vec![
                e.version.clone(),
                e.date.clone(),
                e.author.clone(),
                e.reason.clone().unwrap_or_default(),
                short(&e.release.commit.id).to_string(),
                flags.join("; "),
            ];
            if with_name {
                row.insert(0, e.name.to_string());
            }
            row
        }),
    )
}

fn violation_lines(violations: &[&Violation]) -> String {
    violations
        .iter()
        .map(|v| {
            format!(
                "violation: {} {}: {} (commit {})\n",
                v.name,
                v.version.as_deref().unwrap_or("?"),
                v.message,
                short(&v.commit)
            )
        })
        .collect()
}

/// `--since`: the moments `blame --at` reads, as seconds since the epoch.
fn parse_since(text: &str) -> Result<i64> {
    crate::history::lock_history::parse_moment(text).ok_or_else(|| {
        fail(format!("--since `{text}` is not a moment"))
            .hint(format!(
                "write {}",
                crate::history::lock_history::MOMENT_FORMATS
            ))
            .into()
    })
}
