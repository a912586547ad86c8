//! Rated partners, the monthly score and the credit blend (SPEC §3).

use polars::prelude::*;

use super::{at_least_zero, kpi};
use crate::period::Period;
use crate::policy::{Policy, PoolScope, Weights};
use crate::vocab::{PartnerStatus, PartnerType};

/// Window keys of a ranking pool: rated partners of one type (and province).
/// `rated` is a key so that unrated partners never share a window with rated ones.
pub fn pool(policy: &Policy) -> Vec<Expr> {
    let mut keys = vec![col("rated"), col("partner_type")];
    if policy.scoring.pool_scope == PoolScope::Province {
        keys.push(col("province"));
    }
    keys
}

fn weighted(w: &Weights) -> Expr {
    (lit(w.revenue) * col("revenue_kpi")
        + lit(w.delivery) * col("delivery_kpi")
        + lit(w.complaints) * col("complaint_kpi")
        + lit(w.response) * col("response_kpi"))
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
    let rated = col("status")
        .eq(lit(PartnerStatus::Active.as_str()))
        .and(col("admitted_on").lt_eq(lit(period.end())))
        .and(
            col("usage_rows")
                .gt(lit(0i64))
                .or(col("delivery_rows").gt(lit(0i64))),
        );
    let previous = previous.select([
        col("partner_id"),
        col("credit_score")
            .cast(DataType::Int64)
            .alias("prev_credit"),
        col("bottom_streak")
            .cast(DataType::Int64)
            .alias("prev_streak"),
    ]);
    let monthly = at_least_zero(
        when(col("partner_type").eq(lit(PartnerType::Si.as_str())))
            .then(weighted(&s.weights.SI))
            .otherwise(weighted(&s.weights.SA))
            - col("penalty_bp"),
    );
    let blended = when(col("prev_credit").is_null())
        .then(col("monthly_score"))
        .otherwise(
            (lit(s.alpha_pct) * col("monthly_score") + lit(100 - s.alpha_pct) * col("prev_credit"))
                .floor_div(lit(100i64)),
        );
    activity
        .join(
            previous,
            [col("partner_id")],
            [col("partner_id")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([
            rated.alias("rated"),
            col("prev_streak").fill_null(lit(0i64)),
        ])
        .with_columns([
            when(col("rated"))
                .then(kpi::revenue(&pool(policy)))
                .otherwise(null_i64())
                .alias("revenue_kpi"),
            kpi::delivery().alias("delivery_kpi"),
            kpi::complaints(s.r_max_bp).alias("complaint_kpi"),
            kpi::response().alias("response_kpi"),
        ])
        .with_column(
            when(col("rated").not())
                .then(null_i64())
                .when(col("fraud"))
                .then(lit(0i64))
                .otherwise(monthly)
                .alias("monthly_score"),
        )
        .with_column(
            when(col("rated").not())
                .then(col("prev_credit"))
                .when(col("fraud"))
                .then(lit(0i64))
                .otherwise(blended)
                .alias("credit_score"),
        )
}
