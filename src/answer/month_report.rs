//! The month report (`reports/period=P/report.html`): one self-contained
//! page a finance manager opens by double-clicking, built from the settled
//! month a run publishes (or `settle report` recomputes): tiers, tier
//! moves, payouts, stops, sanctions, held business, rejects and the control
//! totals of the manifest.

use polars::prelude::*;

use super::explain::integer;
use super::html::{Cell, bars, esc, page, table};
use crate::columns::*;
use crate::compute::Settlement;
use crate::error::{Error, Result};
use crate::ingest::read::LINE;
use crate::publish::manifest::{Manifest, yuan};
use crate::vocab::{PartnerType, Tier};

/// What the report is built from.
pub struct MonthFacts<'a> {
    /// The version's manifest (its control totals are the report's).
    pub manifest: &'a Manifest,
    /// The settled month.
    pub settlement: &'a Settlement,
    /// The month's rejected input rows.
    pub rejects: &'a DataFrame,
    /// partner_id, tier of the previous period's published scores (None
    /// when there is no previous period).
    pub previous_tiers: Option<DataFrame>,
}

/// Rejected rows listed with their raw text (the rest are counted).
const REJECTS_SHOWN: usize = 50;

fn err() -> impl FnOnce(PolarsError) -> Error {
    Error::polars("month report")
}

/// Every cell of `frame` for a table: `money` columns (fen) as yuan.
fn cells(frame: &DataFrame, money: &[&str]) -> Vec<Vec<Cell>> {
    let columns = frame.columns();
    (0..frame.height())
        .map(|i| {
            columns
                .iter()
                .map(|c| {
                    let v = c.get(i).unwrap_or(AnyValue::Null);
                    let is_money = money.contains(&c.name().as_str());
                    match v {
                        AnyValue::Null => Cell::Text("—".into()),
                        AnyValue::String(s) => Cell::Text(s.to_string()),
                        AnyValue::StringOwned(s) => Cell::Text(s.to_string()),
                        AnyValue::Boolean(b) => Cell::Text(b.to_string()),
                        other => match integer(&other) {
                            Some(n) if is_money => Cell::Num(yuan(n)),
                            Some(n) => Cell::Num(n.to_string()),
                            None => Cell::Text(other.to_string()),
                        },
                    }
                })
                .collect()
        })
        .collect()
}

/// A text column and an integer column of `frame` as chart labels/values.
fn series(frame: &DataFrame, label: &str, value: &str) -> Result<(Vec<String>, Vec<i128>)> {
    let labels = frame
        .column(label)
        .map_err(err())?
        .cast(&DataType::String)
        .map_err(err())?;
    let labels = labels
        .str()
        .map_err(err())?
        .iter()
        .map(|v| v.unwrap_or("—").to_string())
        .collect();
    let values = frame.column(value).map_err(err())?;
    let values = (0..values.len())
        .map(|i| integer(&values.get(i).unwrap_or(AnyValue::Null)).unwrap_or(0))
        .collect();
    Ok((labels, values))
}

fn sorted(lf: LazyFrame, by: &[&str]) -> Result<DataFrame> {
    lf.sort(by.to_vec(), SortMultipleOptions::default())
        .collect()
        .map_err(err())
}

/// The report page.
pub fn render(f: &MonthFacts) -> Result<String> {
    let s = f.settlement;
    let m = f.manifest;
    let mut body = format!(
        "<h1>渠道合作伙伴月度结算报告 Partner settlement report {}</h1>\n<p class=\"meta\">run {} · program {} · policy {}{}</p>\n",
        esc(&m.period),
        esc(&m.run_id),
        esc(&m.program_version),
        esc(&m.policy_path.display().to_string()),
        m.reason
            .as_ref()
            .map(|r| format!(" · rerun: {}", esc(r)))
            .unwrap_or_default()
    );

    // Control totals first: what finance reconciles against.
    body.push_str("<h2>控制总数 Control totals (manifest)</h2>\n");
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    for (k, v) in &m.ledger_amount_by_component {
        rows.push(vec![
            Cell::Text("component".into()),
            Cell::Text(k.clone()),
            Cell::Num(v.clone()),
        ]);
    }
    for (k, v) in &m.ledger_amount_by_status {
        rows.push(vec![
            Cell::Text("status".into()),
            Cell::Text(k.clone()),
            Cell::Num(v.clone()),
        ]);
    }
    for (k, v) in &m.held_basis_by_reason {
        rows.push(vec![
            Cell::Text("held basis".into()),
            Cell::Text(k.clone()),
            Cell::Num(v.clone()),
        ]);
    }
    if let Some(b) = &m.balances_total {
        for (k, v) in b {
            rows.push(vec![
                Cell::Text("balances".into()),
                Cell::Text(k.clone()),
                Cell::Num(v.clone()),
            ]);
        }
    }
    body.push_str(&table(&["total", "key", "amount (yuan)"], &rows));

    // Tiers per partner type.
    body.push_str("<h2>分级分布 Tiers per partner type</h2>\n");
    let tiers = sorted(
        s.scores
            .clone()
            .lazy()
            .group_by([col(PARTNER_TYPE), col(TIER)])
            .agg([len().cast(DataType::Int64).alias("partners")]),
        &[PARTNER_TYPE, TIER],
    )?;
    body.push_str(&table(
        &["partner_type", "tier", "partners"],
        &cells(&tiers, &[]),
    ));
    for ty in PartnerType::ALL {
        let of = tiers
            .clone()
            .lazy()
            .filter(col(PARTNER_TYPE).eq(lit(ty.as_str())))
            .collect()
            .map_err(err())?;
        if of.height() > 0 {
            let (labels, values) = series(&of, TIER, "partners")?;
            let labels: Vec<String> = labels.iter().map(|t| format!("{ty} {t}")).collect();
            body.push_str(&bars(&labels, &values, &|v| v.to_string()));
        }
    }

    // Tier moves against the previous period.
    body.push_str("<h2>分级变动 Tier moves against the previous period</h2>\n");
    match &f.previous_tiers {
        None => body.push_str("<p>No previous period is published.</p>\n"),
        Some(before) => {
            let moves = s
                .scores
                .clone()
                .lazy()
                .select([col(PARTNER_ID), col(PARTNER_TYPE), col(TIER)])
                .join(
                    before
                        .clone()
                        .lazy()
                        .select([col(PARTNER_ID), col(TIER).alias("before")]),
                    [col(PARTNER_ID)],
                    [col(PARTNER_ID)],
                    JoinArgs::new(JoinType::Left),
                )
                .with_column(col("before").fill_null(lit("(new)")));
            let moves = sorted(
                moves
                    .group_by([col(PARTNER_TYPE), col("before"), col(TIER)])
                    .agg([len().cast(DataType::Int64).alias("partners")]),
                &[PARTNER_TYPE, "before", TIER],
            )?;
            body.push_str(&matrix(&moves)?);
        }
    }

    // Payouts by province and by component.
    body.push_str("<h2>付款 Payouts by province</h2>\n");
    let by_province = sorted(
        s.payouts
            .clone()
            .lazy()
            .group_by([col(PROVINCE), col(STATUS)])
            .agg([
                len().cast(DataType::Int64).alias("partners"),
                col(NET).sum().alias(NET),
            ]),
        &[PROVINCE, STATUS],
    )?;
    body.push_str(&table(
        &["province", "status", "partners", "net (yuan)"],
        &cells(&by_province, &[NET]),
    ));
    let net_by_province = sorted(
        s.payouts
            .clone()
            .lazy()
            .group_by([col(PROVINCE)])
            .agg([col(NET).sum().alias(NET)]),
        &[PROVINCE],
    )?;
    let (labels, values) = series(&net_by_province, PROVINCE, NET)?;
    body.push_str(&bars(&labels, &values, &|v| yuan(v)));
    body.push_str("<h2>付款 Ledger by component</h2>\n");
    let by_component = sorted(
        s.ledger
            .clone()
            .lazy()
            .group_by([col(COMPONENT), col(STATUS)])
            .agg([
                len().cast(DataType::Int64).alias("lines"),
                col(AMOUNT).sum().alias(AMOUNT),
            ]),
        &[COMPONENT, STATUS],
    )?;
    body.push_str(&table(
        &["component", "status", "lines", "amount (yuan)"],
        &cells(&by_component, &[AMOUNT]),
    ));
    let component_totals = sorted(
        s.ledger
            .clone()
            .lazy()
            .group_by([col(COMPONENT)])
            .agg([col(AMOUNT).sum().alias(AMOUNT)]),
        &[COMPONENT],
    )?;
    let (labels, values) = series(&component_totals, COMPONENT, AMOUNT)?;
    body.push_str(&bars(&labels, &values, &|v| yuan(v)));

    // Stopped partners and why.
    body.push_str("<h2>停止结算 Withheld and stopped partners</h2>\n");
    let stopped = sorted(
        s.settlement_stop.clone().lazy().select([
            col(PARTNER_ID),
            col(PARTNER_TYPE),
            col(PROVINCE),
            col(REASONS),
            col(WITHHELD),
        ]),
        &[PARTNER_ID],
    )?;
    body.push_str(&table(
        &[
            "partner_id",
            "type",
            "province",
            "reasons",
            "withheld (yuan)",
        ],
        &cells(&stopped, &[WITHHELD]),
    ));

    body.push_str("<h2>处罚 Sanctions by ladder step</h2>\n");
    let sanctions = sorted(
        s.sanctions
            .clone()
            .lazy()
            .group_by([col(ACTION)])
            .agg([len().cast(DataType::Int64).alias("partners")]),
        &[ACTION],
    )?;
    body.push_str(&table(&["action", "partners"], &cells(&sanctions, &[])));

    body.push_str("<h2>暂不结算 Held business by reason</h2>\n");
    let held = sorted(
        s.held
            .clone()
            .lazy()
            .group_by([col(REASON), col(COMPONENT)])
            .agg([col(QUANTITY).sum(), col(BASIS).sum()]),
        &[REASON, COMPONENT],
    )?;
    body.push_str(&table(
        &["reason", "component", "rows", "basis (yuan)"],
        &cells(&held, &[BASIS]),
    ));

    body.push_str("<h2>拒收记录 Rejected input rows by input and reason</h2>\n");
    let rejects = sorted(
        f.rejects
            .clone()
            .lazy()
            .group_by([col(SOURCE), col(REASON)])
            .agg([len().cast(DataType::Int64).alias("rows")]),
        &[SOURCE, REASON],
    )?;
    body.push_str(&table(&["input", "reason", "rows"], &cells(&rejects, &[])));
    let shown = sorted(
        f.rejects.clone().lazy().select([
            col(SOURCE),
            col(LINE),
            col(REASON),
            col(DETAIL),
            col(RAW),
        ]),
        &[SOURCE, LINE],
    )?;
    if shown.height() > 0 {
        body.push_str(&format!(
            "<p>The first {} of {} rejected rows (all of them are in the rejects dataset):</p>\n",
            shown.height().min(REJECTS_SHOWN),
            shown.height()
        ));
        body.push_str(&table(
            &["input", "line", "reason", "detail", "raw"],
            &cells(&shown.head(Some(REJECTS_SHOWN)), &[]),
        ));
    }
    let mut inputs = Vec::new();
    for i in &m.inputs {
        inputs.push(vec![
            Cell::Text(i.source.clone()),
            Cell::Num(i.rows_read.to_string()),
            Cell::Num(i.rows_accepted.to_string()),
            Cell::Num(i.rows_rejected.to_string()),
        ]);
    }
    body.push_str(&table(&["input", "read", "accepted", "rejected"], &inputs));

    Ok(page(
        &format!("结算报告 Settlement report {}", m.period),
        &body,
    ))
}

/// Tier moves as one before × after matrix per partner type.
fn matrix(moves: &DataFrame) -> Result<String> {
    let mut order: Vec<String> = Tier::ALL.iter().map(|t| t.as_str().to_string()).collect();
    order.insert(0, "(new)".to_string());
    let mut o = String::new();
    for ty in PartnerType::ALL {
        let of = moves
            .clone()
            .lazy()
            .filter(col(PARTNER_TYPE).eq(lit(ty.as_str())))
            .collect()
            .map_err(err())?;
        if of.height() == 0 {
            continue;
        }
        let before = of
            .column("before")
            .map_err(err())?
            .str()
            .map_err(err())?
            .clone();
        let after = of
            .column(TIER)
            .map_err(err())?
            .str()
            .map_err(err())?
            .clone();
        let n = of
            .column("partners")
            .map_err(err())?
            .i64()
            .map_err(err())?
            .clone();
        let count = |b: &str, a: &str| -> i64 {
            (0..of.height())
                .filter(|&i| before.get(i) == Some(b) && after.get(i) == Some(a))
                .map(|i| n.get(i).unwrap_or(0))
                .sum()
        };
        let mut headers = vec![format!("{ty}: before ↓ / after →")];
        headers.extend(Tier::ALL.iter().map(|t| t.as_str().to_string()));
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        let rows: Vec<Vec<Cell>> = order
            .iter()
            .filter(|b| (0..of.height()).any(|i| before.get(i) == Some(b.as_str())))
            .map(|b| {
                let mut row = vec![Cell::Text(b.clone())];
                row.extend(
                    Tier::ALL
                        .iter()
                        .map(|a| Cell::Num(count(b, a.as_str()).to_string())),
                );
                row
            })
            .collect();
        o.push_str(&table(&headers, &rows));
    }
    Ok(o)
}
