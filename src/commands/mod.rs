//! One module per subcommand, all of the same shape:
//! `pub fn run(args: &XArgs, ctx: &Context) -> Result<Output>`.

pub mod blame;
pub mod bump;
pub mod check;
pub mod completions;
pub mod diff;
pub mod doctor;
pub mod export;
pub mod hook;
pub mod init;
pub mod list;
pub mod lock;
pub mod log;
pub mod man;
pub mod new;
pub mod pick;
pub mod promote;
pub mod render;
pub mod rollback;
pub mod schema;
pub mod score;
pub mod scores;
pub mod show;
pub mod status;
pub mod validate;
pub mod verify;

use crate::cli::Command;
use crate::context::Context;
use crate::output::Output;
use anyhow::Result;

/// Runs one command.
pub fn run(command: &Command, ctx: &Context) -> Result<Output> {
    match command {
        Command::Init(args) => init::run(args, ctx),
        Command::New(args) => new::run(args, ctx),
        Command::List(args) => list::run(args, ctx),
        Command::Show(args) => show::run(args, ctx),
        Command::Render(args) => render::run(args, ctx),
        Command::Validate(args) => validate::run(args, ctx),
        Command::Schema(args) => schema::run(args, ctx),
        Command::Log(args) => log::run(args, ctx),
        Command::Bump(args) => bump::run(args, ctx),
        Command::Status(args) => status::run(args, ctx),
        Command::Diff(args) => diff::run(args, ctx),
        Command::Lock(args) => lock::run(args, ctx),
        Command::Verify(args) => verify::run(args, ctx),
        Command::Export(args) => export::run(args, ctx),
        Command::Check(args) => check::run(args, ctx),
        Command::Hook(args) => hook::run(args, ctx),
        Command::Doctor(args) => doctor::run(args, ctx),
        Command::Promote(args) => promote::run(args, ctx),
        Command::Rollback(args) => rollback::run(args, ctx),
        Command::Pick(args) => pick::run(args, ctx),
        Command::Score(args) => score::run(args, ctx),
        Command::Scores(args) => scores::run(args, ctx),
        Command::Blame(args) => blame::run(args, ctx),
        Command::Completions(args) => completions::run(args, ctx),
        Command::Man(args) => man::run(args, ctx),
        Command::ReadBlobs(args) => {
            crate::history::blob_facts::serve(&args.git_dir)?;
            Ok(Output::default())
        }
    }
}

/// A prompt name from the command line, with the fix when it is not one.
pub fn parse_name(text: &str) -> Result<promptreg_core::name::PromptName> {
    promptreg_core::name::PromptName::parse(text).map_err(|e| {
        promptreg_core::error::fail(e.to_string())
            .hint("names are lowercase segments joined by `/`, e.g. support/triage; `promptreg list` shows them")
            .into()
    })
}
