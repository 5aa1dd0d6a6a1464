//! Evaluation scores, kept as Git notes on release commits: one JSON line
//! per record in the note of `refs/notes/promptreg` on the commit that
//! released the version. Several prompts released by one commit, and several
//! records per version, share that note; appending keeps every line that is
//! there. Never prints.

use crate::error::fail;
use crate::git::{Identity, Repo};
use crate::history::{PromptHistory, ReleasedVersion};
use crate::name::PromptName;
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The notes ref scores live under. Share it with
/// `git push origin refs/notes/promptreg`.
pub const NOTES_REF: &str = "refs/notes/promptreg";

/// One score of one released version, as stored (one JSON line).
/// Every key is always written, `null` when unknown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreRecord {
    pub prompt: String,
    pub version: String,
    pub metric: String,
    pub value: f64,
    /// How many examples the value was computed on.
    pub samples: Option<u64>,
    /// Where the value comes from: an eval suite, a dashboard, a run id.
    pub source: Option<String>,
    /// Who recorded it, `Name <email>`.
    pub author: String,
    /// When it was recorded, RFC 3339 UTC.
    pub timestamp: String,
}

/// True for a metric name: ASCII letters, digits, `_`, `.` and `-`,
/// starting with a letter or digit (`accuracy`, `p95_latency_ms`).
pub fn is_metric_name(name: &str) -> bool {
    name.len() <= 100
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Parses `METRIC=VALUE` from the command line.
pub fn parse_metric(text: &str) -> Result<(String, f64)> {
    let Some((metric, value)) = text.split_once('=') else {
        return Err(fail(format!("`{text}` is not METRIC=VALUE"))
            .hint("write e.g. --metric accuracy=0.91")
            .into());
    };
    let metric = metric.trim();
    if !is_metric_name(metric) {
        return Err(fail(format!(
            "`{metric}` is not a metric name: use letters, digits, `_`, `.` and `-`, starting with a letter or digit"
        ))
        .hint("write e.g. --metric accuracy=0.91 or --metric p95_latency_ms=820")
        .into());
    }
    let number: f64 = value.trim().parse().map_err(|_| {
        fail(format!("`{value}` (metric {metric}) is not a number"))
            .hint("write e.g. --metric accuracy=0.91")
    })?;
    if !number.is_finite() {
        return Err(fail(format!("metric {metric}: {value} is not a finite number")).into());
    }
    Ok((metric.to_string(), number))
}

/// The records of a note's text, in order, and the lines that are not
/// records (kept as they are when the note is rewritten).
pub fn parse_note(text: &str) -> (Vec<ScoreRecord>, Vec<String>) {
    let mut records = Vec::new();
    let mut other = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<ScoreRecord>(line) {
            Ok(r) => records.push(r),
            Err(_) => other.push(line.to_string()),
        }
    }
    (records, other)
}

/// `existing` (a note's text, possibly none) with one JSON line per record
/// appended; every byte of `existing` is kept.
pub fn append(existing: Option<&str>, records: &[ScoreRecord]) -> Result<String> {
    let mut text = existing.unwrap_or_default().to_string();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    for r in records {
        text.push_str(&serde_json::to_string(r)?);
        text.push('\n');
    }
    Ok(text)
}

/// Appends `records` to the note on `commit`; returns the note's new text.
pub fn record(
    repo: &Repo,
    commit: &str,
    records: &[ScoreRecord],
    author: &Identity,
) -> Result<String> {
    let existing = repo.read_note(NOTES_REF, commit)?;
    let text = append(existing.as_deref(), records)?;
    repo.write_note(NOTES_REF, commit, &text, author)?;
    Ok(text)
}

/// Reads the records of release notes, reading each commit's note once.
pub struct ScoreReader<'a> {
    repo: &'a Repo,
    notes: HashMap<String, Vec<ScoreRecord>>,
}

impl<'a> ScoreReader<'a> {
    pub fn new(repo: &'a Repo) -> Self {
        ScoreReader {
            repo,
            notes: HashMap::new(),
        }
    }

    /// The records of `name` at `version` in the note on `commit` (its
    /// release commit), in the order they were recorded.
    pub fn records(&mut self, commit: &str, name: &str, version: &str) -> Result<Vec<ScoreRecord>> {
        if !self.notes.contains_key(commit) {
            let text = self.repo.read_note(NOTES_REF, commit)?;
            let records = text.map(|t| parse_note(&t).0).unwrap_or_default();
            self.notes.insert(commit.to_string(), records);
        }
        Ok(self.notes[commit]
            .iter()
            .filter(|r| r.prompt == name && r.version == version)
            .cloned()
            .collect())
    }

    /// The latest record per metric of a released version.
    pub fn latest(&mut self, name: &PromptName, release: &ReleasedVersion) -> Result<Latest> {
        let records = self.records(
            &release.commit.id,
            name.as_str(),
            &release.version.to_string(),
        )?;
        Ok(latest(&records))
    }
}

/// Metric → its latest record.
pub type Latest = BTreeMap<String, ScoreRecord>;

/// Per metric, the latest record: the newest timestamp, and among equal
/// timestamps the one recorded last.
pub fn latest(records: &[ScoreRecord]) -> Latest {
    let mut out: Latest = BTreeMap::new();
    for r in records {
        let newer = out
            .get(&r.metric)
            .is_none_or(|have| instant(&r.timestamp) >= instant(&have.timestamp));
        if newer {
            out.insert(r.metric.clone(), r.clone());
        }
    }
    out
}

/// A timestamp, for ordering (fractions of a second count); unreadable
/// ones sort first.
fn instant(text: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    chrono::DateTime::parse_from_rfc3339(text).ok()
}

/// Now, as records write it: RFC 3339 UTC with milliseconds, so that two
/// records of a metric are ordered by time even after a notes merge
/// (`git notes merge -s cat_sort_uniq` sorts the lines).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// One cell of `scores`: a version's latest value of a metric and its change
/// against the previous version that has that metric.
#[derive(Debug, Clone, Serialize)]
pub struct Score {
    pub value: f64,
    pub samples: Option<u64>,
    pub source: Option<String>,
    pub author: String,
    pub timestamp: String,
    /// The closest lower version with a score for this metric.
    pub previous_version: Option<String>,
    /// `value` minus that version's value.
    pub change: Option<f64>,
}

/// One row of `scores`.
#[derive(Debug, Clone, Serialize)]
pub struct VersionScores {
    pub version: String,
    /// The release commit whose note holds the records.
    pub commit: String,
    /// Metric → score; metrics without a record are absent.
    pub scores: BTreeMap<String, Score>,
}

/// `scores NAME`: every metric seen, and every released version (newest
/// first) with its latest scores.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreTable {
    pub prompt: String,
    pub metrics: Vec<String>,
    pub versions: Vec<VersionScores>,
}

/// Builds the table of a prompt's released versions × metrics.
pub fn table(repo: &Repo, name: &PromptName, history: &PromptHistory) -> Result<ScoreTable> {
    let mut reader = ScoreReader::new(repo);
    let mut metrics = BTreeSet::new();
    let mut previous: BTreeMap<String, (String, f64)> = BTreeMap::new();
    let mut rows = Vec::new();
    // Lowest first, so that each version compares with the one before it.
    for release in &history.versions {
        let latest = reader.latest(name, release)?;
        let mut scores = BTreeMap::new();
        for (metric, r) in latest {
            metrics.insert(metric.clone());
            let before = previous.get(&metric).cloned();
            scores.insert(
                metric.clone(),
                Score {
                    value: r.value,
                    samples: r.samples,
                    source: r.source.clone(),
                    author: r.author.clone(),
                    timestamp: r.timestamp.clone(),
                    previous_version: before.as_ref().map(|(v, _)| v.clone()),
                    change: before.map(|(_, old)| round(r.value - old)),
                },
            );
            previous.insert(metric, (release.version.to_string(), r.value));
        }
        rows.push(VersionScores {
            version: release.version.to_string(),
            commit: release.commit.id.clone(),
            scores,
        });
    }
    rows.reverse();
    Ok(ScoreTable {
        prompt: name.to_string(),
        metrics: metrics.into_iter().collect(),
        versions: rows,
    })
}

/// A difference without the noise of binary floating point
/// (0.91 - 0.87 = 0.040000000000000036).
fn round(x: f64) -> f64 {
    let r = (x * 1e9).round() / 1e9;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// A number as people write it: `820`, `0.91`, `-0.04`.
pub fn format_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{}", x as i64);
    }
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s == "0" || s.is_empty() {
        // Smaller than the six decimals shown.
        format!("{x:e}")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(metric: &str, value: f64, timestamp: &str) -> ScoreRecord {
        ScoreRecord {
            prompt: "a".into(),
            version: "1.0.0".into(),
            metric: metric.into(),
            value,
            samples: None,
            source: None,
            author: "A <a@example.com>".into(),
            timestamp: timestamp.into(),
        }
    }

    #[test]
    fn appending_keeps_every_existing_byte() {
        let first = append(None, &[rec("accuracy", 0.8, "2026-01-01T00:00:00Z")]).unwrap();
        assert!(first.ends_with('\n'));
        let kept = "not a record\n".to_string() + &first;
        let second = append(Some(&kept), &[rec("accuracy", 0.9, "2026-01-02T00:00:00Z")]).unwrap();
        assert!(second.starts_with(&kept));
        let (records, other) = parse_note(&second);
        assert_eq!(records.len(), 2);
        assert_eq!(other, vec!["not a record".to_string()]);
        // A note that lost its final newline still gets one line per record.
        let third = append(Some("x"), &[rec("f1", 1.0, "2026-01-01T00:00:00Z")]).unwrap();
        assert_eq!(third.lines().count(), 2);
    }

    #[test]
    fn a_record_is_one_json_line_with_every_key() {
        let line = append(None, &[rec("accuracy", 0.8, "2026-01-01T00:00:00Z")]).unwrap();
        assert_eq!(
            line,
            "{\"prompt\":\"a\",\"version\":\"1.0.0\",\"metric\":\"accuracy\",\"value\":0.8,\"samples\":null,\"source\":null,\"author\":\"A <a@example.com>\",\"timestamp\":\"2026-01-01T00:00:00Z\"}\n"
        );
    }

    #[test]
    fn fractions_of_a_second_order_records() {
        let records = [
            rec("accuracy", 0.5, "2026-01-01T00:00:00.900Z"),
            rec("accuracy", 0.9, "2026-01-01T00:00:00.100Z"),
        ];
        assert_eq!(latest(&records)["accuracy"].value, 0.5);
        assert!(crate::prompt::is_utc_rfc3339(&now()));
    }

    #[test]
    fn latest_is_the_newest_timestamp_then_the_last_line() {
        let records = [
            rec("accuracy", 0.7, "2026-01-03T00:00:00Z"),
            rec("accuracy", 0.9, "2026-01-01T00:00:00Z"),
            rec("f1", 0.1, "2026-01-01T00:00:00Z"),
            rec("f1", 0.2, "2026-01-01T00:00:00Z"),
        ];
        let latest = latest(&records);
        assert_eq!(latest["accuracy"].value, 0.7);
        assert_eq!(latest["f1"].value, 0.2);
    }

    #[test]
    fn metrics_parse_strictly() {
        assert_eq!(
            parse_metric("accuracy=0.91").unwrap(),
            ("accuracy".to_string(), 0.91)
        );
        assert_eq!(
            parse_metric("p95_latency_ms = 820").unwrap(),
            ("p95_latency_ms".to_string(), 820.0)
        );
        for bad in ["accuracy", "=1", "a b=1", "x=abc", "x=NaN", "x=inf", "-x=1"] {
            assert!(parse_metric(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn numbers_read_as_written() {
        assert_eq!(format_number(820.0), "820");
        assert_eq!(format_number(0.91), "0.91");
        assert_eq!(format_number(round(0.91 - 0.87)), "0.04");
        assert_eq!(format_number(-0.5), "-0.5");
        assert_eq!(format_number(1e-9), "1e-9");
    }
}
