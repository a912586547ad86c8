//! `settle explain`: for every partner of the fixture months, the JSON
//! figures equal the published datasets (read back from Parquet), and the
//! refusals: an unpublished period, an unknown partner, changed inputs.

use polars::prelude::*;
use serde_json::Value;

use crate::util::*;

fn dataset(w: &Workdir, name: &str, period: &str) -> DataFrame {
    read_parquet(
        &w.path()
            .join(format!("out/{name}/period={period}/part-0.parquet")),
    )
}

fn of_partner(df: &DataFrame, partner: &str) -> DataFrame {
    df.clone()
        .lazy()
        .filter(col("partner_id").eq(lit(partner)))
        .collect()
        .unwrap()
}

/// A JSON value as the tests' row text: null as "null", strings bare.
fn text(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn explain_json(w: &Workdir, period: &str, partner: &str) -> Value {
    let run = w
        .settle(&[
            "explain",
            "--period",
            period,
            "--partner",
            partner,
            "--json",
        ])
        .expect(0);
    serde_json::from_str(&run.stdout()).unwrap()
}

/// Compares every figure `explain` gives for each registry partner of
/// `period` with the published scores, ledger, payouts, held and balances.
fn check_every_partner(w: &Workdir, period: &str) -> usize {
    let scores = dataset(w, "scores", period);
    let ledger = dataset(w, "ledger", period);
    let payouts = dataset(w, "payouts", period);
    let held = dataset(w, "held", period);
    let balances = w
        .path()
        .join(format!("out/balances/period={period}/part-0.parquet"));
    let balances = balances.is_file().then(|| read_parquet(&balances));
    let run_id = strings(&scores, "run_id")[0].clone();
    let partners = strings(&scores, "partner_id");
    for p in &partners {
        let e = explain_json(w, period, p);
        assert_eq!(e["run_id"], Value::String(run_id.clone()));
        assert_eq!(text(&e["period"]), period);
        let k = &e["kpis"];
        let from_json = [
            text(&e["partner_type"]),
            text(&e["province"]),
            text(&e["rated"]),
            text(&k["revenue"]["value_bp"]),
            text(&k["delivery"]["value_bp"]),
            text(&k["complaints"]["value_bp"]),
            text(&k["response"]["value_bp"]),
            text(&e["monthly_score"]),
            text(&e["pool_size"]),
            text(&e["rank"]),
            text(&e["credit_score"]),
            text(&e["tier"]),
            text(&e["bottom_streak"]),
            text(&e["action"]),
        ]
        .join(" ");
        let columns = [
            "partner_type",
            "province",
            "rated",
            "revenue_kpi",
            "delivery_kpi",
            "complaint_kpi",
            "response_kpi",
            "monthly_score",
            "pool_size",
            "rank",
            "credit_score",
            "tier",
            "bottom_streak",
            "action",
        ];
        let published = rows_joined(&of_partner(&scores, p), &columns, " ", "null");
        assert_eq!(vec![from_json], published, "scores of {p} in {period}");
        // Unrated partners have no KPI values, and every KPI a formula.
        for kpi in ["revenue", "delivery", "complaints", "response"] {
            assert!(k[kpi]["formula"].as_str().is_some_and(|f| !f.is_empty()));
        }

        let lines: Vec<String> = e["ledger"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                [
                    "component",
                    "category",
                    "quantity",
                    "basis",
                    "rate_bp",
                    "amount",
                    "status",
                ]
                .map(|f| text(&l[f]))
                .join(" ")
            })
            .collect();
        let mut published = rows_joined(
            &of_partner(&ledger, p),
            &[
                "component",
                "category",
                "quantity",
                "basis",
                "rate_bp",
                "amount",
                "status",
            ],
            " ",
            "null",
        );
        published.sort();
        let mut sorted = lines.clone();
        sorted.sort();
        assert_eq!(sorted, published, "ledger of {p} in {period}");

        let payout = of_partner(&payouts, p);
        if payout.height() == 0 {
            assert_eq!(e["payout"], Value::Null, "payout of {p}");
        } else {
            let from_json = ["gross", "deductions", "net", "status"]
                .map(|f| text(&e["payout"][f]))
                .join(" ");
            assert_eq!(
                vec![from_json],
                rows_joined(
                    &payout,
                    &["gross", "deductions", "net", "status"],
                    " ",
                    "null"
                ),
                "payout of {p} in {period}"
            );
        }

        let from_json: Vec<String> = e["held"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                ["component", "category", "reason", "quantity", "basis"]
                    .map(|f| text(&h[f]))
                    .join(" ")
            })
            .collect();
        assert_eq!(
            from_json,
            rows_joined(
                &of_partner(&held, p),
                &["component", "category", "reason", "quantity", "basis"],
                " ",
                "null"
            ),
            "held business of {p} in {period}"
        );

        let fields = ["opening", "withheld", "released", "forfeited", "closing"];
        match &balances {
            Some(b) if of_partner(b, p).height() > 0 => assert_eq!(
                vec![fields.map(|f| text(&e["balance"][f])).join(" ")],
                rows_joined(&of_partner(b, p), &fields, " ", "null"),
                "balance of {p} in {period}"
            ),
            _ => assert_eq!(e["balance"], Value::Null, "balance of {p}"),
        }
    }
    partners.len()
}

#[test]
fn explain_gives_the_published_figures_of_every_partner_of_the_golden_months() {
    let w = crate::golden::golden();
    let mut n = 0;
    for period in ["2026-08", "2026-09", "2026-10"] {
        n += check_every_partner(&w, period);
    }
    assert!(n > 30, "{n} partners explained");
}

#[test]
fn explain_gives_the_published_figures_of_every_partner_of_the_v2_months() {
    let w = crate::v2::v2_workdir();
    w.settle(&["run", "--period", "2027-03"]).expect(0);
    for period in ["2027-01", "2027-02", "2027-03"] {
        check_every_partner(&w, period);
    }
}

#[test]
fn explain_fills_each_formula_with_the_partner_s_numbers() {
    let w = crate::golden::golden();
    let e = explain_json(&w, "2026-10", "A10");
    // Worked in fixtures/golden/README.md: A10's third month at the bottom.
    assert_eq!(text(&e["action"]), "stop_settlement");
    assert_eq!(text(&e["bottom_streak"]), "3");
    assert_eq!(e["stop_reasons"], serde_json::json!(["BOTTOM_STREAK"]));
    let formula = e["kpis"]["delivery"]["formula"].as_str().unwrap();
    assert!(formula.starts_with("10000 × on time div due") || formula == "no delivery due: 10000");
    let text_out = w
        .settle(&["explain", "--period", "2026-10", "--partner", "A10"])
        .expect(0)
        .stdout();
    assert!(text_out.contains("信用积分 credit"), "{text_out}");
    assert!(text_out.contains("stop_settlement"), "{text_out}");
}

#[test]
fn explain_refuses_an_unpublished_period_an_unknown_partner_and_changed_inputs() {
    let w = crate::golden::golden();
    let run = w
        .settle(&["explain", "--period", "2026-11", "--partner", "A10"])
        .expect(2);
    assert!(
        run.stderr().contains("period 2026-11 is not published"),
        "{}",
        run.stderr()
    );
    let run = w
        .settle(&["explain", "--period", "2026-10", "--partner", "NOPE"])
        .expect(2);
    assert!(
        run.stderr()
            .contains("partner NOPE is not in the registry of period 2026-10"),
        "{}",
        run.stderr()
    );
    // A complaint edited after publishing: the published month is no longer
    // the one these inputs give.
    let complaints = w.path().join("inputs/2026-10/complaints.csv");
    let mut text = std::fs::read_to_string(&complaints).unwrap();
    text.push('\n');
    std::fs::write(&complaints, text).unwrap();
    let run = w
        .settle(&["explain", "--period", "2026-10", "--partner", "A10"])
        .expect(5);
    assert!(
        run.stderr().contains("input complaints") && run.stderr().contains("complaints.csv"),
        "{}",
        run.stderr()
    );
    // A deleted input is a changed input too (exit 5, not a missing table).
    std::fs::remove_file(&complaints).unwrap();
    let run = w
        .settle(&["explain", "--period", "2026-10", "--partner", "A10"])
        .expect(5);
    assert!(
        run.stderr().contains("complaints.csv is gone"),
        "{}",
        run.stderr()
    );
}
