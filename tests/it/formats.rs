//! The same records as UTF-8 CSV, CSV with BOM and CRLF, GBK CSV, Parquet of
//! strings and typed Parquet give identical counts and rejects (SPEC §2).

use std::path::Path;

use polars::prelude::*;

use crate::util::*;

const TABLES: [&str; 4] = ["partners", "usage", "complaints", "deliveries"];

/// The worked example month plus rows that are rejected for several reasons.
fn month_with_bad_rows(w: &Workdir, period: &str) {
    w.tolerate_rejects();
    w.copy_month(&repo().join("fixtures/appendix-a/2026-10"), period);
    let usage =
        std::fs::read_to_string(w.path().join(format!("inputs/{period}/usage.csv"))).unwrap();
    let extra = "u6,SA-1,C1,VNET,2026-10-03,1.234\nu7,SA-9,C1,VNET,2026-10-03,1.00\nu8,SA-1,  C9 ,MAS,2026-11-01,1\n\
                 u9,SA-2,\"客户, 甲\",EMAIL,2026-10-09,  7.5 \nu9,SA-2,\"客户, 甲\",EMAIL,2026-10-09,7.50\n";
    w.write(&format!("inputs/{period}/usage.csv"), usage + extra);
}

/// Per table (read, accepted, rejected); reject keys; reject details.
type Validated = (
    Vec<(u64, u64, u64)>,
    Vec<(String, i64, String)>,
    Vec<String>,
);

fn validate(w: &Workdir) -> Validated {
    let (run, rejects) = w.validate_with_rejects("2026-10");
    let counts = TABLES.iter().map(|t| run.counts(t)).collect();
    let df = rejects;
    (counts, reject_keys(&df), strings(&df, "detail"))
}

fn rewrite_csvs(w: &Workdir, f: impl Fn(&str) -> Vec<u8>) {
    for t in TABLES {
        let path = w.path().join(format!("inputs/2026-10/{t}.csv"));
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, f(&text)).unwrap();
    }
}

/// A UTF-8 CSV file as a frame of text columns (empty fields null), split by
/// the project's own RFC 4180 splitter.
pub fn csv_as_strings(path: &Path) -> DataFrame {
    use partner_settle::ingest::csv::{Record, Splitter};
    let bytes = std::fs::read(path).unwrap();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut splitter = Splitter::new(bytes);
    let mut rec = Record::default();
    let text = |rec: &Record, i: usize| String::from_utf8(rec.field(i).to_vec()).unwrap();
    assert!(
        splitter.next_record(&mut rec),
        "{} has a header",
        path.display()
    );
    let names: Vec<String> = (0..rec.len()).map(|i| text(&rec, i)).collect();
    let mut values: Vec<Vec<Option<String>>> = vec![vec![]; names.len()];
    while splitter.next_record(&mut rec) {
        for (i, column) in values.iter_mut().enumerate() {
            column.push(Some(text(&rec, i)).filter(|v| !v.is_empty()));
        }
    }
    let height = values[0].len();
    let columns = names
        .iter()
        .zip(values)
        .map(|(n, v)| Column::new(n.as_str().into(), v))
        .collect();
    DataFrame::new(height, columns).unwrap()
}

/// Replaces each CSV table with a Parquet file, its columns mapped by `typed`.
fn to_parquet(w: &Workdir, typed: bool) {
    for t in TABLES {
        let csv = w.path().join(format!("inputs/2026-10/{t}.csv"));
        let strings = csv_as_strings(&csv);
        std::fs::remove_file(&csv).unwrap();
        let mut df = if typed {
            typed_columns(strings)
        } else {
            strings
        };
        let file =
            std::fs::File::create(w.path().join(format!("inputs/2026-10/{t}.parquet"))).unwrap();
        ParquetWriter::new(file).finish(&mut df).unwrap();
    }
}

fn typed_columns(df: DataFrame) -> DataFrame {
    let date = |c: &str| {
        col(c).str().to_date(StrptimeOptions {
            format: Some("%Y-%m-%d".into()),
            ..Default::default()
        })
    };
    let exprs: Vec<Expr> = df
        .get_column_names()
        .iter()
        .map(|name| match name.as_str() {
            "amount" => col("amount").cast(DataType::Decimal(18, 2)),
            "usage_date" | "promised_on" | "delivered_on" | "admitted_on" => date(name.as_str()),
            "opened_at" | "first_response_at" => col(name.as_str()).str().to_datetime(
                Some(TimeUnit::Microseconds),
                None,
                StrptimeOptions {
                    format: Some("%Y-%m-%d %H:%M:%S".into()),
                    ..Default::default()
                },
                lit("raise"),
            ),
            "upheld" => col("upheld").eq(lit("true")),
            other => col(other),
        })
        .collect();
    df.lazy().select(exprs).collect().unwrap()
}

#[test]
fn csv_bom_gbk_and_parquet_give_identical_results() {
    let plain = Workdir::new();
    month_with_bad_rows(&plain, "2026-10");
    let expected = validate(&plain);
    assert_eq!(
        expected.0[1],
        (10, 6, 4),
        "usage: 5 good rows, 1 good extra, 4 rejected"
    );
    assert_eq!(
        expected.1,
        vec![
            ("usage".to_string(), 7, "TOO_MANY_DECIMALS".to_string()),
            ("usage".to_string(), 8, "UNKNOWN_PARTNER".to_string()),
            ("usage".to_string(), 9, "OUT_OF_PERIOD".to_string()),
            // 7.50 equals the trimmed 7.5 of line 10, quoted comma and all.
            ("usage".to_string(), 11, "DUPLICATE_ROW".to_string()),
        ]
    );

    let bom = Workdir::new();
    month_with_bad_rows(&bom, "2026-10");
    rewrite_csvs(&bom, |text| {
        let mut out = b"\xEF\xBB\xBF".to_vec();
        out.extend(text.replace('\n', "\r\n").into_bytes());
        out
    });
    assert_eq!(validate(&bom), expected, "UTF-8 with BOM and CRLF");

    let gbk = Workdir::new();
    gbk.config("gbk", "2026-01");
    month_with_bad_rows(&gbk, "2026-10");
    rewrite_csvs(&gbk, |text| {
        let (bytes, _, had_errors) = encoding_rs::GBK.encode(text);
        assert!(!had_errors);
        bytes.into_owned()
    });
    assert_eq!(validate(&gbk), expected, "GBK");

    let parquet = Workdir::new();
    month_with_bad_rows(&parquet, "2026-10");
    to_parquet(&parquet, false);
    let got = validate(&parquet);
    assert_eq!(
        (&got.0, &got.1),
        (&expected.0, &expected.1),
        "Parquet of strings"
    );
}

#[test]
fn typed_parquet_reads_like_csv() {
    let csv = Workdir::new();
    csv.copy_month(&repo().join("fixtures/appendix-a/2026-10"), "2026-10");
    let expected = validate(&csv);
    assert_eq!(expected.0, vec![(4, 4, 0), (5, 5, 0), (2, 2, 0), (3, 3, 0)]);

    let typed = Workdir::new();
    typed.copy_month(&repo().join("fixtures/appendix-a/2026-10"), "2026-10");
    to_parquet(&typed, true);
    assert_eq!(validate(&typed), expected);
}

#[test]
fn gbk_bytes_invalid_under_utf8_are_bad_encoding() {
    // A GBK file read as UTF-8: every row with Chinese text is BAD_ENCODING,
    // and nothing is decoded lossily into accepted data.
    let w = Workdir::new();
    w.copy_month(&repo().join("fixtures/appendix-a/2026-10"), "2026-10");
    let path = w.path().join("inputs/2026-10/partners.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, encoding_rs::GBK.encode(&text).0).unwrap();
    w.tolerate_rejects();
    let (run, rejects) = w.validate_with_rejects("2026-10");
    assert_eq!(run.counts("partners"), (4, 0, 4));
    let reasons: Vec<String> = reject_keys(&rejects)
        .into_iter()
        .filter(|k| k.0 == "partners")
        .map(|k| k.2)
        .collect();
    assert_eq!(reasons, vec!["BAD_ENCODING"; 4]);
}

#[test]
fn typed_parquet_values_get_value_rules_only() {
    // Row 2 fine; row 3 negative amount; row 4 null amount; row 5 a date
    // outside the period; row 6 a null date.
    let w = Workdir::new();
    w.tolerate_rejects();
    w.copy_month(&repo().join("fixtures/appendix-a/2026-10"), "2026-10");
    std::fs::remove_file(w.path().join("inputs/2026-10/usage.csv")).unwrap();
    let text = df!(
        "record_id" => ["u1", "u2", "u3", "u4", "u5"],
        "partner_id" => ["SA-1"; 5],
        "customer_id" => ["C1"; 5],
        "product_code" => ["VNET"; 5],
        "usage_date" => [Some("2026-10-03"), Some("2026-10-03"), Some("2026-10-03"), Some("2026-11-01"), None],
        "amount" => [Some("1000.50"), Some("-1.00"), None, Some("2.00"), Some("3.00")],
    )
    .unwrap();
    let mut typed = text
        .lazy()
        .with_columns([
            col("usage_date").str().to_date(StrptimeOptions {
                format: Some("%Y-%m-%d".into()),
                ..Default::default()
            }),
            col("amount").cast(DataType::Decimal(18, 2)),
        ])
        .collect()
        .unwrap();
    let file = std::fs::File::create(w.path().join("inputs/2026-10/usage.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut typed).unwrap();
    let (run, rejects) = w.validate_with_rejects("2026-10");
    assert_eq!(run.counts("usage"), (5, 1, 4));
    let df = rejects;
    let keys: Vec<(String, i64, String)> = reject_keys(&df)
        .into_iter()
        .filter(|k| k.0 == "usage")
        .collect();
    let want = [
        (3, "NEGATIVE_AMOUNT"),
        (4, "MISSING_FIELD"),
        (5, "OUT_OF_PERIOD"),
        (6, "MISSING_FIELD"),
    ];
    assert_eq!(
        keys,
        want.iter()
            .map(|(l, r)| ("usage".to_string(), *l, r.to_string()))
            .collect::<Vec<_>>()
    );
    let details = strings(&df, "detail");
    assert!(
        details.contains(&"amount '-1.00' is negative".to_string()),
        "{details:?}"
    );
    assert!(
        details.contains(&"usage_date '2026-11-01' is outside period 2026-10".to_string()),
        "{details:?}"
    );
}

/// The published datasets of a settled 2026-10, without run_id (it hashes
/// the input bytes, which differ by format): each as rows of text.
fn settled_october(w: &Workdir) -> Vec<(String, Vec<String>)> {
    w.settle(&["run", "--period", "2026-10"]).expect(0);
    let mut out = vec![];
    for dataset in [
        "ledger",
        "payouts",
        "scores",
        "sanctions",
        "settlement_stop",
    ] {
        let df = read_parquet(
            &w.path()
                .join(format!("out/{dataset}/period=2026-10/part-0.parquet")),
        );
        let columns: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|c| c.to_string())
            .filter(|c| c != "run_id")
            .collect();
        let names: Vec<&str> = columns.iter().map(String::as_str).collect();
        out.push((dataset.to_string(), rows_of(&df, &names)));
    }
    let rejects = read_parquet(&w.path().join("out/rejects/period=2026-10/part-0.parquet"));
    out.push((
        "rejects".into(),
        reject_keys(&rejects)
            .into_iter()
            .map(|(s, l, r)| format!("{s} {l} {r}"))
            .collect(),
    ));
    out
}

/// A workspace with the realistic 2026-09 as CSV and 2026-10 from `month`.
fn realistic_with_october(month: &Path) -> Workdir {
    let w = Workdir::new();
    w.config("utf-8", "2026-09");
    w.copy_month(&repo().join("fixtures/periods/2026-09"), "2026-09");
    w.copy_month(month, "2026-10");
    w
}

#[test]
fn parquet_written_by_pyarrow_pandas_duckdb_and_spark_settles_like_the_csv() {
    let expected = settled_october(&realistic_with_october(
        &repo().join("fixtures/periods/2026-10"),
    ));
    assert!(expected[0].1.len() > 10, "the CSV month has ledger lines");
    for variant in [
        "pyarrow-dictionary",
        "pandas-categorical",
        "pyarrow-date64",
        "pyarrow-misc",
        "duckdb",
        "spark",
    ] {
        let dir = repo()
            .join("fixtures/foreign")
            .join(variant)
            .join("2026-10");
        let got = settled_october(&realistic_with_october(&dir));
        for ((dataset, want), (_, have)) in expected.iter().zip(&got) {
            assert_eq!(have, want, "{variant}: {dataset}");
        }
    }
}

#[test]
fn the_raw_text_of_a_parquet_reject_comes_from_its_own_row_group() {
    // pyarrow-misc stores one row per row group, pyarrow-dictionary one group
    // for the whole table: the same values must come back as each reject's
    // raw text, whichever groups are read to find them.
    let raws = |variant: &str| {
        let w = realistic_with_october(
            &repo()
                .join("fixtures/foreign")
                .join(variant)
                .join("2026-10"),
        );
        w.settle(&["run", "--period", "2026-10"]).expect(0);
        let rejects = read_parquet(&w.path().join("out/rejects/period=2026-10/part-0.parquet"));
        rows_of(&rejects, &["source", "line", "raw"])
    };
    let one_group = raws("pyarrow-dictionary");
    assert!(!one_group.is_empty(), "the month has rejects");
    assert!(
        one_group
            .iter()
            .all(|r| r.split(' ').nth(2).is_some_and(|raw| raw.contains(','))),
        "{one_group:?}"
    );
    assert_eq!(raws("pyarrow-misc"), one_group);
}
