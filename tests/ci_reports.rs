//! `check --format sarif|junit|gitlab` and `--output FILE`: reports for CI
//! systems, validated against the official SARIF schema and parsed with a
//! real XML parser.

mod common;
use common::*;
use std::path::PathBuf;

/// A registry with three prompts at 1.0.0 committed, then in the working
/// tree: `a` changed without a bump (an error), `b` bumped 1.0.0 → 1.2.0
/// (a warning: skipped versions), `c` unchanged, `d` new and valid.
fn registry_with_findings() -> TestRepo {
    let repo = TestRepo::new();
    for name in ["a", "c"] {
        repo.prompt(name, &text_prompt("1.0.0", &["1.0.0"], "Hello"));
    }
    // Dated as the 1.0.0 entry is in the bumped file below (text_prompt
    // dates entries by position).
    repo.prompt(
        "b",
        &text_prompt("1.0.0", &["1.0.0"], "Hello").replace("2026-01-28", "2026-01-27"),
    );
    repo.commit("three prompts");
    repo.prompt("a", &text_prompt("1.0.0", &["1.0.0"], "Hello there"));
    repo.prompt(
        "b",
        &text_prompt("1.2.0", &["1.2.0", "1.0.0"], "Hello, fixed"),
    );
    repo.prompt("d", &text_prompt("0.1.0", &["0.1.0"], "New"));
    repo
}

/// The official SARIF 2.1.0 schema: beside the repository in `shared/`
/// (`<repo>/../shared/schemas-third-party/`, as CI lays it out).
fn sarif_schema() -> serde_json::Value {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        root.join("../shared/schemas-third-party/sarif-schema-2.1.0.json"),
        // A git worktree beside the main clone (/work/wt15 next to /work/shared).
        root.join("../../shared/schemas-third-party/sarif-schema-2.1.0.json"),
    ];
    let path = candidates.iter().find(|p| p.is_file()).unwrap_or_else(|| {
        panic!(
            "the SARIF 2.1.0 schema is not at {}: this test needs shared/schemas-third-party/ beside the repository",
            candidates[0].display()
        )
    });
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn sarif_validates_against_the_official_schema_with_one_result_per_finding() {
    let repo = registry_with_findings();
    let run = repo.run(&["check", "--no-lock", "--format", "sarif"]);
    run.code(1);
    let sarif = run.json();
    let schema = sarif_schema();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}\n{sarif:#}");

    assert_eq!(sarif["version"], "2.1.0");
    let run0 = &sarif["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let rule = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap();
    assert!(rule("version-not-bumped")["help"]["text"]
        .as_str()
        .unwrap()
        .contains("promptreg bump"));
    assert_eq!(
        rule("version-skipped")["defaultConfiguration"]["level"],
        "warning"
    );
    let results = run0["results"].as_array().unwrap();
    let json = repo.run(&["check", "--no-lock", "--format", "json"]).json();
    assert_eq!(results.len(), json["findings"].as_array().unwrap().len());
    let a = results
        .iter()
        .find(|r| r["ruleId"] == "version-not-bumped")
        .unwrap();
    assert_eq!(a["level"], "error");
    let location = &a["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "prompts/a.prompt.yaml");
    assert_eq!(location["region"]["startLine"], 1);
    let index = a["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "version-not-bumped");
    let b = results
        .iter()
        .find(|r| r["ruleId"] == "version-skipped")
        .unwrap();
    assert_eq!(b["level"], "warning");

    // --strict: the warning is reported as an error, as the exit code says.
    let strict = repo.run(&["check", "--no-lock", "--strict", "--format", "sarif"]);
    let results = strict.json()["runs"][0]["results"].clone();
    assert!(results
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["level"] == "error"));
}

#[test]
fn sarif_of_a_clean_check_has_no_results_and_still_validates() {
    let repo = TestRepo::new();
    repo.prompt("a", &text_prompt("1.0.0", &["1.0.0"], "Hello"));
    repo.commit("one prompt");
    let run = repo.run(&["check", "--no-lock", "--format", "sarif"]);
    run.ok();
    let sarif = run.json();
    let schema = sarif_schema();
    assert!(jsonschema::is_valid(&schema, &sarif));
    assert_eq!(sarif["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn junit_has_one_testcase_per_prompt_checked_and_failures_carry_findings() {
    let repo = registry_with_findings();
    let run = repo.run(&["check", "--format", "junit"]);
    run.code(1);
    let doc = roxmltree::Document::parse(&run.stdout)
        .unwrap_or_else(|e| panic!("not XML ({e}):\n{}", run.stdout));
    let suites = doc.root_element();
    assert_eq!(suites.tag_name().name(), "testsuites");
    let suite = suites
        .children()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    let cases: Vec<roxmltree::Node> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let names: Vec<&str> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
    // The changed prompts (c is unchanged: not checked), then the lockfile.
    assert_eq!(names, ["a", "b", "d", "prompts.lock"]);
    assert_eq!(suite.attribute("tests"), Some("4"));
    let failure = |name: &str| {
        cases
            .iter()
            .find(|c| c.attribute("name") == Some(name))
            .unwrap()
            .children()
            .find(|n| n.has_tag_name("failure"))
    };
    let a = failure("a").expect("a fails");
    assert_eq!(a.attribute("type"), Some("version-not-bumped"));
    assert!(a.text().unwrap().contains("prompts/a.prompt.yaml:1"));
    // A warning is no failure, but it is in the case's output.
    assert!(failure("b").is_none());
    let b = cases
        .iter()
        .find(|c| c.attribute("name") == Some("b"))
        .unwrap();
    let out = b.children().find(|n| n.has_tag_name("system-out")).unwrap();
    assert!(out.text().unwrap().contains("version-skipped"));
    assert!(failure("d").is_none());
    // The lockfile was never written: that is the lockfile's failure.
    let lock = failure("prompts.lock").expect("the lockfile case fails");
    assert_eq!(lock.attribute("type"), Some("lockfile-stale"));
    let failures: usize = suite.attribute("failures").unwrap().parse().unwrap();
    assert_eq!(failures, 2);
}

#[test]
fn junit_escapes_what_xml_cannot_carry_as_is() {
    let repo = TestRepo::new();
    repo.prompt("a", &text_prompt("1.0.0", &["1.0.0"], "Hello"));
    repo.commit("one prompt");
    // An invalid prompt whose message quotes the file's text.
    repo.prompt("a", "version: 1.0.0\ntemplate: \"<&'\"\n");
    let run = repo.run(&["check", "--no-lock", "--format", "junit"]);
    run.code(1);
    roxmltree::Document::parse(&run.stdout)
        .unwrap_or_else(|e| panic!("not XML ({e}):\n{}", run.stdout));
}

#[test]
fn gitlab_code_quality_has_the_required_fields_and_stable_fingerprints() {
    let repo = registry_with_findings();
    let first = repo.run(&["check", "--no-lock", "--format", "gitlab"]);
    first.code(1);
    let issues = first.json();
    let issues = issues.as_array().unwrap();
    assert_eq!(issues.len(), 2, "{issues:#?}");
    for issue in issues {
        for key in ["description", "check_name", "fingerprint", "severity"] {
            assert!(issue[key].is_string(), "{key} in {issue}");
        }
        assert!(issue["location"]["path"].is_string());
        assert!(issue["location"]["lines"]["begin"].is_u64());
        assert!(["info", "minor", "major", "critical", "blocker"]
            .contains(&issue["severity"].as_str().unwrap()));
    }
    let a = issues
        .iter()
        .find(|i| i["check_name"] == "version-not-bumped")
        .unwrap();
    assert_eq!(a["severity"], "major");
    assert_eq!(a["location"]["path"], "prompts/a.prompt.yaml");

    // The same problem on another run, with an unrelated line added above
    // it: the same fingerprint.
    let again = repo
        .run(&["check", "--no-lock", "--format", "gitlab"])
        .json();
    assert_eq!(again, first.json());
    let moved = format!(
        "# a comment\n{}",
        text_prompt("1.0.0", &["1.0.0"], "Hello there")
    );
    repo.prompt("a", &moved);
    let after = repo
        .run(&["check", "--no-lock", "--format", "gitlab"])
        .json();
    let a2 = after
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["check_name"] == "version-not-bumped")
        .unwrap()
        .clone();
    assert_eq!(a2["location"]["lines"]["begin"], 2);
    assert_eq!(a2["fingerprint"], a["fingerprint"]);
    let fingerprints: std::collections::BTreeSet<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fingerprints.len(), issues.len(), "fingerprints are unique");
}

#[test]
fn output_writes_the_report_to_a_file_and_the_summary_to_the_terminal() {
    let repo = registry_with_findings();
    let run = repo.run(&[
        "check",
        "--no-lock",
        "--format",
        "sarif",
        "--output",
        "reports/promptreg.sarif",
    ]);
    // The directory does not exist: a clear error, exit 2.
    run.code(2).stderr_has("cannot write the report");
    std::fs::create_dir_all(repo.file("reports")).unwrap();
    let run = repo.run(&[
        "check",
        "--no-lock",
        "--format",
        "sarif",
        "--output",
        "reports/promptreg.sarif",
    ]);
    run.code(1)
        .stdout_has("version-not-bumped")
        .stdout_has("3 prompts changed, 1 error, 1 warning");
    assert!(!run.stdout.contains("\"runs\""), "{}", run.stdout);
    let sarif: serde_json::Value =
        serde_json::from_str(&repo.read("reports/promptreg.sarif")).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 2);
    // No temporary file is left beside it.
    let left: Vec<_> = std::fs::read_dir(repo.file("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");

    // Replacing the report is atomic: an interrupted write keeps the old one.
    let before = repo.read("reports/promptreg.sarif");
    let run = run_cmd(
        repo.cmd()
            .env("PROMPTREG_FAIL_BEFORE_RENAME", "1")
            .args(["check", "--no-lock", "--format", "junit", "-o"])
            .arg("reports/promptreg.sarif"),
    );
    run.code(2);
    assert_eq!(repo.read("reports/promptreg.sarif"), before);

    // -q: the file still, nothing on the terminal.
    let quiet = repo.run(&[
        "check",
        "--no-lock",
        "-q",
        "--format",
        "junit",
        "-o",
        "r.xml",
    ]);
    quiet.code(1);
    assert_eq!(quiet.stdout, "");
    roxmltree::Document::parse(&repo.read("r.xml")).unwrap();
}

fn run_cmd(cmd: &mut std::process::Command) -> Run {
    common::run(cmd)
}
