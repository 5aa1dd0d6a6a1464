//! The layout's promises (docs/DESIGN.md §14): the core crate needs no Git
//! and no terminal, and imports between modules go one way.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Crates that would pull Git, a terminal or argument parsing into
/// applications that only read a lockfile and render a prompt.
const FORBIDDEN_IN_CORE: &[&str] = &[
    "git2",
    "libgit2-sys",
    "clap",
    "clap_builder",
    "indicatif",
    "comfy-table",
    "console",
    "crossterm",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_core_crate_depends_on_no_git_and_no_terminal() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // This machine's platform only: the others' crates need not be
    // downloaded, so the test runs offline.
    let rustc = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("-vV")
        .output()
        .expect("rustc -vV runs");
    let host = String::from_utf8_lossy(&rustc.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("rustc names its host");
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline", "--locked"])
        .args(["--filter-platform", &host])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    let nodes = meta["resolve"]["nodes"]
        .as_array()
        .expect("a resolve graph");
    let name_of: BTreeMap<&str, &str> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let by_id: BTreeMap<&str, &serde_json::Value> = nodes
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let core = name_of
        .iter()
        .find(|(_, name)| **name == "promptreg-core")
        .map(|(id, _)| *id)
        .expect("promptreg-core is a workspace member");
    // Every crate the core crate builds with, following normal (not dev or
    // build) dependencies only.
    let mut seen = BTreeSet::new();
    let mut todo = vec![core];
    while let Some(id) = todo.pop() {
        if !seen.insert(id) {
            continue;
        }
        for dep in by_id[id]["deps"].as_array().into_iter().flatten() {
            let normal = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k["kind"].is_null());
            if normal {
                todo.push(dep["pkg"].as_str().unwrap());
            }
        }
    }
    let names: BTreeSet<&str> = seen.iter().map(|id| name_of[id]).collect();
    assert!(
        names.contains("semver") && names.contains("minijinja"),
        "{names:?}"
    );
    for forbidden in FORBIDDEN_IN_CORE {
        assert!(
            !names.contains(forbidden),
            "promptreg-core depends on {forbidden} (through: {names:?})"
        );
    }
}

/// Every `.rs` file under `dir` with its module path (`history::state`).
fn modules(dir: &Path, prefix: &[String], out: &mut BTreeMap<Vec<String>, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            let mut p = prefix.to_vec();
            p.push(stem);
            modules(&path, &p, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let mut p = prefix.to_vec();
            if !matches!(stem.as_str(), "mod" | "lib" | "main") {
                p.push(stem);
            }
            out.insert(p, std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// The module paths a file names through `crate::a::b…` (and `super::`
/// siblings), resolved to the longest module that exists.
fn imports(
    module: &[String],
    text: &str,
    all: &BTreeMap<Vec<String>, String>,
) -> BTreeSet<Vec<String>> {
    let mut out = BTreeSet::new();
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut resolve = |segments: Vec<String>| {
        for len in (1..=segments.len()).rev() {
            if all.contains_key(&segments[..len]) {
                out.insert(segments[..len].to_vec());
                return;
            }
        }
    };
    for (start, _) in code.match_indices("crate::") {
        let rest = &code[start + "crate::".len()..];
        resolve(path_segments(rest));
    }
    for (start, _) in code.match_indices("super::") {
        // `super::` names the parent module, for `a/b.rs` and `a/b/mod.rs`
        // alike.
        let parent = &module[..module.len().saturating_sub(1)];
        let rest = &code[start + "super::".len()..];
        let mut segments = parent.to_vec();
        segments.extend(path_segments(rest));
        resolve(segments);
    }
    out
}

fn path_segments(rest: &str) -> Vec<String> {
    let mut segments = Vec::new();
    let mut rest = rest;
    loop {
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let word = &rest[..end];
        if word.is_empty() || !word.starts_with(|c: char| c.is_ascii_lowercase()) {
            break;
        }
        segments.push(word.to_string());
        match rest[end..].strip_prefix("::") {
            Some(r) => rest = r,
            None => break,
        }
    }
    segments
}

/// Import cycles between modules of one crate. An edge to an ancestor or a
/// descendant (a parent re-exporting its children) is not a cycle.
fn cycles(src: &Path) -> Vec<Vec<String>> {
    let mut all = BTreeMap::new();
    modules(src, &[], &mut all);
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (module, text) in &all {
        for target in imports(module, text, &all) {
            let related = target.starts_with(module) || module.starts_with(&target);
            if !related {
                edges.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    // Tarjan would do; the graphs are small, so a search from each node.
    let mut found = Vec::new();
    for start in all.keys() {
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut visited = BTreeSet::new();
        while let Some((node, path)) = stack.pop() {
            for next in edges.get(&node).into_iter().flatten() {
                if next == start {
                    let names: Vec<String> = path.iter().map(|m| m.join("::")).collect();
                    found.push(names);
                } else if visited.insert(next.clone()) {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push((next.clone(), p));
                }
            }
        }
    }
    found
}

#[test]
fn imports_go_one_way_in_the_core_crate() {
    let found = cycles(&root().join("crates/promptreg-core/src"));
    assert!(found.is_empty(), "import cycles: {found:#?}");
}

#[test]
fn imports_go_one_way_in_the_binary_crate() {
    let found = cycles(&root().join("src"));
    assert!(found.is_empty(), "import cycles: {found:#?}");
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lib.rs"), "mod a;\nmod b;\n").unwrap();
    std::fs::write(dir.path().join("a.rs"), "use crate::b::X;\n").unwrap();
    std::fs::write(dir.path().join("b.rs"), "use crate::a::Y;\n").unwrap();
    assert!(!cycles(dir.path()).is_empty());
    std::fs::write(dir.path().join("b.rs"), "pub struct Y;\n").unwrap();
    assert!(cycles(dir.path()).is_empty());
}
