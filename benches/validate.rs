//! Where a cold history walk's per-blob time goes, stage by stage, on the
//! blobs of a real repository. `scripts/bench` runs it on each shape; run it
//! by hand with
//!
//! ```text
//! git -C REPO log --first-parent --format= --raw --no-abbrev -- prompts/ \
//!   | awk '$4 !~ /^0+$/ {print $4}' | sort -u \
//!   | cargo bench --bench validate -- REPO/.git
//! ```
//!
//! Each stage runs over every blob, one thread, after the blobs were read
//! once (so only the first stage reads Git). A stage runs `--rounds N`
//! times (default 3) and the fastest round is printed, since on a shared
//! machine the noise only ever adds time:
//!
//! - `read`: libgit2 inflating every blob (what `git cat-file --batch` does);
//! - `utf8 + limits`: the size, encoding and emptiness checks made before
//!   the YAML parser starts;
//! - `yaml events`: the YAML parser alone, into nothing (`IgnoredAny`): the
//!   least any validation with this parser costs;
//! - `yaml typed`: the parse into the prompt file's fields;
//! - `prompt::check`: the parse and every rule of docs/DESIGN.md §2;
//! - `facts_of`: what the walk takes of a blob (the check, its SHA-256, its
//!   version and changelog entry).
//!
//! Prints one line per stage: total ms, µs per blob and MB/s (of the
//! fastest round).

use std::io::BufRead;
use std::time::Instant;

fn main() {
    let usage = || -> ! {
        eprintln!("usage: cargo bench --bench validate -- GIT_DIR [--rounds N] < blob-ids");
        std::process::exit(2);
    };
    let mut args = std::env::args().skip(1);
    let (mut git_dir, mut rounds) = (None, 3usize);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rounds" => {
                rounds = match args.next().and_then(|n| n.parse().ok()) {
                    Some(n) if n > 0 => n,
                    _ => usage(),
                }
            }
            // `cargo bench` passes `--bench` to every bench target.
            "--bench" => {}
            _ if arg.starts_with('-') => usage(),
            _ => git_dir = Some(arg),
        }
    }
    let Some(git_dir) = git_dir else {
        // A bare `cargo bench` has nothing to measure: say how, and pass.
        eprintln!(
            "validate: no GIT_DIR given, nothing measured \
             (scripts/bench runs it on each benchmark shape)"
        );
        return;
    };
    let repo = promptreg::history::git::Repo::open_objects(std::path::Path::new(&git_dir))
        .unwrap_or_else(|e| {
            eprintln!("validate: {e:#}");
            std::process::exit(2);
        });
    let ids: Vec<String> = std::io::stdin()
        .lock()
        .lines()
        .map_while(Result::ok)
        .filter(|l| !l.trim().is_empty())
        .collect();
    let read_all = || {
        ids.iter()
            .map(|id| {
                repo.with_blob(id, <[u8]>::to_vec).unwrap_or_else(|e| {
                    eprintln!("validate: blob {id}: {e:#}");
                    std::process::exit(2);
                })
            })
            .collect::<Vec<Vec<u8>>>()
    };
    let mut read = f64::INFINITY;
    let mut blobs = Vec::new();
    for _ in 0..rounds {
        let start = Instant::now();
        blobs = read_all();
        read = read.min(start.elapsed().as_secs_f64());
    }
    let bytes: usize = blobs.iter().map(Vec::len).sum();
    println!(
        "{} blobs, {:.1} MB (the distinct prompt-file blobs of the mainline)",
        blobs.len(),
        bytes as f64 / 1e6
    );
    let report = |stage: &str, seconds: f64| {
        println!(
            "  {stage:<15} {:>8.0} ms  {:>7.1} µs/blob  {:>6.1} MB/s",
            seconds * 1e3,
            seconds * 1e6 / blobs.len().max(1) as f64,
            bytes as f64 / 1e6 / seconds
        );
    };
    report("read", read);
    let time = |f: &dyn Fn(&[u8]) -> bool| {
        (0..rounds)
            .map(|_| {
                let start = Instant::now();
                let kept = blobs.iter().filter(|b| f(b)).count();
                std::hint::black_box(kept);
                start.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    };
    use promptreg_core::yaml;
    report("utf8 + limits", time(&|b| yaml::text_of(b).is_ok()));
    report(
        "yaml events",
        time(&|b| {
            yaml::text_of(b).is_ok_and(|t| yaml::from_str::<serde::de::IgnoredAny>(t).is_ok())
        }),
    );
    report(
        "yaml typed",
        time(&|b| {
            yaml::text_of(b)
                .is_ok_and(|t| yaml::from_str::<promptreg_core::prompt::PromptFile>(t).is_ok())
        }),
    );
    report(
        "prompt::check",
        time(&|b| promptreg_core::prompt::check(b).prompt.is_some()),
    );
    report(
        "facts_of",
        time(&|b| {
            promptreg::history::blob_facts::facts_of(b)
                .unusable
                .is_none()
        }),
    );
}
