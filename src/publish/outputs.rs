//! The published shape of each dataset (SPEC §6): money from fen to
//! Decimal(18,2), basis points and ranks Int32, counts Int64, and run_id.

use polars::prelude::*;

use crate::columns::*;
use crate::compute::balances::{CLOSING, FORFEITED, OPENING, RELEASED, WITHHELD};
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
            (PARTNER_ID, Text),
            (PARTNER_TYPE, Text),
            (PROVINCE, Text),
            (COMPONENT, Text),
            (CATEGORY, Text),
            (QUANTITY, Count),
            (BASIS, Money),
            (RATE_BP, Int32),
            (AMOUNT, Money),
            (TIER, Text),
            (STATUS, Text),
        ],
        Dataset::Payouts => &[
            (PARTNER_ID, Text),
            (PARTNER_TYPE, Text),
            (PROVINCE, Text),
            (TIER, Text),
            (GROSS, Money),
            (DEDUCTIONS, Money),
            (NET, Money),
            (STATUS, Text),
        ],
        Dataset::Scores => &[
            (PARTNER_ID, Text),
            (PARTNER_TYPE, Text),
            (PROVINCE, Text),
            (STATUS, Text),
            (RATED, Bool),
            (REVENUE, Money),
            (REVENUE_KPI, Int32),
            (DELIVERY_KPI, Int32),
            (COMPLAINT_KPI, Int32),
            (RESPONSE_KPI, Int32),
            (MONTHLY_SCORE, Int32),
            (POOL_SIZE, Int32),
            (RANK, Int32),
            (CREDIT_SCORE, Int32),
            (TIER, Text),
            (BOTTOM_STREAK, Int32),
            (ACTION, Text),
        ],
        Dataset::Sanctions => &[
            (PARTNER_ID, Text),
            (PARTNER_TYPE, Text),
            (PROVINCE, Text),
            (CREDIT_SCORE, Int32),
            (BOTTOM_STREAK, Int32),
            (ACTION, Text),
        ],
        Dataset::SettlementStop => &[
            (PARTNER_ID, Text),
            (PARTNER_TYPE, Text),
            (PROVINCE, Text),
            (REASONS, Text),
            (WITHHELD, Money),
        ],
        Dataset::Rejects | Dataset::AdmissionRejects => &[
            (SOURCE, Text),
            ("line", Count),
            (REASON, Text),
            (DETAIL, Text),
            (RAW, Text),
        ],
        Dataset::Held => &[
            (PARTNER_ID, Text),
            (PARTNER_TYPE, Text),
            (PROVINCE, Text),
            (COMPONENT, Text),
            (CATEGORY, Text),
            (REASON, Text),
            (QUANTITY, Count),
            (BASIS, Money),
        ],
        Dataset::Balances => &[
            (PARTNER_ID, Text),
            (OPENING, Money),
            (WITHHELD, Money),
            (RELEASED, Money),
            (FORFEITED, Money),
            (CLOSING, Money),
        ],
        Dataset::Admissions => &[
            (APPLICANT_ID, Text),
            (PARTNER_TYPE, Text),
            (PROVINCE, Text),
            (COMPOSITE_BP, Int32),
            (POOL_SIZE, Int32),
            (RANK, Int32),
            (DECISION, Text),
        ],
        Dataset::Diff => &[
            (PARTNER_ID, Text),
            (TIER_BEFORE, Text),
            (TIER_AFTER, Text),
            (NET_BEFORE, Money),
            (NET_AFTER, Money),
            (DELTA, Money),
        ],
        Dataset::Adjustments => &[
            (PARTNER_ID, Text),
            (COMPONENT, Text),
            (CATEGORY, Text),
            (PREVIOUS_AMOUNT, Money),
            (NEW_AMOUNT, Money),
            (DELTA, Money),
            (PREVIOUS_RUN_ID, Text),
        ],
    }
}

/// Whether the dataset carries a run_id column (rejects do not: SPEC §6,
/// nor admission rejects, which have "the columns of rejects": §22).
fn has_run_id(dataset: Dataset) -> bool {
    !matches!(
        dataset,
        Dataset::Rejects | Dataset::AdmissionRejects | Dataset::Diff
    )
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
        let what = match text(COMPONENT) {
            Some(component) => format!("{component} {name}"),
            None => name.to_string(),
        };
        return Err(Error::Overflow {
            dataset: dataset.to_string(),
            what,
            partner_id: text(PARTNER_ID).unwrap_or_default(),
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
        columns.push(Column::new(RUN_ID.into(), vec![run_id; frame.height()]));
    }
    if dataset == Dataset::Adjustments {
        columns.push(Column::new(
            REASON.into(),
            vec![reason.unwrap_or(""); frame.height()],
        ));
    }
    DataFrame::new(frame.height(), columns).map_err(Error::polars("shaping an output"))
}
