//! Ledger lines (SPEC §5): SI revenue share, SA base, sales, service and
//! reward commissions, and complaint deductions, each rounded once on its
//! aggregated basis.

use polars::prelude::*;

use super::{lookup, one_of, round_bp};
use crate::columns::*;
use crate::expr::money;
use crate::ingest::Month;
use crate::policy::Policy;
use crate::vocab::{Component, LineStatus, PartnerType};

/// The columns every kind of line is brought to before they are stacked,
/// with their types (literals would otherwise pick their own widths).
fn line_columns() -> [Expr; 7] {
    [
        col(PARTNER_ID),
        col(COMPONENT).cast(DataType::String),
        col(CATEGORY).cast(DataType::String),
        col(QUANTITY).cast(DataType::Int64),
        money(col(BASIS)),
        col(RATE_BP).cast(DataType::Int64),
        money(col(AMOUNT)),
    ]
}

fn catalog_frame(policy: &Policy) -> LazyFrame {
    let (products, categories): (Vec<&str>, Vec<&str>) = policy
        .catalog
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .unzip();
    df!(PRODUCT_CODE => products, CATEGORY => categories)
        .expect("two equal columns")
        .lazy()
}

fn null_of(dtype: DataType) -> Expr {
    lit(NULL).cast(dtype)
}

/// A line with a rate: amount = round_half_up(basis * rate_bp / 10000).
fn rated_line(lines: LazyFrame, component: Expr, rate: Expr) -> LazyFrame {
    lines
        .with_columns([
            component.alias(COMPONENT),
            rate.alias(RATE_BP),
            null_of(DataType::Int64).alias(QUANTITY),
        ])
        .with_column(round_bp(col(BASIS), col(RATE_BP)).alias(AMOUNT))
        .select(line_columns())
}

/// §17: the uplift of the last band whose from_yuan is at most the SI's
/// revenue (all accepted usage of the month, held rows included).
fn band_uplift(policy: &Policy) -> Expr {
    policy
        .si_revenue_bands
        .iter()
        .fold(lit(0i64), |below, band| {
            when(money(col("revenue_fen")).gt_eq(lit(band.from_yuan.get()) * lit(100i64)))
                .then(lit(band.uplift_bp.get()))
                .otherwise(below)
        })
}

fn join_partner(lf: LazyFrame, partners: LazyFrame) -> LazyFrame {
    lf.join(
        partners,
        [col(PARTNER_ID)],
        [col(PARTNER_ID)],
        JoinArgs::new(JoinType::Inner),
    )
}

/// The rows of the month's money beyond usage, as compute prepares them.
pub struct MoneyRows {
    /// Sales with their holds ([`super::channel::sales`]).
    pub sales: LazyFrame,
    /// Clawback rows ([`super::channel::clawbacks`]).
    pub clawbacks: LazyFrame,
    /// partner_id, opening: the withheld balances carried in (§18; empty
    /// without `carry_withheld`).
    pub opening: LazyFrame,
}

/// All ledger lines of the month; `scored` is the partner frame with tier,
/// response_kpi, paid_customers, upheld, deduction_fen, revenue_fen and
/// `stop_reasons`. Held usage and sales earn nothing.
pub fn ledger(month: &Month, policy: &Policy, scored: LazyFrame, rows: MoneyRows) -> LazyFrame {
    let MoneyRows {
        sales,
        clawbacks,
        opening,
    } = rows;
    let partners = scored.clone().select([
        col(PARTNER_ID),
        col(PARTNER_TYPE),
        col(TIER),
        col("revenue_fen"),
    ]);
    // Sum per product first: the catalog join then runs on a few rows per
    // partner instead of on every usage row.
    let by_category = |lf: LazyFrame| {
        lf.group_by([col(PARTNER_ID), col(PRODUCT_CODE)])
            .agg([money(col(AMOUNT)).sum()])
            .join(
                catalog_frame(policy),
                [col(PRODUCT_CODE)],
                [col(PRODUCT_CODE)],
                JoinArgs::new(JoinType::Inner),
            )
            .group_by([col(PARTNER_ID), col(CATEGORY)])
            .agg([col(AMOUNT).sum().alias(BASIS)])
    };
    let is_si = col(PARTNER_TYPE).eq(lit(PartnerType::Si.as_str()));

    let paid = col(crate::ingest::HOLD).is_null();
    let usage = join_partner(
        by_category(month.usage.by_product.clone().lazy().filter(paid.clone())),
        partners.clone(),
    );
    let mut si_rate = lookup(col(CATEGORY), &policy.si.share_bp.entries(), 0)
        + lookup(col(TIER), &policy.si.tier_uplift_bp.entries(), 0);
    if !policy.si_revenue_bands.is_empty() {
        si_rate = si_rate + band_uplift(policy);
    }
    let usage_lines = rated_line(
        usage,
        when(is_si.clone())
            .then(lit(Component::SiRevenueShare.as_str()))
            .otherwise(lit(Component::SaBase.as_str())),
        when(is_si.clone()).then(si_rate).otherwise(lookup(
            col(CATEGORY),
            &policy.sa.base_bp.entries(),
            0,
        )),
    );

    let sales = join_partner(
        sales
            .filter(paid)
            .group_by([col(PARTNER_ID), col(CATEGORY)])
            .agg([money(col(AMOUNT)).sum().alias(BASIS)]),
        partners.clone(),
    );
    let sales_lines = rated_line(
        sales,
        lit(Component::SaSales.as_str()),
        lookup(col(CATEGORY), &policy.sa.sales_bp.entries(), 0),
    );

    let reward_basis = concat(
        [usage_lines.clone(), sales_lines.clone()],
        UnionArgs::default(),
    )
    .expect("same columns")
    .filter(one_of(
        col(COMPONENT),
        &[Component::SaBase.as_str(), Component::SaSales.as_str()],
    ))
    .group_by([col(PARTNER_ID)])
    .agg([col(AMOUNT).sum().alias(BASIS)])
    .with_column(null_of(DataType::String).alias(CATEGORY));
    let reward_lines = rated_line(
        join_partner(reward_basis, partners.clone()),
        lit(Component::SaReward.as_str()),
        lookup(col(TIER), &policy.sa.reward_bp.entries(), 0),
    );

    // §15: per category, the commission the cancelled sales had earned,
    // taken back; not part of the reward basis.
    let clawback_lines = rated_line(
        join_partner(
            clawbacks
                .group_by([col(PARTNER_ID), col(CATEGORY)])
                .agg([money(col(AMOUNT)).sum().alias(BASIS)]),
            partners.clone(),
        ),
        lit(Component::SaSalesClawback.as_str()),
        lookup(col(CATEGORY), &policy.sa.sales_bp.entries(), 0),
    )
    .with_column((lit(0i64) - col(AMOUNT)).alias(AMOUNT));

    // §18: a carried balance is paid out when its partner is no longer
    // stopped (a negative one is deducted).
    let release_lines = scored
        .clone()
        .filter(col("stop_reasons").eq(lit("")))
        .select([col(PARTNER_ID)])
        .join(
            opening,
            [col(PARTNER_ID)],
            [col(PARTNER_ID)],
            JoinArgs::new(JoinType::Inner),
        )
        .select([
            col(PARTNER_ID),
            lit(Component::WithheldRelease.as_str()).alias(COMPONENT),
            null_of(DataType::String).alias(CATEGORY),
            null_of(DataType::Int64).alias(QUANTITY),
            lit(0i64).alias(BASIS),
            null_of(DataType::Int64).alias(RATE_BP),
            col("opening").alias(AMOUNT),
        ])
        .select(line_columns());

    let fee = policy.sa.fee_fen_per_customer;
    let service_lines = scored
        .clone()
        .filter(is_si.not().and(col("paid_customers").gt(lit(0i64))))
        .select([
            col(PARTNER_ID),
            lit(Component::SaService.as_str()).alias(COMPONENT),
            null_of(DataType::String).alias(CATEGORY),
            col("paid_customers").alias(QUANTITY),
            lit(0i64).alias(BASIS),
            null_of(DataType::Int64).alias(RATE_BP),
            round_bp(money(col("paid_customers")) * lit(fee), col(RESPONSE_KPI)).alias(AMOUNT),
        ])
        .select(line_columns());
    let deduction_lines = scored
        .clone()
        .filter(col(UPHELD).gt(lit(0i64)))
        .select([
            col(PARTNER_ID),
            lit(Component::ComplaintDeduction.as_str()).alias(COMPONENT),
            null_of(DataType::String).alias(CATEGORY),
            col(UPHELD).alias(QUANTITY),
            lit(0i64).alias(BASIS),
            null_of(DataType::Int64).alias(RATE_BP),
            (lit(0i64) - col("deduction_fen")).alias(AMOUNT),
        ])
        .select(line_columns());

    let info = scored.select([
        col(PARTNER_ID),
        col(PARTNER_TYPE),
        col(PROVINCE),
        col(TIER),
        col("stop_reasons"),
    ]);
    concat(
        [
            usage_lines,
            sales_lines,
            reward_lines,
            service_lines,
            deduction_lines,
            clawback_lines,
            release_lines,
        ],
        UnionArgs::default(),
    )
    .expect("same columns")
    .filter(col(AMOUNT).neq(lit(0i64)))
    .join(
        info,
        [col(PARTNER_ID)],
        [col(PARTNER_ID)],
        JoinArgs::new(JoinType::Left),
    )
    .with_column(
        when(col("stop_reasons").eq(lit("")))
            .then(lit(LineStatus::Payable.as_str()))
            .otherwise(lit(LineStatus::Withheld.as_str()))
            .alias(STATUS),
    )
    .sort(
        [PARTNER_ID, COMPONENT, CATEGORY],
        SortMultipleOptions::default()
            .with_nulls_last(false)
            .with_maintain_order(true),
    )
    .select([
        col(PARTNER_ID),
        col(PARTNER_TYPE),
        col(PROVINCE),
        col(COMPONENT),
        col(CATEGORY),
        col(QUANTITY),
        col(BASIS),
        col(RATE_BP),
        col(AMOUNT),
        col(TIER),
        col(STATUS),
    ])
}
