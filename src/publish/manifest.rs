//! `runs/<run_id>/manifest.json` (SPEC §6): what a run read, wrote and totalled.
//! The only place timestamps live.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ingest::InputStats;

/// One written dataset file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OutputFile {
    /// Dataset name.
    pub dataset: String,
    /// Path relative to the output root.
    pub path: PathBuf,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Rows in the file.
    pub rows: u64,
}

/// One input as fingerprinted and counted.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InputEntry {
    /// Table name.
    pub source: String,
    /// File read.
    pub path: PathBuf,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Records read.
    pub rows_read: u64,
    /// Records accepted.
    pub rows_accepted: u64,
    /// Records rejected.
    pub rows_rejected: u64,
    /// Rejected records per reason code.
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Accepted amount total in yuan, for tables with an amount.
    pub accepted_amount: Option<String>,
}

impl From<&InputStats> for InputEntry {
    fn from(s: &InputStats) -> InputEntry {
        InputEntry {
            source: s.source.to_string(),
            path: s.path.clone(),
            sha256: s.sha256.clone(),
            rows_read: s.rows_read,
            rows_accepted: s.rows_accepted,
            rows_rejected: s.rows_rejected,
            rejected_by_reason: s.rejected_by_reason.clone(),
            accepted_amount: s.accepted_amount_fen.map(yuan),
        }
    }
}

/// The manifest of one published run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// Period, YYYY-MM.
    pub period: String,
    /// This run's id.
    pub run_id: String,
    /// The run_id this run replaced for the same period, if republished.
    pub previous_run_id: Option<String>,
    /// The run_id of the previous period's scores this run built on.
    pub previous_period_run_id: Option<String>,
    /// Why it was rerun (reruns only).
    pub reason: Option<String>,
    /// Program version.
    pub program_version: String,
    /// Policy file in force.
    pub policy_path: PathBuf,
    /// SHA-256 of the policy file.
    pub policy_sha256: String,
    /// Inputs read.
    pub inputs: Vec<InputEntry>,
    /// Files written.
    pub outputs: Vec<OutputFile>,
    /// Ledger amount in yuan per component.
    pub ledger_amount_by_component: BTreeMap<String, String>,
    /// Ledger amount in yuan per status.
    pub ledger_amount_by_status: BTreeMap<String, String>,
    /// When publishing finished (operator-local time).
    pub published_at: String,
}

/// Fen as a yuan string with two decimals.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

impl Manifest {
    /// Writes the manifest atomically (temp file, then rename).
    pub fn write(&self, path: &Path) -> Result<()> {
        let dir = path.parent().expect("manifest has a folder");
        std::fs::create_dir_all(dir).map_err(Error::io("create folder", dir))?;
        let json = serde_json::to_vec_pretty(self).expect("manifest serialises");
        super::atomic_write(path, &json)
    }

    /// Reads a manifest.
    pub fn read(path: &Path) -> Result<Manifest> {
        let bytes = std::fs::read(path).map_err(Error::io("read manifest", path))?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Io {
            action: "parse manifest",
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn yuan_formats_fen() {
        assert_eq!(super::yuan(0), "0.00");
        assert_eq!(super::yuan(7), "0.07");
        assert_eq!(super::yuan(123450), "1234.50");
        assert_eq!(super::yuan(-5000), "-50.00");
    }
}
