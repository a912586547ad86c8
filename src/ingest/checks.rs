//! The row checks of SPEC §2.1 steps 2 and 3 as polars expressions: each
//! column gets one code expression whose `when` chain runs its checks in the
//! spec's order, and the row's reason is the first code found, column by
//! column. Nothing here loops over rows.

use polars::prelude::*;

use super::tables::{Kind, Table, Window};
use crate::columns::*;
use crate::expr::{is_in_series, one_of};
use crate::period::Period;
use crate::vocab::Reason;

/// Exactly a decimal yuan amount, sign allowed so NEGATIVE_AMOUNT can follow.
const AMOUNT_RE: &str = r"^-?[0-9]{1,16}(\.[0-9]+)?$";
/// An applicant's score: one to three digits, nothing else (SPEC §22); the
/// range is a separate check (SCORE_OUT_OF_RANGE).
const SCORE_RE: &str = r"^[0-9]{1,3}$";
/// Exactly `YYYY-MM-DD`; calendar validity is checked by parsing.
const DATE_RE: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
/// Exactly `YYYY-MM-DD HH:MM:SS` with a space or `T`; ranges of the time
/// fields are in the pattern because chrono accepts a leap second `:60`.
const DATETIME_RE: &str =
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$";

/// What the checks need besides the table itself.
#[derive(Clone)]
pub struct Context {
    /// The period being settled.
    pub period: Period,
    /// Product codes of the policy's catalog.
    pub catalog: Series,
    /// Ids of the accepted partners (empty while checking partners).
    pub partner_ids: Series,
    /// Columns this file gives as typed Parquet values (Date, Timestamp,
    /// Decimal, Boolean) in `__t_<name>`: only their value rules apply.
    pub typed: Vec<String>,
}

impl Context {
    fn is_typed(&self, name: &str) -> bool {
        self.typed.iter().any(|t| t == name)
    }
}

/// Name of the typed companion column of a Parquet input column.
pub fn typed_col(name: &str) -> String {
    format!("__t_{name}")
}

/// A column's text: as read, or (typed Parquet) rendered, for sentences.
fn text(name: &str, ctx: &Context) -> Expr {
    if ctx.is_typed(name) {
        col(typed_col(name))
            .cast(DataType::String)
            .fill_null(lit(""))
    } else {
        col(name)
    }
}

/// Name of the parsed companion column of a date, date-time or amount column.
pub fn parsed(name: &str) -> String {
    format!("__v_{name}")
}

/// A reason as a UInt8 literal. During the checks a row's reason is its
/// code: a large month then carries one byte per row instead of a string,
/// and names are given to the rejected rows alone.
fn code(reason: Reason) -> Expr {
    lit(reason.code())
}

/// No reason: the row passes this check.
fn no_code() -> Expr {
    lit(NULL).cast(DataType::UInt8)
}

/// The reason names of a UInt8 reason column.
pub fn reason_name(e: Expr) -> Expr {
    Reason::ALL.iter().rev().fold(null_str(), |rest, r| {
        when(e.clone().eq(code(*r)))
            .then(lit(r.as_str()))
            .otherwise(rest)
    })
}

fn null_str() -> Expr {
    lit(NULL).cast(DataType::String)
}

fn empty(name: &str, ctx: &Context) -> Expr {
    if ctx.is_typed(name) {
        return col(typed_col(name)).is_null();
    }
    col(name).eq(lit(""))
}

fn date_opts(format: &str) -> StrptimeOptions {
    StrptimeOptions {
        format: Some(format.into()),
        strict: false,
        exact: true,
        cache: false,
    }
}

/// Whether an amount has the shape `-?[0-9]{1,16}(\.[0-9]+)?`.
fn amount_shape(name: &str) -> Expr {
    col(name).str().contains(lit(AMOUNT_RE), true)
}

/// The parsed value of a column: fen for amounts, Date, or Datetime(ms);
/// null where the text is not of the exact form.
fn parse_expr(name: &str, kind: Kind, ctx: &Context) -> Option<Expr> {
    if ctx.is_typed(name) {
        let t = col(typed_col(name));
        let value = match kind {
            Kind::Amount => (t * lit(100i64)).cast(DataType::Int64),
            Kind::Score => t.cast(DataType::Int64),
            Kind::Date { .. } | Kind::DateTime { .. } => t,
            _ => return None,
        };
        return Some(value.alias(parsed(name)));
    }
    let s = col(name);
    let value = match kind {
        Kind::Amount => {
            // Decimal parsing gives exact fen; the pattern decides validity.
            let fen =
                (s.clone().cast(DataType::Decimal(18, 2)) * lit(100i64)).cast(DataType::Int64);
            when(amount_shape(name))
                .then(fen)
                .otherwise(lit(NULL).cast(DataType::Int64))
        }
        // Compared as numbers from here on: `070` is 70 (SPEC §22).
        Kind::Score => when(s.clone().str().contains(lit(SCORE_RE), true))
            .then(s.cast(DataType::Int64))
            .otherwise(lit(NULL).cast(DataType::Int64)),
        Kind::Date { .. } => when(
            s.clone()
                .str()
                .contains(lit(DATE_RE), true)
                .and(s.clone().str().starts_with(lit("0000")).not()),
        )
        .then(s.str().to_date(date_opts("%Y-%m-%d")))
        .otherwise(lit(NULL).cast(DataType::Date)),
        Kind::DateTime { .. } => when(
            s.clone()
                .str()
                .contains(lit(DATETIME_RE), true)
                .and(s.clone().str().starts_with(lit("0000")).not()),
        )
        .then(s.str().replace(lit("T"), lit(" "), true).str().to_datetime(
            Some(TimeUnit::Milliseconds),
            None,
            date_opts("%Y-%m-%d %H:%M:%S"),
            lit("raise"),
        ))
        .otherwise(lit(NULL).cast(DataType::Datetime(TimeUnit::Milliseconds, None))),
        _ => return None,
    };
    Some(value.alias(parsed(name)))
}

/// The date part of a parsed column, for period checks.
fn date_of(name: &str, kind: Kind) -> Expr {
    let v = col(parsed(name));
    if matches!(kind, Kind::DateTime { .. }) {
        v.dt().date()
    } else {
        v
    }
}

fn in_period(name: &str, kind: Kind, period: Period) -> Expr {
    let d = date_of(name, kind);
    d.clone()
        .gt_eq(lit(period.start()))
        .and(d.lt_eq(lit(period.end())))
}

/// Whether a parsed date lies in the column's window (true for `Any`).
fn in_window(name: &str, kind: Kind, window: Window, period: Period) -> Expr {
    match window {
        Window::Any => lit(true),
        Window::Period => in_period(name, kind, period),
        Window::UpToEnd => date_of(name, kind).lt_eq(lit(period.end())),
    }
}

/// The date window of a column, `Any` for every kind but dates.
fn window_of(kind: Kind) -> Window {
    match kind {
        Kind::Date { window, .. } | Kind::DateTime { window, .. } => window,
        _ => Window::Any,
    }
}

/// The code of the first failing check of one column, null when it passes.
fn code_expr(name: &str, kind: Kind, ctx: &Context) -> Expr {
    let missing = empty(name, ctx);
    let chain = if kind.required() {
        when(missing).then(code(Reason::MissingField))
    } else {
        // An allowed empty value passes every check of its column.
        when(missing).then(no_code())
    };
    if ctx.is_typed(name) {
        // A typed value has its format by construction: only values are checked.
        return match kind {
            Kind::Amount => chain
                .when(col(typed_col(name)).lt(lit(0i64)))
                .then(code(Reason::NegativeAmount))
                .otherwise(no_code()),
            Kind::Score => chain
                .when(out_of_range(col(typed_col(name))))
                .then(code(Reason::ScoreOutOfRange))
                .otherwise(no_code()),
            Kind::Date { window, .. } | Kind::DateTime { window, .. } if window != Window::Any => {
                chain
                    .when(in_window(name, kind, window, ctx.period).not())
                    .then(code(Reason::OutOfPeriod))
                    .otherwise(no_code())
            }
            _ => chain.otherwise(no_code()),
        };
    }
    let s = col(name);
    match kind {
        Kind::Id | Kind::Text { .. } => chain.otherwise(no_code()),
        Kind::PartnerRef => chain
            .when(is_in_series(s, ctx.partner_ids.clone()).not())
            .then(code(Reason::UnknownPartner))
            .otherwise(no_code()),
        Kind::ProductRef => chain
            .when(is_in_series(s, ctx.catalog.clone()).not())
            .then(code(Reason::UnknownProduct))
            .otherwise(no_code()),
        Kind::Enum(values) | Kind::MaybeEnum(values) => chain
            .when(one_of(s, values).not())
            .then(code(Reason::BadEnum))
            .otherwise(no_code()),
        Kind::Date { window, .. } | Kind::DateTime { window, .. } => {
            let chain = chain
                .when(col(parsed(name)).is_null())
                .then(code(Reason::BadDate));
            if window == Window::Any {
                chain.otherwise(no_code())
            } else {
                chain
                    .when(in_window(name, kind, window, ctx.period).not())
                    .then(code(Reason::OutOfPeriod))
                    .otherwise(no_code())
            }
        }
        Kind::Amount => chain
            .when(amount_shape(name).not())
            .then(code(Reason::BadNumber))
            .when(s.clone().str().starts_with(lit("-")))
            .then(code(Reason::NegativeAmount))
            // A valid shape has at most 2 decimals exactly when its point, if
            // any, is among the last 3 characters.
            .when(
                s.clone().str().contains_literal(lit(".")).and(
                    s.str()
                        .slice(lit(-3i64), lit(3u64))
                        .str()
                        .contains_literal(lit("."))
                        .not(),
                ),
            )
            .then(code(Reason::TooManyDecimals))
            .otherwise(no_code()),
        Kind::Score => chain
            .when(col(parsed(name)).is_null())
            .then(code(Reason::BadNumber))
            .when(out_of_range(col(parsed(name))))
            .then(code(Reason::ScoreOutOfRange))
            .otherwise(no_code()),
    }
}

/// Whether a score lies outside 0–100 (a typed Parquet integer may be
/// negative; a text score cannot, its pattern has no sign).
fn out_of_range(score: Expr) -> Expr {
    score.clone().lt(lit(0i64)).or(score.gt(lit(100i64)))
}

/// A human sentence for a column's code.
fn detail_expr(name: &str, code: Expr, kind: Kind, ctx: &Context) -> Expr {
    let period = ctx.period;
    let value = || {
        concat_str(
            [lit(format!("{name} '")), text(name, ctx), lit("'")],
            "",
            false,
        )
    };
    let sentence = |suffix: String| concat_str([value(), lit(suffix)], "", false);
    let format = match kind {
        Kind::DateTime { .. } => " is not a date-time YYYY-MM-DD HH:MM:SS",
        _ => " is not a date YYYY-MM-DD",
    };
    let allowed = match kind {
        Kind::Enum(values) | Kind::MaybeEnum(values) => values.join(", "),
        _ => String::new(),
    };
    let outside = match window_of(kind) {
        Window::UpToEnd => format!(" is after the end of period {period}"),
        _ => format!(" is outside period {period}"),
    };
    let not_a_number = match kind {
        Kind::Score => " is not a score of one to three digits like 70",
        _ => " is not a number like 1234.50",
    };
    let is = |r: Reason| code.clone().eq(self::code(r));
    when(is(Reason::MissingField))
        .then(lit(format!("{name} is empty")))
        .when(is(Reason::BadNumber))
        .then(sentence(not_a_number.into()))
        .when(is(Reason::BadDate))
        .then(sentence(format.into()))
        .when(is(Reason::BadEnum))
        .then(sentence(format!(" is not one of {allowed}")))
        .when(is(Reason::NegativeAmount))
        .then(sentence(" is negative".into()))
        .when(is(Reason::TooManyDecimals))
        .then(sentence(" has more than 2 decimals".into()))
        .when(is(Reason::ScoreOutOfRange))
        .then(sentence(" is not a score from 0 to 100".into()))
        .when(is(Reason::UnknownPartner))
        .then(sentence(" is not an accepted partner".into()))
        .when(is(Reason::UnknownProduct))
        .then(sentence(" is not in the policy's catalog".into()))
        .when(is(Reason::OutOfPeriod))
        .then(sentence(outside))
        .otherwise(null_str())
}

/// Cross-column checks of step 3 as (code, detail) pairs, in order.
fn cross_checks(table: &Table, ctx: &Context) -> Vec<(Expr, Reason, Expr)> {
    let period = ctx.period;
    match table.name {
        "complaints" => vec![(
            col(parsed(FIRST_RESPONSE_AT))
                .lt(col(parsed(OPENED_AT)))
                .fill_null(lit(false)),
            Reason::ResponseBeforeOpen,
            concat_str(
                [
                    lit("first_response_at '"),
                    text(FIRST_RESPONSE_AT, ctx),
                    lit("' is before opened_at '"),
                    text(OPENED_AT, ctx),
                    lit("'"),
                ],
                "",
                false,
            ),
        )],
        "deliveries" => delivery_checks(ctx),
        "partners" => vec![
            (
                empty(TERMINATED_ON, ctx)
                    .not()
                    .and(col(STATUS).neq(lit("terminated"))),
                Reason::BadStatusDate,
                concat_str(
                    [
                        lit("terminated_on is set but status is '"),
                        col(STATUS),
                        lit("'"),
                    ],
                    "",
                    false,
                ),
            ),
            (
                col(parsed(TERMINATED_ON))
                    .gt(lit(period.end()))
                    .fill_null(lit(false)),
                Reason::BadStatusDate,
                concat_str(
                    [
                        lit("terminated_on '"),
                        text(TERMINATED_ON, ctx),
                        lit(format!("' is after the end of period {period}")),
                    ],
                    "",
                    false,
                ),
            ),
            (
                col(PARTNER_TYPE)
                    .eq(lit("SI"))
                    .and(empty(SA_KIND, ctx).not()),
                Reason::SaKindOnSi,
                concat_str(
                    [lit("an SI has sa_kind '"), col(SA_KIND), lit("'")],
                    "",
                    false,
                ),
            ),
        ],
        "registrations" => vec![(
            col(parsed(APPROVED_ON))
                .lt(col(parsed(REGISTERED_ON)))
                .fill_null(lit(false)),
            Reason::ApprovedBeforeRegistered,
            concat_str(
                [
                    lit("approved_on '"),
                    text(APPROVED_ON, ctx),
                    lit("' is before registered_on '"),
                    text(REGISTERED_ON, ctx),
                    lit("'"),
                ],
                "",
                false,
            ),
        )],
        "handovers" => vec![(
            col(FROM_PARTNER).eq(col(TO_PARTNER)),
            Reason::SelfHandover,
            concat_str(
                [
                    lit("from_partner and to_partner are both '"),
                    col(FROM_PARTNER),
                    lit("'"),
                ],
                "",
                false,
            ),
        )],
        _ => vec![],
    }
}

/// The status and date rules of a delivery (SPEC §2, revised by §10: a
/// cancelled order may carry the date it was delivered and the date it was
/// cancelled) and its scope: promised, delivered or cancelled in the period.
/// Without `cancelled_on` these are exactly the rules of Part I.
fn delivery_checks(ctx: &Context) -> Vec<(Expr, Reason, Expr)> {
    let period = ctx.period;
    let status_is = |s: &str| col(STATUS).eq(lit(s.to_string()));
    let has_delivered = empty(DELIVERED_ON, ctx).not();
    let has_cancelled = empty(CANCELLED_ON, ctx).not();
    let date = Kind::Date {
        required: false,
        window: Window::Any,
    };
    let lies_in = |name: &str| in_period(name, date, period).fill_null(lit(false));
    let cancelled_with_both = status_is("cancelled")
        .and(has_delivered.clone())
        .and(has_cancelled.clone());
    let quoted = |name: &str| [lit(format!("{name} '")), text(name, ctx), lit("'")];
    vec![
        (
            status_is("delivered").and(has_delivered.clone().not()),
            Reason::BadStatusDate,
            lit("status is 'delivered' but delivered_on is empty"),
        ),
        (
            status_is("delivered")
                .not()
                .and(has_delivered)
                .and(cancelled_with_both.clone().not()),
            Reason::BadStatusDate,
            concat_str(
                [
                    lit("delivered_on is set but status is '"),
                    col(STATUS),
                    lit("'"),
                ],
                "",
                false,
            ),
        ),
        (
            status_is("cancelled").not().and(has_cancelled.clone()),
            Reason::BadStatusDate,
            concat_str(
                [
                    lit("cancelled_on is set but status is '"),
                    col(STATUS),
                    lit("'"),
                ],
                "",
                false,
            ),
        ),
        (
            cancelled_with_both.and(
                col(parsed(CANCELLED_ON))
                    .lt(col(parsed(DELIVERED_ON)))
                    .fill_null(lit(false)),
            ),
            Reason::BadStatusDate,
            concat_str(
                quoted(CANCELLED_ON)
                    .into_iter()
                    .chain([lit(" is before ")])
                    .chain(quoted(DELIVERED_ON))
                    .collect::<Vec<_>>(),
                "",
                false,
            ),
        ),
        (
            lies_in(PROMISED_ON)
                .or(lies_in(DELIVERED_ON))
                .or(lies_in(CANCELLED_ON))
                .not(),
            Reason::OutOfPeriod,
            when(has_cancelled)
                .then(lit(format!(
                    "neither promised_on, delivered_on nor cancelled_on lies in period {period}"
                )))
                .otherwise(lit(format!(
                    "neither promised_on nor delivered_on lies in period {period}"
                ))),
        ),
    ]
}

/// The step-3 check of index `j`, as a code expression.
fn cross_code(cond: Expr, reason: Reason) -> Expr {
    when(cond).then(code(reason)).otherwise(no_code())
}

/// The reason of steps 1–3 for every row as column `reason` (null when the
/// row passes), plus the parsed columns. Only the first failing code is kept
/// for every row; [`details`] recomputes the per-column codes for the
/// rejected rows alone, so a large month carries one code column, not one
/// per input column.
pub fn reasons(frame: LazyFrame, table: &Table, ctx: &Context) -> LazyFrame {
    let parses: Vec<Expr> = table
        .columns
        .iter()
        .filter_map(|c| parse_expr(c.name, c.kind, ctx))
        .collect();
    let mut reason = vec![col(super::read::PRE)];
    reason.extend(table.columns.iter().map(|c| code_expr(c.name, c.kind, ctx)));
    reason.extend(
        cross_checks(table, ctx)
            .into_iter()
            .map(|(cond, code, _)| cross_code(cond, code)),
    );
    frame
        .with_columns(parses)
        .with_column(coalesce(&reason).alias(REASON))
}

/// The human sentence of each rejected row as column `detail`.
pub fn details(rejected: LazyFrame, table: &Table, ctx: &Context) -> LazyFrame {
    let mut detail = vec![structural_detail()];
    for c in table.columns {
        detail.push(detail_expr(
            c.name,
            code_expr(c.name, c.kind, ctx),
            c.kind,
            ctx,
        ));
    }
    for (cond, code, sentence) in cross_checks(table, ctx) {
        detail.push(
            when(cross_code(cond, code).is_not_null())
                .then(sentence)
                .otherwise(null_str()),
        );
    }
    rejected.with_columns([
        coalesce(&detail).alias(DETAIL),
        reason_name(col(REASON)).alias(REASON),
    ])
}

fn structural_detail() -> Expr {
    let pre = col(super::read::PRE);
    when(pre.clone().eq(code(Reason::BadEncoding)))
        .then(lit(
            "the record holds bytes that are not valid in the file's encoding",
        ))
        .when(pre.clone().eq(code(Reason::BadQuoting)))
        .then(lit(
            "text follows a closing quote, or a quote is left open at the end of the file",
        ))
        .when(pre.eq(code(Reason::WrongFieldCount)))
        .then(concat_str(
            [
                lit("the record has "),
                col(super::read::NFIELDS).cast(DataType::String),
                lit(" fields but the header has a different number"),
            ],
            "",
            false,
        ))
        .otherwise(null_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::read::{NFIELDS, PRE};
    use crate::ingest::tables::{APPLICANTS, DELIVERIES, PARTNERS, USAGE};

    fn ctx() -> Context {
        Context {
            period: "2026-10".parse().unwrap(),
            catalog: Series::new("c".into(), ["VNET", "MAS"]),
            partner_ids: Series::new("p".into(), ["P1"]),
            typed: vec![],
        }
    }

    /// Runs steps 1–3 on rows given as text columns in the table's order.
    fn reasons_of(table: &Table, rows: &[&[&str]]) -> (Vec<Option<String>>, DataFrame) {
        let n = rows.len();
        let mut columns = vec![
            Column::new("line".into(), (2..n as i64 + 2).collect::<Vec<_>>()),
            Column::new(PRE.into(), vec![None::<u8>; n]),
            Column::new(NFIELDS.into(), vec![table.columns.len() as i64; n]),
        ];
        for (i, c) in table.columns.iter().enumerate() {
            columns.push(Column::new(
                c.name.into(),
                // Rows may stop before the optional Part II columns: absent, empty.
                rows.iter()
                    .map(|r| r.get(i).copied().unwrap_or(""))
                    .collect::<Vec<_>>(),
            ));
        }
        let frame = DataFrame::new(n, columns).unwrap();
        let out = reasons(frame.lazy(), table, &ctx()).collect().unwrap();
        let r = out
            .column("reason")
            .unwrap()
            .u8()
            .unwrap()
            .iter()
            .map(|v| v.map(|i| Reason::from_code(i).unwrap().to_string()))
            .collect();
        (r, out)
    }

    fn usage_amounts(amounts: &[&str]) -> (Vec<Option<String>>, Vec<Option<i64>>) {
        let rows: Vec<Vec<&str>> = amounts
            .iter()
            .map(|a| vec!["u", "P1", "C1", "VNET", "2026-10-01", *a])
            .collect();
        let refs: Vec<&[&str]> = rows.iter().map(|r| r.as_slice()).collect();
        let (r, out) = reasons_of(&USAGE, &refs);
        let fen = out
            .column(&parsed("amount"))
            .unwrap()
            .i64()
            .unwrap()
            .iter()
            .collect();
        (r, fen)
    }

    #[test]
    fn amounts_parse_to_fen_exactly() {
        let (r, fen) = usage_amounts(&[
            "1234.5",
            "1234.50",
            "0.07",
            "12",
            "0",
            "9999999999999999.99",
        ]);
        assert!(r.iter().all(Option::is_none), "{r:?}");
        assert_eq!(
            fen,
            vec![
                Some(123450),
                Some(123450),
                Some(7),
                Some(1200),
                Some(0),
                Some(999_999_999_999_999_999)
            ]
        );
    }

    #[test]
    fn amount_codes() {
        let (r, _) = usage_amounts(&[
            "+1",
            "1,000",
            "1e3",
            ".5",
            "1.",
            "12345678901234567",
            "-0",
            "-1.505",
            "1.500",
            "1.5x",
        ]);
        let want = [
            "BAD_NUMBER",
            "BAD_NUMBER",
            "BAD_NUMBER",
            "BAD_NUMBER",
            "BAD_NUMBER",
            "BAD_NUMBER",
            "NEGATIVE_AMOUNT",
            "NEGATIVE_AMOUNT",
            "TOO_MANY_DECIMALS",
            "BAD_NUMBER",
        ];
        assert_eq!(
            r,
            want.iter().map(|s| Some(s.to_string())).collect::<Vec<_>>()
        );
    }

    #[test]
    fn dates_are_exact_and_real() {
        let dates = [
            "2024-02-29",
            "2026-02-29",
            "0000-01-01",
            "0001-01-01",
            "9999-12-31",
            "2026-1-05",
            "2026-01-05 ",
            "20260105",
            "2026-04-31",
        ];
        let rows: Vec<Vec<&str>> = dates
            .iter()
            .map(|d| vec!["P", "SA", "", "GD", "active", *d])
            .collect();
        let refs: Vec<&[&str]> = rows.iter().map(|r| r.as_slice()).collect();
        let (r, _) = reasons_of(&PARTNERS, &refs);
        let bad = Some("BAD_DATE".to_string());
        // The trailing space is trimmed by the reader, not here, so it is bad here.
        assert_eq!(
            r,
            vec![
                None,
                bad.clone(),
                bad.clone(),
                None,
                None,
                bad.clone(),
                bad.clone(),
                bad.clone(),
                bad
            ]
        );
    }

    #[test]
    fn deliveries_in_scope_by_either_date() {
        let rows: [&[&str]; 4] = [
            &[
                "o1",
                "P1",
                "C",
                "VNET",
                "1",
                "2026-09-20",
                "2026-10-01",
                "delivered",
            ],
            &["o2", "P1", "C", "VNET", "1", "2026-10-31", "", "pending"],
            &[
                "o3",
                "P1",
                "C",
                "VNET",
                "1",
                "2026-09-30",
                "2026-09-30",
                "delivered",
            ],
            &["o4", "P1", "C", "VNET", "1", "2026-11-01", "", "cancelled"],
        ];
        let (r, _) = reasons_of(&DELIVERIES, &rows);
        assert_eq!(
            r,
            vec![
                None,
                None,
                Some("OUT_OF_PERIOD".into()),
                Some("OUT_OF_PERIOD".into())
            ]
        );
    }

    #[test]
    fn scores_are_one_to_three_digits_up_to_100_compared_as_numbers() {
        let scores = [
            "070", "0", "100", "101", "999", "1000", "7.5", "-5", "+7", "", "7 0",
        ];
        let rows: Vec<Vec<&str>> = scores
            .iter()
            .map(|s| {
                let mut row = vec!["A1", "SA", "GD"];
                row.extend([*s; 12]);
                row
            })
            .collect();
        let refs: Vec<&[&str]> = rows.iter().map(|r| r.as_slice()).collect();
        let (r, out) = reasons_of(&APPLICANTS, &refs);
        let code = |s: &str| Some(s.to_string());
        assert_eq!(
            r,
            vec![
                None,
                None,
                None,
                code("SCORE_OUT_OF_RANGE"),
                code("SCORE_OUT_OF_RANGE"),
                code("BAD_NUMBER"),
                code("BAD_NUMBER"),
                code("BAD_NUMBER"),
                code("BAD_NUMBER"),
                code("MISSING_FIELD"),
                code("BAD_NUMBER"),
            ]
        );
        let parsed: Vec<Option<i64>> = out
            .column(&parsed("environment"))
            .unwrap()
            .i64()
            .unwrap()
            .iter()
            .take(3)
            .collect();
        assert_eq!(parsed, [Some(70), Some(0), Some(100)]);
    }
}
