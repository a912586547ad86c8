//! The month report, partner statements and `settle simulate` on the
//! fixture months: the report kept with its run and equal to the manifest's
//! totals, statements with the published figures and a rerun's adjustments,
//! a simulation that publishes nothing, and input text escaped in HTML.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;

use crate::util::*;

fn dataset(out: &Path, name: &str, period: &str) -> DataFrame {
    read_parquet(&out.join(format!("{name}/period={period}/part-0.parquet")))
}

/// Every file below `dir` with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                files.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    files
}

const ALL: [&str; 11] = [
    "partner_id",
    "component",
    "category",
    "quantity",
    "basis",
    "rate_bp",
    "amount",
    "tier",
    "status",
    "partner_type",
    "province",
];

#[test]
fn every_published_period_has_its_report_kept_with_its_run() {
    let w = crate::history::published_golden();
    let out = w.path().join("out");
    for period in ["2026-08", "2026-09", "2026-10"] {
        let (run_id, manifest) = head_of(&out, period);
        let rel = format!("reports/period={period}/report.html");
        let page = std::fs::read_to_string(out.join(&rel)).unwrap();
        let kept = std::fs::read_to_string(out.join("runs").join(&run_id).join(&rel)).unwrap();
        assert_eq!(page, kept);
        assert!(page.starts_with("<!DOCTYPE html>") && page.contains("charset=\"utf-8\""));
        assert!(page.contains("<svg") && !page.contains("<script"));
        assert!(page.contains(&run_id));
        // Every control total of the manifest is on the page, with its key.
        for by in ["ledger_amount_by_component", "ledger_amount_by_status"] {
            for (key, amount) in manifest[by].as_object().unwrap() {
                let cell = format!(
                    "<td>{key}</td><td class=\"n\">{}</td>",
                    amount.as_str().unwrap()
                );
                assert!(page.contains(&cell), "{period}: {cell} missing");
            }
        }
        let listed = manifest["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["path"] == rel.as_str() && o["dataset"] == "report");
        assert!(listed, "{period}: the manifest lists the report");
    }
    // October's SA moves against September, worked in the golden README:
    // A10 stays bottom, so the bottom row has a bottom count.
    let page = std::fs::read_to_string(out.join("reports/period=2026-10/report.html")).unwrap();
    assert!(page.contains("SA: before ↓ / after →"));

    // `settle report` writes the same page again from the inputs.
    let rel = "reports/period=2026-09/report.html";
    let before = std::fs::read(out.join(rel)).unwrap();
    std::fs::remove_file(out.join(rel)).unwrap();
    w.settle(&["report", "--period", "2026-09"]).expect(0);
    assert_eq!(std::fs::read(out.join(rel)).unwrap(), before);
    w.settle(&["report", "--period", "2026-11"]).expect(2);
}

#[test]
fn statements_show_the_published_figures_and_a_rerun_s_adjustments() {
    let w = crate::history::published_golden();
    let out = w.path().join("out");
    let dir = w.path().join("statements");
    let run = w
        .settle(&[
            "statements",
            "--period",
            "2026-09",
            "--out",
            dir.to_str().unwrap(),
        ])
        .expect(0);
    let partners = strings(&dataset(&out, "scores", "2026-09"), "partner_id");
    assert!(
        run.stdout()
            .contains(&format!("{} statement(s)", partners.len()))
    );
    for p in &partners {
        assert!(dir.join(format!("{p}.html")).is_file(), "{p}");
    }
    // S11's September statement: its payout as published.
    let payouts = dataset(&out, "payouts", "2026-09");
    let s11 = rows_joined(
        &payouts
            .clone()
            .lazy()
            .filter(col("partner_id").eq(lit("S11")))
            .collect()
            .unwrap(),
        &["gross", "deductions", "net", "status"],
        " ",
        "",
    );
    let fields: Vec<&str> = s11[0].split(' ').collect();
    let page = std::fs::read_to_string(dir.join("S11.html")).unwrap();
    for f in &fields {
        assert!(page.contains(f), "S11 statement lacks {f}");
    }
    assert!(!page.contains("Adjustments against the previous version"));

    // The dispute (tests/it/history.rs): September corrected and rerun; the
    // statement of the new version shows S11's +35.00 share.
    crate::history::correct_september(w.path());
    w.settle(&["rerun", "--from", "2026-09", "--reason", "usage corrected"])
        .expect(0);
    w.settle(&[
        "statements",
        "--period",
        "2026-09",
        "--partner",
        "S11",
        "--out",
        dir.to_str().unwrap(),
    ])
    .expect(0);
    let page = std::fs::read_to_string(dir.join("S11.html")).unwrap();
    assert!(page.contains("Adjustments against the previous version"));
    assert!(
        page.contains("<td class=\"n\">35.00</td>"),
        "S11 delta 35.00"
    );
}

#[test]
fn simulating_the_policy_in_force_changes_nothing_and_publishes_nothing() {
    let w = crate::history::published_golden();
    let out = w.path().join("out");
    let before = tree(&out);
    let sim = w.path().join("sim");
    let run = w
        .settle(&[
            "simulate",
            "--period",
            "2026-09",
            "--policy",
            "policies/2026-01.toml",
            "--out",
            sim.to_str().unwrap(),
        ])
        .expect(0);
    assert!(
        run.stdout()
            .contains("0 partner(s) with another tier or net")
    );
    assert_eq!(tree(&out), before, "the output root is untouched");
    assert_eq!(read_parquet(&sim.join("diff.parquet")).height(), 0);
    // The same values as published, run_id included (same inputs, policy
    // and previous version give the same run).
    let ledger = dataset(&out, "ledger", "2026-09");
    let mut cols = ALL.to_vec();
    cols.push("run_id");
    assert_eq!(
        rows_of(&read_parquet(&sim.join("ledger.parquet")), &cols),
        rows_of(&ledger, &cols)
    );
    for name in ["payouts", "scores"] {
        let published = dataset(&out, name, "2026-09");
        let names: Vec<String> = published
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(
            rows_of(&read_parquet(&sim.join(format!("{name}.parquet"))), &names),
            rows_of(&published, &names),
            "{name}"
        );
    }
}

#[test]
fn province_pools_simulated_on_august_as_worked_by_hand() {
    let w = Workdir::new();
    w.config("utf-8", "2026-08");
    w.copy_month(&repo().join("fixtures/golden/periods/2026-08"), "2026-08");
    w.settle(&["run", "--period", "2026-08"]).expect(0);
    let province =
        reference_policy().replacen("pool_scope = \"national\"", "pool_scope = \"province\"", 1);
    w.write("what-if/province.toml", province);
    let sim = w.path().join("sim");
    let run = w
        .settle(&[
            "simulate",
            "--period",
            "2026-08",
            "--policy",
            "what-if/province.toml",
            "--out",
            sim.to_str().unwrap(),
        ])
        .expect(0);
    // fixtures/golden/province-pools.md: GD's and BJ's SA pools re-rank.
    let diff = read_parquet(&sim.join("diff.parquet"));
    assert_eq!(
        rows_of(
            &diff,
            &[
                "partner_id",
                "tier_before",
                "tier_after",
                "net_before",
                "net_after",
                "delta"
            ]
        ),
        [
            "A03 silver standard 27.20 26.00 -1.20",
            "A04 silver standard 27.20 26.00 -1.20",
            "A05 standard gold 20.00 21.80 1.80",
            "A06 standard silver 17.00 17.75 0.75",
            "A10 bottom standard 5.00 5.00 0.00",
        ]
    );
    assert!(
        run.stdout()
            .contains("5 partner(s) with another tier or net")
    );
    assert!(run.stdout().contains("sa_reward"));
    // Nothing was published by the simulation.
    let (_, manifest) = head_of(&w.path().join("out"), "2026-08");
    assert!(
        manifest["policy_path"]
            .as_str()
            .unwrap()
            .ends_with("2026-01.toml")
    );
}

#[test]
fn names_and_raw_rows_from_inputs_are_shown_as_text_never_run() {
    let w = Workdir::new();
    w.tolerate_rejects();
    w.config("utf-8", "2026-08");
    w.copy_month(&repo().join("fixtures/golden/periods/2026-08"), "2026-08");
    let partners = w.path().join("inputs/2026-08/partners.csv");
    let text = std::fs::read_to_string(&partners)
        .unwrap()
        .replacen("销售代理01有限公司", "<script>alert(1)</script>", 1)
        .replacen(",GD,", ",\"<img src=x onerror=alert(1)>\",", 1);
    std::fs::write(&partners, text).unwrap();
    let usage = w.path().join("inputs/2026-08/usage.csv");
    let mut text = std::fs::read_to_string(&usage).unwrap();
    text.push_str("u-bad,A01,C-x,VNET,2026-08-05,<b>12</b>\n");
    std::fs::write(&usage, text).unwrap();
    w.settle(&["run", "--period", "2026-08"]).expect(0);
    let page =
        std::fs::read_to_string(w.path().join("out/reports/period=2026-08/report.html")).unwrap();
    assert!(
        page.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "province escaped"
    );
    assert!(
        page.contains("&lt;b&gt;12&lt;/b&gt;"),
        "raw rejected row escaped"
    );
    let dir = w.path().join("st");
    w.settle(&[
        "statements",
        "--period",
        "2026-08",
        "--partner",
        "A01",
        "--out",
        dir.to_str().unwrap(),
    ])
    .expect(0);
    let statement = std::fs::read_to_string(dir.join("A01.html")).unwrap();
    assert!(statement.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    for html in [&page, &statement] {
        assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<b>12"));
    }
}
