use crate::cli::ScoreArgs;
use crate::context::Context;
use crate::history::git;
use crate::history::short;
use crate::output::{Format, Output};
use crate::production::scores::{self, format_number, Outcomes, ScoreRecord, NOTES_REF};
use anyhow::Result;
use promptreg_core::error::fail;
use promptreg_core::name::PromptName;
use promptreg_core::reference::{PromptRef, Selector};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::BufRead as _;
use std::path::Path;

/// `score --format json`.
#[derive(Debug, Serialize)]
struct ScoreReport<'a> {
    prompt: &'a str,
    version: String,
    /// The release commit whose note holds the records.
    commit: &'a str,
    notes_ref: &'static str,
    records: &'a [ScoreRecord],
}

/// `score --from FILE --format json`.
#[derive(Debug, Serialize)]
struct FromReport<'a> {
    /// The file, as given.
    from: &'a str,
    notes_ref: &'static str,
    /// The outcome records read (lines that are not blank).
    outcomes: u64,
    /// What was recorded, per released version.
    versions: Vec<VersionRecords<'a>>,
}

#[derive(Debug, Serialize)]
struct VersionRecords<'a> {
    prompt: &'a str,
    version: &'a str,
    commit: &'a str,
    records: &'a [ScoreRecord],
}

pub fn run(args: &ScoreArgs, ctx: &Context) -> Result<Output> {
    match (&args.from, &args.prompt) {
        (Some(file), _) => from_file(file, args, ctx),
        (None, Some(prompt)) => one_version(prompt, args, ctx),
        (None, None) => Err(fail(
            "say what to score: NAME@VERSION --metric M=V, or --from FILE.jsonl",
        )
        .hint("e.g. promptreg score support/triage@1.3.0 --metric accuracy=0.91")
        .into()),
    }
}

fn one_version(prompt_arg: &str, args: &ScoreArgs, ctx: &Context) -> Result<Output> {
    let registry = ctx.registry()?;
    let reference = PromptRef::parse(prompt_arg)?;
    let name = &reference.name;
    if matches!(
        reference.selector,
        Selector::WorkingTree | Selector::Revision(_)
    ) {
        return Err(fail(format!(
            "`{prompt_arg}`: scores belong to a released version"
        ))
        .hint(format!(
            "write {name}@1.2.0 (or @latest); `promptreg log {name}` lists the released versions"
        ))
        .into());
    }
    let mut metrics: Vec<(String, f64)> = Vec::new();
    for text in &args.metrics {
        let (metric, value) = scores::parse_metric(text)?;
        if metrics.iter().any(|(m, _)| *m == metric) {
            return Err(fail(format!("metric `{metric}` is given twice"))
                .hint("pass each metric once per run")
                .into());
        }
        metrics.push((metric, value));
    }
    if metrics.is_empty() {
        return Err(fail(format!("no score given for {prompt_arg}"))
            .hint("pass --metric METRIC=VALUE (repeatable), or --from FILE.jsonl")
            .into());
    }
    let source = given_source(args);
    let author = git::identity(&registry.root)?;
    let repo = ctx.repo(&registry)?;
    // One prompt's history: walked alone when no cache answers (docs/DESIGN.md §3).
    let history = ctx.history_of(&registry, &repo, name)?;
    let mainline = ctx.mainline_rev(&registry);
    let prompt = crate::production::deploy::released_prompt(&history, name, mainline)?;
    let release = match &reference.selector {
        Selector::Exact(v) => prompt.exact(v),
        Selector::Requirement(r) => prompt.matching(r),
        Selector::Latest => prompt.latest(false),
        Selector::LatestPre => prompt.latest(true),
        Selector::WorkingTree | Selector::Revision(_) => None,
    }
    .ok_or_else(|| {
        fail(format!(
            "{prompt_arg} names no released version; released: {}",
            prompt.listing()
        ))
        .hint(format!("`promptreg log {name}` lists every version"))
    })?;
    let timestamp = scores::now();
    let records: Vec<ScoreRecord> = metrics
        .into_iter()
        .map(|(metric, value)| ScoreRecord {
            prompt: name.to_string(),
            version: release.version.to_string(),
            metric,
            value,
            samples: args.samples,
            source: source.clone(),
            author: author.to_string(),
            timestamp: timestamp.clone(),
        })
        .collect();
    scores::record(&repo, &release.commit.id, &records, &author)?;
    if args.format == Format::Json {
        return Output::json(&ScoreReport {
            prompt: name.as_str(),
            version: release.version.to_string(),
            commit: &release.commit.id,
            notes_ref: NOTES_REF,
            records: &records,
        });
    }
    let mut out = format!(
        "recorded {} score{} of {name} {} on its release commit {} ({NOTES_REF})\n",
        records.len(),
        plural(records.len()),
        release.version,
        short(&release.commit.id)
    );
    for r in &records {
        let _ = writeln!(out, "  {} {}", r.metric, format_number(r.value));
    }
    let _ = writeln!(out, "Share them: git push origin {NOTES_REF}");
    Ok(Output::stdout(out))
}

/// `--source`, trimmed; `None` when not given or blank.
fn given_source(args: &ScoreArgs) -> Option<String> {
    args.source
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `score --from FILE.jsonl`: outcome records aggregated per (prompt,
/// version, metric) into one score each (the mean, with the number of
/// lines as `samples`). Every line is checked, and every version must be
/// released, before anything is recorded.
fn from_file(file: &Path, args: &ScoreArgs, ctx: &Context) -> Result<Output> {
    let registry = ctx.registry()?;
    let shown = file.display().to_string();
    let (aggregates, mut errors, outcomes) = read_outcomes(&ctx.cwd.join(file), &shown)?;

    let repo = ctx.repo(&registry)?;
    let history = ctx.history(&registry, &repo)?;
    let mainline = ctx.mainline_rev(&registry);
    // (prompt, version) → (its first line, its release commit when released).
    let mut releases: BTreeMap<(&str, &semver::Version), (usize, Option<&str>)> = BTreeMap::new();
    for a in &aggregates {
        let at = releases
            .entry((a.prompt.as_str(), &a.version))
            .or_insert((a.first_line, None));
        at.0 = at.0.min(a.first_line);
    }
    for ((prompt, version), (line, commit)) in releases.iter_mut() {
        let released = PromptName::parse(prompt)
            .ok()
            .and_then(|name| history.get(&name))
            .filter(|h| !h.versions.is_empty());
        match released {
            None => errors.push(scores::LineError {
                line: *line,
                message: format!("{prompt} has no released version on the mainline ({mainline})"),
            }),
            Some(h) => match h.exact(version) {
                Some(release) => *commit = Some(release.commit.id.as_str()),
                None => errors.push(scores::LineError {
                    line: *line,
                    message: format!(
                        "{prompt} {version} is not a released version; released: {}",
                        h.listing()
                    ),
                }),
            },
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        let mut message = format!(
            "cannot record scores from {shown}: {} bad line{}, so nothing was recorded:",
            errors.len(),
            plural(errors.len())
        );
        for e in &errors {
            let _ = write!(message, "\n  {shown}:{}: {}", e.line, e.message);
        }
        return Err(fail(message)
            .hint(
                "fix or remove those lines and run again: each line is a JSON object with `prompt`, `version` (a released version: `promptreg log NAME` lists them), `metric` and `value` (a number)",
            )
            .into());
    }
    if aggregates.is_empty() {
        return Err(fail(format!(
            "{shown} has no outcome records: nothing to record"
        ))
        .hint("write one JSON object a line: {\"prompt\": ..., \"version\": ..., \"metric\": ..., \"value\": ...}")
        .into());
    }

    let source = given_source(args).or_else(|| {
        file.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| !n.is_empty())
    });
    let author = git::identity(&registry.root)?;
    let timestamp = scores::now();
    // One batch per (prompt, version), in the file's sorted order; the
    // versions released by one commit share its note.
    let mut batches: Vec<(&str, &str, String, Vec<ScoreRecord>)> = Vec::new();
    for a in &aggregates {
        let version = a.version.to_string();
        let record = ScoreRecord {
            prompt: a.prompt.clone(),
            version: version.clone(),
            metric: a.metric.clone(),
            value: a.mean,
            samples: Some(a.samples),
            source: source.clone(),
            author: author.to_string(),
            timestamp: timestamp.clone(),
        };
        match batches.last_mut() {
            Some((p, _, v, records)) if *p == a.prompt && *v == version => records.push(record),
            _ => {
                let commit = releases
                    .get(&(a.prompt.as_str(), &a.version))
                    .and_then(|(_, c)| *c)
                    .unwrap_or_default();
                batches.push((a.prompt.as_str(), commit, version, vec![record]));
            }
        }
    }
    let mut per_commit: Vec<(String, Vec<ScoreRecord>)> = Vec::new();
    for (_, commit, _, records) in &batches {
        match per_commit.iter_mut().find(|(c, _)| c == commit) {
            Some((_, all)) => all.extend(records.iter().cloned()),
            None => per_commit.push((commit.to_string(), records.clone())),
        }
    }
    scores::record_all(&repo, &per_commit, &author)?;

    let recorded: usize = batches.iter().map(|(_, _, _, r)| r.len()).sum();
    if args.format == Format::Json {
        return Output::json(&FromReport {
            from: &shown,
            notes_ref: NOTES_REF,
            outcomes,
            versions: batches
                .iter()
                .map(|(prompt, commit, version, records)| VersionRecords {
                    prompt,
                    version,
                    commit,
                    records,
                })
                .collect(),
        });
    }
    let mut out = format!(
        "recorded {recorded} score{} of {} version{} from {outcomes} outcome record{} in {shown} ({NOTES_REF})\n",
        plural(recorded),
        batches.len(),
        plural(batches.len()),
        plural(usize::try_from(outcomes).unwrap_or(usize::MAX)),
    );
    for (prompt, commit, version, records) in &batches {
        let _ = writeln!(
            out,
            "  {prompt} {version} on its release commit {}",
            short(commit)
        );
        for r in records {
            let samples = r.samples.unwrap_or(0);
            let _ = writeln!(
                out,
                "    {} {} ({samples} sample{})",
                r.metric,
                format_number(r.value),
                plural(usize::try_from(samples).unwrap_or(usize::MAX))
            );
        }
    }
    let _ = writeln!(out, "Share them: git push origin {NOTES_REF}");
    Ok(Output::stdout(out))
}

/// Reads an outcome file line by line: the groups, the bad lines, and how
/// many outcome records (lines that are not blank) were read.
fn read_outcomes(
    path: &Path,
    shown: &str,
) -> Result<(Vec<scores::Aggregate>, Vec<scores::LineError>, u64)> {
    let cannot_read = |e: std::io::Error| {
        anyhow::Error::from(
            fail(format!("cannot read {shown}"))
                .hint("pass the outcome file the application wrote: one JSON object a line")
                .caused_by(e),
        )
    };
    let file = std::fs::File::open(path).map_err(cannot_read)?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(fail(format!("{shown} is a directory, not an outcome file"))
            .hint("pass the .jsonl file the application wrote")
            .into());
    }
    let mut reader = std::io::BufReader::new(file);
    let mut outcomes = Outcomes::new();
    let mut buf = Vec::new();
    let mut line = 0usize;
    let mut records = 0u64;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf).map_err(cannot_read)? == 0 {
            break;
        }
        line += 1;
        let mut bytes = buf.as_slice();
        bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        if line == 1 {
            bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                if !text.trim().is_empty() {
                    records += 1;
                }
                outcomes.add(line, text);
            }
            Err(_) => {
                records += 1;
                outcomes.refuse(line, "not UTF-8 text");
            }
        }
    }
    let (aggregates, errors) = outcomes.finish();
    Ok((aggregates, errors, records))
}
