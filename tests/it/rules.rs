//! Each compute rule on a small hand-made frame.
//!
//! Every expected value below is worked out by hand from SPEC §1, §3–§5 and
//! §7 with the reference policy `pipelines/policies/2026-01.toml` (SPEC §9);
//! the working is in the comment beside it. Money is in fen, KPIs and scores
//! in basis points. The period is 2026-03 throughout (start 03-01, end 03-31).

use chrono::{NaiveDate, NaiveDateTime};
use partner_settle::compute::{
    self, Previous, Settlement, activity, adjust, balances, channel, kpi, ledger, score, tiers,
};
use partner_settle::ingest::{Month, UsageTotals, empty_table, tables};
use partner_settle::period::Period;
use partner_settle::policy::{self, Policy};
use polars::prelude::*;

use crate::util::{repo, rows_of};

// ---------------------------------------------------------------- helpers

/// A frame from a header and comma-separated rows. The header names the
/// columns, each `name` (text) or `name:int`, `name:bool`, `name:date`
/// (`YYYY-MM-DD`) or `name:time` (`YYYY-MM-DD HH:MM:SS`, as ingest types
/// date-times: Datetime in ms). An empty field is null.
fn table(header: &str, rows: &[&str]) -> DataFrame {
    let cells: Vec<Vec<&str>> = rows.iter().map(|r| r.split(',').collect()).collect();
    let columns = header
        .split(',')
        .enumerate()
        .map(|(i, spec)| {
            let (name, ty) = spec.split_once(':').unwrap_or((spec, "str"));
            let values: Vec<Option<&str>> = cells
                .iter()
                .map(|r| Some(r[i]).filter(|v| !v.is_empty()))
                .collect();
            let name = name.into();
            match ty {
                "str" => Column::new(name, values),
                "int" => Column::new(name, parsed(&values, |v| v.parse::<i64>().unwrap())),
                "bool" => Column::new(name, parsed(&values, |v| v == "true")),
                "date" => Column::new(name, parsed(&values, days))
                    .cast(&DataType::Date)
                    .unwrap(),
                "time" => Column::new(name, parsed(&values, millis))
                    .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
                    .unwrap(),
                _ => panic!("unknown column type {ty}"),
            }
        })
        .collect();
    DataFrame::new_infer_height(columns).unwrap()
}

fn parsed<T>(values: &[Option<&str>], f: impl Fn(&str) -> T) -> Vec<Option<T>> {
    values.iter().map(|v| v.map(&f)).collect()
}

fn days(text: &str) -> i32 {
    let d = NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32
}

fn millis(text: &str) -> i64 {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

fn period() -> Period {
    Period::new(2026, 3).unwrap()
}

/// The reference policy, as in force for 2026-03.
fn reference() -> Policy {
    policy::in_force(&repo().join("pipelines/policies"), period())
        .unwrap()
        .policy
}

/// Adds `exprs` to `df` and returns each row of `columns` as text.
fn eval(df: DataFrame, exprs: Vec<Expr>, columns: &[&str]) -> Vec<String> {
    let out = df.lazy().with_columns(exprs).collect().unwrap();
    rows_of(&out, columns)
}

/// A month from its accepted rows, as ingest hands it to compute.
/// partners: `id,type,province,status,admitted_on`;
/// usage: `partner,customer,product,amount_fen`;
/// complaints: `partner,customer,opened_at,first_response_at,severity,category,upheld`;
/// deliveries: `partner,customer,product,amount_fen,promised_on,delivered_on,status`.
fn month(partners: &[&str], usage: &[&str], complaints: &[&str], deliveries: &[&str]) -> Month {
    let partners = table(
        "partner_id,partner_type,province,status,admitted_on:date",
        partners,
    )
    .lazy()
    .with_columns([
        lit(0i64).alias("line"),
        lit("合作伙伴").alias("name"),
        // The Part II columns, absent from these months: empty.
        lit(NULL).cast(DataType::Date).alias("business_stop_on"),
        lit(NULL).cast(DataType::Date).alias("terminated_on"),
        lit("").alias("sa_kind"),
    ])
    .collect()
    .unwrap();
    let usage = table("partner_id,customer_id,product_code,amount:int", usage);
    Month {
        period: period(),
        partners,
        usage: UsageTotals::of_rows(usage.lazy(), None).unwrap(),
        registrations: empty_table(&tables::REGISTRATIONS),
        key_accounts: empty_table(&tables::KEY_ACCOUNTS),
        handovers: empty_table(&tables::HANDOVERS),
        complaints: table(
            "partner_id,customer_id,opened_at:time,first_response_at:time,severity,category,upheld:bool",
            complaints,
        ),
        deliveries: table(
            "partner_id,customer_id,product_code,amount:int,promised_on:date,delivered_on:date,status",
            deliveries,
        )
        .lazy()
        // Part II's cancelled_on, absent from these months: empty.
        .with_column(lit(NULL).cast(DataType::Date).alias("cancelled_on"))
        .collect()
        .unwrap(),
        rejects: DataFrame::empty(),
        inputs: vec![],
    }
}

/// The state carried from the previous period: `partner,credit,bottom_streak`.
fn previous(rows: &[&str]) -> Previous {
    Previous {
        state: table("partner_id,credit_score:int,bottom_streak:int", rows),
        balances: Previous::no_balances(),
    }
}

// ---------------------------------------------------------------- KPIs (§3)

#[test]
fn revenue_kpi_counts_strictly_smaller_and_a_pool_of_one_is_full() {
    let df = table(
        "partner_id,pool,revenue_fen:int",
        &["P1,a,100", "P2,a,200", "P3,a,200", "P4,a,50", "Q1,b,700"],
    );
    let df = df
        .lazy()
        .with_column(kpi::revenue_below(&[col("pool")]).alias(kpi::REVENUE_BELOW))
        .collect()
        .unwrap();
    let got = eval(
        df,
        vec![kpi::revenue(&[col("pool")]).alias("kpi")],
        &["partner_id", kpi::REVENUE_BELOW, "kpi"],
    );
    assert_eq!(
        got,
        [
            "P1 1 3333",  // pool a, n = 4; lower = 1 (P4): 10000 * 1 div 3 = 3333
            "P2 2 6666",  // lower = 2 (P1, P4; P3 ties, not smaller): 20000 div 3 = 6666
            "P3 2 6666",  // tied with P2: same lower = 2, same 6666
            "P4 0 0",     // nobody strictly smaller: 10000 * 0 div 3 = 0
            "Q1 0 10000", // pool b, n = 1: 10000
        ]
    );
}

#[test]
fn delivery_kpi_is_full_when_nothing_is_due() {
    let df = table(
        "partner_id,due:int,on_time:int",
        &["D1,0,0", "D2,3,2", "D3,3,0", "D4,1,1"],
    );
    let got = eval(
        df,
        vec![kpi::delivery().alias("kpi")],
        &["partner_id", "kpi"],
    );
    assert_eq!(
        got,
        [
            "D1 10000", // due = 0: 10000
            "D2 6666",  // 10000 * 2 div 3 = 6666
            "D3 0",     // 10000 * 0 div 3 = 0
            "D4 10000", // 10000 * 1 div 1 = 10000
        ]
    );
}

#[test]
fn complaint_kpi_floors_at_zero_and_counts_no_customers_as_one() {
    let df = table(
        "partner_id,upheld:int,customers:int",
        &[
            "C1,0,5", "C2,1,100", "C3,1,300", "C4,1,0", "C5,2,100", "C6,3,100",
        ],
    );
    let got = eval(
        df,
        vec![kpi::complaints(200).alias("kpi")],
        &["partner_id", "kpi"],
    );
    assert_eq!(
        got,
        [
            "C1 10000", // no upheld: 10000 - 0 = 10000
            "C2 5000",  // 10000 - 1 * 10^8 div (100 * 200) = 10000 - 5000
            "C3 8334",  // 10000 - 10^8 div 60000 = 10000 - 1666 = 8334
            "C4 0",     // customers 0 → 1: 10000 - 10^8 div 200 = 10000 - 500000 → max 0
            "C5 0",     // 10000 - 2 * 10^8 div 20000 = 10000 - 10000 = 0 exactly
            "C6 0",     // 10000 - 3 * 10^8 div 20000 = 10000 - 15000 → max 0
        ]
    );
}

#[test]
fn response_kpi_is_full_without_complaints() {
    let df = table(
        "partner_id,complaint_rows:int,within_sla:int",
        &["R1,0,0", "R2,3,1", "R3,2,0", "R4,4,4"],
    );
    let got = eval(
        df,
        vec![kpi::response().alias("kpi")],
        &["partner_id", "kpi"],
    );
    assert_eq!(
        got,
        [
            "R1 10000", // total = 0: 10000
            "R2 3333",  // 10000 * 1 div 3 = 3333
            "R3 0",     // 10000 * 0 div 2 = 0
            "R4 10000", // 10000 * 4 div 4 = 10000
        ]
    );
}

#[test]
fn activity_counts_due_on_time_and_sla_limits() {
    let m = month(
        &["X,SA,GD,active,2025-01-01", "Y,SA,GD,active,2025-01-01"],
        &["X,C1,VNET,100", "X,C2,VNET,100", "Y,C3,VNET,100"],
        &[
            // major SLA 8 h: answered after exactly 8 h → within
            "X,C1,2026-03-05 08:00:00,2026-03-05 16:00:00,major,service,true",
            // major, 8 h and 1 s → late
            "X,C1,2026-03-05 08:00:00,2026-03-05 16:00:01,major,quality,false",
            // critical SLA 2 h: exactly 2 h → within
            "X,C2,2026-03-06 10:00:00,2026-03-06 12:00:00,critical,billing,true",
            // never answered → late
            "X,C2,2026-03-07 10:00:00,,minor,service,true",
            // minor SLA 24 h: 23:59:59 → within
            "X,C2,2026-03-08 10:00:00,2026-03-09 09:59:59,minor,service,false",
        ],
        &[
            // promised in March, delivered the same day → due, on time
            "X,C1,VNET,100,2026-03-10,2026-03-10,delivered",
            // delivered a day late → due, not on time
            "X,C1,VNET,100,2026-03-10,2026-03-11,delivered",
            // pending → due, not on time
            "X,C1,VNET,100,2026-03-20,,pending",
            // cancelled → not due
            "X,C1,VNET,100,2026-03-15,,cancelled",
            // promised in February (in scope by delivered_on) → not due
            "X,C1,VNET,100,2026-02-25,2026-03-02,delivered",
        ],
    );
    let out = activity::partner_activity(&m, &reference())
        .with_columns([
            kpi::delivery().alias("delivery_kpi"),
            kpi::response().alias("response_kpi"),
            kpi::complaints(200).alias("complaint_kpi"),
        ])
        .sort(["partner_id"], SortMultipleOptions::default())
        .collect()
        .unwrap();
    let got = rows_of(
        &out,
        &[
            "partner_id",
            "customers",
            "due",
            "on_time",
            "delivery_kpi",
            "complaint_rows",
            "within_sla",
            "response_kpi",
            "upheld",
            "penalty_bp",
            "deduction_fen",
            "fraud",
            "complaint_kpi",
        ],
    );
    assert_eq!(
        got,
        [
            // customers C1, C2 = 2; due 3 (first three), on time 1 (the
            // first): 10000 * 1 div 3 = 3333; 5 complaints, 3 within (exactly
            // 8 h, exactly 2 h, 23:59:59): 10000 * 3 div 5 = 6000; upheld 3
            // (major, critical, minor): penalty 200 + 500 + 0 = 700,
            // deduction 5000 + 20000 + 0 = 25000; no fraud; complaint KPI
            // 10000 - 3 * 10^8 div (2 * 200) = 10000 - 750000 → max 0
            "X 2 3 1 3333 5 3 6000 3 700 25000 false 0",
            // nothing due, no complaints: 10000 each
            "Y 1 0 0 10000 0 0 10000 0 0 0 false 10000",
        ]
    );
}

// ------------------------------------------------- monthly score and credit (§3)

#[test]
fn monthly_score_and_credit_carry_over_with_alpha_fraud_and_unrated() {
    // Activity as partner_activity hands it over, made by hand.
    let activity = table(
        "partner_id,partner_type,province,status,admitted_on:date,revenue_fen:int,\
         customers:int,usage_rows:int,delivery_rows:int,due:int,on_time:int,\
         complaint_rows:int,within_sla:int,upheld:int,penalty_bp:int,deduction_fen:int,fraud:bool",
        &[
            "A1,SA,GD,active,2025-01-01,30000,2,2,1,1,1,0,0,0,0,0,false",
            // admitted on `end`: still rated
            "A2,SA,GD,active,2026-03-31,10000,1,1,2,2,1,2,1,1,200,5000,false",
            "A3,SA,GD,active,2025-01-01,20000,1,1,0,0,0,1,1,1,500,20000,true",
            // suspended: unrated, so its revenue is in no pool
            "A4,SA,GD,suspended,2025-01-01,99999,1,1,0,0,0,1,0,1,500,20000,true",
            // admitted after `end`: unrated
            "A5,SA,GD,active,2026-04-01,40000,1,1,0,0,0,0,0,0,0,0,false",
            // only a complaint, no usage or delivery: unrated
            "A6,SA,GD,active,2025-01-01,0,0,0,0,0,0,1,1,0,0,0,false",
            // rated by a delivery alone; 10 upheld critical complaints
            "I1,SI,GD,active,2025-01-01,0,0,0,1,1,0,10,10,10,5000,200000,false",
        ],
    );
    let prev = previous(&[
        "A1,6000,2",
        "A2,3001,0",
        "A3,9000,0",
        "A4,4000,3",
        "A6,7000,1",
        "I1,3000,0",
    ]);
    let out = score::scores(activity.lazy(), &reference(), period(), prev.state.lazy())
        .collect()
        .unwrap();
    let got = rows_of(
        &out,
        &[
            "partner_id",
            "rated",
            "revenue_kpi",
            "delivery_kpi",
            "complaint_kpi",
            "response_kpi",
            "monthly_score",
            "credit_score",
        ],
    );
    assert_eq!(
        got,
        [
            // Rated SA pool: A1, A2, A3 (n = 3). A1: lower 2 → 10000 * 2 div
            // 2 = 10000; 1 of 1 due on time → 10000; no complaint → 10000,
            // 10000; monthly = (40 + 20 + 25 + 15) * 10000 div 100 = 10000;
            // credit = (50 * 10000 + 50 * 6000) div 100 = 8000
            "A1 true 10000 10000 10000 10000 10000 8000",
            // lower 0 → 0; delivery 10000 * 1 div 2 = 5000; complaint
            // 10000 - 10^8 div 200 → 0; response 10000 * 1 div 2 = 5000;
            // monthly (40*0 + 20*5000 + 25*0 + 15*5000) div 100 = 1750,
            // - 200 (major) = 1550; credit (50*1550 + 50*3001) div 100 =
            // 227550 div 100 = 2275
            "A2 true 0 5000 0 5000 1550 2275",
            // lower 1 (A2) → 10000 * 1 div 2 = 5000; nothing due → 10000;
            // complaint 10000 - 10^8 div 200 → 0; 1 of 1 within → 10000;
            // upheld fraud: monthly 0 and credit 0 (previous 9000 ignored)
            "A3 true 5000 10000 0 10000 0 0",
            // unrated: revenue KPI and monthly null; delivery 10000 (none
            // due), complaint 0, response 10000 * 0 div 1 = 0; credit 4000
            // carried even with a fraud complaint
            "A4 false <null> 10000 0 0 <null> 4000",
            // unrated, no history → credit null
            "A5 false <null> 10000 10000 10000 <null> <null>",
            // unrated; complaint 10000 - 0 = 10000, response 10000 * 1 div 1;
            // credit 7000 carried
            "A6 false <null> 10000 10000 10000 <null> 7000",
            // SI pool n = 1 → 10000; 0 of 1 on time → 0; complaint
            // 10000 - 10 * 10^8 div 200 → 0; 10 of 10 within → 10000; monthly
            // (30*10000 + 30*0 + 25*0 + 15*10000) div 100 = 4500, - 10 * 500
            // = -500 → max 0; credit (50*0 + 50*3000) div 100 = 1500
            "I1 true 10000 0 0 10000 0 1500",
        ]
    );
}

// ------------------------------------------------------- tiers and escalation (§4)

/// Scored partners through rank_and_tier: rows `id,type,rated,credit,prev_streak`.
fn tiered(rows: &[&str]) -> DataFrame {
    let scored = table(
        "partner_id,partner_type,rated:bool,credit_score:int,prev_streak:int",
        rows,
    )
    .lazy()
    .with_column(lit("GD").alias("province"));
    tiers::rank_and_tier(scored, &reference())
        .collect()
        .unwrap()
}

#[test]
fn rank_ties_share_the_better_rank_and_tier_cutoffs_are_exact() {
    // n = 10: gold if rank <= ceil_pct(10, 10) = (100 + 99) div 100 = 1;
    // silver if rank <= ceil_pct(10, 30) = (300 + 99) div 100 = 3;
    // bottom if rank > 10 - floor_pct(10, 10) = 10 - 1 = 9.
    let out = tiered(&[
        "P01,SA,true,9000,0",
        "P02,SA,true,8000,0",
        "P03,SA,true,7000,0",
        "P04,SA,true,7000,0",
        "P05,SA,true,6000,0",
        "P06,SA,true,6000,0",
        "P07,SA,true,5000,0",
        "P08,SA,true,4000,0",
        "P09,SA,true,3000,0",
        "P10,SA,true,2999,0",
        "S01,SI,true,9999,0",
        "S02,SI,true,9999,0",
        "S03,SI,true,9000,0",
        "S04,SI,true,8000,0",
        "S05,SI,true,7000,0",
        "S06,SI,true,6000,0",
        "S07,SI,true,5000,0",
        "S08,SI,true,4000,0",
        "S09,SI,true,100,0",
        "S10,SI,true,100,0",
        "U1,SA,false,10000,0",
        "U2,SA,false,,0",
    ]);
    let got = rows_of(&out, &["partner_id", "pool_size", "rank", "tier"]);
    assert_eq!(
        got,
        [
            "P01 10 1 gold",     // rank 1 <= 1
            "P02 10 2 silver",   // rank 2: > 1, <= 3
            "P03 10 3 silver",   // tied at the silver cut: both rank 3 <= 3
            "P04 10 3 silver",   //   (the tie falls on the better side)
            "P05 10 5 standard", // 4 partners higher → rank 5
            "P06 10 5 standard", // tied: rank 5
            "P07 10 7 standard", // 6 higher
            "P08 10 8 standard", // 7 higher
            "P09 10 9 standard", // rank 9 is not > 9
            "P10 10 10 bottom",  // rank 10 > 9
            "S01 10 1 gold",     // tied at the gold cut: both rank 1
            "S02 10 1 gold",     //
            "S03 10 3 silver",   // two higher → rank 3 <= 3
            "S04 10 4 standard", // rank 4 > 3
            "S05 10 5 standard",
            "S06 10 6 standard",
            "S07 10 7 standard",
            "S08 10 8 standard",
            "S09 10 9 standard",        // tied at rank 9: not > 9, so the SI
            "S10 10 9 standard",        //   pool has no bottom
            "U1 <null> <null> unrated", // not in the SA pool (its n stays 10)
            "U2 <null> <null> unrated", // never rated
        ]
    );
}

#[test]
fn streak_ladder_notice_stop_new_business_stop_settlement() {
    // One SA pool of ten: O1..O8 at 9000, 8000, ..., 2000, R at 1000 and Z.
    // Z rated at 500 ranks 10 > 10 - floor_pct(10, 10) = 9 → bottom. R
    // carries a streak of 4; U is unrated and carries 3. Z's streak is
    // carried from month to month. Returns (Z, R, U) as "tier streak action".
    let month_of = |z: &str| {
        let mut rows: Vec<String> = (1..=8)
            .map(|i| format!("O{i},SA,true,{},0", 10000 - 1000 * i))
            .collect();
        rows.extend(["R,SA,true,1000,4".into(), "U,SA,false,1234,3".into()]);
        rows.push(format!("Z,SA,{z}"));
        let out = tiered(&rows.iter().map(String::as_str).collect::<Vec<_>>());
        let all = rows_of(&out, &["partner_id", "tier", "bottom_streak", "action"]);
        let get = |id: &str| {
            let row = all.iter().find(|r| r.starts_with(&format!("{id} ")));
            row.unwrap()[id.len() + 1..].to_string()
        };
        (get("Z"), get("R"), get("U"))
    };

    // Month 1: Z bottom, carried 0 → 0 + 1 = 1 → notice. R ranks 9, not
    // > 9 → standard, its 4 resets to 0, no action. U unrated keeps 3 →
    // stop_settlement.
    let (z, r, u) = month_of("true,500,0");
    assert_eq!(z, "bottom 1 notice");
    assert_eq!(r, "standard 0 <null>");
    assert_eq!(u, "unrated 3 stop_settlement");
    // Month 2: bottom again, 1 + 1 = 2 → stop_new_business.
    assert_eq!(month_of("true,500,1").0, "bottom 2 stop_new_business");
    // Month 3: Z unrated: streak 2 unchanged, and so is its action.
    assert_eq!(month_of("false,500,2").0, "unrated 2 stop_new_business");
    // Month 4: bottom, 2 + 1 = 3 → stop_settlement.
    assert_eq!(month_of("true,500,2").0, "bottom 3 stop_settlement");
    // Month 5: bottom, 3 + 1 = 4 → still stop_settlement.
    assert_eq!(month_of("true,500,3").0, "bottom 4 stop_settlement");
    // Month 6: Z at 10000 ranks 1 <= ceil_pct(10, 10) = 1 → gold: the
    // streak resets to 0, no action.
    assert_eq!(month_of("true,10000,4").0, "gold 0 <null>");
}

// ---------------------------------------------------------------- ledger (§5)

#[test]
fn ledger_lines_rates_and_half_up_rounding() {
    let m = month(
        // Sales read the registry's partner types; `scored` carries the rest.
        &[
            "A1,SA,GD,active,2025-01-01",
            "A2,SA,GD,active,2025-01-01",
            "A3,SA,GD,active,2025-01-01",
            "A4,SA,BJ,suspended,2025-01-01",
            "I1,SI,GD,active,2025-01-01",
            "I2,SI,GD,active,2025-01-01",
            "I3,SI,BJ,active,2025-01-01",
            "I4,SI,BJ,terminated,2025-01-01",
        ],
        &[
            "A1,C1,VNET,20050",
            "A1,C2,EMAIL,3333",
            "A2,C4,XXT,10010",
            "A3,C5,VNET,1000",
            "A4,C6,PUSHMAIL,10000",
            "I1,C7,MAS,10001",
            "I1,C7,XXT,10001",
            "I1,C8,VNET,9999",
            "I2,C9,EMAIL,10000",
            "I2,C9,DEVPROJ,25",
            "I3,C10,VNET,10001",
            "I4,C11,MAS,1000",
        ],
        &[],
        &[
            "A1,C1,MAS,50000,2026-03-10,2026-03-10,delivered",
            // delivered in February: no sales in March
            "A1,C1,VNET,70000,2026-03-02,2026-02-27,delivered",
            "A1,C2,EMAIL,90000,2026-03-20,,pending",
            "A1,C2,EMAIL,80000,2026-03-15,,cancelled",
            "A2,C4,DEVPROJ,1010,2026-03-05,2026-03-06,delivered",
            // late, but delivered in March: earns sales commission
            "A3,C5,CRBT,10000,2026-03-01,2026-03-05,delivered",
            // SI deliveries earn nothing
            "I1,C7,MAS,500000,2026-03-10,2026-03-09,delivered",
        ],
    );
    // The partner frame the ledger reads (stop_reasons "" when none).
    let scored = table(
        "partner_id,partner_type,province,tier,response_kpi:int,customers:int,\
         upheld:int,deduction_fen:int,stop_reasons",
        &[
            "A1,SA,GD,gold,6625,3,1,5000,",
            "A2,SA,GD,silver,3325,1,2,0,",
            "A3,SA,GD,standard,0,1,0,0,",
            "A4,SA,BJ,unrated,10000,2,0,0,SUSPENDED",
            "I1,SI,GD,gold,10000,2,0,0,",
            "I2,SI,GD,silver,10000,1,0,0,",
            "I3,SI,BJ,standard,10000,1,0,0,",
            "I4,SI,BJ,unrated,10000,1,1,20000,TERMINATED",
        ],
    )
    .lazy()
    .with_columns([
        col("stop_reasons").fill_null(lit("")),
        // Nothing is held in this month: every customer is a paid one.
        col("customers").alias("paid_customers"),
        // No revenue bands in the reference policy: revenue plays no part.
        lit(0i64).alias("revenue_fen"),
    ]);
    let sales = channel::sales(&m, &reference()).unwrap();
    let rows = ledger::MoneyRows {
        sales,
        clawbacks: channel::clawbacks(&m, &reference()).unwrap(),
        opening: balances::opening(Previous::no_balances().lazy()),
    };
    let out = ledger::ledger(&m, &reference(), scored, rows)
        .collect()
        .unwrap();
    let got = rows_of(
        &out,
        &[
            "partner_id",
            "component",
            "category",
            "quantity",
            "basis",
            "rate_bp",
            "amount",
            "tier",
            "status",
        ],
    );
    assert_eq!(
        got,
        [
            // 1 upheld major: -5000
            "A1 complaint_deduction <null> 1 0 <null> -5000 gold payable",
            // (20050 * 300 + 5000) div 10000 = 6020000 div 10000 = 602 (6.015 → 6.02)
            "A1 sa_base basic_access <null> 20050 300 602 gold payable",
            // (3333 * 600 + 5000) div 10000 = 2004800 div 10000 = 200
            "A1 sa_base platform_app <null> 3333 600 200 gold payable",
            // basis 602 + 200 + 5000 = 5802; (5802 * 1000 + 5000) div 10000 = 580
            "A1 sa_reward <null> <null> 5802 1000 580 gold payable",
            // only the MAS order delivered in March: (50000 * 1000 + 5000) div 10000 = 5000
            "A1 sa_sales industry_info <null> 50000 1000 5000 gold payable",
            // (3 * 200 * 6625 + 5000) div 10000 = 3980000 div 10000 = 398 (397.5 → 398)
            "A1 sa_service <null> 3 0 <null> 398 gold payable",
            // (10010 * 500 + 5000) div 10000 = 5010000 div 10000 = 501 (5.005 → 5.01)
            "A2 sa_base industry_info <null> 10010 500 501 silver payable",
            // basis 501 + 51 = 552; (552 * 500 + 5000) div 10000 = 281000 div 10000 = 28
            "A2 sa_reward <null> <null> 552 500 28 silver payable",
            // (1010 * 500 + 5000) div 10000 = 510000 div 10000 = 51 (0.505 → 0.51)
            "A2 sa_sales dev_project <null> 1010 500 51 silver payable",
            // (1 * 200 * 3325 + 5000) div 10000 = 670000 div 10000 = 67 (66.5 → 67);
            // its 2 upheld minor complaints deduct 0: no deduction line
            "A2 sa_service <null> 1 0 <null> 67 silver payable",
            // (1000 * 300 + 5000) div 10000 = 30; standard: reward rate 0 → no
            // line; response 0 → service 5000 div 10000 = 0 → no line
            "A3 sa_base basic_access <null> 1000 300 30 standard payable",
            // (10000 * 800 + 5000) div 10000 = 800
            "A3 sa_sales basic_access <null> 10000 800 800 standard payable",
            // (10000 * 600 + 5000) div 10000 = 600; unrated: no reward; stopped
            "A4 sa_base platform_app <null> 10000 600 600 unrated withheld",
            // (2 * 200 * 10000 + 5000) div 10000 = 400
            "A4 sa_service <null> 2 0 <null> 400 unrated withheld",
            // rate 5000 + 200 (gold) = 5200; (9999 * 5200 + 5000) div 10000 =
            // 51999800 div 10000 = 5199
            "I1 si_revenue_share basic_access <null> 9999 5200 5199 gold payable",
            // MAS + XXT summed first: 20002; rate 7000 + 200 = 7200;
            // (20002 * 7200 + 5000) div 10000 = 144019400 div 10000 = 14401
            // (rounding each row would give 7201 + 7201 = 14402)
            "I1 si_revenue_share industry_info <null> 20002 7200 14401 gold payable",
            // rate 8500 + 100 (silver) = 8600; (25 * 8600 + 5000) div 10000 =
            // 220000 div 10000 = 22 (21.5 → 22)
            "I2 si_revenue_share dev_project <null> 25 8600 22 silver payable",
            // rate 7000 + 100 = 7100; (10000 * 7100 + 5000) div 10000 = 7100
            "I2 si_revenue_share platform_app <null> 10000 7100 7100 silver payable",
            // standard: no uplift, 5000; (10001 * 5000 + 5000) div 10000 =
            // 50010000 div 10000 = 5001 (50.005 → 50.01)
            "I3 si_revenue_share basic_access <null> 10001 5000 5001 standard payable",
            // 1 upheld critical: -20000; stopped
            "I4 complaint_deduction <null> 1 0 <null> -20000 unrated withheld",
            // unrated: no uplift, 7000; (1000 * 7000 + 5000) div 10000 = 700
            "I4 si_revenue_share industry_info <null> 1000 7000 700 unrated withheld",
        ]
    );
}

// ------------------------------------- a whole month through compute::settle (§3–§5)

/// A small month settled end to end:
/// - A1 SA active: VNET 100.00 (C1).
/// - A2 SA active: VNET 50.00 (C2); an upheld critical fraud complaint
///   answered after 1 h; carried credit 6000, streak 2.
/// - A3 SA suspended: EMAIL 100.00 (C3); an upheld major fraud complaint
///   never answered; carried credit 4200, streak 1.
/// - A5 SA terminated, no activity.
/// - I1 SI terminated: MAS 10.00 (C4).
/// - I2 SI active: only an upheld major fraud complaint; carried 1000, streak 3.
/// - I3 SI active, no activity; carried 5000, streak 2.
fn settled() -> Settlement {
    let m = month(
        &[
            "A1,SA,GD,active,2025-01-01",
            "A2,SA,GD,active,2025-01-01",
            "A3,SA,BJ,suspended,2025-01-01",
            "A5,SA,BJ,terminated,2025-01-01",
            "I1,SI,BJ,terminated,2025-01-01",
            "I2,SI,GD,active,2025-01-01",
            "I3,SI,GD,active,2025-01-01",
        ],
        &[
            "A1,C1,VNET,10000",
            "A2,C2,VNET,5000",
            "A3,C3,EMAIL,10000",
            "I1,C4,MAS,1000",
        ],
        &[
            "A2,C2,2026-03-05 10:00:00,2026-03-05 11:00:00,critical,fraud,true",
            "A3,C3,2026-03-06 09:00:00,,major,fraud,true",
            "I2,C9,2026-03-07 09:00:00,2026-03-07 10:00:00,major,fraud,true",
        ],
        &[],
    );
    let prev = previous(&["A2,6000,2", "A3,4200,1", "I2,1000,3", "I3,5000,2"]);
    compute::settle(&m, &reference(), &prev).unwrap()
}

#[test]
fn settle_scores_tiers_and_streaks_of_the_month() {
    let s = settled();
    let got = rows_of(
        &s.scores,
        &[
            "partner_id",
            "rated",
            "monthly_score",
            "credit_score",
            "tier",
            "bottom_streak",
            "action",
        ],
    );
    assert_eq!(
        got,
        [
            // SA pool A1, A2 (n = 2). A1: revenue lower 1 → 10000 * 1 div 1;
            // other KPIs 10000 → monthly 10000; no history → credit 10000;
            // rank 1 <= ceil_pct(2, 10) = 119 div 100 = 1 → gold
            "A1 true 10000 10000 gold 0 <null>",
            // fraud → monthly 0, credit 0; rank 2: silver cut ceil_pct(2, 30)
            // = 159 div 100 = 1, bottom needs rank > 2 - floor_pct(2, 10) = 2
            // → standard; carried streak 2 reset to 0
            "A2 true 0 0 standard 0 <null>",
            // suspended: unrated, keeps 4200 and streak 1 → notice
            "A3 false <null> 4200 unrated 1 notice",
            // never rated: credit null, streak 0
            "A5 false <null> <null> unrated 0 <null>",
            "I1 false <null> <null> unrated 0 <null>",
            // complaint only: unrated, keeps 1000 and streak 3 → stop_settlement
            "I2 false <null> 1000 unrated 3 stop_settlement",
            // no activity: keeps 5000 and streak 2 → stop_new_business
            "I3 false <null> 5000 unrated 2 stop_new_business",
        ]
    );
}

#[test]
fn settle_ledger_lines_and_status() {
    let s = settled();
    let got = rows_of(
        &s.ledger,
        &[
            "partner_id",
            "component",
            "category",
            "quantity",
            "amount",
            "tier",
            "status",
        ],
    );
    assert_eq!(
        got,
        [
            // (10000 * 300 + 5000) div 10000 = 300
            "A1 sa_base basic_access <null> 300 gold payable",
            // gold: (300 * 1000 + 5000) div 10000 = 30
            "A1 sa_reward <null> <null> 30 gold payable",
            // (1 * 200 * 10000 + 5000) div 10000 = 200
            "A1 sa_service <null> 1 200 gold payable",
            // 1 upheld critical: -20000; FRAUD → withheld
            "A2 complaint_deduction <null> 1 -20000 standard withheld",
            // (5000 * 300 + 5000) div 10000 = 150; standard: no reward line
            "A2 sa_base basic_access <null> 150 standard withheld",
            // answered after 1 h <= 2 h: response 10000 → 200
            "A2 sa_service <null> 1 200 standard withheld",
            // 1 upheld major: -5000
            "A3 complaint_deduction <null> 1 -5000 unrated withheld",
            // (10000 * 600 + 5000) div 10000 = 600; never answered: response
            // 0 → service 0, no line
            "A3 sa_base platform_app <null> 600 unrated withheld",
            // unrated SI: 7000 bp; (1000 * 7000 + 5000) div 10000 = 700
            "I1 si_revenue_share industry_info <null> 700 unrated withheld",
            // complaint only: its deduction line, -5000
            "I2 complaint_deduction <null> 1 -5000 unrated withheld",
        ]
    );
}

#[test]
fn payouts_gross_deductions_net() {
    let s = settled();
    let got = rows_of(
        &s.payouts,
        &["partner_id", "tier", "gross", "deductions", "net", "status"],
    );
    assert_eq!(
        got,
        [
            "A1 gold 530 0 530 payable",              // 300 + 30 + 200 = 530
            "A2 standard 350 -20000 -19650 withheld", // 150 + 200; -20000; 350 - 20000
            "A3 unrated 600 -5000 -4400 withheld",    // 600; -5000; 600 - 5000
            "I1 unrated 700 0 700 withheld",          // 700
            "I2 unrated 0 -5000 -5000 withheld",      // deduction only
        ]
    );
}

#[test]
fn settlement_stop_reasons_are_sorted_and_joined() {
    let s = settled();
    let got = rows_of(&s.settlement_stop, &["partner_id", "reasons", "withheld"]);
    assert_eq!(
        got,
        [
            "A2 FRAUD -19650",              // upheld fraud; withheld = its net
            "A3 FRAUD;SUSPENDED -4400",     // F < S
            "A5 TERMINATED 0",              // no ledger line: 0
            "I1 TERMINATED 700",            // its net
            "I2 BOTTOM_STREAK;FRAUD -5000", // streak 3 carried while unrated; B < F
        ]
    );
}

#[test]
fn sanctions_list_every_partner_with_an_action() {
    let s = settled();
    let got = rows_of(
        &s.sanctions,
        &["partner_id", "credit_score", "bottom_streak", "action"],
    );
    assert_eq!(
        got,
        [
            "A3 4200 1 notice",            // streak 1 carried while unrated
            "I2 1000 3 stop_settlement",   // streak 3
            "I3 5000 2 stop_new_business", // streak 2, no activity at all
        ]
    );
}

// ------------------------------------------------------- adjustments (§7)

#[test]
fn adjustments_show_lines_that_appear_disappear_or_move() {
    let lines = |rows: &[&str]| {
        table("partner_id,component,category,amount:int", rows)
            .lazy()
            .with_column(col("amount").cast(DataType::Int128))
    };
    let before = lines(&[
        "A1,complaint_deduction,,-5000",
        "A1,sa_base,basic_access,602",
        "A1,sa_service,,398",
        "I1,si_revenue_share,industry_info,14401",
    ]);
    let after = lines(&[
        "A1,complaint_deduction,,-5000",
        "A1,sa_base,basic_access,602",
        "A2,sa_reward,,28",
        "I1,si_revenue_share,industry_info,14402",
    ]);
    let out = adjust::adjustments(before, after, "0123456789abcdef")
        .collect()
        .unwrap();
    let got = rows_of(
        &out,
        &[
            "partner_id",
            "component",
            "category",
            "previous_amount",
            "new_amount",
            "delta",
            "previous_run_id",
        ],
    );
    assert_eq!(
        got,
        [
            // gone: previous 398, new 0, delta 0 - 398 = -398
            "A1 sa_service <null> 398 0 -398 0123456789abcdef",
            // new: previous 0, new 28, delta 28 - 0 = 28
            "A2 sa_reward <null> 0 28 28 0123456789abcdef",
            // moved: 14402 - 14401 = 1
            "I1 si_revenue_share industry_info 14401 14402 1 0123456789abcdef",
            // unchanged A1 sa_base (602) and A1 complaint_deduction (null
            // category, -5000): delta 0, left out
        ]
    );
}
