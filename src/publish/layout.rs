//! Where things live under the output root (SPEC §6).

use std::path::{Path, PathBuf};

use crate::period::Period;

/// The datasets every published period has, in publishing order. `scores`
/// comes last among them because the next period reads it.
pub const DATASETS: [&str; 6] = [
    "rejects",
    "ledger",
    "payouts",
    "sanctions",
    "settlement_stop",
    "scores",
];

/// `DATASET/period=P/part-0.parquet`, relative to a root.
pub fn dataset_rel(dataset: &str, period: Period) -> PathBuf {
    PathBuf::from(dataset)
        .join(format!("period={period}"))
        .join("part-0.parquet")
}

/// `adjustments/period=P/run=R/part-0.parquet`, relative to a root.
pub fn adjustments_rel(period: Period, run_id: &str) -> PathBuf {
    PathBuf::from("adjustments")
        .join(format!("period={period}"))
        .join(format!("run={run_id}"))
        .join("part-0.parquet")
}

/// `runs/<run_id>/`.
pub fn run_dir(root: &Path, run_id: &str) -> PathBuf {
    root.join("runs").join(run_id)
}

/// `runs/<run_id>/manifest.json`.
pub fn manifest_path(root: &Path, run_id: &str) -> PathBuf {
    run_dir(root, run_id).join("manifest.json")
}

/// The staging folder of a run in progress.
pub fn staging_dir(root: &Path, run_id: &str) -> PathBuf {
    root.join(".staging").join(run_id)
}
