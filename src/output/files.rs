//! File writes that never leave a file half-written.

use anyhow::{Context as _, Result};
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` through a temporary file in the same directory,
/// synced and then renamed over `path`: readers see the old file or the new
/// one, never a part.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = file_builder().tempfile_in(dir).map_err(|e| {
        unwritable(
            format!("cannot create a temporary file in {}", dir.display()),
            e,
        )
    })?;
    // Replacing a file keeps its permissions exactly.
    if let Ok(meta) = std::fs::metadata(path) {
        temp.as_file()
            .set_permissions(meta.permissions())
            .map_err(|e| unwritable(format!("cannot write {}", path.display()), e))?;
    }
    temp.write_all(bytes)
        .and_then(|_| temp.as_file().sync_all())
        .map_err(|e| unwritable(format!("cannot write {}", path.display()), e))?;
    // Test hook: the tests set PROMPTREG_FAIL_BEFORE_RENAME=1 to simulate a
    // run interrupted after the write and before the rename, and check that
    // the old file is intact and the temporary file is gone (dropping
    // `temp` deletes it).
    if std::env::var_os("PROMPTREG_FAIL_BEFORE_RENAME").is_some_and(|v| v == "1") {
        anyhow::bail!(
            "cannot replace {}: interrupted before the rename (PROMPTREG_FAIL_BEFORE_RENAME=1)",
            path.display()
        );
    }
    temp.persist(path)
        .map_err(|e| unwritable(format!("cannot replace {}", path.display()), e.error))?;
    Ok(())
}

/// A temporary file that becomes `path`: private files are for secrets,
/// and a prompt or a lockfile is not one, so a new file gets the usual
/// 0666 less the umask (tempfile's default is 0600).
fn file_builder() -> tempfile::Builder<'static, 'static> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".promptreg-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder
}

/// A write that failed, with the usual causes as the hint. The old file, if
/// any, is untouched: nothing was renamed over it.
fn unwritable(message: String, cause: std::io::Error) -> anyhow::Error {
    promptreg_core::error::fail(format!("{message}; nothing was changed"))
        .hint("check that the directory is writable: permissions, a read-only file system, an immutable file (chattr -i), a full disk")
        .caused_by(cause)
        .into()
}

/// Creates `path` with `bytes`, refusing when it already exists.
pub fn create_new(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut temp = file_builder()
        .tempfile_in(path.parent().unwrap_or(Path::new(".")))
        .with_context(|| format!("cannot create a temporary file next to {}", path.display()))?;
    temp.write_all(bytes)
        .and_then(|_| temp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    temp.persist_noclobber(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot create {}", path.display()))?;
    Ok(())
}

/// Writes `files` (paths relative to `dir`, `/`-separated, each checked to
/// stay inside it) into a new temporary directory next to `dir`, then moves
/// it into place: readers see the old directory or the complete new one,
/// never a part. An existing `dir` is set aside and removed only once the
/// new one is in place. The caller decides whether replacing is allowed.
pub fn replace_dir(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".promptreg-new-");
    // A temporary directory is private (0700) by default; the result is a
    // normal directory (0777 less the umask) that a deploy runtime can read.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o777));
    }
    let temp = builder.tempdir_in(parent).with_context(|| {
        format!(
            "cannot create a temporary directory in {}",
            parent.display()
        )
    })?;
    for (relative, bytes) in files {
        if !promptreg_core::config::is_inside_relative(relative) || relative.contains('\\') {
            anyhow::bail!(
                "refusing to write `{relative}`: it would land outside {}",
                dir.display()
            );
        }
        let path = temp.path().join(relative);
        if let Some(sub) = path.parent() {
            std::fs::create_dir_all(sub)
                .with_context(|| format!("cannot create {}", sub.display()))?;
        }
        let mut file = std::fs::File::create(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        file.write_all(bytes)
            .and_then(|_| file.sync_all())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    // Test hook, as in `write_atomic`: a run interrupted once every file is
    // written and before the new directory is moved into place. Dropping
    // `temp` removes the new directory; `dir` is untouched.
    if std::env::var_os("PROMPTREG_FAIL_BEFORE_RENAME").is_some_and(|v| v == "1") {
        anyhow::bail!(
            "cannot replace {}: interrupted before the rename (PROMPTREG_FAIL_BEFORE_RENAME=1)",
            dir.display()
        );
    }
    if std::fs::symlink_metadata(dir).is_ok() {
        let old = tempfile::Builder::new()
            .prefix(".promptreg-old-")
            .tempdir_in(parent)
            .with_context(|| {
                format!(
                    "cannot create a temporary directory in {}",
                    parent.display()
                )
            })?;
        let aside = old.path().join("old");
        std::fs::rename(dir, &aside)
            .with_context(|| format!("cannot move {} aside to replace it", dir.display()))?;
        if let Err(e) = std::fs::rename(temp.path(), dir) {
            // Put the old directory back; the new one is removed with `temp`.
            let _ = std::fs::rename(&aside, dir);
            return Err(anyhow::Error::from(e)
                .context(format!("cannot move the new {} into place", dir.display())));
        }
        let _ = temp.keep();
        // Dropping `old` removes the previous directory.
        drop(old);
    } else {
        std::fs::rename(temp.path(), dir)
            .with_context(|| format!("cannot move the new {} into place", dir.display()))?;
        let _ = temp.keep();
    }
    // Make the rename itself durable.
    #[cfg(unix)]
    if let Ok(handle) = std::fs::File::open(parent) {
        let _ = handle.sync_all();
    }
    Ok(())
}

/// The bytes of `path` when it holds at most `max` bytes; `None` when it is
/// missing, unreadable or larger. The size is checked before anything is
/// read, so a huge file (a damaged cache, a sparse 4 GB file) costs nothing.
pub fn read_at_most(path: &Path, max: u64) -> Option<Vec<u8>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).ok()?;
    if file.metadata().ok()?.len() > max {
        return None;
    }
    let mut bytes = Vec::new();
    // The file may grow while it is read: never take more than `max`.
    file.take(max + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= max).then_some(bytes)
}
