use crate::cli::InitArgs;
use crate::context::Context;
use crate::history::git;
use crate::output::Output;
use crate::schemas;
use anyhow::{Context as _, Result};
use promptreg_core::config;
use promptreg_core::error::fail;

pub fn run(args: &InitArgs, ctx: &Context) -> Result<Output> {
    let dir = ctx.cwd.join(&args.dir);
    let config_path = dir.join(config::FILE_NAME);
    if config_path.exists() {
        return Err(fail(format!(
            "{} already exists; refusing to overwrite it",
            config_path.display()
        ))
        .hint("this directory is already a registry: `promptreg list` shows its prompts")
        .into());
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut said = Vec::new();
    if !git::is_repository(&dir) {
        git::init(&dir)?;
        said.push(format!("Initialized a Git repository in {}", dir.display()));
    }
    let schema_dir = dir.join(schemas::DIR);
    std::fs::create_dir_all(&schema_dir)
        .with_context(|| format!("cannot create {}", schema_dir.display()))?;
    for (_, file, text) in schemas::ALL {
        let path = schema_dir.join(file);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let prompts = dir.join("prompts");
    std::fs::create_dir_all(&prompts)
        .with_context(|| format!("cannot create {}", prompts.display()))?;
    // Written last: its presence is what makes the directory a registry.
    crate::output::files::write_atomic(&config_path, config::INITIAL.as_bytes())?;
    said.push(format!(
        "Created a prompt registry in {} ({}, prompts/, {}/)",
        dir.display(),
        config::FILE_NAME,
        schemas::DIR
    ));
    said.push("Next: `promptreg new NAME` to write your first prompt.".into());
    Ok(Output::stdout(said.join("\n") + "\n"))
}
