//! Where things live under the output root (SPEC §6).

use std::path::{Path, PathBuf};

use crate::period::Period;
use crate::vocab::Dataset;

/// A history of published versions under one output root. Settlement
/// (SPEC §6–7) and admission (§22) publish into the same Hive tree but keep
/// separate version folders, logs and staging, so that neither ever reads
/// the other's records as its own: an admission list is no settlement
/// version of its period, and republishing it is no rerun.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Space {
    /// `runs/`, `_log/`, `.staging/` at the root.
    Settlement,
    /// The same three under `_admission/`.
    Admission,
}

impl Space {
    /// The folder holding the space's `runs/`, `_log/` and `.staging/`
    /// (the functions below take it as their `root`).
    pub fn home(self, root: &Path) -> PathBuf {
        match self {
            Space::Settlement => root.to_path_buf(),
            // The underscore keeps Hive readers out, as for `_log`.
            Space::Admission => root.join("_admission"),
        }
    }
}

/// `DATASET/period=P/part-0.parquet`, relative to a root.
pub fn dataset_rel(dataset: Dataset, period: Period) -> PathBuf {
    PathBuf::from(dataset.as_str())
        .join(format!("period={period}"))
        .join("part-0.parquet")
}

/// `adjustments/period=P/run=R/part-0.parquet`, relative to a root.
pub fn adjustments_rel(period: Period, run_id: &str) -> PathBuf {
    PathBuf::from(Dataset::Adjustments.as_str())
        .join(format!("period={period}"))
        .join(format!("run={run_id}"))
        .join("part-0.parquet")
}

/// The adjustments of a republished run_id that an earlier version of the
/// period already had (A, then B, then A again): `run=R-vN`, N its version
/// in the log, so the earlier version's adjustments stay as they were.
pub fn adjustments_rel_again(period: Period, run_id: &str, version: u64) -> PathBuf {
    adjustments_rel(period, &format!("{run_id}-v{version}"))
}

/// `reports/period=P/report.html`, relative to a root: the month report.
pub fn report_rel(period: Period) -> PathBuf {
    PathBuf::from("reports")
        .join(format!("period={period}"))
        .join("report.html")
}

/// `runs/<run_id>/`.
pub fn run_dir(root: &Path, run_id: &str) -> PathBuf {
    root.join("runs").join(run_id)
}

/// `runs/<run_id>/manifest.json`.
pub fn manifest_path(root: &Path, run_id: &str) -> PathBuf {
    run_dir(root, run_id).join("manifest.json")
}

/// `_log/period=P/`: the numbered version records of a period. The leading
/// underscore keeps Hive readers (Spark, DuckDB's globs) out of it.
pub fn log_dir(root: &Path, period: Period) -> PathBuf {
    root.join("_log").join(format!("period={period}"))
}

/// The staging folder of a run in progress.
pub fn staging_dir(root: &Path, run_id: &str) -> PathBuf {
    root.join(".staging").join(run_id)
}
