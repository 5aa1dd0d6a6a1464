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

    /// The Git revision whose first-parent history is the mainline
    /// [default: `ref:` in promptreg.yaml, else HEAD].
    #[arg(long = "ref", global = true, value_name = "REV")]
    pub git_ref: Option<String>,

    /// Accept the incomplete history of a shallow clone.
    #[arg(long, global = true)]
    pub allow_shallow: bool,

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
    Log(LogArgs),
    Bump(BumpArgs),
    Status(StatusArgs),
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

const VERSION_REFS: &str = "\
Version references:
  NAME              the file in the working tree
  NAME@1.2.0        exactly that released version
  NAME@^1.2         the highest released version matching a SemVer requirement
  NAME@latest       the highest released version (no pre-releases)
  NAME@rev:REV      the file at any commit, tag or branch";

/// Show a prompt's metadata and its template or messages.
#[derive(Debug, Args)]
#[command(after_help = format!("Examples:
  promptreg show support/triage
  promptreg show support/triage --format yaml   the file as stored
  promptreg show support/triage@^1              the newest released 1.x
  promptreg show support/triage@rev:main~3

{VERSION_REFS}"))]
pub struct ShowArgs {
    /// The prompt: NAME or NAME@VERSION-REFERENCE.
    pub prompt: String,
    #[arg(long, value_enum, default_value = "human")]
    pub format: ShowFormat,
}

/// Render a prompt with values for its variables.
#[derive(Debug, Args)]
#[command(after_help = format!("Examples:
  promptreg render summarize/article --var article=\"$(cat post.txt)\"
  promptreg render support/triage --vars-file ticket.json --format json
  promptreg render support/triage@1.0.0 --var ticket=...

Missing required variables and unknown variables are errors that list them
all; variables with a default may be left out.

{VERSION_REFS}"))]
pub struct RenderArgs {
    /// The prompt: NAME or NAME@VERSION-REFERENCE.
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

/// Show released versions: who released what, when and why.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg log support/triage            every version of one prompt, newest first
  promptreg log                           every release in the registry (audit log)
  promptreg log --since 2026-01-01 --author ada --limit 20
  promptreg log support/triage --format json

A version is released when a mainline commit (first-parent history of the
ref) carries it; its release commit is the oldest such commit. Violations
(content changed without a bump, a version reused or going backwards) are
flagged with the commit that made them.")]
pub struct LogArgs {
    /// One prompt (default: every release in the registry).
    pub name: Option<String>,
    /// Only releases at or after this date (2026-01-31 or RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only releases whose author contains this text (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub author: Option<String>,
    /// At most this many releases.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// Release a new version: rewrite `version:` and add a changelog entry.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg bump support/triage minor -m \"Let callers choose the tone\"
  promptreg bump support/triage patch -m \"Fix a typo\" --commit --tag
  promptreg bump support/triage prerelease --pre-id beta -m \"Try a new system message\"
  promptreg bump support/triage major -m \"Rename ticket to body\" --dry-run

The next version is computed from the last released version. A second bump
before the first is committed replaces the pending one (no skipped numbers).
Only the `version:` value and the new changelog entry change in the file;
comments, key order and quoting survive.")]
pub struct BumpArgs {
    /// The prompt to release.
    pub name: String,
    /// How to move the version.
    #[arg(value_enum)]
    pub level: crate::bump::Level,
    /// Why this version exists (the changelog entry's reason).
    #[arg(short = 'm', long = "message", value_name = "REASON")]
    pub reason: String,
    /// The pre-release identifier for pre* levels.
    #[arg(long, default_value = "rc", value_name = "ID")]
    pub pre_id: String,
    /// Commit the file alone, with `Prompt:`/`Prompt-Version:`/`Change-Reason:` trailers.
    #[arg(long)]
    pub commit: bool,
    /// Create the annotated tag NAME@VERSION (prefix: `tag_prefix` in promptreg.yaml).
    #[arg(long)]
    pub tag: bool,
    /// Print the new version and the changed lines; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// For each prompt: working-tree version, last released version, state.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg status
  promptreg status --format json

States: clean (the released bytes), modified (changed, version not bumped),
unreleased (bumped, not yet on the mainline), new (never released),
deleted (released, gone from the working tree), invalid, violation (the
working-tree version is lower than a released one).")]
pub struct StatusArgs {
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}
