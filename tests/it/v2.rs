//! The channel rules (SPEC Part II §10–§13, §16, §19) on `fixtures/v2/`: two
//! chained months worked by hand in its README, every published figure
//! compared with `fixtures/v2/expected/<period>/<dataset>.csv`.

use std::path::Path;

use polars::prelude::DataFrame;

use crate::util::*;

/// The v2 months published up to `last`, in a workspace of their own.
fn published_v2(last: &str) -> Workdir {
    let w = Workdir::new();
    w.config("utf-8", "2027-01");
    let fixtures = repo().join("fixtures/v2");
    w.write(
        "policies/2027-01.toml",
        std::fs::read(fixtures.join("policies/2027-01.toml")).unwrap(),
    );
    std::fs::remove_file(w.path().join("policies/2026-01.toml")).unwrap();
    for p in ["2027-01", "2027-02"] {
        w.copy_month(&fixtures.join("periods").join(p), p);
    }
    w.settle(&["run", "--period", last]).expect(0);
    w
}

/// The expected rows of a dataset: its header and each row as text, money
/// with two decimals and nulls empty, as the README works them out.
fn expected(period: &str, dataset: &str) -> (Vec<String>, Vec<String>) {
    let path = repo().join(format!("fixtures/v2/expected/{period}/{dataset}.csv"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines().filter(|l| !l.is_empty());
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    (header, lines.map(str::to_string).collect())
}

/// The published rows of `columns`, as the expected files write them.
fn published(df: &DataFrame, columns: &[String]) -> Vec<String> {
    let texts: Vec<Vec<String>> = columns
        .iter()
        .map(|c| {
            strings(df, c)
                .into_iter()
                .map(|v| if v == "<null>" { String::new() } else { v })
                .collect()
        })
        .collect();
    (0..df.height())
        .map(|i| {
            texts
                .iter()
                .map(|t| t[i].as_str())
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect()
}

fn check_month(out: &Path, period: &str) {
    for dataset in [
        "ledger",
        "held",
        "payouts",
        "settlement_stop",
        "scores",
        "rejects",
    ] {
        let (columns, want) = expected(period, dataset);
        let df = read_parquet(&out.join(format!("{dataset}/period={period}/part-0.parquet")));
        assert_eq!(
            published(&df, &columns),
            want,
            "{period} {dataset} (columns {})",
            columns.join(",")
        );
    }
}

#[test]
fn january_of_the_v2_months_as_worked_by_hand() {
    let w = published_v2("2027-01");
    check_month(&w.path().join("out"), "2027-01");
}

#[test]
fn february_builds_on_january_as_worked_by_hand() {
    let w = published_v2("2027-02");
    check_month(&w.path().join("out"), "2027-02");
}
