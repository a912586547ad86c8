//! The partner-level outputs built from scores and ledger (SPEC §5, §6):
//! stop reasons, payouts, the settlement-stop list, sanctions and scores.

use crate::columns::*;
use crate::period::Period;
use crate::vocab::{Action, PartnerStatus, StopReason};
use polars::prelude::*;

/// The stop reasons of a partner in `period`, sorted and joined with `;`
/// ("" when none). A terminated partner with a terminated_on is stopped only
/// after its transition: in periods P > month(terminated_on) +
/// `transition_months` (§13); without one, at once.
pub fn stop_reasons(period: Period, transition_months: i64) -> Expr {
    let ended = col(TERMINATED_ON);
    let month_of = ended.clone().dt().year().cast(DataType::Int64) * lit(12i64)
        + ended.clone().dt().month().cast(DataType::Int64)
        - lit(1i64);
    let past_transition = ended
        .is_null()
        .or(lit(period.index()).gt(month_of + lit(transition_months)));
    let code = |cond: Expr, reason: StopReason| {
        when(cond)
            .then(lit(reason.as_str()))
            .otherwise(lit(NULL).cast(DataType::String))
    };
    // Listed in byte order (StopReason::ALL's) so the joined string is sorted.
    concat_str(
        [
            code(
                col(ACTION)
                    .eq(lit(Action::StopSettlement.as_str()))
                    .fill_null(lit(false)),
                StopReason::BottomStreak,
            ),
            code(col("fraud"), StopReason::Fraud),
            code(
                col(STATUS).eq(lit(PartnerStatus::Suspended.as_str())),
                StopReason::Suspended,
            ),
            code(
                col(STATUS)
                    .eq(lit(PartnerStatus::Terminated.as_str()))
                    .and(past_transition),
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
    let positive = when(col(AMOUNT).gt(lit(0i64)))
        .then(col(AMOUNT))
        .otherwise(lit(0i64));
    let negative = when(col(AMOUNT).lt(lit(0i64)))
        .then(col(AMOUNT))
        .otherwise(lit(0i64));
    ledger
        .group_by([col(PARTNER_ID)])
        .agg([
            col(PARTNER_TYPE).first(),
            col(PROVINCE).first(),
            col(TIER).first(),
            positive.sum().alias(GROSS),
            negative.sum().alias(DEDUCTIONS),
            col(STATUS).first(),
        ])
        .with_column((col(GROSS) + col(DEDUCTIONS)).alias(NET))
        .select([
            col(PARTNER_ID),
            col(PARTNER_TYPE),
            col(PROVINCE),
            col(TIER),
            col(GROSS),
            col(DEDUCTIONS),
            col(NET),
            col(STATUS),
        ])
        .sort([PARTNER_ID], SortMultipleOptions::default())
}

/// One row per stopped partner with its reasons and withheld net.
pub fn settlement_stop(scored: LazyFrame, payouts: LazyFrame) -> LazyFrame {
    scored
        .filter(col("stop_reasons").neq(lit("")))
        .join(
            payouts.select([col(PARTNER_ID), col(NET)]),
            [col(PARTNER_ID)],
            [col(PARTNER_ID)],
            JoinArgs::new(JoinType::Left),
        )
        .select([
            col(PARTNER_ID),
            col(PARTNER_TYPE),
            col(PROVINCE),
            col("stop_reasons").alias(REASONS),
            col(NET).fill_null(lit(0i64)).alias(WITHHELD),
        ])
        .sort([PARTNER_ID], SortMultipleOptions::default())
}

/// One row per partner with an action.
pub fn sanctions(scored: LazyFrame) -> LazyFrame {
    scored
        .filter(col(ACTION).is_not_null())
        .select([
            col(PARTNER_ID),
            col(PARTNER_TYPE),
            col(PROVINCE),
            col(CREDIT_SCORE),
            col(BOTTOM_STREAK),
            col(ACTION),
        ])
        .sort([PARTNER_ID], SortMultipleOptions::default())
}

/// One row per registry partner: KPIs, scores and state for the next period.
pub fn scores(scored: LazyFrame) -> LazyFrame {
    let only_rated = |name: &str| {
        when(col(RATED))
            .then(col(name))
            .otherwise(lit(NULL).cast(DataType::Int64))
            .alias(name)
    };
    scored
        .select([
            col(PARTNER_ID),
            col(PARTNER_TYPE),
            col(PROVINCE),
            col(STATUS),
            col(RATED),
            col("revenue_fen").alias(REVENUE),
            only_rated(REVENUE_KPI),
            only_rated(DELIVERY_KPI),
            only_rated(COMPLAINT_KPI),
            only_rated(RESPONSE_KPI),
            col(MONTHLY_SCORE),
            col(POOL_SIZE),
            col(RANK),
            col(CREDIT_SCORE),
            col(TIER),
            col(BOTTOM_STREAK),
            col(ACTION),
        ])
        .sort([PARTNER_ID], SortMultipleOptions::default())
}
