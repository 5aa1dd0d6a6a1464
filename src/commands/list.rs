use crate::cli::ListArgs;
use crate::context::Context;
use crate::output::{self, Format, Output};
use anyhow::Result;
use promptreg_core::prompt::{self, Kind};
use serde::Serialize;

/// One row of `list`.
#[derive(Debug, Serialize)]
pub struct ListedPrompt {
    pub name: String,
    pub path: String,
    /// `null` when the file is invalid.
    pub version: Option<String>,
    pub kind: Option<Kind>,
    pub variables: Vec<String>,
    pub description: Option<String>,
    pub valid: bool,
    /// A partial: included by prompts, never deployed alone (docs/DESIGN.md §16).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// The partials this file includes, name → requirement.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub partials: std::collections::BTreeMap<String, String>,
    /// For a partial: the files that include it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub used_by: Vec<String>,
}

pub fn run(args: &ListArgs, ctx: &Context) -> Result<Output> {
    let registry = ctx.registry()?;
    let scan = registry.scan()?;
    let graph = crate::partials::Graph::of_working_tree(&registry)?;
    let mut listed = Vec::new();
    for name in &scan.prompts {
        let path = registry.relative_path(name);
        let checked = registry
            .read_prompt(name)
            .map(|bytes| prompt::check(&bytes));
        listed.push(match checked.ok().and_then(|c| c.prompt) {
            Some(p) => ListedPrompt {
                name: name.to_string(),
                path,
                version: Some(p.version.to_string()),
                kind: Some(p.kind()),
                variables: p.file.variables.keys().cloned().collect(),
                description: p.file.description.clone(),
                valid: true,
                partial: p.file.partial,
                partials: p
                    .file
                    .partials
                    .iter()
                    .map(|(n, r)| (n.clone(), r.0.clone()))
                    .collect(),
                used_by: if p.file.partial {
                    graph.users(name.as_str())
                } else {
                    Vec::new()
                },
            },
            None => ListedPrompt {
                name: name.to_string(),
                path,
                version: None,
                kind: None,
                variables: Vec::new(),
                description: None,
                valid: false,
                partial: false,
                partials: Default::default(),
                used_by: Vec::new(),
            },
        });
    }
    let invalid = listed.iter().filter(|p| !p.valid).count() + scan.problems.len();
    let mut out = match args.format {
        Format::Json => Output::json(&listed)?,
        Format::Human if listed.is_empty() => {
            Output::stdout("No prompts yet. Create one with `promptreg new NAME`.\n")
        }
        Format::Human => {
            // The partials column only in a registry that has partials.
            let composed = !graph.is_empty();
            let mut header = vec!["name", "version", "kind", "variables"];
            if composed {
                header.push("partials / used by");
            }
            header.push("description");
            Output::stdout(output::table(
                &header,
                listed.iter().map(|p| {
                    let mut row = vec![
                        p.name.clone(),
                        p.version.clone().unwrap_or_else(|| "invalid".into()),
                        match p.kind {
                            _ if p.partial => "partial".into(),
                            Some(Kind::Text) => "text".into(),
                            Some(Kind::Chat) => "chat".into(),
                            None => "-".into(),
                        },
                        p.variables.join(", "),
                    ];
                    if composed {
                        row.push(if p.partial {
                            if p.used_by.is_empty() {
                                "used by: none".to_string()
                            } else {
                                format!("used by: {}", p.used_by.join(", "))
                            }
                        } else {
                            p.partials
                                .iter()
                                .map(|(n, r)| format!("{n} {r}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        });
                    }
                    // Cut to fit a terminal; whole in a pipe or a file.
                    row.push(if output::stdout_is_terminal() {
                        cut(p.description.as_deref().unwrap_or(""), 60)
                    } else {
                        one_line(p.description.as_deref().unwrap_or(""))
                    });
                    row
                }),
            ))
        }
    };
    if invalid > 0 {
        out = out.with_stderr(format!(
            "warning: {invalid} prompt file(s) are invalid; `promptreg validate` says why\n"
        ));
    }
    Ok(out)
}

/// `text` on one line: its lines joined with spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first line of `text`, at most `width` characters, with `…` when cut.
pub fn cut(text: &str, width: usize) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    if line.chars().count() <= width && !text.trim().contains('\n') {
        line.to_string()
    } else {
        let kept: String = line.chars().take(width.saturating_sub(1)).collect();
        format!("{}…", kept.trim_end())
    }
}
