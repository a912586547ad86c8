//! One partner's figures for a published period, each traced to its inputs
//! and its rule (SPEC §3–§5, §12, §18): what `settle explain` prints and what
//! a statement shows. Every number comes from the recomputed month (the
//! frames compute produced); this module only picks them and writes the
//! formula out.

use polars::prelude::*;
use serde::Serialize;

use super::Recomputed;
use crate::columns::*;
use crate::error::{Error, Result};
use crate::policy::{Policy, Weights};
use crate::publish::manifest::yuan;
use crate::vocab::{Component, PartnerType};

/// Every figure of one partner in one published period.
#[derive(Debug, Serialize)]
pub struct Explanation {
    /// The period, YYYY-MM.
    pub period: String,
    /// The published version's run_id.
    pub run_id: String,
    /// The partner.
    pub partner_id: String,
    /// The partner's name in the registry.
    pub name: String,
    /// SI or SA.
    pub partner_type: String,
    /// The partner's province.
    pub province: String,
    /// Registry status.
    pub status: String,
    /// Whether the partner was rated this month (§3).
    pub rated: bool,
    /// The counts and sums the KPIs are computed from.
    pub inputs: Inputs,
    /// The four KPIs with their formulas filled in.
    pub kpis: Kpis,
    /// The KPI weights of the partner's type, in percent.
    pub weights: KpiWeights,
    /// Penalty points of upheld complaints (bp).
    pub penalty_bp: i64,
    /// Whether an upheld fraud complaint zeroed the score.
    pub fraud: bool,
    /// The monthly score with its formula (null when unrated).
    pub monthly_score: Option<i64>,
    /// How the monthly score was computed.
    pub monthly_formula: Option<String>,
    /// The credit score the previous period published (null: never rated).
    pub previous_credit: Option<i64>,
    /// Weight of this month in the credit score, percent.
    pub alpha_pct: i64,
    /// The credit score (null when never rated).
    pub credit_score: Option<i64>,
    /// How the credit score was computed.
    pub credit_formula: String,
    /// The size of the partner's pool (null when unrated).
    pub pool_size: Option<i64>,
    /// Its rank by credit in the pool, ties sharing the better rank.
    pub rank: Option<i64>,
    /// The ranks that decide the tier in this pool.
    pub cutoffs: Option<Cutoffs>,
    /// The tier.
    pub tier: String,
    /// Consecutive months at the bottom.
    pub bottom_streak: i64,
    /// The escalation step (null: none).
    pub action: Option<String>,
    /// Each ledger line.
    pub ledger: Vec<Line>,
    /// Money rows held this month, per component, category and reason.
    pub held: Vec<Held>,
    /// Why the partner's money is withheld (empty: paid).
    pub stop_reasons: Vec<String>,
    /// The payout (null without ledger lines).
    pub payout: Option<Payout>,
    /// The withheld balance (null without one, or without `carry_withheld`).
    pub balance: Option<Balance>,
}

/// The counts and sums behind the KPIs.
#[derive(Debug, Serialize)]
pub struct Inputs {
    /// Accepted usage rows (after handovers).
    pub usage_rows: i64,
    /// Their amount, yuan.
    pub revenue: String,
    /// Distinct customers in them.
    pub customers: i64,
    /// Distinct customers with a row that is not held.
    pub paid_customers: i64,
    /// In-scope delivery rows.
    pub delivery_rows: i64,
    /// Deliveries due this month (promised in the period, not cancelled).
    pub deliveries_due: i64,
    /// Of those, delivered on or before their promised day.
    pub deliveries_on_time: i64,
    /// Complaints this month.
    pub complaints: i64,
    /// Of those, upheld.
    pub complaints_upheld: i64,
    /// Complaints and upheld ones per severity.
    pub complaints_by_severity: Vec<SeverityCount>,
    /// Complaints answered within their severity's SLA.
    pub responses_within_sla: i64,
    /// Held money rows per reason (usage rows and sales).
    pub held_rows_by_reason: Vec<ReasonCount>,
}

/// Complaints of one severity.
#[derive(Debug, Serialize)]
pub struct SeverityCount {
    /// The severity.
    pub severity: String,
    /// Complaints of it.
    pub complaints: i64,
    /// Upheld ones.
    pub upheld: i64,
}

/// Held rows of one reason.
#[derive(Debug, Serialize)]
pub struct ReasonCount {
    /// The hold reason.
    pub reason: String,
    /// Rows held for it.
    pub rows: i64,
}

/// The four KPIs.
#[derive(Debug, Serialize)]
pub struct Kpis {
    /// Revenue percentile in the pool.
    pub revenue: Kpi,
    /// On-time delivery.
    pub delivery: Kpi,
    /// Upheld complaints per customer.
    pub complaints: Kpi,
    /// Responses within SLA.
    pub response: Kpi,
}

/// One KPI, in basis points (null when unrated), with its formula.
#[derive(Debug, Serialize)]
pub struct Kpi {
    /// The value, 0–10000.
    pub value_bp: Option<i64>,
    /// The formula with the numbers filled in.
    pub formula: String,
}

/// KPI weights, percent.
#[derive(Debug, Serialize)]
pub struct KpiWeights {
    /// Revenue.
    pub revenue: i64,
    /// Delivery.
    pub delivery: i64,
    /// Complaints.
    pub complaints: i64,
    /// Response.
    pub response: i64,
}

/// The ranks that decide a tier in one pool.
#[derive(Debug, Serialize)]
pub struct Cutoffs {
    /// Gold: rank at most this.
    pub gold_max_rank: i64,
    /// Silver: rank at most this.
    pub silver_max_rank: i64,
    /// Bottom: rank at least this (pool size + 1 when nobody is bottom).
    pub bottom_min_rank: i64,
}

/// One ledger line.
#[derive(Debug, Serialize)]
pub struct Line {
    /// The component.
    pub component: String,
    /// The category (null when the line has none).
    pub category: Option<String>,
    /// The quantity (null when the line has none).
    pub quantity: Option<i64>,
    /// The basis, yuan.
    pub basis: String,
    /// The rate (null when the line has none).
    pub rate_bp: Option<i64>,
    /// The amount, yuan.
    pub amount: String,
    /// payable or withheld.
    pub status: String,
    /// How the amount was computed, rounding shown.
    pub formula: String,
}

/// Held business of one component, category and reason.
#[derive(Debug, Serialize)]
pub struct Held {
    /// The component the money would have earned under.
    pub component: String,
    /// The category.
    pub category: String,
    /// The hold reason.
    pub reason: String,
    /// Held rows.
    pub quantity: i64,
    /// Their amount, yuan.
    pub basis: String,
}

/// The payout.
#[derive(Debug, Serialize)]
pub struct Payout {
    /// Sum of positive lines, yuan.
    pub gross: String,
    /// Sum of negative lines, yuan.
    pub deductions: String,
    /// gross + deductions, yuan.
    pub net: String,
    /// payable or withheld.
    pub status: String,
}

/// The withheld balance of §18.
#[derive(Debug, Serialize)]
pub struct Balance {
    /// Carried in from the previous period.
    pub opening: String,
    /// Withheld this month.
    pub withheld: String,
    /// Released this month.
    pub released: String,
    /// Forfeited this month.
    pub forfeited: String,
    /// Carried to the next period.
    pub closing: String,
}

/// Every figure of `partner_id` in the recomputed month; exit 2 when the
/// registry has no such partner.
pub fn explain(r: &Recomputed, partner_id: &str) -> Result<Explanation> {
    let s = &r.settlement;
    let policy = &r.policy.policy;
    let me = rows_of(&s.scored, partner_id)?;
    if me.height() == 0 {
        return Err(Error::Usage(format!(
            "partner {partner_id} is not in the registry of period {}",
            r.manifest.period
        )));
    }
    let row = Row(&me);
    let partner_type = row.text(PARTNER_TYPE)?.unwrap_or_default();
    let is_si = partner_type == PartnerType::Si.as_str();
    let rated = row.flag(RATED)?;
    let weights = if is_si {
        &policy.scoring.weights.SI
    } else {
        &policy.scoring.weights.SA
    };
    let inputs = inputs(r, &row, partner_id)?;
    let kpis = kpis(r, &row, rated)?;
    let ledger = ledger_lines(
        &rows_of(&s.ledger, partner_id)?,
        policy,
        row.int(RESPONSE_KPI)?.unwrap_or(0),
        &deductions(policy, &inputs.complaints_by_severity),
    )?;
    let penalty_bp = row.int("penalty_bp")?.unwrap_or(0);
    let fraud = row.flag("fraud")?;
    let monthly_score = row.int(MONTHLY_SCORE)?;
    let previous_credit = row.int("prev_credit")?;
    let credit_score = row.int(CREDIT_SCORE)?;
    let alpha = policy.scoring.alpha_pct.get();
    let monthly_formula = monthly_score.map(|m| {
        if fraud {
            "0 (an upheld fraud complaint sets the month's score to 0)".to_string()
        } else {
            let k = |kpi: &Kpi| kpi.value_bp.unwrap_or(0);
            format!(
                "max(0, ({}×{} + {}×{} + {}×{} + {}×{}) div 100 − {penalty_bp}) = {m}",
                weights.revenue.get(),
                k(&kpis.revenue),
                weights.delivery.get(),
                k(&kpis.delivery),
                weights.complaints.get(),
                k(&kpis.complaints),
                weights.response.get(),
                k(&kpis.response),
            )
        }
    });
    let credit_formula = match (rated, fraud, monthly_score, previous_credit) {
        (false, _, _, _) => "unrated: the previous credit is kept".to_string(),
        (true, true, _, _) => "0 (upheld fraud)".to_string(),
        (true, false, Some(m), None) => format!("first rated month: credit = monthly score = {m}"),
        (true, false, Some(m), Some(p)) => format!(
            "({alpha}×{m} + {}×{p}) div 100 = {}",
            100 - alpha,
            credit_score.unwrap_or(0)
        ),
        (true, false, None, _) => String::new(),
    };
    let pool_size = row.int(POOL_SIZE)?;
    let cutoffs = pool_size.map(|n| cutoffs(policy, n));
    let stop_reasons: Vec<String> = row
        .text("stop_reasons")?
        .unwrap_or_default()
        .split(';')
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect();
    Ok(Explanation {
        period: r.manifest.period.clone(),
        run_id: r.manifest.run_id.clone(),
        partner_id: partner_id.to_string(),
        name: name_of(r, partner_id)?,
        partner_type,
        province: row.text(PROVINCE)?.unwrap_or_default(),
        status: row.text(STATUS)?.unwrap_or_default(),
        rated,
        inputs,
        kpis,
        weights: kpi_weights(weights),
        penalty_bp,
        fraud,
        monthly_score,
        monthly_formula,
        previous_credit,
        alpha_pct: alpha,
        credit_score,
        credit_formula,
        pool_size,
        rank: row.int(RANK)?,
        cutoffs,
        tier: row.text(TIER)?.unwrap_or_default(),
        bottom_streak: row.int(BOTTOM_STREAK)?.unwrap_or(0),
        action: row.text(ACTION)?,
        ledger,
        held: held(&rows_of(&s.held, partner_id)?)?,
        stop_reasons,
        payout: payout(&rows_of(&s.payouts, partner_id)?)?,
        balance: match &s.balances {
            Some(b) => balance(&rows_of(b, partner_id)?)?,
            None => None,
        },
    })
}

fn kpi_weights(w: &Weights) -> KpiWeights {
    KpiWeights {
        revenue: w.revenue.get(),
        delivery: w.delivery.get(),
        complaints: w.complaints.get(),
        response: w.response.get(),
    }
}

/// §4's cut-off ranks for a pool of `n`.
fn cutoffs(policy: &Policy, n: i64) -> Cutoffs {
    let t = &policy.tiers;
    let ceil_pct = |p: i64| (n * p + 99).div_euclid(100);
    Cutoffs {
        gold_max_rank: ceil_pct(t.gold_pct.get()),
        silver_max_rank: ceil_pct(t.silver_pct.get()),
        bottom_min_rank: n - (n * t.bottom_pct.get()).div_euclid(100) + 1,
    }
}

fn name_of(r: &Recomputed, partner_id: &str) -> Result<String> {
    let row = rows_of(&r.month.partners, partner_id)?;
    Ok(Row(&row).text(NAME)?.unwrap_or_default())
}

fn inputs(r: &Recomputed, row: &Row, partner_id: &str) -> Result<Inputs> {
    let int = |name: &str| -> Result<i64> { Ok(row.int(name)?.unwrap_or(0)) };
    let complaints = rows_of(&r.month.complaints, partner_id)?;
    let mut by_severity = Vec::new();
    for (severity, _) in r.policy.policy.scoring.sla_hours.entries() {
        let of = complaints
            .clone()
            .lazy()
            .filter(col(SEVERITY).eq(lit(severity)))
            .select([
                len().cast(DataType::Int64).alias("n"),
                col(UPHELD).cast(DataType::Int64).sum().alias(UPHELD),
            ])
            .collect()
            .map_err(Error::polars("explain"))?;
        let of = Row(&of);
        let n = of.int("n")?.unwrap_or(0);
        if n > 0 {
            by_severity.push(SeverityCount {
                severity: severity.to_string(),
                complaints: n,
                upheld: of.int(UPHELD)?.unwrap_or(0),
            });
        }
    }
    let held = rows_of(&r.settlement.held, partner_id)?
        .lazy()
        .group_by([col(REASON)])
        .agg([col(QUANTITY).sum()])
        .sort([REASON], SortMultipleOptions::default())
        .collect()
        .map_err(Error::polars("explain"))?;
    let mut held_rows_by_reason = Vec::new();
    for i in 0..held.height() {
        let one = held.slice(i as i64, 1);
        let one = Row(&one);
        held_rows_by_reason.push(ReasonCount {
            reason: one.text(REASON)?.unwrap_or_default(),
            rows: one.int(QUANTITY)?.unwrap_or(0),
        });
    }
    Ok(Inputs {
        usage_rows: int("usage_rows")?,
        revenue: yuan(row.money("revenue_fen")?.unwrap_or(0)),
        customers: int("customers")?,
        paid_customers: int("paid_customers")?,
        delivery_rows: int("delivery_rows")?,
        deliveries_due: int("due")?,
        deliveries_on_time: int("on_time")?,
        complaints: int("complaint_rows")?,
        complaints_upheld: int(UPHELD)?,
        complaints_by_severity: by_severity,
        responses_within_sla: int("within_sla")?,
        held_rows_by_reason,
    })
}

/// A `10000 × part div whole` KPI's formula, filled in; `none` when the
/// whole is 0 (the KPI is then 10000).
fn ratio(what: &str, part: i64, whole: i64, value: Option<i64>, none: &str) -> String {
    if whole == 0 {
        none.to_string()
    } else {
        format!(
            "10000 × {what} = 10000 × {part} div {whole} = {}",
            value.unwrap_or(0)
        )
    }
}

fn kpis(r: &Recomputed, row: &Row, rated: bool) -> Result<Kpis> {
    let policy = &r.policy.policy;
    let int = |name: &str| -> Result<i64> { Ok(row.int(name)?.unwrap_or(0)) };
    let value =
        |name: &str| -> Result<Option<i64>> { Ok(if rated { row.int(name)? } else { None }) };
    let unrated = "not computed: the partner is unrated this month".to_string();
    let or_unrated = |f: String| if rated { f } else { unrated.clone() };

    // The pool's size and the partners below come from compute's own
    // columns (the rule is not counted again here).
    let n = row.int(POOL_SIZE)?.unwrap_or(0);
    let lower = row.int(crate::compute::kpi::REVENUE_BELOW)?.unwrap_or(0);
    let revenue_kpi = value(REVENUE_KPI)?;
    let revenue_formula = if n <= 1 {
        format!("a pool of {n}: 10000")
    } else {
        format!(
            "10000 × (partners of the pool with less revenue) div (pool − 1) = 10000 × {lower} div {} = {}",
            n - 1,
            revenue_kpi.unwrap_or(0)
        )
    };
    let (due, on_time) = (int("due")?, int("on_time")?);
    let delivery_kpi = value(DELIVERY_KPI)?;
    let delivery_formula = ratio(
        "on time div due",
        on_time,
        due,
        delivery_kpi,
        "no delivery due: 10000",
    );
    let (upheld, customers) = (int(UPHELD)?, int("customers")?);
    let r_max = policy.scoring.r_max_bp.get();
    let complaint_kpi = value(COMPLAINT_KPI)?;
    let complaint_formula = format!(
        "max(0, 10000 − upheld × 10^8 div (max(customers, 1) × r_max_bp)) = max(0, 10000 − {upheld} × 10^8 div ({} × {r_max})) = {}",
        customers.max(1),
        complaint_kpi.unwrap_or(0)
    );
    let (rows, within) = (int("complaint_rows")?, int("within_sla")?);
    let response_kpi = value(RESPONSE_KPI)?;
    let response_formula = ratio(
        "within SLA div complaints",
        within,
        rows,
        response_kpi,
        "no complaint: 10000",
    );
    Ok(Kpis {
        revenue: Kpi {
            value_bp: revenue_kpi,
            formula: or_unrated(revenue_formula),
        },
        delivery: Kpi {
            value_bp: delivery_kpi,
            formula: or_unrated(delivery_formula),
        },
        complaints: Kpi {
            value_bp: complaint_kpi,
            formula: or_unrated(complaint_formula),
        },
        response: Kpi {
            value_bp: response_kpi,
            formula: or_unrated(response_formula),
        },
    })
}

/// The upheld complaints behind a deduction, as `n × amount [severity]`
/// terms of the policy's deduction per severity.
fn deductions(policy: &Policy, by_severity: &[SeverityCount]) -> String {
    let terms: Vec<String> = by_severity
        .iter()
        .filter(|s| s.upheld > 0)
        .map(|s| {
            let fen = policy
                .deduction_fen
                .entries()
                .iter()
                .find(|(k, _)| *k == s.severity)
                .map_or(0, |(_, v)| *v);
            format!("{} × {} [{}]", s.upheld, yuan(fen.into()), s.severity)
        })
        .collect();
    terms.join(" + ")
}

fn ledger_lines(
    lines: &DataFrame,
    policy: &Policy,
    response_kpi: i64,
    deductions: &str,
) -> Result<Vec<Line>> {
    let lines = lines
        .sort([COMPONENT, CATEGORY], SortMultipleOptions::default())
        .map_err(Error::polars("explain"))?;
    let mut out = Vec::new();
    for i in 0..lines.height() {
        let one = lines.slice(i as i64, 1);
        let row = Row(&one);
        let component = row.text(COMPONENT)?.unwrap_or_default();
        let category = row.text(CATEGORY)?;
        let quantity = row.int(QUANTITY)?;
        let basis = row.money(BASIS)?.unwrap_or(0);
        let rate_bp = row.int(RATE_BP)?;
        let amount = row.money(AMOUNT)?.unwrap_or(0);
        let tier = row.text(TIER)?.unwrap_or_default();
        let formula = formula(
            &Facts {
                component: &component,
                category: category.as_deref(),
                tier: &tier,
                quantity,
                basis,
                rate_bp,
                amount,
                response_kpi,
                deductions,
            },
            policy,
        );
        out.push(Line {
            component,
            category,
            quantity,
            basis: yuan(basis),
            rate_bp,
            amount: yuan(amount),
            status: row.text(STATUS)?.unwrap_or_default(),
            formula,
        });
    }
    Ok(out)
}

/// `basis × rate_bp / 10000` exactly, in yuan with six decimals.
fn exact(basis: i128, rate: i64) -> String {
    let units = basis * rate as i128; // 10^-6 yuan
    let sign = if units < 0 { "-" } else { "" };
    let abs = units.unsigned_abs();
    format!("{sign}{}.{:06}", abs / 1_000_000, abs % 1_000_000)
}

/// What a line's formula is written from.
struct Facts<'a> {
    component: &'a str,
    category: Option<&'a str>,
    tier: &'a str,
    quantity: Option<i64>,
    basis: i128,
    rate_bp: Option<i64>,
    amount: i128,
    response_kpi: i64,
    deductions: &'a str,
}

/// How a ledger line's amount follows from its basis, rate or quantity
/// (SPEC §5, §15, §17, §18), with the half-up rounding shown.
fn formula(f: &Facts, policy: &Policy) -> String {
    let Facts {
        component,
        category,
        tier,
        quantity,
        basis,
        rate_bp,
        amount,
        response_kpi,
        deductions,
    } = *f;
    let rounded = |rate: i64| {
        format!(
            "{} × {rate} bp = {} → {} (half up to the fen)",
            yuan(basis),
            exact(basis, rate),
            yuan((basis * rate as i128 + 5000).div_euclid(10000))
        )
    };
    let component = Component::ALL
        .iter()
        .copied()
        .find(|c| c.as_str() == component);
    match (component, rate_bp) {
        (Some(Component::SiRevenueShare), Some(rate)) => {
            let of = |entries: &[(&str, i64)], key: &str| {
                entries
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map_or(0, |(_, v)| *v)
            };
            let share = of(&policy.si.share_bp.entries(), category.unwrap_or(""));
            let uplift = of(&policy.si.tier_uplift_bp.entries(), tier);
            let band = rate - share - uplift;
            format!(
                "rate {rate} bp = share {share} + {tier} uplift {uplift} + revenue band {band}; {}",
                rounded(rate)
            )
        }
        (Some(Component::SaSalesClawback), Some(rate)) => format!(
            "the commission of the cancelled sales taken back: −({})",
            rounded(rate)
        ),
        (Some(Component::SaReward), Some(rate)) => format!(
            "{tier} reward on base + sales commission: {}",
            rounded(rate)
        ),
        (Some(Component::SaService), _) => format!(
            "(paid customers × fee × response KPI + 5000) div 10000 = ({} × {} fen × {response_kpi} + 5000) div 10000 fen = {} yuan",
            quantity.unwrap_or(0),
            policy.sa.fee_fen_per_customer,
            yuan(amount)
        ),
        (Some(Component::ComplaintDeduction), _) => format!(
            "−(upheld complaints × deduction per severity) = −({deductions}) = {} ({} upheld)",
            yuan(amount),
            quantity.unwrap_or(0),
        ),
        (Some(Component::WithheldRelease), _) => format!(
            "the balance withheld in earlier months, released now that no stop applies: {}",
            yuan(amount)
        ),
        (_, Some(rate)) => rounded(rate),
        (_, None) => yuan(amount),
    }
}

fn held(rows: &DataFrame) -> Result<Vec<Held>> {
    let mut out = Vec::new();
    for i in 0..rows.height() {
        let one = rows.slice(i as i64, 1);
        let row = Row(&one);
        out.push(Held {
            component: row.text(COMPONENT)?.unwrap_or_default(),
            category: row.text(CATEGORY)?.unwrap_or_default(),
            reason: row.text(REASON)?.unwrap_or_default(),
            quantity: row.int(QUANTITY)?.unwrap_or(0),
            basis: yuan(row.money(BASIS)?.unwrap_or(0)),
        });
    }
    Ok(out)
}

fn payout(rows: &DataFrame) -> Result<Option<Payout>> {
    if rows.height() == 0 {
        return Ok(None);
    }
    let row = Row(rows);
    Ok(Some(Payout {
        gross: row.yuan(GROSS)?,
        deductions: row.yuan(DEDUCTIONS)?,
        net: row.yuan(NET)?,
        status: row.text(STATUS)?.unwrap_or_default(),
    }))
}

fn balance(rows: &DataFrame) -> Result<Option<Balance>> {
    use crate::compute::balances::{CLOSING, FORFEITED, OPENING, RELEASED};
    if rows.height() == 0 {
        return Ok(None);
    }
    let row = Row(rows);
    Ok(Some(Balance {
        opening: row.yuan(OPENING)?,
        withheld: row.yuan(WITHHELD)?,
        released: row.yuan(RELEASED)?,
        forfeited: row.yuan(FORFEITED)?,
        closing: row.yuan(CLOSING)?,
    }))
}

/// The rows of `frame` whose partner_id is `partner_id`.
pub fn rows_of(frame: &DataFrame, partner_id: &str) -> Result<DataFrame> {
    frame
        .clone()
        .lazy()
        .filter(col(PARTNER_ID).eq(lit(partner_id)))
        .collect()
        .map_err(Error::polars("explain"))
}

/// An integer value of any width (money in fen included); None for null or
/// a value of another type.
pub fn integer(v: &AnyValue) -> Option<i128> {
    Some(match *v {
        AnyValue::Int8(n) => n.into(),
        AnyValue::Int16(n) => n.into(),
        AnyValue::Int32(n) => n.into(),
        AnyValue::Int64(n) => n.into(),
        AnyValue::Int128(n) => n,
        AnyValue::UInt8(n) => n.into(),
        AnyValue::UInt16(n) => n.into(),
        AnyValue::UInt32(n) => n.into(),
        AnyValue::UInt64(n) => n.into(),
        _ => return None,
    })
}

/// The first row of a frame, read by column name.
pub struct Row<'a>(pub &'a DataFrame);

impl Row<'_> {
    fn value(&self, name: &str) -> Result<AnyValue<'_>> {
        let column = self.0.column(name).map_err(Error::polars("explain"))?;
        if column.is_empty() {
            return Ok(AnyValue::Null);
        }
        column.get(0).map_err(Error::polars("explain"))
    }

    /// An integer column's value (null → None).
    pub fn int(&self, name: &str) -> Result<Option<i64>> {
        Ok(self.money(name)?.map(|v| v as i64))
    }

    /// A money or integer column's value in fen.
    pub fn money(&self, name: &str) -> Result<Option<i128>> {
        Ok(integer(&self.value(name)?))
    }

    /// A money column's value as yuan text (null as 0.00).
    pub fn yuan(&self, name: &str) -> Result<String> {
        Ok(yuan(self.money(name)?.unwrap_or(0)))
    }

    /// A text column's value.
    pub fn text(&self, name: &str) -> Result<Option<String>> {
        Ok(match self.value(name)? {
            AnyValue::String(v) => Some(v.to_string()),
            AnyValue::StringOwned(v) => Some(v.to_string()),
            _ => None,
        })
    }

    /// A boolean column's value (null → false).
    pub fn flag(&self, name: &str) -> Result<bool> {
        Ok(matches!(self.value(name)?, AnyValue::Boolean(true)))
    }
}
