//! Per-partner counts and sums of the month's accepted rows: the raw material
//! of the KPIs (SPEC §3) and the activity test of the ledger (SPEC §5).

use polars::prelude::*;

use super::lookup;
use crate::columns::*;
use crate::expr::money;
use crate::ingest::Month;
use crate::policy::Policy;
use crate::vocab::{ComplaintCategory, DeliveryStatus};

/// Whether a date column lies in the period.
pub fn in_period(date: Expr, month: &Month) -> Expr {
    date.clone()
        .gt_eq(lit(month.period.start()))
        .and(date.lt_eq(lit(month.period.end())))
}

/// One row per accepted partner with its activity: revenue_fen, customers
/// (distinct, held rows included), paid_customers (with a row not held),
/// usage_rows, delivery_rows, due, on_time, complaint_rows, within_sla,
/// upheld, penalty_bp, deduction_fen, fraud.
pub fn partner_activity(month: &Month, policy: &Policy) -> LazyFrame {
    let customers = month.usage.customers.clone().lazy();
    let usage = month
        .usage
        .by_product
        .clone()
        .lazy()
        .group_by([col(PARTNER_ID)])
        .agg([
            col(AMOUNT).sum().alias("revenue_fen"),
            col("rows").sum().alias("usage_rows"),
        ])
        .join(
            customers,
            [col(PARTNER_ID)],
            [col(PARTNER_ID)],
            JoinArgs::new(JoinType::Left),
        );

    let due = in_period(col(PROMISED_ON), month)
        .and(col(STATUS).neq(lit(DeliveryStatus::Cancelled.as_str())));
    let on_time = due
        .clone()
        .and(col(STATUS).eq(lit(DeliveryStatus::Delivered.as_str())))
        .and(col(DELIVERED_ON).lt_eq(col(PROMISED_ON)));
    let deliveries = month
        .deliveries
        .clone()
        .lazy()
        .group_by([col(PARTNER_ID)])
        .agg([
            len().cast(DataType::Int64).alias("delivery_rows"),
            due.cast(DataType::Int64).sum().alias("due"),
            on_time
                .fill_null(lit(false))
                .cast(DataType::Int64)
                .sum()
                .alias("on_time"),
        ]);

    let s = &policy.scoring;
    let sla_hours: Vec<(&str, i64)> = s.sla_hours.entries().to_vec();
    let sla_ms = lookup(col(SEVERITY), &sla_hours, 0) * lit(3_600_000i64);
    let waited_ms =
        col(FIRST_RESPONSE_AT).cast(DataType::Int64) - col(OPENED_AT).cast(DataType::Int64);
    let within = waited_ms.lt_eq(sla_ms).fill_null(lit(false));
    let upheld = col(UPHELD).cast(DataType::Int64);
    let complaints = month
        .complaints
        .clone()
        .lazy()
        .group_by([col(PARTNER_ID)])
        .agg([
            len().cast(DataType::Int64).alias("complaint_rows"),
            within.cast(DataType::Int64).sum().alias("within_sla"),
            upheld.clone().sum().alias(UPHELD),
            (upheld.clone() * lookup(col(SEVERITY), &s.penalty_bp.entries(), 0))
                .sum()
                .alias("penalty_bp"),
            money(upheld * lookup(col(SEVERITY), &policy.deduction_fen.entries(), 0))
                .sum()
                .alias("deduction_fen"),
            col(UPHELD)
                .and(col(CATEGORY).eq(lit(ComplaintCategory::Fraud.as_str())))
                .any(true)
                .alias("fraud"),
        ]);

    let zero_filled = [
        "revenue_fen",
        "customers",
        "paid_customers",
        "usage_rows",
        "delivery_rows",
        "due",
        "on_time",
        "complaint_rows",
        "within_sla",
        UPHELD,
        "penalty_bp",
        "deduction_fen",
    ];
    let on_id = |lf: LazyFrame, other: LazyFrame| {
        lf.join(
            other,
            [col(PARTNER_ID)],
            [col(PARTNER_ID)],
            JoinArgs::new(JoinType::Left),
        )
    };
    let joined = on_id(
        on_id(
            on_id(
                month.partners.clone().lazy().drop(cols(["line", NAME])),
                usage,
            ),
            deliveries,
        ),
        complaints,
    );
    joined.with_columns(
        zero_filled
            .iter()
            .map(|c| col(*c).fill_null(lit(0i64)))
            .chain([col("fraud").fill_null(lit(false))])
            .collect::<Vec<_>>(),
    )
}
