//! Reading one input table, CSV or Parquet, into a frame of trimmed text
//! columns plus the bookkeeping the checks need (`line`, structural faults).
//! Typed Parquet columns are rendered to the canonical text form so that the
//! same checks serve both formats (SPEC §2: "then only the value rules apply").

use std::io::Cursor;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::csv::{Record, Splitter};
use super::tables::{Kind, Table};
use crate::config::Encoding;
use crate::error::{Error, Result};

/// Column holding the physical line of a row (header = 1).
pub const LINE: &str = "line";
/// Column holding a structural fault code found while splitting (§2.1 step 1).
pub const PRE: &str = "__pre";
/// Column holding the number of fields a CSV record had.
pub const NFIELDS: &str = "__nfields";
/// Column holding the row's position in the file (0-based), for `raw`.
pub const ROW: &str = "__row";

/// Where the original text of a row comes from, for the rejects' `raw`.
pub enum RawSource {
    /// CSV: each record's byte range in the file, and the file's encoding.
    Csv {
        spans: Vec<(usize, usize)>,
        encoding: Encoding,
    },
    /// Parquet: every column of the file as read.
    Parquet { frame: DataFrame },
}

impl RawSource {
    /// The original text of the row at position `row` of file `bytes`.
    pub fn raw(&self, bytes: &[u8], row: usize) -> String {
        match self {
            RawSource::Csv { spans, encoding } => {
                let (a, b) = spans[row];
                decode_lossy(&bytes[a..b], *encoding)
            }
            RawSource::Parquet { frame } => {
                let mut parts = Vec::with_capacity(frame.width());
                for column in frame.columns() {
                    let value = column.get(row).map(|v| match v {
                        AnyValue::Null => String::new(),
                        AnyValue::String(s) => s.to_string(),
                        AnyValue::StringOwned(s) => s.to_string(),
                        other => other.to_string(),
                    });
                    parts.push(value.unwrap_or_default());
                }
                parts.join(",")
            }
        }
    }
}

/// One table as read: its file, bytes, text frame and raw source.
pub struct ReadTable {
    /// The table read.
    pub table: &'static Table,
    /// The file it came from.
    pub file: PathBuf,
    /// The file's bytes, as hashed into the run_id.
    pub bytes: Vec<u8>,
    /// One row per record: `line`, `__pre`, `__nfields`, `__row`, then the
    /// table's columns as trimmed text ("" when empty).
    pub frame: DataFrame,
    /// Original text of each record.
    pub raw: RawSource,
}

/// Finds the table's file in `dir`: exactly one of NAME.csv and NAME.parquet.
pub fn locate(dir: &Path, table: &Table) -> Result<PathBuf> {
    let csv = dir.join(format!("{}.csv", table.name));
    let parquet = dir.join(format!("{}.parquet", table.name));
    match (csv.is_file(), parquet.is_file()) {
        (true, true) => Err(Error::Input {
            file: csv,
            message: format!(
                "{} is present both as CSV and as Parquet; keep exactly one",
                table.name
            ),
        }),
        (true, false) => Ok(csv),
        (false, true) => Ok(parquet),
        (false, false) => Err(Error::Input {
            file: csv,
            message: format!(
                "the {} table is missing (neither {0}.csv nor {0}.parquet exists)",
                table.name
            ),
        }),
    }
}

/// Reads a located table file.
pub fn read(table: &'static Table, file: &Path, encoding: Encoding) -> Result<ReadTable> {
    let bytes = std::fs::read(file).map_err(|e| Error::Input {
        file: file.to_path_buf(),
        message: format!("cannot be read: {e}"),
    })?;
    let is_parquet = file.extension().is_some_and(|x| x == "parquet");
    let started = std::time::Instant::now();
    let (frame, raw) = if is_parquet {
        read_parquet(table, file, &bytes)?
    } else {
        read_csv(table, file, &bytes, encoding)?
    };
    tracing::info!(
        table = table.name,
        rows = frame.height(),
        ms = started.elapsed().as_millis() as u64,
        "read"
    );
    Ok(ReadTable {
        table,
        file: file.to_path_buf(),
        bytes,
        frame,
        raw,
    })
}

fn decode_lossy(bytes: &[u8], encoding: Encoding) -> String {
    match encoding {
        Encoding::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
        Encoding::Gbk => encoding_rs::GBK
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

/// Decodes without replacement: `None` when any byte is invalid.
fn decode_strict(bytes: &[u8], encoding: Encoding) -> Option<std::borrow::Cow<'_, str>> {
    match encoding {
        Encoding::Utf8 => std::str::from_utf8(bytes)
            .ok()
            .map(std::borrow::Cow::Borrowed),
        Encoding::Gbk => {
            encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(bytes)
        }
    }
}

fn polars_err(file: &Path) -> impl Fn(PolarsError) -> Error + '_ {
    move |e| Error::Input {
        file: file.to_path_buf(),
        message: format!("cannot be read as a table: {e}"),
    }
}

fn read_csv(
    table: &Table,
    file: &Path,
    bytes: &[u8],
    encoding: Encoding,
) -> Result<(DataFrame, RawSource)> {
    let input_err = |message: String| Error::Input {
        file: file.to_path_buf(),
        message,
    };
    let bom = if encoding == Encoding::Utf8 && bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let body = &bytes[bom..];
    // One validation of the whole file spares a per-record check in the
    // common case where every byte is good.
    let all_valid = encoding == Encoding::Utf8 && std::str::from_utf8(body).is_ok();
    let mut splitter = Splitter::new(body);
    let mut rec = Record::default();
    if !splitter.next_record(&mut rec) {
        return Err(input_err("is empty: a header row is required".into()));
    }
    if rec.bad_quoting {
        return Err(input_err("the header row has a quoting error".into()));
    }
    let mut header = Vec::with_capacity(rec.len());
    for i in 0..rec.len() {
        let name = decode_strict(rec.field(i), encoding).ok_or_else(|| {
            input_err(format!(
                "the header row is not valid {}",
                encoding_name(encoding)
            ))
        })?;
        header.push(name.trim().to_string());
    }
    let index = column_positions(table, &header, file)?;

    let capacity = body.len() / 64 + 16;
    let mut builders: Vec<StringChunkedBuilder> = table
        .columns
        .iter()
        .map(|c| StringChunkedBuilder::new(c.name.into(), capacity))
        .collect();
    let mut lines: Vec<i64> = Vec::with_capacity(capacity);
    let mut nfields: Vec<i64> = Vec::with_capacity(capacity);
    let mut pre: Vec<Option<&'static str>> = Vec::with_capacity(capacity);
    let mut spans: Vec<(usize, usize)> = Vec::with_capacity(capacity);
    while splitter.next_record(&mut rec) {
        lines.push(rec.line);
        nfields.push(rec.len() as i64);
        spans.push((rec.span.0 + bom, rec.span.1 + bom));
        let bad_encoding =
            !all_valid && decode_strict(&body[rec.span.0..rec.span.1], encoding).is_none();
        let fault = if bad_encoding {
            Some("BAD_ENCODING")
        } else if rec.bad_quoting {
            Some("BAD_QUOTING")
        } else if rec.len() != header.len() {
            Some("WRONG_FIELD_COUNT")
        } else {
            None
        };
        pre.push(fault);
        for (builder, &at) in builders.iter_mut().zip(&index) {
            if fault.is_some() {
                builder.append_value("");
            } else if all_valid {
                // SAFETY-free: the whole body was validated as UTF-8 above and
                // fields are split at ASCII bytes, so each field is valid too.
                builder.append_value(
                    std::str::from_utf8(rec.field(at))
                        .unwrap_or_default()
                        .trim(),
                );
            } else {
                let text = decode_strict(rec.field(at), encoding).unwrap_or_default();
                builder.append_value(text.trim());
            }
        }
    }
    let height = lines.len();
    let mut columns: Vec<Column> = vec![
        Column::new(LINE.into(), lines),
        Column::new(PRE.into(), pre),
        Column::new(NFIELDS.into(), nfields),
        Column::new(ROW.into(), (0..height as i64).collect::<Vec<i64>>()),
    ];
    columns.extend(
        builders
            .into_iter()
            .map(|b| b.finish().into_series().into()),
    );
    let frame = DataFrame::new(height, columns).map_err(polars_err(file))?;
    Ok((frame, RawSource::Csv { spans, encoding }))
}

fn encoding_name(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Utf8 => "UTF-8",
        Encoding::Gbk => "GBK",
    }
}

/// Positions of the table's columns in `header`; a missing one is exit 2.
fn column_positions(table: &Table, header: &[String], file: &Path) -> Result<Vec<usize>> {
    table
        .columns
        .iter()
        .map(|c| {
            header
                .iter()
                .position(|h| h == c.name)
                .ok_or_else(|| Error::Input {
                    file: file.to_path_buf(),
                    message: format!(
                        "column '{}' is missing (the header has: {})",
                        c.name,
                        header.join(", ")
                    ),
                })
        })
        .collect()
}

fn read_parquet(table: &Table, file: &Path, bytes: &[u8]) -> Result<(DataFrame, RawSource)> {
    let mut frame = ParquetReader::new(Cursor::new(bytes))
        .finish()
        .map_err(polars_err(file))?;
    let trimmed: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|n| n.trim().to_string())
        .collect();
    frame.set_column_names(&trimmed).map_err(polars_err(file))?;
    let index = column_positions(table, &trimmed, file)?;
    let height = frame.height();
    let mut numbered = frame.clone();
    let rows: Vec<i64> = (0..height as i64).collect();
    let lines: Vec<i64> = (2..height as i64 + 2).collect();
    for (name, values) in [("__ingest_row", rows), ("__ingest_line", lines)] {
        numbered
            .with_column(Column::new(name.into(), values))
            .map_err(polars_err(file))?;
    }
    let mut exprs = vec![
        col("__ingest_line").alias(LINE),
        lit(NULL).cast(DataType::String).alias(PRE),
        lit(trimmed.len() as i64).alias(NFIELDS),
        col("__ingest_row").alias(ROW),
    ];
    for (column, &at) in table.columns.iter().zip(&index) {
        let dtype = frame.columns()[at].dtype().clone();
        let name = trimmed[at].as_str();
        exprs.push(
            text_of(name, &dtype, column.kind).ok_or_else(|| Error::Input {
                file: file.to_path_buf(),
                message: format!(
                    "column '{name}' has Parquet type {dtype}, which is not accepted for {}",
                    kind_name(column.kind)
                ),
            })?,
        );
    }
    let text = numbered
        .lazy()
        .select(exprs)
        .collect()
        .map_err(polars_err(file))?;
    Ok((text, RawSource::Parquet { frame }))
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Amount => "an amount (use a string or Decimal with scale <= 2)",
        Kind::Date { .. } => "a date (use a string or Date)",
        Kind::DateTime { .. } => "a date-time (use a string or Timestamp without time zone)",
        Kind::Enum(v) if v == ["true", "false"] => "a flag (use a string or Boolean)",
        _ => "a text column (use a string)",
    }
}

/// The canonical text of a Parquet column of an accepted type, or `None`.
fn text_of(name: &str, dtype: &DataType, kind: Kind) -> Option<Expr> {
    let c = col(name);
    let text = match (dtype, kind) {
        (DataType::String, _) => c.str().strip_chars(lit(NULL)),
        (DataType::Date, Kind::Date { .. }) => c.dt().strftime("%Y-%m-%d"),
        (DataType::Datetime(_, None), Kind::DateTime { .. }) => {
            c.dt().strftime("%Y-%m-%d %H:%M:%S")
        }
        (DataType::Decimal(_, scale), Kind::Amount) if *scale <= 2 => c.cast(DataType::String),
        (DataType::Boolean, Kind::Enum(v)) if v == ["true", "false"] => c.cast(DataType::String),
        _ => return None,
    };
    Some(text.fill_null(lit("")).alias(name))
}
