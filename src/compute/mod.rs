//! Compute: the month's scores, tiers, ledger, payouts, sanctions and stop
//! list (SPEC §3–§5) as pure functions from frames to frames. No I/O here:
//! every rule is testable on an in-memory frame.
//!
//! Money stays integer fen (Int64) throughout; publish turns it into
//! Decimal(18,2) at the edge.

pub mod activity;
pub mod adjust;
pub mod kpi;
pub mod ledger;
pub mod lists;
pub mod score;
pub mod tiers;

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::ingest::Month;
use crate::policy::Policy;

/// A settled month, money in fen.
pub struct Settlement {
    /// One row per registry partner (SPEC §6 scores, without run_id).
    pub scores: DataFrame,
    /// One row per (partner, component, category) with a non-zero amount.
    pub ledger: DataFrame,
    /// One row per partner with a ledger line.
    pub payouts: DataFrame,
    /// One row per partner with an action.
    pub sanctions: DataFrame,
    /// One row per stopped partner.
    pub settlement_stop: DataFrame,
}

/// The state a period carries from the previous period's published scores.
#[derive(Clone)]
pub struct Previous {
    /// partner_id, credit_score (Int64, null when never rated), bottom_streak (Int64).
    pub state: DataFrame,
}

impl Previous {
    /// The carried state of no history at all.
    pub fn none() -> Previous {
        let state = df!(
            "partner_id" => Vec::<String>::new(),
            "credit_score" => Vec::<Option<i64>>::new(),
            "bottom_streak" => Vec::<i64>::new(),
        )
        .expect("static frame");
        Previous { state }
    }
}

/// Settles one month.
pub fn settle(month: &Month, policy: &Policy, previous: &Previous) -> Result<Settlement> {
    let partners = activity::partner_activity(month, policy);
    let scored = tiers::rank_and_tier(
        score::scores(
            partners,
            policy,
            month.period,
            previous.state.clone().lazy(),
        ),
        policy,
    )
    .with_column(lists::stop_reasons().alias("stop_reasons"))
    .collect()
    .map_err(Error::polars("scoring partners"))?;
    let ledger = ledger::ledger(month, policy, scored.clone().lazy())
        .collect()
        .map_err(Error::polars("building the ledger"))?;
    ledger::check_fits(&ledger)?;
    let payouts = lists::payouts(ledger.clone().lazy())
        .collect()
        .map_err(Error::polars("payouts"))?;
    let settlement_stop = lists::settlement_stop(scored.clone().lazy(), payouts.clone().lazy())
        .collect()
        .map_err(Error::polars("stop list"))?;
    let sanctions = lists::sanctions(scored.clone().lazy())
        .collect()
        .map_err(Error::polars("sanctions"))?;
    let scores = lists::scores(scored.lazy())
        .collect()
        .map_err(Error::polars("scores"))?;
    Ok(Settlement {
        scores,
        ledger,
        payouts,
        sanctions,
        settlement_stop,
    })
}

/// `floor(n * p / 100)` rounded up: SPEC §1 `ceil_pct`.
pub fn ceil_pct(n: Expr, p: i64) -> Expr {
    (n * lit(p) + lit(99i64)).floor_div(lit(100i64))
}

/// SPEC §1 `floor_pct`.
pub fn floor_pct(n: Expr, p: i64) -> Expr {
    (n * lit(p)).floor_div(lit(100i64))
}

/// SPEC §1 money rounding: `(x * r + 5000) div 10000`, for `x, r >= 0`.
pub fn round_bp(x: Expr, rate_bp: Expr) -> Expr {
    (x * rate_bp + lit(5000i64)).floor_div(lit(10000i64))
}

/// `max(0, x)`.
pub fn at_least_zero(x: Expr) -> Expr {
    when(x.clone().lt(lit(0i64))).then(lit(0i64)).otherwise(x)
}

/// A value looked up per string key, as a `when` chain (small maps only).
pub fn lookup(key: Expr, entries: &[(&str, i64)], default: i64) -> Expr {
    entries
        .iter()
        .rev()
        .fold(lit(default), |rest, (k, v)| {
            when(key.clone().eq(lit(k.to_string())))
                .then(lit(*v))
                .otherwise(rest)
        })
        .cast(DataType::Int64)
}

/// Whether `e` is one of `values`.
pub fn one_of(e: Expr, values: &[&str]) -> Expr {
    is_in_series(e, Series::new("values".into(), values))
}

/// Whether `e` is a value of `set` (polars 0.55 wants the set as one list).
pub fn is_in_series(e: Expr, set: Series) -> Expr {
    e.is_in(lit(set).implode(false), false)
}

/// `e` evaluated per window of `keys` (never empty, so `over` cannot fail).
pub fn window(e: Expr, keys: &[Expr]) -> Expr {
    e.over(keys).expect("window keys are given")
}
