//! `settle explain` for people: the explanation as labelled text, Chinese
//! terms with the English ones beside them.

use std::fmt::Write;

use super::explain::Explanation;
use super::or_dash;

/// The explanation as text.
pub fn render(e: &Explanation) -> String {
    let mut o = String::new();
    // Writing to a String cannot fail.
    let _ = write_all(&mut o, e);
    o.lines().map(|l| l.trim_end().to_string() + "\n").collect()
}

/// Text from an input file as one harmless terminal line: control
/// characters (a line break, an escape sequence) become U+FFFD.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

fn write_all(o: &mut String, e: &Explanation) -> std::fmt::Result {
    writeln!(
        o,
        "{} {} — {} {}, {}, 状态 status {}",
        clean(&e.partner_id),
        clean(&e.name),
        e.partner_type,
        e.period,
        clean(&e.province),
        e.status
    )?;
    writeln!(o, "run {}", e.run_id)?;
    let i = &e.inputs;
    writeln!(o, "\n输入 inputs")?;
    writeln!(
        o,
        "  用量 usage: {} rows, 收入 revenue {} yuan, {} customers ({} with paid rows)",
        i.usage_rows, i.revenue, i.customers, i.paid_customers
    )?;
    writeln!(
        o,
        "  交付 deliveries: {} in scope, {} due, {} on time",
        i.delivery_rows, i.deliveries_due, i.deliveries_on_time
    )?;
    writeln!(
        o,
        "  投诉 complaints: {}, {} upheld, {} answered within SLA",
        i.complaints, i.complaints_upheld, i.responses_within_sla
    )?;
    for s in &i.complaints_by_severity {
        writeln!(
            o,
            "    {}: {} complaints, {} upheld",
            s.severity, s.complaints, s.upheld
        )?;
    }
    for h in &i.held_rows_by_reason {
        writeln!(o, "  暂不结算 held: {} rows {}", h.rows, h.reason)?;
    }

    writeln!(
        o,
        "\n信用积分 credit score ({})",
        if e.rated {
            "rated 已评级"
        } else {
            "unrated 未评级"
        }
    )?;
    let w = &e.weights;
    for (label, kpi, weight) in [
        ("收入 revenue", &e.kpis.revenue, w.revenue),
        ("交付 delivery", &e.kpis.delivery, w.delivery),
        ("投诉 complaints", &e.kpis.complaints, w.complaints),
        ("响应 response", &e.kpis.response, w.response),
    ] {
        writeln!(
            o,
            "  {label:<16} {:>6} bp  weight {weight}%   {}",
            or_dash(&kpi.value_bp),
            kpi.formula
        )?;
    }
    if e.penalty_bp > 0 {
        writeln!(o, "  扣分 penalty: {} bp", e.penalty_bp)?;
    }
    writeln!(
        o,
        "  月度得分 monthly score: {}   {}",
        or_dash(&e.monthly_score),
        e.monthly_formula.as_deref().unwrap_or("")
    )?;
    writeln!(
        o,
        "  上期积分 previous credit: {}   α {}%",
        or_dash(&e.previous_credit),
        e.alpha_pct
    )?;
    writeln!(
        o,
        "  信用积分 credit: {}   {}",
        or_dash(&e.credit_score),
        e.credit_formula
    )?;

    writeln!(o, "\n分级 tier: {}", e.tier)?;
    if let Some(c) = &e.cutoffs {
        writeln!(
            o,
            "  pool of {}, rank {}: gold rank ≤ {}, silver ≤ {}, bottom ≥ {}",
            or_dash(&e.pool_size),
            or_dash(&e.rank),
            c.gold_max_rank,
            c.silver_max_rank,
            c.bottom_min_rank
        )?;
    }
    writeln!(
        o,
        "  bottom streak {}, action {}",
        e.bottom_streak,
        or_dash(&e.action)
    )?;
    if !e.stop_reasons.is_empty() {
        writeln!(
            o,
            "  停止结算 settlement stopped: {}",
            e.stop_reasons.join(", ")
        )?;
    }

    writeln!(o, "\n结算明细 ledger")?;
    if e.ledger.is_empty() {
        writeln!(o, "  (no lines)")?;
    }
    for l in &e.ledger {
        writeln!(
            o,
            "  {:<20} {:<14} {:>14} {}",
            l.component,
            l.category.as_deref().unwrap_or(""),
            l.amount,
            l.status
        )?;
        writeln!(o, "      {}", l.formula)?;
    }
    for h in &e.held {
        writeln!(
            o,
            "  held {} {} {}: {} rows, {} yuan",
            h.component, h.category, h.reason, h.quantity, h.basis
        )?;
    }
    if let Some(p) = &e.payout {
        writeln!(
            o,
            "\n付款 payout: gross {} + deductions {} = net {} ({})",
            p.gross, p.deductions, p.net, p.status
        )?;
    }
    if let Some(b) = &e.balance {
        writeln!(
            o,
            "暂扣余额 withheld balance: opening {} + withheld {} − released {} − forfeited {} = closing {}",
            b.opening, b.withheld, b.released, b.forfeited, b.closing
        )?;
    }
    Ok(())
}
