//! The `applicants` table of `settle admit` (SPEC §22), read and checked by
//! the same machinery as the settlement tables: every rule of §2, one reason
//! per bad row, rejects with their raw text. It stands alone: it sees no
//! partner registry and no catalog, and a settlement run never reads it.

use std::path::PathBuf;

use polars::prelude::*;

use super::checks::Context;
use super::{InputStats, load_table, read, tables};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::period::Period;

/// A period's accepted applicants and their rejects.
pub struct Applicants {
    /// applicant_id, partner_type, province, then one Int64 score column
    /// per leaf criterion in hierarchy order.
    pub accepted: DataFrame,
    /// Rejected rows: source (`applicants`), line, reason, detail, raw;
    /// sorted by line.
    pub rejects: DataFrame,
    /// Counts and the file's SHA-256.
    pub stats: InputStats,
}

/// Where `period`'s applicants file is: exit 2 when the folder or the file
/// is missing, or the table is there both as CSV and as Parquet.
pub fn locate(config: &Config, period: Period) -> Result<PathBuf> {
    let dir = config.period_dir(period);
    if !dir.is_dir() {
        return Err(Error::Input {
            file: dir,
            message: format!("the input folder of period {period} does not exist"),
        });
    }
    Ok(read::locate(&dir, &tables::APPLICANTS)?.expect("applicants is a required table"))
}

/// Reads and checks `period`'s applicants.
pub fn load(config: &Config, period: Period) -> Result<Applicants> {
    let file = locate(config, period)?;
    // Applicants reference no partner and no product: both sets stay empty.
    let ctx = Context {
        period,
        catalog: Series::new_empty("catalog".into(), &DataType::String),
        partner_ids: Series::new_empty("ids".into(), &DataType::String),
        typed: vec![],
    };
    let loaded = load_table(&tables::APPLICANTS, &file, config.encoding, &ctx)?;
    Ok(Applicants {
        accepted: loaded.accepted,
        rejects: loaded.rejects,
        stats: loaded.stats,
    })
}
