//! Every exit-2 case of SPEC §2 and §8: the run stops with one sentence that
//! names the culprit file, key or column.

use crate::util::*;

fn example_workdir() -> Workdir {
    let w = Workdir::new();
    w.copy_month(&repo().join("fixtures/appendix-a/2026-10"), "2026-10");
    w
}

fn fails_with(w: &Workdir, needles: &[&str]) {
    let run = w.settle(&["validate", "--period", "2026-10"]).expect(2);
    let err = run.stderr();
    assert_eq!(err.lines().count(), 1, "one sentence: {err}");
    for needle in needles {
        assert!(err.contains(needle), "expected {needle:?} in: {err}");
    }
}

#[test]
fn missing_table_names_the_file() {
    let w = example_workdir();
    std::fs::remove_file(w.path().join("inputs/2026-10/complaints.csv")).unwrap();
    fails_with(&w, &["complaints.csv", "the complaints table is missing"]);
}

#[test]
fn missing_column_names_file_and_column() {
    let w = example_workdir();
    w.write(
        "inputs/2026-10/usage.csv",
        "record_id,partner_id,customer_id,product_code,usage_date,amt\n",
    );
    fails_with(&w, &["usage.csv", "column 'amount' is missing"]);
}

#[test]
fn table_in_both_formats_is_refused() {
    let w = example_workdir();
    w.write("inputs/2026-10/usage.parquet", b"not really parquet");
    fails_with(&w, &["usage", "both as CSV and as Parquet"]);
}

#[test]
fn missing_period_folder_names_the_period() {
    let w = example_workdir();
    let run = w.settle(&["validate", "--period", "2026-11"]).expect(2);
    assert!(run.stderr().contains("period 2026-11"), "{}", run.stderr());
}

#[test]
fn weights_not_summing_to_100_name_file_and_key() {
    let w = example_workdir();
    w.write(
        "policies/2026-01.toml",
        reference_policy().replacen("response = 15", "response = 16", 1),
    );
    fails_with(
        &w,
        &["policies/2026-01.toml", "scoring.weights.SI sum to 101"],
    );
}

#[test]
fn unknown_policy_key_is_named() {
    let w = example_workdir();
    w.write(
        "policies/2026-01.toml",
        reference_policy().replacen("[tiers]", "[tiers]\nplatinum_pct = 5", 1),
    );
    fails_with(
        &w,
        &["policies/2026-01.toml", "unknown field `platinum_pct`"],
    );
}

#[test]
fn negative_rate_is_named() {
    let w = example_workdir();
    w.write(
        "policies/2026-01.toml",
        reference_policy().replacen("basic_access = 300", "basic_access = -300", 1),
    );
    fails_with(&w, &["sa.base_bp.basic_access is -300"]);
}

#[test]
fn missing_policy_value_is_named() {
    let w = example_workdir();
    w.write(
        "policies/2026-01.toml",
        reference_policy().replacen("alpha_pct = 50\n", "", 1),
    );
    fails_with(&w, &["policies/2026-01.toml", "missing field `alpha_pct`"]);
}

#[test]
fn broken_policy_stops_before_any_input_is_read() {
    let w = Workdir::new(); // no inputs at all
    w.write(
        "policies/2026-01.toml",
        reference_policy().replacen("gold_pct = 10", "gold_pct = 110", 1),
    );
    fails_with(&w, &["tiers.gold_pct is 110"]);
}

#[test]
fn no_policy_in_force_names_the_period() {
    let w = example_workdir();
    let run = w.settle(&["validate", "--period", "2025-12"]).expect(2);
    assert!(
        run.stderr().contains("in force for period 2025-12"),
        "{}",
        run.stderr()
    );
}

#[test]
fn policy_picked_by_effective_from() {
    // A later policy with a tiny threshold applies from 2026-10 only.
    let w = example_workdir();
    w.copy_month(&repo().join("fixtures/appendix-a/2026-10"), "2026-09");
    w.write("inputs/2026-10/usage.csv", "record_id,partner_id,customer_id,product_code,usage_date,amount\nu1,SA-1,C1,NEWPROD,2026-10-03,1.00\n");
    let newer = reference_policy()
        .replacen(
            "effective_from = \"2026-01\"",
            "effective_from = \"2026-10\"",
            1,
        )
        .replacen(
            "DEVPROJ = \"dev_project\"",
            "DEVPROJ = \"dev_project\"\nNEWPROD = \"platform_app\"",
            1,
        );
    w.write("policies/2026-10.toml", newer);
    let run = w.settle(&["validate", "--period", "2026-10"]).expect(0);
    assert_eq!(run.counts("usage"), (1, 1, 0));
    assert!(
        run.stdout().contains("policies/2026-10.toml"),
        "{}",
        run.stdout()
    );
}

#[test]
fn unknown_config_key_is_named() {
    let w = example_workdir();
    w.write("settle.toml", "input_root = \"inputs\"\noutput_root = \"out\"\npolicy_dir = \"policies\"\nhistory_starts = \"2026-01\"\noutput = \"x\"\n");
    fails_with(&w, &["settle.toml", "unknown field `output`"]);
}

#[test]
fn bad_period_argument_exits_2() {
    let w = example_workdir();
    let run = w.settle(&["validate", "--period", "2026-13"]).expect(2);
    assert!(run.stderr().contains("2026-13"), "{}", run.stderr());
}

#[test]
fn integer_amount_column_in_parquet_is_refused() {
    use polars::prelude::*;
    let w = example_workdir();
    std::fs::remove_file(w.path().join("inputs/2026-10/usage.csv")).unwrap();
    let mut df = df!(
        "record_id" => ["u1"], "partner_id" => ["SA-1"], "customer_id" => ["C1"],
        "product_code" => ["VNET"], "usage_date" => ["2026-10-03"], "amount" => [100i64],
    )
    .unwrap();
    let file = std::fs::File::create(w.path().join("inputs/2026-10/usage.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut df).unwrap();
    fails_with(
        &w,
        &["usage.parquet", "column 'amount' has Parquet type i64"],
    );
}
