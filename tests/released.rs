//! Released means valid (docs/DESIGN.md §3): a committed file that
//! `validate` refuses releases nothing; history reports it, and `lock` and
//! `export` never pin it.

mod common;
use common::*;

const CONFIG: &str = "prompts_dir: prompts\nenvironments:\n  production:\n    \"*\": latest\n";

/// Files that carry `version: 1.1.0` on their line but are not usable.
fn unusable_files() -> Vec<(&'static str, Vec<u8>)> {
    let valid = text_prompt("1.1.0", &["1.1.0", "1.0.0"], "Hello");
    let mut nul = valid.clone().into_bytes();
    let at = valid.find("Hello").unwrap();
    nul[at] = 0;
    let mut big = valid.clone();
    big.push_str(&format!("# {}\n", "x".repeat(1024 * 1024)));
    let mut bomb = String::from("version: 1.1.0\n");
    bomb.push_str("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        let prev = format!("*a{}", i - 1);
        bomb.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            std::iter::repeat_n(prev.as_str(), 10)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    bomb.push_str(&valid["version: 1.1.0\n".len()..]);
    let deep = format!(
        "{}description: {}{}\n{}",
        "version: 1.1.0\n",
        "[".repeat(10_000),
        "]".repeat(10_000),
        &valid[valid.find("variables:").unwrap()..]
    );
    // For YAML the version is the string `1.1.0 .1`.
    let continued = valid.replacen("version: 1.1.0\n", "version: 1.1.0\n  .1\n", 1);
    vec![
        ("a NUL byte", nul),
        ("over the size limit", big.into_bytes()),
        ("an alias bomb", bomb.into_bytes()),
        ("10,000-deep nesting", deep.into_bytes()),
        ("a continued version line", continued.into_bytes()),
    ]
}

#[test]
fn an_unusable_file_is_not_released_pinned_or_exported() {
    for (what, bytes) in unusable_files() {
        let repo = TestRepo::new();
        repo.write("promptreg.yaml", CONFIG);
        repo.prompt("a", &text_prompt("1.0.0", &["1.0.0"], "Hello"));
        repo.commit("a 1.0.0");
        let good = repo.read("prompts/a.prompt.yaml");
        repo.write("prompts/a.prompt.yaml", &bytes);
        let bad = repo.commit("a 1.1.0, unusable");

        let log = repo.run(&["log", "a", "--format", "json"]);
        log.ok();
        let json = log.json();
        let versions: Vec<&str> = json["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["version"].as_str().unwrap())
            .collect();
        assert_eq!(versions, ["1.0.0"], "{what}: released versions");
        let flagged = json["violations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["commit"] == bad.as_str());
        assert!(flagged, "{what}: no violation at {bad}: {json}");

        // `lock` pins the last usable version; `export` writes its bytes.
        repo.run(&["lock"]).ok();
        let lock = repo.read("prompts.lock");
        assert!(lock.contains("version: 1.0.0"), "{what}:\n{lock}");
        assert!(!lock.contains("version: 1.1.0"), "{what}:\n{lock}");
        repo.run(&["export", "--env", "production", "--out", "out"])
            .ok();
        assert_eq!(repo.read("out/a@1.0.0.prompt.yaml"), good, "{what}");

        // A lockfile edited to pin the unusable blob is refused.
        let blob = repo.git(&["rev-parse", &format!("{bad}:prompts/a.prompt.yaml")]);
        let sha = promptreg_core::digest::sha256_hex(&bytes);
        let pinned = lock.lines().fold(String::new(), |mut s, l| {
            let l = if l.contains("version: 1.0.0") {
                l.replace("1.0.0", "1.1.0")
            } else if l.trim_start().starts_with("commit:") {
                format!("    commit: {bad}")
            } else if l.trim_start().starts_with("blob:") {
                format!("    blob: {blob}")
            } else if l.trim_start().starts_with("sha256:") {
                format!("    sha256: {sha}")
            } else {
                l.to_string()
            };
            s.push_str(&l);
            s.push('\n');
            s
        });
        repo.write("prompts.lock", &pinned);
        let export = repo.run(&["export", "--env", "production", "--out", "out2"]);
        assert_ne!(
            export.code, 0,
            "{what}: exported a hand-pinned unusable blob"
        );
        assert!(!repo.file("out2/a@1.1.0.prompt.yaml").exists(), "{what}");
        repo.run(&["verify"]).code(1);
    }
}
