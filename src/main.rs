use clap::Parser;
use promptreg::cli::Cli;
use promptreg::context::Context;
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
        color: promptreg::output::use_color(),
        git_ref: cli.git_ref.clone(),
        allow_shallow: cli.allow_shallow,
        no_cache: cli.no_cache,
        ..Context::default()
    };
    let result = promptreg::commands::run(&cli.command, &ctx);
    // The process ends here: freeing the history (hundreds of thousands of
    // small strings on a large registry) would only cost time.
    std::mem::forget(ctx);
    match result {
        Ok(out) => {
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            let written = stdout
                .write_all(out.stdout.as_bytes())
                .and_then(|_| match out.stream {
                    Some(stream) => stream.write_to(&mut stdout),
                    None => Ok(()),
                })
                .and_then(|_| stdout.flush());
            eprint!("{}", out.stderr);
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
    eprintln!("error: {err}");
    for cause in err.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
    if let Some(hint) = err
        .chain()
        .find_map(|e| e.downcast_ref::<Failure>())
        .and_then(|f| f.hint.as_ref())
    {
        eprintln!("hint: {hint}");
    }
}
