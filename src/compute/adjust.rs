//! Adjustments of a rerun (SPEC §7): per ledger key the previously published
//! and the new amount, 0 where a line is absent, and their delta; unchanged
//! lines are left out.

use polars::prelude::*;

const KEYS: [&str; 3] = ["partner_id", "component", "category"];

/// `before` and `after` hold partner_id, component, category and amount (fen).
pub fn adjustments(before: LazyFrame, after: LazyFrame, previous_run_id: &str) -> LazyFrame {
    // A null category is a key value like any other: join on a stand-in.
    let keyed = |lf: LazyFrame, amount: &str| {
        lf.select([
            col("partner_id"),
            col("component"),
            col("category").fill_null(lit("\u{0}")).alias("category"),
            col("amount").alias(amount),
        ])
    };
    let on = KEYS.map(col);
    keyed(before, "previous_amount")
        .join(
            keyed(after, "new_amount"),
            on.clone(),
            on,
            JoinArgs::new(JoinType::Full).with_coalesce(JoinCoalesce::CoalesceColumns),
        )
        .with_columns([
            col("previous_amount").fill_null(lit(0i64)),
            col("new_amount").fill_null(lit(0i64)),
            when(col("category").eq(lit("\u{0}")))
                .then(lit(NULL).cast(DataType::String))
                .otherwise(col("category"))
                .alias("category"),
        ])
        .with_column((col("new_amount") - col("previous_amount")).alias("delta"))
        .filter(col("delta").neq(lit(0i64)))
        .with_column(lit(previous_run_id.to_string()).alias("previous_run_id"))
        .sort(
            KEYS,
            SortMultipleOptions::default()
                .with_nulls_last(false)
                .with_maintain_order(true),
        )
}
