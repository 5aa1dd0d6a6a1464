//! `promptreg man`: the man page, promptreg(1), rendered by clap_mangen from
//! the same definitions as `--help`.

use crate::cli::{Cli, ManArgs};
use crate::context::Context;
use crate::output::Output;
use anyhow::Result;
use clap::CommandFactory;
use std::fmt::Write as _;

pub fn run(_args: &ManArgs, _ctx: &Context) -> Result<Output> {
    let mut page = Vec::new();
    let mut command = Cli::command();
    clap_mangen::Man::new(command.clone()).render(&mut page)?;
    let mut text = String::from_utf8_lossy(&page).into_owned();
    // Each subcommand's full help, so the page is complete without a
    // promptreg-SUBCOMMAND(1) page per command installed beside it.
    command.build();
    for sub in command.get_subcommands_mut().filter(|s| !s.is_hide_set()) {
        let name = format!("promptreg {}", sub.get_name());
        let mut sub = sub.clone().bin_name(&name);
        let help = sub.render_long_help().to_string();
        let _ = writeln!(text, ".SH \"{}\"\n.nf", name.to_uppercase());
        for line in help.lines() {
            text.push_str(&roff_line(line));
            text.push('\n');
        }
        text.push_str(".fi\n");
    }
    Ok(Output::stdout(text))
}

/// A line of text for a `.nf` block: backslashes escaped, and a leading
/// `.` or `'` kept from being read as a request.
fn roff_line(line: &str) -> String {
    let escaped = line.replace('\\', "\\e");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}
