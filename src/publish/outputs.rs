//! The published shape of each dataset (SPEC §6): money from fen to
//! Decimal(18,2), basis points and ranks Int32, counts Int64, and run_id.

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::expr::MONEY;
use crate::vocab::Dataset;

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
pub fn schema(dataset: Dataset) -> &'static [(&'static str, Out)] {
    use Out::*;
    match dataset {
        Dataset::Ledger => &[
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
        Dataset::Payouts => &[
            ("partner_id", Text),
            ("partner_type", Text),
            ("province", Text),
            ("tier", Text),
            ("gross", Money),
            ("deductions", Money),
            ("net", Money),
            ("status", Text),
        ],
        Dataset::Scores => &[
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
        Dataset::Sanctions => &[
            ("partner_id", Text),
            ("partner_type", Text),
            ("province", Text),
            ("credit_score", Int32),
            ("bottom_streak", Int32),
            ("action", Text),
        ],
        Dataset::SettlementStop => &[
            ("partner_id", Text),
            ("partner_type", Text),
            ("province", Text),
            ("reasons", Text),
            ("withheld", Money),
        ],
        Dataset::Rejects => &[
            ("source", Text),
            ("line", Count),
            ("reason", Text),
            ("detail", Text),
            ("raw", Text),
        ],
        Dataset::Adjustments => &[
            ("partner_id", Text),
            ("component", Text),
            ("category", Text),
            ("previous_amount", Money),
            ("new_amount", Money),
            ("delta", Money),
            ("previous_run_id", Text),
        ],
    }
}

/// Whether the dataset carries a run_id column (rejects do not: SPEC §6).
fn has_run_id(dataset: Dataset) -> bool {
    dataset != Dataset::Rejects
}

/// Largest magnitude in fen that Decimal(18,2) holds, plus one.
const DECIMAL_18_2_LIMIT: i128 = 1_000_000_000_000_000_000;

/// Fen as Decimal(18,2): the same integers, read with two decimals.
pub fn fen_to_decimal(column: &Column) -> Result<Column> {
    let fen = column.cast(&MONEY).map_err(Error::polars("money column"))?;
    let decimal = fen
        .i128()
        .map_err(Error::polars("money column"))?
        .clone()
        .with_name(column.name().clone())
        .into_decimal(18, 2)
        .map_err(Error::polars("money column"))?;
    Ok(decimal.into_series().into())
}

/// Fails with exit 1, naming the partner and the line or column, when a
/// money value of `frame` does not fit Decimal(18,2).
fn check_money_fits(dataset: Dataset, frame: &DataFrame) -> Result<()> {
    for (name, out) in schema(dataset) {
        if !matches!(out, Out::Money) {
            continue;
        }
        let values = frame
            .column(name)
            .and_then(|c| c.cast(&MONEY))
            .map_err(Error::polars("checking money bounds"))?;
        let values = values
            .i128()
            .map_err(Error::polars("checking money bounds"))?;
        let Some(at) = values
            .iter()
            .position(|v| v.is_some_and(|v| v.unsigned_abs() >= DECIMAL_18_2_LIMIT as u128))
        else {
            continue;
        };
        let text = |column: &str| {
            frame
                .column(column)
                .ok()
                .and_then(|c| c.get(at).ok())
                .and_then(|v| v.get_str().map(str::to_string))
        };
        let what = match text("component") {
            Some(component) => format!("{component} {name}"),
            None => name.to_string(),
        };
        return Err(Error::Overflow {
            dataset: dataset.to_string(),
            what,
            partner_id: text("partner_id").unwrap_or_default(),
        });
    }
    Ok(())
}

/// The published frame of a dataset: columns in order and typed, then run_id
/// (and, for adjustments, the rerun's reason).
pub fn finalize(
    dataset: Dataset,
    frame: &DataFrame,
    run_id: &str,
    reason: Option<&str>,
) -> Result<DataFrame> {
    check_money_fits(dataset, frame)?;
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
    if dataset == Dataset::Adjustments {
        columns.push(Column::new(
            "reason".into(),
            vec![reason.unwrap_or(""); frame.height()],
        ));
    }
    DataFrame::new(frame.height(), columns).map_err(Error::polars("shaping an output"))
}
