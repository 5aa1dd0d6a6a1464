use clap::Parser;
use promptreg::cli::Cli;
use promptreg::context::Context;
use promptreg::output::escape;
use promptreg_core::error::Failure;
use std::io::Write;
use std::process::ExitCode;

/// The command could not run (bad arguments, not a registry, unreadable file).
const COULD_NOT_RUN: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { COULD_NOT_RUN } else { 0 });
        }
    };
    let cwd = match &cli.directory {
        Some(dir) => dir.clone(),
        None => std::env::current_dir().unwrap_or_else(|_| ".".into()),
    };
    let ctx = Context {
        cwd,
        color: promptreg::output::use_color(cli.color),
        quiet: cli.quiet,
        git_ref: cli.git_ref.clone(),
        allow_shallow: cli.allow_shallow,
        fetch: cli.fetch || promptreg::context::running_in_ci(),
        no_cache: cli.no_cache,
        ..Context::default()
    };
    let color = ctx.color;
    let result = promptreg::commands::run(&cli.command, &ctx);
    // The process ends here: freeing the history (hundreds of thousands of
    // small strings on a large registry) would only cost time.
    std::mem::forget(ctx);
    match result {
        Ok(mut out) => {
            // `-q`: a successful run that only reports what it did says
            // nothing (its exit status does).
            if cli.quiet && out.code == 0 && cli.command.prints_a_summary() {
                out.stdout.clear();
            }
            // Human text from commits is escaped for the terminal; data is
            // written exactly (docs/DESIGN.md §13).
            let text = if out.data {
                escape::restore_style(&out.stdout, color)
            } else {
                escape::for_terminal(&out.stdout, color)
            };
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            let written = stdout
                .write_all(text.as_bytes())
                .and_then(|_| match out.stream {
                    Some(stream) => stream.write_to(&mut stdout),
                    None => Ok(()),
                })
                .and_then(|_| stdout.flush());
            to_stderr(&out.stderr);
            match written {
                // A closed pipe (`promptreg list | head`) is not an error.
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    report(&anyhow::Error::from(e).context("cannot write the output"));
                    ExitCode::from(COULD_NOT_RUN)
                }
                _ => ExitCode::from(out.code),
            }
        }
        Err(err) => {
            report(&err);
            ExitCode::from(COULD_NOT_RUN)
        }
    }
}

/// One line saying what failed, `caused by:` lines, then the hint.
fn report(err: &anyhow::Error) {
    let mut text = format!("error: {err}\n");
    for cause in err.chain().skip(1) {
        text.push_str(&format!("  caused by: {cause}\n"));
    }
    if let Some(hint) = err
        .chain()
        .find_map(|e| e.downcast_ref::<Failure>())
        .and_then(|f| f.hint.as_ref())
    {
        text.push_str(&format!("hint: {hint}\n"));
    }
    to_stderr(&text);
}

/// Writes human text to stderr, escaped; a closed or full stderr is ignored
/// (`eprint!` would panic), since there is nowhere left to say so.
fn to_stderr(text: &str) {
    if text.is_empty() {
        return;
    }
    let mut err = std::io::stderr().lock();
    let _ = err
        .write_all(escape::for_terminal(text, false).as_bytes())
        .and_then(|_| err.flush());
}
