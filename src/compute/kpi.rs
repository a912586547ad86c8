//! The four KPIs of SPEC §3, in integer basis points 0..=10000.

use polars::prelude::*;

use super::{at_least_zero, window};
use crate::columns::*;

/// 10000 as an Int64 literal.
fn full() -> Expr {
    lit(10000i64)
}

/// The column of how many partners of a pool have strictly less revenue
/// (kept in the scored frame: `explain` shows it in the formula).
pub const REVENUE_BELOW: &str = "revenue_below";

/// How many partners of the pool (`pool` are the window keys) have strictly
/// less revenue.
pub fn revenue_below(pool: &[Expr]) -> Expr {
    let rank = col("revenue_fen").rank(
        RankOptions {
            method: RankMethod::Min,
            descending: false,
        },
        None,
    );
    // Min-rank counts the strictly smaller values plus one.
    window(rank, pool).cast(DataType::Int64) - lit(1i64)
}

/// Revenue KPI from [`revenue_below`]: share of the pool with strictly
/// smaller revenue; the frame must hold only one kind of partner per pool.
pub fn revenue(pool: &[Expr]) -> Expr {
    let n = window(len(), pool).cast(DataType::Int64);
    when(n.clone().eq(lit(1i64)))
        .then(full())
        .otherwise((full() * col(REVENUE_BELOW)).floor_div(n - lit(1i64)))
}

/// Delivery KPI: on-time share of due deliveries, 10000 when none is due.
pub fn delivery() -> Expr {
    when(col("due").eq(lit(0i64)))
        .then(full())
        .otherwise((full() * col("on_time")).floor_div(col("due")))
}

/// Complaint KPI: 10000 less the upheld rate per customer scaled by `r_max_bp`.
pub fn complaints(r_max_bp: i64) -> Expr {
    let customers = when(col("customers").lt(lit(1i64)))
        .then(lit(1i64))
        .otherwise(col("customers"));
    let rate = (col(UPHELD) * lit(100_000_000i64)).floor_div(customers * lit(r_max_bp));
    at_least_zero(full() - rate)
}

/// Response KPI: share of complaints answered within the SLA, 10000 when none.
pub fn response() -> Expr {
    when(col("complaint_rows").eq(lit(0i64)))
        .then(full())
        .otherwise((full() * col("within_sla")).floor_div(col("complaint_rows")))
}
