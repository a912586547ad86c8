//! Making writes survive a power cut, not only a kill: file contents are
//! synced before the rename that publishes them, and the folder holding a new
//! name is synced before anything that depends on that name (the order SQLite
//! and TigerBeetle document for crash consistency).

use std::path::Path;

use crate::error::{Error, Result};

/// Flushes a file's contents to stable storage.
pub fn sync_file(path: &Path) -> Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(Error::io("sync", path))
}

/// Flushes a folder's entries (names created, renamed or removed in it).
#[cfg(unix)]
pub fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(Error::io("sync folder", dir))
}

/// Windows has no handle to sync a folder through; NTFS journals its metadata.
#[cfg(not(unix))]
pub fn sync_dir(_dir: &Path) -> Result<()> {
    Ok(())
}

/// Creates `dir` and any missing parents, syncing the folder each new one
/// was made in, so that a power cut cannot lose a new folder's name.
pub fn create_dir(dir: &Path) -> Result<()> {
    let mut missing = vec![];
    let mut at = Some(dir);
    while let Some(d) = at {
        if d.as_os_str().is_empty() || d.exists() {
            break;
        }
        missing.push(d);
        at = d.parent();
    }
    std::fs::create_dir_all(dir).map_err(Error::io("create folder", dir))?;
    for d in missing.iter().rev() {
        if let Some(parent) = d.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
    }
    Ok(())
}

/// Syncs each distinct folder once.
pub fn sync_dirs<'a>(dirs: impl IntoIterator<Item = &'a Path>) -> Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for d in dirs {
        if seen.insert(d.to_path_buf()) {
            sync_dir(d)?;
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` through a synced temporary file and a rename,
/// then syncs the folder.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = folder_of(path);
    synced_temp(path, bytes)?
        .persist(path)
        .map_err(|e| Error::io("rename into", path)(e.error))?;
    sync_dir(dir)
}

/// Creates `path` with `bytes` only if no file has that name (a synced
/// temporary file linked into place), then syncs the folder. Returns false
/// when the name was taken.
pub fn create_new(path: &Path, bytes: &[u8]) -> Result<bool> {
    let dir = folder_of(path);
    match synced_temp(path, bytes)?.persist_noclobber(path) {
        Ok(_) => {}
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(Error::io("create", path)(e.error)),
    }
    sync_dir(dir)?;
    Ok(true)
}

/// Temporary files readable like every other published file: tempfile's
/// default is owner-only (0600), which would hide manifests, version records
/// and rewritten reports from BI users of other accounts. 0666 less the
/// umask, as for any file the process creates.
fn temp_builder() -> tempfile::Builder<'static, 'static> {
    let mut b = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(0o666));
    }
    b
}

/// `bytes` in a synced temporary file beside `path`, to be renamed onto it.
fn synced_temp(path: &Path, bytes: &[u8]) -> Result<tempfile::NamedTempFile> {
    use std::io::Write;
    let dir = folder_of(path);
    create_dir(dir)?;
    let mut tmp = temp_builder()
        .tempfile_in(dir)
        .map_err(Error::io("create temp file in", dir))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(Error::io("write", path))?;
    Ok(tmp)
}

/// Points `dest` at the same file as `src` (a hard link swapped in by one
/// rename, so `dest` is never missing or partial).
pub fn link_into_place(src: &Path, dest: &Path) -> Result<()> {
    let dir = folder_of(dest);
    create_dir(dir)?;
    let tmp = tempfile::Builder::new()
        .prefix(".link-")
        .make_in(dir, |p| std::fs::hard_link(src, p))
        .map_err(Error::io("link", src))?;
    tmp.persist(dest)
        .map_err(|e| Error::io("rename into", dest)(e.error))?;
    Ok(())
}

/// The folder a file path sits in.
pub fn folder_of(path: &Path) -> &Path {
    path.parent().expect("a file path has a folder")
}
