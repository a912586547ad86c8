//! Synthetic months for benchmarks and tests (`settle generate`): skewed
//! revenue over tens of thousands of partners, Chinese names, many provinces,
//! complaints and deliveries in proportion to usage, responses around the SLA
//! limits, and — with a bad fraction — every reject reason of SPEC §2.1.
//!
//! Rows are made in fixed-size chunks, each from its own generator seeded by
//! (seed, table, chunk), so chunks run in parallel and the output bytes depend
//! only on the arguments, never on the thread count.

pub mod names;
pub mod tables;

use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use rand_core::{RngCore, SeedableRng};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::period::Period;
use tables::{Ctx, Gen};

/// Output format of a synthetic month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// UTF-8 CSV with a header row.
    Csv,
    /// Parquet with typed columns (Date, Timestamp, Decimal(18,2), Boolean).
    Parquet,
}

/// How a month's customers spread over its partners (real months have
/// both: small customers buy from one agent, key accounts from several).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Spread {
    /// Each customer buys from one partner (60 customers a partner).
    #[default]
    One,
    /// Each customer buys from the 8 partners of its group.
    Few,
    /// Any customer from any partner: nearly every usage row is its own
    /// (partner, customer) pair when customers are many.
    Any,
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The period the rows fall in.
    pub period: Period,
    /// Registry size.
    pub partners: usize,
    /// Usage rows; complaints are 1 per 1,000 and deliveries 1 per 100 of these.
    pub usage_rows: usize,
    /// Generator seed.
    pub seed: u64,
    /// CSV or Parquet.
    pub format: Format,
    /// Input root: the month goes to `out/YYYY-MM/`.
    pub out: PathBuf,
    /// Share of bad rows in parts per million.
    pub bad_ppm: u64,
    /// Also the Part II tables and columns (registrations, key accounts,
    /// handovers; business stops, terminations, SA kinds, cancellations).
    pub v2: bool,
    /// How customers spread over partners.
    pub spread: Spread,
    /// Distinct customers for `Few` and `Any` (0: 60 per partner).
    pub customers: usize,
}

/// Rows per chunk: one generator and one buffer each.
const CHUNK: usize = 1 << 17;
/// Chunks made in parallel before they are written, bounding memory.
const BATCH: usize = 16;

/// The generator of one chunk of one table.
fn chunk_rng(seed: u64, table: usize, chunk: usize) -> rand_pcg::Pcg64Mcg {
    // splitmix64 of the triple: well-spread, distinct seeds per chunk.
    let mut z = seed
        ^ (table as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (chunk as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    rand_pcg::Pcg64Mcg::seed_from_u64(z ^ (z >> 31))
}

/// Parses a fraction such as `0.01` into parts per million, without floats.
pub fn parse_fraction(s: &str) -> std::result::Result<u64, String> {
    let bad =
        || format!("'{s}' is not a fraction between 0 and 1 with at most 6 decimals, e.g. 0.01");
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty()
        || frac.len() > 6
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: u64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| bad())?
    };
    let part: u64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<6}").parse().map_err(|_| bad())?
    };
    let ppm = whole * 1_000_000 + part;
    if ppm > 1_000_000 { Err(bad()) } else { Ok(ppm) }
}

/// Rows of one chunk, as CSV bytes or as text columns.
enum Chunk {
    Csv(Vec<u8>),
    Columns(Vec<StringChunkedBuilder>),
}

fn make_chunk(
    table_gen: &dyn Gen,
    ctx: &Ctx,
    spec: &Spec,
    table: usize,
    chunk: usize,
    rows: std::ops::Range<usize>,
) -> Chunk {
    let mut rng = chunk_rng(spec.seed, table, chunk);
    let csv = spec.format == Format::Csv;
    let codes = tables::codes(table_gen, csv);
    let columns = table_gen.columns();
    let mut fields: Vec<String> = vec![String::new(); columns.len()];
    let mut last_good: Option<Vec<String>> = None;
    let mut bad_seen = 0usize;
    let mut out = Vec::with_capacity(rows.len() * 72);
    let mut builders: Vec<StringChunkedBuilder> = if csv {
        vec![]
    } else {
        columns
            .iter()
            .map(|c| StringChunkedBuilder::new((*c).into(), rows.len()))
            .collect()
    };
    for idx in rows {
        for f in fields.iter_mut() {
            f.clear();
        }
        table_gen.row(ctx, &mut rng, idx, &mut fields);
        let bad =
            spec.bad_ppm > 0 && rng.next_u64() % 1_000_000 < spec.bad_ppm && !codes.is_empty();
        let mut tail: &[u8] = b"";
        if bad {
            let code = codes[(bad_seen + chunk) % codes.len()];
            bad_seen += 1;
            tail = tables::spoil(
                table_gen,
                ctx,
                &mut rng,
                code,
                &mut fields,
                last_good.as_deref(),
            );
        } else if rng.next_u64().is_multiple_of(64) {
            last_good = Some(fields.clone());
        }
        if csv {
            let bad_quoting = tail == tables::BAD_QUOTING_MARK;
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if bad_quoting && i == 0 {
                    // Text after the closing quote: BAD_QUOTING.
                    out.extend_from_slice(format!("\"{f}\" x").as_bytes());
                } else {
                    out.extend_from_slice(f.as_bytes());
                }
            }
            if !bad_quoting {
                out.extend_from_slice(tail);
            }
            out.push(b'\n');
        } else {
            for (b, f) in builders.iter_mut().zip(&fields) {
                b.append_value(f);
            }
        }
    }
    if csv {
        Chunk::Csv(out)
    } else {
        Chunk::Columns(builders)
    }
}

/// Writes one table; returns the rows written.
fn write_table(
    table_gen: &dyn Gen,
    ctx: &Ctx,
    spec: &Spec,
    table: usize,
    rows: usize,
    dir: &Path,
    progress: &dyn Fn(u64),
) -> Result<()> {
    let ext = if spec.format == Format::Csv {
        "csv"
    } else {
        "parquet"
    };
    let path = dir.join(format!("{}.{ext}", table_gen.name()));
    let chunks: Vec<std::ops::Range<usize>> = (0..rows)
        .step_by(CHUNK)
        .map(|s| s..(s + CHUNK).min(rows))
        .collect();
    // Chunks are made in parallel a batch at a time and handed over in order.
    let for_each_chunk = |sink: &mut dyn FnMut(Chunk, usize) -> Result<()>| -> Result<()> {
        for (b, batch) in chunks.chunks(BATCH).enumerate() {
            let made: Vec<Chunk> = batch
                .par_iter()
                .enumerate()
                .map(|(i, r)| make_chunk(table_gen, ctx, spec, table, b * BATCH + i, r.clone()))
                .collect();
            for (chunk, range) in made.into_iter().zip(batch) {
                sink(chunk, range.len())?;
                progress(range.len() as u64);
            }
        }
        Ok(())
    };
    match spec.format {
        Format::Csv => {
            let file = std::fs::File::create(&path).map_err(Error::io("create", &path))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
            writeln!(w, "{}", table_gen.columns().join(",")).map_err(Error::io("write", &path))?;
            for_each_chunk(&mut |chunk, _| match chunk {
                Chunk::Csv(bytes) => w.write_all(&bytes).map_err(Error::io("write", &path)),
                Chunk::Columns(_) => Ok(()),
            })?;
            w.flush().map_err(Error::io("write", &path))?;
        }
        Format::Parquet => {
            // Written batch by batch as row groups, so a month of any size is
            // never held whole. (The eager writer embeds Arrow view types,
            // which settle, DuckDB and current pyarrow read; these are inputs,
            // not published datasets.)
            let typed = |text: DataFrame| {
                text.lazy()
                    .select(
                        table_gen
                            .columns()
                            .iter()
                            .map(|c| tables::typed(c))
                            .collect::<Vec<_>>(),
                    )
                    .collect()
                    .map_err(Error::polars("generating"))
            };
            let empty: Vec<Column> = table_gen
                .columns()
                .iter()
                .map(|c| Column::new_empty((*c).into(), &DataType::String))
                .collect();
            let schema = typed(DataFrame::new(0, empty).map_err(Error::polars("generating"))?)?
                .schema()
                .as_ref()
                .clone();
            let file = std::fs::File::create(&path).map_err(Error::io("create", &path))?;
            let mut writer = ParquetWriter::new(std::io::BufWriter::new(file))
                .with_compression(ParquetCompression::Zstd(None))
                .batched(&schema)
                .map_err(Error::polars("generating"))?;
            for_each_chunk(&mut |chunk, height| {
                if let Chunk::Columns(builders) = chunk {
                    let columns: Vec<Column> = builders
                        .into_iter()
                        .map(|b| b.finish().into_series().into())
                        .collect();
                    let frame = typed(
                        DataFrame::new(height, columns).map_err(Error::polars("generating"))?,
                    )?;
                    writer
                        .write_batch(&frame)
                        .map_err(Error::polars("generating"))?;
                }
                Ok(())
            })?;
            writer.finish().map_err(Error::polars("generating"))?;
        }
    }
    Ok(())
}

/// Writes the four tables of a synthetic month; `progress(table, rows_done)`
/// is called as rows are written.
pub fn generate(spec: &Spec, progress: &(dyn Fn(&str, u64, u64) + Sync)) -> Result<PathBuf> {
    let dir = spec.out.join(spec.period.to_string());
    std::fs::create_dir_all(&dir).map_err(Error::io("create folder", &dir))?;
    for stale in tables::v2::ALL
        .iter()
        .map(|t| t.name())
        .flat_map(|t| [format!("{t}.csv"), format!("{t}.parquet")])
    {
        let _ = std::fs::remove_file(dir.join(stale));
    }
    let ctx = Ctx::new(spec);
    let counts = [
        spec.partners,
        spec.usage_rows,
        spec.usage_rows / 1000,
        spec.usage_rows / 100,
        spec.partners.div_ceil(10),
        spec.partners.div_ceil(10),
        spec.partners / 20,
    ];
    let all: &[&dyn Gen] = if spec.v2 {
        &tables::v2::ALL
    } else {
        &tables::ALL
    };
    for (t, table_gen) in all.iter().enumerate() {
        let done = std::sync::atomic::AtomicU64::new(0);
        let total = counts[t] as u64;
        write_table(*table_gen, &ctx, spec, t, counts[t], &dir, &|n| {
            let d = done.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
            progress(table_gen.name(), d, total);
        })?;
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    #[test]
    fn fractions_parse_to_ppm() {
        assert_eq!(super::parse_fraction("0.01"), Ok(10_000));
        assert_eq!(super::parse_fraction("1"), Ok(1_000_000));
        assert_eq!(super::parse_fraction(".5"), Ok(500_000));
        assert_eq!(super::parse_fraction("0.000001"), Ok(1));
        for bad in ["1.5", "-0.1", "0.0000001", "abc", ""] {
            assert!(super::parse_fraction(bad).is_err(), "{bad}");
        }
    }
}
