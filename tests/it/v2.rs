//! The channel rules (SPEC Part II §10–§13, §16, §19) on `fixtures/v2/`: two
//! chained months worked by hand in its README, every published figure
//! compared with `fixtures/v2/expected/<period>/<dataset>.csv`.

use std::path::Path;

use polars::prelude::DataFrame;

use crate::util::*;

const MONTHS: [&str; 3] = ["2027-01", "2027-02", "2027-03"];

/// The v2 months and their policies, in a workspace of their own.
pub(crate) fn v2_workdir() -> Workdir {
    let w = Workdir::new();
    w.config("utf-8", "2027-01");
    let fixtures = repo().join("fixtures/v2");
    std::fs::remove_file(w.path().join("policies/2026-01.toml")).unwrap();
    for entry in std::fs::read_dir(fixtures.join("policies")).unwrap() {
        let path = entry.unwrap().path();
        w.write(
            &format!("policies/{}", path.file_name().unwrap().to_string_lossy()),
            std::fs::read(&path).unwrap(),
        );
    }
    for p in MONTHS {
        w.copy_month(&fixtures.join("periods").join(p), p);
    }
    w
}

/// The v2 months published up to `last`.
fn published_v2(last: &str) -> Workdir {
    let w = v2_workdir();
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
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    rows_joined(df, &names, ",", "")
}

fn check_month(out: &Path, period: &str) {
    for dataset in [
        "ledger",
        "held",
        "payouts",
        "settlement_stop",
        "scores",
        "rejects",
        "balances",
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

#[test]
fn march_with_ahp_weights_clawbacks_bands_and_balances_as_worked_by_hand() {
    let w = published_v2("2027-03");
    check_month(&w.path().join("out"), "2027-03");
}

#[test]
fn a_rerun_of_january_carries_the_changed_balance_to_march_s_release() {
    let w = published_v2("2027-03");
    let out = w.path().join("out");
    w.write(
        "inputs/2027-01/usage.csv",
        std::fs::read(repo().join("fixtures/v2/expected/rerun/corrected-usage-2027-01.csv"))
            .unwrap(),
    );
    w.settle(&["rerun", "--from", "2027-01", "--reason", "usage corrected"])
        .expect(0);
    for period in MONTHS {
        let (columns, want) = expected("rerun", &format!("adjustments-{period}"));
        let run_dir = std::fs::read_dir(out.join(format!("adjustments/period={period}")))
            .unwrap()
            .flatten()
            .next()
            .unwrap()
            .path();
        let df = read_parquet(&run_dir.join("part-0.parquet"));
        assert_eq!(published(&df, &columns), want, "{period} adjustments");
    }
}

#[test]
fn the_manifest_and_the_summary_count_held_business_by_reason() {
    // From expected/2027-01/held.csv: AFTER_TERMINATION A07 200.00 + A07
    // 250.00 + A08 150.00; BUSINESS_STOPPED A06 500.00; PRODUCT_NOT_AUTHORIZED
    // A05 200.00 + 300.00; UNREGISTERED_KEY_ACCOUNT A04 500.00 + 2 rows
    // 700.00 + A09 600.00; WRONG_PARTNER_TYPE A05 100.00 + A09 400.00 + S01
    // 1000.00.
    let w = Workdir::new();
    w.config("utf-8", "2027-01");
    let fixtures = repo().join("fixtures/v2");
    w.write(
        "policies/2027-01.toml",
        std::fs::read(fixtures.join("policies/2027-01.toml")).unwrap(),
    );
    w.copy_month(&fixtures.join("periods/2027-01"), "2027-01");
    let run = w.settle(&["run", "--period", "2027-01"]).expect(0);
    assert!(
        run.stdout().contains(
            "  held, valid but not paid this month: 13 rows: AFTER_TERMINATION 3 (600.00), \
             BUSINESS_STOPPED 1 (500.00), PRODUCT_NOT_AUTHORIZED 2 (500.00), \
             UNREGISTERED_KEY_ACCOUNT 4 (1800.00), WRONG_PARTNER_TYPE 3 (1500.00)\n"
        ),
        "{}",
        run.stdout()
    );
    let out = w.path().join("out");
    let (_, manifest) = head_of(&out, "2027-01");
    assert_eq!(
        manifest["held_rows_by_reason"],
        serde_json::json!({"AFTER_TERMINATION": 3, "BUSINESS_STOPPED": 1,
            "PRODUCT_NOT_AUTHORIZED": 2, "UNREGISTERED_KEY_ACCOUNT": 4, "WRONG_PARTNER_TYPE": 3})
    );
    assert_eq!(
        manifest["held_basis_by_reason"],
        serde_json::json!({"AFTER_TERMINATION": "600.00", "BUSINESS_STOPPED": "500.00",
            "PRODUCT_NOT_AUTHORIZED": "500.00", "UNREGISTERED_KEY_ACCOUNT": "1800.00",
            "WRONG_PARTNER_TYPE": "1500.00"})
    );
    // The new inputs are fingerprinted and counted like the old ones.
    let sources: Vec<&str> = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["source"].as_str().unwrap())
        .collect();
    assert_eq!(
        sources,
        [
            "partners",
            "usage",
            "complaints",
            "deliveries",
            "registrations",
            "key_accounts",
            "handovers"
        ]
    );
}

#[test]
fn the_v2_months_as_parquet_settle_like_the_csv() {
    let w = Workdir::new();
    w.config("utf-8", "2027-01");
    let fixtures = repo().join("fixtures/v2");
    w.write(
        "policies/2027-01.toml",
        std::fs::read(fixtures.join("policies/2027-01.toml")).unwrap(),
    );
    std::fs::remove_file(w.path().join("policies/2026-01.toml")).unwrap();
    for p in ["2027-01", "2027-02"] {
        for entry in std::fs::read_dir(fixtures.join("periods").join(p)).unwrap() {
            let path = entry.unwrap().path();
            let mut df = crate::formats::csv_as_strings(&path);
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            let target = w.path().join(format!("inputs/{p}/{stem}.parquet"));
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            polars::prelude::ParquetWriter::new(std::fs::File::create(&target).unwrap())
                .finish(&mut df)
                .unwrap();
        }
    }
    w.settle(&["run", "--period", "2027-02"]).expect(0);
    let out = w.path().join("out");
    for period in ["2027-01", "2027-02"] {
        for dataset in ["ledger", "held", "payouts", "settlement_stop", "scores"] {
            let (columns, want) = expected(period, dataset);
            let df = read_parquet(&out.join(format!("{dataset}/period={period}/part-0.parquet")));
            assert_eq!(published(&df, &columns), want, "{period} {dataset}");
        }
        // Rejects keep their reasons; Parquet lines count rows, not text lines.
        let (_, want) = expected(period, "rejects");
        let df = read_parquet(&out.join(format!("rejects/period={period}/part-0.parquet")));
        assert_eq!(df.height(), want.len(), "{period} rejects");
    }
}

#[test]
fn a_broken_channel_key_stops_before_any_input_is_read() {
    let w = Workdir::new(); // no inputs at all
    let v2 = std::fs::read_to_string(repo().join("pipelines/policies/2027-01.toml")).unwrap();
    w.write(
        "policies/2027-01.toml",
        v2.replacen("MAS_FN = \"SI\"", "MAS_FM = \"SI\"", 1),
    );
    let run = w.settle(&["validate", "--period", "2027-01"]).expect(2);
    assert!(
        run.stderr()
            .contains("earners.MAS_FM names a product that is not in the catalog"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_present_channel_table_must_have_all_its_columns() {
    let w = published_v2("2027-01");
    w.write(
        "inputs/2027-01/handovers.csv",
        "handover_id,customer_id,from_partner,effective_on\nh1,C1,A01,2027-01-05\n",
    );
    let run = w.settle(&["validate", "--period", "2027-01"]).expect(2);
    assert!(
        run.stderr().contains("handovers.csv")
            && run.stderr().contains("column 'to_partner' is missing"),
        "{}",
        run.stderr()
    );
}

#[test]
fn march_s_summary_and_manifest_total_the_balances() {
    // expected/2027-03/balances.csv: A10 opening 72.00, withheld -28.00,
    // forfeited 44.00; A11 opening 31.00, released 31.00. Totals: opening
    // 103.00, withheld -28.00, released 31.00, forfeited 44.00, closing 0.00.
    let w = published_v2("2027-02");
    let run = w.settle(&["run", "--period", "2027-03"]).expect(0);
    assert!(
        run.stdout().contains(
            "  withheld balances: carried in 103.00, withheld -28.00, released 31.00, \
             forfeited 44.00, carried on 0.00\n"
        ),
        "{}",
        run.stdout()
    );
}

#[test]
fn settle_weights_shows_the_ahp_and_exits_2_on_an_inconsistent_matrix() {
    let w = v2_workdir();
    let run = w.settle(&["weights", "--period", "2027-03"]).expect(0);
    let out = run.stdout();
    for needle in [
        "revenue_delivery     1/2",
        "  revenue        0.2772       28",
        "  delivery       0.4673       47",
        "  complaints     0.1601       16",
        "  response       0.0954        9",
        "CR 0.011 (consistent: below 0.10)",
        "  revenue        0.4717       47",
        "CR 0.017 (consistent: below 0.10)",
    ] {
        assert!(out.contains(needle), "{needle:?} in:\n{out}");
    }
    let policy = std::fs::read_to_string(w.path().join("policies/2027-03.toml")).unwrap();
    let broken = |p: &str| {
        p.replacen("revenue_delivery = \"1/2\"", "revenue_delivery = 9", 1)
            .replacen("revenue_complaints = 2", "revenue_complaints = \"1/9\"", 1)
    };
    // A broken later policy is caught before the month it takes effect.
    w.write(
        "policies/2027-06.toml",
        broken(&policy).replacen(
            "effective_from = \"2027-03\"",
            "effective_from = \"2027-06\"",
            1,
        ),
    );
    let run = w.settle(&["weights", "--period", "2027-03"]).expect(2);
    assert!(run.stderr().contains("2027-06.toml"), "{}", run.stderr());
    std::fs::remove_file(w.path().join("policies/2027-06.toml")).unwrap();
    w.write(
        "policies/2027-03.toml",
        policy
            .replacen("revenue_delivery = \"1/2\"", "revenue_delivery = 9", 1)
            .replacen("revenue_complaints = 2", "revenue_complaints = \"1/9\"", 1),
    );
    let run = w.settle(&["weights", "--period", "2027-03"]).expect(2);
    assert!(run.stdout().contains("INCONSISTENT"), "{}", run.stdout());
    assert!(
        run.stderr()
            .contains("scoring.judgments.SI are inconsistent: consistency ratio"),
        "{}",
        run.stderr()
    );
    // And a run stops before reading any input.
    let run = w.settle(&["run", "--period", "2027-03"]).expect(2);
    assert!(
        run.stderr().contains("consistency ratio"),
        "{}",
        run.stderr()
    );
}
