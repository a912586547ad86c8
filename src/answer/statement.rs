//! A partner's statement (对账单): one printable A4 page with the same
//! figures as `settle explain` (it renders an [`Explanation`]), plus, for a
//! republished period, the adjustments against the previous version.

use polars::prelude::*;

use super::explain::{Explanation, Row};
use super::html::{Cell, esc, page, table};
use super::or_dash;
use crate::columns::*;
use crate::error::Result;

/// The statement page of `e`; `adjustments` are the partner's rows of the
/// period's adjustments (empty for a first version).
pub fn render(e: &Explanation, adjustments: &DataFrame) -> Result<String> {
    let mut b = format!(
        "<h1>对账单 Partner statement {}</h1>\n<p><b>{}</b> {}<br>\n{} · {} · 状态 status {}</p>\n<p class=\"meta\">run {}</p>\n",
        esc(&e.period),
        esc(&e.partner_id),
        esc(&e.name),
        esc(&e.partner_type),
        esc(&e.province),
        esc(&e.status),
        esc(&e.run_id),
    );

    b.push_str("<h2>付款 Payout</h2>\n");
    match &e.payout {
        Some(p) => b.push_str(&table(
            &["gross", "deductions", "net", "status"],
            &[vec![
                Cell::Num(p.gross.clone()),
                Cell::Num(p.deductions.clone()),
                Cell::Num(p.net.clone()),
                Cell::Text(p.status.clone()),
            ]],
        )),
        None => b.push_str("<p>No ledger line this month.</p>\n"),
    }
    if !e.stop_reasons.is_empty() {
        b.push_str(&format!(
            "<p>停止结算 Settlement stopped: {}. The payout is withheld.</p>\n",
            esc(&e.stop_reasons.join(", "))
        ));
    }

    b.push_str("<h2>信用积分与分级 Credit score and tier</h2>\n");
    let k = &e.kpis;
    let w = &e.weights;
    let kpi_rows: Vec<Vec<Cell>> = [
        ("收入 revenue", &k.revenue, w.revenue),
        ("交付 delivery", &k.delivery, w.delivery),
        ("投诉 complaints", &k.complaints, w.complaints),
        ("响应 response", &k.response, w.response),
    ]
    .into_iter()
    .map(|(label, kpi, weight)| {
        vec![
            Cell::Text(label.into()),
            Cell::Num(or_dash(&kpi.value_bp)),
            Cell::Num(format!("{weight}%")),
            Cell::Text(kpi.formula.clone()),
        ]
    })
    .collect();
    b.push_str(&table(&["KPI", "bp", "weight", "formula"], &kpi_rows));
    b.push_str(&table(
        &[
            "monthly score",
            "previous credit",
            "credit",
            "pool",
            "rank",
            "tier",
            "bottom streak",
            "action",
        ],
        &[vec![
            Cell::Num(or_dash(&e.monthly_score)),
            Cell::Num(or_dash(&e.previous_credit)),
            Cell::Num(or_dash(&e.credit_score)),
            Cell::Num(or_dash(&e.pool_size)),
            Cell::Num(or_dash(&e.rank)),
            Cell::Text(e.tier.clone()),
            Cell::Num(e.bottom_streak.to_string()),
            Cell::Text(or_dash(&e.action)),
        ]],
    ));
    b.push_str(&format!(
        "<p class=\"formula\">{}<br>{}</p>\n",
        esc(e.monthly_formula.as_deref().unwrap_or("")),
        esc(&e.credit_formula)
    ));
    let i = &e.inputs;
    b.push_str(&format!(
        "<p class=\"formula\">usage {} rows, revenue {} yuan, {} customers; deliveries {} due, {} on time; complaints {}, {} upheld, {} within SLA</p>\n",
        i.usage_rows,
        esc(&i.revenue),
        i.customers,
        i.deliveries_due,
        i.deliveries_on_time,
        i.complaints,
        i.complaints_upheld,
        i.responses_within_sla
    ));

    b.push_str("<h2>结算明细 Ledger</h2>\n");
    let lines: Vec<Vec<Cell>> = e
        .ledger
        .iter()
        .map(|l| {
            vec![
                Cell::Text(l.component.clone()),
                Cell::Text(or_dash(&l.category)),
                Cell::Num(or_dash(&l.quantity)),
                Cell::Num(l.basis.clone()),
                Cell::Num(or_dash(&l.rate_bp)),
                Cell::Num(l.amount.clone()),
                Cell::Text(l.status.clone()),
                Cell::Text(l.formula.clone()),
            ]
        })
        .collect();
    b.push_str(&table(
        &[
            "component",
            "category",
            "quantity",
            "basis",
            "rate_bp",
            "amount",
            "status",
            "formula",
        ],
        &lines,
    ));

    b.push_str("<h2>暂不结算 Held business</h2>\n");
    let held: Vec<Vec<Cell>> = e
        .held
        .iter()
        .map(|h| {
            vec![
                Cell::Text(h.component.clone()),
                Cell::Text(h.category.clone()),
                Cell::Text(h.reason.clone()),
                Cell::Num(h.quantity.to_string()),
                Cell::Num(h.basis.clone()),
            ]
        })
        .collect();
    b.push_str(&table(
        &["component", "category", "reason", "rows", "basis"],
        &held,
    ));

    if let Some(bal) = &e.balance {
        b.push_str("<h2>暂扣余额 Withheld balance</h2>\n");
        b.push_str(&table(
            &["opening", "withheld", "released", "forfeited", "closing"],
            &[vec![
                Cell::Num(bal.opening.clone()),
                Cell::Num(bal.withheld.clone()),
                Cell::Num(bal.released.clone()),
                Cell::Num(bal.forfeited.clone()),
                Cell::Num(bal.closing.clone()),
            ]],
        ));
    }

    if adjustments.height() > 0 {
        b.push_str("<h2>调整 Adjustments against the previous version</h2>\n");
        let mut rows = Vec::new();
        for n in 0..adjustments.height() {
            let one = adjustments.slice(n as i64, 1);
            let r = Row(&one);
            rows.push(vec![
                Cell::Text(r.text(COMPONENT)?.unwrap_or_default()),
                Cell::Text(r.text(CATEGORY)?.unwrap_or_else(|| "—".into())),
                Cell::Num(r.yuan(PREVIOUS_AMOUNT)?),
                Cell::Num(r.yuan(NEW_AMOUNT)?),
                Cell::Num(r.yuan(DELTA)?),
            ]);
        }
        b.push_str(&table(
            &["component", "category", "previous", "new", "delta"],
            &rows,
        ));
    }
    b.push_str("<p class=\"meta\">Amounts in yuan. Figures as published for this run; <code>settle explain</code> gives the same numbers.</p>\n");
    Ok(page(&format!("对账单 {} {}", e.partner_id, e.period), &b))
}
