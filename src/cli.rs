//! Command-line interface: one struct per subcommand.

use crate::output::Format;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  the command ran and found problems (invalid prompts, violations)
  2  the command could not run (bad arguments, not a registry, unreadable file)";

#[derive(Debug, Parser)]
#[command(
    name = "promptreg",
    version,
    about = "Turn a Git repository into a prompt registry: versioned prompts, bump policy, lockfiles.",
    after_help = format!("Examples:
  promptreg init                       make this directory a registry
  promptreg new support/triage --chat  create a chat prompt at 0.1.0
  promptreg list                       the prompts and their versions
  promptreg render support/triage --var ticket='Printer on fire'
  promptreg validate                   check every prompt file

{EXIT_CODES}")
)]
pub struct Cli {
    /// Run as if promptreg was started in DIR.
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub directory: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Init(InitArgs),
    New(NewArgs),
    List(ListArgs),
    Show(ShowArgs),
    Render(RenderArgs),
    Validate(ValidateArgs),
    Schema(SchemaArgs),
}

/// Make a directory a prompt registry (runs `git init` when needed).
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg init              make the current directory a registry
  promptreg init my-prompts   create my-prompts/ as a new registry")]
pub struct InitArgs {
    /// The directory to make a registry.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

/// Create a new prompt at version 0.1.0.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg new summarize/article
  promptreg new support/triage --chat -m \"First triage prompt\"")]
pub struct NewArgs {
    /// The prompt's name: lowercase segments joined by `/` (support/triage).
    pub name: String,
    /// Write `messages:` (a chat prompt) instead of a single `template:`.
    #[arg(long)]
    pub chat: bool,
    /// The first changelog entry's reason.
    #[arg(short = 'm', long = "message", default_value = "Initial version")]
    pub reason: String,
}

/// List the prompts in the working tree.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg list
  promptreg list --format json | jq '.[].name'")]
pub struct ListArgs {
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// `show --format`: the usual two, and the file as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    Human,
    Json,
    /// The file, byte for byte.
    Yaml,
}

/// Show a prompt's metadata and its template or messages.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg show support/triage
  promptreg show support/triage --format yaml   the file as stored")]
pub struct ShowArgs {
    /// The prompt (NAME).
    pub prompt: String,
    #[arg(long, value_enum, default_value = "human")]
    pub format: ShowFormat,
}

/// Render a prompt with values for its variables.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg render summarize/article --var article=\"$(cat post.txt)\"
  promptreg render support/triage --vars-file ticket.json --format json

Missing required variables and unknown variables are errors that list them
all; variables with a default may be left out.")]
pub struct RenderArgs {
    /// The prompt (NAME).
    pub prompt: String,
    /// A variable's value, as KEY=VALUE (repeatable).
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub vars: Vec<String>,
    /// A JSON or YAML file mapping variable names to values; --var wins.
    #[arg(long, value_name = "FILE")]
    pub vars_file: Option<PathBuf>,
    /// `json`: text prompts as a string, chat prompts as [{"role", "content"}].
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// Validate prompt files and promptreg.yaml; every problem with file:line:column.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg validate                    every prompt and promptreg.yaml
  promptreg validate support/triage     one prompt
  promptreg validate --format json

Exits 1 when any file is invalid; warnings alone exit 0.")]
pub struct ValidateArgs {
    /// Prompts to validate (default: all).
    pub names: Vec<String>,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// Which JSON Schema to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    Prompt,
    Config,
    Lockfile,
}

/// Print a JSON Schema (prompt files, promptreg.yaml, prompts.lock).
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg schema prompt > prompt.schema.json")]
pub struct SchemaArgs {
    #[arg(value_enum)]
    pub kind: SchemaKind,
}
