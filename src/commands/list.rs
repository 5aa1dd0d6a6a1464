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
}

pub fn run(args: &ListArgs, ctx: &Context) -> Result<Output> {
    let registry = ctx.registry()?;
    let scan = registry.scan()?;
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
            },
            None => ListedPrompt {
                name: name.to_string(),
                path,
                version: None,
                kind: None,
                variables: Vec::new(),
                description: None,
                valid: false,
            },
        });
    }
    let invalid = listed.iter().filter(|p| !p.valid).count() + scan.problems.len();
    let mut out = match args.format {
        Format::Json => Output::json(&listed)?,
        Format::Human if listed.is_empty() => {
            Output::stdout("No prompts yet. Create one with `promptreg new NAME`.\n")
        }
        Format::Human => Output::stdout(output::table(
            &["name", "version", "kind", "variables", "description"],
            listed.iter().map(|p| {
                vec![
                    p.name.clone(),
                    p.version.clone().unwrap_or_else(|| "invalid".into()),
                    match p.kind {
                        Some(Kind::Text) => "text".into(),
                        Some(Kind::Chat) => "chat".into(),
                        None => "-".into(),
                    },
                    p.variables.join(", "),
                    // Cut to fit a terminal; whole in a pipe or a file.
                    if output::stdout_is_terminal() {
                        cut(p.description.as_deref().unwrap_or(""), 60)
                    } else {
                        one_line(p.description.as_deref().unwrap_or(""))
                    },
                ]
            }),
        )),
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
