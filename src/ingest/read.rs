//! Reading one input table, CSV or Parquet, in batches of frames of trimmed
//! text columns plus the bookkeeping the checks need (`line`, structural
//! faults, where each record starts). Typed Parquet columns travel as their
//! values in `__t_<name>`: only the value rules apply to them (SPEC §2).

use std::io::Cursor;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use sha2::{Digest, Sha256};

use super::csv::{Record, Splitter};
use super::tables::{Kind, Table};
use crate::config::Encoding;
use crate::error::{Error, Result};
use crate::vocab::Reason;

/// Column holding the physical line of a row (header = 1).
pub const LINE: &str = "line";
/// Column holding a structural fault code found while splitting (§2.1 step 1).
pub const PRE: &str = "__pre";
/// Column holding the number of fields a CSV record had.
pub const NFIELDS: &str = "__nfields";
/// Column holding where the record starts: its byte offset in a CSV file, or
/// its row index in a Parquet file. Used to fetch `raw` for rejected rows.
pub const POS: &str = "__pos";

/// Records per batch: the checks run batch by batch so that a month of tens
/// of millions of rows never holds more than one batch as text.
pub const BATCH: usize = 1 << 20;

/// A file's bytes, mapped into memory rather than copied: the kernel pages
/// them in as the splitter walks through, and nothing is zeroed or copied.
pub enum Bytes {
    /// A mapped file.
    Mapped(memmap2::Mmap),
    /// An empty file (which cannot be mapped), or bytes already released.
    Empty,
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Empty => &[],
        }
    }
}

impl Bytes {
    /// Lets the kernel drop the pages of `from..to` from this process (they
    /// stay in the page cache); a later read faults them back in from there.
    fn forget(&self, from: usize, to: usize) {
        const PAGE: usize = 4096;
        let (start, end) = (from.div_ceil(PAGE) * PAGE, to / PAGE * PAGE);
        if let Bytes::Mapped(m) = self
            && end > start
        {
            // SAFETY: a read-only shared file mapping: DONTNEED drops our view
            // of pages already split; a later read would fault them back in
            // from the file, never see zeros or stale data.
            let _ = unsafe {
                m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
            };
        }
    }
}

fn map(file: &Path) -> std::io::Result<Bytes> {
    let f = std::fs::File::open(file)?;
    if f.metadata()?.len() == 0 {
        return Ok(Bytes::Empty);
    }
    // SAFETY: inputs are not written while a run reads them (the operator's
    // feed drops a month's files before settle runs); if one were truncated
    // underneath us the process could fault, which cron reports as a failure.
    Ok(Bytes::Mapped(unsafe { memmap2::Mmap::map(&f)? }))
}

/// An opened input table: its bytes, header checked, ready to be read in batches.
pub struct Source {
    /// The table read.
    pub table: &'static Table,
    /// The file it came from.
    pub file: PathBuf,
    /// The file's bytes, as hashed into the run_id.
    pub bytes: Bytes,
    format: Format,
}

enum Format {
    /// CSV: where the body starts (after a BOM), the header's field count and
    /// the position of each table column in the header.
    /// `all_valid`: the whole body is valid UTF-8, validated once at open,
    /// which spares a per-record check in the common case.
    Csv {
        encoding: Encoding,
        body: usize,
        fields: usize,
        /// Each column's field position; `None` for an absent optional column.
        index: Vec<Option<usize>>,
        all_valid: bool,
    },
    /// Parquet: the file's (trimmed) column names and row count.
    Parquet {
        names: Vec<String>,
        rows: usize,
        typed: Vec<String>,
        /// Columns stored as Arrow `date64`, which polars reads as
        /// millisecond date-times: to their writers they are dates.
        date64: Vec<String>,
    },
}
/// Finds the table's file in `dir`: exactly one of NAME.csv and NAME.parquet;
/// `None` for an optional table with neither.
pub fn locate(dir: &Path, table: &Table) -> Result<Option<PathBuf>> {
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
        (true, false) => Ok(Some(csv)),
        (false, true) => Ok(Some(parquet)),
        (false, false) if table.optional => Ok(None),
        (false, false) => Err(Error::Input {
            file: csv,
            message: format!(
                "the {} table is missing (neither {0}.csv nor {0}.parquet exists)",
                table.name
            ),
        }),
    }
}

/// Opens a located table file: reads it and checks its header or schema, so
/// a missing column fails (exit 2) before any row is checked.
pub fn open(table: &'static Table, file: &Path, encoding: Encoding) -> Result<Source> {
    let bytes = map(file).map_err(|e| Error::Input {
        file: file.to_path_buf(),
        message: format!("cannot be read: {e}"),
    })?;
    let format = if file.extension().is_some_and(|x| x == "parquet") {
        parquet_format(table, file, &bytes)?
    } else {
        csv_format(table, file, &bytes, encoding)?
    };
    Ok(Source {
        table,
        file: file.to_path_buf(),
        bytes,
        format,
    })
}

impl Source {
    /// Calls `f` with each batch of at most [`BATCH`] records: a frame of
    /// `line`, `__pre`, `__nfields`, `__pos`, then the table's columns as
    /// trimmed text ("" when empty).
    pub fn batches(&self, mut f: impl FnMut(DataFrame) -> Result<()>) -> Result<String> {
        let started = std::time::Instant::now();
        let progress = crate::progress::TableProgress::start(self.table.name);
        let mut rows = 0;
        let sha256 = match &self.format {
            Format::Csv {
                encoding,
                body,
                fields,
                index,
                all_valid,
            } => {
                // Splitting runs on its own thread, one batch ahead of the
                // checks, which use polars' threads. It also hashes what it
                // has split and lets the kernel drop those pages, so a large
                // file is read once and never resident whole.
                std::thread::scope(|scope| -> Result<String> {
                    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<DataFrame>>(1);
                    let splitter_thread = scope.spawn(move || {
                        let mut hasher = Sha256::new();
                        let mut hashed = 0;
                        let mut splitter = Splitter::new(&self.bytes[*body..]);
                        let mut rec = Record::default();
                        splitter.next_record(&mut rec); // the header, checked when opened
                        // Every table yields at least one batch, empty or not,
                        // so the caller always sees the frame's columns.
                        let mut first = true;
                        loop {
                            let batch = self.csv_batch(
                                &mut splitter,
                                &mut rec,
                                (*encoding, *all_valid),
                                *body,
                                *fields,
                                index,
                            );
                            let done = *body + splitter.position();
                            hasher.update(&self.bytes[hashed..done]);
                            self.bytes.forget(hashed, done);
                            hashed = done;
                            let last = batch.as_ref().map_or(true, |b| b.height() == 0);
                            if last && !first && batch.is_ok() {
                                break;
                            }
                            first = false;
                            if tx.send(batch).is_err() || last {
                                break;
                            }
                        }
                        hasher.update(&self.bytes[hashed..]);
                        hex::encode(hasher.finalize())
                    });
                    for batch in rx {
                        let batch = batch?;
                        rows += batch.height();
                        progress.add(batch.height());
                        f(batch)?;
                    }
                    Ok(splitter_thread
                        .join()
                        .expect("the splitter thread does not panic"))
                })?
            }
            Format::Parquet {
                names,
                rows: total,
                date64,
                ..
            } => {
                for offset in (0..(*total).max(1)).step_by(BATCH) {
                    let len = BATCH.min(total.saturating_sub(offset));
                    let batch = self.parquet_batch(names, date64, offset, len)?;
                    // The mapped pages of the row groups just decoded would
                    // otherwise stay in this process: a billion-row file
                    // is 11 GB. The footer read by the next batch comes back
                    // from the page cache.
                    self.bytes.forget(0, self.bytes.len());
                    rows += batch.height();
                    progress.add(batch.height());
                    f(batch)?;
                }
                // Hashed piece by piece for the same reason.
                let mut hasher = Sha256::new();
                const PIECE: usize = 1 << 26;
                for from in (0..self.bytes.len()).step_by(PIECE) {
                    let to = (from + PIECE).min(self.bytes.len());
                    hasher.update(&self.bytes[from..to]);
                    self.bytes.forget(from, to);
                }
                hex::encode(hasher.finalize())
            }
        };
        tracing::info!(
            table = self.table.name,
            rows,
            ms = started.elapsed().as_millis() as u64,
            "read and checked"
        );
        Ok(sha256)
    }

    fn csv_batch(
        &self,
        splitter: &mut Splitter<'_>,
        rec: &mut Record,
        (encoding, all_valid): (Encoding, bool),
        body: usize,
        fields: usize,
        index: &[Option<usize>],
    ) -> Result<DataFrame> {
        let data = &self.bytes[body..];
        let capacity = BATCH.min(data.len() / 32 + 16);
        let mut builders: Vec<StringChunkedBuilder> = self
            .table
            .columns
            .iter()
            .map(|c| StringChunkedBuilder::new(c.name.into(), capacity))
            .collect();
        let mut lines: Vec<i64> = Vec::with_capacity(capacity);
        let mut nfields: Vec<i64> = Vec::with_capacity(capacity);
        let mut pre: Vec<Option<u8>> = Vec::with_capacity(capacity);
        let mut pos: Vec<i64> = Vec::with_capacity(capacity);
        while lines.len() < BATCH && splitter.next_record(rec) {
            lines.push(rec.line);
            nfields.push(rec.len() as i64);
            pos.push((rec.span.0 + body) as i64);
            let bad_encoding =
                !all_valid && decode_strict(&data[rec.span.0..rec.span.1], encoding).is_none();
            let fault = if bad_encoding {
                Some(Reason::BadEncoding)
            } else if rec.bad_quoting {
                Some(Reason::BadQuoting)
            } else if rec.len() != fields {
                Some(Reason::WrongFieldCount)
            } else {
                None
            }
            .map(Reason::code);
            pre.push(fault);
            for (builder, &at) in builders.iter_mut().zip(index) {
                let Some(at) = at.filter(|_| fault.is_none()) else {
                    builder.append_value("");
                    continue;
                };
                if all_valid {
                    // The body is valid UTF-8 and fields split at ASCII bytes.
                    builder.append_value(
                        std::str::from_utf8(rec.field(at))
                            .unwrap_or_default()
                            .trim(),
                    );
                } else {
                    builder.append_value(
                        decode_strict(rec.field(at), encoding)
                            .unwrap_or_default()
                            .trim(),
                    );
                }
            }
        }
        let height = lines.len();
        let mut columns: Vec<Column> = vec![
            Column::new(LINE.into(), lines),
            Column::new(PRE.into(), pre),
            Column::new(NFIELDS.into(), nfields),
            Column::new(POS.into(), pos),
        ];
        columns.extend(
            builders
                .into_iter()
                .map(|b| b.finish().into_series().into()),
        );
        DataFrame::new(height, columns).map_err(polars_err(&self.file))
    }

    fn parquet_reader(&self) -> ParquetReader<Cursor<&[u8]>> {
        ParquetReader::new(Cursor::new(&self.bytes[..]))
    }

    fn parquet_batch(
        &self,
        names: &[String],
        date64: &[String],
        offset: usize,
        len: usize,
    ) -> Result<DataFrame> {
        let mut frame = self
            .parquet_reader()
            .with_slice(Some((offset, len)))
            .finish()
            .map_err(polars_err(&self.file))?;
        frame
            .set_column_names(names)
            .map_err(polars_err(&self.file))?;
        let index = column_positions(self.table, names, &self.file)?;
        let height = frame.height();
        let positions: Vec<i64> = (offset as i64..(offset + height) as i64).collect();
        frame
            .with_column(Column::new("__ingest_pos".into(), positions))
            .map_err(polars_err(&self.file))?;
        let mut exprs = vec![
            (col("__ingest_pos") + lit(2i64)).alias(LINE),
            lit(NULL).cast(DataType::UInt8).alias(PRE),
            lit(names.len() as i64).alias(NFIELDS),
            col("__ingest_pos").alias(POS),
        ];
        for (column, &at) in self.table.columns.iter().zip(&index) {
            let Some(at) = at else {
                exprs.push(lit("").alias(column.name));
                continue;
            };
            let dtype = frame.columns()[at].dtype().clone();
            let name = names[at].as_str();
            let stored = Stored::of(&dtype, date64.iter().any(|d| d == name));
            exprs.extend(
                text_of(name, stored, column.kind)
                    .ok_or_else(|| type_error(&self.file, name, &dtype, column.kind))?,
            );
        }
        frame
            .lazy()
            .select(exprs)
            .collect()
            .map_err(polars_err(&self.file))
    }

    /// Whether batches give their text columns untrimmed, with nulls
    /// (Parquet); [`Source::trimmed`] makes them like CSV batches.
    pub fn untrimmed(&self) -> bool {
        matches!(self.format, Format::Parquet { .. })
    }

    /// A batch with its text columns trimmed like CSV fields and nulls
    /// empty (typed Parquet columns keep their null text).
    pub fn trimmed(&self, batch: DataFrame) -> Result<DataFrame> {
        if !self.untrimmed() {
            return Ok(batch);
        }
        let typed = self.typed_columns();
        let texts: Vec<Expr> = self
            .table
            .columns
            .iter()
            .filter(|c| !typed.iter().any(|t| t == c.name))
            .map(|c| {
                col(c.name)
                    .str()
                    .strip_chars(lit(NULL))
                    .fill_null(lit(""))
                    .alias(c.name)
            })
            .collect();
        batch
            .lazy()
            .with_columns(texts)
            .collect()
            .map_err(polars_err(&self.file))
    }

    /// How many rows the file holds, when its footer says so (Parquet).
    pub fn known_rows(&self) -> Option<usize> {
        match &self.format {
            Format::Csv { .. } => None,
            Format::Parquet { rows, .. } => Some(*rows),
        }
    }

    /// The columns this file holds as typed Parquet values rather than text.
    pub fn typed_columns(&self) -> Vec<String> {
        match &self.format {
            Format::Csv { .. } => vec![],
            Format::Parquet { typed, .. } => typed.clone(),
        }
    }

    /// The rows at `positions` of a Parquet input, read from the row groups
    /// that hold them only (a few rejects of a large file need not read it
    /// all), in the order of `positions`, text columns as text.
    fn parquet_rows(&self, positions: &[i64]) -> Result<DataFrame> {
        let open = || std::fs::File::open(&self.file).map_err(Error::io("reread", &self.file));
        let sizes: Vec<usize> = ParquetReader::new(open()?)
            .get_metadata()
            .map_err(polars_err(&self.file))?
            .row_groups
            .iter()
            .map(|g| g.num_rows())
            .collect();
        let mut starts = Vec::with_capacity(sizes.len());
        let mut at = 0usize;
        for n in &sizes {
            starts.push(at);
            at += n;
        }
        let group_of = |p: usize| starts.partition_point(|&s| s <= p) - 1;
        let mut needed: Vec<usize> = positions.iter().map(|&p| group_of(p as usize)).collect();
        needed.sort_unstable();
        needed.dedup();
        // The needed groups, read one slice each and stacked; a position's
        // row is then found by its group's offset in that stack.
        let mut frames = Vec::with_capacity(needed.len());
        let mut offset_of = std::collections::HashMap::with_capacity(needed.len());
        let mut stacked = 0usize;
        for &g in &needed {
            let mut frame = ParquetReader::new(open()?)
                .with_slice(Some((starts[g], sizes[g])))
                .finish()
                .map_err(polars_err(&self.file))?;
            // Dictionary-encoded text prints as its values.
            for name in frame.get_column_names_owned() {
                let c = frame.column(&name).map_err(polars_err(&self.file))?;
                if matches!(c.dtype(), DataType::Categorical(..) | DataType::Enum(..)) {
                    let text = c.cast(&DataType::String).map_err(polars_err(&self.file))?;
                    frame.with_column(text).map_err(polars_err(&self.file))?;
                }
            }
            offset_of.insert(g, stacked);
            stacked += frame.height();
            frames.push(frame.lazy());
        }
        let all = concat(frames, UnionArgs::default())
            .and_then(|lf| lf.collect())
            .map_err(polars_err(&self.file))?;
        let idx = IdxCa::from_vec(
            "idx".into(),
            positions
                .iter()
                .map(|&p| {
                    let g = group_of(p as usize);
                    (offset_of[&g] + p as usize - starts[g]) as IdxSize
                })
                .collect(),
        );
        all.take(&idx).map_err(polars_err(&self.file))
    }

    /// Frees the file's bytes once every batch has been read.
    pub fn release(&mut self) {
        self.bytes = Bytes::Empty;
    }

    /// The original text of the records at `positions` (from `__pos`).
    pub fn raws(&self, positions: &[i64]) -> Result<Vec<String>> {
        match &self.format {
            Format::Csv { encoding, .. } => {
                let mut file =
                    std::fs::File::open(&self.file).map_err(Error::io("reread", &self.file))?;
                positions
                    .iter()
                    .map(|&p| {
                        record_at(&mut file, p as u64, *encoding)
                            .map_err(Error::io("reread", &self.file))
                    })
                    .collect()
            }
            Format::Parquet { .. } if positions.is_empty() => Ok(vec![]),
            Format::Parquet { .. } => {
                let rows = self.parquet_rows(positions)?;
                Ok((0..rows.height())
                    .map(|i| {
                        rows.columns()
                            .iter()
                            .map(|c| match c.get(i) {
                                Ok(AnyValue::Null) | Err(_) => String::new(),
                                Ok(AnyValue::String(s)) => s.to_string(),
                                Ok(AnyValue::StringOwned(s)) => s.to_string(),
                                Ok(other) => other.to_string(),
                            })
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .collect())
            }
        }
    }
}

/// The text of the CSV record starting at byte `at`, read back from disk so
/// that a large file's bytes need not stay in memory for its few rejects.
fn record_at(file: &mut std::fs::File, at: u64, encoding: Encoding) -> std::io::Result<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut window = 4096;
    loop {
        let mut buf = Vec::with_capacity(window);
        file.seek(SeekFrom::Start(at))?;
        file.by_ref().take(window as u64).read_to_end(&mut buf)?;
        let mut rec = Record::default();
        Splitter::new(&buf).next_record(&mut rec);
        // A record that reaches the window's end may go on: read more.
        if rec.span.1 < buf.len() || buf.len() < window {
            return Ok(decode_lossy(&buf[rec.span.0..rec.span.1], encoding));
        }
        window *= 4;
    }
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

fn csv_format(table: &Table, file: &Path, bytes: &[u8], encoding: Encoding) -> Result<Format> {
    let input_err = |message: String| Error::Input {
        file: file.to_path_buf(),
        message,
    };
    let body = if encoding == Encoding::Utf8 && bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut rec = Record::default();
    if !Splitter::new(&bytes[body..]).next_record(&mut rec) {
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
    let all_valid =
        encoding == Encoding::Utf8 && simdutf8::basic::from_utf8(&bytes[body..]).is_ok();
    Ok(Format::Csv {
        encoding,
        body,
        fields: header.len(),
        index,
        all_valid,
    })
}

fn encoding_name(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Utf8 => "UTF-8",
        Encoding::Gbk => "GBK",
    }
}

/// Positions of the table's columns in `header`: `None` for an optional
/// column the file lacks; a missing required one is exit 2.
fn column_positions(table: &Table, header: &[String], file: &Path) -> Result<Vec<Option<usize>>> {
    table
        .columns
        .iter()
        .map(|c| match header.iter().position(|h| h == c.name) {
            Some(at) => Ok(Some(at)),
            None if c.optional => Ok(None),
            None => Err(Error::Input {
                file: file.to_path_buf(),
                message: format!(
                    "column '{}' is missing (the header has: {})",
                    c.name,
                    header.join(", ")
                ),
            }),
        })
        .collect()
}

fn parquet_format(table: &Table, file: &Path, bytes: &[u8]) -> Result<Format> {
    let empty = ParquetReader::new(Cursor::new(bytes))
        .with_slice(Some((0, 0)))
        .finish()
        .map_err(polars_err(file))?;
    let names: Vec<String> = empty
        .get_column_names()
        .iter()
        .map(|n| n.trim().to_string())
        .collect();
    let index = column_positions(table, &names, file)?;
    let arrow = ParquetReader::new(Cursor::new(bytes))
        .schema()
        .map_err(polars_err(file))?;
    // Types are checked here so that a file of any size fails the same way.
    let mut typed = vec![];
    let mut date64 = vec![];
    for (column, at) in table.columns.iter().zip(&index) {
        let Some(at) = *at else { continue };
        let dtype = empty.columns()[at].dtype();
        let is_date64 = arrow
            .iter_values()
            .nth(at)
            .is_some_and(|f| f.dtype == ArrowDataType::Date64);
        let stored = Stored::of(dtype, is_date64);
        if text_of(&names[at], stored, column.kind).is_none() {
            return Err(type_error(file, &names[at], dtype, column.kind));
        }
        if is_date64 {
            date64.push(names[at].clone());
        }
        if !matches!(stored, Stored::Text) {
            typed.push(column.name.to_string());
        }
    }
    let rows = ParquetReader::new(Cursor::new(bytes))
        .num_rows()
        .map_err(polars_err(file))?;
    Ok(Format::Parquet {
        names,
        rows,
        typed,
        date64,
    })
}

fn type_error(file: &Path, name: &str, dtype: &DataType, kind: Kind) -> Error {
    Error::Input {
        file: file.to_path_buf(),
        message: format!(
            "column '{name}' has Parquet type {dtype}, which is not accepted for {}",
            kind_name(kind)
        ),
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Amount => "an amount (use a string or Decimal with scale <= 2)",
        Kind::Date { .. } => "a date (use a string or Date)",
        Kind::DateTime { .. } => "a date-time (use a string or Timestamp without time zone)",
        Kind::Enum(v) if v == ["true", "false"] => "a flag (use a string or Boolean)",
        Kind::Score => "a score (use a string or an integer type)",
        _ => "a text column (use a string)",
    }
}

/// What a Parquet column holds, as its writer meant it.
#[derive(Clone, Copy)]
enum Stored<'a> {
    /// Text: plain, large, view or dictionary-encoded strings.
    Text,
    /// Arrow `date64` (milliseconds at midnight): a date.
    Date64,
    /// Any other type, as polars reads it.
    Typed(&'a DataType),
}

impl Stored<'_> {
    fn of(dtype: &DataType, date64: bool) -> Stored<'_> {
        match dtype {
            DataType::String | DataType::Categorical(..) | DataType::Enum(..) => Stored::Text,
            _ if date64 => Stored::Date64,
            other => Stored::Typed(other),
        }
    }
}

/// The batch columns of a Parquet column of an accepted type, or `None`:
/// text is trimmed like CSV fields; a typed value goes to `__t_<name>` as is
/// (timestamps cut to whole seconds, the precision of the text form), since
/// only the value rules apply to it.
fn text_of(name: &str, stored: Stored, kind: Kind) -> Option<Vec<Expr>> {
    let c = col(name);
    let typed = match (stored, kind) {
        // Untrimmed, nulls kept: the usage lane trims what it reads, and
        // [`Source::trimmed`] does the rest only for batches it leaves.
        (Stored::Text, _) => return Some(vec![c.cast(DataType::String).alias(name)]),
        (Stored::Date64, Kind::Date { .. }) => c.cast(DataType::Date),
        (Stored::Date64, _) => return None,
        (Stored::Typed(dtype), kind) => return typed_text(name, dtype, kind),
    };
    Some(vec![
        typed.alias(super::checks::typed_col(name)),
        lit(NULL).cast(DataType::String).alias(name),
    ])
}

/// [`text_of`] for a column of a natural type.
fn typed_text(name: &str, dtype: &DataType, kind: Kind) -> Option<Vec<Expr>> {
    let c = col(name);
    let typed = match (dtype, kind) {
        (DataType::Date, Kind::Date { .. }) => c,
        (DataType::Datetime(_, None), Kind::DateTime { .. }) => {
            let ms = DataType::Datetime(TimeUnit::Milliseconds, None);
            (c.cast(ms.clone())
                .cast(DataType::Int64)
                .floor_div(lit(1000i64))
                * lit(1000i64))
            .cast(ms)
        }
        (DataType::Decimal(_, scale), Kind::Amount) if *scale <= 2 => c,
        (DataType::Boolean, Kind::Enum(v)) if v == ["true", "false"] => c,
        (t, Kind::Score) if t.is_integer() => c,
        _ => return None,
    };
    Some(vec![
        typed.alias(super::checks::typed_col(name)),
        lit(NULL).cast(DataType::String).alias(name),
    ])
}
