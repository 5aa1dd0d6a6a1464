//! What the history needs of each version of a prompt file: its version,
//! SHA-256 and changelog entry, read from the blobs a history walk finds.
//!
//! Decompressing those blobs is most of a cold walk's work, and libgit2
//! serialises pack reads within one process (docs/DESIGN.md §3). So on a large
//! history a second promptreg process (the hidden `__read-blobs` command)
//! reads blobs, newest first, while the walk is still finding them. Once the
//! walk is done, this process applies the commits oldest first and reads
//! itself each blob the helper has not delivered yet: the two meet in the
//! middle, and whatever the helper does not deliver, for any reason, is read
//! here. The helper can only make a walk faster.

use crate::history::git::{BlobId, Repo};
use anyhow::Result;
use promptreg_core::fast_read::{changelog_entry, version_of};
use promptreg_core::prompt::ChangelogEntry;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;

/// A changelog entry as the cache and the blob reader keep it (plain
/// strings: the cache's encoding is not self-describing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StateEntry {
    pub(crate) version: String,
    pub(crate) date: String,
    pub(crate) author: String,
    pub(crate) reason: String,
}

impl From<ChangelogEntry> for StateEntry {
    fn from(e: ChangelogEntry) -> StateEntry {
        StateEntry {
            version: e.version,
            date: e.date,
            author: e.author,
            reason: e.reason,
        }
    }
}

/// What one blob says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobFacts {
    /// The declared version in canonical form; `None` when unreadable.
    pub version: Option<String>,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// The changelog entry for `version`.
    pub entry: Option<StateEntry>,
    /// Why the file cannot be released although it has a version: it does
    /// not pass validation (YAML, limits, rules), or its parsed version is
    /// not the one read from its line. `None` for a usable file, and for
    /// one without a version (docs/DESIGN.md §3, "Released means valid").
    pub unusable: Option<String>,
}

impl BlobFacts {
    /// The version this blob can release: its version when it is usable.
    pub fn released_version(&self) -> Option<&str> {
        self.version.as_deref().filter(|_| self.unusable.is_none())
    }
}

/// Reads the facts of one blob's bytes.
pub fn facts_of(bytes: &[u8]) -> BlobFacts {
    let version = version_of(bytes);
    BlobFacts {
        sha256: promptreg_core::digest::sha256_hex(bytes),
        entry: version
            .as_ref()
            .and_then(|v| changelog_entry(bytes, v))
            .map(StateEntry::from),
        unusable: version.as_ref().and_then(|v| unusable(bytes, v)),
        version: version.map(|v| v.to_string()),
    }
}

/// Why a file that reads as `version` cannot be its release, if it cannot:
/// the first error `validate` finds, or a parsed version other than the one
/// read from its line.
fn unusable(bytes: &[u8], version: &semver::Version) -> Option<String> {
    let checked = promptreg_core::prompt::check(bytes);
    match checked.prompt {
        Some(p) if &p.version == version => None,
        Some(p) => Some(format!(
            "the version line reads {version} but the file parses as {}",
            p.version
        )),
        None => Some(
            checked
                .findings
                .iter()
                .find(|f| f.level == promptreg_core::finding::Level::Error)
                .map_or_else(
                    || "the file does not pass validation".to_string(),
                    |f| format!("the file does not pass validation: {}", f.message),
                ),
        ),
    }
}

/// Chooses whether a helper process reads blobs: `PROMPTREG_BLOB_HELPER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HelperMode {
    /// Never (`off`).
    Off,
    /// Once the walk has found [`AUTO_THRESHOLD`] blobs, on a machine with
    /// more than one CPU (`auto`, the default).
    Auto,
    /// From the first blob, whatever the machine (`always`).
    Always,
    /// From the first blob, and this process reads none itself: a helper
    /// that does not deliver every blob is an error (`strict`, to test the
    /// helper).
    Strict,
}

/// Below this many blobs, reading them takes less time than starting a
/// process: each blob is validated in full (about 0.1 ms for a 6 KB prompt
/// file) and the helper starts in about 3 ms. Measured on one prompt's cold
/// walk: even at 68 blobs, 0.6x the time at 430 (docs/DESIGN.md §3).
const AUTO_THRESHOLD: usize = 64;

/// The largest frame believed from the helper (a changelog entry is at
/// most a prompt file, 1 MiB).
const MAX_FRAME: usize = 2 * 1024 * 1024;

/// Ids go to the helper in batches of this many.
const BATCH: usize = 256;

/// The first line the helper writes: the protocol and the program version,
/// so that a different binary at the same path is never believed.
fn greeting() -> String {
    format!("promptreg-blob-facts 2 {}\n", env!("CARGO_PKG_VERSION"))
}

impl HelperMode {
    fn from_env() -> HelperMode {
        Self::parse(std::env::var("PROMPTREG_BLOB_HELPER").ok().as_deref())
            .unwrap_or(HelperMode::Auto)
    }

    /// `None` for a value this promptreg does not know.
    fn parse(value: Option<&str>) -> Option<HelperMode> {
        match value {
            None | Some("") | Some("auto") => Some(HelperMode::Auto),
            Some("off") => Some(HelperMode::Off),
            Some("always") => Some(HelperMode::Always),
            Some("strict") => Some(HelperMode::Strict),
            Some(_) => None,
        }
    }
}

/// What `PROMPTREG_BLOB_HELPER` makes of cold history walks, for `doctor`;
/// `Err` names a value that is not understood (and means `auto`).
pub fn helper_setting() -> std::result::Result<String, String> {
    let value = std::env::var("PROMPTREG_BLOB_HELPER").ok();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    match HelperMode::parse(value.as_deref()) {
        Some(HelperMode::Auto) if cpus < 2 => {
            Ok("one CPU: cold history walks read every blob in one process".into())
        }
        Some(HelperMode::Auto) => Ok(format!(
            "a second process reads blobs once a cold walk has found {AUTO_THRESHOLD} blobs ({cpus} CPUs)"
        )),
        Some(HelperMode::Off) => {
            Ok("off: cold history walks read every blob in one process".into())
        }
        Some(HelperMode::Always) => {
            Ok("always: a second process reads blobs from the first".into())
        }
        Some(HelperMode::Strict) => {
            Ok("strict (for tests): every blob must come from the second process".into())
        }
        None => Err(value.unwrap_or_default()),
    }
}

/// Collects the blobs a walk finds, and reads their facts.
pub struct BlobReader {
    /// Distinct blobs found.
    seen: HashSet<BlobId>,
    mode: HelperMode,
    git_dir: std::path::PathBuf,
    helper: Option<Helper>,
    /// Ids found but not yet sent to the helper.
    unsent: Vec<u8>,
    unsent_count: usize,
}

impl BlobReader {
    pub fn new(repo: &Repo) -> BlobReader {
        let mut mode = HelperMode::from_env();
        if mode == HelperMode::Auto
            && std::thread::available_parallelism().map_or(1, |n| n.get()) < 2
        {
            mode = HelperMode::Off;
        }
        BlobReader {
            seen: HashSet::new(),
            mode,
            git_dir: repo.git_dir().to_path_buf(),
            helper: None,
            unsent: Vec::new(),
            unsent_count: 0,
        }
    }

    /// Records a blob whose facts are needed (once, however often found).
    pub fn want(&mut self, id: &str) {
        if !self.seen.insert(id.to_string()) {
            return;
        }
        if self.mode == HelperMode::Off {
            return;
        }
        self.unsent.extend_from_slice(id.as_bytes());
        self.unsent.push(b'\n');
        self.unsent_count += 1;
        let start_now = match self.mode {
            HelperMode::Auto => self.seen.len() >= AUTO_THRESHOLD,
            _ => true,
        };
        if self.helper.is_none() && start_now {
            match Helper::start(&self.git_dir) {
                Some(helper) => self.helper = Some(helper),
                None => {
                    // Cannot start it: read everything here.
                    self.mode = HelperMode::Off;
                    self.unsent.clear();
                    return;
                }
            }
        }
        if self.unsent_count >= BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if let Some(helper) = &self.helper {
            helper.send(std::mem::take(&mut self.unsent));
            self.unsent_count = 0;
        }
    }

    /// The walk is over: the facts of the blobs it found, served from
    /// what the helper delivers or read here when asked for.
    pub fn into_facts(mut self) -> Facts {
        self.flush();
        if let Some(helper) = &mut self.helper {
            helper.close_input();
        }
        Facts {
            known: HashMap::new(),
            done: 0,
            total: self.seen.len(),
            strict: self.mode == HelperMode::Strict,
            taken: HashSet::new(),
            helper: self.helper.take(),
        }
    }
}

/// The facts of the blobs a walk found.
pub struct Facts {
    /// Delivered by the helper and not taken yet.
    known: HashMap<BlobId, BlobFacts>,
    /// Blobs taken so far (the first time each).
    done: usize,
    total: usize,
    strict: bool,
    /// In strict mode: the blobs taken, which may be read again here.
    taken: HashSet<BlobId>,
    helper: Option<Helper>,
}

impl Facts {
    /// The facts of a blob the walk found: the helper's, or read now. Each
    /// is handed over once; a blob asked for again (a revert to earlier
    /// bytes) is read again.
    pub fn take(&mut self, repo: &Repo, id: &str) -> Result<BlobFacts> {
        if !self.known.contains_key(id) {
            self.collect(id);
        }
        if let Some(facts) = self.known.remove(id) {
            self.done += 1;
            if self.strict {
                self.taken.insert(id.to_string());
            }
            return Ok(facts);
        }
        if self.strict && !self.taken.contains(id) {
            anyhow::bail!(
                "the blob-reading helper did not deliver blob {id} \
                 (PROMPTREG_BLOB_HELPER=strict)"
            );
        }
        self.done += 1;
        repo.with_blob(id, facts_of)
    }

    /// Takes in what the helper has delivered; in strict mode, waits for
    /// `id` (or the helper's end).
    fn collect(&mut self, id: &str) {
        let Some(helper) = &self.helper else {
            return;
        };
        loop {
            let frame = if self.strict {
                helper.facts.recv().ok()
            } else {
                helper.facts.try_recv().ok()
            };
            let Some(frame) = frame else {
                return;
            };
            let Ok((got, facts)) = postcard::from_bytes::<(BlobId, BlobFacts)>(&frame) else {
                // Garbage: believe nothing more from this helper.
                self.helper = None;
                return;
            };
            let found = got == id;
            self.known.insert(got, facts);
            if found && self.strict {
                return;
            }
        }
    }

    /// How many blobs have been read, of how many.
    pub fn progress(&self) -> (usize, usize) {
        (self.done.min(self.total), self.total)
    }
}

/// A running `promptreg __read-blobs` process, fed by a writer thread and
/// drained by a reader thread.
struct Helper {
    child: Child,
    ids: Option<mpsc::Sender<Vec<u8>>>,
    writer: Option<JoinHandle<()>>,
    reader: Option<JoinHandle<()>>,
    /// What the helper delivered, in its order, still encoded: decoding
    /// here keeps the facts in this thread's memory arena.
    facts: mpsc::Receiver<Vec<u8>>,
}

impl Helper {
    fn start(git_dir: &std::path::Path) -> Option<Helper> {
        let exe = std::env::current_exe().ok()?;
        let mut child = Command::new(exe)
            .arg("__read-blobs")
            .arg(git_dir)
            .env_remove("PROMPTREG_BLOB_HELPER")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let stdin = child.stdin.take()?;
        let stdout = child.stdout.take()?;
        let (ids, batches) = mpsc::channel::<Vec<u8>>();
        let writer = std::thread::spawn(move || write_ids(stdin, batches));
        let (delivered, facts) = mpsc::channel();
        let reader = std::thread::spawn(move || read_facts(stdout, &delivered));
        Some(Helper {
            child,
            ids: Some(ids),
            writer: Some(writer),
            reader: Some(reader),
            facts,
        })
    }

    fn send(&self, batch: Vec<u8>) {
        if let Some(ids) = &self.ids {
            // A helper that has gone away only means more work here.
            let _ = ids.send(batch);
        }
    }

    /// No more ids: the helper ends after reading those it has.
    fn close_input(&mut self) {
        self.ids = None;
    }

    /// Ends the helper now.
    fn stop(&mut self) {
        self.ids = None;
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        // On an early return (an unreadable object), do not leave the
        // helper running.
        if self.reader.is_some() {
            self.stop();
        }
    }
}

fn write_ids(mut stdin: ChildStdin, batches: mpsc::Receiver<Vec<u8>>) {
    for batch in batches {
        if stdin.write_all(&batch).is_err() {
            return;
        }
    }
    // Dropping stdin closes it: the helper ends after the last id.
}

/// Passes on the helper's frames until it ends or says something
/// unexpected.
fn read_facts(stdout: std::process::ChildStdout, delivered: &mpsc::Sender<Vec<u8>>) {
    let mut input = std::io::BufReader::with_capacity(64 * 1024, stdout);
    let mut line = String::new();
    if input.read_line(&mut line).is_err() || line != greeting() {
        return;
    }
    loop {
        let mut len = [0u8; 4];
        if input.read_exact(&mut len).is_err() {
            return;
        }
        // The facts of one blob take a few hundred bytes.
        let len = u32::from_le_bytes(len) as usize;
        if len > MAX_FRAME {
            return;
        }
        let mut frame = vec![0; len];
        if input.read_exact(&mut frame).is_err() || delivered.send(frame).is_err() {
            return;
        }
    }
}

/// The helper's side: reads blob ids on stdin, one per line, and writes
/// the facts of each, in order, on stdout. Ends at the end of its input or
/// at the first blob it cannot read (the caller reads that one itself).
pub fn serve(git_dir: &std::path::Path) -> Result<()> {
    let repo = Repo::open_objects(git_dir)?;
    let stdin = std::io::stdin().lock();
    let mut stdout = std::io::BufWriter::with_capacity(16 * 1024, std::io::stdout().lock());
    stdout.write_all(greeting().as_bytes())?;
    stdout.flush()?;
    for (n, id) in stdin.lines().enumerate() {
        let id = id?;
        let facts = repo.with_blob(&id, facts_of)?;
        let frame = postcard::to_stdvec(&(&id, &facts))?;
        stdout.write_all(&(frame.len() as u32).to_le_bytes())?;
        stdout.write_all(&frame)?;
        // Deliver often: the caller reads itself what is not delivered yet.
        if n % 16 == 15 {
            stdout.flush()?;
        }
    }
    stdout.flush()?;
    Ok(())
}
