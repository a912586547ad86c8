//! Compute: the month's scores, tiers, ledger, payouts, sanctions and stop
//! list (SPEC §3–§5) as pure functions from frames to frames. No I/O here:
//! every rule is testable on an in-memory frame.
//!
//! Money stays integer fen throughout, summed as Int128 so that no sum can
//! wrap; publish checks each amount fits Decimal(18,2) and converts it there.

pub mod activity;
pub mod adjust;
pub mod admission;
pub mod balances;
pub mod channel;
pub mod kpi;
pub mod ledger;
pub mod lists;
pub mod score;
pub mod tiers;

use polars::prelude::*;

use crate::columns::*;
use crate::error::{Error, Result};
pub(crate) use crate::expr::{
    at_least_zero, ceil_pct, floor_pct, lookup, one_of, round_bp, window,
};
use crate::ingest::Month;
use crate::policy::Policy;

/// A settled month, money in fen.
pub struct Settlement {
    /// Withheld balances per partner (SPEC §18), with `carry_withheld` only.
    pub balances: Option<DataFrame>,
    /// One row per (partner, component, category, hold reason) with held
    /// money rows (SPEC §12, §19).
    pub held: DataFrame,
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
    /// One row per registry partner with every figure behind its score,
    /// tier and lines (activity counts, KPIs, previous state, stop
    /// reasons): what `explain` and the statements show.
    pub scored: DataFrame,
}

/// The state a period carries from the previous period's published version.
#[derive(Clone)]
pub struct Previous {
    /// partner_id, credit_score (Int64, null when never rated), bottom_streak (Int64).
    pub state: DataFrame,
    /// partner_id, closing (fen): the withheld balances (§18; empty when the
    /// previous version published none).
    pub balances: DataFrame,
}

impl Previous {
    /// The carried state of no history at all.
    pub fn none() -> Previous {
        let state = df!(
            PARTNER_ID => Vec::<String>::new(),
            CREDIT_SCORE => Vec::<Option<i64>>::new(),
            BOTTOM_STREAK => Vec::<i64>::new(),
        )
        .expect("static frame");
        Previous {
            state,
            balances: Previous::no_balances(),
        }
    }

    /// No carried balances.
    pub fn no_balances() -> DataFrame {
        DataFrame::new(
            0,
            vec![
                Column::new_empty(PARTNER_ID.into(), &DataType::String),
                Column::new_empty(balances::CLOSING.into(), &crate::expr::MONEY),
            ],
        )
        .expect("static frame")
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
    .with_column(
        lists::stop_reasons(month.period, policy.transition_months.get()).alias("stop_reasons"),
    )
    .collect()
    .map_err(Error::polars("scoring partners"))?;
    let sales = channel::sales(month, policy)?
        .collect()
        .map_err(Error::polars("holding sales"))?;
    let opening = if policy.carry_withheld {
        balances::opening(previous.balances.clone().lazy())
    } else {
        balances::opening(Previous::no_balances().lazy())
    };
    let rows = ledger::MoneyRows {
        sales: sales.clone().lazy(),
        clawbacks: channel::clawbacks(month, policy)?,
        opening: opening.clone(),
    };
    let ledger = ledger::ledger(month, policy, scored.clone().lazy(), rows)
        .collect()
        .map_err(Error::polars("building the ledger"))?;
    let balances = if policy.carry_withheld {
        Some(
            balances::balances(
                policy,
                opening,
                scored.clone().lazy(),
                ledger.clone().lazy(),
            )
            .collect()
            .map_err(Error::polars("withheld balances"))?,
        )
    } else {
        None
    };
    let held = channel::held(month, policy, sales.lazy(), scored.clone().lazy())
        .collect()
        .map_err(Error::polars("held business"))?;
    let payouts = lists::payouts(ledger.clone().lazy())
        .collect()
        .map_err(Error::polars("payouts"))?;
    let settlement_stop = lists::settlement_stop(scored.clone().lazy(), payouts.clone().lazy())
        .collect()
        .map_err(Error::polars("stop list"))?;
    let sanctions = lists::sanctions(scored.clone().lazy())
        .collect()
        .map_err(Error::polars("sanctions"))?;
    let scores = lists::scores(scored.clone().lazy())
        .collect()
        .map_err(Error::polars("scores"))?;
    Ok(Settlement {
        balances,
        held,
        scores,
        ledger,
        payouts,
        sanctions,
        settlement_stop,
        scored,
    })
}
