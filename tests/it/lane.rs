//! The clean lane of usage (integer sums, interned customers) publishes the
//! same bytes as the polars checks and group-bys alone
//! (`SETTLE_USAGE_LANE=off`): clean batches, batches with rejects, typed
//! Parquet, customers spread over partners, ids repeated across batches.

use std::path::Path;

use crate::util::*;

/// Every published Parquet file of `out`, by path, with its bytes.
fn published(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![];
    let mut stack = vec![out.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "parquet") {
                let rel = path.strip_prefix(out).unwrap().display().to_string();
                files.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

/// Runs the month in `w` with the lane and without it; both must publish
/// the same files, byte for byte, and print the same summary.
fn same_both_ways(w: &Workdir, period: &str) -> String {
    let with = w.settle(&["run", "--period", period]).expect(0);
    let lane = published(&w.path().join("out"));
    std::fs::remove_dir_all(w.path().join("out")).unwrap();
    let without = w
        .settle_env(
            &[("SETTLE_USAGE_LANE", "off")],
            &["run", "--period", period],
        )
        .expect(0);
    let polars = published(&w.path().join("out"));
    assert!(
        lane.len() >= 7,
        "{lane:?}",
        lane = lane.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert_eq!(
        lane.iter().map(|f| &f.0).collect::<Vec<_>>(),
        polars.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for ((name, a), (_, b)) in lane.iter().zip(&polars) {
        assert!(
            a == b,
            "{name} differs between the lane and the polars path"
        );
    }
    assert_eq!(with.stdout(), without.stdout());
    with.stdout()
}

/// How many usage batches the run of `period` read, and how many of them
/// the lane took whole, from its log.
fn lane_took(w: &Workdir, period: &str) -> String {
    std::fs::remove_dir_all(w.path().join("out")).ok();
    let run = w
        .settle_env(&[("RUST_LOG", "info")], &["run", "--period", period])
        .expect(0);
    let line = run
        .stderr()
        .lines()
        .find(|l| l.contains("read by the clean lane"))
        .unwrap_or_default()
        .to_string();
    let field = |name: &str| {
        line.split_whitespace()
            .find_map(|f| f.strip_prefix(&format!("{name}=")).map(str::to_string))
            .unwrap_or_default()
    };
    format!("{}/{}", field("clean"), field("batches"))
}

/// A run's summary without the lines that name the run (runs of different
/// input bytes differ there only).
fn summary_body(summary: &str) -> String {
    summary
        .lines()
        .filter(|l| !l.contains("run"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn generate(w: &Workdir, rows: &str, extra: &[&str]) {
    let mut args = vec![
        "generate",
        "--period",
        "2026-10",
        "--partners",
        "3000",
        "--usage-rows",
        rows,
        "--out",
        "inputs",
    ];
    args.extend_from_slice(extra);
    w.settle(&args).expect(0);
}

#[test]
fn realistic_fixture_months_publish_the_same_bytes() {
    for period in ["2026-09", "2026-10"] {
        let w = Workdir::new();
        w.tolerate_rejects();
        w.copy_month(&repo().join("fixtures/periods").join(period), period);
        w.config("utf-8", period);
        same_both_ways(&w, period);
    }
}

#[test]
fn typed_parquet_from_other_writers_publishes_the_same_bytes() {
    for writer in [
        "pyarrow-dictionary",
        "pyarrow-date64",
        "pyarrow-misc",
        "duckdb",
        "spark",
    ] {
        let w = Workdir::new();
        w.tolerate_rejects();
        w.copy_month(
            &repo().join("fixtures/foreign").join(writer).join("2026-10"),
            "2026-10",
        );
        w.config("utf-8", "2026-10");
        same_both_ways(&w, "2026-10");
    }
}

#[test]
fn a_clean_batch_then_one_with_rejects_and_a_repeated_id() {
    // Two batches (2^20 records each): the first clean, so the lane reads it;
    // the second holds rows the checks reject, so the lane sums only what
    // they accepted. Then a row of the first batch comes back in the second,
    // so the exact duplicate pass settles the month.
    let w = Workdir::new();
    w.tolerate_rejects();
    w.config("utf-8", "2026-10");
    generate(
        &w,
        "1100000",
        &["--customer-spread", "any", "--customers", "300000"],
    );
    let path = w.path().join("inputs/2026-10/usage.csv");
    let mut usage = std::fs::read_to_string(&path).unwrap();
    let first = usage.lines().nth(1).unwrap().to_string();
    let partner = first.split(',').nth(1).unwrap().to_string();
    usage.push_str(&format!(
        "X1,{partner},C-new,VNET,2026-10-31,1.005\nX2,NOBODY,C-new,VNET,2026-10-31,1\nX3,{partner},C-new,VNET,2026-11-01,1\n\
         X4,{partner},C-new,VNET,2026-10-31,-0\nX5,{partner},,VNET,2026-10-31,1\nX6,{partner},C-new,VNET,2026-10-31,1.\n"
    ));
    std::fs::write(&path, &usage).unwrap();
    let summary = same_both_ways(&w, "2026-10");
    assert!(summary.contains("rejected input rows: 6"), "{summary}");
    assert_eq!(lane_took(&w, "2026-10"), "1/2");
    std::fs::remove_dir_all(w.path().join("out")).unwrap();
    usage.push_str(&format!("{first}\n"));
    std::fs::write(&path, &usage).unwrap();
    let summary = same_both_ways(&w, "2026-10");
    assert!(summary.contains("rejected input rows: 7"), "{summary}");
}

#[test]
fn clean_months_read_by_the_lane_alone_publish_the_same_bytes() {
    // Customers bought from any partner, as CSV over two batches; typed
    // Parquet (Date, Decimal(18,2)) with customers within a group.
    for (rows, extra) in [
        (
            "1100000",
            ["--customer-spread", "any", "--customers", "500000"],
        ),
        (
            "300000",
            ["--format", "parquet", "--customer-spread", "few"],
        ),
    ] {
        let w = Workdir::new();
        w.config("utf-8", "2026-10");
        generate(&w, rows, &extra);
        same_both_ways(&w, "2026-10");
        let batches = if rows == "1100000" { "2/2" } else { "1/1" };
        assert_eq!(lane_took(&w, "2026-10"), batches);
    }
}

#[test]
fn months_with_every_kind_of_bad_row_publish_the_same_bytes() {
    for format in ["csv", "parquet"] {
        let w = Workdir::new();
        w.tolerate_rejects();
        w.config("utf-8", "2026-10");
        generate(&w, "50000", &["--format", format, "--bad-fraction", "0.02"]);
        same_both_ways(&w, "2026-10");
    }
}

#[test]
fn long_customer_ids_are_counted_exactly() {
    // Customer ids of 16 bytes and more are interned (shorter ones are their
    // own key): a month with both, spread over partners.
    let w = Workdir::new();
    w.config("utf-8", "2026-10");
    generate(
        &w,
        "200000",
        &["--customer-spread", "any", "--customers", "50000"],
    );
    let path = w.path().join("inputs/2026-10/usage.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut out = String::with_capacity(text.len() * 2);
    for (i, line) in text.lines().enumerate() {
        let mut f: Vec<String> = line.split(',').map(str::to_string).collect();
        if i > 0 && f[2].ends_with(['1', '3', '5', '7']) {
            f[2] = format!("{}-客户-long-enough-{}", f[2], &f[2][f[2].len() - 2..]);
        }
        out.push_str(&f.join(","));
        out.push('\n');
    }
    std::fs::write(&path, out).unwrap();
    same_both_ways(&w, "2026-10");
}

#[test]
fn channel_rules_publish_the_same_bytes() {
    // The hand-worked v2 months (handovers, holds, terminations, clawbacks,
    // balances), three periods in a row.
    let w = crate::v2::v2_workdir();
    w.settle(&["run", "--period", "2027-02"]).expect(0);
    let lane = published(&w.path().join("out"));
    std::fs::remove_dir_all(w.path().join("out")).unwrap();
    w.settle_env(
        &[("SETTLE_USAGE_LANE", "off")],
        &["run", "--period", "2027-02"],
    )
    .expect(0);
    assert!(lane == published(&w.path().join("out")));
    std::fs::remove_dir_all(w.path().join("out")).unwrap();
    same_both_ways(&w, "2027-03");

    // A generated v2 month over two batches: 1,500 handovers, terminations,
    // SA kinds, single-earner products, all under the reference v2 policy.
    let w = Workdir::new();
    w.config("utf-8", "2027-01");
    w.write(
        "policies/2027-01.toml",
        std::fs::read(repo().join("pipelines/policies/2027-01.toml")).unwrap(),
    );
    let args = [
        "generate",
        "--period",
        "2027-01",
        "--partners",
        "3000",
        "--usage-rows",
        "1100000",
        "--out",
        "inputs",
        "--v2",
    ];
    w.settle(&args).expect(0);
    let summary = same_both_ways(&w, "2027-01");
    assert!(summary.contains("held"), "{summary}");
}

/// Rewrites every CSV table of `period` in `w` as Parquet strings whose
/// every value is padded with white space (ASCII and U+3000).
fn pad_as_parquet(w: &Workdir, period: &str) {
    for entry in std::fs::read_dir(w.path().join(format!("inputs/{period}"))).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "csv") {
            continue;
        }
        let frame = crate::formats::csv_as_strings(&path);
        let padded: Vec<polars::prelude::Column> = frame
            .columns()
            .iter()
            .map(|c| {
                let values: Vec<Option<String>> = c
                    .str()
                    .unwrap()
                    .iter()
                    .map(|v| v.map(|v| format!(" \t{v}\u{3000} ")))
                    .collect();
                polars::prelude::Column::new(c.name().clone(), values)
            })
            .collect();
        let mut frame = polars::prelude::DataFrame::new(frame.height(), padded).unwrap();
        let out = std::fs::File::create(path.with_extension("parquet")).unwrap();
        polars::prelude::ParquetWriter::new(out)
            .finish(&mut frame)
            .unwrap();
        std::fs::remove_file(path).unwrap();
    }
}

#[test]
fn padded_parquet_under_the_channel_rules_settles_like_csv() {
    // Handovers match customers and partners by text: padded Parquet text
    // must be trimmed before they are matched, in both ways of summing.
    let w = crate::v2::v2_workdir();
    let csv = w.settle(&["run", "--period", "2027-01"]).expect(0).stdout();
    std::fs::remove_dir_all(w.path().join("out")).unwrap();
    pad_as_parquet(&w, "2027-01");
    let padded = same_both_ways(&w, "2027-01");
    assert_eq!(lane_took(&w, "2027-01"), "1/1");
    // The summary has the held rows and amounts by reason and the ledger.
    assert_eq!(summary_body(&padded), summary_body(&csv));
}

#[test]
fn untrimmed_parquet_text_is_trimmed_by_the_lane() {
    // A clean month as Parquet strings whose every value is padded with
    // white space (ASCII and U+3000): the lane trims while it reads, and the
    // month settles as the same rows written without padding do.
    let w = Workdir::new();
    w.config("utf-8", "2026-10");
    generate(&w, "30000", &[]);
    let plain = w.settle(&["run", "--period", "2026-10"]).expect(0).stdout();
    std::fs::remove_dir_all(w.path().join("out")).unwrap();
    pad_as_parquet(&w, "2026-10");
    let padded = same_both_ways(&w, "2026-10");
    assert_eq!(lane_took(&w, "2026-10"), "1/1");
    assert_eq!(summary_body(&padded), summary_body(&plain));
}
