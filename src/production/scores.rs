//! Evaluation scores, kept as Git notes on release commits: one JSON line
//! per record in the note of `refs/notes/promptreg` on the commit that
//! released the version. Several prompts released by one commit, and several
//! records per version, share that note; appending keeps every line that is
//! there. Never prints.

use crate::history::git::{Identity, Repo};
use crate::history::{PromptHistory, ReleasedVersion};
use anyhow::Result;
use promptreg_core::name::PromptName;
pub use promptreg_core::scores::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The notes ref scores live under. Share it with
/// `git push origin refs/notes/promptreg`.
pub const NOTES_REF: &str = "refs/notes/promptreg";

/// Appends `records` to the note on `commit`.
pub fn record(repo: &Repo, commit: &str, records: &[ScoreRecord], author: &Identity) -> Result<()> {
    record_all(repo, &[(commit.to_string(), records.to_vec())], author)
}

/// Appends each commit's records to its note, all in one notes commit
/// moved onto the notes ref by compare-and-swap: all or nothing, and a
/// concurrent `score` loses no line (appending merges: the records are
/// appended again to whatever note the other writer left; docs/DESIGN.md
/// §9).
pub fn record_all(
    repo: &Repo,
    batches: &[(String, Vec<ScoreRecord>)],
    author: &Identity,
) -> Result<()> {
    let commits: Vec<&str> = batches.iter().map(|(c, _)| c.as_str()).collect();
    let edit = |commit: &str, existing: Option<&str>| -> Result<String> {
        let records: Vec<ScoreRecord> = batches
            .iter()
            .filter(|(c, _)| c == commit)
            .flat_map(|(_, r)| r.iter().cloned())
            .collect();
        append(existing, &records)
    };
    let mut named: Vec<String> = Vec::new();
    for r in batches.iter().flat_map(|(_, r)| r) {
        let one = format!("{}@{}", r.prompt, r.version);
        if !named.contains(&one) {
            named.push(one);
        }
    }
    let message = format!(
        "promptreg score: {}\n\nScores recorded by `promptreg score`.\n",
        named.join(", ")
    );
    let mut unique = commits.clone();
    unique.dedup();
    repo.update_notes(NOTES_REF, &unique, &edit, &message, author)
        .map_err(|e| e.context("nothing was recorded"))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_utc_rfc3339_with_milliseconds() {
        let now = now();
        assert!(promptreg_core::date::is_utc_rfc3339(&now), "{now}");
        assert_eq!(now.len(), "2026-01-01T00:00:00.000Z".len(), "{now}");
    }
}
