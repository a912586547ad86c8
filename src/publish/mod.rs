//! Publish: every file of a version is written, synced and renamed into
//! `runs/<run_id>/`, then linked into the Hive tree finance reads, then the
//! manifest, and last the version record that makes it current (SPEC §6;
//! the record is [`log`]'s). A run killed before the record leaves the
//! previous version current and complete under its own `runs/<run_id>/`;
//! the next run under the lock puts the Hive tree back to that version
//! ([`recover`]) before it does anything else. `settle admit` publishes the
//! same way in a space of its own ([`layout::Space`]): its versions, log and
//! staging never mix with a settled period's.

pub mod durable;
pub mod layout;
pub mod lock;
pub mod log;
pub mod manifest;
pub mod outputs;
pub mod parquet;
pub mod state;

use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::period::Period;
use crate::vocab::Dataset;
use layout::Space;
pub use log::current;
use manifest::{Manifest, OutputFile};

/// SHA-256 of a file, hex.
pub fn file_sha256(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(Error::io("read", path))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// A file to publish.
pub struct Staged {
    /// What it is: a dataset's name, or `report`.
    pub name: String,
    /// Path relative to the output root.
    pub rel: PathBuf,
    /// Its content.
    pub content: Content,
}

/// The content of a published file.
pub enum Content {
    /// A dataset's finalized frame, written as Parquet.
    Frame(DataFrame),
    /// A page (the month report), written as it is.
    Page(String),
}

impl Staged {
    /// A dataset's file.
    pub fn dataset(dataset: Dataset, rel: PathBuf, frame: DataFrame) -> Staged {
        Staged {
            name: dataset.to_string(),
            rel,
            content: Content::Frame(frame),
        }
    }
}

/// What a publish in progress is about to touch, written first into its
/// staging folder so that [`recover`] can undo a publish that never
/// committed.
#[derive(Serialize, Deserialize)]
struct Intent {
    period: String,
    run_id: String,
    files: Vec<PathBuf>,
}

const INTENT: &str = "intent.json";

/// The time written into a manifest: now, in the operator's zone, unless
/// `SOURCE_DATE_EPOCH` pins it (the reproducible-builds convention; tests use
/// it to set the clock back). Only people read it: nothing decides by it.
fn published_at() -> String {
    let now = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .map(|t| t.with_timezone(&chrono::Local))
        .unwrap_or_else(chrono::Local::now);
    now.format("%Y-%m-%dT%H:%M:%S%.6f%:z").to_string()
}

/// Publishes `files` as version `manifest.run_id` of its period and makes it
/// current. The caller holds the lock and has run [`recover`].
pub fn publish(root: &Path, files: Vec<Staged>, manifest: Manifest) -> Result<Manifest> {
    publish_in(root, Space::Settlement, files, manifest)
}

/// The current version of `period` in `space`, if any.
pub fn current_in(root: &Path, space: Space, period: Period) -> Result<Option<Manifest>> {
    match space {
        Space::Settlement => current(root, period),
        // Admission was never published by v1: the log alone decides.
        Space::Admission => {
            let home = space.home(root);
            match log::head(&home, period)? {
                Some(c) => log::manifest_of(&home, &c).map(Some),
                None => Ok(None),
            }
        }
    }
}

/// [`publish`] into the Hive tree under `root`, the version kept and
/// logged in `space`. The caller holds the lock and has run [`recover_in`].
pub fn publish_in(
    root: &Path,
    space: Space,
    files: Vec<Staged>,
    mut manifest: Manifest,
) -> Result<Manifest> {
    let period: Period = manifest
        .period
        .parse()
        .map_err(|e: String| Error::Usage(e))?;
    let run_id = manifest.run_id.clone();
    let home = &space.home(root);
    let staging = layout::staging_dir(home, &run_id);
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(Error::io("clear staging", &staging))?;
    }
    let intent = Intent {
        period: manifest.period.clone(),
        run_id: run_id.clone(),
        files: files.iter().map(|f| f.rel.clone()).collect(),
    };
    durable::atomic_write(
        &staging.join(INTENT),
        &serde_json::to_vec_pretty(&intent).expect("intent serialises"),
    )?;

    // 1. Each file complete and synced under its staging name.
    let mut outputs = Vec::with_capacity(files.len());
    for f in &files {
        let staged = staging.join(&f.rel);
        let rows = match &f.content {
            Content::Frame(frame) => {
                parquet::write_parquet(frame.clone(), &staged)?;
                frame.height() as u64
            }
            Content::Page(text) => {
                durable::create_dir(durable::folder_of(&staged))?;
                std::fs::write(&staged, text).map_err(Error::io("write", &staged))?;
                0
            }
        };
        durable::sync_file(&staged)?;
        outputs.push(OutputFile {
            dataset: f.name.clone(),
            path: f.rel.clone(),
            sha256: file_sha256(&staged)?,
            rows,
        });
    }
    // 2. The version's own copy under runs/<run_id>/, which outlives it.
    let version_dir = layout::run_dir(home, &run_id);
    let mut touched = vec![];
    for f in &files {
        let kept = version_dir.join(&f.rel);
        let dir = durable::folder_of(&kept);
        durable::create_dir(dir)?;
        std::fs::rename(staging.join(&f.rel), &kept).map_err(Error::io("keep", &kept))?;
        touched.push(dir.to_path_buf());
    }
    durable::sync_dirs(touched.iter().map(PathBuf::as_path))?;
    // 3. The Hive tree finance reads: one rename per file.
    touched.clear();
    for f in &files {
        let dest = root.join(&f.rel);
        durable::link_into_place(&version_dir.join(&f.rel), &dest)?;
        touched.push(durable::folder_of(&dest).to_path_buf());
        tracing::debug!(file = %dest.display(), "published");
    }
    durable::sync_dirs(touched.iter().map(PathBuf::as_path))?;
    // 4. The manifest, then the record that makes this version current.
    log::keep_manifest(home, period, &run_id)?;
    manifest.outputs = outputs;
    manifest.published_at = published_at();
    manifest.write(&layout::manifest_path(home, &run_id))?;
    log::commit(home, period, &run_id)?;
    let _ = std::fs::remove_dir_all(&staging);
    Ok(manifest)
}

/// Brings the output root to a consistent state before a run (call under the
/// lock): undoes publishes that were killed before their commit, and
/// migrates periods published by v1 (manifests without a log).
pub fn recover(root: &Path) -> Result<()> {
    migrate_v1(root)?;
    recover_in(root, Space::Settlement)
}

/// Undoes the publishes of `space` that were killed before their commit
/// (call under the lock).
pub fn recover_in(root: &Path, space: Space) -> Result<()> {
    let home = &space.home(root);
    let dir = home.join(".staging");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let intent_path = entry.path().join(INTENT);
        if let Ok(bytes) = std::fs::read(&intent_path)
            && let Ok(intent) = serde_json::from_slice::<Intent>(&bytes)
        {
            roll_back(root, home, &intent)?;
        }
    }
    std::fs::remove_dir_all(&dir).map_err(Error::io("clear stale staging", &dir))
}

/// Puts every live file (under `root`) an uncommitted publish may have
/// replaced back to the current version's (or removes it when the current
/// version has no such file), and drops the uncommitted version's folder
/// (under `home`, its space's).
fn roll_back(root: &Path, home: &Path, intent: &Intent) -> Result<()> {
    let period: Period = intent.period.parse().map_err(|e: String| Error::Usage(e))?;
    let versions = log::versions(home, period)?;
    if versions.last().is_some_and(|c| c.run_id == intent.run_id) {
        return Ok(()); // committed: only the cleanup was cut short
    }
    let current = match versions.last() {
        Some(c) => Some(log::manifest_of(home, c)?),
        None => None,
    };
    // Every committed version's outputs: a path the current version does
    // not list may still be an earlier version's (its adjustments).
    let mut committed = vec![];
    for c in &versions {
        committed.push(log::manifest_of(home, c)?);
    }
    tracing::warn!(period = %intent.period, run_id = %intent.run_id, "undoing a publish that did not finish");
    let mut touched = vec![];
    for rel in &intent.files {
        let live = root.join(rel);
        let lists = |m: &&Manifest| m.outputs.iter().any(|o| &o.path == rel);
        let keep = current
            .iter()
            .find(lists)
            .or_else(|| committed.iter().rev().find(lists))
            .map(|m| layout::run_dir(home, &m.run_id).join(rel))
            .filter(|kept| kept.is_file());
        match keep {
            Some(src) => durable::link_into_place(&src, &live)?,
            None if live.exists() => {
                std::fs::remove_file(&live).map_err(Error::io("remove unfinished", &live))?
            }
            None => continue,
        }
        touched.push(durable::folder_of(&live).to_path_buf());
    }
    durable::sync_dirs(touched.iter().map(PathBuf::as_path))?;
    if !versions.iter().any(|c| c.run_id == intent.run_id) {
        let dir = layout::run_dir(home, &intent.run_id);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(Error::io("remove unfinished", &dir))?;
        }
    }
    Ok(())
}

/// Gives each period a v1 root published (manifests under `runs/`, no log)
/// a log whose one record names its current version, after linking that
/// version's files under its `runs/<run_id>/` like every later version.
fn migrate_v1(root: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(root.join("runs")) else {
        return Ok(());
    };
    let mut periods = std::collections::BTreeSet::new();
    for entry in entries.flatten() {
        let path = entry.path().join("manifest.json");
        if path.is_file() {
            let m = Manifest::read(&path)?;
            if let Ok(p) = m.period.parse::<Period>() {
                periods.insert(p);
            }
        }
    }
    for period in periods {
        if log::exists(root, period) {
            continue;
        }
        let Some(m) = log::legacy_current(root, period)? else {
            continue;
        };
        let version_dir = layout::run_dir(root, &m.run_id);
        for o in &m.outputs {
            let kept = version_dir.join(&o.path);
            let live = root.join(&o.path);
            let in_place = live.is_file() && file_sha256(&live)? == o.sha256;
            if !kept.exists() && in_place {
                durable::link_into_place(&live, &kept)?;
                durable::sync_dir(durable::folder_of(&kept))?;
            } else if kept.is_file() && !in_place {
                // A v1 publish cut off mid-swap left another run's file in
                // place: put the current version's back.
                durable::link_into_place(&kept, &live)?;
                durable::sync_dir(durable::folder_of(&live))?;
            }
        }
        log::commit(root, period, &m.run_id)?;
        tracing::info!(%period, run_id = %m.run_id, "v1 output root: recorded the current version in _log");
    }
    Ok(())
}
