use crate::cli::RenderArgs;
use crate::context::Context;
use crate::output::{Format, Output, Paint};
use anyhow::Result;
use promptreg_core::error::fail;
use promptreg_core::prompt::{RenderError, Rendered};
use promptreg_core::registry::read_limited;
use std::collections::BTreeMap;

pub fn run(args: &RenderArgs, ctx: &Context) -> Result<Output> {
    let registry = ctx.registry()?;
    let reference = promptreg_core::reference::PromptRef::parse(&args.prompt)?;
    let name = &reference;
    let loaded = crate::lookup::load(ctx, &registry, &reference)?;
    let composition = crate::partials::of_loaded(ctx, &registry, &reference.name, &loaded)?;
    let given = values(args, ctx)?;
    let rendered = composition
        .render(&loaded.prompt, &given)
        .map_err(|e| fail(format!("cannot render {name}: {e}")).hint(hint_for(&e)))?;
    Ok(match args.format {
        Format::Json => Output::json(&rendered)?,
        // The rendering is data: its exact bytes, never escaped (§13).
        Format::Human => Output::data(human(&rendered, Paint { enabled: ctx.color })),
    })
}

/// Values from `--vars-file`, then `--var` (which wins).
fn values(args: &RenderArgs, ctx: &Context) -> Result<BTreeMap<String, serde_json::Value>> {
    let mut values = BTreeMap::new();
    if let Some(file) = &args.vars_file {
        let path = ctx.cwd.join(file);
        let bytes = read_limited(&path)?;
        let text = promptreg_core::yaml::text_of(&bytes)
            .map_err(|e| fail(format!("{}: {e}", file.display())))?;
        // JSON is YAML, so one parser reads both.
        let map: BTreeMap<String, serde_json::Value> = promptreg_core::yaml::from_str(text)
            .map_err(|e| {
                // The parser's message may quote the file's content (all of
                // it, for a file that is one scalar): name the place instead.
                let at = e.location.map_or_else(String::new, |l| {
                    format!(" (line {}, column {})", l.line, l.column)
                });
                let why = match e.message.find('"') {
                    Some(i) => format!("{}…", e.message[..i].trim_end()),
                    None => e.message.clone(),
                };
                fail(format!("{}{at}: {why}", file.display())).hint(
                    "the vars file must map variable names to values, e.g. {\"ticket\": \"...\"}",
                )
            })?;
        values.extend(map);
    }
    for pair in &args.vars {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(fail(format!("--var `{pair}` is not KEY=VALUE"))
                .hint("write --var ticket='Printer on fire'")
                .into());
        };
        if !promptreg_core::prompt::is_identifier(key) {
            return Err(fail(format!("--var `{pair}`: `{key}` is not a variable name")).into());
        }
        values.insert(
            key.to_string(),
            serde_json::Value::String(value.to_string()),
        );
    }
    Ok(values)
}

/// A hint that fits the error: what to give for a missing variable, what
/// to drop or respell for an unknown one, where to look for a template error.
fn hint_for(error: &RenderError) -> String {
    match error {
        RenderError::Variables {
            missing,
            unknown,
            declared,
        } => {
            let mut hints = Vec::new();
            if !missing.is_empty() {
                let vars: Vec<String> = missing.iter().map(|m| format!("--var {m}=VALUE")).collect();
                hints.push(format!(
                    "give each required variable: {} (or --vars-file FILE)",
                    vars.join(" ")
                ));
            }
            if !unknown.is_empty() {
                if declared.is_empty() {
                    hints.push(format!(
                        "the prompt declares no variables: drop {}",
                        unknown
                            .iter()
                            .map(|u| format!("--var {u}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                } else {
                    let suggestions: Vec<String> = unknown
                        .iter()
                        .filter_map(|u| {
                            declared
                                .iter()
                                .map(|d| (strsim::jaro_winkler(u, d), d))
                                .filter(|(score, _)| *score > 0.8)
                                .max_by(|a, b| a.0.total_cmp(&b.0))
                                .map(|(_, d)| format!("`{d}` for `{u}`"))
                        })
                        .collect();
                    let mut hint = format!(
                        "pass only declared variables ({}); drop or rename {}",
                        declared.join(", "),
                        unknown
                            .iter()
                            .map(|u| format!("--var {u}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                    if !suggestions.is_empty() {
                        hint.push_str(&format!(" (did you mean {}?)", suggestions.join(", ")));
                    }
                    hints.push(hint);
                }
            }
            hints.join("; ")
        }
        RenderError::Template { path, .. } => format!(
            "the template `{path}` fails while rendering: `promptreg validate` checks its syntax and placeholders"
        ),
    }
}

/// Text prompts print exactly the rendered text: `render NAME > file`
/// gives the bytes `--format json` carries, with no newline added.
fn human(rendered: &Rendered, paint: Paint) -> String {
    match rendered {
        Rendered::Text(t) => t.clone(),
        Rendered::Chat(messages) => {
            let mut s = String::new();
            for (i, m) in messages.iter().enumerate() {
                if i > 0 {
                    s.push('\n');
                }
                s.push_str(&paint.cyan(&format!("── {} ──", m.role)));
                s.push('\n');
                s.push_str(&m.content);
                if !m.content.ends_with('\n') {
                    s.push('\n');
                }
            }
            s
        }
    }
}
