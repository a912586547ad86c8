//! Ledger lines (SPEC §5): SI revenue share, SA base, sales, service and
//! reward commissions, and complaint deductions, each rounded once on its
//! aggregated basis.

use polars::prelude::*;

use super::activity::in_period;
use super::{lookup, one_of, round_bp};
use crate::expr::money;
use crate::ingest::Month;
use crate::policy::Policy;
use crate::vocab::{Component, DeliveryStatus, LineStatus, PartnerType};

/// The columns every kind of line is brought to before they are stacked,
/// with their types (literals would otherwise pick their own widths).
fn line_columns() -> [Expr; 7] {
    [
        col("partner_id"),
        col("component").cast(DataType::String),
        col("category").cast(DataType::String),
        col("quantity").cast(DataType::Int64),
        money(col("basis")),
        col("rate_bp").cast(DataType::Int64),
        money(col("amount")),
    ]
}

fn catalog_frame(policy: &Policy) -> LazyFrame {
    let (products, categories): (Vec<&str>, Vec<&str>) = policy
        .catalog
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .unzip();
    df!("product_code" => products, "category" => categories)
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
            component.alias("component"),
            rate.alias("rate_bp"),
            null_of(DataType::Int64).alias("quantity"),
        ])
        .with_column(round_bp(col("basis"), col("rate_bp")).alias("amount"))
        .select(line_columns())
}

fn join_partner(lf: LazyFrame, partners: LazyFrame) -> LazyFrame {
    lf.join(
        partners,
        [col("partner_id")],
        [col("partner_id")],
        JoinArgs::new(JoinType::Inner),
    )
}

/// All ledger lines of the month; `scored` is the partner frame with tier,
/// response_kpi, customers, upheld, deduction_fen and `stop_reasons`.
pub fn ledger(month: &Month, policy: &Policy, scored: LazyFrame) -> LazyFrame {
    let partners = scored
        .clone()
        .select([col("partner_id"), col("partner_type"), col("tier")]);
    // Sum per product first: the catalog join then runs on a few rows per
    // partner instead of on every usage row.
    let by_category = |lf: LazyFrame| {
        lf.group_by([col("partner_id"), col("product_code")])
            .agg([money(col("amount")).sum()])
            .join(
                catalog_frame(policy),
                [col("product_code")],
                [col("product_code")],
                JoinArgs::new(JoinType::Inner),
            )
            .group_by([col("partner_id"), col("category")])
            .agg([col("amount").sum().alias("basis")])
    };
    let is_si = col("partner_type").eq(lit(PartnerType::Si.as_str()));

    let usage = join_partner(
        by_category(month.usage.by_product.clone().lazy()),
        partners.clone(),
    );
    let si_rate = lookup(col("category"), &policy.si.share_bp.entries(), 0)
        + lookup(col("tier"), &policy.si.tier_uplift_bp.entries(), 0);
    let usage_lines = rated_line(
        usage,
        when(is_si.clone())
            .then(lit(Component::SiRevenueShare.as_str()))
            .otherwise(lit(Component::SaBase.as_str())),
        when(is_si.clone()).then(si_rate).otherwise(lookup(
            col("category"),
            &policy.sa.base_bp.entries(),
            0,
        )),
    );

    let delivered = month.deliveries.clone().lazy().filter(
        col("status")
            .eq(lit(DeliveryStatus::Delivered.as_str()))
            .and(in_period(col("delivered_on"), month)),
    );
    let sales = join_partner(by_category(delivered), partners.clone()).filter(is_si.clone().not());
    let sales_lines = rated_line(
        sales,
        lit(Component::SaSales.as_str()),
        lookup(col("category"), &policy.sa.sales_bp.entries(), 0),
    );

    let reward_basis = concat(
        [usage_lines.clone(), sales_lines.clone()],
        UnionArgs::default(),
    )
    .expect("same columns")
    .filter(one_of(
        col("component"),
        &[Component::SaBase.as_str(), Component::SaSales.as_str()],
    ))
    .group_by([col("partner_id")])
    .agg([col("amount").sum().alias("basis")])
    .with_column(null_of(DataType::String).alias("category"));
    let reward_lines = rated_line(
        join_partner(reward_basis, partners),
        lit(Component::SaReward.as_str()),
        lookup(col("tier"), &policy.sa.reward_bp.entries(), 0),
    );

    let fee = policy.sa.fee_fen_per_customer;
    let service_lines = scored
        .clone()
        .filter(is_si.not().and(col("customers").gt(lit(0i64))))
        .select([
            col("partner_id"),
            lit(Component::SaService.as_str()).alias("component"),
            null_of(DataType::String).alias("category"),
            col("customers").alias("quantity"),
            lit(0i64).alias("basis"),
            null_of(DataType::Int64).alias("rate_bp"),
            round_bp(money(col("customers")) * lit(fee), col("response_kpi")).alias("amount"),
        ])
        .select(line_columns());
    let deduction_lines = scored
        .clone()
        .filter(col("upheld").gt(lit(0i64)))
        .select([
            col("partner_id"),
            lit(Component::ComplaintDeduction.as_str()).alias("component"),
            null_of(DataType::String).alias("category"),
            col("upheld").alias("quantity"),
            lit(0i64).alias("basis"),
            null_of(DataType::Int64).alias("rate_bp"),
            (lit(0i64) - col("deduction_fen")).alias("amount"),
        ])
        .select(line_columns());

    let info = scored.select([
        col("partner_id"),
        col("partner_type"),
        col("province"),
        col("tier"),
        col("stop_reasons"),
    ]);
    concat(
        [
            usage_lines,
            sales_lines,
            reward_lines,
            service_lines,
            deduction_lines,
        ],
        UnionArgs::default(),
    )
    .expect("same columns")
    .filter(col("amount").neq(lit(0i64)))
    .join(
        info,
        [col("partner_id")],
        [col("partner_id")],
        JoinArgs::new(JoinType::Left),
    )
    .with_column(
        when(col("stop_reasons").eq(lit("")))
            .then(lit(LineStatus::Payable.as_str()))
            .otherwise(lit(LineStatus::Withheld.as_str()))
            .alias("status"),
    )
    .sort(
        ["partner_id", "component", "category"],
        SortMultipleOptions::default()
            .with_nulls_last(false)
            .with_maintain_order(true),
    )
    .select([
        col("partner_id"),
        col("partner_type"),
        col("province"),
        col("component"),
        col("category"),
        col("quantity"),
        col("basis"),
        col("rate_bp"),
        col("amount"),
        col("tier"),
        col("status"),
    ])
}
