//! `settle run` on SPEC Appendix A and on the bundled fixture months: exact
//! amounts, the published layout and types as a second reader sees them,
//! idempotence, refusal, and thread-count independence.

use std::collections::BTreeMap;
use std::path::Path;

use crate::util::*;

fn appendix_a() -> Workdir {
    let w = Workdir::new();
    w.config("utf-8", "2026-10");
    w.copy_month(&repo().join("fixtures/appendix-a/2026-10"), "2026-10");
    w
}

fn out(w: &Workdir, dataset: &str, period: &str) -> polars::prelude::DataFrame {
    read_parquet(
        &w.path()
            .join(format!("out/{dataset}/period={period}/part-0.parquet")),
    )
}

#[test]
fn appendix_a_ledger_payouts_and_scores() {
    let w = appendix_a();
    let run = w.settle(&["run", "--period", "2026-10"]).expect(0);
    assert!(
        run.stdout()
            .contains("partners: gold 2, silver 0, standard 2, bottom 0, unrated 0"),
        "{}",
        run.stdout()
    );

    let ledger = out(&w, "ledger", "2026-10");
    let rows: Vec<String> = (0..ledger.height())
        .map(|i| {
            let get = |c: &str| strings(&ledger, c)[i].clone();
            format!(
                "{} {} {} q={} basis={} rate={} {} {} {}",
                get("partner_id"),
                get("component"),
                get("category"),
                get("quantity"),
                get("basis"),
                get("rate_bp"),
                get("amount"),
                get("tier"),
                get("status")
            )
        })
        .collect();
    // SPEC Appendix A, in the published sort order (partner_id, component, category; nulls first).
    assert_eq!(
        rows,
        vec![
            "SA-1 sa_base basic_access q=<null> basis=1000.00 rate=300 30.00 gold payable",
            "SA-1 sa_base industry_info q=<null> basis=500.00 rate=500 25.00 gold payable",
            "SA-1 sa_reward <null> q=<null> basis=119.00 rate=1000 11.90 gold payable",
            "SA-1 sa_sales basic_access q=<null> basis=800.00 rate=800 64.00 gold payable",
            "SA-1 sa_service <null> q=2 basis=0.00 rate=<null> 4.00 gold payable",
            "SA-2 complaint_deduction <null> q=1 basis=0.00 rate=<null> -50.00 standard payable",
            "SA-2 sa_base platform_app q=<null> basis=300.00 rate=600 18.00 standard payable",
            "SA-2 sa_sales platform_app q=<null> basis=1000.00 rate=1200 120.00 standard payable",
            "SA-2 sa_service <null> q=1 basis=0.00 rate=<null> 2.00 standard payable",
            "SA-3 sa_base basic_access q=<null> basis=300.50 rate=300 9.02 standard payable",
            "SI-1 si_revenue_share industry_info q=<null> basis=2000.00 rate=7200 1440.00 gold payable",
        ]
    );

    let payouts = out(&w, "payouts", "2026-10");
    let p: Vec<String> = rows_of(&payouts, &["partner_id", "gross", "deductions", "net"]);
    assert_eq!(
        p,
        vec![
            "SA-1 134.90 0.00 134.90",
            "SA-2 140.00 -50.00 90.00",
            "SA-3 9.02 0.00 9.02",
            "SI-1 1440.00 0.00 1440.00"
        ]
    );

    let scores = out(&w, "scores", "2026-10");
    let s: Vec<String> = rows_of(
        &scores,
        &[
            "partner_id",
            "revenue",
            "revenue_kpi",
            "delivery_kpi",
            "complaint_kpi",
            "response_kpi",
            "monthly_score",
            "pool_size",
            "rank",
            "credit_score",
            "tier",
        ],
    );
    assert_eq!(
        s,
        vec![
            "SA-1 1500.00 10000 10000 10000 10000 10000 3 1 10000 gold",
            "SA-2 300.00 0 0 0 10000 1300 3 3 1300 standard",
            "SA-3 300.50 5000 0 10000 0 4500 3 2 4500 standard",
            "SI-1 2000.00 10000 10000 10000 10000 10000 1 1 10000 gold", // a pool of one
        ]
    );
    // No sanctions, no stop list, no rejects: the files exist with zero rows.
    for dataset in ["sanctions", "settlement_stop", "rejects"] {
        assert_eq!(out(&w, dataset, "2026-10").height(), 0, "{dataset}");
    }
}

fn files_under(root: &Path) -> BTreeMap<String, (Vec<u8>, std::time::SystemTime)> {
    let mut found = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet" || x == "json") {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                found.insert(
                    rel,
                    (
                        std::fs::read(&p).unwrap(),
                        e.metadata().unwrap().modified().unwrap(),
                    ),
                );
            }
        }
    }
    found
}

#[test]
fn running_a_published_month_again_changes_nothing() {
    let w = appendix_a();
    w.settle(&["run", "--period", "2026-10"]).expect(0);
    let before = files_under(&w.path().join("out"));
    let run = w.settle(&["run", "--period", "2026-10"]).expect(0);
    assert!(
        run.stdout().contains("already published"),
        "{}",
        run.stdout()
    );
    assert_eq!(
        files_under(&w.path().join("out")),
        before,
        "bytes and modification times unchanged"
    );
}

#[test]
fn other_inputs_for_a_published_month_are_refused_with_exit_5() {
    let w = appendix_a();
    w.settle(&["run", "--period", "2026-10"]).expect(0);
    let before = files_under(&w.path().join("out"));
    let usage = std::fs::read_to_string(w.path().join("inputs/2026-10/usage.csv")).unwrap();
    w.write(
        "inputs/2026-10/usage.csv",
        usage.replace("2000.00", "2100.00"),
    );
    let run = w.settle(&["run", "--period", "2026-10"]).expect(5);
    assert!(
        run.stderr().contains("period 2026-10")
            && run.stderr().contains("settle rerun --from 2026-10"),
        "{}",
        run.stderr()
    );
    assert_eq!(files_under(&w.path().join("out")), before);
}

fn run_fixtures(threads: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("settle.toml");
    std::fs::write(
        &config,
        format!(
            "input_root = \"{}\"\noutput_root = \"out\"\npolicy_dir = \"{}\"\nhistory_starts = \"2026-09\"\n",
            repo().join("fixtures/periods").display(),
            repo().join("pipelines/policies").display()
        ),
    )
    .unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_settle"))
        .args(["--config", "settle.toml", "run", "--period", "2026-10"])
        .current_dir(dir.path())
        .env("POLARS_MAX_THREADS", threads)
        .env("RAYON_NUM_THREADS", threads)
        .status()
        .unwrap();
    assert!(status.success());
    dir
}

#[test]
fn outputs_are_byte_identical_whatever_the_thread_count() {
    let one = run_fixtures("1");
    let two = run_fixtures("2");
    let parquet = |d: &Path| -> BTreeMap<String, Vec<u8>> {
        files_under(&d.join("out"))
            .into_iter()
            .filter(|(k, _)| k.ends_with(".parquet"))
            .map(|(k, v)| (k, v.0))
            .collect()
    };
    let (a, b) = (parquet(one.path()), parquet(two.path()));
    assert_eq!(
        a.len(),
        12,
        "six datasets for 2026-09 and 2026-10: {:?}",
        a.keys()
    );
    assert_eq!(a, b);
}

#[test]
fn second_readers_see_decimal_money_partitions_and_matching_totals() {
    let dir = run_fixtures("2");
    let root = dir.path().join("out");
    let output = std::process::Command::new("python3")
        .arg(repo().join("tests/readback.py"))
        .arg(&root)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "python3 tests/readback.py failed (pip install duckdb pyarrow):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for (dataset, money) in [
        ("ledger", vec!["basis", "amount"]),
        ("payouts", vec!["gross", "deductions", "net"]),
        ("scores", vec!["revenue"]),
        ("settlement_stop", vec!["withheld"]),
    ] {
        for column in money {
            assert_eq!(
                seen["types"][dataset][column], "DECIMAL(18,2)",
                "{dataset}.{column}"
            );
            assert_eq!(
                seen["arrow_types"][dataset][column], "decimal128(18, 2)",
                "{dataset}.{column}"
            );
        }
        assert_eq!(
            seen["periods"][dataset],
            serde_json::json!(["2026-09", "2026-10"]),
            "{dataset}"
        );
    }
    assert_eq!(seen["types"]["scores"]["rank"], "INTEGER");
    assert_eq!(seen["types"]["scores"]["rated"], "BOOLEAN");
    assert_eq!(seen["types"]["ledger"]["quantity"], "BIGINT");
    assert_eq!(seen["types"]["rejects"]["line"], "BIGINT");
    assert_eq!(seen["arrow_types"]["ledger"]["partner_id"], "large_string");

    // The manifest's control totals equal what DuckDB sums from the files.
    for period in ["2026-09", "2026-10"] {
        let runs = std::fs::read_dir(root.join("runs")).unwrap();
        let manifest: serde_json::Value = runs
            .flatten()
            .map(|e| {
                serde_json::from_slice::<serde_json::Value>(
                    &std::fs::read(e.path().join("manifest.json")).unwrap(),
                )
                .unwrap()
            })
            .find(|m| m["period"] == period)
            .unwrap();
        for (component, total) in manifest["ledger_amount_by_component"].as_object().unwrap() {
            assert_eq!(
                seen["ledger_by_component"][format!("{period}/{component}")],
                *total,
                "{period} {component}"
            );
        }
        for (status, total) in manifest["ledger_amount_by_status"].as_object().unwrap() {
            assert_eq!(
                seen["ledger_by_status"][format!("{period}/{status}")],
                *total,
                "{period} {status}"
            );
        }
        let all: i64 = manifest["ledger_amount_by_status"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| fen(v.as_str().unwrap()))
            .sum();
        assert_eq!(
            fen(seen["payout_net"][period].as_str().unwrap()),
            all,
            "payouts net = ledger total"
        );
    }
}

#[test]
fn province_pools_rank_within_type_and_province() {
    // Appendix A with pool_scope = "province": SA/GD = {SA-1, SA-2} (n = 2),
    // SA/BJ = {SA-3} and SI/BJ = {SI-1} are pools of one.
    // SA-1: lower 1 of n-1 = 1 → revenue 10000, monthly 10000, rank 1, gold
    //       (ceil_pct(2,10) = 1); SA-2: revenue 0 → monthly 1300, rank 2;
    //       silver cut ceil_pct(2,30) = 1, bottom needs rank > 2 - floor_pct(2,10) = 2: standard.
    // SA-3: pool of one → revenue 10000; delivery 0, complaints 10000,
    //       response 0 → (40·10000 + 25·10000) div 100 = 6500, rank 1, gold.
    let w = appendix_a();
    w.write(
        "policies/2026-01.toml",
        reference_policy().replacen("pool_scope = \"national\"", "pool_scope = \"province\"", 1),
    );
    w.settle(&["run", "--period", "2026-10"]).expect(0);
    let scores = out(&w, "scores", "2026-10");
    let s: Vec<String> = rows_of(
        &scores,
        &[
            "partner_id",
            "revenue_kpi",
            "monthly_score",
            "pool_size",
            "rank",
            "tier",
        ],
    );
    assert_eq!(
        s,
        vec![
            "SA-1 10000 10000 2 1 gold",
            "SA-2 0 1300 2 2 standard",
            "SA-3 10000 6500 1 1 gold",
            "SI-1 10000 10000 1 1 gold"
        ]
    );
}

#[test]
fn a_ledger_sum_beyond_decimal_18_2_exits_1_naming_the_partner() {
    // Two rows of 9999999999999999.99 for SI-1 sum to 19999999999999999.98
    // yuan: each row fits Decimal(18,2), their basis does not.
    let w = appendix_a();
    w.write(
        "inputs/2026-10/usage.csv",
        "record_id,partner_id,customer_id,product_code,usage_date,amount\n\
         u1,SI-1,C5,MAS,2026-10-07,9999999999999999.99\nu2,SI-1,C6,MAS,2026-10-08,9999999999999999.99\n",
    );
    let run = w.settle(&["run", "--period", "2026-10"]).expect(1);
    assert!(
        run.stderr()
            .contains("partner SI-1 does not fit Decimal(18,2)"),
        "{}",
        run.stderr()
    );
    assert!(!w.path().join("out/ledger").exists(), "nothing published");
}

#[test]
fn a_repeated_usage_row_takes_the_exact_path_and_settles_the_same() {
    // Appendix A plus an exact copy of u1: the ids are no longer distinct, so
    // usage is read again with its rows; the copy is rejected and the ledger
    // must be the one of Appendix A to the fen.
    let plain = appendix_a();
    plain.settle(&["run", "--period", "2026-10"]).expect(0);
    let copied = appendix_a();
    let usage = std::fs::read_to_string(copied.path().join("inputs/2026-10/usage.csv")).unwrap();
    copied.write(
        "inputs/2026-10/usage.csv",
        format!("{usage}u1,SA-1,C1,VNET,2026-10-03,1000\n"),
    );
    copied.tolerate_rejects();
    copied.settle(&["run", "--period", "2026-10"]).expect(0);
    let amounts = |w: &Workdir| {
        let l = out(w, "ledger", "2026-10");
        (
            strings(&l, "partner_id"),
            strings(&l, "component"),
            strings(&l, "amount"),
        )
    };
    assert_eq!(amounts(&copied), amounts(&plain));
    let rejects = out(&copied, "rejects", "2026-10");
    assert_eq!(
        reject_keys(&rejects),
        vec![("usage".to_string(), 7, "DUPLICATE_ROW".to_string())]
    );
}
