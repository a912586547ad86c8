//! The partner-level outputs built from scores and ledger (SPEC §5, §6):
//! stop reasons, payouts, the settlement-stop list, sanctions and scores.

use crate::vocab::{Action, PartnerStatus, StopReason};
use polars::prelude::*;

/// The stop reasons of a partner, sorted and joined with `;` ("" when none).
pub fn stop_reasons() -> Expr {
    let code = |cond: Expr, reason: StopReason| {
        when(cond)
            .then(lit(reason.as_str()))
            .otherwise(lit(NULL).cast(DataType::String))
    };
    // Listed in byte order (StopReason::ALL's) so the joined string is sorted.
    concat_str(
        [
            code(
                col("action")
                    .eq(lit(Action::StopSettlement.as_str()))
                    .fill_null(lit(false)),
                StopReason::BottomStreak,
            ),
            code(col("fraud"), StopReason::Fraud),
            code(
                col("status").eq(lit(PartnerStatus::Suspended.as_str())),
                StopReason::Suspended,
            ),
            code(
                col("status").eq(lit(PartnerStatus::Terminated.as_str())),
                StopReason::Terminated,
            ),
        ],
        ";",
        true,
    )
    .fill_null(lit(""))
}

/// One row per partner with a ledger line: gross, deductions, net, status.
pub fn payouts(ledger: LazyFrame) -> LazyFrame {
    let positive = when(col("amount").gt(lit(0i64)))
        .then(col("amount"))
        .otherwise(lit(0i64));
    let negative = when(col("amount").lt(lit(0i64)))
        .then(col("amount"))
        .otherwise(lit(0i64));
    ledger
        .group_by([col("partner_id")])
        .agg([
            col("partner_type").first(),
            col("province").first(),
            col("tier").first(),
            positive.sum().alias("gross"),
            negative.sum().alias("deductions"),
            col("status").first(),
        ])
        .with_column((col("gross") + col("deductions")).alias("net"))
        .select([
            col("partner_id"),
            col("partner_type"),
            col("province"),
            col("tier"),
            col("gross"),
            col("deductions"),
            col("net"),
            col("status"),
        ])
        .sort(["partner_id"], SortMultipleOptions::default())
}

/// One row per stopped partner with its reasons and withheld net.
pub fn settlement_stop(scored: LazyFrame, payouts: LazyFrame) -> LazyFrame {
    scored
        .filter(col("stop_reasons").neq(lit("")))
        .join(
            payouts.select([col("partner_id"), col("net")]),
            [col("partner_id")],
            [col("partner_id")],
            JoinArgs::new(JoinType::Left),
        )
        .select([
            col("partner_id"),
            col("partner_type"),
            col("province"),
            col("stop_reasons").alias("reasons"),
            col("net").fill_null(lit(0i64)).alias("withheld"),
        ])
        .sort(["partner_id"], SortMultipleOptions::default())
}

/// One row per partner with an action.
pub fn sanctions(scored: LazyFrame) -> LazyFrame {
    scored
        .filter(col("action").is_not_null())
        .select([
            col("partner_id"),
            col("partner_type"),
            col("province"),
            col("credit_score"),
            col("bottom_streak"),
            col("action"),
        ])
        .sort(["partner_id"], SortMultipleOptions::default())
}

/// One row per registry partner: KPIs, scores and state for the next period.
pub fn scores(scored: LazyFrame) -> LazyFrame {
    let only_rated = |name: &str| {
        when(col("rated"))
            .then(col(name))
            .otherwise(lit(NULL).cast(DataType::Int64))
            .alias(name)
    };
    scored
        .select([
            col("partner_id"),
            col("partner_type"),
            col("province"),
            col("status"),
            col("rated"),
            col("revenue_fen").alias("revenue"),
            only_rated("revenue_kpi"),
            only_rated("delivery_kpi"),
            only_rated("complaint_kpi"),
            only_rated("response_kpi"),
            col("monthly_score"),
            col("pool_size"),
            col("rank"),
            col("credit_score"),
            col("tier"),
            col("bottom_streak"),
            col("action"),
        ])
        .sort(["partner_id"], SortMultipleOptions::default())
}
