//! Ingest: read a period's four tables, run every check of SPEC §2, and split
//! each into typed accepted rows and quarantined rejects. Partners are
//! checked first; the other tables see only accepted partners.

pub mod checks;
pub mod csv;
pub mod read;
pub mod tables;

use std::collections::BTreeMap;
use std::path::PathBuf;

use polars::prelude::*;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::period::Period;
use crate::policy::Policy;
use checks::{Context, comparable, parsed};
use read::{LINE, ROW, ReadTable};
use tables::{Kind, Table};

/// Counts of one input, as printed by `validate` and kept in the manifest.
#[derive(Clone, Debug, serde::Serialize)]
pub struct InputStats {
    /// Table name.
    pub source: &'static str,
    /// File read.
    pub path: PathBuf,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Records read (header and empty lines excluded).
    pub rows_read: u64,
    /// Records accepted.
    pub rows_accepted: u64,
    /// Records rejected.
    pub rows_rejected: u64,
    /// Rejected records per reason code.
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Sum of the accepted `amount` column in fen, for tables that have one.
    pub accepted_amount_fen: Option<i64>,
}

impl InputStats {
    /// Rejected rows that count toward the reject threshold (§2.1).
    pub fn counted(&self) -> u64 {
        self.rows_rejected
            - self
                .rejected_by_reason
                .get("OUT_OF_PERIOD")
                .copied()
                .unwrap_or(0)
    }
}

/// A period's accepted, typed inputs and its rejects.
pub struct Month {
    /// The period.
    pub period: Period,
    /// Accepted partners: partner_id, partner_type, name, province, status, admitted_on (Date).
    pub partners: DataFrame,
    /// Accepted usage; `amount` in fen (Int64), usage_date Date.
    pub usage: DataFrame,
    /// Accepted complaints; opened_at and first_response_at Datetime(ms), upheld Boolean.
    pub complaints: DataFrame,
    /// Accepted deliveries; `amount` in fen, promised_on and delivered_on Date.
    pub deliveries: DataFrame,
    /// Rejected rows: source, line, reason, detail, raw; sorted by source, line.
    pub rejects: DataFrame,
    /// Per-input counts, in table order.
    pub inputs: Vec<InputStats>,
}

impl Month {
    /// Fails with exit 3 when any input has too many counted rejects.
    pub fn check_reject_ratio(&self, max_bp: i64) -> Result<()> {
        for s in &self.inputs {
            if (s.counted() as i128) * 10000 > (max_bp as i128) * (s.rows_read as i128) {
                return Err(Error::TooManyRejects {
                    file: s.path.clone(),
                    counted: s.counted(),
                    rows_read: s.rows_read,
                    max_bp,
                });
            }
        }
        Ok(())
    }
}

/// Reads and checks every input of `period`. Each file's bytes are fed to
/// `fingerprint` in table order (they enter the run_id).
pub fn load(
    config: &Config,
    period: Period,
    policy: &Policy,
    fingerprint: &mut Sha256,
) -> Result<Month> {
    let dir = config.period_dir(period);
    if !dir.is_dir() {
        return Err(Error::Input {
            file: dir,
            message: format!("the input folder of period {period} does not exist"),
        });
    }
    // Locate all four first: a missing table fails before any work.
    let files: Vec<PathBuf> = tables::ALL
        .iter()
        .map(|t| read::locate(&dir, t))
        .collect::<Result<_>>()?;
    let catalog = Series::new(
        "catalog".into(),
        policy.catalog.keys().cloned().collect::<Vec<_>>(),
    );
    let mut ctx = Context {
        period,
        catalog,
        partner_ids: Series::new_empty("ids".into(), &DataType::String),
    };

    let partners_read = read::read(&tables::PARTNERS, &files[0], config.encoding)?;
    let partners = check_table(&partners_read, &ctx)?;
    ctx.partner_ids = partners
        .accepted
        .column("partner_id")
        .map_err(Error::polars("partner ids"))?
        .as_materialized_series()
        .clone();

    let encoding = config.encoding;
    let others: Vec<(ReadTable, Checked)> = {
        use rayon::prelude::*;
        let ctx = &ctx;
        tables::ALL[1..]
            .par_iter()
            .zip(&files[1..])
            .map(|(t, f)| {
                let read = read::read(t, f, encoding)?;
                let checked = check_table(&read, ctx)?;
                Ok((read, checked))
            })
            .collect::<Result<_>>()?
    };

    let mut inputs = Vec::with_capacity(4);
    let mut reject_frames = Vec::with_capacity(4);
    let mut accepted = Vec::with_capacity(4);
    for (read, checked) in std::iter::once((partners_read, partners)).chain(others) {
        fingerprint.update(&read.bytes);
        fingerprint.update([0u8]);
        inputs.push(checked.stats(&read)?);
        reject_frames.push(checked.rejects_with_raw(&read)?);
        accepted.push(checked.accepted);
    }
    let rejects = concat_frames(reject_frames)?;
    let mut accepted = accepted.into_iter();
    let mut next = || accepted.next().expect("four tables");
    Ok(Month {
        period,
        partners: next(),
        usage: next(),
        complaints: next(),
        deliveries: next(),
        rejects,
        inputs,
    })
}

fn concat_frames(frames: Vec<DataFrame>) -> Result<DataFrame> {
    let lazy: Vec<LazyFrame> = frames.into_iter().map(DataFrame::lazy).collect();
    concat(lazy, UnionArgs::default())
        .and_then(|lf| {
            lf.sort(["source", LINE], SortMultipleOptions::default())
                .collect()
        })
        .map_err(Error::polars("collecting rejects"))
}

/// One table split into accepted rows and rejected rows.
struct Checked {
    accepted: DataFrame,
    /// line, reason, detail, __row.
    rejected: DataFrame,
    rows_read: usize,
}

fn check_table(read: &ReadTable, ctx: &Context) -> Result<Checked> {
    let table = read.table;
    let err = Error::polars("checking rows");
    let rows_read = read.frame.height();
    let started = std::time::Instant::now();
    let checked = checks::reasons(read.frame.clone().lazy(), table, ctx)
        .collect()
        .map_err(err)?;
    tracing::info!(
        table = table.name,
        ms = started.elapsed().as_millis() as u64,
        "row checks"
    );
    let failed = col("reason").is_not_null();
    let early_rejects = checks::details(checked.clone().lazy().filter(failed.clone()), table, ctx)
        .select(reject_columns())
        .collect()
        .map_err(Error::polars("rejects"))?;
    let passing = checked.lazy().filter(failed.not());

    // Step 4: exact duplicates first (the first copy stays), then ids shared
    // by rows that differ. Both need a shared id, so one hash pass over the
    // ids finds the few candidate rows and only those are compared whole.
    let id = table.id();
    let window = crate::compute::window;
    let passing = passing
        .with_column(window(len(), &[col(id)]).alias("__id_rows"))
        .collect()
        .map_err(Error::polars("duplicate ids"))?;
    let unique = passing.clone().lazy().filter(col("__id_rows").eq(lit(1)));
    let keys: Vec<Expr> = table
        .columns
        .iter()
        .map(|c| comparable(c.name, c.kind))
        .collect();
    let shared = passing
        .lazy()
        .filter(col("__id_rows").gt(lit(1)))
        .with_column(window(col(LINE).min(), &keys).alias("__first_line"))
        .with_column(col(LINE).neq(col("__first_line")).alias("__dup_row"))
        .collect()
        .map_err(Error::polars("duplicate rows"))?;
    let dup_rows = shared
        .clone()
        .lazy()
        .filter(col("__dup_row"))
        .with_columns([
            lit("DUPLICATE_ROW").alias("reason"),
            concat_str(
                [
                    lit("repeats line "),
                    col("__first_line").cast(DataType::String),
                    lit(" in every column"),
                ],
                "",
                false,
            )
            .alias("detail"),
        ])
        .select(reject_columns());
    let rest = shared
        .lazy()
        .filter(col("__dup_row").not())
        .with_column(window(len(), &[col(id)]).alias("__id_rows"))
        .collect()
        .map_err(Error::polars("duplicate ids"))?;
    let dup_ids = rest
        .clone()
        .lazy()
        .filter(col("__id_rows").gt(lit(1)))
        .with_columns([
            lit("DUPLICATE_ID").alias("reason"),
            concat_str(
                [
                    lit(format!("{id} '")),
                    col(id),
                    lit("' is shared by "),
                    col("__id_rows").cast(DataType::String),
                    lit(" rows with different values"),
                ],
                "",
                false,
            )
            .alias("detail"),
        ])
        .select(reject_columns());
    let survivors = rest
        .lazy()
        .filter(col("__id_rows").eq(lit(1)))
        .drop(cols(["__first_line", "__dup_row"]));
    let accepted = if survivors.clone().collect().map(|d| d.height()).unwrap_or(0) == 0 {
        unique
    } else {
        concat([unique, survivors], UnionArgs::default())
            .map_err(Error::polars("accepted rows"))?
            .sort([LINE], SortMultipleOptions::default())
    };
    let accepted = accepted
        .select(typed_columns(table))
        .collect()
        .map_err(Error::polars("accepted rows"))?;
    let rejected = concat(
        [early_rejects.lazy(), dup_rows, dup_ids],
        UnionArgs::default(),
    )
    .and_then(|lf| lf.sort([LINE], SortMultipleOptions::default()).collect())
    .map_err(Error::polars("rejected rows"))?;
    tracing::info!(
        table = table.name,
        ms = started.elapsed().as_millis() as u64,
        "checked with duplicates"
    );
    Ok(Checked {
        accepted,
        rejected,
        rows_read,
    })
}

fn reject_columns() -> [Expr; 4] {
    [col(LINE), col("reason"), col("detail"), col(ROW)]
}

/// The accepted columns with their typed values.
fn typed_columns(table: &Table) -> Vec<Expr> {
    let mut out = vec![col(LINE)];
    out.extend(table.columns.iter().map(|c| match c.kind {
        Kind::Amount | Kind::Date { .. } | Kind::DateTime { .. } => {
            col(parsed(c.name)).alias(c.name)
        }
        Kind::Enum(v) if v == ["true", "false"] => col(c.name).eq(lit("true")).alias(c.name),
        _ => col(c.name),
    }));
    out
}

impl Checked {
    fn stats(&self, read: &ReadTable) -> Result<InputStats> {
        let reasons = self
            .rejected
            .column("reason")
            .map_err(Error::polars("stats"))?
            .str()
            .map_err(Error::polars("stats"))?;
        let mut by_reason = BTreeMap::new();
        for r in reasons.iter().flatten() {
            *by_reason.entry(r.to_string()).or_insert(0u64) += 1;
        }
        let amount = if read.table.columns.iter().any(|c| c.kind == Kind::Amount) {
            let sum = self
                .accepted
                .column("amount")
                .map_err(Error::polars("stats"))?
                .as_materialized_series()
                .sum::<i64>();
            Some(sum.map_err(Error::polars("stats"))?)
        } else {
            None
        };
        Ok(InputStats {
            source: read.table.name,
            path: read.file.clone(),
            sha256: hex::encode(Sha256::digest(&read.bytes)),
            rows_read: self.rows_read as u64,
            rows_accepted: self.accepted.height() as u64,
            rows_rejected: self.rejected.height() as u64,
            rejected_by_reason: by_reason,
            accepted_amount_fen: amount,
        })
    }

    /// The rejects with `source` and the original text of each row.
    fn rejects_with_raw(&self, read: &ReadTable) -> Result<DataFrame> {
        let rows = self
            .rejected
            .column(ROW)
            .map_err(Error::polars("raw"))?
            .i64()
            .map_err(Error::polars("raw"))?;
        let raw: Vec<String> = rows
            .into_no_null_iter()
            .map(|r| read.raw.raw(&read.bytes, r as usize))
            .collect();
        let n = self.rejected.height();
        let mut df = self
            .rejected
            .select([LINE, "reason", "detail"])
            .map_err(Error::polars("raw"))?;
        df.with_column(Column::new("raw".into(), raw))
            .map_err(Error::polars("raw"))?;
        df.with_column(Column::new("source".into(), vec![read.table.name; n]))
            .map_err(Error::polars("raw"))?;
        df.select(["source", LINE, "reason", "detail", "raw"])
            .map_err(Error::polars("raw"))
    }
}
