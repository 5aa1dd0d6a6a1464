use crate::cli::ScoreArgs;
use crate::context::Context;
use crate::history::git;
use crate::history::short;
use crate::output::{Format, Output};
use crate::production::scores::{self, format_number, ScoreRecord, NOTES_REF};
use anyhow::Result;
use promptreg_core::error::fail;
use promptreg_core::reference::{PromptRef, Selector};
use serde::Serialize;
use std::fmt::Write as _;

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

pub fn run(args: &ScoreArgs, ctx: &Context) -> Result<Output> {
    let registry = ctx.registry()?;
    let reference = PromptRef::parse(&args.prompt)?;
    let name = &reference.name;
    if matches!(
        reference.selector,
        Selector::WorkingTree | Selector::Revision(_)
    ) {
        return Err(fail(format!(
            "`{}`: scores belong to a released version",
            args.prompt
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
    let source = args
        .source
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let author = git::identity(&registry.root)?;
    let repo = ctx.repo(&registry)?;
    let history = ctx.history(&registry, &repo)?;
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
            "{} names no released version; released: {}",
            args.prompt,
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
        if records.len() == 1 { "" } else { "s" },
        release.version,
        short(&release.commit.id)
    );
    for r in &records {
        let _ = writeln!(out, "  {} {}", r.metric, format_number(r.value));
    }
    let _ = writeln!(out, "Share them: git push origin {NOTES_REF}");
    Ok(Output::stdout(out))
}
