//! Which published version of a period is current: a numbered log per
//! period, `_log/period=P/00000000000000000001.json`, one record per
//! published version, in the way Delta Lake numbers its commits. The highest
//! number is current. A record is created under a name that must not exist
//! yet and only after every file of its version is durable, so it is the
//! commit point of a publish; numbers only grow, and no clock is ever read to
//! decide what is current.
//!
//! Output roots written before the log existed (v1) hold manifests only; see
//! [`legacy_current`] for how their current version is found and
//! [`super::recover`] for how they are migrated.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::durable;
use super::layout;
use super::manifest::Manifest;
use crate::error::{Error, Result};
use crate::period::Period;

/// One record of the log: version `version` of `period` is run `run_id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    /// 1, 2, 3, … per period.
    pub version: u64,
    /// Period, YYYY-MM.
    pub period: String,
    /// The run whose manifest and files make this version.
    pub run_id: String,
}

fn record_path(root: &Path, period: Period, version: u64) -> PathBuf {
    layout::log_dir(root, period).join(format!("{version:020}.json"))
}

/// Every committed version of `period`, oldest first.
pub fn versions(root: &Path, period: Period) -> Result<Vec<Commit>> {
    let dir = layout::log_dir(root, period);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(vec![]);
    };
    let mut numbers: Vec<u64> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name();
            let stem = name.to_str()?.strip_suffix(".json")?;
            stem.parse().ok()
        })
        .collect();
    numbers.sort_unstable();
    numbers
        .into_iter()
        .map(|n| read_record(&record_path(root, period, n)))
        .collect()
}

fn read_record(path: &Path) -> Result<Commit> {
    let bytes = std::fs::read(path).map_err(Error::io("read version record", path))?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Io {
        action: "parse version record",
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })
}

/// The current version of `period` by the log, if it has one.
pub fn head(root: &Path, period: Period) -> Result<Option<Commit>> {
    Ok(versions(root, period)?.pop())
}

/// Whether `period` has a log (it was published by this version of settle
/// or migrated).
pub fn exists(root: &Path, period: Period) -> bool {
    layout::log_dir(root, period).is_dir()
}

/// Commits `run_id` as the next version of `period`. Call under the root's
/// lock, after the version's files and manifest are durable.
pub fn commit(root: &Path, period: Period, run_id: &str) -> Result<Commit> {
    let version = head(root, period)?.map_or(1, |c| c.version + 1);
    let record = Commit {
        version,
        period: period.to_string(),
        run_id: run_id.to_string(),
    };
    let path = record_path(root, period, version);
    let json = serde_json::to_vec_pretty(&record).expect("record serialises");
    if !durable::create_new(&path, &json)? {
        return Err(Error::Io {
            action: "commit version",
            path,
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "another writer committed this version number (is the root shared without its lock?)",
            ),
        });
    }
    Ok(record)
}

/// The manifest of one committed version. A run_id published again later
/// (A, B, A) rewrites `runs/<run_id>/manifest.json`; the earlier version's
/// manifest was kept as `manifest.v<N>.json` first.
pub fn manifest_of(root: &Path, commit: &Commit) -> Result<Manifest> {
    let dir = layout::run_dir(root, &commit.run_id);
    let kept = dir.join(format!("manifest.v{}.json", commit.version));
    if kept.is_file() {
        return Manifest::read(&kept);
    }
    Manifest::read(&dir.join("manifest.json"))
}

/// Keeps the manifest of the latest committed version with `run_id` under
/// its version number before a republish of the same run_id rewrites it.
pub fn keep_manifest(root: &Path, period: Period, run_id: &str) -> Result<()> {
    let Some(last) = versions(root, period)?
        .into_iter()
        .rev()
        .find(|c| c.run_id == run_id)
    else {
        return Ok(());
    };
    let dir = layout::run_dir(root, run_id);
    let kept = dir.join(format!("manifest.v{}.json", last.version));
    if !kept.exists() {
        durable::link_into_place(&dir.join("manifest.json"), &kept)?;
        durable::sync_dir(&dir)?;
    }
    Ok(())
}

/// The manifest of the version of `period` currently published, if any.
pub fn current(root: &Path, period: Period) -> Result<Option<Manifest>> {
    match head(root, period)? {
        Some(c) => Manifest::read(&layout::manifest_path(root, &c.run_id)).map(Some),
        None => legacy_current(root, period),
    }
}

/// Every manifest under `runs/` for `period`.
pub fn manifests_of(root: &Path, period: Period) -> Result<Vec<Manifest>> {
    let Ok(entries) = std::fs::read_dir(root.join("runs")) else {
        return Ok(vec![]);
    };
    let wanted = period.to_string();
    let mut out = vec![];
    for entry in entries.flatten() {
        let path = entry.path().join("manifest.json");
        if path.is_file() {
            let m = Manifest::read(&path)?;
            if m.period == wanted {
                out.push(m);
            }
        }
    }
    out.sort_by(|a, b| a.run_id.cmp(&b.run_id));
    Ok(out)
}

/// The current version of a v1 root's period (no log): the manifest whose
/// outputs are the files in place (a v1 publish swapped them in just before
/// writing its manifest); among several, the one no other names as the
/// version it replaced; only then the latest `published_at`.
pub fn legacy_current(root: &Path, period: Period) -> Result<Option<Manifest>> {
    let all = manifests_of(root, period)?;
    if all.len() <= 1 {
        return Ok(all.into_iter().next());
    }
    let mut candidates: Vec<Manifest> = vec![];
    for m in &all {
        if outputs_in_place(root, m)? {
            candidates.push(m.clone());
        }
    }
    if candidates.is_empty() {
        candidates = all;
    }
    let replaced: Vec<String> = candidates
        .iter()
        .filter_map(|m| m.previous_run_id.clone())
        .collect();
    let tips: Vec<&Manifest> = candidates
        .iter()
        .filter(|m| !replaced.contains(&m.run_id))
        .collect();
    let pool: Vec<&Manifest> = if tips.is_empty() {
        candidates.iter().collect()
    } else {
        tips
    };
    Ok(pool
        .into_iter()
        .max_by(|a, b| a.published_at.cmp(&b.published_at))
        .cloned())
}

/// Whether every output of `m` is in place in the live tree with its hash.
fn outputs_in_place(root: &Path, m: &Manifest) -> Result<bool> {
    for o in &m.outputs {
        let live = root.join(&o.path);
        if !live.is_file() || super::file_sha256(&live)? != o.sha256 {
            return Ok(false);
        }
    }
    Ok(true)
}
