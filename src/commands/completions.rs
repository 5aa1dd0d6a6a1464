//! `promptreg completions SHELL`: a completion script from the clap
//! definitions, so it cannot fall behind the commands.

use crate::cli::{Cli, CompletionsArgs, Shell};
use crate::context::Context;
use crate::output::Output;
use anyhow::Result;
use clap::CommandFactory;
use clap_complete::shells;

pub fn run(args: &CompletionsArgs, _ctx: &Context) -> Result<Output> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    let name = "promptreg";
    match args.shell {
        Shell::Bash => clap_complete::generate(shells::Bash, &mut command, name, &mut script),
        Shell::Zsh => clap_complete::generate(shells::Zsh, &mut command, name, &mut script),
        Shell::Fish => clap_complete::generate(shells::Fish, &mut command, name, &mut script),
        Shell::Powershell => {
            clap_complete::generate(shells::PowerShell, &mut command, name, &mut script)
        }
        Shell::Elvish => clap_complete::generate(shells::Elvish, &mut command, name, &mut script),
    }
    Ok(Output::stdout(
        String::from_utf8_lossy(&script).into_owned(),
    ))
}
