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

/// How far in the future a record's timestamp may be (clocks disagree a
/// little); one dated later is refused as the latest, or it would stay
/// latest until that date.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 300;

/// Per metric, the latest record: the newest timestamp, and among equal
/// timestamps the one recorded last. Records dated more than
/// [`MAX_CLOCK_SKEW_SECONDS`] after now are never the latest.
pub fn latest(records: &[ScoreRecord]) -> Latest {
    let horizon = chrono::Utc::now() + chrono::Duration::seconds(MAX_CLOCK_SKEW_SECONDS);
    let mut out: Latest = BTreeMap::new();
    for r in records {
        if instant(&r.timestamp).is_some_and(|t| t > horizon) {
            continue;
        }
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

/// Outcome records an application logs, one JSON object a line, read by
/// `promptreg score --from FILE.jsonl`: `prompt` (a prompt name),
/// `version` (a SemVer version), `metric` (a metric name) and `value` (a
/// finite number) are required; any other key is ignored.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The prompt's name, e.g. `support/triage`.
    pub prompt: String,
    /// The version that served, e.g. `1.2.0`.
    pub version: semver::Version,
    /// The metric's name.
    pub metric: String,
    /// The measured value.
    pub value: f64,
}

/// One line of an outcome file: `Ok(None)` for a blank line, the outcome,
/// or every reason the line is refused, joined by `; `.
pub fn parse_outcome(line: &str) -> Result<Option<Outcome>, String> {
    if line.trim().is_empty() {
        return Ok(None);
    }
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let serde_json::Value::Object(object) = value else {
        return Err("not a JSON object".into());
    };
    let mut why = Vec::new();
    let mut text = |key: &str| match object.get(key) {
        None => {
            why.push(format!("{key} is missing"));
            None
        }
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(_) => {
            why.push(format!("{key} is not a string"));
            None
        }
    };
    let prompt = text("prompt");
    let version = text("version");
    let metric = text("metric");
    if let Some(p) = &prompt {
        if let Err(e) = crate::name::PromptName::parse(p) {
            why.push(format!("prompt: {e}"));
        }
    }
    let version = version.and_then(|v| match semver::Version::parse(&v) {
        Ok(parsed) => Some(parsed),
        Err(_) => {
            why.push(format!("version `{v}` is not a SemVer version"));
            None
        }
    });
    if let Some(m) = &metric {
        if !is_metric_name(m) {
            why.push(format!(
                "metric `{m}` is not a metric name (letters, digits, `_`, `.` and `-`, starting with a letter or digit)"
            ));
        }
    }
    let number = match object.get("value") {
        None => {
            why.push("value is missing".into());
            None
        }
        Some(v) => match v.as_f64() {
            Some(x) if x.is_finite() => Some(x),
            Some(_) => {
                why.push("value is not a finite number".into());
                None
            }
            None => {
                why.push("value is not a number".into());
                None
            }
        },
    };
    match (prompt, version, metric, number) {
        (Some(prompt), Some(version), Some(metric), Some(value)) if why.is_empty() => {
            Ok(Some(Outcome {
                prompt,
                version,
                metric,
                value,
            }))
        }
        _ => Err(why.join("; ")),
    }
}

/// A refused line of an outcome file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// Why it is refused.
    pub message: String,
}

/// The outcomes of one (prompt, version, metric): their mean and count.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// The prompt's name.
    pub prompt: String,
    /// The version.
    pub version: semver::Version,
    /// The metric.
    pub metric: String,
    /// The mean of the values (to 15 significant digits).
    pub mean: f64,
    /// How many lines gave a value.
    pub samples: u64,
    /// The first line of the group.
    pub first_line: usize,
}

/// Aggregates an outcome file line by line, without holding it whole.
#[derive(Debug, Default)]
pub struct Outcomes {
    groups: BTreeMap<(String, semver::Version, String), Sum>,
    errors: Vec<LineError>,
}

/// A compensated (Neumaier) sum, so that a mean of many values does not
/// drift with rounding.
#[derive(Debug, Default, Clone, Copy)]
struct Sum {
    sum: f64,
    compensation: f64,
    count: u64,
    first_line: usize,
}

impl Sum {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
        self.count += 1;
    }

    /// The mean, to 15 significant digits: far below any measurement's
    /// precision, and 0.9, 0.8 and 0.7 average to 0.8, not to the
    /// 0.7999999999999999 binary floating point gives.
    fn mean(&self) -> f64 {
        let mean = (self.sum + self.compensation) / self.count as f64;
        format!("{mean:.14e}").parse().unwrap_or(mean)
    }
}

impl Outcomes {
    /// An empty aggregation.
    pub fn new() -> Self {
        Outcomes::default()
    }

    /// Adds line `line` (1-based) of the file, `text` without its line
    /// ending; a blank line is skipped, a bad one remembered.
    pub fn add(&mut self, line: usize, text: &str) {
        match parse_outcome(text) {
            Ok(None) => {}
            Ok(Some(o)) => {
                let group = self
                    .groups
                    .entry((o.prompt, o.version, o.metric))
                    .or_insert(Sum {
                        first_line: line,
                        ..Sum::default()
                    });
                group.add(o.value);
            }
            Err(message) => self.errors.push(LineError { line, message }),
        }
    }

    /// Remembers that line `line` cannot be read at all (not UTF-8).
    pub fn refuse(&mut self, line: usize, message: impl Into<String>) {
        self.errors.push(LineError {
            line,
            message: message.into(),
        });
    }

    /// Every group, sorted by prompt, version and metric, and every refused
    /// line in file order. A mean that is not a finite number (values
    /// beyond the range of a number) is refused at the group's first line.
    pub fn finish(self) -> (Vec<Aggregate>, Vec<LineError>) {
        let mut errors = self.errors;
        let mut groups = Vec::new();
        for ((prompt, version, metric), sum) in self.groups {
            let mean = sum.mean();
            if !mean.is_finite() {
                errors.push(LineError {
                    line: sum.first_line,
                    message: format!(
                        "the mean of {prompt} {version} {metric} is beyond the range of a number"
                    ),
                });
                continue;
            }
            groups.push(Aggregate {
                prompt,
                version,
                metric,
                mean,
                samples: sum.count,
                first_line: sum.first_line,
            });
        }
        errors.sort_by_key(|e| e.line);
        (groups, errors)
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
    #[test]
    fn outcome_lines_need_the_four_keys_and_ignore_others() {
        let o = parse_outcome(
            r#"{"prompt":"support/triage","version":"1.2.0","metric":"thumbs_up","value":1,"sha256":"x","key":"u1"}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(o.prompt, "support/triage");
        assert_eq!(o.version.to_string(), "1.2.0");
        assert_eq!(o.value, 1.0);
        assert_eq!(parse_outcome("  \r").unwrap(), None);
        for (line, why) in [
            ("{", "not JSON"),
            ("[1]", "not a JSON object"),
            (
                r#"{"version":"1.0.0","metric":"m","value":1}"#,
                "prompt is missing",
            ),
            (
                r#"{"prompt":"a","version":"1.0","metric":"m","value":1}"#,
                "version `1.0` is not a SemVer version",
            ),
            (
                r#"{"prompt":"A","version":"1.0.0","metric":"m","value":1}"#,
                "prompt: invalid prompt name `A`",
            ),
            (
                r#"{"prompt":"a","version":"1.0.0","metric":"a b","value":1}"#,
                "metric `a b` is not a metric name",
            ),
            (
                r#"{"prompt":"a","version":"1.0.0","metric":"m","value":"high"}"#,
                "value is not a number",
            ),
            (
                r#"{"prompt":"a","version":"1.0.0","metric":"m","value":null}"#,
                "value is not a number",
            ),
            (
                r#"{"prompt":"a","version":1,"metric":"m"}"#,
                "version is not a string; value is missing",
            ),
        ] {
            let got = parse_outcome(line).unwrap_err();
            assert!(got.contains(why), "{line}: {got}");
        }
    }

    #[test]
    fn outcomes_aggregate_to_mean_and_count_per_group() {
        let mut outcomes = Outcomes::new();
        let lines = [
            r#"{"prompt":"a","version":"1.0.0","metric":"m","value":0.9}"#,
            "",
            r#"{"prompt":"a","version":"1.0.0","metric":"m","value":0.8}"#,
            r#"{"prompt":"a","version":"1.0.0","metric":"m","value":0.7}"#,
            r#"{"prompt":"a","version":"1.0.0","metric":"n","value":5}"#,
            r#"{"prompt":"a","version":"1.1.0","metric":"m","value":1e308}"#,
            r#"{"prompt":"a","version":"1.1.0","metric":"m","value":1e308}"#,
        ];
        for (i, l) in lines.iter().enumerate() {
            outcomes.add(i + 1, l);
        }
        let (groups, errors) = outcomes.finish();
        assert_eq!(groups.len(), 2);
        assert_eq!((groups[0].metric.as_str(), groups[0].samples), ("m", 3));
        assert_eq!(groups[0].mean, 0.8);
        assert_eq!(groups[0].first_line, 1);
        assert_eq!((groups[1].mean, groups[1].samples), (5.0, 1));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 6);
        assert!(errors[0].message.contains("beyond the range"), "{errors:?}");
        // Means read as written, also over many lines.
        let mut outcomes = Outcomes::new();
        for i in 0..1000 {
            outcomes.add(
                i + 1,
                r#"{"prompt":"a","version":"1.0.0","metric":"m","value":0.1}"#,
            );
        }
        let (groups, errors) = outcomes.finish();
        assert!(errors.is_empty());
        assert_eq!((groups[0].mean, groups[0].samples), (0.1, 1000));
    }
}
