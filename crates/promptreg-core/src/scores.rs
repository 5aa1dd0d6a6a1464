//! Evaluation score records: one JSON object a line, as `score` stores them
//! in Git notes and as applications log them (docs/DESIGN.md §9).

use crate::error::fail;
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One score of one released version, as stored (one JSON line).
/// Every key is always written, `null` when unknown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreRecord {
    /// The prompt's name, e.g. `support/triage`.
    pub prompt: String,
    /// The scored version, e.g. `1.2.0`.
    pub version: String,
    /// The metric's name, e.g. `accuracy` or `p95_latency_ms`.
    pub metric: String,
    /// The score (a finite number).
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

/// A difference without the noise of binary floating point
/// (0.91 - 0.87 = 0.040000000000000036).
pub fn round(x: f64) -> f64 {
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
