//! The hand-worked months of fixtures/golden/README.md, end to end through
//! `settle run`: ties at every cutoff, unrated partners, fraud, SLA edges, a
//! partner climbing out of bottom and a three-month escalation.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::util::*;

pub(crate) fn golden() -> Workdir {
    let w = Workdir::new();
    w.config("utf-8", "2026-08");
    for p in ["2026-08", "2026-09", "2026-10"] {
        w.copy_month(&repo().join("fixtures/golden/periods").join(p), p);
    }
    w.settle(&["run", "--period", "2026-10"]).expect(0);
    w
}

fn dataset(w: &Workdir, name: &str, period: &str) -> DataFrame {
    read_parquet(
        &w.path()
            .join(format!("out/{name}/period={period}/part-0.parquet")),
    )
}

/// partner_id → (tier, monthly, credit, rank, bottom_streak, action).
type ScoreRow = (
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    i64,
    Option<String>,
);

fn ints(df: &DataFrame, name: &str) -> Vec<Option<i64>> {
    df.column(name)
        .unwrap()
        .cast(&DataType::Int64)
        .unwrap()
        .i64()
        .unwrap()
        .iter()
        .collect()
}

fn scores(w: &Workdir, period: &str) -> BTreeMap<String, ScoreRow> {
    let df = dataset(w, "scores", period);
    let ids = strings(&df, "partner_id");
    let tier = strings(&df, "tier");
    let (m, c, r, s) = (
        ints(&df, "monthly_score"),
        ints(&df, "credit_score"),
        ints(&df, "rank"),
        ints(&df, "bottom_streak"),
    );
    let action = strings(&df, "action");
    (0..ids.len())
        .map(|i| {
            let a = (action[i] != "<null>").then(|| action[i].clone());
            (
                ids[i].clone(),
                (tier[i].clone(), m[i], c[i], r[i], s[i].unwrap(), a),
            )
        })
        .collect()
}

fn row(
    tier: &str,
    monthly: i64,
    credit: i64,
    rank: i64,
    streak: i64,
    action: Option<&str>,
) -> ScoreRow {
    (
        tier.into(),
        Some(monthly),
        Some(credit),
        Some(rank),
        streak,
        action.map(str::to_string),
    )
}

fn unrated(credit: Option<i64>, streak: i64) -> ScoreRow {
    ("unrated".into(), None, credit, None, streak, None)
}

/// partner_id, component, category → (amount, status) as published text.
fn ledger(w: &Workdir, period: &str) -> BTreeMap<(String, String, String), (String, String)> {
    let df = dataset(w, "ledger", period);
    let (ids, comp, cat, amount, status) = (
        strings(&df, "partner_id"),
        strings(&df, "component"),
        strings(&df, "category"),
        strings(&df, "amount"),
        strings(&df, "status"),
    );
    (0..ids.len())
        .map(|i| {
            (
                (ids[i].clone(), comp[i].clone(), cat[i].clone()),
                (amount[i].clone(), status[i].clone()),
            )
        })
        .collect()
}

fn line(
    l: &BTreeMap<(String, String, String), (String, String)>,
    id: &str,
    comp: &str,
    cat: &str,
) -> (String, String) {
    l.get(&(id.to_string(), comp.to_string(), cat.to_string()))
        .cloned()
        .unwrap_or_else(|| panic!("no line {id} {comp} {cat}"))
}

fn stop_list(w: &Workdir, period: &str) -> Vec<(String, String, String)> {
    let df = dataset(w, "settlement_stop", period);
    let (ids, reasons, withheld) = (
        strings(&df, "partner_id"),
        strings(&df, "reasons"),
        strings(&df, "withheld"),
    );
    (0..ids.len())
        .map(|i| (ids[i].clone(), reasons[i].clone(), withheld[i].clone()))
        .collect()
}

fn own(v: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    v.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

#[test]
fn three_golden_months() {
    let w = golden();

    // ---- 2026-08
    let s = scores(&w, "2026-08");
    let expect_aug: [(&str, ScoreRow); 24] = [
        ("A01", row("gold", 9555, 9555, 1, 0, None)),
        ("A02", row("gold", 9555, 9555, 1, 0, None)),
        ("A03", row("silver", 8666, 8666, 3, 0, None)),
        ("A04", row("silver", 8666, 8666, 3, 0, None)),
        ("A05", row("standard", 8222, 8222, 5, 0, None)),
        ("A06", row("standard", 7777, 7777, 6, 0, None)),
        ("A07", row("standard", 7333, 7333, 7, 0, None)),
        ("A08", row("standard", 6888, 6888, 8, 0, None)),
        ("A09", row("standard", 6444, 6444, 9, 0, None)),
        ("A10", row("bottom", 6000, 6000, 10, 1, Some("notice"))),
        ("A11", unrated(None, 0)),
        ("A12", unrated(None, 0)),
        ("A13", unrated(None, 0)),
        ("S01", row("gold", 10000, 10000, 1, 0, None)),
        ("S02", row("silver", 9666, 9666, 2, 0, None)),
        ("S03", row("silver", 9333, 9333, 3, 0, None)),
        ("S04", row("standard", 8999, 8999, 4, 0, None)),
        ("S05", row("standard", 8666, 8666, 5, 0, None)),
        ("S06", row("standard", 8333, 8333, 6, 0, None)),
        ("S07", row("standard", 7999, 7999, 7, 0, None)),
        ("S08", row("standard", 7666, 7666, 8, 0, None)),
        ("S09", row("standard", 7333, 7333, 9, 0, None)),
        ("S10", row("bottom", 7000, 7000, 10, 1, Some("notice"))),
        ("S11", unrated(None, 0)),
    ];
    for (id, want) in &expect_aug {
        assert_eq!(&s[*id], want, "2026-08 {id}");
    }
    assert_eq!(s.len(), 24);

    let l = ledger(&w, "2026-08");
    let pay = |a: &str| (a.to_string(), "payable".to_string());
    assert_eq!(line(&l, "A01", "sa_base", "basic_access"), pay("30.00"));
    assert_eq!(line(&l, "A01", "sa_sales", "basic_access"), pay("40.00"));
    assert_eq!(line(&l, "A01", "sa_reward", "<null>"), pay("7.00"));
    assert_eq!(line(&l, "A01", "sa_service", "<null>"), pay("2.00"));
    assert_eq!(line(&l, "A02", "sa_reward", "<null>"), pay("3.00"));
    assert_eq!(line(&l, "A03", "sa_reward", "<null>"), pay("1.20"));
    assert_eq!(line(&l, "A09", "sa_base", "basic_access"), pay("6.02"));
    assert_eq!(
        line(&l, "A13", "complaint_deduction", "<null>"),
        pay("-50.00")
    );
    assert_eq!(
        line(&l, "S01", "si_revenue_share", "industry_info"),
        pay("3600.00")
    );
    assert_eq!(
        line(&l, "S02", "si_revenue_share", "industry_info"),
        pay("2840.00")
    );
    assert_eq!(
        line(&l, "S04", "si_revenue_share", "industry_info"),
        pay("1750.00")
    );
    assert_eq!(
        line(&l, "S10", "si_revenue_share", "industry_info"),
        pay("350.01")
    );
    let withheld = |a: &str| (a.to_string(), "withheld".to_string());
    assert_eq!(line(&l, "A12", "sa_base", "basic_access"), withheld("3.00"));
    assert_eq!(
        line(&l, "S11", "si_revenue_share", "industry_info"),
        withheld("70.00")
    );
    // A02's delivery was cancelled, A05 is standard: no sales or reward lines;
    // A11 had no activity: no line at all.
    assert!(!l.keys().any(|k| (k.0 == "A02" && k.1 == "sa_sales")
        || (k.0 == "A05" && k.1 == "sa_reward")
        || k.0 == "A11"));
    // 10 SA base + A12 base, 1 sales, 11 service, 4 rewards, 1 deduction, 11 SI lines.
    assert_eq!(l.len(), 11 + 1 + 11 + 4 + 1 + 11);
    assert_eq!(
        stop_list(&w, "2026-08"),
        own(&[("A12", "SUSPENDED", "5.00"), ("S11", "TERMINATED", "70.00")])
    );
    assert_eq!(
        strings(&dataset(&w, "sanctions", "2026-08"), "partner_id"),
        vec!["A10", "S10"]
    );

    let payouts = dataset(&w, "payouts", "2026-08");
    let at = strings(&payouts, "partner_id")
        .iter()
        .position(|p| p == "A13")
        .unwrap();
    assert_eq!(
        (
            strings(&payouts, "gross")[at].as_str(),
            strings(&payouts, "deductions")[at].as_str(),
            strings(&payouts, "net")[at].as_str()
        ),
        ("0.00", "-50.00", "-50.00")
    );

    // ---- 2026-09
    let s = scores(&w, "2026-09");
    assert_eq!(
        s["A10"],
        row("bottom", 6000, 6000, 10, 2, Some("stop_new_business"))
    );
    assert_eq!(s["A01"], row("gold", 9555, 9555, 1, 0, None));
    assert_eq!(
        s["A12"],
        unrated(None, 0),
        "fraud leaves an unrated partner's credit and streak alone"
    );
    assert_eq!(s["S01"], row("silver", 9250, 9625, 2, 0, None));
    assert_eq!(s["S02"], row("gold", 9666, 9666, 1, 0, None));
    assert_eq!(s["S09"], row("standard", 7000, 7166, 9, 0, None));
    assert_eq!(
        s["S10"],
        row("standard", 7333, 7166, 9, 0, None),
        "climbs from bottom to standard"
    );
    let scores_sep = dataset(&w, "scores", "2026-09");
    let at = strings(&scores_sep, "partner_id")
        .iter()
        .position(|p| p == "S01")
        .unwrap();
    assert_eq!(
        ints(&scores_sep, "response_kpi")[at],
        Some(5000),
        "24 h exactly is within, 8 h 1 s is late"
    );
    let l = ledger(&w, "2026-09");
    assert_eq!(
        line(&l, "S01", "si_revenue_share", "industry_info"),
        pay("3550.00")
    );
    assert_eq!(
        line(&l, "S02", "si_revenue_share", "industry_info"),
        pay("2880.00")
    );
    assert_eq!(
        line(&l, "S10", "si_revenue_share", "industry_info"),
        pay("630.00")
    );
    assert_eq!(
        line(&l, "A12", "complaint_deduction", "<null>"),
        withheld("-200.00")
    );
    assert!(
        !l.contains_key(&("A12".into(), "sa_service".into(), "<null>".into())),
        "response 0 earns no service fee"
    );
    assert_eq!(
        stop_list(&w, "2026-09"),
        own(&[
            ("A12", "FRAUD;SUSPENDED", "-197.00"),
            ("S11", "TERMINATED", "70.00")
        ])
    );
    assert_eq!(
        strings(&dataset(&w, "sanctions", "2026-09"), "action"),
        vec!["stop_new_business"]
    );

    // ---- 2026-10
    let s = scores(&w, "2026-10");
    assert_eq!(
        s["A10"],
        row("bottom", 6000, 6000, 10, 3, Some("stop_settlement"))
    );
    assert_eq!(s["S05"], row("bottom", 0, 0, 10, 1, Some("notice")));
    assert_eq!(s["S01"], row("gold", 10000, 9812, 1, 0, None));
    assert_eq!(s["S09"], row("standard", 7000, 7083, 9, 0, None));
    assert_eq!(s["S10"], row("standard", 7333, 7249, 8, 0, None));
    let l = ledger(&w, "2026-10");
    assert_eq!(line(&l, "A10", "sa_base", "basic_access"), withheld("3.00"));
    assert_eq!(
        line(&l, "S05", "si_revenue_share", "industry_info"),
        withheld("1400.00")
    );
    assert_eq!(
        stop_list(&w, "2026-10"),
        own(&[
            ("A10", "BOTTOM_STREAK", "5.00"),
            ("A12", "SUSPENDED", "5.00"),
            ("S05", "FRAUD", "1400.00"),
            ("S11", "TERMINATED", "70.00")
        ])
    );
    let sanctions = dataset(&w, "sanctions", "2026-10");
    assert_eq!(strings(&sanctions, "partner_id"), vec!["A10", "S05"]);
    assert_eq!(ints(&sanctions, "credit_score"), vec![Some(6000), Some(0)]);
    assert_eq!(
        strings(&sanctions, "action"),
        vec!["stop_settlement", "notice"]
    );
}
