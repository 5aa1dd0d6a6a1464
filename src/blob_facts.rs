//! What the history needs of each version of a prompt file: its version,
//! SHA-256 and changelog entry, read from the blobs a history walk finds.
//!
//! Decompressing those blobs is most of a cold walk's work, and libgit2
//! serialises pack reads within one process (PERFORMANCE.md). So on a large
//! history a second promptreg process (the hidden `__read-blobs` command)
//! reads blobs from the start of the list while the walk is still finding
//! them, and this process reads from the end once the walk is done; the two
//! meet in the middle. Whatever the helper does not deliver, for any reason,
//! this process reads itself: the helper can only make a walk faster.

use crate::git::{BlobId, Repo};
use crate::history::{changelog_entry, version_of, StateEntry};
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

/// What one blob says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobFacts {
    /// The declared version in canonical form; `None` when unreadable.
    pub version: Option<String>,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// The changelog entry for `version`.
    pub entry: Option<StateEntry>,
}

/// Reads the facts of one blob's bytes.
pub fn facts_of(bytes: &[u8]) -> BlobFacts {
    let version = version_of(bytes);
    BlobFacts {
        sha256: crate::lockfile::sha256_hex(bytes),
        entry: version
            .as_ref()
            .and_then(|v| changelog_entry(bytes, v))
            .map(StateEntry::from),
        version: version.map(|v| v.to_string()),
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
/// process (about 30 ms of reading).
const AUTO_THRESHOLD: usize = 1024;

/// Ids go to the helper in batches of this many.
const BATCH: usize = 256;

/// The first line the helper writes: the protocol and the program version,
/// so that a different binary at the same path is never believed.
fn greeting() -> String {
    format!("promptreg-blob-facts 1 {}\n", env!("CARGO_PKG_VERSION"))
}

impl HelperMode {
    fn from_env() -> HelperMode {
        match std::env::var("PROMPTREG_BLOB_HELPER").as_deref() {
            Ok("off") => HelperMode::Off,
            Ok("always") => HelperMode::Always,
            Ok("strict") => HelperMode::Strict,
            _ => HelperMode::Auto,
        }
    }
}

/// Collects the blobs a walk finds, and reads their facts.
pub struct BlobReader {
    /// Distinct blobs, in the order found.
    wanted: Vec<BlobId>,
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
            wanted: Vec::new(),
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
        self.wanted.push(id.to_string());
        if self.mode == HelperMode::Off {
            return;
        }
        self.unsent.extend_from_slice(id.as_bytes());
        self.unsent.push(b'\n');
        self.unsent_count += 1;
        let start_now = match self.mode {
            HelperMode::Auto => self.wanted.len() >= AUTO_THRESHOLD,
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

    /// Reads the facts of every wanted blob: `progress` gets (done, total).
    pub fn finish(
        mut self,
        repo: &Repo,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<HashMap<BlobId, BlobFacts>> {
        self.flush();
        let total = self.wanted.len();
        let Some(mut helper) = self.helper.take() else {
            let mut out = HashMap::with_capacity(total);
            for (done, id) in self.wanted.into_iter().enumerate() {
                if done % 256 == 0 {
                    progress(done, total);
                }
                let facts = repo.with_blob(&id, facts_of)?;
                out.insert(id, facts);
            }
            return Ok(out);
        };
        helper.close_input();
        // Read from the end until meeting what the helper has delivered.
        let mut mine = Vec::new();
        let mut next = total;
        while next > helper.delivered() && self.mode != HelperMode::Strict {
            next -= 1;
            mine.push(repo.with_blob(&self.wanted[next], facts_of)?);
            if mine.len() % 256 == 0 {
                progress(helper.delivered() + mine.len(), total);
            }
        }
        let theirs = match self.mode {
            HelperMode::Strict => helper.wait(),
            _ => helper.stop(),
        };
        let mut out = HashMap::with_capacity(total);
        // Believe the helper only for the blobs it was asked for, in order.
        let mut covered = 0;
        for ((id, facts), wanted) in theirs.into_iter().zip(&self.wanted[..next]) {
            if &id != wanted {
                break;
            }
            out.insert(id, facts);
            covered += 1;
        }
        if self.mode == HelperMode::Strict && covered < next {
            anyhow::bail!(
                "the blob-reading helper delivered {covered} of {next} blobs \
                 (PROMPTREG_BLOB_HELPER=strict)"
            );
        }
        for id in &self.wanted[covered..next] {
            out.insert(id.clone(), repo.with_blob(id, facts_of)?);
        }
        for (facts, id) in mine.into_iter().zip(self.wanted[next..].iter().rev()) {
            out.insert(id.clone(), facts);
        }
        progress(total, total);
        Ok(out)
    }
}

/// A running `promptreg __read-blobs` process, fed by a writer thread and
/// drained by a reader thread.
struct Helper {
    child: Child,
    ids: Option<mpsc::Sender<Vec<u8>>>,
    writer: Option<JoinHandle<()>>,
    reader: Option<JoinHandle<Vec<(BlobId, BlobFacts)>>>,
    delivered: Arc<AtomicUsize>,
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
        let delivered = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&delivered);
        let reader = std::thread::spawn(move || read_facts(stdout, &count));
        Some(Helper {
            child,
            ids: Some(ids),
            writer: Some(writer),
            reader: Some(reader),
            delivered,
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

    /// How many blobs the helper has delivered so far, from the start.
    fn delivered(&self) -> usize {
        self.delivered.load(Ordering::Acquire)
    }

    /// Ends the helper now and returns what it delivered.
    fn stop(&mut self) -> Vec<(BlobId, BlobFacts)> {
        let _ = self.child.kill();
        self.wait()
    }

    /// Waits for the helper to end and returns what it delivered.
    fn wait(&mut self) -> Vec<(BlobId, BlobFacts)> {
        self.ids = None;
        let _ = self.child.wait();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
        self.reader
            .take()
            .and_then(|r| r.join().ok())
            .unwrap_or_default()
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

/// Reads the helper's frames until it ends or says something unexpected.
fn read_facts(
    stdout: std::process::ChildStdout,
    delivered: &AtomicUsize,
) -> Vec<(BlobId, BlobFacts)> {
    let mut input = std::io::BufReader::with_capacity(64 * 1024, stdout);
    let mut out = Vec::new();
    let mut line = String::new();
    if input.read_line(&mut line).is_err() || line != greeting() {
        return out;
    }
    let mut frame = Vec::new();
    loop {
        let mut len = [0u8; 4];
        if input.read_exact(&mut len).is_err() {
            return out;
        }
        frame.resize(u32::from_le_bytes(len) as usize, 0);
        if input.read_exact(&mut frame).is_err() {
            return out;
        }
        match postcard::from_bytes::<(BlobId, BlobFacts)>(&frame) {
            Ok(item) => out.push(item),
            Err(_) => return out,
        }
        delivered.store(out.len(), Ordering::Release);
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
        // Deliver often: the caller stops reading where the helper is.
        if n % 16 == 15 {
            stdout.flush()?;
        }
    }
    stdout.flush()?;
    Ok(())
}
