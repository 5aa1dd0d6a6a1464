//! `check`'s reports for CI systems (docs/DESIGN.md §12): SARIF 2.1.0 for
//! code-scanning dashboards, JUnit XML for test-report pages, GitLab's Code
//! Quality JSON. Each is a pure function of the findings; never prints.

use super::{CheckFinding, Report, RULES};
use promptreg_core::finding::Level;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// The rules whose findings are warnings unless `--strict` is given.
const WARNING_RULES: &[&str] = &["version-skipped"];

/// The level a CI system should show: a warning is an error under `--strict`.
fn effective_level(f: &CheckFinding, strict: bool) -> Level {
    if strict {
        Level::Error
    } else {
        f.level
    }
}

/// A fingerprint that stays the same across runs for the same problem: it
/// leaves out the line, which moves when unrelated lines are edited. Two
/// findings that would share one get the occurrence count appended.
fn fingerprints(findings: &[CheckFinding]) -> Vec<String> {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    findings
        .iter()
        .map(|f| {
            let mut hasher = Sha256::new();
            for part in [
                f.rule,
                f.file.as_str(),
                f.prompt.as_deref().unwrap_or(""),
                f.message.as_str(),
            ] {
                hasher.update(part.as_bytes());
                hasher.update([0]);
            }
            let base: String = hasher
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                base
            } else {
                format!("{base}:{n}")
            }
        })
        .collect()
}

/// A repository-relative path as a URI reference: every byte outside the
/// unreserved set and `/` percent-encoded.
fn uri_reference(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The first sentence of a rule's help text: its short description.
fn short_description(help: &str) -> &str {
    match help.find(". ") {
        Some(i) => &help[..=i],
        None => help,
    }
}

/// SARIF 2.1.0: one run, the rule table as the driver's rules, one result
/// per finding.
pub fn sarif(report: &Report, strict: bool) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|(id, help)| {
            let level = if WARNING_RULES.contains(id) && !strict {
                "warning"
            } else {
                "error"
            };
            json!({
                "id": id,
                "name": id,
                "shortDescription": { "text": short_description(help) },
                "fullDescription": { "text": help },
                "help": { "text": help },
                "defaultConfiguration": { "level": level },
            })
        })
        .collect();
    let fingerprints = fingerprints(&report.findings);
    let results: Vec<Value> = report
        .findings
        .iter()
        .zip(&fingerprints)
        .map(|(f, fingerprint)| {
            let mut region = serde_json::Map::new();
            if let Some(line) = f.line {
                region.insert("startLine".into(), json!(line));
            }
            let mut location = json!({
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": uri_reference(&f.file),
                        "uriBaseId": "%SRCROOT%",
                    },
                },
            });
            if !region.is_empty() {
                location["physicalLocation"]["region"] = Value::Object(region);
            }
            let mut result = json!({
                "ruleId": f.rule,
                "level": effective_level(f, strict).to_string(),
                "message": { "text": f.message },
                "locations": [location],
                "partialFingerprints": { "promptregFinding/v1": fingerprint },
            });
            if let Some(index) = RULES.iter().position(|(id, _)| *id == f.rule) {
                result["ruleIndex"] = json!(index);
            }
            if let Some(prompt) = &f.prompt {
                result["properties"] = json!({ "prompt": prompt });
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "promptreg",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                },
            },
            "originalUriBaseIds": {
                "%SRCROOT%": { "description": { "text": "The repository root." } },
            },
            "results": results,
        }],
    })
}

/// GitLab's Code Quality report: a JSON array of issues.
pub fn gitlab(report: &Report, strict: bool) -> Value {
    let fingerprints = fingerprints(&report.findings);
    Value::Array(
        report
            .findings
            .iter()
            .zip(fingerprints)
            .map(|(f, fingerprint)| {
                let severity = match effective_level(f, strict) {
                    Level::Error => "major",
                    Level::Warning => "minor",
                };
                json!({
                    "description": f.message,
                    "check_name": f.rule,
                    "fingerprint": fingerprint,
                    "severity": severity,
                    "location": {
                        "path": f.file,
                        // GitLab requires a line; a finding about a whole
                        // file points at its first.
                        "lines": { "begin": f.line.unwrap_or(1) },
                    },
                })
            })
            .collect(),
    )
}

/// Text for XML character data and attribute values. Characters XML 1.0
/// cannot carry at all are dropped.
fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// One test case: a prompt checked, or a file with findings of its own
/// (promptreg.yaml, prompts.lock).
struct Case<'a> {
    name: String,
    file: String,
    findings: Vec<&'a CheckFinding>,
}

/// JUnit XML: one test case per prompt checked, plus one for the lockfile
/// (when it was checked) and for any other file with findings. A case
/// fails when it has an error (or any finding under `--strict`); its
/// warnings are in `system-out` otherwise.
pub fn junit(report: &Report, strict: bool, lock_checked: bool, lock_file: &str) -> String {
    let mut cases: Vec<Case> = report
        .prompts
        .iter()
        .map(|p| Case {
            name: p.name.clone(),
            file: p.file.clone(),
            findings: Vec::new(),
        })
        .collect();
    if lock_checked {
        cases.push(Case {
            name: lock_file.to_string(),
            file: lock_file.to_string(),
            findings: Vec::new(),
        });
    }
    for f in &report.findings {
        let index = cases.iter().position(|c| match &f.prompt {
            Some(p) => c.name == *p,
            None => c.file == f.file,
        });
        match index {
            Some(i) => cases[i].findings.push(f),
            None => cases.push(Case {
                name: f.prompt.clone().unwrap_or_else(|| f.file.clone()),
                file: f.file.clone(),
                findings: vec![f],
            }),
        }
    }
    let failed = |c: &Case| {
        c.findings
            .iter()
            .any(|f| effective_level(f, strict) == Level::Error)
    };
    let failures = cases.iter().filter(|c| failed(c)).count();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<testsuites name=\"promptreg check\" tests=\"{}\" failures=\"{failures}\" errors=\"0\">",
        cases.len()
    );
    let _ = writeln!(
        s,
        "  <testsuite name=\"promptreg check\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">",
        cases.len()
    );
    for case in &cases {
        let _ = write!(
            s,
            "    <testcase classname=\"promptreg.check\" name=\"{}\" file=\"{}\"",
            xml_escape(&case.name),
            xml_escape(&case.file)
        );
        if case.findings.is_empty() {
            s.push_str("/>\n");
            continue;
        }
        s.push_str(">\n");
        let line = |f: &CheckFinding| {
            format!(
                "{}{}: {}[{}]: {}",
                f.file,
                f.line.map(|l| format!(":{l}")).unwrap_or_default(),
                effective_level(f, strict),
                f.rule,
                f.message
            )
        };
        if failed(case) {
            let errors: Vec<&&CheckFinding> = case
                .findings
                .iter()
                .filter(|f| effective_level(f, strict) == Level::Error)
                .collect();
            let rules: Vec<&str> = errors.iter().map(|f| f.rule).collect();
            let message = if errors.len() == 1 {
                errors[0].message.clone()
            } else {
                format!("{} problems: {}", errors.len(), rules.join(", "))
            };
            let body: Vec<String> = errors.iter().map(|f| line(f)).collect();
            let _ = writeln!(
                s,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                xml_escape(&rules.join(",")),
                xml_escape(&message),
                xml_escape(&body.join("\n"))
            );
        }
        let warnings: Vec<String> = case
            .findings
            .iter()
            .filter(|f| effective_level(f, strict) == Level::Warning)
            .map(|f| line(f))
            .collect();
        if !warnings.is_empty() {
            let _ = writeln!(
                s,
                "      <system-out>{}</system-out>",
                xml_escape(&warnings.join("\n"))
            );
        }
        s.push_str("    </testcase>\n");
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_references_are_percent_encoded() {
        assert_eq!(
            uri_reference("prompts/a b/é.prompt.yaml"),
            "prompts/a%20b/%C3%A9.prompt.yaml"
        );
    }

    #[test]
    fn xml_text_is_escaped() {
        assert_eq!(xml_escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }

    #[test]
    fn every_warning_rule_is_a_rule() {
        for id in WARNING_RULES {
            assert!(RULES.iter().any(|(r, _)| r == id), "{id}");
        }
    }
}
