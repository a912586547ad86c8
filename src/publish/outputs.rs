//! The published shape of each dataset (SPEC §6): money from fen to
//! Decimal(18,2), basis points and ranks Int32, counts Int64, and run_id.

use polars::prelude::*;

use crate::error::{Error, Result};

/// How one output column is typed.
#[derive(Clone, Copy)]
pub enum Out {
    /// Text as is.
    Text,
    /// Boolean as is.
    Bool,
    /// Int64 as is.
    Count,
    /// Int64 to Int32.
    Int32,
    /// Int64 fen to Decimal(18,2).
    Money,
}

/// Column layout of each dataset.
pub fn schema(dataset: &str) -> &'static [(&'static str, Out)] {
    use Out::*;
    match dataset {
        "ledger" => &[
            ("partner_id", Text),
            ("partner_type", Text),
            ("province", Text),
            ("component", Text),
            ("category", Text),
            ("quantity", Count),
            ("basis", Money),
            ("rate_bp", Int32),
            ("amount", Money),
            ("tier", Text),
            ("status", Text),
        ],
        "payouts" => &[
            ("partner_id", Text),
            ("partner_type", Text),
            ("province", Text),
            ("tier", Text),
            ("gross", Money),
            ("deductions", Money),
            ("net", Money),
            ("status", Text),
        ],
        "scores" => &[
            ("partner_id", Text),
            ("partner_type", Text),
            ("province", Text),
            ("status", Text),
            ("rated", Bool),
            ("revenue", Money),
            ("revenue_kpi", Int32),
            ("delivery_kpi", Int32),
            ("complaint_kpi", Int32),
            ("response_kpi", Int32),
            ("monthly_score", Int32),
            ("pool_size", Int32),
            ("rank", Int32),
            ("credit_score", Int32),
            ("tier", Text),
            ("bottom_streak", Int32),
            ("action", Text),
        ],
        "sanctions" => &[
            ("partner_id", Text),
            ("partner_type", Text),
            ("province", Text),
            ("credit_score", Int32),
            ("bottom_streak", Int32),
            ("action", Text),
        ],
        "settlement_stop" => &[
            ("partner_id", Text),
            ("partner_type", Text),
            ("province", Text),
            ("reasons", Text),
            ("withheld", Money),
        ],
        "rejects" => &[
            ("source", Text),
            ("line", Count),
            ("reason", Text),
            ("detail", Text),
            ("raw", Text),
        ],
        "adjustments" => &[
            ("partner_id", Text),
            ("component", Text),
            ("category", Text),
            ("previous_amount", Money),
            ("new_amount", Money),
            ("delta", Money),
            ("previous_run_id", Text),
        ],
        other => unreachable!("unknown dataset {other}"),
    }
}

/// Whether the dataset carries a run_id column (rejects do not: SPEC §6).
fn has_run_id(dataset: &str) -> bool {
    dataset != "rejects"
}

/// Fen as Decimal(18,2): the same integers, read with two decimals.
pub fn fen_to_decimal(column: &Column) -> Result<Column> {
    let fen = column
        .cast(&DataType::Int64)
        .map_err(Error::polars("money column"))?;
    let values: Int128Chunked = fen
        .i64()
        .map_err(Error::polars("money column"))?
        .iter()
        .map(|v| v.map(i128::from))
        .collect();
    let decimal = values
        .with_name(column.name().clone())
        .into_decimal(18, 2)
        .map_err(Error::polars("money column"))?;
    Ok(decimal.into_series().into())
}

/// The published frame of a dataset: columns in order and typed, then run_id
/// (and, for adjustments, the rerun's reason).
pub fn finalize(
    dataset: &str,
    frame: &DataFrame,
    run_id: &str,
    reason: Option<&str>,
) -> Result<DataFrame> {
    let mut columns = Vec::new();
    for (name, out) in schema(dataset) {
        let c = frame
            .column(name)
            .map_err(Error::polars("shaping an output"))?;
        let typed = match out {
            Out::Text => c.cast(&DataType::String),
            Out::Bool => c.cast(&DataType::Boolean),
            Out::Count => c.cast(&DataType::Int64),
            Out::Int32 => c.strict_cast(&DataType::Int32),
            Out::Money => fen_to_decimal(c).map_err(|_| PolarsError::ComputeError("money".into())),
        }
        .map_err(Error::polars("shaping an output"))?;
        columns.push(typed);
    }
    if has_run_id(dataset) {
        columns.push(Column::new("run_id".into(), vec![run_id; frame.height()]));
    }
    if dataset == "adjustments" {
        columns.push(Column::new(
            "reason".into(),
            vec![reason.unwrap_or(""); frame.height()],
        ));
    }
    DataFrame::new(frame.height(), columns).map_err(Error::polars("shaping an output"))
}
