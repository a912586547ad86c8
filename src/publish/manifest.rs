//! `runs/<run_id>/manifest.json` (SPEC §6): what a run read, wrote and totalled.
//! The only place timestamps live.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use polars::prelude::*;

use crate::columns::*;
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
    /// Held money rows per hold reason (SPEC §19; empty when none).
    #[serde(default)]
    pub held_rows_by_reason: BTreeMap<String, u64>,
    /// Held basis in yuan per hold reason.
    #[serde(default)]
    pub held_basis_by_reason: BTreeMap<String, String>,
    /// Withheld balances in yuan: opening, withheld, released, forfeited
    /// and closing totals (SPEC §18; only with carry_withheld).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balances_total: Option<BTreeMap<String, String>>,
    /// Applicants per decision (SPEC §22; admission manifests only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admission_decisions: Option<BTreeMap<String, u64>>,
    /// When publishing finished (operator-local time).
    pub published_at: String,
}

/// Fen as a yuan string with two decimals.
pub fn yuan(fen: i128) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

impl Manifest {
    /// Writes the manifest atomically and durably.
    pub fn write(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_vec_pretty(self).expect("manifest serialises");
        super::durable::atomic_write(path, &json)
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

/// Totals in yuan of each figure of the `balances` frame.
pub fn balance_totals(balances: &DataFrame) -> Result<BTreeMap<String, String>> {
    use crate::compute::balances::{CLOSING, FORFEITED, OPENING, RELEASED, WITHHELD};
    let mut out = BTreeMap::new();
    for name in [OPENING, WITHHELD, RELEASED, FORFEITED, CLOSING] {
        let total = balances
            .column(name)
            .and_then(crate::expr::money_sum)
            .map_err(Error::polars("balance totals"))?;
        out.insert(name.to_string(), yuan(total));
    }
    Ok(out)
}

/// Held rows and basis (yuan) per reason, from the `held` frame.
pub fn held_by_reason(
    held: &DataFrame,
) -> Result<(BTreeMap<String, u64>, BTreeMap<String, String>)> {
    let err = || Error::polars("held totals");
    let df = held
        .clone()
        .lazy()
        .group_by([col(REASON)])
        .agg([
            col(QUANTITY).sum().cast(DataType::Int64),
            crate::expr::money(col(BASIS)).sum(),
        ])
        .collect()
        .map_err(err())?;
    let reasons = df
        .column(REASON)
        .and_then(|c| c.str().cloned())
        .map_err(err())?;
    let rows = df
        .column(QUANTITY)
        .and_then(|c| c.i64().cloned())
        .map_err(err())?;
    let basis = df
        .column(BASIS)
        .and_then(|c| c.i128().cloned())
        .map_err(err())?;
    let mut by_rows = BTreeMap::new();
    let mut by_basis = BTreeMap::new();
    for ((r, n), b) in reasons.iter().zip(rows.iter()).zip(basis.iter()) {
        let r = r.unwrap_or("").to_string();
        by_rows.insert(r.clone(), n.unwrap_or(0) as u64);
        by_basis.insert(r, yuan(b.unwrap_or(0)));
    }
    Ok((by_rows, by_basis))
}

/// Control totals: ledger amount in yuan per value of `key` (component or
/// status), summed in Int128 fen.
pub fn totals_by(
    ledger: &DataFrame,
    key: &str,
) -> Result<std::collections::BTreeMap<String, String>> {
    let df = ledger
        .clone()
        .lazy()
        .group_by([col(key)])
        .agg([col(AMOUNT).sum()])
        .collect()
        .map_err(Error::polars("control totals"))?;
    let keys = df
        .column(key)
        .and_then(|c| c.str().cloned())
        .map_err(Error::polars("control totals"))?;
    let sums = df
        .column(AMOUNT)
        .and_then(|c| c.cast(&crate::expr::MONEY))
        .map_err(Error::polars("control totals"))?;
    let sums = sums.i128().map_err(Error::polars("control totals"))?;
    Ok(keys
        .iter()
        .zip(sums.iter())
        .map(|(k, v)| (k.unwrap_or("").to_string(), yuan(v.unwrap_or(0))))
        .collect())
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
