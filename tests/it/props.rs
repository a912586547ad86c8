//! Properties over generated inputs.
//!
//! 1. The CSV splitter survives any bytes and accounts for each of them.
//! 2. Any usage.csv body: `validate` never crashes and its counts add up.
//! 3. Shuffling the rows of the realistic months changes no published value.
//! 4. Generated valid months: ledger, payouts and manifest totals agree.
//!
//! Failing inputs are printed (shrunk) as the bytes or CSV text they stand
//! for; nothing is persisted under the source tree.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use arrow::array::Array;
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use partner_settle::ingest::csv::{Record, Splitter};
use proptest::prelude::*;

use crate::readback::{fen as fen_column, texts, yuan_to_fen};
use crate::util::*;

/// A config for properties that run the binary: few cases, bounded shrinking,
/// no regression files written next to the sources.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        max_shrink_iters: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Bytes shown as an escaped byte string, so a failure can be pasted back.
#[derive(Clone)]
struct Bytes(Vec<u8>);

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text: String = self
            .0
            .iter()
            .flat_map(|&b| std::ascii::escape_default(b))
            .map(char::from)
            .collect();
        write!(f, "b\"{text}\"")
    }
}

/// Pieces that make CSV-shaped noise: structure, valid and invalid values,
/// multi-byte and broken UTF-8.
const TOKENS: &[&[u8]] = &[
    b",",
    b",",
    b",",
    b"\"",
    b"\"\"",
    b"\n",
    b"\n",
    b"\r",
    b"\r\n",
    b" ",
    b"\t",
    b"u1",
    b"u2",
    b"SA-1",
    b"SA-2",
    b"SI-1",
    b"XX-9",
    b"C1",
    b"VNET",
    b"MAS",
    b"NOPE",
    b"2026-10-03",
    b"2026-09-30",
    b"2026-02-30",
    b"2026-9-5",
    b"1000.00",
    b"12.5",
    b"0",
    b"-0",
    b"1.500",
    b"9999999999999999.99",
    b"99999999999999999",
    b"1e3",
    "\u{feff}".as_bytes(),
    "中".as_bytes(),
    "\u{3000}".as_bytes(),
    b"\xe4\xb8",
    b"\xff",
    b"\xc0\x80",
];

/// One of `valid` four times in five, else one of `invalid`.
fn pick(
    valid: &'static [&'static str],
    invalid: &'static [&'static str],
) -> BoxedStrategy<&'static str> {
    prop_oneof![4 => prop::sample::select(valid), 1 => prop::sample::select(invalid)].boxed()
}

/// Whole plausible rows, mostly valid, so that records get through the checks
/// (ids repeat, for the duplicate checks).
fn usage_row() -> impl Strategy<Value = Vec<u8>> {
    (
        pick(
            &["u1", "u2", "u3", "u4", "u5", "u6"],
            &["", " u1 ", "\"u1\""],
        ),
        pick(&["SA-1", "SA-2", "SA-3", "SI-1"], &["SX-0", "", "sa-1"]),
        pick(&["C1", "C2", "C3"], &["", " "]),
        pick(&["VNET", "MAS", "EMAIL", "DEVPROJ"], &["BAD", "vnet"]),
        pick(
            &["2026-10-03", "2026-10-31", "2026-10-01"],
            &[
                "2026-11-01",
                "2026-13-01",
                "2026-10-3",
                "2026-10-03 00:00:00",
            ],
        ),
        pick(
            &["1000.00", "1000", "12.5", "0", "0.07"],
            &["-1", "1.234", "x", "", "1,000", "+1"],
        ),
    )
        .prop_map(|(r, p, c, pr, d, a)| format!("{r},{p},{c},{pr},{d},{a}\n").into_bytes())
}

/// Arbitrary bytes: raw noise, token soup, or rows with some noise.
fn noise() -> impl Strategy<Value = Bytes> {
    let token = || prop::sample::select(TOKENS).prop_map(<[u8]>::to_vec);
    let soup = prop_oneof![
        6 => token(),
        2 => usage_row(),
        1 => prop::collection::vec(any::<u8>(), 1..8),
    ];
    let rows = prop_oneof![8 => usage_row(), 1 => token()];
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..300),
        2 => prop::collection::vec(soup, 0..60).prop_map(|v| v.concat()),
        2 => prop::collection::vec(rows, 0..30).prop_map(|v| v.concat()),
    ]
    .prop_map(Bytes)
}

/// Line ends (LF, CRLF or bare CR) in `data`.
fn line_ends(data: &[u8]) -> i64 {
    data.iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && data.get(i + 1) != Some(&b'\n')))
        .count() as i64
}

/// Splits `data` whole, checking every record as it comes; the record count.
fn split_checked(data: &[u8]) -> Result<usize, TestCaseError> {
    let mut splitter = Splitter::new(data);
    let mut rec = Record::default();
    let mut records = 0usize;
    let mut covered = 0usize; // end of the previous record's span
    let mut last_line = 0i64;
    while splitter.next_record(&mut rec) {
        records += 1;
        prop_assert!(
            records <= data.len(),
            "more records ({records}) than bytes ({})",
            data.len()
        );
        let (start, end) = rec.span;
        prop_assert!(
            start <= end && end <= data.len(),
            "span {start}..{end} outside 0..{}",
            data.len()
        );
        prop_assert!(
            start >= covered,
            "record {records} starts at {start}, before the previous one ended at {covered}"
        );
        prop_assert!(start < end, "record {records} has an empty span at {start}");
        // Between records there are only line ends (empty lines).
        prop_assert!(
            data[covered..start]
                .iter()
                .all(|&b| b == b'\n' || b == b'\r'),
            "bytes other than line ends between records at {covered}..{start}"
        );
        // A record ends at a line end or at the end of the data.
        prop_assert!(
            matches!(data.get(end), None | Some(b'\n' | b'\r')),
            "record {records} ends at {end} on a byte that is not a line end"
        );
        prop_assert!(splitter.position() >= end);
        prop_assert!(rec.line > last_line, "lines go back at record {records}");
        prop_assert_eq!(
            rec.line,
            1 + line_ends(&data[..start]),
            "physical line of record {} starting at {}",
            records,
            start
        );
        prop_assert!(!rec.is_empty(), "a record without fields");
        prop_assert_eq!(*rec.ends.last().unwrap(), rec.buf.len());
        // Without quotes, the fields are the span split at commas.
        let text = &data[start..end];
        if !text.contains(&b'"') {
            let expected: Vec<&[u8]> = text.split(|&b| b == b',').collect();
            let got: Vec<&[u8]> = (0..rec.len()).map(|i| rec.field(i)).collect();
            prop_assert_eq!(got, expected);
            prop_assert!(!rec.bad_quoting);
        }
        covered = end;
        last_line = rec.line;
    }
    prop_assert_eq!(splitter.position(), data.len(), "bytes left unsplit");
    prop_assert!(
        data[covered..].iter().all(|&b| b == b'\n' || b == b'\r'),
        "bytes other than line ends after the last record"
    );
    Ok(records)
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(2000) })]

    /// Property 1: any bytes split without panicking, each record inside the
    /// input, in increasing position, on the right physical line.
    #[test]
    fn splitter_accounts_for_any_bytes(data in noise()) {
        split_checked(&data.0)?;
    }
}

const USAGE_HEADER: &str = "record_id,partner_id,customer_id,product_code,usage_date,amount\n";

proptest! {
    #![proptest_config(config(24))]

    /// Property 2: any usage.csv body after a valid header: `validate` exits
    /// 0 or 3 (never a panic or a signal), rows_read = accepted + rejected for
    /// every input, and the rejects file agrees with the counts.
    #[test]
    fn validate_survives_any_usage_body(body in noise()) {
        let w = Workdir::new();
        w.config("utf-8", "2026-10");
        w.copy_month(&repo().join("fixtures/appendix-a/2026-10"), "2026-10");
        w.tolerate_rejects();
        let mut usage = USAGE_HEADER.as_bytes().to_vec();
        usage.extend_from_slice(&body.0);
        w.write("inputs/2026-10/usage.csv", &usage);

        let file = w.path().join("rejects.parquet");
        let run = w.settle(&[
            "validate",
            "--period",
            "2026-10",
            "--rejects",
            file.to_str().unwrap(),
        ]);
        prop_assert!(
            run.code() == 0 || run.code() == 3,
            "exit {} (status {:?})\nstdout:\n{}\nstderr:\n{}",
            run.code(),
            run.0.status,
            run.stdout(),
            run.stderr()
        );
        let mut rejected = BTreeMap::new();
        for table in ["partners", "usage", "complaints", "deliveries"] {
            let (read, accepted, rej) = run.counts(table);
            prop_assert_eq!(read, accepted + rej, "{}: rows_read = accepted + rejected", table);
            rejected.insert(table.to_string(), rej);
        }
        // The other tables are untouched: Appendix A's counts.
        prop_assert_eq!(run.counts("partners"), (4, 4, 0));
        prop_assert_eq!(run.counts("complaints"), (2, 2, 0));
        prop_assert_eq!(run.counts("deliveries"), (3, 3, 0));
        // rows_read is the splitter's record count, header aside.
        let records = split_checked(&usage)?;
        prop_assert_eq!(run.counts("usage").0 as usize, records - 1, "usage rows_read");
        if run.code() == 0 {
            let (sources, lines) = read_rejects(&file);
            let mut per_source: BTreeMap<String, u64> =
                rejected.keys().map(|k| (k.clone(), 0)).collect();
            for s in &sources {
                *per_source.get_mut(s).unwrap() += 1;
            }
            prop_assert_eq!(per_source, rejected, "rejects file rows per source");
            let last = 1 + line_ends(&usage);
            prop_assert!(
                lines.iter().all(|&l| (2..=last).contains(&l)),
                "reject lines {:?} outside 2..={}",
                lines,
                last
            );
        }
    }
}

/// Sources and lines of a rejects file.
fn read_rejects(path: &Path) -> (Vec<String>, Vec<i64>) {
    let batches = read_batches(path).1;
    let mut sources = vec![];
    let mut lines = vec![];
    for b in &batches {
        sources.extend(texts(b, "source").into_iter().map(Option::unwrap));
        let l = b
            .column_by_name("line")
            .unwrap()
            .as_any()
            .downcast_ref::<arrow::array::Int64Array>()
            .unwrap();
        lines.extend(l.values().iter().copied());
    }
    (sources, lines)
}

/// Schema (name, type, nullable) and batches of a Parquet file, read by arrow-rs.
fn read_batches(path: &Path) -> (Vec<String>, Vec<RecordBatch>) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let schema = builder
        .schema()
        .fields()
        .iter()
        .map(|f| format!("{} {} {}", f.name(), f.data_type(), f.is_nullable()))
        .collect();
    let batches = builder.build().unwrap().map(|b| b.unwrap()).collect();
    (schema, batches)
}

/// Every row of a file as text, column by column (null as `<null>`), without
/// the `run_id` column, which the shuffled inputs legitimately change.
fn rows_without_run_id(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let options = FormatOptions::default().with_null("<null>");
    let mut rows = vec![];
    for b in batches {
        let formatters: Vec<ArrayFormatter> = b
            .schema()
            .fields()
            .iter()
            .zip(b.columns())
            .filter(|(f, _)| f.name() != "run_id")
            .map(|(_, c)| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
            .collect();
        for i in 0..b.num_rows() {
            rows.push(formatters.iter().map(|f| f.value(i).to_string()).collect());
        }
    }
    rows
}

/// The published Hive tree `DATASET/period=P/part-0.parquet` under `out/`
/// (the month report is a page, not a dataset).
fn hive_files(out: &Path) -> Vec<(String, std::path::PathBuf)> {
    let mut files = vec![];
    for dataset in std::fs::read_dir(out).unwrap().flatten() {
        let name = dataset.file_name().to_string_lossy().into_owned();
        if !dataset.path().is_dir() || ["runs", "_log", "reports"].contains(&name.as_str()) {
            continue;
        }
        for part in std::fs::read_dir(dataset.path()).unwrap().flatten() {
            let file = part.path().join("part-0.parquet");
            let rel = format!(
                "{name}/{}/part-0.parquet",
                part.file_name().to_string_lossy()
            );
            assert!(file.is_file(), "{rel} missing");
            files.push((rel, file));
        }
    }
    files.sort();
    files
}

/// What a shuffle must leave alone in one published file.
#[derive(Debug, PartialEq)]
enum Published {
    /// Schema and rows, run_id aside.
    Data(Vec<String>, Vec<Vec<String>>),
    /// The rejects' (source, reason) multiset, sorted.
    Rejects(Vec<(String, String)>),
}

/// Every published file of `out/`, keyed by its path in the Hive tree.
fn published(out: &Path) -> BTreeMap<String, Published> {
    let mut found = BTreeMap::new();
    for (rel, file) in hive_files(out) {
        let (schema, batches) = read_batches(&file);
        let value = if rel.starts_with("rejects/") {
            let mut pairs: Vec<(String, String)> = batches
                .iter()
                .flat_map(|b| {
                    texts(b, "source")
                        .into_iter()
                        .zip(texts(b, "reason"))
                        .map(|(s, r)| (s.unwrap(), r.unwrap()))
                        .collect::<Vec<_>>()
                })
                .collect();
            pairs.sort();
            Published::Rejects(pairs)
        } else {
            // One run_id per file, and the same one across the period's files.
            let ids: std::collections::BTreeSet<Option<String>> =
                batches.iter().flat_map(|b| texts(b, "run_id")).collect();
            assert!(ids.len() <= 1, "{rel}: several run_ids {ids:?}");
            Published::Data(schema, rows_without_run_id(&batches))
        };
        found.insert(rel, value);
    }
    found
}

const MONTHS: [&str; 2] = ["2026-09", "2026-10"];
const TABLES: [&str; 4] = ["partners", "usage", "complaints", "deliveries"];

/// The lines of each realistic fixture CSV: (`month/table.csv`, header, rows).
fn fixture_lines() -> Vec<(String, String, Vec<String>)> {
    let mut all = vec![];
    for month in MONTHS {
        for table in TABLES {
            let rel = format!("{month}/{table}.csv");
            let text = std::fs::read_to_string(repo().join("fixtures/periods").join(&rel)).unwrap();
            let mut lines = text.lines().map(str::to_string);
            let header = lines.next().unwrap();
            all.push((rel, header, lines.collect()));
        }
    }
    all
}

/// One permutation of the data rows per fixture CSV.
#[derive(Clone)]
struct Shuffle(Vec<(String, Vec<usize>)>);

impl fmt::Debug for Shuffle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Shuffle (row i of the shuffled file is data row p[i] of the fixture):"
        )?;
        for (rel, p) in &self.0 {
            let moved = p.iter().enumerate().filter(|(i, x)| i != *x).count();
            writeln!(f, "  {rel}: {moved} rows moved, p = {p:?}")?;
        }
        Ok(())
    }
}

fn shuffles() -> impl Strategy<Value = Shuffle> {
    let files: Vec<(String, usize)> = fixture_lines()
        .into_iter()
        .map(|(rel, _, rows)| (rel, rows.len()))
        .collect();
    let names: Vec<String> = files.iter().map(|f| f.0.clone()).collect();
    let perms: Vec<_> = files
        .iter()
        .map(|(_, n)| Just((0..*n).collect::<Vec<usize>>()).prop_shuffle())
        .collect();
    perms.prop_map(move |ps| Shuffle(names.iter().cloned().zip(ps).collect()))
}

/// Settles both realistic months from the given rows and returns what was published.
fn settle_fixtures(shuffle: Option<&Shuffle>) -> BTreeMap<String, Published> {
    let w = Workdir::new();
    w.config("utf-8", "2026-09");
    for (k, (rel, header, rows)) in fixture_lines().into_iter().enumerate() {
        let mut text = format!("{header}\n");
        let order: Vec<usize> = match shuffle {
            Some(s) => {
                assert_eq!(s.0[k].0, rel);
                s.0[k].1.clone()
            }
            None => (0..rows.len()).collect(),
        };
        for i in order {
            text.push_str(&rows[i]);
            text.push('\n');
        }
        w.write(&format!("inputs/{rel}"), text);
    }
    w.settle(&["run", "--period", "2026-10"]).expect(0);
    published(&w.path().join("out"))
}

fn unshuffled() -> &'static BTreeMap<String, Published> {
    static BASE: std::sync::OnceLock<BTreeMap<String, Published>> = std::sync::OnceLock::new();
    BASE.get_or_init(|| {
        let base = settle_fixtures(None);
        assert_eq!(
            base.len(),
            14,
            "seven datasets (held included) for two months: {:?}",
            base.keys()
        );
        base
    })
}

proptest! {
    #![proptest_config(config(6))]

    /// Property 3: shuffling the data rows of every CSV of both realistic
    /// months changes no published value. Not the bytes: every file carries
    /// the run_id, a hash of the input bytes, which a shuffle changes; so the
    /// files are compared as schema and rows without run_id, and the rejects
    /// (whose lines a shuffle moves) as their (source, reason) multiset.
    #[test]
    fn shuffled_rows_publish_the_same_values(shuffle in shuffles()) {
        let base = unshuffled();
        let got = settle_fixtures(Some(&shuffle));
        prop_assert_eq!(
            got.keys().collect::<Vec<_>>(),
            base.keys().collect::<Vec<_>>()
        );
        for (rel, value) in base {
            prop_assert!(&got[rel] == value, "{} differs:\nunshuffled {:?}\nshuffled {:?}", rel, value, got[rel]);
        }
    }
}

// ---- Property 4: generated small months. ----

const PRODUCTS: &[&str] = &[
    "VNET",
    "CRBT",
    "ECOMM",
    "SWITCHBOARD",
    "MAS",
    "XXT",
    "EMAIL",
    "PUSHMAIL",
    "DEVPROJ",
];

/// A yuan text for `fen` in one of the accepted spellings: `12`, `12.5`, `12.50`.
fn yuan(fen: u64, style: u8) -> String {
    let (y, c) = (fen / 100, fen % 100);
    match style {
        0 if c == 0 => format!("{y}"),
        1 if c % 10 == 0 => format!("{y}.{}", c / 10),
        _ => format!("{y}.{c:02}"),
    }
}

fn date(day: i64) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap() + chrono::Duration::days(day)
}

#[derive(Clone, Debug)]
struct Partner {
    si: bool,
    province: &'static str,
    status: &'static str,
    admitted_on: &'static str,
}

#[derive(Clone, Debug)]
struct Usage {
    partner: usize,
    customer: u8,
    product: &'static str,
    day: i64,
    fen: u64,
    style: u8,
}

#[derive(Clone, Debug)]
struct Complaint {
    partner: usize,
    customer: u8,
    day: i64,
    minute: i64,
    response_after_min: Option<i64>,
    t_separator: bool,
    severity: &'static str,
    category: &'static str,
    upheld: bool,
}

#[derive(Clone, Debug)]
struct Delivery {
    partner: usize,
    customer: u8,
    product: &'static str,
    fen: u64,
    style: u8,
    promised_day: i64,
    status: &'static str,
    delivered_after: i64,
}

#[derive(Clone)]
struct Month {
    partners: Vec<Partner>,
    usage: Vec<Usage>,
    complaints: Vec<Complaint>,
    deliveries: Vec<Delivery>,
}

impl Month {
    fn partner_id(&self, i: usize) -> String {
        let i = i % self.partners.len();
        format!(
            "{}-{}",
            if self.partners[i].si { "SI" } else { "SA" },
            i + 1
        )
    }

    fn partners_csv(&self) -> String {
        let mut s = "partner_id,partner_type,name,province,status,admitted_on\n".to_string();
        for (i, p) in self.partners.iter().enumerate() {
            s += &format!(
                "{},{},伙伴{},{},{},{}\n",
                self.partner_id(i),
                if p.si { "SI" } else { "SA" },
                i + 1,
                p.province,
                p.status,
                p.admitted_on
            );
        }
        s
    }

    fn usage_csv(&self) -> String {
        let mut s = USAGE_HEADER.to_string();
        for (i, u) in self.usage.iter().enumerate() {
            s += &format!(
                "u{},{},C{},{},{},{}\n",
                i + 1,
                self.partner_id(u.partner),
                u.customer,
                u.product,
                date(u.day),
                yuan(u.fen, u.style)
            );
        }
        s
    }

    fn complaints_csv(&self) -> String {
        let mut s = "complaint_id,partner_id,customer_id,opened_at,first_response_at,severity,category,upheld\n"
            .to_string();
        for (i, c) in self.complaints.iter().enumerate() {
            let opened =
                date(c.day).and_hms_opt(0, 0, 0).unwrap() + chrono::Duration::minutes(c.minute);
            let fmt = if c.t_separator {
                "%Y-%m-%dT%H:%M:%S"
            } else {
                "%Y-%m-%d %H:%M:%S"
            };
            let response = c
                .response_after_min
                .map(|m| {
                    (opened + chrono::Duration::minutes(m))
                        .format(fmt)
                        .to_string()
                })
                .unwrap_or_default();
            s += &format!(
                "q{},{},C{},{},{},{},{},{}\n",
                i + 1,
                self.partner_id(c.partner),
                c.customer,
                opened.format("%Y-%m-%d %H:%M:%S"),
                response,
                c.severity,
                c.category,
                c.upheld
            );
        }
        s
    }

    fn deliveries_csv(&self) -> String {
        let mut s =
            "order_id,partner_id,customer_id,product_code,amount,promised_on,delivered_on,status\n"
                .to_string();
        for (i, d) in self.deliveries.iter().enumerate() {
            let delivered = if d.status == "delivered" {
                date(d.promised_day + d.delivered_after).to_string()
            } else {
                String::new()
            };
            s += &format!(
                "o{},{},C{},{},{},{},{},{}\n",
                i + 1,
                self.partner_id(d.partner),
                d.customer,
                d.product,
                yuan(d.fen, d.style),
                date(d.promised_day),
                delivered,
                d.status
            );
        }
        s
    }

    /// Deliveries with neither promised_on nor delivered_on in 2026-10.
    fn out_of_scope_deliveries(&self) -> u64 {
        let in_october = |day: i64| (0..31).contains(&day);
        let in_scope = |d: &Delivery| {
            in_october(d.promised_day)
                || (d.status == "delivered" && in_october(d.promised_day + d.delivered_after))
        };
        self.deliveries.iter().filter(|d| !in_scope(d)).count() as u64
    }

    /// The accepted usage amount in fen.
    fn usage_fen(&self) -> i128 {
        self.usage.iter().map(|u| u.fen as i128).sum()
    }
}

impl fmt::Debug for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "\n--- partners.csv\n{}--- usage.csv\n{}--- complaints.csv\n{}--- deliveries.csv\n{}",
            self.partners_csv(),
            self.usage_csv(),
            self.complaints_csv(),
            self.deliveries_csv()
        )
    }
}

fn partner() -> impl Strategy<Value = Partner> {
    (
        any::<bool>(),
        prop::sample::select(&["GD", "BJ", "SH"][..]),
        prop_oneof![6 => Just("active"), 1 => Just("suspended"), 1 => Just("terminated")],
        prop_oneof![6 => Just("2025-01-01"), 1 => Just("2026-10-31"), 1 => Just("2026-11-01")],
    )
        .prop_map(|(si, province, status, admitted_on)| Partner {
            si,
            province,
            status,
            admitted_on,
        })
}

/// Amounts in fen: small ones, round ones and up to a million yuan.
fn amount() -> impl Strategy<Value = (u64, u8)> {
    (
        prop_oneof![
            Just(0u64),
            0u64..1_000,
            (0u64..10_000).prop_map(|y| y * 100),
            0u64..100_000_000,
        ],
        0u8..3,
    )
}

fn usage() -> impl Strategy<Value = Usage> {
    (
        0usize..8,
        1u8..6,
        prop::sample::select(PRODUCTS),
        0i64..31,
        amount(),
    )
        .prop_map(|(partner, customer, product, day, (fen, style))| Usage {
            partner,
            customer,
            product,
            day,
            fen,
            style,
        })
}

fn complaint() -> impl Strategy<Value = Complaint> {
    (
        (0usize..8, 1u8..6, 0i64..31, 0i64..1440),
        prop::option::of(prop_oneof![0i64..180, 0i64..3000]),
        any::<bool>(),
        prop::sample::select(&["minor", "major", "critical"][..]),
        prop::sample::select(&["service", "billing", "quality", "fraud"][..]),
        any::<bool>(),
    )
        .prop_map(
            |(
                (partner, customer, day, minute),
                response_after_min,
                t_separator,
                severity,
                category,
                upheld,
            )| {
                Complaint {
                    partner,
                    customer,
                    day,
                    minute,
                    response_after_min,
                    t_separator,
                    severity,
                    category,
                    upheld,
                }
            },
        )
}

fn delivery() -> impl Strategy<Value = Delivery> {
    (
        (0usize..8, 1u8..6, prop::sample::select(PRODUCTS)),
        amount(),
        -20i64..45,
        prop::sample::select(&["delivered", "pending", "cancelled"][..]),
        -5i64..20,
    )
        .prop_map(
            |(
                (partner, customer, product),
                (fen, style),
                promised_day,
                status,
                delivered_after,
            )| Delivery {
                partner,
                customer,
                product,
                fen,
                style,
                promised_day,
                status,
                delivered_after,
            },
        )
}

fn month() -> impl Strategy<Value = Month> {
    (
        prop::collection::vec(partner(), 1..7),
        prop::collection::vec(usage(), 0..25),
        prop::collection::vec(complaint(), 0..6),
        prop::collection::vec(delivery(), 0..8),
    )
        .prop_map(|(partners, usage, complaints, deliveries)| Month {
            partners,
            usage,
            complaints,
            deliveries,
        })
}

/// The manifest of the current run of `period`, found through the version log.
fn manifest(out: &Path, period: &str) -> serde_json::Value {
    head_of(out, period).1
}

proptest! {
    #![proptest_config(config(12))]

    /// Property 4: a generated valid month settles; every row is accepted
    /// (deliveries out of scope aside); the ledger total equals the payouts'
    /// net total, each payout's gross/deductions/net equal its ledger lines',
    /// and the manifest's control totals equal the ledger sums. Also the stop
    /// list (SUSPENDED, TERMINATED, FRAUD) and the withheld status (§5).
    #[test]
    fn generated_months_balance(m in month()) {
        let w = Workdir::new();
        w.config("utf-8", "2026-10");
        w.write("inputs/2026-10/partners.csv", m.partners_csv());
        w.write("inputs/2026-10/usage.csv", m.usage_csv());
        w.write("inputs/2026-10/complaints.csv", m.complaints_csv());
        w.write("inputs/2026-10/deliveries.csv", m.deliveries_csv());
        let run = w.settle(&["run", "--period", "2026-10"]);
        prop_assert_eq!(run.code(), 0, "stdout:\n{}\nstderr:\n{}", run.stdout(), run.stderr());

        let out = w.path().join("out");
        let manifest = manifest(&out, "2026-10");
        let expected_rows = [
            ("partners", m.partners.len() as u64, 0),
            ("usage", m.usage.len() as u64, 0),
            ("complaints", m.complaints.len() as u64, 0),
            ("deliveries", m.deliveries.len() as u64, m.out_of_scope_deliveries()),
        ];
        for (input, (source, read, rejected)) in manifest["inputs"].as_array().unwrap().iter().zip(expected_rows) {
            prop_assert_eq!(input["source"].as_str(), Some(source));
            prop_assert_eq!(input["rows_read"].as_u64(), Some(read), "{} rows_read", source);
            prop_assert_eq!(input["rows_rejected"].as_u64(), Some(rejected), "{} rows_rejected: {}", source, input);
        }
        prop_assert_eq!(
            yuan_to_fen(manifest["inputs"][1]["accepted_amount"].as_str().unwrap()),
            m.usage_fen(),
            "usage accepted_amount"
        );

        let file = |dataset: &str| out.join(format!("{dataset}/period=2026-10/part-0.parquet"));
        let mut by_component: BTreeMap<String, i128> = BTreeMap::new();
        let mut by_status: BTreeMap<String, i128> = BTreeMap::new();
        // Per partner: (gross, deductions) of its ledger lines.
        // The stop list: (reasons, withheld) per partner.
        let mut stop: BTreeMap<String, (String, i128)> = BTreeMap::new();
        for b in read_batches(&file("settlement_stop")).1 {
            let rows = texts(&b, "partner_id")
                .into_iter()
                .zip(texts(&b, "reasons"))
                .zip(fen_column(&b, "withheld"));
            for ((p, r), w) in rows {
                stop.insert(p.unwrap(), (r.unwrap(), w));
            }
        }
        // A first month has no bottom streak of 3: the stop list is the
        // suspended, the terminated and those with an upheld fraud complaint.
        let expected_stop: BTreeMap<String, String> = (0..m.partners.len())
            .filter_map(|i| {
                let mut reasons = vec![];
                let fraud = m.complaints.iter().any(|c| {
                    c.upheld && c.category == "fraud" && c.partner % m.partners.len() == i
                });
                if fraud {
                    reasons.push("FRAUD");
                }
                match m.partners[i].status {
                    "suspended" => reasons.push("SUSPENDED"),
                    "terminated" => reasons.push("TERMINATED"),
                    _ => {}
                }
                (!reasons.is_empty()).then(|| (m.partner_id(i), reasons.join(";")))
            })
            .collect();
        prop_assert_eq!(
            stop.iter().map(|(p, (r, _))| (p.clone(), r.clone())).collect::<BTreeMap<_, _>>(),
            expected_stop,
            "settlement stop list"
        );

        let mut by_partner: BTreeMap<String, (i128, i128)> = BTreeMap::new();
        for b in read_batches(&file("ledger")).1 {
            let rows = texts(&b, "partner_id")
                .into_iter()
                .zip(texts(&b, "component"))
                .zip(texts(&b, "status"))
                .zip(fen_column(&b, "amount"));
            for (((p, c), s), a) in rows {
                let (p, s) = (p.unwrap(), s.unwrap());
                prop_assert!(a != 0, "a ledger line of amount 0");
                let expected = if stop.contains_key(&p) { "withheld" } else { "payable" };
                prop_assert_eq!(&s, expected, "{} {:?} line status", &p, &c);
                *by_component.entry(c.unwrap()).or_default() += a;
                *by_status.entry(s).or_default() += a;
                let e = by_partner.entry(p).or_default();
                if a > 0 { e.0 += a } else { e.1 += a }
            }
        }
        for (p, (_, withheld)) in &stop {
            let (g, d) = by_partner.get(p).copied().unwrap_or_default();
            prop_assert_eq!(*withheld, g + d, "{} withheld = net of its ledger lines", p);
        }
        let mut payouts: BTreeMap<String, (i128, i128)> = BTreeMap::new();
        let mut net_total = 0i128;
        for b in read_batches(&file("payouts")).1 {
            let rows = texts(&b, "partner_id")
                .into_iter()
                .zip(texts(&b, "status"))
                .zip(fen_column(&b, "gross"))
                .zip(fen_column(&b, "deductions"))
                .zip(fen_column(&b, "net"));
            for ((((p, s), g), d), n) in rows {
                let p = p.unwrap();
                prop_assert_eq!(g + d, n, "{}: gross + deductions = net", &p);
                let expected = if stop.contains_key(&p) { "withheld" } else { "payable" };
                prop_assert_eq!(s.as_deref(), Some(expected), "{} payout status", &p);
                net_total += n;
                payouts.insert(p, (g, d));
            }
        }
        let ledger_total: i128 = by_status.values().sum();
        prop_assert_eq!(net_total, ledger_total, "payouts net total = ledger total");
        prop_assert_eq!(&payouts, &by_partner, "payouts = ledger lines per partner");

        let totals = |key: &str| -> BTreeMap<String, i128> {
            manifest[key]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), yuan_to_fen(v.as_str().unwrap())))
                .collect()
        };
        prop_assert_eq!(totals("ledger_amount_by_component"), by_component);
        prop_assert_eq!(totals("ledger_amount_by_status"), by_status);
    }
}
