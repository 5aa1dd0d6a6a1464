//! Command-line interface: one struct per subcommand.

use crate::output::{ColorChoice, Format};
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
  promptreg bump support/triage auto -m \"Add a tone\" --commit
  promptreg log support/triage         who released what, when and why
  promptreg lock                       pin each environment in prompts.lock
  promptreg check --base origin/main   the CI gate

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

    /// In a shallow or partial clone, fetch the history and prompt blobs
    /// promptreg needs from the clone's remote (the default under CI=true).
    #[arg(long, global = true)]
    pub fetch: bool,

    /// Neither read nor write the history cache under .git/promptreg/.
    #[arg(long, global = true)]
    pub no_cache: bool,

    /// When to colour output: auto (on a terminal, unless NO_COLOR is set;
    /// CLICOLOR_FORCE=1 forces it), always or never.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub color: ColorChoice,

    /// Print no progress and no summary lines; errors and the data asked
    /// for still print.
    #[arg(short, long, global = true)]
    pub quiet: bool,

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
    Diff(DiffArgs),
    Lock(LockArgs),
    Verify(VerifyArgs),
    Export(ExportArgs),
    Check(CheckArgs),
    Hook(HookArgs),
    Doctor(DoctorArgs),
    Promote(PromoteArgs),
    Rollback(RollbackArgs),
    Pick(PickArgs),
    Score(ScoreArgs),
    Scores(ScoresArgs),
    Blame(BlameArgs),
    Completions(CompletionsArgs),
    Man(ManArgs),
    /// Internal: reads blobs for a history walk in another process.
    #[command(name = "__read-blobs", hide = true)]
    ReadBlobs(ReadBlobsArgs),
}

/// The shells `completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

/// Print a shell completion script.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg completions bash > ~/.local/share/bash-completion/completions/promptreg
  promptreg completions zsh > \"${fpath[1]}/_promptreg\"
  promptreg completions fish > ~/.config/fish/completions/promptreg.fish")]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Print the man page, promptreg(1), as roff.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg man | man -l -
  promptreg man > /usr/local/share/man/man1/promptreg.1")]
pub struct ManArgs {}

/// Arguments of the internal blob-reading helper (see `blob_facts`).
#[derive(Debug, Args)]
pub struct ReadBlobsArgs {
    /// The repository's Git directory.
    pub git_dir: PathBuf,
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
  promptreg new support/triage --chat -m \"First triage prompt\"
  promptreg new shared/voice --partial -m \"The voice every reply shares\"")]
pub struct NewArgs {
    /// The prompt's name: lowercase segments joined by `/` (support/triage).
    pub name: String,
    /// Write `messages:` (a chat prompt) instead of a single `template:`.
    #[arg(long, conflicts_with = "partial")]
    pub chat: bool,
    /// Write a partial: a shared block of text that prompts include with
    /// `{% include "NAME" %}`, never deployed on its own.
    #[arg(long)]
    pub partial: bool,
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
  promptreg render summarize/article --var title=\"Launch notes\" --var article=\"$(cat post.txt)\"
  promptreg render support/triage --vars-file ticket.json --format json
  promptreg render support/triage@1.3.0 --var ticket=\"Refund not received\"

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

impl Command {
    /// Whether a successful run prints only a summary of what it did (no
    /// data), which `-q/--quiet` drops: `lock`, `verify`, `validate`,
    /// `export`, `bump`, `promote`, `rollback`, `score`, `new` and `init`,
    /// in their human format. Failures and findings are always printed.
    pub fn prints_a_summary(&self) -> bool {
        let human = |f: &crate::output::Format| *f == crate::output::Format::Human;
        match self {
            Command::Lock(a) => human(&a.format),
            Command::Verify(a) => human(&a.format),
            Command::Validate(a) => human(&a.format),
            Command::Export(a) => human(&a.format),
            Command::Bump(a) => human(&a.format),
            Command::Promote(a) => human(&a.format),
            Command::Rollback(a) => human(&a.format),
            Command::Score(a) => human(&a.format),
            Command::New(_) | Command::Init(_) => true,
            _ => false,
        }
    }
}

/// `bump`'s LEVEL: how to move the version (npm's and Cargo's vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LevelArg {
    Major,
    Minor,
    Patch,
    Premajor,
    Preminor,
    Prepatch,
    Prerelease,
    /// The bump the change requires under the bump policy.
    Auto,
}

impl From<LevelArg> for promptreg_core::bump::Level {
    fn from(level: LevelArg) -> Self {
        use promptreg_core::bump::Level;
        match level {
            LevelArg::Major => Level::Major,
            LevelArg::Minor => Level::Minor,
            LevelArg::Patch => Level::Patch,
            LevelArg::Premajor => Level::Premajor,
            LevelArg::Preminor => Level::Preminor,
            LevelArg::Prepatch => Level::Prepatch,
            LevelArg::Prerelease => Level::Prerelease,
            LevelArg::Auto => Level::Auto,
        }
    }
}

/// Which JSON Schema to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    Prompt,
    Config,
    Lockfile,
    // `manifest.json` of a bundle written by `export`.
    Manifest,
}

/// Print a JSON Schema (prompt files, promptreg.yaml, prompts.lock, an export's manifest.json).
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
    /// Only releases at or after this moment: RFC 3339, or
    /// YYYY-MM-DD[ HH:MM[:SS]] (UTC), as `blame --at` reads.
    #[arg(long, value_name = "TIMESTAMP")]
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
  promptreg bump support/triage auto -m \"Add a locale variable\"   the bump the policy requires

The next version is computed from the last released version. A second bump
before the first is committed replaces the pending one (no skipped numbers).
Only the `version:` value and the new changelog entry change in the file;
comments, key order and quoting survive.")]
pub struct BumpArgs {
    /// The prompt to release.
    pub name: String,
    /// How to move the version.
    #[arg(value_enum)]
    pub level: LevelArg,
    /// Why this version exists (the changelog entry's reason).
    #[arg(short = 'm', long = "message", value_name = "REASON")]
    pub reason: String,
    /// With `auto`: bump patch when the change requires no bump, instead of refusing.
    #[arg(long)]
    pub allow_none: bool,
    /// The pre-release identifier for pre* levels.
    #[arg(long, default_value = "rc", value_name = "ID")]
    pub pre_id: String,
    /// Commit the file alone, with `Prompt:`/`Prompt-Version:`/`Change-Reason:` trailers.
    /// Runs `git commit`: hooks, signing, identity and dates as Git's own.
    #[arg(long)]
    pub commit: bool,
    /// With --commit: skip the pre-commit and commit-msg hooks, as `git commit --no-verify`.
    #[arg(long, requires = "commit")]
    pub no_verify: bool,
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

/// What changed between two versions of a prompt, and what bump it requires.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg diff support/triage                        working tree vs last released
  promptreg diff support/triage@1.3.0 support/triage@1.3.1
  promptreg diff support/triage@rev:main support/triage
  promptreg diff --base origin/main                    every prompt changed since a revision
  promptreg diff --base v1 --head v2 --stat

Prints the interface changes with the policy rule that fired and its level,
the required and the actual bump with a verdict, then the text diff.")]
pub struct DiffArgs {
    /// The old side (NAME or NAME@REF); alone, compared with... see above.
    pub old: Option<String>,
    /// The new side (NAME or NAME@REF).
    pub new: Option<String>,
    /// Compare every prompt that differs between REV and the working tree (or --head).
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// With --base: the new side is this revision instead of the working tree.
    #[arg(long, value_name = "REV", requires = "base")]
    pub head: Option<String>,
    /// One line per prompt.
    #[arg(long)]
    pub stat: bool,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// Resolve every environment and write prompts.lock.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg lock                 write prompts.lock, print what changed
  promptreg lock --locked        CI: fail (exit 1) when prompts.lock is out of date

Resolves each environment's requirements against released versions (never
the working tree) and writes prompts.lock atomically and deterministically.

Exit codes:
  0  written or up to date
  1  --locked: prompts.lock is stale, edited by hand, unreadable or missing
  2  could not run (invalid promptreg.yaml, unknown prompt, unsatisfiable requirement)")]
pub struct LockArgs {
    /// Change nothing; exit 1 with the differences when prompts.lock is stale.
    #[arg(long)]
    pub locked: bool,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// Check every pinned prompt's bytes against the lockfile.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg verify                            every pinned blob in Git
  promptreg verify --against deploy/prompts   a directory written by `export`

Checks each pinned entry's blob id, sha256, version and release commit on the
mainline; with --against, a bundle written by `export` against its
manifest.json (no Git needed): every listed file present at its place with
its sha256 and version, the manifest consistent, and no file it does not
list.

Exit codes:
  0  every pinned file matches
  1  a mismatch (SECURITY: ...), or a lockfile/manifest that does not parse
     (a manifest_version this promptreg does not read included)
  2  could not run (no prompts.lock, no manifest.json, not a registry)")]
pub struct VerifyArgs {
    /// Verify a directory written by `export` instead of Git objects.
    #[arg(long, value_name = "DIR")]
    pub against: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// Write the prompt files an environment pins, from Git objects.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg export --env production --out build/prompts
  promptreg export --env staging --out /srv/prompts --force --format json

Writes DIR/<name>@<version>.prompt.yaml for every version ENV pins in
prompts.lock (each arm of an A/B split included), from Git objects (checked
against the lockfile's blob id and sha256), and DIR/manifest.json
(`promptreg schema manifest`). The directory is built next to DIR and renamed
into place: a failure leaves no half-written bundle.

Exit codes:
  0  exported
  2  refused or could not run (no lockfile, unknown environment, tampered
     bytes, a path outside DIR, a non-empty DIR without --force)")]
pub struct ExportArgs {
    /// The environment to export.
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// The directory to write (created; must be empty unless --force).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace a non-empty DIR.
    #[arg(long)]
    pub force: bool,
    /// `json`: print the manifest.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// `check --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// A table per prompt and a summary line.
    Human,
    /// A stable JSON document (see the README).
    Json,
    /// GitHub Actions annotations (`::error file=...`), plus a step summary.
    Github,
    /// SARIF 2.1.0, for code-scanning dashboards (`upload-sarif`).
    Sarif,
    /// JUnit XML: one test case per prompt checked.
    Junit,
    /// GitLab's Code Quality report (`artifacts:reports:codequality`).
    Gitlab,
}

/// CI gate: refuse prompt changes without the right bump, reason or lockfile.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg check                                 working tree vs the last commit
  promptreg check --base origin/main --format github
  promptreg check --staged --no-lock              what a pre-commit hook runs
  promptreg check --base v1.0 --head v2.0 --format json
  promptreg check --format sarif --output promptreg.sarif   for upload-sarif
  promptreg check --format junit -o report.xml              JUnit for GitLab or Jenkins

The base defaults to the merge base of HEAD (or --head) with the registry
ref, or that commit itself when they are the same. Rule ids and what to do about each are
listed in the README.

Exit codes: 0 no errors (warnings allowed), 1 errors found (or warnings with
--strict), 2 could not run (bad revision, shallow clone, not a registry).")]
pub struct CheckArgs {
    /// The revision to compare with.
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Check this revision instead of the working tree.
    #[arg(long, value_name = "REV", conflicts_with = "staged")]
    pub head: Option<String>,
    /// Check the index (what `git commit` would record) instead of the working tree.
    #[arg(long)]
    pub staged: bool,
    /// Skip the lockfile freshness check.
    #[arg(long)]
    pub no_lock: bool,
    /// Treat warnings as errors.
    #[arg(long)]
    pub strict: bool,
    #[arg(long, value_enum, default_value = "human")]
    pub format: CheckFormat,
    /// Write the report to FILE (atomically) and the human summary to stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Install or remove the Git pre-commit hook that runs `promptreg check`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg hook install           .git/hooks/pre-commit runs `promptreg check --staged --no-lock`
  promptreg hook install --force   replace another pre-commit hook
  promptreg hook uninstall         remove it (only if promptreg installed it)
  promptreg hook run               what the pre-commit framework runs (see the README)")]
pub struct HookArgs {
    #[command(subcommand)]
    pub action: HookAction,
}

#[derive(Debug, Subcommand)]
pub enum HookAction {
    /// Write the pre-commit hook.
    Install {
        /// Replace an existing pre-commit hook that promptreg did not write.
        #[arg(long)]
        force: bool,
    },
    /// Remove the pre-commit hook promptreg wrote.
    Uninstall,
    /// Check what a hook run is about (the pre-commit framework's entry):
    /// the staged change under `git commit`; the PRE_COMMIT_FROM_REF..
    /// PRE_COMMIT_TO_REF range (pre-push, `--from-ref/--to-ref`); else, as
    /// with `pre-commit run --all-files` or under CI, the branch against
    /// the merge base with its upstream.
    Run,
}

/// Check the environment promptreg runs in and say what to fix.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg doctor
  promptreg doctor --fix           also write missing or outdated editor schemas
  promptreg doctor --format json

Checks: Git repository, Git identity, shallow clone, promptreg.yaml, prompt
files, history (immutability violations), history cache, lockfile, editor
schemas. Exits 1 when any check finds a problem (warnings alone exit 0).")]
pub struct DoctorArgs {
    /// Write the JSON Schemas under .promptreg/schemas/ when missing or outdated.
    #[arg(long)]
    pub fix: bool,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// Pin a released version in an environment: edit promptreg.yaml, relock.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg promote support/triage@1.3.0 --env production
  promptreg promote support/triage@1.3.0 --env production --commit
  promptreg promote support/triage@1.3.0 --env production --dry-run --format json
  promptreg promote support/triage@1.3.0 --env production --force --commit   past a failing gate

Sets ENV's requirement for NAME to exactly VERSION (\"=VERSION\") in
promptreg.yaml, changing no other byte of the file, then rewrites
prompts.lock and prints what it pins differently. When ENV has `gates:`, a
version whose latest scores miss a gate, or has no score for a gated metric,
is refused unless --force (recorded as a `Gate-Override:` trailer).

Exit codes:
  0  promoted (or already pinned)
  2  refused or could not run (not released, gate failed, flow-style map)")]
pub struct PromoteArgs {
    /// The prompt and version: NAME@VERSION (an exact released version).
    pub prompt: String,
    /// The environment to deploy it to.
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// Commit promptreg.yaml and prompts.lock, with `Prompt:`,
    /// `Prompt-Version:` and `Environment:` trailers (runs `git commit`).
    #[arg(long)]
    pub commit: bool,
    /// With --commit: skip the pre-commit and commit-msg hooks, as `git commit --no-verify`.
    #[arg(long, requires = "commit")]
    pub no_verify: bool,
    /// Promote even when the version fails the environment's gates.
    #[arg(long)]
    pub force: bool,
    /// Print what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// Pin the version an environment had before, or the newest one passing its gates.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg rollback support/triage --env production            the version pinned before this one
  promptreg rollback support/triage --env production --to 1.3.0 --commit
  promptreg rollback support/triage --env production --if-failing --commit   from a scheduled job

Without --to, the target is the version ENV pinned before the current one,
found by walking the mainline history of prompts.lock, newest first, until
the pin differs. With --if-failing, nothing happens while the pinned version
passes ENV's gates; when it fails them, the newest lower released version
that passes is pinned.

Exit codes:
  0  rolled back, or (--if-failing) nothing was needed
  1  --if-failing: no earlier version passes the gates
  2  refused or could not run (no earlier version, no lockfile, unknown env)")]
pub struct RollbackArgs {
    /// The prompt to roll back.
    pub name: String,
    /// The environment to roll back.
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// Pin this released version instead of the previous one.
    #[arg(long, value_name = "VERSION", conflicts_with = "if_failing")]
    pub to: Option<String>,
    /// Roll back only when the pinned version fails ENV's gates, to the
    /// newest earlier version that passes them.
    #[arg(long)]
    pub if_failing: bool,
    /// Commit promptreg.yaml and prompts.lock, with `Prompt:`,
    /// `Prompt-Version:` and `Environment:` trailers (runs `git commit`).
    #[arg(long)]
    pub commit: bool,
    /// With --commit: skip the pre-commit and commit-msg hooks, as `git commit --no-verify`.
    #[arg(long, requires = "commit")]
    pub no_verify: bool,
    /// Print what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// Print the version of a prompt a key (user or session id) gets in an environment.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg pick support/triage --env production --key user-42
  promptreg pick support/triage --env canary --key user-1 --key user-2 --format json

Reads prompts.lock. For a single pinned version, prints it. For an A/B
split: bucket = first 8 bytes of SHA-256(\"NAME\\nENV\\nKEY\") as a big-endian
u64, modulo 10000; the arms, by version ascending, take consecutive ranges
of weight × 100 buckets. The README gives a reference implementation.
With several --key, prints `KEY<TAB>VERSION` lines.")]
pub struct PickArgs {
    /// The prompt.
    pub name: String,
    /// The environment, as in prompts.lock.
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// The key to assign (repeatable).
    #[arg(long, value_name = "KEY", required = true)]
    pub key: Vec<String>,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// Record evaluation scores of a released version (a Git note on its release commit).
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg score support/triage@1.3.0 --metric accuracy=0.91 --samples 500 --source evals/v7
  promptreg score support/triage@latest --metric accuracy=0.88 --metric p95_latency_ms=820
  promptreg score --from outcomes.jsonl --source prod/2026-06-01

Appends one JSON line per metric to the note of refs/notes/promptreg on the
version's release commit (`git notes --ref promptreg show COMMIT` prints it).
Share scores with `git push origin refs/notes/promptreg`.

--from reads outcome records, one JSON object a line (blank lines skipped):
`prompt`, `version` (a released version), `metric` and `value` (a number)
are required, other keys are ignored. It records, per (prompt, version,
metric), the mean value with the number of lines as `samples`; the source
defaults to the file's name. A file with any bad line records nothing.")]
#[command(group(clap::ArgGroup::new("scored").required(true).args(["prompt", "from"])))]
pub struct ScoreArgs {
    /// The released version: NAME@VERSION, NAME@^1.2, NAME@latest.
    pub prompt: Option<String>,
    /// A score, METRIC=VALUE (repeatable).
    #[arg(
        long = "metric",
        value_name = "METRIC=VALUE",
        required_unless_present = "from",
        conflicts_with = "from"
    )]
    pub metrics: Vec<String>,
    /// Outcome records to aggregate, one JSON object a line (instead of
    /// NAME@VERSION --metric).
    #[arg(long, value_name = "FILE.jsonl")]
    pub from: Option<PathBuf>,
    /// Where the scores come from (an eval suite, a run id, a dashboard)
    /// [with --from, default: the file's name].
    #[arg(long, value_name = "TEXT")]
    pub source: Option<String>,
    /// How many examples the scores were computed on (with --from: the
    /// number of lines of each group).
    #[arg(long, value_name = "N", conflicts_with = "from")]
    pub samples: Option<u64>,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// Show the evaluation scores of a prompt's versions.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg scores support/triage
  promptreg scores support/triage --format json

One row per released version (newest first), one column per metric: the
latest value and its change against the previous version with that metric.")]
pub struct ScoresArgs {
    /// The prompt.
    pub name: String,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// Which version each environment pinned at a moment, and who pinned it.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  promptreg blame --at 2026-06-01T10:00:00Z
  promptreg blame --at \"2026-06-01 10:00\" --env production support/triage
  promptreg blame --at 2026-06-01 --format json

TIMESTAMP is RFC 3339 or YYYY-MM-DD[ HH:MM[:SS]] in UTC. The lockfile in
force is the one of the newest mainline commit whose committer time is at
or before TIMESTAMP; each pin shows the commit that set it, its author and
the changelog reason of the pinned version.

Exit codes:
  0  printed
  1  nothing was pinned then (before the first lockfile commit, or no match)
  2  could not run (bad timestamp, not a registry)")]
pub struct BlameArgs {
    /// The moment: RFC 3339, or YYYY-MM-DD[ HH:MM[:SS]] (UTC).
    #[arg(long, value_name = "TIMESTAMP")]
    pub at: String,
    /// Only this environment.
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// Only this prompt.
    pub name: Option<String>,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}
