use crate::cli::{ShowArgs, ShowFormat};
use crate::context::Context;
use crate::output::{Output, Paint};
use anyhow::Result;
use promptreg_core::name::PromptName;
use promptreg_core::prompt::{Kind, Prompt};
use serde::Serialize;
use std::fmt::Write as _;

/// `show --format json`: the prompt's fields plus where it comes from.
#[derive(Debug, Serialize)]
struct Shown<'a> {
    name: &'a str,
    path: &'a str,
    /// "working tree", "released in abc1234" or "rev:main (abc1234)".
    origin: String,
    kind: Kind,
    #[serde(flatten)]
    file: &'a promptreg_core::prompt::PromptFile,
    /// The partials it renders with, transitively: name → version, as
    /// resolved for this origin (docs/DESIGN.md §16).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    resolved_partials: std::collections::BTreeMap<String, String>,
    /// For a partial in the working tree: the files that include it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    used_by: Vec<String>,
}

pub fn run(args: &ShowArgs, ctx: &Context) -> Result<Output> {
    let registry = ctx.registry()?;
    let reference = promptreg_core::reference::PromptRef::parse(&args.prompt)?;
    let name = reference.name.clone();
    let loaded = crate::lookup::load(ctx, &registry, &reference)?;
    // What it renders with; a composition that fails is shown, not fatal.
    let composed = crate::partials::of_loaded(ctx, &registry, &name, &loaded)
        .map(|c| c.versions())
        .map_err(|e| format!("{e:#}"));
    let used_by = if loaded.prompt.file.partial {
        crate::partials::Graph::of_working_tree(&registry)?.users(name.as_str())
    } else {
        Vec::new()
    };
    let (prompt, path) = (loaded.prompt, loaded.path);
    match args.format {
        ShowFormat::Yaml => Ok(Output::data(prompt.text.clone())),
        ShowFormat::Json => Output::json(&Shown {
            name: name.as_str(),
            path: &path,
            origin: loaded.origin.describe(),
            kind: prompt.kind(),
            file: &prompt.file,
            resolved_partials: composed.clone().unwrap_or_default(),
            used_by: used_by.clone(),
        }),
        ShowFormat::Human => Ok(Output::stdout(human(
            &name,
            &format!("{path}, {}", loaded.origin.describe()),
            &prompt,
            (&composed, &used_by),
            Paint { enabled: ctx.color },
        ))),
    }
}

#[allow(clippy::type_complexity)] // the composition as `show` found it
fn human(
    name: &PromptName,
    path: &str,
    prompt: &Prompt,
    (composed, used_by): (
        &Result<std::collections::BTreeMap<String, String>, String>,
        &[String],
    ),
    paint: Paint,
) -> String {
    let f = &prompt.file;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} {}  {}",
        paint.bold(name.as_str()),
        paint.green(&prompt.version.to_string()),
        paint.dim(path)
    );
    if let Some(d) = &f.description {
        let _ = writeln!(s, "{}", d.trim_end());
    }
    s.push('\n');
    if let Some(m) = &f.model {
        let params: Vec<String> = m
            .parameters
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let _ = write!(s, "model:     {}/{}", m.provider, m.name);
        if !params.is_empty() {
            let _ = write!(s, " ({})", params.join(", "));
        }
        s.push('\n');
    }
    if let Some(o) = &f.output {
        let _ = writeln!(
            s,
            "output:    {}{}",
            serde_json::to_value(o.format)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            if o.schema.is_some() {
                " (with schema)"
            } else {
                ""
            }
        );
    }
    if !f.variables.is_empty() {
        let _ = writeln!(s, "variables:");
        let width = f.variables.keys().map(String::len).max().unwrap_or(0);
        for (n, v) in &f.variables {
            let need = match &v.default {
                None => "required".to_string(),
                Some(d) => format!("default {d}"),
            };
            let _ = writeln!(
                s,
                "  {n:width$}  {need}  {}",
                v.description.as_deref().unwrap_or("").trim()
            );
        }
    }
    if !f.partials.is_empty() {
        let _ = writeln!(s, "partials:");
        for (n, r) in &f.partials {
            let resolved = match composed {
                Ok(versions) => versions
                    .get(n)
                    .map_or_else(String::new, |v| format!(" → {v}")),
                Err(_) => String::new(),
            };
            let _ = writeln!(s, "  {n}  {}{resolved}", r.0);
        }
        match composed {
            Ok(versions) => {
                let indirect: Vec<String> = versions
                    .iter()
                    .filter(|(n, _)| !f.partials.contains_key(*n))
                    .map(|(n, v)| format!("{n} {v}"))
                    .collect();
                if !indirect.is_empty() {
                    let _ = writeln!(s, "  through them: {}", indirect.join(", "));
                }
            }
            Err(e) => {
                let _ = writeln!(s, "  {}", paint.dim(&format!("(unresolved: {e})")));
            }
        }
    }
    if f.partial {
        let _ = writeln!(
            s,
            "partial:   used by {}",
            if used_by.is_empty() {
                "no prompt".to_string()
            } else {
                used_by.join(", ")
            }
        );
    }
    let _ = writeln!(s, "changelog:");
    for e in &f.changelog {
        let _ = writeln!(
            s,
            "  {}  {}  {}  {}",
            e.version,
            e.date,
            e.author,
            e.reason.trim()
        );
    }
    s.push('\n');
    match (&f.template, &f.messages) {
        (Some(t), _) => {
            let _ = writeln!(s, "{}", paint.cyan("── template ──"));
            s.push_str(t);
            if !t.ends_with('\n') {
                s.push('\n');
            }
        }
        (None, messages) => {
            for m in messages.iter().flatten() {
                let _ = writeln!(s, "{}", paint.cyan(&format!("── {} ──", m.role.as_str())));
                s.push_str(&m.content);
                if !m.content.ends_with('\n') {
                    s.push('\n');
                }
            }
        }
    }
    s
}
