//! Fuzzing the parsers with proptest: one generator of hostile inputs per
//! parser, each asserting that no input panics and that every input gives
//! either a value or a clean error (a non-empty message).
//!
//! `cargo test` runs each property for `PROPTEST_CASES` cases (proptest's
//! default, 256). `scripts/fuzz` runs them for minutes each: it sets
//! `PROMPTREG_FUZZ_SECONDS` (stop after that long) and a huge
//! `PROPTEST_CASES`, and reads the line each property prints:
//! `NAME: N executions in S seconds, F failures`.
//!
//! A failing input is shrunk and printed; the run goes on to look for more,
//! then fails. Every crash found is kept below as a regression test.

use promptreg::history::blob_facts::facts_of;
use promptreg::history::blob_facts::StateEntry;
use promptreg_core::bump::{self, Level};
use promptreg_core::digest::sha256_hex;
use promptreg_core::finding::Level as FindingLevel;
use promptreg_core::lockfile::{self, LockEntry, Lockfile, Pin, SplitArm, SplitPin};
use promptreg_core::prompt::{self, ChangelogEntry, RenderError};
use promptreg_core::reference::PromptRef;
use promptreg_core::{config, template};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{TestCaseError, TestError, TestRunner};
use semver::Version;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// The harness: proptest's runner, one case at a time, with a time budget.

/// A case slower than this is reported as a failure (a hang in the making).
const SLOW_CASE: Duration = Duration::from_secs(10);

thread_local! {
    /// True while a generated case runs: its panics are caught and reported
    /// by the runner, so the panic hook need not print them (and their
    /// backtraces) once per shrinking step.
    static IN_CASE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Cases that got past the parser to the property's deeper checks.
    static ACCEPTED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts a case the parser accepted (each property runs on one thread).
fn accepted() {
    ACCEPTED.with(|c| c.set(c.get() + 1));
}

fn quiet_panics_in_cases() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_CASE.with(std::cell::Cell::get) {
                default(info);
            }
        }));
    });
}

/// Runs `test` on values of `strategy` until `PROPTEST_CASES` cases ran or
/// `PROMPTREG_FUZZ_SECONDS` elapsed, shrinking every failure. Prints the
/// execution count, then panics with the failing inputs, if any.
fn fuzz<S>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S: Strategy,
    S::Value: std::fmt::Debug,
{
    let config = ProptestConfig {
        // Shrinking a slow case could otherwise run for hours.
        max_shrink_time: 60_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let cases = u64::from(config.cases);
    let budget = std::env::var("PROMPTREG_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs);
    let mut runner = TestRunner::new(config);
    quiet_panics_in_cases();
    let timed = |value: S::Value| {
        let started = Instant::now();
        IN_CASE.with(|c| c.set(true));
        let result = test(value);
        IN_CASE.with(|c| c.set(false));
        result?;
        let took = started.elapsed();
        if took > SLOW_CASE {
            return Err(TestCaseError::fail(format!("slow case: {took:?}")));
        }
        Ok(())
    };

    ACCEPTED.with(|c| c.set(0));
    let started = Instant::now();
    let mut executions = 0u64;
    let mut failures: Vec<String> = Vec::new();
    while executions < cases && budget.is_none_or(|b| started.elapsed() < b) {
        let tree = match strategy.new_tree(&mut runner) {
            Ok(tree) => tree,
            Err(why) => panic!("{name}: cannot generate a value: {why}"),
        };
        executions += 1;
        match runner.run_one(tree, timed) {
            Ok(_) => {}
            Err(TestError::Fail(why, value)) => {
                let report = format!("{why}\nminimal input: {value:#?}");
                eprintln!("{name}: FAILURE {report}");
                failures.push(report);
                if failures.len() >= 20 {
                    break;
                }
            }
            Err(TestError::Abort(why)) => panic!("{name}: aborted: {why}"),
        }
    }
    println!(
        "{name}: {executions} executions in {} seconds, {} failures",
        started.elapsed().as_secs(),
        failures.len()
    );
    println!(
        "{name}: {} of them accepted by the parser",
        ACCEPTED.with(std::cell::Cell::get)
    );
    assert!(
        failures.is_empty(),
        "{name}: {} failing inputs:\n{}",
        failures.len(),
        failures.join("\n---\n")
    );
}

// ---------------------------------------------------------------------------
// Building blocks of hostile text.

/// File contents, shown as text (escaped) in failure reports.
#[derive(Clone)]
struct Bytes(Vec<u8>);

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match std::str::from_utf8(&self.0) {
            Ok(text) => write!(f, "{text:?}"),
            Err(_) => write!(f, "b\"{}\"", self.0.escape_ascii()),
        }
    }
}

/// YAML (and Jinja) syntax, odd characters and odd numbers, inserted into
/// otherwise valid files.
const SYNTAX: &[&str] = &[
    "&a ",
    "*a",
    "&a",
    "*b ",
    "[",
    "]",
    "{",
    "}",
    ": ",
    ":",
    "- ",
    "-",
    "|",
    ">",
    "|-",
    ">+",
    "|2",
    "!",
    "!!str ",
    "!!binary ",
    "!!map ",
    "!tag ",
    "!<tag:x> ",
    "%YAML 1.2\n",
    "%TAG ! tag:x,2000:\n",
    "%",
    "@",
    "`",
    "\u{0}",
    "\t",
    "\r",
    "\n",
    "\r\n",
    "---\n",
    "...\n",
    "#",
    " #",
    "'",
    "\"",
    "\\",
    "? ",
    ",",
    "<<: *a\n",
    "<<: ",
    "~",
    "null",
    "1e999",
    "-1e999",
    "99999999999999999999999999",
    "18446744073709551616",
    "4294967295",
    "4294967296",
    "2147483648",
    "-9223372036854775809",
    "-0",
    ".nan",
    ".inf",
    "0x7FFFFFFFFFFFFFFF",
    "0o777",
    "0b1",
    "1.0",
    "1_000",
    "true",
    "yes",
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    "{{ x }}",
    "{% for i in x %}",
    "{% endfor %}",
    "\u{feff}",
    "\u{2028}",
    "\u{85}",
    "\u{a0}",
    "é",
    "😀",
    "\u{202e}",
    "\u{fffd}",
    "\u{1b}[31m",
    " ",
    "  ",
    "version: ",
    "changelog:\n",
    "template: ",
    "messages:\n",
    "variables:\n",
    "  - role: user\n    content: x\n",
    "  - version: 9.9.9\n    date: 2026-01-01T00:00:00Z\n    author: A <a@b>\n    reason: r\n",
    "\"\\u0000\"",
    "\"\\uD800\"",
    "'\\'",
    "&anchor [*anchor]",
    "*undefined",
];

/// One edit of a byte string.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(Index, u8),
    Insert(Index, String),
    Delete(Index, usize),
    Duplicate(Index, usize),
    /// `[` or `{a: ` or `- ` repeated: deep flow or block nesting.
    Nest(Index, u8, usize),
    AliasBomb(Index, usize),
    Bom,
    Crlf,
    Tabs,
    Truncate(Index),
}

fn syntax() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(SYNTAX).prop_map(str::to_string),
        1 => any::<String>(),
        1 => prop::collection::vec(prop::sample::select(SYNTAX), 1..8).prop_map(|v| v.concat()),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<Index>(), 1..=255u8).prop_map(|(i, x)| Mutation::Flip(i, x)),
        6 => (any::<Index>(), syntax()).prop_map(|(i, s)| Mutation::Insert(i, s)),
        2 => (any::<Index>(), 1..64usize).prop_map(|(i, n)| Mutation::Delete(i, n)),
        1 => (any::<Index>(), 1..200usize).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
        1 => (any::<Index>(), 0..3u8, 1..400usize).prop_map(|(i, k, n)| Mutation::Nest(i, k, n)),
        1 => (any::<Index>(), 2..12usize).prop_map(|(i, n)| Mutation::AliasBomb(i, n)),
        1 => Just(Mutation::Bom),
        1 => Just(Mutation::Crlf),
        1 => Just(Mutation::Tabs),
        1 => any::<Index>().prop_map(Mutation::Truncate),
    ]
}

/// The billion-laughs shape: each level refers to the previous one ten times.
fn alias_bomb(levels: usize) -> String {
    let mut s = String::from("\nbomb0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..levels {
        let p = i - 1;
        s.push_str(&format!(
            "bomb{i}: &l{i} [*l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}]\n"
        ));
    }
    s
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let at = |i: &Index, len: usize| i.index(len + 1);
        match m {
            Mutation::Flip(i, x) => {
                if !bytes.is_empty() {
                    let p = i.index(bytes.len());
                    bytes[p] ^= x;
                }
            }
            Mutation::Insert(i, s) => {
                let p = at(i, bytes.len());
                bytes.splice(p..p, s.bytes());
            }
            Mutation::Delete(i, n) => {
                let p = at(i, bytes.len());
                let end = (p + n).min(bytes.len());
                bytes.drain(p..end);
            }
            Mutation::Duplicate(i, n) => {
                let p = at(i, bytes.len());
                let end = (p + n).min(bytes.len());
                let copy = bytes[p..end].to_vec();
                bytes.splice(p..p, copy);
            }
            Mutation::Nest(i, kind, n) => {
                let p = at(i, bytes.len());
                let nest = match kind {
                    0 => "[".repeat(*n),
                    1 => "{a: ".repeat(*n),
                    _ => (0..*n.min(&200))
                        .map(|d| format!("{}- \n", " ".repeat(d * 2)))
                        .collect(),
                };
                bytes.splice(p..p, nest.into_bytes());
            }
            Mutation::AliasBomb(i, n) => {
                let p = at(i, bytes.len());
                bytes.splice(p..p, alias_bomb(*n).into_bytes());
            }
            Mutation::Bom => bytes.splice(0..0, "\u{feff}".bytes()).for_each(drop),
            Mutation::Crlf => {
                bytes = String::from_utf8_lossy(&bytes)
                    .replace("\r\n", "\n")
                    .replace('\n', "\r\n")
                    .into_bytes()
            }
            Mutation::Tabs => {
                bytes = String::from_utf8_lossy(&bytes)
                    .replace("  ", "\t")
                    .into_bytes()
            }
            Mutation::Truncate(i) => {
                let p = at(i, bytes.len());
                bytes.truncate(p);
            }
        }
    }
    bytes
}

/// Hostile files shaped like `seeds`: random bytes, random text, strings of
/// YAML syntax, and the seeds with a few mutations each.
fn hostile(seeds: &'static [Vec<u8>]) -> impl Strategy<Value = Bytes> {
    let bytes = prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..2048),
        1 => any::<String>().prop_map(String::into_bytes),
        1 => prop::collection::vec(syntax(), 0..64).prop_map(|v| v.concat().into_bytes()),
        6 => (
            prop::sample::select(seeds),
            prop::collection::vec(mutation(), 1..6)
        )
            .prop_map(|(seed, ms)| apply(seed, &ms)),
    ];
    bytes.prop_map(Bytes)
}

fn read_dir_files(dir: &Path, suffix: &str) -> Vec<Vec<u8>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    paths.sort();
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The valid prompt files of the corpus.
fn valid_prompts() -> &'static [Vec<u8>] {
    static CORPUS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    CORPUS.get_or_init(|| read_dir_files(&root().join("tests/corpus/valid"), ".prompt.yaml"))
}

/// Every prompt file of the corpus, valid and invalid.
fn all_prompts() -> &'static [Vec<u8>] {
    static CORPUS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut all = valid_prompts().to_vec();
        all.extend(read_dir_files(
            &root().join("tests/corpus/invalid"),
            ".prompt.yaml",
        ));
        all
    })
}

const CONFIGS: &[&str] = &[
    "prompts_dir: prompts\n",
    "prompts_dir: prompts\nref: main\ntag_prefix: prompts/\nenvironments:\n  production:\n    \"*\": latest\n",
    "prompts_dir: prompts\nenvironments:\n  production:\n    support/triage: \"~1.1\"\n    classify/sentiment: \"^1\"\n    \"*\": latest\n  staging:\n    \"*\": latest-pre\n",
    "# comment\nprompts_dir: src/prompts\nenvironments:\n  canary:\n    support/triage:\n      split: { \"=1.2.0\": 90, \"=1.3.0\": 10 }\n    sql/generate: exclude\n    extract/invoice: \"=3.0.0\"\n",
    "prompts_dir: prompts\nbump_policy:\n  model-name-changed: major  # evals are model-specific\n",
];

fn configs() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut seeds: Vec<Vec<u8>> = CONFIGS.iter().map(|s| s.as_bytes().to_vec()).collect();
        if let Ok(own) = std::fs::read(root().join("promptreg.yaml")) {
            seeds.push(own);
        }
        seeds
    })
}

const LOCKFILE: &str = r#"# Generated by promptreg. Do not edit by hand: run `promptreg lock`.
lockfile_version: 1
prompts:
  - name: support/triage
    version: 1.2.0
    path: prompts/support/triage.prompt.yaml
    commit: 3f2c1a9d0e8b7c6a5f4e3d2c1b0a9f8e7d6c5b4a
    blob: 0e8a71b71fde14ee03c7046b8200a77e7c27cb6d
    sha256: 5b2113ec15cfa1993a6a5dbb932198608e25b959d1bedd4cb3abf5744f86d206
    reason: "Return JSON: a summary field."
    author: Ada Lovelace <ada@example.com>
    date: "2026-10-01T08:00:00Z"
  - name: support/triage
    version: 1.3.0
    path: prompts/support/triage.prompt.yaml
    commit: b567a20d0e8b7c6a5f4e3d2c1b0a9f8e7d6c5b4a
    blob: 4431c956162542666e33b32d63577095720758bf
    sha256: 709813194dd7b9ed82a6493a5593abb609e722c2ab2c35cc69b735a16afea88e
    reason: Let callers choose the tone.
    author: Ada Lovelace <ada@example.com>
    date: "2026-11-20T10:04:00Z"
environments:
  production:
    support/triage: 1.3.0
  canary:
    support/triage:
      split:
        - version: 1.2.0
          weight: 90
        - version: 1.3.0
          weight: 10
"#;

fn lockfiles() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut seeds = vec![LOCKFILE.as_bytes().to_vec()];
        if let Ok(own) = std::fs::read(root().join("prompts.lock")) {
            seeds.push(own);
        }
        seeds
    })
}

// ---------------------------------------------------------------------------
// Prompt files.

#[track_caller]
fn assert_prompt_checked(bytes: &[u8]) -> Result<(), TestCaseError> {
    let checked = prompt::check(bytes);
    let errors: Vec<_> = checked
        .findings
        .iter()
        .filter(|f| f.level == FindingLevel::Error)
        .collect();
    match &checked.prompt {
        Some(p) => {
            accepted();
            prop_assert!(errors.is_empty(), "a prompt with errors: {errors:?}");
            // What commands do next with a valid prompt must not panic either.
            let _ = p.templates();
            let _ = p.kind();
        }
        None => prop_assert!(!errors.is_empty(), "refused without an error"),
    }
    for f in &checked.findings {
        prop_assert!(!f.message.trim().is_empty(), "empty message: {f:?}");
        if let Some(line) = f.line {
            // YAML also breaks lines at CR, NEL, U+2028 and U+2029.
            let text = String::from_utf8_lossy(bytes);
            let lines = text
                .chars()
                .filter(|c| matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}'))
                .count()
                + 1;
            prop_assert!(
                line >= 1 && line <= lines + 1,
                "line {line} of {lines}: {f:?}"
            );
        }
    }
    Ok(())
}

/// Prompt files: hostile mutations of the corpus, and layout edits
/// (comments, CRLF, BOM, quoting) that keep most files valid, so that what
/// comes after the parser gets exercised too.
fn prompt_files() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        3 => hostile(all_prompts()),
        1 => (
            prop::sample::select(valid_prompts()),
            prop::collection::vec(benign(), 0..4)
        )
            .prop_map(|(seed, edits)| Bytes(apply_benign(&String::from_utf8_lossy(&seed), &edits))),
    ]
}

#[test]
fn fuzz_prompt_file() {
    fuzz("prompt_file", prompt_files(), |bytes| {
        assert_prompt_checked(&bytes.0)
    });
}

// ---------------------------------------------------------------------------
// What a history walk reads of every version of every prompt.

/// A valid prompt whose `version:` line is rewritten into a shape the line
/// reader must not misread: continued on an indented line (a plain
/// multi-line scalar), quoted across lines, a flow scalar or collection, a
/// tag, an anchor, a comment.
fn version_line_variants() -> impl Strategy<Value = Bytes> {
    let value = prop::sample::select(
        &[
            "2.0.0",
            "\"2.0.0\"",
            "'2.0.0'",
            "2.0.0 # c",
            "\"2.0.0",
            "'2.0.0",
            "[2.0.0]",
            "{2.0.0}",
            "{v: 2.0.0}",
            "!!str 2.0.0",
            "&a 2.0.0",
            "\"2.0.0\\\n  .1\"",
            "2.0.0 #",
            "2.0.0\t",
            ">-\n  2.0.0",
            "|\n  2.0.0",
        ][..],
    );
    let after = prop::sample::select(
        &[
            "",
            "  .1\n",
            "\n  .1\n",
            "\t.1\n",
            "   \n  -rc.1\n",
            "  # c\n",
            "# c\n",
            "  \"x\"\n",
            " : x\n",
        ][..],
    );
    (prop::sample::select(valid_prompts()), value, after).prop_map(|(seed, value, after)| {
        let text = String::from_utf8_lossy(&seed);
        let mut out = String::new();
        for line in text.split_inclusive('\n') {
            if line.starts_with("version:") {
                out.push_str(&format!("version: {value}\n{after}"));
            } else {
                out.push_str(line);
            }
        }
        Bytes(out.into_bytes())
    })
}

#[test]
fn fuzz_blob_facts() {
    let files = prop_oneof![3 => prompt_files(), 1 => version_line_variants()];
    fuzz("blob_facts", files, |bytes| {
        let facts = facts_of(&bytes.0);
        prop_assert_eq!(&facts.sha256, &sha256_hex(&bytes.0));
        let checked = prompt::check(&bytes.0).prompt;
        // Released means valid, on every file: the walk releases a version
        // exactly when the full parse and validation accept the file with
        // that version.
        prop_assert_eq!(
            facts.released_version().map(str::to_string),
            checked.as_ref().map(|p| p.version.to_string())
        );
        // The line reader alone agrees with a YAML parse of the key on
        // every file that parses.
        #[derive(serde::Deserialize)]
        struct OnlyVersion {
            version: String,
        }
        if let Ok(parsed) = std::str::from_utf8(&bytes.0)
            .map_err(|_| ())
            .and_then(|t| promptreg_core::yaml::from_str::<OnlyVersion>(t).map_err(|_| ()))
        {
            let want = Version::parse(&parsed.version).ok();
            prop_assert_eq!(promptreg_core::fast_read::version_of(&bytes.0), want);
        }
        if let Some(p) = checked {
            accepted();
            // The walk reads the version and the changelog entry from their
            // lines; a valid file must give what the full parse gives.
            prop_assert_eq!(facts.version, Some(p.version.to_string()));
            let first = p.file.changelog.first().cloned().map(StateEntry::from);
            prop_assert_eq!(facts.entry, first);
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------
// promptreg.yaml.

/// `promptreg.yaml` written from random parts: every key, environments with
/// requirements and A/B splits with extreme weights, bump policies.
fn structured_config() -> impl Strategy<Value = Bytes> {
    let pick =
        |items: &'static [&'static str]| prop::sample::select(items).prop_map(str::to_string);
    let requirement = prop_oneof![
        pick(&[
            "latest",
            "latest-pre",
            "exclude",
            "^1.2",
            "~1.4",
            ">=1.2, <2",
            "=1.2.0",
            "1.2.0",
            "*",
            "",
            "^",
            ">=1.0.0-rc.1",
            "=99999999999999999999.0.0",
            "latest-",
            "^1.2 || ^2"
        ]),
        "[\\^~<>=*., 0-9a-z-]{0,12}",
    ];
    let weight = prop_oneof![
        pick(&[
            "0",
            "1",
            "50",
            "100",
            "-1",
            "4294967295",
            "4294967296",
            "2147483648",
            "1.5",
            "1e3",
            "null",
            "\"50\""
        ]),
        any::<u32>().prop_map(|n| n.to_string()),
    ];
    let rule = prop_oneof![
        3 => requirement.clone().prop_map(|r| format!("\"{}\"", r.replace('\\', "\\\\").replace('"', "\\\""))),
        1 => prop::collection::vec((requirement, weight), 0..4).prop_map(|arms| {
            let arms: Vec<String> = arms
                .iter()
                .map(|(r, w)| format!("\"{}\": {w}", r.replace(['\\', '"'], "")))
                .collect();
            format!("\n      split: {{ {} }}", arms.join(", "))
        }),
    ];
    let name = prop_oneof![
        pick(&[
            "\"*\"",
            "support/triage",
            "a",
            "A",
            "../x",
            "x/",
            "\"\"",
            "a b",
            "é"
        ]),
        "[a-z0-9/._-]{1,12}",
    ];
    let env = prop_oneof![
        pick(&[
            "production",
            "staging",
            "canary",
            "Prod",
            "a b",
            "\"\"",
            "-x",
            "é"
        ]),
        "[a-z_-]{1,8}"
    ];
    let environment = (env, prop::collection::vec((name, rule), 0..4)).prop_map(|(env, rules)| {
        let mut s = format!("  {env}:\n");
        for (name, rule) in rules {
            s.push_str(&format!("    {name}: {rule}\n"));
        }
        s
    });
    let policy = (
        pick(&[
            "model-name-changed",
            "template-changed",
            "variable-removed",
            "nope",
            "description-changed",
            "\"\"",
        ]),
        pick(&["major", "minor", "patch", "none", "MAJOR", "1", "null"]),
    )
        .prop_map(|(rule, level)| format!("  {rule}: {level}\n"));
    let scalar = || {
        prop_oneof![
            pick(&[
                "prompts",
                "./prompts/",
                ".",
                "",
                "..",
                "../x",
                "/abs",
                "a/../../b",
                "p r",
                "é",
                "null",
                "1",
                "[]",
                "{}",
                "C:\\\\x",
                "\"\\u0000\""
            ]),
            "[ -~]{0,12}",
        ]
    };
    (
        prop::option::of(scalar()),
        prop::option::of(scalar()),
        prop::option::of(scalar()),
        prop::option::of(prop::collection::vec(environment, 0..3)),
        prop::option::of(prop::collection::vec(policy, 0..3)),
        prop::collection::vec(mutation(), 0..2),
    )
        .prop_map(|(dir, git_ref, prefix, envs, policy, mutations)| {
            let mut s = String::new();
            if let Some(d) = dir {
                s.push_str(&format!("prompts_dir: {d}\n"));
            }
            if let Some(r) = git_ref {
                s.push_str(&format!("ref: {r}\n"));
            }
            if let Some(p) = prefix {
                s.push_str(&format!("tag_prefix: {p}\n"));
            }
            if let Some(envs) = envs {
                s.push_str(&format!("environments:\n{}", envs.concat()));
            }
            if let Some(policy) = policy {
                s.push_str(&format!("bump_policy:\n{}", policy.concat()));
            }
            Bytes(apply(s.into_bytes(), &mutations))
        })
}

#[test]
fn fuzz_config() {
    let input = prop_oneof![
        1 => hostile(configs()),
        1 => structured_config(),
    ];
    fuzz("config", input, |bytes| {
        match config::check(&bytes.0) {
            Ok(_) => accepted(),
            Err(findings) => {
                prop_assert!(!findings.is_empty(), "refused without a finding");
                for f in &findings {
                    prop_assert!(!f.message.trim().is_empty(), "empty message: {f:?}");
                }
            }
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------
// prompts.lock.

/// Checks a parsed lockfile the way `lock --locked` and `verify` use it, and
/// that writing it and reading it back gives the same lockfile.
fn assert_lockfile_round_trips(lock: &Lockfile) -> Result<(), TestCaseError> {
    let _ = lock.problems();
    for pins in lock.environments.values() {
        for pin in pins.values() {
            let _ = pin.to_string();
        }
    }
    let text = lockfile::render(lock);
    match lockfile::parse(text.as_bytes()) {
        Ok(back) => prop_assert_eq!(back, lock.clone().canonical(), "written:\n{}", text),
        Err(e) => prop_assert!(
            false,
            "render wrote a lockfile it cannot read ({e}):\n{text}"
        ),
    }
    Ok(())
}

/// Lockfiles built from arbitrary strings: what `lock` writes when a
/// changelog carries odd reasons and authors.
fn arbitrary_lockfile() -> impl Strategy<Value = Lockfile> {
    let text = || {
        prop_oneof![
            3 => any::<String>(),
            2 => prop::collection::vec(syntax(), 0..6).prop_map(|v| v.concat()),
            1 => prop::sample::select(&["1.0.0", "yes", "null", "1e3", "0755", "2026-01-01", "~", "", " ", "-", "a: b"][..]).prop_map(str::to_string),
        ]
    };
    let entry = (
        text(),
        text(),
        text(),
        text(),
        text(),
        text(),
        text(),
        text(),
        text(),
    )
        .prop_map(
            |(name, version, path, commit, blob, sha256, reason, author, date)| LockEntry {
                name,
                version,
                path,
                commit,
                blob,
                sha256,
                reason,
                author,
                date,
                partials: Default::default(),
            },
        );
    let pin = prop_oneof![
        text().prop_map(Pin::Version),
        prop::collection::vec(
            (text(), any::<u32>()).prop_map(|(version, weight)| SplitArm { version, weight }),
            0..3
        )
        .prop_map(|split| Pin::Split(SplitPin { split })),
    ];
    (
        prop::collection::vec(entry, 0..4),
        prop::collection::btree_map(text(), prop::collection::btree_map(text(), pin, 0..3), 0..3),
    )
        .prop_map(|(prompts, environments)| Lockfile {
            lockfile_version: 1,
            prompts,
            partials: Vec::new(),
            environments,
        })
}

#[derive(Debug, Clone)]
enum LockInput {
    Bytes(Bytes),
    Built(Lockfile),
}

#[test]
fn fuzz_lockfile() {
    let input = prop_oneof![
        4 => hostile(lockfiles()).prop_map(LockInput::Bytes),
        1 => arbitrary_lockfile().prop_map(LockInput::Built),
    ];
    fuzz("lockfile", input, |input| {
        match input {
            LockInput::Bytes(bytes) => match lockfile::parse(&bytes.0) {
                Ok(lock) => {
                    accepted();
                    assert_lockfile_round_trips(&lock)?
                }
                Err(e) => prop_assert!(!e.trim().is_empty(), "empty error"),
            },
            LockInput::Built(lock) => {
                accepted();
                assert_lockfile_round_trips(&lock)?
            }
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------
// Version references.

const NAME_PARTS: &[&str] = &[
    "a",
    "support",
    "triage",
    "x.y_z-1",
    "0",
    "A",
    "..",
    ".",
    "",
    "a b",
    "é",
    "-x",
    "_",
    "x:y",
    "\u{0}",
    "very-long-segment-very-long-segment-very-long-segment",
];

const SPEC_PARTS: &[&str] = &[
    "^",
    "~",
    ">=",
    "<=",
    ">",
    "<",
    "=",
    "*",
    "x",
    "X",
    ",",
    ", ",
    " ",
    "1",
    "0",
    "2",
    "01",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999",
    ".",
    "-",
    "+",
    "rc",
    "alpha",
    "latest",
    "latest-pre",
    "rev:",
    "main",
    "~3",
    "^0",
    "@",
    "\u{0}",
    "é",
    "||",
    "\t",
    "\n",
    "HEAD",
    ":",
    "..",
    "/",
];

fn reference() -> impl Strategy<Value = String> {
    let name =
        prop::collection::vec(prop::sample::select(NAME_PARTS), 1..5).prop_map(|v| v.join("/"));
    let spec =
        prop::collection::vec(prop::sample::select(SPEC_PARTS), 0..12).prop_map(|v| v.concat());
    prop_oneof![
        1 => any::<String>(),
        1 => "[a-z/@^~<>=,. 0-9*x+-]{0,40}",
        4 => (name, prop::option::of(spec)).prop_map(|(n, s)| match s {
            Some(s) => format!("{n}@{s}"),
            None => n,
        }),
    ]
}

#[test]
fn fuzz_reference() {
    fuzz("reference", reference(), |text| {
        match PromptRef::parse(&text) {
            Ok(r) => {
                accepted();
                // What it names is the part before the first `@`.
                let name = text.split('@').next().unwrap_or_default();
                prop_assert_eq!(r.name.to_string(), name);
                // Printed back, it names the same thing.
                let shown = r.to_string();
                match PromptRef::parse(&shown) {
                    Ok(again) => prop_assert_eq!(&again, &r, "printed as {}", shown),
                    Err(e) => prop_assert!(false, "printed as {shown}, which fails: {e}"),
                }
                let _ = r.needs_history();
            }
            Err(e) => prop_assert!(!e.message.trim().is_empty(), "empty error"),
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------
// Templates and `--var` values.

/// Template pieces. Numbers stay small and there is no `macro`, `include`
/// or recursion: the engine could loop for as long as a template asks it to.
const TEMPLATE_PARTS: &[&str] = &[
    // Work without bound but for the rendering budget (fuel, output cap).
    "{% for a in range(100000) %}",
    "{% for b in range(100000) %}",
    "{% endfor %}",
    "{{ 'x' * 1000000 }}",
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    "{{ x }}",
    "{{ y }}",
    "{{ x|upper }}",
    "{{ x|length }}",
    "{{ x ~ y }}",
    "{{ x[0] }}",
    "{{ x.a }}",
    "{{ x * 2 }}",
    "{{ x + y }}",
    "{{ x / 0 }}",
    "{{ x // y }}",
    "{{ x % y }}",
    "{{ -x }}",
    "{{ x is defined }}",
    "{{ x|join(',') }}",
    "{{ x|int }}",
    "{{ x|float }}",
    "{{ x|tojson }}",
    "{{ x|replace('a', y) }}",
    "{{ x[1:3] }}",
    "{{ x|first }}",
    "{{ x|sort }}",
    "{{ x|abs }}",
    "{{ x|round }}",
    "{{ x|items }}",
    "{% if x %}",
    "{% elif y %}",
    "{% else %}",
    "{% endif %}",
    "{% for i in x %}",
    "{% for i in range(5) %}",
    "{% for k, v in x|items %}",
    "{% endfor %}",
    "{{ i }}",
    "{{ loop.index }}",
    "{% set z = x %}",
    "{{ z }}",
    "{% raw %}",
    "{% endraw %}",
    "{% with a = 1 %}",
    "{% endwith %}",
    "{% filter upper %}",
    "{% endfilter %}",
    "{{ self }}",
    "{{ range(3) }}",
    "{{ dict(a=1) }}",
    "{{ namespace() }}",
    "{{ debug() }}",
    "{{ 1 }}",
    "{{ '",
    "'",
    "\"",
    "{{ x(",
    ")",
    "|",
    "x",
    "y",
    " ",
    "\n",
    "\r\n",
    "-",
    "{%-",
    "-%}",
    "{{-",
    "-}}",
    "{{ 9223372036854775807 + 1 }}",
    "{{ -9223372036854775808 // -1 }}",
    "{{ 2 ** 64 }}",
    "{{ 1e308 * 10 }}",
    "{{ x ** 3 }}",
    "é",
    "😀",
    "\u{0}",
];

fn value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{json, Value};
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::sample::select(&[0i64, 1, -1, 2, 3, i64::MAX, i64::MIN][..]).prop_map(|n| json!(n)),
        any::<String>().prop_map(Value::String),
        prop::collection::vec(prop::sample::select(TEMPLATE_PARTS), 0..4)
            .prop_map(|v| Value::String(v.concat())),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map("[a-z]{1,3}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum TemplateInput {
    /// A template and values, through the engine directly.
    Template(String, BTreeMap<String, serde_json::Value>),
    /// `--var KEY=VALUE` pairs given to a corpus prompt.
    Vars(usize, Vec<String>),
}

fn var_pair() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z_]{1,8}=.{0,40}",
        (
            "[a-z_]{1,8}",
            prop::collection::vec(prop::sample::select(TEMPLATE_PARTS), 0..6)
        )
            .prop_map(|(k, v)| format!("{k}={}", v.concat())),
        prop::sample::select(
            &[
                "=",
                "==",
                "x==",
                "=x",
                "x=",
                "1x=a",
                "x y=1",
                "é=1",
                "ticket=\u{0}"
            ][..]
        )
        .prop_map(str::to_string),
    ]
}

#[test]
fn fuzz_template() {
    let input = prop_oneof![
        2 => (
            prop::collection::vec(prop::sample::select(TEMPLATE_PARTS), 0..12).prop_map(|v| v.concat()),
            prop::collection::btree_map(prop::sample::select(&["x", "y", "z", "i"][..]).prop_map(str::to_string), value(), 0..3),
        )
            .prop_map(|(t, v)| TemplateInput::Template(t, v)),
        1 => (any::<usize>(), prop::collection::vec(var_pair(), 0..5))
            .prop_map(|(i, pairs)| TemplateInput::Vars(i, pairs)),
    ];
    fuzz("template", input, |input| {
        match input {
            TemplateInput::Template(source, vars) => {
                match template::placeholders(&source) {
                    Ok(_) => {}
                    Err(e) => prop_assert!(!e.message.trim().is_empty(), "empty error"),
                }
                match template::render(&source, &vars) {
                    Ok(out) => {
                        accepted();
                        prop_assert!(
                            out.len() <= template::MAX_RENDER_BYTES,
                            "over the output cap"
                        );
                    }
                    Err(e) => prop_assert!(!e.message.trim().is_empty(), "empty error"),
                }
            }
            TemplateInput::Vars(index, pairs) => {
                let prompts = valid_prompts();
                let prompt = prompt::parse(&prompts[index % prompts.len()])
                    .map_err(|f| TestCaseError::fail(format!("corpus prompt invalid: {f:?}")))?;
                // `render --var` splits at the first `=` and wants an identifier.
                let mut given = BTreeMap::new();
                for pair in &pairs {
                    if let Some((k, v)) = pair.split_once('=') {
                        if prompt::is_identifier(k) {
                            given.insert(k.to_string(), serde_json::Value::String(v.to_string()));
                        }
                    }
                }
                let declared = &prompt.file.variables;
                let unknown: Vec<&String> = given
                    .keys()
                    .filter(|k| !declared.contains_key(*k))
                    .collect();
                let missing: Vec<&String> = declared
                    .iter()
                    .filter(|(k, v)| v.is_required() && !given.contains_key(*k))
                    .map(|(k, _)| k)
                    .collect();
                match prompt.render(&given) {
                    Err(RenderError::Variables {
                        missing: m,
                        unknown: u,
                        ..
                    }) => {
                        prop_assert!(!unknown.is_empty() || !missing.is_empty());
                        prop_assert_eq!(m.iter().collect::<Vec<_>>(), missing);
                        prop_assert_eq!(u.iter().collect::<Vec<_>>(), unknown);
                    }
                    Err(RenderError::Template { message, .. }) => {
                        prop_assert!(!message.trim().is_empty(), "empty error")
                    }
                    Ok(_) => {
                        accepted();
                        prop_assert!(unknown.is_empty() && missing.is_empty())
                    }
                }
            }
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------
// The bump rewriter.

/// Edits that keep a prompt file valid, most of the time: the layouts
/// people write and `bump` must keep byte for byte.
#[derive(Debug, Clone)]
enum Benign {
    Bom,
    Crlf,
    DocumentStart,
    DocumentEnd,
    CommentLine(Index, String),
    BlankLine(Index),
    TrailingComment(Index, String),
    TrailingSpaces(Index),
    QuoteVersion(bool),
    VersionComment(String),
    ChangelogComment(String),
    ChangelogAtColumnZero,
    /// Any hostile edit, to check that the rewriter fails cleanly.
    Hostile(Mutation),
}

fn benign() -> impl Strategy<Value = Benign> {
    let comment = || "[ -~é]{0,20}".prop_map(|s| format!("# {s}"));
    prop_oneof![
        1 => Just(Benign::Bom),
        1 => Just(Benign::Crlf),
        1 => Just(Benign::DocumentStart),
        1 => Just(Benign::DocumentEnd),
        2 => (any::<Index>(), comment()).prop_map(|(i, c)| Benign::CommentLine(i, c)),
        2 => any::<Index>().prop_map(Benign::BlankLine),
        2 => (any::<Index>(), comment()).prop_map(|(i, c)| Benign::TrailingComment(i, c)),
        1 => any::<Index>().prop_map(Benign::TrailingSpaces),
        1 => any::<bool>().prop_map(Benign::QuoteVersion),
        1 => comment().prop_map(Benign::VersionComment),
        1 => comment().prop_map(Benign::ChangelogComment),
        1 => Just(Benign::ChangelogAtColumnZero),
        2 => mutation().prop_map(Benign::Hostile),
    ]
}

fn apply_benign(text: &str, edits: &[Benign]) -> Vec<u8> {
    let mut text = text.to_string();
    for edit in edits {
        let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
        let eol = |l: &str| {
            if l.ends_with("\r\n") {
                "\r\n"
            } else if l.ends_with('\n') {
                "\n"
            } else {
                ""
            }
            .to_string()
        };
        let body = |l: &str| l.trim_end_matches(['\r', '\n']).to_string();
        match edit {
            Benign::Bom => text.insert(0, '\u{feff}'),
            Benign::Crlf => text = text.replace("\r\n", "\n").replace('\n', "\r\n"),
            Benign::DocumentStart => text.insert_str(0, "---\n"),
            Benign::DocumentEnd => text.push_str("...\n"),
            Benign::CommentLine(i, c) => {
                let p = i.index(lines.len() + 1);
                lines.insert(p, format!("{c}\n"));
                text = lines.concat();
            }
            Benign::BlankLine(i) => {
                let p = i.index(lines.len() + 1);
                lines.insert(p, "\n".into());
                text = lines.concat();
            }
            Benign::TrailingComment(i, c) => {
                if !lines.is_empty() {
                    let p = i.index(lines.len());
                    let l = &lines[p];
                    lines[p] = format!("{} {c}{}", body(l), eol(l));
                    text = lines.concat();
                }
            }
            Benign::TrailingSpaces(i) => {
                if !lines.is_empty() {
                    let p = i.index(lines.len());
                    let l = &lines[p];
                    lines[p] = format!("{}   {}", body(l), eol(l));
                    text = lines.concat();
                }
            }
            Benign::QuoteVersion(double) => {
                let q = if *double { '"' } else { '\'' };
                for l in lines.iter_mut().filter(|l| l.starts_with("version: ")) {
                    let v = body(&l["version: ".len()..]);
                    if !v.starts_with(['"', '\'']) {
                        *l = format!("version: {q}{v}{q}{}", eol(l));
                    }
                }
                text = lines.concat();
            }
            Benign::VersionComment(c) => {
                for l in lines.iter_mut().filter(|l| l.starts_with("version: ")) {
                    *l = format!("{} {c}{}", body(l), eol(l));
                }
                text = lines.concat();
            }
            Benign::ChangelogComment(c) => {
                for l in lines.iter_mut().filter(|l| body(l) == "changelog:") {
                    *l = format!("changelog: {c}{}", eol(l));
                }
                text = lines.concat();
            }
            Benign::ChangelogAtColumnZero => {
                let Some(start) = lines.iter().position(|l| body(l) == "changelog:") else {
                    continue;
                };
                for l in lines.iter_mut().skip(start + 1) {
                    if !l.starts_with("  ") && !body(l).trim().is_empty() {
                        break;
                    }
                    if l.starts_with("  ") {
                        *l = l[2..].to_string();
                    }
                }
                text = lines.concat();
            }
            Benign::Hostile(m) => {
                text = String::from_utf8_lossy(&apply(text.into_bytes(), std::slice::from_ref(m)))
                    .into_owned()
            }
        }
    }
    text.into_bytes()
}

fn changelog_entry() -> impl Strategy<Value = (String, String, String)> {
    let date = (
        1970..2200u32,
        1..=12u32,
        1..=28u32,
        0..24u32,
        0..60u32,
        0..60u32,
        prop::option::of("[0-9]{1,9}"),
    )
        .prop_map(|(y, mo, d, h, mi, s, frac)| {
            let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}Z")
        });
    let name = prop_oneof![
        "[A-Za-z][A-Za-z .'-]{0,20}",
        "[^<>\n\r]{1,20}",
        prop::sample::select(
            &[
                "yes", "null", "- dash", "# hash", "a: b", "\"q\"", "'s'", "&a", "*a", "!t", "[x]",
                "{x}", "|", ">", "@", "`", "%", "é", "x #y", "1.0", "~", "\t"
            ][..]
        )
        .prop_map(str::to_string),
    ];
    let author = (name, "[a-z0-9.+_-]{1,10}", "[a-z0-9.-]{1,10}")
        .prop_map(|(n, l, d)| format!("{n} <{l}@{d}>"));
    let reason = prop_oneof![
        "[A-Za-z][A-Za-z ,.()'_@<>+/-]{0,40}",
        any::<String>(),
        prop::collection::vec(prop::sample::select(SYNTAX), 1..6).prop_map(|v| v.concat()),
    ];
    (date, author, reason)
}

#[derive(Debug, Clone)]
struct BumpInput {
    file: Bytes,
    level: Level,
    pre_id: String,
    entry: (String, String, String),
    replace_first: bool,
}

fn bump_input() -> impl Strategy<Value = BumpInput> {
    let level = prop::sample::select(
        &[
            Level::Major,
            Level::Minor,
            Level::Patch,
            Level::Premajor,
            Level::Preminor,
            Level::Prepatch,
            Level::Prerelease,
        ][..],
    );
    (
        prop::sample::select(valid_prompts()),
        prop::collection::vec(benign(), 0..5),
        level,
        prop_oneof![Just("rc".to_string()), "[a-z0-9]{1,6}", "[ -~]{0,6}"],
        changelog_entry(),
        any::<bool>(),
    )
        .prop_map(
            |(seed, edits, level, pre_id, entry, replace_first)| BumpInput {
                file: Bytes(apply_benign(&String::from_utf8_lossy(&seed), &edits)),
                level,
                pre_id,
                entry,
                replace_first,
            },
        )
}

fn assert_bump(input: BumpInput) -> Result<(), TestCaseError> {
    let before = prompt::check(&input.file.0);
    let Ok(text) = std::str::from_utf8(&input.file.0) else {
        return Ok(());
    };
    // The version bump computes: the next one after the file's, or after an
    // arbitrary one when the file has none.
    let base = before
        .prompt
        .as_ref()
        .map_or_else(|| Version::new(1, 2, 3), |p| p.version.clone());
    let Ok(version) = bump::next_version(&base, input.level, &input.pre_id) else {
        return Ok(());
    };
    let (date, author, reason) = input.entry;
    let entry = ChangelogEntry {
        version: version.to_string(),
        date,
        author,
        reason,
    };
    let result = bump::rewrite(text, &version, &entry, input.replace_first);
    let (Some(old), Ok(new_text)) = (before.prompt, result) else {
        return Ok(());
    };
    let entry_valid = promptreg_core::date::is_utc_rfc3339(&entry.date)
        && prompt::is_author(&entry.author)
        && !entry.reason.trim().is_empty();
    if !entry_valid || old.version >= version {
        return Ok(());
    }
    accepted();
    let after = prompt::check(new_text.as_bytes());
    let Some(new) = after.prompt else {
        return Err(TestCaseError::fail(format!(
            "the rewritten file is not a valid prompt: {:?}\n--- before\n{text}\n--- after\n{new_text}",
            after.findings
        )));
    };
    prop_assert_eq!(&new.version, &version, "after:\n{}", new_text);
    prop_assert_eq!(&new.file.changelog[0], &entry, "after:\n{}", new_text);
    let kept = if input.replace_first { 1 } else { 0 };
    prop_assert_eq!(
        &new.file.changelog[1..],
        &old.file.changelog[kept..],
        "after:\n{}",
        new_text
    );
    // Nothing else changed.
    let mut same = new.file.clone();
    same.version = old.file.version.clone();
    same.changelog = old.file.changelog.clone();
    prop_assert_eq!(&same, &old.file, "after:\n{}", new_text);
    Ok(())
}

#[test]
fn fuzz_bump() {
    fuzz("bump", bump_input(), assert_bump);
}

// ---------------------------------------------------------------------------
// Regressions: inputs the fuzzer found, kept as plain tests.

#[test]
fn corpus_is_read() {
    assert!(valid_prompts().len() >= 10);
    for seed in valid_prompts() {
        assert!(prompt::check(seed).prompt.is_some());
    }
    for seed in configs() {
        assert!(
            config::check(seed).is_ok(),
            "{}",
            String::from_utf8_lossy(seed)
        );
    }
    for seed in lockfiles() {
        let lock = lockfile::parse(seed).unwrap();
        assert_lockfile_round_trips(&lock).unwrap();
    }
}

/// Split weights are u32: their sum overflowed (a panic in debug builds;
/// in release it wrapped, so 4294967295 + 101 passed as 100).
#[test]
fn regression_split_weights_that_overflow_are_refused() {
    for text in [
        "environments:\n  production:\n    \"*\": \n      split: { \"latest\": 1, \"latest-pre\": 4294967295 }\n",
        "environments:\n  canary:\n    a:\n      split: { \"=1.2.0\": 4294967295, \"=1.3.0\": 101 }\n",
    ] {
        let findings = config::check(text.as_bytes()).unwrap_err();
        assert!(
            findings.iter().any(|f| f.rule == "split-weights"),
            "{findings:?}"
        );
    }
    let findings = config::check(
        b"environments:\n  canary:\n    a:\n      split: { \"=1.2.0\": 4294967295, \"=1.3.0\": 101 }\n",
    )
    .unwrap_err();
    assert!(
        findings[0].message.contains("sum to 4294967396, not 100"),
        "{findings:?}"
    );
}

/// Characters JSON leaves raw but YAML refuses (DEL, C1 controls, BOM) or
/// folds as a line break (NEL, U+2028, U+2029): `bump` wrote them into an
/// unreadable prompt file, `lock` into an unreadable or different lockfile.
#[test]
fn regression_scalars_escape_what_yaml_does_not_take_raw() {
    let seed = std::str::from_utf8(&valid_prompts()[0]).unwrap();
    let old = prompt::parse(seed.as_bytes()).unwrap();
    let version = bump::next_version(&old.version, Level::Major, "rc").unwrap();
    for odd in [
        "\u{7f}", "\u{85}", "\u{9f}", "\u{2028}", "\u{2029}", "\u{feff}", "\u{ffff}",
    ] {
        let entry = ChangelogEntry {
            version: version.to_string(),
            date: "2026-01-01T00:00:00Z".into(),
            author: format!("A{odd}da <ada@example.com>"),
            reason: format!("Because{odd}so"),
        };
        let text = bump::rewrite(seed, &version, &entry, false).unwrap();
        let new = prompt::parse(text.as_bytes()).unwrap_or_else(|f| panic!("{f:?}\n{text}"));
        assert_eq!(new.file.changelog[0], entry);

        let mut lock = lockfile::parse(LOCKFILE.as_bytes()).unwrap();
        lock.prompts[0].reason = entry.reason.clone();
        lock.prompts[0].author = entry.author.clone();
        lock.prompts[0].sha256 = format!("!!str{odd}");
        assert_lockfile_round_trips(&lock).unwrap();
    }
}

/// An empty A/B split was written as `split:` (null), which does not read
/// back.
#[test]
fn regression_empty_split_round_trips() {
    let mut lock = lockfile::parse(LOCKFILE.as_bytes()).unwrap();
    lock.environments.insert(
        "canary".into(),
        BTreeMap::from([(
            "support/triage".to_string(),
            Pin::Split(SplitPin { split: vec![] }),
        )]),
    );
    assert!(lockfile::render(&lock).contains("      split: []\n"));
    assert_lockfile_round_trips(&lock).unwrap();
}

/// A first changelog entry whose quoted value continues on a line at column
/// 0: with `replace_first`, the line-based edit cut the entry in two and
/// left half of it behind. It now refuses, saying why, and changes nothing.
#[test]
fn regression_bump_refuses_a_layout_it_would_cut() {
    let text = "version: \"1.4.2\"\ntemplate: \"What is the weather like in {{ city }}?\"\nvariables:\n  city: {}\nchangelog:\n  - version: '1.4.2'\n    date: \"2026-04-10T07:30:00Z\"\n    author: \"\nbomb0: x\nKatherine Johnson <katherine@example.com>\"\n    reason: \"Ask about spring.\"\n  - version: \"1.4.1\"\n    date: '2026-04-02T07:30:00Z'\n    author: 'Katherine Johnson <katherine@example.com>'\n    reason: 'Shorter question.'\n";
    assert!(prompt::parse(text.as_bytes()).is_ok());
    let version = Version::new(2, 0, 0);
    let entry = ChangelogEntry {
        version: "2.0.0".into(),
        date: "2026-05-01T00:00:00Z".into(),
        author: "A <a@b>".into(),
        reason: "A".into(),
    };
    let err = bump::rewrite(text, &version, &entry, true).unwrap_err();
    assert!(
        err.to_string().contains("cannot edit the file in place"),
        "{err}"
    );
    // Adding an entry in front of it is fine.
    let added = bump::rewrite(text, &version, &entry, false).unwrap();
    let new = prompt::parse(added.as_bytes()).unwrap();
    assert_eq!(new.file.changelog.len(), 3);
}
