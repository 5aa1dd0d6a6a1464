//! Fixture builder for integration tests: real temporary Git repositories and
//! the real promptreg binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// The outcome of one promptreg run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub fn code(&self, want: i32) -> &Self {
        assert_eq!(
            self.code, want,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn ok(&self) -> &Self {
        self.code(0)
    }

    /// The JSON on stdout; a key given twice in one object fails the test
    /// (serde_json would keep the last one silently).
    pub fn json(&self) -> serde_json::Value {
        let mut de = serde_json::Deserializer::from_str(&self.stdout);
        serde::Deserializer::deserialize_any(&mut de, NoDuplicateKeys)
            .unwrap_or_else(|e| panic!("not JSON without duplicate keys ({e}):\n{}", self.stdout));
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }

    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}\nstdout:\n{}",
            self.stderr,
            self.stdout
        );
        self
    }
}

/// A temporary directory, usually a Git repository that is a registry.
pub struct TestRepo {
    dir: tempfile::TempDir,
    /// An empty HOME so the machine's Git config does not leak in.
    home: tempfile::TempDir,
    clock: AtomicU64,
}

pub const AUTHOR: &str = "Test Author <test@example.com>";

impl TestRepo {
    /// An empty directory, not a repository.
    pub fn empty() -> Self {
        TestRepo {
            dir: tempfile::tempdir().unwrap(),
            home: tempfile::tempdir().unwrap(),
            clock: AtomicU64::new(1_780_000_000),
        }
    }

    /// A Git repository with an identity and the default `promptreg.yaml`.
    pub fn new() -> Self {
        let repo = Self::empty();
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "Test Author"]);
        repo.git(&["config", "user.email", "test@example.com"]);
        repo.write("promptreg.yaml", "prompts_dir: prompts\n");
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, rel: &str) -> PathBuf {
        self.path().join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.file(rel)).unwrap()
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> &Self {
        let path = self.file(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
        self
    }

    /// Writes `prompts/NAME.prompt.yaml`.
    pub fn prompt(&self, name: &str, content: &str) -> &Self {
        self.write(&format!("prompts/{name}.prompt.yaml"), content)
    }

    pub fn remove(&self, rel: &str) -> &Self {
        std::fs::remove_file(self.file(rel)).unwrap();
        self
    }

    /// `git add -A && git commit`, with a fresh, increasing timestamp;
    /// returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        self.commit_with_env(message, &[])
    }

    /// `commit` with extra environment for `git commit`.
    fn commit_with_env(&self, message: &str, env: &[(&str, &str)]) -> String {
        self.git(&["add", "-A"]);
        let t = self.clock.fetch_add(60, Ordering::SeqCst);
        let date = format!("{t} +0000");
        let out = self
            .git_command()
            .args(["commit", "-q", "--allow-empty", "-m", message])
            .envs(env.iter().copied())
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git commit: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.git(&["rev-parse", "HEAD"])
    }

    fn git_command(&self) -> Command {
        let mut cmd = Command::new("git");
        cmd.current_dir(self.path())
            .env("HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_AUTHOR_NAME")
            .env_remove("GIT_AUTHOR_EMAIL")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("PROMPTREG_BLOB_HELPER");
        cmd
    }

    /// A `git clone --depth 1` of this repository, as CI checkouts often are.
    pub fn shallow_clone(&self) -> TestRepo {
        let clone = TestRepo::empty();
        let url = format!("file://{}", self.path().display());
        clone.git(&["clone", "-q", "--depth", "1", &url, "."]);
        clone
    }

    /// Runs git; panics when it fails; returns trimmed stdout.
    pub fn git(&self, args: &[&str]) -> String {
        let out = self.git_command().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// The promptreg binary, set to run in this directory.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_promptreg"));
        cmd.current_dir(self.path())
            .env("HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("NO_COLOR", "1")
            // CI=true lets promptreg fetch; tests that want it say so.
            .env_remove("CI")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("GIT_AUTHOR_NAME")
            .env_remove("GIT_AUTHOR_EMAIL")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("PROMPTREG_BLOB_HELPER");
        cmd
    }

    /// Runs promptreg with `args`.
    pub fn run(&self, args: &[&str]) -> Run {
        run(self.cmd().args(args))
    }
}

pub fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "promptreg panicked:\n{}",
        run.stderr
    );
    run
}

/// A valid text prompt at `version` with one changelog entry per version in
/// `history` (newest first; the first must be `version`), reading `{{ x }}`.
pub fn text_prompt(version: &str, history: &[&str], body: &str) -> String {
    let mut s = format!(
        "version: {version}\ndescription: A test prompt.\nvariables:\n  x:\n    description: The input.\ntemplate: |\n  {body} {{{{ x }}}}\nchangelog:\n"
    );
    for (i, v) in history.iter().enumerate() {
        s.push_str(&format!(
            "  - version: {v}\n    date: 2026-01-{:02}T10:00:00Z\n    author: {AUTHOR}\n    reason: Release {v}.\n",
            28 - i.min(27)
        ));
    }
    s
}

/// `(prompt, rule)` of each finding of a `check --format json` report, in
/// order; a finding about no prompt (the lockfile, the config) has `-`.
pub fn prompt_rules(report: &serde_json::Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .expect("a check report has findings")
        .iter()
        .map(|f| {
            (
                f["prompt"].as_str().unwrap_or("-").to_string(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

impl TestRepo {
    /// Every file under the directory except `.git/`, path → bytes: compare
    /// two snapshots to prove a command wrote nothing.
    pub fn files(&self) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
        fn walk(root: &Path, dir: &Path, out: &mut std::collections::BTreeMap<PathBuf, Vec<u8>>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let entry = entry.unwrap();
                let path = entry.path();
                let kind = entry.file_type().unwrap();
                if kind.is_dir() {
                    if entry.file_name() != ".git" {
                        walk(root, &path, out);
                    }
                } else {
                    let bytes = if kind.is_symlink() {
                        std::fs::read_link(&path)
                            .unwrap()
                            .to_string_lossy()
                            .into_owned()
                            .into_bytes()
                    } else {
                        std::fs::read(&path).unwrap()
                    };
                    out.insert(path.strip_prefix(root).unwrap().to_path_buf(), bytes);
                }
            }
        }
        let mut out = std::collections::BTreeMap::new();
        walk(self.path(), self.path(), &mut out);
        out
    }

    /// Runs promptreg with `args` and a Git identity in the environment
    /// (for commands that record an author in a directory without one).
    pub fn run_as_author(&self, args: &[&str]) -> Run {
        run(self
            .cmd()
            .env("GIT_AUTHOR_NAME", "Test Author")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .args(args))
    }
}

impl TestRepo {
    /// Runs git with `dir` first on PATH (so hooks find the promptreg
    /// binary there); returns the outcome without asserting success.
    pub fn git_with_path(&self, args: &[&str], dir: &Path) -> Run {
        let mut paths = vec![dir.to_path_buf()];
        paths.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        self.git_with_path_var(args, &std::env::join_paths(paths).unwrap())
    }

    /// Runs git with exactly `path` as PATH; returns the outcome without
    /// asserting success.
    pub fn git_with_path_var(&self, args: &[&str], path: &std::ffi::OsStr) -> Run {
        run(self.git_command().env("PATH", path).args(args))
    }
}

impl TestRepo {
    /// `commit`, authored by `author` (`Name <email>`) instead of the
    /// repository's identity; returns the commit id.
    pub fn commit_as(&self, message: &str, name: &str, email: &str) -> String {
        self.commit_with_env(
            message,
            &[("GIT_AUTHOR_NAME", name), ("GIT_AUTHOR_EMAIL", email)],
        )
    }

    /// The committer time the next `commit` will get, seconds since the epoch.
    pub fn next_commit_time(&self) -> u64 {
        self.clock.load(Ordering::SeqCst)
    }
}

/// Walks a JSON document and fails on an object that repeats a key.
struct NoDuplicateKeys;

impl<'de> serde::de::DeserializeSeed<'de> for NoDuplicateKeys {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for NoDuplicateKeys {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(NoDuplicateKeys)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!(
                    "key `{key}` appears twice"
                )));
            }
            map.next_value_seed(NoDuplicateKeys)?;
        }
        Ok(())
    }
}

/// A virtualenv under the test target directory with `packages` installed
/// from PyPI, made once and reused while its `bin/` has `ready` (a program
/// one of the packages installs). Returns that `bin/`, or `None`, saying
/// why on stderr, when Python cannot make it or pip cannot install them.
pub fn python_venv(name: &str, ready: &str, packages: &[&str]) -> Option<PathBuf> {
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let bin = venv.join("bin");
    if bin.join(ready).is_file() {
        return Some(bin);
    }
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let made = Command::new(&python)
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        eprintln!("skipped: `{python} -m venv` cannot make a virtualenv");
        return None;
    }
    let installed = Command::new(bin.join("pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .args(packages)
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        eprintln!("skipped: pip cannot install {}", packages.join(", "));
        return None;
    }
    Some(bin)
}
