//! What changed between two versions of a prompt: interface changes with the
//! policy rules that fired, the verdict on the version bump, and text hunks.
//! Returns data; `commands::diff` renders it.

use crate::policy::BumpLevel;
use crate::policy::{self, ActualBump, Change, Verdict};
use crate::prompt::Prompt;
use indexmap::IndexMap;
use serde::Serialize;

/// One side of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// How the side was named (`support/triage@1.2.0`, `support/triage`).
    pub reference: String,
    /// The prompt's version on this side, as its file writes it (`1.2.0`).
    pub version: String,
    /// "working tree", "released in abc1234", "rev:main (abc1234)".
    pub origin: String,
}

/// Whether a prompt exists on each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Only the new side has the prompt.
    Added,
    /// Only the old side has the prompt.
    Deleted,
    /// Both sides have it, and their file texts differ.
    Changed,
    /// Both sides have the same file text (or neither has the prompt).
    Identical,
}

/// A line of a hunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    /// `" "` context, `"-"` removed, `"+"` added.
    pub tag: &'static str,
    /// The line's text, without its line ending.
    pub text: String,
    /// For changed lines: the text split into (emphasised?, segment) parts,
    /// word by word.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<(bool, String)>,
}

/// A unified-diff hunk of one part of the prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hunk {
    /// `template`, `messages`, `variables`, `model`, `output`,
    /// `description`, `changelog`, `metadata`, or `file` (the file's own
    /// lines, when only comments or layout changed).
    pub part: &'static str,
    /// The hunk's range line, `@@ -OLD_START,OLD_LEN +NEW_START,NEW_LEN @@`
    /// (1-based line numbers within the part).
    pub header: String,
    /// The hunk's lines, context and changes, in order.
    pub lines: Vec<Line>,
}

/// Everything `diff` says about one prompt.
#[derive(Debug, Clone, Serialize)]
pub struct PromptDiff {
    /// The prompt's name, e.g. `support/triage`.
    pub name: String,
    /// Whether the prompt was added, deleted, changed or left identical.
    pub status: Status,
    /// The old side, when the prompt exists there.
    pub old: Option<Side>,
    /// The new side, when the prompt exists there.
    pub new: Option<Side>,
    /// The interface changes and the policy rules they fired (only for
    /// `Status::Changed`).
    pub changes: Vec<Change>,
    /// `None`: the change requires no bump. In JSON `"none"`, the word
    /// `actual` uses for a version that did not move: one vocabulary.
    #[serde(serialize_with = "required_word")]
    pub required: Option<BumpLevel>,
    /// How the version moved from old to new (only for `Status::Changed`).
    pub actual: Option<ActualBump>,
    /// Whether that move covers the required bump (only for `Status::Changed`).
    pub verdict: Option<Verdict>,
    /// Text hunks of every part that differs between the sides.
    pub hunks: Vec<Hunk>,
}

/// `major`, `minor`, `patch` or `none`.
fn required_word<S: serde::Serializer>(
    level: &Option<BumpLevel>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(level.map_or("none", policy::level_name))
}

/// Compares two sides of one prompt.
pub fn compare(
    name: &str,
    old: Option<(&Prompt, Side)>,
    new: Option<(&Prompt, Side)>,
    overrides: &IndexMap<String, BumpLevel>,
) -> PromptDiff {
    let mut diff = PromptDiff {
        name: name.to_string(),
        status: Status::Identical,
        old: old.as_ref().map(|(_, s)| s.clone()),
        new: new.as_ref().map(|(_, s)| s.clone()),
        changes: Vec::new(),
        required: None,
        actual: None,
        verdict: None,
        hunks: Vec::new(),
    };
    match (old, new) {
        (None, None) => {}
        (None, Some((p, _))) => {
            diff.status = Status::Added;
            diff.hunks = hunks(None, Some(p));
        }
        (Some((p, _)), None) => {
            diff.status = Status::Deleted;
            diff.hunks = hunks(Some(p), None);
        }
        (Some((a, _)), Some((b, _))) => {
            if a.text == b.text {
                return diff;
            }
            diff.status = Status::Changed;
            diff.changes = policy::compare(&a.file, &b.file, overrides);
            diff.required = policy::required(&diff.changes);
            diff.actual = Some(policy::actual_bump(&a.version, &b.version));
            diff.verdict = Some(policy::verdict(diff.required, &a.version, &b.version));
            diff.hunks = hunks(Some(a), Some(b));
        }
    }
    diff
}

/// The parts of a prompt shown as text, each as one document.
fn parts(p: &Prompt) -> Vec<(&'static str, String)> {
    let f = &p.file;
    let mut out = Vec::new();
    match (&f.template, &f.messages) {
        (Some(t), _) => out.push(("template", t.clone())),
        (None, messages) => {
            let mut s = String::new();
            for (i, m) in messages.iter().flatten().enumerate() {
                s.push_str(&format!("── messages[{i}] {} ──\n", m.role.as_str()));
                s.push_str(&m.content);
                if !m.content.ends_with('\n') {
                    s.push('\n');
                }
            }
            out.push(("messages", s));
        }
    }
    let mut vars = String::new();
    for (name, v) in &f.variables {
        vars.push_str(&format!(
            "{name}: {}{}\n",
            match &v.default {
                None => "required".to_string(),
                Some(d) => format!("default {d}"),
            },
            v.description
                .as_deref()
                .map(|d| format!(" — {}", d.trim()))
                .unwrap_or_default()
        ));
    }
    out.push(("variables", vars));
    let mut model = String::new();
    if let Some(m) = &f.model {
        model.push_str(&format!("provider: {}\nname: {}\n", m.provider, m.name));
        for (k, v) in &m.parameters {
            model.push_str(&format!("parameters.{k}: {v}\n"));
        }
    }
    out.push(("model", model));
    let output = f
        .output
        .as_ref()
        .and_then(|o| serde_json::to_string_pretty(o).ok())
        .map(|s| s + "\n")
        .unwrap_or_default();
    out.push(("output", output));
    if let Some(d) = &f.description {
        out.push(("description", format!("{}\n", d.trim_end())));
    }
    // The changelog and metadata fire no policy rule, but a reviewer must
    // still see them change.
    let mut changelog = String::new();
    for entry in &f.changelog {
        changelog.push_str(&format!(
            "{} {} {}\n  {}\n",
            entry.version,
            entry.date,
            entry.author,
            entry.reason.trim_end().replace('\n', "\n  ")
        ));
    }
    out.push(("changelog", changelog));
    let metadata = f
        .metadata
        .as_ref()
        .and_then(|m| serde_json::to_string_pretty(m).ok())
        .map(|s| s + "\n")
        .unwrap_or_default();
    out.push(("metadata", metadata));
    out
}

fn hunks(old: Option<&Prompt>, new: Option<&Prompt>) -> Vec<Hunk> {
    let a = old.map(parts).unwrap_or_default();
    let b = new.map(parts).unwrap_or_default();
    let mut names: Vec<&'static str> = a.iter().map(|(n, _)| *n).collect();
    for (n, _) in &b {
        if !names.contains(n) {
            names.push(n);
        }
    }
    let text = |side: &[(&'static str, String)], part: &str| {
        side.iter()
            .find(|(n, _)| *n == part)
            .map(|(_, t)| t.clone())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for part in names {
        let (x, y) = (text(&a, part), text(&b, part));
        if x != y {
            out.extend(text_hunks(part, &x, &y));
        }
    }
    // The file changed where no part shows it (a comment, quoting, layout):
    // the file's own lines, so that no change is invisible.
    if out.is_empty() {
        if let (Some(old), Some(new)) = (old, new) {
            if old.text != new.text {
                out.extend(text_hunks("file", &old.text, &new.text));
            }
        }
    }
    out
}

/// Unified hunks (3 lines of context) with word-level segments on changed lines.
pub fn text_hunks(part: &'static str, old: &str, new: &str) -> Vec<Hunk> {
    let diff = similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Patience)
        .timeout(std::time::Duration::from_secs(2))
        .diff_lines(old, new);
    let mut out = Vec::new();
    for group in diff.grouped_ops(3) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let (o, n) = (
            first.old_range().start..last.old_range().end,
            first.new_range().start..last.new_range().end,
        );
        let header = format!(
            "@@ -{},{} +{},{} @@",
            o.start + 1,
            o.len(),
            n.start + 1,
            n.len()
        );
        let mut lines = Vec::new();
        for op in &group {
            for change in diff.iter_inline_changes(op) {
                let tag = match change.tag() {
                    similar::ChangeTag::Equal => " ",
                    similar::ChangeTag::Delete => "-",
                    similar::ChangeTag::Insert => "+",
                };
                let segments: Vec<(bool, String)> = change
                    .iter_strings_lossy()
                    .map(|(emph, s)| (emph, s.trim_end_matches('\n').to_string()))
                    .filter(|(_, s)| !s.is_empty())
                    .collect();
                let text: String = segments.iter().map(|(_, s)| s.as_str()).collect();
                let emphasised = segments.iter().any(|(e, _)| *e) && tag != " ";
                lines.push(Line {
                    tag,
                    text,
                    segments: if emphasised { segments } else { Vec::new() },
                });
            }
        }
        out.push(Hunk {
            part,
            header,
            lines,
        });
    }
    out
}
