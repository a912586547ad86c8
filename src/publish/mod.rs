//! Publish: staging, atomic renames, superseded versions kept under
//! `runs/<old_run_id>/`, and the manifest written last (SPEC §6).
//!
//! Each published file is replaced by one `rename` of a complete staged file,
//! so a reader (or a run killed at any moment) only ever sees the old or the
//! new version of a file. The old version is hard-linked under `runs/` before
//! the rename, so it is never missing either.

pub mod layout;
pub mod lock;
pub mod manifest;
pub mod outputs;
pub mod parquet;

use std::path::{Path, PathBuf};

use polars::prelude::*;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::period::Period;
use manifest::{Manifest, OutputFile};

/// Writes `bytes` to `path` through a temporary file and a rename.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().expect("file has a folder");
    let mut tmp =
        tempfile::NamedTempFile::new_in(dir).map_err(Error::io("create temp file in", dir))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(Error::io("write", path))?;
    tmp.persist(path)
        .map_err(|e| Error::io("rename into", path)(e.error))?;
    Ok(())
}

/// SHA-256 of a file, hex.
pub fn file_sha256(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(Error::io("read", path))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// The manifest of the version of `period` currently published, if any: the
/// most recently published manifest for that period.
pub fn current(root: &Path, period: Period) -> Result<Option<Manifest>> {
    let runs = root.join("runs");
    let Ok(entries) = std::fs::read_dir(&runs) else {
        return Ok(None);
    };
    let mut best: Option<Manifest> = None;
    let wanted = period.to_string();
    for entry in entries.flatten() {
        let path = entry.path().join("manifest.json");
        if !path.is_file() {
            continue;
        }
        let m = Manifest::read(&path)?;
        if m.period == wanted
            && best
                .as_ref()
                .is_none_or(|b| b.published_at < m.published_at)
        {
            best = Some(m);
        }
    }
    Ok(best)
}

/// A dataset file to publish.
pub struct Staged {
    /// Dataset name.
    pub dataset: &'static str,
    /// Path relative to the output root.
    pub rel: PathBuf,
    /// The finalized frame.
    pub frame: DataFrame,
}

/// Publishes `files` for a run: stage, swap in one rename per file, keep the
/// superseded versions under `runs/<old>/`, then write `manifest` (whose
/// outputs and time are filled in here).
pub fn publish(root: &Path, files: Vec<Staged>, mut manifest: Manifest) -> Result<Manifest> {
    let staging = layout::staging_dir(root, &manifest.run_id);
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(Error::io("clear staging", &staging))?;
    }
    let mut outputs = Vec::with_capacity(files.len());
    for f in &files {
        let staged = staging.join(&f.rel);
        parquet::write_parquet(f.frame.clone(), &staged)?;
        outputs.push(OutputFile {
            dataset: f.dataset.to_string(),
            path: f.rel.clone(),
            sha256: file_sha256(&staged)?,
            rows: f.frame.height() as u64,
        });
    }
    for f in &files {
        let dest = root.join(&f.rel);
        if dest.exists()
            && let Some(old) = &manifest.previous_run_id
        {
            let keep = layout::run_dir(root, old).join(&f.rel);
            if !keep.exists() {
                let dir = keep.parent().expect("has folder");
                std::fs::create_dir_all(dir).map_err(Error::io("create folder", dir))?;
                std::fs::hard_link(&dest, &keep)
                    .map_err(Error::io("keep superseded file", &keep))?;
            }
        }
        let dir = dest.parent().expect("has folder");
        std::fs::create_dir_all(dir).map_err(Error::io("create folder", dir))?;
        std::fs::rename(staging.join(&f.rel), &dest).map_err(Error::io("publish", &dest))?;
        tracing::debug!(file = %dest.display(), "published");
    }
    manifest.outputs = outputs;
    manifest.published_at = chrono::Local::now()
        .format("%Y-%m-%dT%H:%M:%S%.6f%:z")
        .to_string();
    manifest.write(&layout::manifest_path(root, &manifest.run_id))?;
    let _ = std::fs::remove_dir_all(&staging);
    Ok(manifest)
}

/// Removes staging folders left by runs that were killed (call under the lock).
pub fn clear_stale_staging(root: &Path) -> Result<()> {
    let dir = root.join(".staging");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(Error::io("clear stale staging", &dir))?;
    }
    Ok(())
}
