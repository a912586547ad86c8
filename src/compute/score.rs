//! Rated partners, the monthly score and the credit blend (SPEC §3).

use polars::prelude::*;

use super::{at_least_zero, kpi};
use crate::columns::*;
use crate::period::Period;
use crate::policy::{Policy, PoolScope, Weights};
use crate::vocab::{PartnerStatus, PartnerType};

/// Window keys of a ranking pool: rated partners of one type (and province).
/// `rated` is a key so that unrated partners never share a window with rated ones.
pub fn pool(policy: &Policy) -> Vec<Expr> {
    let mut keys = vec![col(RATED), col(PARTNER_TYPE)];
    if policy.scoring.pool_scope == PoolScope::Province {
        keys.push(col(PROVINCE));
    }
    keys
}

fn weighted(w: &Weights) -> Expr {
    (lit(w.revenue.get()) * col(REVENUE_KPI)
        + lit(w.delivery.get()) * col(DELIVERY_KPI)
        + lit(w.complaints.get()) * col(COMPLAINT_KPI)
        + lit(w.response.get()) * col(RESPONSE_KPI))
    .floor_div(lit(100i64))
}

fn null_i64() -> Expr {
    lit(NULL).cast(DataType::Int64)
}

/// Adds rated, the KPIs, monthly_score and credit_score to the activity frame,
/// joining the previous period's state (`prev_credit`, `prev_streak`).
pub fn scores(
    activity: LazyFrame,
    policy: &Policy,
    period: Period,
    previous: LazyFrame,
) -> LazyFrame {
    let s = &policy.scoring;
    let rated = col(STATUS)
        .eq(lit(PartnerStatus::Active.as_str()))
        .and(col(ADMITTED_ON).lt_eq(lit(period.end())))
        .and(
            col("usage_rows")
                .gt(lit(0i64))
                .or(col("delivery_rows").gt(lit(0i64))),
        );
    let previous = previous.select([
        col(PARTNER_ID),
        col(CREDIT_SCORE).cast(DataType::Int64).alias("prev_credit"),
        col(BOTTOM_STREAK)
            .cast(DataType::Int64)
            .alias("prev_streak"),
    ]);
    let monthly = at_least_zero(
        when(col(PARTNER_TYPE).eq(lit(PartnerType::Si.as_str())))
            .then(weighted(&s.weights.SI))
            .otherwise(weighted(&s.weights.SA))
            - col("penalty_bp"),
    );
    let blended = when(col("prev_credit").is_null())
        .then(col(MONTHLY_SCORE))
        .otherwise(
            (lit(s.alpha_pct.get()) * col(MONTHLY_SCORE)
                + lit(100 - s.alpha_pct.get()) * col("prev_credit"))
            .floor_div(lit(100i64)),
        );
    activity
        .join(
            previous,
            [col(PARTNER_ID)],
            [col(PARTNER_ID)],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([rated.alias(RATED), col("prev_streak").fill_null(lit(0i64))])
        .with_column(
            when(col(RATED))
                .then(kpi::revenue_below(&pool(policy)))
                .otherwise(null_i64())
                .alias(kpi::REVENUE_BELOW),
        )
        .with_columns([
            when(col(RATED))
                .then(kpi::revenue(&pool(policy)))
                .otherwise(null_i64())
                .alias(REVENUE_KPI),
            kpi::delivery().alias(DELIVERY_KPI),
            kpi::complaints(s.r_max_bp.get()).alias(COMPLAINT_KPI),
            kpi::response().alias(RESPONSE_KPI),
        ])
        .with_column(
            when(col(RATED).not())
                .then(null_i64())
                .when(col("fraud"))
                .then(lit(0i64))
                .otherwise(monthly)
                .alias(MONTHLY_SCORE),
        )
        .with_column(
            when(col(RATED).not())
                .then(col("prev_credit"))
                .when(col("fraud"))
                .then(lit(0i64))
                .otherwise(blended)
                .alias(CREDIT_SCORE),
        )
}
