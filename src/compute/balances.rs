//! Withheld money over time (暂扣与释放, SPEC §18): with `carry_withheld`,
//! what a stopped partner's lines withhold is a balance carried from month
//! to month, paid out as a `withheld_release` line when the stop ends, or
//! forfeited for the policy's `forfeit_reasons`.

use polars::prelude::*;

use crate::columns::*;
use crate::expr::money;
use crate::policy::Policy;
use crate::vocab::{Component, LineStatus};

/// Balance columns.
pub const OPENING: &str = "opening";
/// Net of the partner's withheld lines this month.
pub const WITHHELD: &str = "withheld";
/// Paid out this month.
pub const RELEASED: &str = "released";
/// Lost this month.
pub const FORFEITED: &str = "forfeited";
/// Carried to the next month.
pub const CLOSING: &str = "closing";

/// The balances carried in: `previous` (partner_id, closing) as (partner_id,
/// opening), non-zero only.
pub fn opening(previous: LazyFrame) -> LazyFrame {
    previous
        .select([col(PARTNER_ID), money(col(CLOSING)).alias(OPENING)])
        .filter(col(OPENING).neq(lit(0i64)))
}

/// The `balances` dataset: per partner its opening, withheld, released,
/// forfeited and closing (rows with any non-zero), sorted by partner_id.
/// `scored` has stop_reasons for every registry partner; `ledger` this
/// month's lines (release lines included).
pub fn balances(
    policy: &Policy,
    opening: LazyFrame,
    scored: LazyFrame,
    ledger: LazyFrame,
) -> LazyFrame {
    let withheld = ledger
        .clone()
        .filter(col(STATUS).eq(lit(LineStatus::Withheld.as_str())))
        .group_by([col(PARTNER_ID)])
        .agg([money(col(AMOUNT)).sum().alias(WITHHELD)]);
    let released = ledger
        .filter(col(COMPONENT).eq(lit(Component::WithheldRelease.as_str())))
        .group_by([col(PARTNER_ID)])
        .agg([money(col(AMOUNT)).sum().alias(RELEASED)]);
    let forfeits = policy.forfeit_reasons.iter().fold(lit(false), |any, r| {
        any.or(col("stop_reasons").str().contains_literal(lit(r.clone())))
    });
    let registry = scored.select([
        col(PARTNER_ID),
        col("stop_reasons").neq(lit("")).alias("__stopped"),
        forfeits.alias("__forfeits"),
        lit(true).alias("__registered"),
    ]);
    let full = |l: LazyFrame, r: LazyFrame| {
        l.join(
            r,
            [col(PARTNER_ID)],
            [col(PARTNER_ID)],
            JoinArgs::new(JoinType::Full).with_coalesce(JoinCoalesce::CoalesceColumns),
        )
    };
    let zero = || lit(0i64).cast(crate::expr::MONEY);
    let carried = col(OPENING) + col(WITHHELD);
    full(full(full(registry, opening), withheld), released)
        .with_columns([
            money(col(OPENING)).fill_null(zero()),
            money(col(WITHHELD)).fill_null(zero()),
            money(col(RELEASED)).fill_null(zero()),
            col("__stopped").fill_null(lit(false)),
            col("__forfeits").fill_null(lit(false)),
            col("__registered").fill_null(lit(false)),
        ])
        .with_columns([
            when(col("__stopped").and(col("__forfeits")))
                .then(carried.clone())
                .otherwise(zero())
                .alias(FORFEITED),
            // Stopped and not forfeiting: the balance grows; no longer in
            // the registry: it is kept; otherwise it was released (or nil).
            when(col("__stopped").and(col("__forfeits").not()))
                .then(carried)
                .when(col("__registered").not())
                .then(col(OPENING))
                .otherwise(zero())
                .alias(CLOSING),
        ])
        .filter(
            col(OPENING)
                .neq(lit(0i64))
                .or(col(WITHHELD).neq(lit(0i64)))
                .or(col(RELEASED).neq(lit(0i64)))
                .or(col(FORFEITED).neq(lit(0i64)))
                .or(col(CLOSING).neq(lit(0i64))),
        )
        .select([
            col(PARTNER_ID),
            col(OPENING),
            col(WITHHELD),
            col(RELEASED),
            col(FORFEITED),
            col(CLOSING),
        ])
        .sort([PARTNER_ID], SortMultipleOptions::default())
}
