//! Adjustments of a rerun (SPEC §7): per ledger key the previously published
//! and the new amount, 0 where a line is absent, and their delta; unchanged
//! lines are left out.

use crate::columns::*;
use polars::prelude::*;

const KEYS: [&str; 3] = [PARTNER_ID, COMPONENT, CATEGORY];

/// `before` and `after` hold partner_id, component, category and amount (fen).
pub fn adjustments(before: LazyFrame, after: LazyFrame, previous_run_id: &str) -> LazyFrame {
    // A null category is a key value like any other: join on a stand-in.
    let keyed = |lf: LazyFrame, amount: &str| {
        lf.select([
            col(PARTNER_ID),
            col(COMPONENT),
            col(CATEGORY).fill_null(lit("\u{0}")).alias(CATEGORY),
            col(AMOUNT).alias(amount),
        ])
    };
    let on = KEYS.map(col);
    keyed(before, PREVIOUS_AMOUNT)
        .join(
            keyed(after, NEW_AMOUNT),
            on.clone(),
            on,
            JoinArgs::new(JoinType::Full).with_coalesce(JoinCoalesce::CoalesceColumns),
        )
        .with_columns([
            col(PREVIOUS_AMOUNT).fill_null(lit(0i64)),
            col(NEW_AMOUNT).fill_null(lit(0i64)),
            when(col(CATEGORY).eq(lit("\u{0}")))
                .then(lit(NULL).cast(DataType::String))
                .otherwise(col(CATEGORY))
                .alias(CATEGORY),
        ])
        .with_column((col(NEW_AMOUNT) - col(PREVIOUS_AMOUNT)).alias(DELTA))
        .filter(col(DELTA).neq(lit(0i64)))
        .with_column(lit(previous_run_id.to_string()).alias(PREVIOUS_RUN_ID))
        .sort(
            KEYS,
            SortMultipleOptions::default()
                .with_nulls_last(false)
                .with_maintain_order(true),
        )
}
