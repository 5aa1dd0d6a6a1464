use crate::cli::RenderArgs;
use crate::context::Context;
use crate::output::{Format, Output, Paint};
use anyhow::Result;
use promptreg_core::error::fail;
use promptreg_core::prompt::Rendered;
use promptreg_core::registry::read_limited;
use std::collections::BTreeMap;

pub fn run(args: &RenderArgs, ctx: &Context) -> Result<Output> {
    let registry = ctx.registry()?;
    let reference = promptreg_core::reference::PromptRef::parse(&args.prompt)?;
    let name = &reference;
    let prompt = crate::lookup::load(ctx, &registry, &reference)?.prompt;
    let given = values(args, ctx)?;
    let rendered = prompt.render(&given).map_err(|e| {
        fail(format!("cannot render {name}: {e}"))
            .hint("give each required variable with --var KEY=VALUE or --vars-file FILE")
    })?;
    Ok(match args.format {
        Format::Json => Output::json(&rendered)?,
        Format::Human => Output::stdout(human(&rendered, Paint { enabled: ctx.color })),
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
                fail(format!("{}: {e}", file.display())).hint(
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

fn human(rendered: &Rendered, paint: Paint) -> String {
    match rendered {
        Rendered::Text(t) => {
            let mut s = t.clone();
            if !s.ends_with('\n') {
                s.push('\n');
            }
            s
        }
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
