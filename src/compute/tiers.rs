//! Ranks, tiers, the bottom streak and its action (SPEC §4).

use polars::prelude::*;

use super::score::pool;
use super::{ceil_pct, floor_pct, window};
use crate::columns::*;
use crate::policy::Policy;
use crate::vocab::{Action, Tier};

/// Adds pool_size, rank, tier, bottom_streak and action to scored partners.
pub fn rank_and_tier(scored: LazyFrame, policy: &Policy) -> LazyFrame {
    let keys = pool(policy);
    let t = &policy.tiers;
    let n = window(len(), &keys).cast(DataType::Int64);
    // Ties share the better rank: 1 + partners with a strictly higher credit.
    let rank = crate::expr::rank_desc(col(CREDIT_SCORE), &keys);
    let tier = when(col(RATED).not())
        .then(lit(Tier::Unrated.as_str()))
        .when(col(RANK).lt_eq(ceil_pct(col(POOL_SIZE), t.gold_pct.get())))
        .then(lit(Tier::Gold.as_str()))
        .when(col(RANK).lt_eq(ceil_pct(col(POOL_SIZE), t.silver_pct.get())))
        .then(lit(Tier::Silver.as_str()))
        .when(col(RANK).gt(col(POOL_SIZE) - floor_pct(col(POOL_SIZE), t.bottom_pct.get())))
        .then(lit(Tier::Bottom.as_str()))
        .otherwise(lit(Tier::Standard.as_str()));
    let streak = when(col(RATED).not())
        .then(col("prev_streak"))
        .when(col(TIER).eq(lit(Tier::Bottom.as_str())))
        .then(col("prev_streak") + lit(1i64))
        .otherwise(lit(0i64));
    let action = when(col(BOTTOM_STREAK).eq(lit(1i64)))
        .then(lit(Action::Notice.as_str()))
        .when(col(BOTTOM_STREAK).eq(lit(2i64)))
        .then(lit(Action::StopNewBusiness.as_str()))
        .when(col(BOTTOM_STREAK).gt_eq(lit(3i64)))
        .then(lit(Action::StopSettlement.as_str()))
        .otherwise(lit(NULL).cast(DataType::String));
    let null_unless_rated = |e: Expr| {
        when(col(RATED))
            .then(e)
            .otherwise(lit(NULL).cast(DataType::Int64))
    };
    scored
        .with_columns([
            null_unless_rated(n).alias(POOL_SIZE),
            null_unless_rated(rank).alias(RANK),
        ])
        .with_column(tier.alias(TIER))
        .with_column(streak.alias(BOTTOM_STREAK))
        .with_column(action.alias(ACTION))
}
