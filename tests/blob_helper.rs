//! The second process that reads blobs during a cold history walk
//! (`PROMPTREG_BLOB_HELPER`): the history it helps build is the same.

mod common;
use common::*;
use promptreg::history::blob_facts::{facts_of, BlobFacts};
use std::io::{BufRead, Read, Write};
use std::process::{Command, Stdio};

fn v(repo: &TestRepo, name: &str, version: &str, history: &[&str], body: &str) {
    repo.prompt(name, &text_prompt(version, history, body));
}

/// A history with what a walk must get right: prompts in sub-directories,
/// a change without a bump, a revert to bytes seen before, a deleted
/// prompt, a file without a readable version and a pre-release.
fn eventful() -> TestRepo {
    let repo = TestRepo::new();
    for i in 0..6 {
        v(
            &repo,
            &format!("team/p{i}"),
            "1.0.0",
            &["1.0.0"],
            &format!("Prompt {i}."),
        );
    }
    v(&repo, "top", "0.1.0", &["0.1.0"], "Top.");
    repo.commit("start");
    for round in 1..=5 {
        for i in 0..6 {
            let version = format!("1.{round}.0");
            v(
                &repo,
                &format!("team/p{i}"),
                &version,
                &[&version, "1.0.0"],
                &format!("Prompt {i}, round {round}."),
            );
        }
        repo.commit(&format!("round {round}"));
    }
    v(
        &repo,
        "top",
        "0.1.0",
        &["0.1.0"],
        "Top, changed without a bump.",
    );
    repo.commit("no bump");
    v(&repo, "top", "0.1.0", &["0.1.0"], "Top.");
    repo.commit("revert");
    v(
        &repo,
        "top",
        "0.2.0-rc.1",
        &["0.2.0-rc.1", "0.1.0"],
        "Top, candidate.",
    );
    repo.remove("prompts/team/p5.prompt.yaml");
    repo.write(
        "prompts/team/broken.prompt.yaml",
        "version: [not, a, version]\n",
    );
    repo.commit("candidate, deletion, broken file");
    repo
}

fn with_helper(repo: &TestRepo, mode: &str, args: &[&str]) -> Run {
    run(repo
        .cmd()
        .env("PROMPTREG_BLOB_HELPER", mode)
        .arg("--no-cache")
        .args(args))
}

#[test]
fn the_helper_gives_the_same_history_as_reading_alone() {
    let repo = eventful();
    for args in [
        &["log", "--format", "json"][..],
        &["log", "top", "--format", "json"],
        &["status", "--format", "json"],
    ] {
        let alone = with_helper(&repo, "off", args);
        // `strict`: the helper reads every blob, or the command fails.
        let helped = with_helper(&repo, "strict", args);
        let racing = with_helper(&repo, "always", args);
        assert_eq!(alone.code, helped.code, "{args:?}: {}", helped.stderr);
        assert!(!alone.stdout.is_empty(), "{args:?}");
        assert_eq!(alone.stdout, helped.stdout, "{args:?}");
        assert_eq!(alone.stdout, racing.stdout, "{args:?}");
    }
    // The history really has what the fixture claims.
    let log = with_helper(&repo, "strict", &["log", "top", "--format", "json"]);
    let log = log.json();
    let kinds: Vec<&str> = log["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"changed-without-bump"), "{kinds:?}");
    assert_eq!(log["versions"].as_array().unwrap().len(), 2);
    let locked = with_helper(&repo, "strict", &["lock"]);
    locked.ok();
    assert!(repo.read("prompts.lock").contains("team/p0"));
}

#[test]
fn an_object_missing_is_named_whoever_reads_it() {
    let repo = eventful();
    let first = repo.git(&["rev-list", "--max-parents=0", "HEAD"]);
    let blob = repo.git(&["rev-parse", &format!("{first}:prompts/team/p0.prompt.yaml")]);
    std::fs::remove_file(repo.file(&format!(".git/objects/{}/{}", &blob[..2], &blob[2..])))
        .unwrap();
    // The helper stops at the object it cannot read; this process then
    // reads it and says which object is missing.
    for mode in ["always", "off"] {
        let out = with_helper(&repo, mode, &["log"]);
        out.code(2).stderr_has(&blob).stderr_has("missing objects");
    }
    with_helper(&repo, "strict", &["log"])
        .code(2)
        .stderr_has("did not deliver");
}

#[test]
fn the_helper_answers_blob_ids_with_their_facts_in_order() {
    let repo = eventful();
    let ids: Vec<String> = ["team/p0", "top", "team/broken"]
        .iter()
        .map(|n| repo.git(&["rev-parse", &format!("HEAD:prompts/{n}.prompt.yaml")]))
        .collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_promptreg"))
        .arg("__read-blobs")
        .arg(repo.file(".git"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for id in &ids {
        writeln!(stdin, "{id}").unwrap();
    }
    drop(stdin);
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut greeting = String::new();
    out.read_line(&mut greeting).unwrap();
    assert!(
        greeting.starts_with("promptreg-blob-facts 2 "),
        "{greeting}"
    );
    for id in &ids {
        let mut len = [0u8; 4];
        out.read_exact(&mut len).unwrap();
        let mut frame = vec![0; u32::from_le_bytes(len) as usize];
        out.read_exact(&mut frame).unwrap();
        let (got_id, facts): (String, BlobFacts) = postcard::from_bytes(&frame).unwrap();
        assert_eq!(&got_id, id);
        let bytes = Command::new("git")
            .current_dir(repo.path())
            .args(["cat-file", "blob", id])
            .output()
            .unwrap()
            .stdout;
        assert_eq!(facts, facts_of(&bytes));
    }
    assert!(child.wait().unwrap().success());
    let top = facts_of(repo.read("prompts/top.prompt.yaml").as_bytes());
    assert_eq!(top.version.as_deref(), Some("0.2.0-rc.1"));
    let broken = facts_of(repo.read("prompts/team/broken.prompt.yaml").as_bytes());
    assert_eq!(broken.version, None);
}

#[test]
fn the_helper_is_not_in_the_help() {
    let repo = TestRepo::new();
    let help = repo.run(&["--help"]);
    help.ok();
    assert!(!help.stdout.contains("__read-blobs"), "{}", help.stdout);
    assert!(help.stdout.contains("blame"), "the list is there");
}

#[test]
fn the_helper_reads_from_a_linked_worktree_and_an_odd_path() {
    let repo = eventful();
    let parent = tempfile::tempdir().unwrap();
    let linked = parent.path().join("a linked work tree é");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "linked",
        linked.to_str().unwrap(),
    ]);
    let alone = with_helper(&repo, "off", &["log", "--format", "json"]);
    let helped = run(repo
        .cmd()
        .current_dir(&linked)
        .env("PROMPTREG_BLOB_HELPER", "strict")
        .args(["--no-cache", "log", "--format", "json"]));
    helped.ok();
    assert_eq!(alone.stdout, helped.stdout);
}

/// A history with what a walk of one path must get right: renames (of a
/// file and of a team directory), deletions and re-creations, prompt
/// changes made on a branch and merged (only the merge is on the
/// mainline), a mode change, a prompt file turned into a link and back, a
/// directory where a prompt file was, and commits that leave prompts alone.
fn winding() -> TestRepo {
    let repo = TestRepo::new();
    v(&repo, "team/a", "1.0.0", &["1.0.0"], "A.");
    v(&repo, "team/b", "1.0.0", &["1.0.0"], "B.");
    v(&repo, "solo", "0.1.0", &["0.1.0"], "Solo.");
    repo.write("src/app.py", "print(1)\n");
    repo.commit("start");
    repo.write("src/app.py", "print(2)\n");
    repo.commit("source only");
    v(&repo, "team/a", "1.1.0", &["1.1.0", "1.0.0"], "A, again.");
    repo.commit("a 1.1.0");
    // A rename: b's file moves to c (b deleted, c created with b's bytes).
    repo.git(&[
        "mv",
        "prompts/team/b.prompt.yaml",
        "prompts/team/c.prompt.yaml",
    ]);
    repo.commit("rename b to c");
    // b comes back, continuing from its last version.
    v(&repo, "team/b", "1.1.0", &["1.1.0", "1.0.0"], "B, back.");
    repo.commit("b again");
    // A branch changes a twice; the mainline sees one merge.
    repo.git(&["checkout", "-q", "-b", "feature"]);
    v(
        &repo,
        "team/a",
        "1.2.0-rc.1",
        &["1.2.0-rc.1", "1.1.0", "1.0.0"],
        "A, draft.",
    );
    repo.commit("draft");
    v(
        &repo,
        "team/a",
        "1.2.0",
        &["1.2.0", "1.1.0", "1.0.0"],
        "A, final.",
    );
    v(
        &repo,
        "solo",
        "0.2.0",
        &["0.2.0", "0.1.0"],
        "Solo, on the branch.",
    );
    repo.commit("final");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("src/app.py", "print(3)\n");
    repo.commit("main moves on");
    repo.git(&["merge", "-q", "--no-ff", "-m", "merge feature", "feature"]);
    // A mode change alone.
    repo.git(&["update-index", "--chmod=+x", "prompts/solo.prompt.yaml"]);
    repo.commit("solo executable");
    // The whole team directory renamed, then back.
    repo.git(&["mv", "prompts/team", "prompts/crew"]);
    repo.commit("team to crew");
    repo.git(&["mv", "prompts/crew", "prompts/team"]);
    repo.commit("crew to team");
    // A change without a bump, its revert, and a deletion.
    v(
        &repo,
        "team/a",
        "1.2.0",
        &["1.2.0", "1.1.0", "1.0.0"],
        "A, edited.",
    );
    repo.commit("no bump");
    v(
        &repo,
        "team/a",
        "1.2.0",
        &["1.2.0", "1.1.0", "1.0.0"],
        "A, final.",
    );
    repo.commit("revert");
    repo.remove("prompts/team/c.prompt.yaml");
    repo.commit("delete c");
    // solo becomes a link, then a directory, then a file again.
    repo.remove("prompts/solo.prompt.yaml");
    std::os::unix::fs::symlink("team/a.prompt.yaml", repo.file("prompts/solo.prompt.yaml"))
        .unwrap();
    repo.commit("solo a link");
    repo.remove("prompts/solo.prompt.yaml");
    v(
        &repo,
        "solo.prompt.yaml/inner",
        "3.0.0",
        &["3.0.0"],
        "Inner.",
    );
    repo.commit("solo a directory");
    std::fs::remove_dir_all(repo.file("prompts/solo.prompt.yaml")).unwrap();
    v(
        &repo,
        "solo",
        "0.3.0",
        &["0.3.0", "0.2.0", "0.1.0"],
        "Solo, a file again.",
    );
    repo.write(
        "prompts/team/broken.prompt.yaml",
        "version: [not, a, version]\n",
    );
    repo.commit("solo back, a broken file");
    v(
        &repo,
        "team/c",
        "2.0.0",
        &["2.0.0", "1.0.0"],
        "C, re-created.",
    );
    repo.commit("c re-created");
    repo
}

/// Every name the fixture's history knows, and one it never had.
const WINDING_NAMES: &[&str] = &[
    "team/a",
    "team/b",
    "team/c",
    "crew/a",
    "crew/b",
    "solo",
    "solo.prompt.yaml/inner",
    "team/broken",
    "never",
];

#[test]
fn one_prompt_walked_alone_has_the_full_walks_history() {
    let repo = winding();
    // The full walk, cached: `log NAME` then answers from the full state.
    let full = repo.run(&["log", "--format", "json"]);
    full.ok();
    for name in WINDING_NAMES {
        for args in [
            vec!["log", name, "--format", "json"],
            vec!["log", name],
            vec!["show", &format!("{name}@latest")],
            vec!["show", &format!("{name}@1.0.0")],
            vec!["diff", name],
        ] {
            let warm = repo.run(&args);
            // The path-limited walk, with the helper in every mode.
            for mode in ["off", "strict", "always"] {
                let cold = with_helper(&repo, mode, &args);
                assert_eq!(cold.code, warm.code, "{args:?} {mode}: {}", cold.stderr);
                assert_eq!(cold.stdout, warm.stdout, "{args:?} {mode}");
                assert_eq!(cold.stderr, warm.stderr, "{args:?} {mode}");
            }
        }
    }
    // The fixture has what it claims.
    let a = repo.run(&["log", "team/a", "--format", "json"]).json();
    let kinds: Vec<&str> = a["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["changed-without-bump"], "{a}");
    let versions = |name: &str| {
        let log = repo.run(&["log", name, "--format", "json"]).json();
        log["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["version"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert!(!versions("team/a").iter().any(|v| v == "1.2.0-rc.1"));
    assert_eq!(versions("crew/b").len(), 1);
    assert!(versions("solo").iter().any(|v| v == "0.3.0"));
}

/// Every answer the cold walks give, per name and for the whole registry.
fn cold_answers(repo: &TestRepo) -> Vec<(String, Run)> {
    let mut out = vec![(
        "log".to_string(),
        repo.run(&["log", "--format", "json", "--no-cache"]),
    )];
    for name in WINDING_NAMES {
        for args in [
            vec!["log", name, "--format", "json", "--no-cache"],
            vec!["show", &format!("{name}@latest"), "--no-cache"],
        ] {
            out.push((args.join(" "), repo.run(&args)));
        }
    }
    out
}

/// The same answers from the full walk without a commit-graph, cached: the
/// reference every other walk must match.
fn reference_answers(repo: &TestRepo) -> Vec<(String, Run)> {
    repo.git(&["config", "core.commitGraph", "false"]);
    repo.run(&["log", "--format", "json"]).ok();
    let mut out = vec![("log".to_string(), repo.run(&["log", "--format", "json"]))];
    for name in WINDING_NAMES {
        for args in [
            vec!["log", name, "--format", "json"],
            vec!["show", &format!("{name}@latest")],
        ] {
            let mut key = args.clone();
            key.insert(if args[0] == "log" { 4 } else { 2 }, "--no-cache");
            out.push((key.join(" "), repo.run(&args)));
        }
    }
    repo.git(&["config", "--unset", "core.commitGraph"]);
    out
}

fn assert_same(what: &str, got: &[(String, Run)], want: &[(String, Run)]) {
    assert_eq!(got.len(), want.len());
    for ((args, g), (key, w)) in got.iter().zip(want) {
        assert_eq!(args, key);
        assert_eq!(g.code, w.code, "{what}: {args}: {}", g.stderr);
        assert_eq!(g.stdout, w.stdout, "{what}: {args}");
        assert_eq!(g.stderr, w.stderr, "{what}: {args}");
    }
}

/// Commits that leave the prompts alone, as most of a monorepo's do: the
/// Bloom filters rule them out.
fn source_commits(repo: &TestRepo, from: usize, to: usize) {
    for i in from..to {
        repo.write(
            &format!("src/mod{}/file{i}.py", i % 3),
            format!("x = {i}\n"),
        );
        repo.commit(&format!("source {i}"));
    }
}

/// The chunk `name` of a commit-graph file: (offset, length).
fn graph_chunk(data: &[u8], name: &[u8; 4]) -> Option<(usize, usize)> {
    let chunks = usize::from(data[6]);
    (0..chunks).find_map(|row| {
        let at = 8 + row * 12;
        let offset =
            |at: usize| u64::from_be_bytes(data[at + 4..at + 12].try_into().unwrap()) as usize;
        (&data[at..at + 4] == name).then(|| (offset(at), offset(at + 12) - offset(at)))
    })
}

#[test]
fn commit_graph_walks_have_the_full_walks_history() {
    let repo = winding();
    source_commits(&repo, 0, 6);
    let want = reference_answers(&repo);
    // Without a commit-graph: the commit objects are read raw.
    assert_same("no commit-graph", &cold_answers(&repo), &want);
    // Without Bloom filters, and with each hash version of them.
    repo.git(&["commit-graph", "write", "--reachable"]);
    assert_same("no Bloom filters", &cold_answers(&repo), &want);
    for version in ["1", "2"] {
        repo.git(&[
            "-c",
            &format!("commitGraph.changedPathsVersion={version}"),
            "commit-graph",
            "write",
            "--reachable",
            "--changed-paths",
        ]);
        assert_same(
            &format!("Bloom filters v{version}"),
            &cold_answers(&repo),
            &want,
        );
    }
    // The filters are read: with every bit cleared they rule every change
    // out, and the answers change.
    let path = repo.file(".git/objects/info/commit-graph");
    let good = std::fs::read(&path).unwrap();
    let (bdat, len) = graph_chunk(&good, b"BDAT").expect("a BDAT chunk");
    let mut zeroed = good.clone();
    zeroed[bdat + 12..bdat + len].fill(0);
    std::fs::write(&path, &zeroed).unwrap();
    let hidden = repo.run(&["log", "--format", "json", "--no-cache"]);
    assert_ne!(hidden.stdout, want[0].1.stdout);
    std::fs::write(&path, &good).unwrap();
    // A graph behind the head, then a chain of split graphs, with
    // re-creations and deletions past the first layer.
    v(
        &repo,
        "team/c",
        "2.1.0",
        &["2.1.0", "2.0.0", "1.0.0"],
        "C, later.",
    );
    repo.commit("c later");
    source_commits(&repo, 6, 9);
    repo.remove("prompts/team/a.prompt.yaml");
    repo.commit("delete a");
    v(
        &repo,
        "team/a",
        "1.3.0",
        &["1.3.0", "1.2.0", "1.1.0", "1.0.0"],
        "A, back.",
    );
    repo.commit("a back");
    let want = reference_answers(&repo);
    assert_same("a graph behind the head", &cold_answers(&repo), &want);
    std::fs::remove_file(&path).unwrap();
    repo.git(&[
        "commit-graph",
        "write",
        "--reachable",
        "--changed-paths",
        "--split",
    ]);
    source_commits(&repo, 9, 11);
    v(
        &repo,
        "solo",
        "0.4.0",
        &["0.4.0", "0.3.0", "0.2.0", "0.1.0"],
        "Solo, later.",
    );
    repo.commit("solo later");
    repo.git(&[
        "commit-graph",
        "write",
        "--reachable",
        "--changed-paths",
        "--split=no-merge",
    ]);
    assert!(repo
        .file(".git/objects/info/commit-graphs/commit-graph-chain")
        .exists());
    let want = reference_answers(&repo);
    assert_same("a chain of split graphs", &cold_answers(&repo), &want);
    // A damaged graph is not used: same answers.
    std::fs::write(
        repo.file(".git/objects/info/commit-graphs/commit-graph-chain"),
        "not a hash\n",
    )
    .unwrap();
    assert_same("a damaged chain", &cold_answers(&repo), &want);
}
