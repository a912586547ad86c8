//! What a policy change would do to a published period (`settle simulate`):
//! the same month settled under another policy, compared with the
//! published version partner by partner. Pure frames in, frames out.

use polars::prelude::*;

use crate::columns::*;
use crate::compute::Settlement;
use crate::error::{Error, Result};

fn err() -> impl FnOnce(PolarsError) -> Error {
    Error::polars("simulation")
}

/// partner_id, tier, net (fen, 0 without a payout) of a settled month.
fn standing(s: &Settlement, tier: &str, net: &str) -> LazyFrame {
    s.scores
        .clone()
        .lazy()
        .select([col(PARTNER_ID), col(PARTNER_TYPE), col(TIER).alias(tier)])
        .join(
            s.payouts
                .clone()
                .lazy()
                .select([col(PARTNER_ID), crate::expr::money(col(NET)).alias(net)]),
            [col(PARTNER_ID)],
            [col(PARTNER_ID)],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(col(net).fill_null(lit(0i64)))
}

/// Every partner's tier and net before and after (partner_id, partner_type,
/// tier_before, tier_after, net_before, net_after, delta), by partner_id.
pub fn compared(before: &Settlement, after: &Settlement) -> Result<DataFrame> {
    standing(before, TIER_BEFORE, NET_BEFORE)
        .join(
            standing(after, TIER_AFTER, NET_AFTER).select([
                col(PARTNER_ID),
                col(TIER_AFTER),
                col(NET_AFTER),
            ]),
            [col(PARTNER_ID)],
            [col(PARTNER_ID)],
            JoinArgs::new(JoinType::Left),
        )
        .with_column((col(NET_AFTER) - col(NET_BEFORE)).alias(DELTA))
        .sort([PARTNER_ID], SortMultipleOptions::default())
        .collect()
        .map_err(err())
}

/// The `diff` rows: partners whose tier or net moved.
pub fn diff(compared: &DataFrame) -> Result<DataFrame> {
    compared
        .clone()
        .lazy()
        .filter(
            col(TIER_BEFORE)
                .neq(col(TIER_AFTER))
                .or(col(DELTA).neq(lit(0i64))),
        )
        .collect()
        .map_err(err())
}

/// Partners per (partner_type, tier_before, tier_after).
pub fn tier_moves(compared: &DataFrame) -> Result<DataFrame> {
    compared
        .clone()
        .lazy()
        .group_by([col(PARTNER_TYPE), col(TIER_BEFORE), col(TIER_AFTER)])
        .agg([len().cast(DataType::Int64).alias("partners")])
        .sort(
            [PARTNER_TYPE, TIER_BEFORE, TIER_AFTER],
            SortMultipleOptions::default(),
        )
        .collect()
        .map_err(err())
}

/// Ledger totals by `key` (component or status) before and after, in fen.
pub fn totals_by(before: &Settlement, after: &Settlement, key: &str) -> Result<DataFrame> {
    let sums = |s: &Settlement, name: &str| {
        s.ledger
            .clone()
            .lazy()
            .group_by([col(key)])
            .agg([crate::expr::money(col(AMOUNT)).sum().alias(name)])
    };
    sums(before, "before")
        .join(
            sums(after, "after"),
            [col(key)],
            [col(key)],
            JoinArgs::new(JoinType::Full).with_coalesce(JoinCoalesce::CoalesceColumns),
        )
        .with_columns([
            col("before").fill_null(lit(0i64)),
            col("after").fill_null(lit(0i64)),
        ])
        .with_column((col("after") - col("before")).alias(DELTA))
        .sort([key], SortMultipleOptions::default())
        .collect()
        .map_err(err())
}

/// The `n` partners whose net moved most (largest |delta| first, then id).
pub fn movers(diff: &DataFrame, n: usize) -> Result<DataFrame> {
    diff.clone()
        .lazy()
        .with_column(
            when(col(DELTA).lt(lit(0i64)))
                .then(lit(0i64) - col(DELTA))
                .otherwise(col(DELTA))
                .alias("__moved"),
        )
        .sort(
            ["__moved", PARTNER_ID],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .limit(n as u32)
        .drop(cols(["__moved"]))
        .collect()
        .map_err(err())
}
