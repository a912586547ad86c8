//! Small polars expression helpers shared by ingest and compute (they sit
//! below both, so neither imports the other for them), and the money type.

use polars::prelude::*;

/// The type money is summed and carried in while computing: fen as Int128.
/// polars' integer `sum` wraps silently; sixteen integer digits of yuan in
/// ten rows already pass `i64::MAX`, so sums run where they cannot wrap and
/// each published amount is checked against Decimal(18,2) instead.
pub const MONEY: DataType = DataType::Int128;

/// `e` as money (Int128 fen).
pub fn money(e: Expr) -> Expr {
    e.cast(MONEY)
}

/// `floor(n * p / 100)` rounded up: SPEC §1 `ceil_pct`.
pub fn ceil_pct(n: Expr, p: i64) -> Expr {
    (n * lit(p) + lit(99i64)).floor_div(lit(100i64))
}

/// SPEC §1 `floor_pct`.
pub fn floor_pct(n: Expr, p: i64) -> Expr {
    (n * lit(p)).floor_div(lit(100i64))
}

/// SPEC §1 money rounding: `(x * r + 5000) div 10000`, for `x, r >= 0`,
/// in Int128 so that the product cannot wrap.
pub fn round_bp(x: Expr, rate_bp: Expr) -> Expr {
    (money(x) * money(rate_bp) + lit(5000i64)).floor_div(lit(10000i64))
}

/// `max(0, x)`.
pub fn at_least_zero(x: Expr) -> Expr {
    when(x.clone().lt(lit(0i64))).then(lit(0i64)).otherwise(x)
}

/// A value looked up per string key, as a `when` chain (small maps only).
pub fn lookup(key: Expr, entries: &[(&str, i64)], default: i64) -> Expr {
    entries
        .iter()
        .rev()
        .fold(lit(default), |rest, (k, v)| {
            when(key.clone().eq(lit(k.to_string())))
                .then(lit(*v))
                .otherwise(rest)
        })
        .cast(DataType::Int64)
}

/// Whether `e` is one of `values`.
pub fn one_of(e: Expr, values: &[&str]) -> Expr {
    is_in_series(e, Series::new("values".into(), values))
}

/// Whether `e` is a value of `set` (polars 0.55 wants the set as one list).
pub fn is_in_series(e: Expr, set: Series) -> Expr {
    e.is_in(lit(set).implode(false), false)
}

/// `e` evaluated per window of `keys` (never empty, so `over` cannot fail).
pub fn window(e: Expr, keys: &[Expr]) -> Expr {
    e.over(keys).expect("window keys are given")
}

/// The rank of `e` in each window of `keys`, highest first, ties sharing
/// the better rank: 1 + the rows of the window with a strictly higher value.
pub fn rank_desc(e: Expr, keys: &[Expr]) -> Expr {
    window(
        e.rank(
            RankOptions {
                method: RankMethod::Min,
                descending: true,
            },
            None,
        ),
        keys,
    )
    .cast(DataType::Int64)
}

/// The exact sum of a money column (nulls count as 0).
pub fn money_sum(column: &Column) -> PolarsResult<i128> {
    let values = column.cast(&MONEY)?;
    Ok(values.i128()?.iter().flatten().sum())
}
