use crate::cli::NewArgs;
use crate::context::Context;
use crate::history::git;
use crate::output::Output;
use crate::schemas;
use anyhow::{Context as _, Result};
use promptreg_core::error::fail;
use promptreg_core::name::PromptName;
use promptreg_core::prompt;
use promptreg_core::registry::Registry;
use promptreg_core::yaml::scalar;

pub fn run(args: &NewArgs, ctx: &Context) -> Result<Output> {
    let registry = ctx.registry()?;
    let name = PromptName::parse(&args.name).map_err(|e| {
        fail(e.to_string()).hint("names are lowercase segments joined by `/`, e.g. support/triage")
    })?;
    if args.reason.trim().is_empty() {
        return Err(fail("the reason (-m) is empty")
            .hint("say why the prompt exists, e.g. -m \"Triage support tickets\"")
            .into());
    }
    let path = registry.path_of(&name);
    if std::fs::symlink_metadata(&path).is_ok() {
        return Err(fail(format!(
            "prompt `{name}` already exists ({})",
            registry.relative_path(&name)
        ))
        .hint(format!(
            "edit the file, then `promptreg bump {name} minor -m REASON`"
        ))
        .into());
    }
    let author = git::identity(&registry.root)?;
    let date = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let schema_ref = ensure_schemas(&registry, &name)?;
    let text = if args.partial {
        partial_skeleton(&name, &schema_ref, &date, &author.to_string(), &args.reason)
    } else {
        skeleton(
            &name,
            args.chat,
            &schema_ref,
            &date,
            &author.to_string(),
            &args.reason,
        )
    };
    // What we write must pass our own rules.
    let created = match prompt::parse(text.as_bytes()) {
        Ok(created) => created,
        Err(findings) => {
            let list: Vec<String> = findings.iter().map(ToString::to_string).collect();
            return Err(fail(format!(
                "the new prompt would be invalid: {}",
                list.join("; ")
            ))
            .into());
        }
    };
    crate::output::files::create_new(&path, text.as_bytes())?;
    // The hint must be a command that works on the file as written: every
    // required variable gets a value.
    let mut try_it = format!("promptreg render {name}");
    for (var, decl) in &created.file.variables {
        if decl.is_required() {
            try_it.push_str(&format!(" --var {var}=hello"));
        }
    }
    if args.partial {
        return Ok(Output::stdout(format!(
            "Created partial {name} at 0.1.0 ({})\nNext: declare it in a prompt (`partials: {{{name}: \"^0.1\"}}`), include it with `{{% include \"{name}\" %}}`, then commit.\n",
            registry.relative_path(&name)
        )));
    }
    Ok(Output::stdout(format!(
        "Created {} at 0.1.0 ({})\nNext: edit it, `{try_it}` to try it, then commit.\n",
        name,
        registry.relative_path(&name)
    )))
}

/// A partial (docs/DESIGN.md §16): a text block, its variables, no model.
fn partial_skeleton(
    name: &PromptName,
    schema_ref: &str,
    date: &str,
    author: &str,
    reason: &str,
) -> String {
    format!(
        "# yaml-language-server: $schema={schema_ref}
version: 0.1.0
partial: true
description: {description}
variables:
  company:
    description: Who the text speaks for.
    default: Acme
template: |
  Speak for {{{{ company }}}}.
changelog:
  - version: 0.1.0
    date: \"{date}\"
    author: {author}
    reason: {reason}
",
        description = scalar(&format!("What {name} shares, in one sentence.")),
        author = scalar(author),
        reason = scalar(reason),
    )
}

/// Makes sure the registry has the schemas under `.promptreg/schemas/` and
/// returns the path of the prompt schema relative to the new file.
fn ensure_schemas(registry: &Registry, name: &PromptName) -> Result<String> {
    let dir = registry.root.join(schemas::DIR);
    for (_, file, text) in schemas::ALL {
        let path = dir.join(file);
        if !path.exists() {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    let depth = registry.relative_path(name).matches('/').count();
    Ok(format!(
        "{}{}/prompt.schema.json",
        "../".repeat(depth),
        schemas::DIR
    ))
}

fn skeleton(
    name: &PromptName,
    chat: bool,
    schema_ref: &str,
    date: &str,
    author: &str,
    reason: &str,
) -> String {
    let body = if chat {
        "messages:
  - role: system
    content: You are a helpful assistant.
  - role: user
    content: |
      {{ input }}
"
    } else {
        "template: |
  {{ input }}
"
    };
    format!(
        "# yaml-language-server: $schema={schema_ref}
version: 0.1.0
description: {description}
model:
  provider: openai
  name: gpt-4o-mini
  parameters:
    temperature: 0.2
variables:
  input:
    description: The text the prompt works on.
{body}changelog:
  - version: 0.1.0
    date: \"{date}\"
    author: {author}
    reason: {reason}
",
        description = scalar(&format!("What {name} does, in one sentence.")),
        author = scalar(author),
        reason = scalar(reason),
    )
}
