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

/// Every Parquet and JSON file under `root` with its bytes and modification time.
pub fn files_under(root: &Path) -> BTreeMap<String, (Vec<u8>, std::time::SystemTime)> {
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

pub fn run_fixtures(threads: &str) -> tempfile::TempDir {
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
            // The Hive tree; runs/<run_id>/ holds links to the same files.
            .filter(|(k, _)| k.ends_with(".parquet") && !k.starts_with("runs/"))
            .map(|(k, v)| (k, v.0))
            .collect()
    };
    let (a, b) = (parquet(one.path()), parquet(two.path()));
    assert_eq!(
        a.len(),
        14,
        "seven datasets (held included) for 2026-09 and 2026-10: {:?}",
        a.keys()
    );
    assert_eq!(a, b);
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

/// `n` usage rows of the largest amount a row may hold, for one partner.
fn huge_usage(partner: &str, product: &str, n: usize) -> String {
    let mut csv = "record_id,partner_id,customer_id,product_code,usage_date,amount\n".to_string();
    for i in 0..n {
        csv.push_str(&format!(
            "u{i},{partner},C{i},{product},2026-10-07,9999999999999999.99\n"
        ));
    }
    csv
}

#[test]
fn ten_rows_of_the_largest_amount_exit_1_naming_the_partner_and_line() {
    // Ten rows of 9999999999999999.99 yuan for SI-1 sum to
    // 99999999999999999.90 yuan = 9999999999999999990 fen, past i64::MAX
    // (9223372036854775807): a wrapping sum would turn it negative and slip
    // by. Each row fits Decimal(18,2); the basis of SI-1's MAS line does not.
    let w = appendix_a();
    w.write("inputs/2026-10/usage.csv", huge_usage("SI-1", "MAS", 10));
    let run = w.settle(&["run", "--period", "2026-10"]).expect(1);
    assert!(
        run.stderr()
            .contains("ledger si_revenue_share basis for partner SI-1 does not fit Decimal(18,2)"),
        "{}",
        run.stderr()
    );
    assert!(!w.path().join("out/ledger").exists(), "nothing published");
}

#[test]
fn the_largest_amount_a_row_may_hold_settles_to_the_fen() {
    // One row of 9999999999999999.99 yuan for SA-1: the basis fits
    // Decimal(18,2), and basis × rate no longer needs to fit 64 bits:
    // sa_base = (999999999999999999 × 300 + 5000) div 10000
    //         = 30000000000000000 fen = 300000000000000.00 yuan.
    let w = appendix_a();
    w.write("inputs/2026-10/usage.csv", huge_usage("SA-1", "VNET", 1));
    w.settle(&["run", "--period", "2026-10"]).expect(0);
    let ledger = out(&w, "ledger", "2026-10");
    let rows = rows_of(&ledger, &["partner_id", "component", "basis", "amount"]);
    assert!(
        rows.contains(&"SA-1 sa_base 9999999999999999.99 300000000000000.00".to_string()),
        "{rows:?}"
    );
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

#[test]
fn the_run_summary_of_appendix_a_whole() {
    // Worked from Appendix A's ledger above: sa_base 30.00 + 25.00 + 18.00 +
    // 9.02 = 82.02; sa_sales 64.00 + 120.00 = 184.00; sa_service 4.00 + 2.00
    // = 6.00; everything payable: 134.90 + 90.00 + 9.02 + 1440.00 = 1673.92.
    let w = appendix_a();
    let run = w.settle(&["run", "--period", "2026-10"]).expect(0);
    let run_id = strings(&out(&w, "ledger", "2026-10"), "run_id")[0].clone();
    // The config names the root `out`, relative to its own folder.
    let stdout = run.stdout().replace(&run_id, "<run>");
    assert_eq!(
        stdout,
        [
            "period 2026-10 published as run <run>",
            "  partners: gold 2, silver 0, standard 2, bottom 0, unrated 0",
            "  ledger (11 lines) by component:",
            "    complaint_deduction              -50.00",
            "    sa_base                           82.02",
            "    sa_reward                         11.90",
            "    sa_sales                         184.00",
            "    sa_service                         6.00",
            "    si_revenue_share                1440.00",
            "  ledger by status: payable 1673.92",
            "  sanctions: 0, settlement stop list: 0",
            "  rejected input rows: 0",
            "  files under out (manifest out/runs/<run>/manifest.json)",
        ]
        .map(|l| format!("{l}\n"))
        .concat()
    );
}

/// Manifests, version records and pages are readable like the Parquet files
/// beside them (BI users on other accounts read the log and manifests).
#[cfg(unix)]
#[test]
fn every_published_file_has_the_same_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let w = appendix_a();
    w.settle(&["run", "--period", "2026-10"]).expect(0);
    let out = w.path().join("out");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let parquet = mode(&out.join("ledger/period=2026-10/part-0.parquet"));
    assert_eq!(
        parquet & 0o044,
        0o044,
        "group and others may read: {parquet:o}"
    );
    let (run_id, _) = head_of(&out, "2026-10");
    let record = std::fs::read_dir(out.join("_log/period=2026-10"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    for p in [
        out.join("runs").join(&run_id).join("manifest.json"),
        record,
        out.join("reports/period=2026-10/report.html"),
    ] {
        assert_eq!(mode(&p), parquet, "{}", p.display());
    }
    w.settle(&["report", "--period", "2026-10"]).expect(0);
    assert_eq!(
        mode(&out.join("reports/period=2026-10/report.html")),
        parquet
    );
}

/// A record repeated in another batch (batches are 2^20 records) is found
/// like one in the same batch: the id hashes of every batch must be
/// comparable, so they are computed with one fixed seed.
#[test]
fn a_record_repeated_in_a_later_batch_is_rejected_and_not_paid_twice() {
    let w = appendix_a();
    w.tolerate_rejects();
    let path = w.path().join("inputs/2026-10/usage.csv");
    let mut text = std::fs::read_to_string(&path).unwrap();
    let rows = (1 << 20) + 10;
    for i in 0..rows {
        text.push_str(&format!("f{i},SA-1,C9,VNET,2026-10-05,0.01\n"));
    }
    // The first record again, past the first batch, and another record
    // under the id of the second with another amount.
    text.push_str("u1,SA-1,C1,VNET,2026-10-03,1000.00\n");
    text.push_str("u2,SA-1,C2,MAS,2026-10-04,999\n");
    std::fs::write(&path, text).unwrap();
    let (run, rejects) = w.validate_with_rejects("2026-10");
    let (read, accepted, rejected) = run.counts("usage");
    // u1's copy is a DUPLICATE_ROW; both rows under u2 are DUPLICATE_ID
    // (every row whose id another row with other values shares, §2 step 4).
    assert_eq!((read, rejected), (5 + rows as u64 + 2, 3));
    assert_eq!(accepted, 5 + rows as u64 - 1);
    let mut keys = reject_keys(&rejects);
    keys.sort();
    let last = 1 + 5 + rows as i64;
    assert_eq!(
        keys,
        [
            ("usage".to_string(), 3, "DUPLICATE_ID".to_string()),
            ("usage".to_string(), last + 1, "DUPLICATE_ROW".to_string()),
            ("usage".to_string(), last + 2, "DUPLICATE_ID".to_string()),
        ]
    );
}
