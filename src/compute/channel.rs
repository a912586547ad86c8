//! The channel rules (SPEC §11–§13, §16): which business a partner may be
//! paid for. Handovers move a customer's usage to the partner that holds the
//! relationship on the usage date; holds mark money rows that stay in every
//! KPI but earn nothing this month, each with the first reason that applies.
//!
//! Usage is never kept as rows, so its rules run batch by batch inside
//! ingest ([`Rules`] is ingest's `UsageRules`); sales are few and are held
//! here, on the month's deliveries.

/// Maps of ids probed per candidate row: a fast seeded hash rather than
/// std's SipHash.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

use polars::prelude::*;

use crate::columns::*;
use crate::error::{Error, Result};
use crate::expr::one_of;
use crate::ingest::{Candidates, HOLD, Month, PAID, PairTotals, Registry, UsageRules};
use crate::policy::{Earner, Policy};
use crate::vocab::{Component, DeliveryStatus, HoldReason, PartnerType};

/// Working columns, dropped before rows leave this module.
const EARNER: &str = "__earner";
const KEY_ACCOUNT: &str = "__key_account";
const PROTECTED: &str = "__protected";
const ROW: &str = "__row";

/// The usage rules of one month: the handover chains and the usage holds.
pub struct Rules {
    /// Each handed-over customer's handovers in the order of (effective_on,
    /// handover_id): its k-th is step k. Partners are numbered: a registry
    /// position, or past the registry for an id outside it.
    chains: Vec<Vec<Step>>,
    /// Customer id → its chain.
    chain_of_text: HashMap<String, u32>,
    /// The same, by the usage lane's key of the customer (ids of up to 15
    /// bytes; a longer one is looked up by its text).
    chain_of_key: HashMap<u128, u32>,
    /// Partners in the registry: a number below this is a position.
    registry: u32,
    /// Per partner position: whether it is the from_partner of any
    /// handover (only its rows can move).
    gives: Vec<bool>,
    /// The usage holds as per-month lookup tables: see [`UsageHolds`].
    usage: UsageHolds,
}

/// What the usage holds read, as small per-month tables: each usage row
/// finds its partner's row once (one hash probe), and everything else is
/// looked up by position. (A probe per rule and set was ten string hashes a
/// usage row; joining the partner facts copied every row of every batch.)
struct UsageHolds {
    /// partner_id → its position (`__p`, UInt32) in `class` and `ended`.
    index: DataFrame,
    /// Per partner: its class, `CLASS_SI`, `CLASS_SA` (no listed kind) or
    /// `CLASS_KIND + k` for an SA of the policy's k-th listed kind.
    class: Vec<u32>,
    /// Per partner: terminated_on in days since 1970-01-01 (null for most);
    /// None when no partner has one.
    ended: Option<Vec<Option<i32>>>,
    /// product_code → its number (`__p`, UInt32): its place in the catalog.
    products: DataFrame,
    /// Per (class, product), at `class * products.len() + product`: the hold
    /// code of a usage row that no termination holds (`NO_HOLD`: paid).
    table: Vec<u8>,
}

/// Partner classes: the static holds of a row depend only on its partner's
/// class and its product.
const CLASS_SI: u32 = 0;
const CLASS_SA: u32 = 1;
const CLASS_KIND: u32 = 2;
/// A row's partner position and product number while its holds are judged.
const POS: &str = "__p";
const PRODUCT: &str = "__product";
/// A batch's summing key: (partner position, product number, hold code).
const KEY: &str = "__key";
/// Hold codes take one key digit of this base; `NO_HOLD` stands for paid.
const KEY_HOLDS: u64 = 256;
const NO_HOLD: u8 = 255;

impl UsageHolds {
    fn new(
        partners: &DataFrame,
        policy: &Policy,
        kinds: &[(String, Vec<String>)],
    ) -> Result<UsageHolds> {
        let err = || Error::polars("usage holds");
        let text = |name: &str| texts_of(partners, name, "usage holds");
        let classes: Vec<u32> = text(PARTNER_TYPE)?
            .into_iter()
            .zip(text(SA_KIND)?)
            .map(|(ty, kind)| {
                if ty.as_deref() == Some(PartnerType::Si.as_str()) {
                    return CLASS_SI;
                }
                kinds
                    .iter()
                    .position(|(k, _)| Some(k.as_str()) == kind.as_deref())
                    .map_or(CLASS_SA, |k| CLASS_KIND + k as u32)
            })
            .collect();
        let codes: Vec<&str> = policy.catalog.keys().map(String::as_str).collect();
        let numbers: Vec<u32> = (0..codes.len() as u32).collect();
        let products = df!(PRODUCT_CODE => codes, POS => numbers).map_err(err())?;
        let mut table = Vec::new();
        for class in 0..CLASS_KIND + kinds.len() as u32 {
            for (product, category) in &policy.catalog {
                let earner = policy.earner(product);
                let wrong_type = if class == CLASS_SI {
                    earner == Earner::Sa
                } else {
                    earner == Earner::Si
                };
                let not_authorized = class >= CLASS_KIND
                    && !kinds[(class - CLASS_KIND) as usize]
                        .1
                        .iter()
                        .any(|a| a == category);
                table.push(if wrong_type {
                    Some(HoldReason::WrongPartnerType.code())
                } else if not_authorized {
                    Some(HoldReason::ProductNotAuthorized.code())
                } else {
                    None
                });
            }
        }
        let ended = partners.column(TERMINATED_ON).map_err(err())?;
        let ended = if ended.null_count() < ended.len() {
            Some(ended.date().map_err(err())?.physical().iter().collect())
        } else {
            None
        };
        let positions: Vec<u32> = (0..partners.height() as u32).collect();
        Ok(UsageHolds {
            index: DataFrame::new(
                partners.height(),
                vec![
                    partners.column(PARTNER_ID).map_err(err())?.clone(),
                    Column::new(POS.into(), positions),
                ],
            )
            .map_err(err())?,
            class: classes,
            ended,
            products,
            table: table.iter().map(|h| h.unwrap_or(NO_HOLD)).collect(),
        })
    }

    /// The position of each row's value of `column` in `index` (UInt32).
    fn positions(rows: &DataFrame, column: &str, index: &DataFrame) -> Result<Column> {
        let err = || Error::polars("usage holds");
        let mut args = JoinArgs::new(JoinType::Left);
        args.maintain_order = MaintainOrderJoin::Left;
        let found = rows
            .select([column])
            .map_err(err())?
            .join(index, [column], [column], args, None)
            .map_err(err())?;
        Ok(found.column(POS).map_err(err())?.clone())
    }

    /// The totals of a batch of rows (after handovers), with each row's
    /// first §12 hold. Rows are summed under one integer key (partner
    /// position, product number, hold code) instead of three text columns,
    /// and named again once summed: a batch's totals are a few rows per
    /// partner.
    fn totals(&self, rows: &DataFrame, partner: Column) -> Result<PairTotals> {
        let err = || Error::polars("usage holds");
        let product =
            Self::positions(rows, PRODUCT_CODE, &self.products)?.with_name(PRODUCT.into());
        let n_products = self.products.height() as u64;
        let class = lit(Series::new("class".into(), &self.class)).gather(col(POS), true);
        let table: Vec<Option<u8>> = self
            .table
            .iter()
            .map(|&h| (h != NO_HOLD).then_some(h))
            .collect();
        let static_hold = lit(Series::new("table".into(), table))
            .gather(class * lit(n_products as u32) + col(PRODUCT), true);
        let hold = match &self.ended {
            None => static_hold,
            Some(ended) => when(
                col(USAGE_DATE)
                    .gt(lit(Int32Chunked::from_iter(ended.iter().copied())
                        .into_date()
                        .into_series())
                    .gather(col(POS), true))
                    .fill_null(lit(false)),
            )
            .then(lit(HoldReason::AfterTermination.code()))
            .otherwise(static_hold),
        };
        let keyed = rows
            .select([CUSTOMER_ID, USAGE_DATE, AMOUNT])
            .map_err(err())?
            .hstack(&[partner, product])
            .map_err(err())?
            .lazy()
            .with_column(hold.alias(HOLD))
            .select([
                col(POS),
                col(CUSTOMER_ID),
                col(AMOUNT),
                col(HOLD),
                ((col(POS).cast(DataType::UInt64) * lit(n_products)
                    + col(PRODUCT).cast(DataType::UInt64))
                    * lit(KEY_HOLDS)
                    + col(HOLD).fill_null(lit(NO_HOLD)).cast(DataType::UInt64))
                .alias(KEY),
            ])
            .collect()
            .map_err(err())?
            .lazy();
        let ids = lit(self
            .index
            .column(PARTNER_ID)
            .map_err(err())?
            .as_materialized_series()
            .clone());
        let codes = lit(self
            .products
            .column(PRODUCT_CODE)
            .map_err(err())?
            .as_materialized_series()
            .clone());
        let by_product = keyed
            .clone()
            .group_by([col(KEY)])
            .agg([
                crate::expr::money(col(AMOUNT)).sum(),
                len().cast(DataType::Int64).alias("rows"),
            ])
            .with_columns([
                ids.clone()
                    .gather(col(KEY).floor_div(lit(KEY_HOLDS * n_products)), false)
                    .alias(PARTNER_ID),
                codes
                    .gather(col(KEY).floor_div(lit(KEY_HOLDS)) % lit(n_products), false)
                    .alias(PRODUCT_CODE),
                when((col(KEY) % lit(KEY_HOLDS)).eq(lit(NO_HOLD as u64)))
                    .then(lit(NULL).cast(DataType::UInt8))
                    .otherwise((col(KEY) % lit(KEY_HOLDS)).cast(DataType::UInt8))
                    .alias(HOLD),
            ]);
        let customers = keyed
            .group_by([col(POS), col(CUSTOMER_ID)])
            .agg([col(HOLD).is_null().any(true).alias(PAID)])
            .with_column(ids.gather(col(POS), false).alias(PARTNER_ID));
        PairTotals::collect(by_product, customers)
    }
}

/// The partner columns the holds read.
fn partner_info(partners: &DataFrame) -> Result<DataFrame> {
    partners
        .select([
            PARTNER_ID,
            PARTNER_TYPE,
            TERMINATED_ON,
            BUSINESS_STOP_ON,
            SA_KIND,
        ])
        .map_err(Error::polars("partner rules"))
}

/// Each catalog product with its category and earner.
fn product_info(policy: &Policy) -> DataFrame {
    let (mut codes, mut categories, mut earners) = (vec![], vec![], vec![]);
    for (product, category) in &policy.catalog {
        codes.push(product.as_str());
        categories.push(category.as_str());
        earners.push(match policy.earner(product) {
            Earner::Si => PartnerType::Si.as_str(),
            Earner::Sa => PartnerType::Sa.as_str(),
            Earner::Both => "both",
        });
    }
    df!(PRODUCT_CODE => codes, CATEGORY => categories, EARNER => earners)
        .expect("three equal columns")
}

impl Rules {
    /// The rules for a month, or `None` when none can apply: no handover,
    /// no terminated_on, no product with a single earner and no SA of a
    /// listed kind. Usage is then summed exactly as in Part I.
    pub fn new(registry: &Registry, policy: &Policy) -> Result<Option<Rules>> {
        let err = || Error::polars("channel rules");
        let partners = partner_info(registry.partners)?;
        let terminated =
            partners.column(TERMINATED_ON).map_err(err())?.null_count() < partners.height();
        let kinds: Vec<(String, Vec<String>)> = policy
            .sa_kinds
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let listed: Vec<&str> = kinds.iter().map(|(k, _)| k.as_str()).collect();
        let kind_of_sa = partners
            .clone()
            .lazy()
            .filter(
                col(PARTNER_TYPE)
                    .eq(lit(PartnerType::Sa.as_str()))
                    .and(one_of(col(SA_KIND), &listed)),
            )
            .collect()
            .map_err(err())?
            .height()
            > 0;
        let single_earner = policy.earners.values().any(|e| *e != Earner::Both);
        let handovers = registry.handovers;
        if handovers.height() == 0 && !terminated && !single_earner && !kind_of_sa {
            return Ok(None);
        }
        let ordered = handovers
            .clone()
            .lazy()
            .sort([EFFECTIVE_ON, HANDOVER_ID], SortMultipleOptions::default())
            .with_row_index("__i", None)
            // A customer's k-th handover in that order is step k: its rank
            // among the customer's handovers (not its distance in the
            // sorted table, which would make a step of every gap).
            .with_column(
                (crate::expr::window(
                    col("__i").rank(
                        RankOptions {
                            method: RankMethod::Ordinal,
                            descending: false,
                        },
                        None,
                    ),
                    &[col(CUSTOMER_ID)],
                )
                .cast(DataType::Int64)
                    - lit(1i64))
                .alias("__step"),
            )
            .collect()
            .map_err(err())?;
        let depth = ordered
            .column("__step")
            .map_err(err())?
            .as_materialized_series()
            .max::<i64>()
            .map_err(err())?
            .map_or(0, |m| m + 1);
        let steps = (0..depth)
            .map(|k| {
                ordered
                    .clone()
                    .lazy()
                    .filter(col("__step").eq(lit(k)))
                    .select([
                        col(CUSTOMER_ID),
                        col(FROM_PARTNER),
                        col(TO_PARTNER),
                        col(EFFECTIVE_ON),
                    ])
                    .collect()
                    .map_err(err())
            })
            .collect::<Result<Vec<_>>>()?;
        // Partner ids as numbers: registry positions first (the first of a
        // repeated id stands, as a join picks one), then any other id a
        // handover names, so a chain may pass through partners outside the
        // registry and still be compared by number.
        let mut number_of: HashMap<String, u32> = partners
            .column(PARTNER_ID)
            .map_err(err())?
            .str()
            .map_err(err())?
            .iter()
            .enumerate()
            .filter_map(|(at, id)| id.map(|id| (id.to_string(), at as u32)))
            .rev()
            .collect();
        let registry = partners.height() as u32;
        let mut number = |id: String| -> u32 {
            let next = registry + number_of.len() as u32;
            *number_of.entry(id).or_insert(next)
        };
        // Step k holds each customer's k-th handover: appended step by step,
        // a customer's chain keeps that order.
        let (mut chains, mut chain_of_text) = (Vec::<Vec<Step>>::new(), HashMap::default());
        for step in &steps {
            for (customer, from, to, effective) in step_rows(step)? {
                let at = *chain_of_text.entry(customer).or_insert_with(|| {
                    chains.push(Vec::new());
                    chains.len() as u32 - 1
                });
                chains[at as usize].push(Step {
                    from: number(from),
                    to: number(to),
                    effective,
                });
            }
        }
        let chain_of_key = chain_of_text
            .iter()
            .filter_map(|(c, &at)| crate::ingest::lane::customer_key_of(c).map(|k| (k, at)))
            .collect();
        let usage = UsageHolds::new(&partners, policy, &kinds)?;
        let gives = partners
            .clone()
            .lazy()
            .select([crate::expr::is_in_series(
                col(PARTNER_ID),
                handovers
                    .column(FROM_PARTNER)
                    .map_err(err())?
                    .as_materialized_series()
                    .clone(),
            )])
            .collect()
            .map_err(err())?
            .column(PARTNER_ID)
            .map_err(err())?
            .bool()
            .map_err(err())?
            .iter()
            .map(|g| g == Some(true))
            .collect();
        Ok(Some(Rules {
            chains,
            chain_of_text,
            chain_of_key,
            registry,
            gives,
            usage,
        }))
    }

    /// §11: each row of a handed-over customer follows its handovers in
    /// order; a step moves the row when its current partner is the step's
    /// from_partner and the step is effective on the usage date. Returns
    /// `partner` (each row's partner position) with the moved rows' new
    /// positions. Only rows whose partner gives a customer away anywhere can
    /// move: they are picked by position (no hash), their customers looked
    /// up, and only those candidates (a few percent of a batch) follow their
    /// chains. (This is the reference path, by text; the lane's batches go
    /// through [`UsageRules::candidates`] and [`UsageRules::judge`].)
    fn reattribute(&self, rows: &DataFrame, partner: Column) -> Result<Column> {
        let err = || Error::polars("handovers");
        if self.chains.is_empty() {
            return Ok(partner);
        }
        let mut patched: Vec<u32> = partner
            .u32()
            .map_err(err())?
            .iter()
            .map(|p| p.unwrap_or(u32::MAX))
            .collect();
        let candidates = self.moving(rows, &patched, None)?;
        if candidates.rows.is_empty() {
            return Ok(partner);
        }
        let days = rows
            .column(USAGE_DATE)
            .map_err(err())?
            .date()
            .map_err(err())?
            .physical();
        self.follow(&candidates, |row| days.get(row), &mut patched);
        Ok(Column::new(POS.into(), patched))
    }

    /// The rows that may move, with their chains: rows of partners that
    /// give a customer away (picked by position, no hash) whose customer
    /// has a chain (a lookup for those rows only). `keys` are the rows'
    /// customer keys from the usage lane, looked up instead of their text
    /// when given.
    fn moving(
        &self,
        rows: &DataFrame,
        partner: &[u32],
        keys: Option<&[u128]>,
    ) -> Result<Candidates> {
        let err = || Error::polars("handovers");
        let customers = rows
            .column(CUSTOMER_ID)
            .map_err(err())?
            .str()
            .map_err(err())?;
        // Text straight from a Parquet batch may still carry white space
        // (the lane trims as it reads): trimmed here, for these rows.
        let by_text = |row: usize| {
            let customer = customers.get(row)?.trim();
            self.chain_of_text.get(customer).copied()
        };
        let gives = |p: u32| self.gives.get(p as usize) == Some(&true);
        let mut found = Candidates::default();
        for (row, _) in partner.iter().enumerate().filter(|(_, p)| gives(**p)) {
            let chain = match keys.map(|k| k[row]) {
                Some(key) if !crate::ingest::lane::is_long_customer(key) => {
                    self.chain_of_key.get(&key).copied()
                }
                _ => by_text(row),
            };
            if let Some(chain) = chain {
                found.rows.push(row);
                found.chains.push(chain);
            }
        }
        Ok(found)
    }

    /// Each candidate row follows its chain: a step applies when the row's
    /// current partner is the step's from_partner and the step is effective
    /// on the row's `day`; the row takes the position where it ends, or
    /// stays when that partner is outside the registry.
    fn follow(
        &self,
        candidates: &Candidates,
        day: impl Fn(usize) -> Option<i32>,
        partner: &mut [u32],
    ) {
        for (&row, &chain) in candidates.rows.iter().zip(&candidates.chains) {
            let Some(day) = day(row) else {
                continue;
            };
            let mut at = partner[row];
            for s in &self.chains[chain as usize] {
                if s.from == at && s.effective.is_some_and(|e| e <= day) {
                    at = s.to;
                }
            }
            if at < self.registry {
                partner[row] = at;
            }
        }
    }
}

/// The values of a text column, owned.
fn texts_of(frame: &DataFrame, name: &str, what: &'static str) -> Result<Vec<Option<String>>> {
    Ok(frame
        .column(name)
        .map_err(Error::polars(what))?
        .str()
        .map_err(Error::polars(what))?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

/// One handover of a customer, as a step of its chain; partners by number
/// (see [`Rules::chains`]).
struct Step {
    from: u32,
    to: u32,
    /// effective_on, days since 1970-01-01.
    effective: Option<i32>,
}

/// A step's handovers: customer, from and to partner, effective_on as days
/// (one per customer in a step).
type StepRow = (String, String, String, Option<i32>);

/// The handovers of one step.
fn step_rows(step: &DataFrame) -> Result<Vec<StepRow>> {
    let err = || Error::polars("handovers");
    let text = |name: &str| texts_of(step, name, "handovers");
    let effective: Vec<Option<i32>> = step
        .column(EFFECTIVE_ON)
        .map_err(err())?
        .date()
        .map_err(err())?
        .physical()
        .iter()
        .collect();
    Ok(text(CUSTOMER_ID)?
        .into_iter()
        .zip(text(FROM_PARTNER)?)
        .zip(text(TO_PARTNER)?)
        .zip(effective)
        .filter_map(|(((customer, from), to), effective)| Some((customer?, from?, to?, effective)))
        .collect())
}

impl UsageRules for Rules {
    fn candidates(
        &self,
        batch: &DataFrame,
        partner: &[u32],
        customer: &[u128],
    ) -> Result<Candidates> {
        if self.chains.is_empty() {
            return Ok(Candidates::default());
        }
        self.moving(batch, partner, Some(customer))
    }

    fn judge(
        &self,
        candidates: &Candidates,
        mut partner: Vec<u32>,
        product: &[u16],
        day: &[i32],
    ) -> Result<(Vec<u32>, Vec<u8>)> {
        self.follow(candidates, |row| day.get(row).copied(), &mut partner);
        let (class, table) = (&self.usage.class, &self.usage.table);
        let products = self.usage.products.height();
        let by_class = |p: u32, q: u16| table[class[p as usize] as usize * products + q as usize];
        let rows = partner.iter().zip(product);
        // One pass either way; rows after their partner's termination come
        // first (§12 order).
        let holds: Vec<u8> = match &self.usage.ended {
            Some(ended) => (rows.zip(day))
                .map(|((&p, &q), &day)| match ended[p as usize] {
                    Some(end) if day > end => HoldReason::AfterTermination.code(),
                    _ => by_class(p, q),
                })
                .collect(),
            None => rows.map(|(&p, &q)| by_class(p, q)).collect(),
        };
        Ok((partner, holds))
    }

    fn totals(&self, rows: LazyFrame) -> Result<PairTotals> {
        let names = [PARTNER_ID, CUSTOMER_ID, PRODUCT_CODE, USAGE_DATE, AMOUNT];
        let rows = rows
            .select(names.map(col))
            .collect()
            .map_err(Error::polars("usage rules"))?;
        let partner = UsageHolds::positions(&rows, PARTNER_ID, &self.usage.index)?;
        let partner = self.reattribute(&rows, partner)?;
        self.usage.totals(&rows, partner)
    }
}

/// The hold reason of a sale (§12 table, first that applies), null when it
/// is paid; reads the partner and product facts and `__key_account`,
/// `__protected`. (Usage rows get theirs from [`UsageHolds`], by set probes:
/// they are many, sales few.)
fn sale_hold(kinds: &[(String, Vec<String>)]) -> Expr {
    let date = col(DELIVERED_ON);
    let not_allowed = kinds
        .iter()
        .rev()
        .fold(lit(false), |rest, (kind, allowed)| {
            let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
            when(col(SA_KIND).eq(lit(kind.clone())))
                .then(one_of(col(CATEGORY), &allowed).not())
                .otherwise(rest)
        });
    let rules = [
        (
            date.clone().gt(col(TERMINATED_ON)),
            HoldReason::AfterTermination,
        ),
        (
            date.gt_eq(col(BUSINESS_STOP_ON)),
            HoldReason::BusinessStopped,
        ),
        (
            col(EARNER)
                .neq(lit("both"))
                .and(col(EARNER).neq(col(PARTNER_TYPE))),
            HoldReason::WrongPartnerType,
        ),
        (
            col(PARTNER_TYPE)
                .eq(lit(PartnerType::Sa.as_str()))
                .and(not_allowed),
            HoldReason::ProductNotAuthorized,
        ),
        (
            col(KEY_ACCOUNT).and(col(PROTECTED).not()),
            HoldReason::UnregisteredKeyAccount,
        ),
    ];
    // The first rule that applies wins: fold from the last.
    rules
        .into_iter()
        .rev()
        .fold(lit(NULL).cast(DataType::String), |rest, (applies, r)| {
            when(applies.fill_null(lit(false)))
                .then(lit(r.as_str()))
                .otherwise(rest)
        })
}

/// The month's sales money rows (§12): deliveries of SA partners with
/// status delivered and delivered_on in the period, with `category` and
/// `hold` (null when paid).
pub fn sales(month: &Month, policy: &Policy) -> Result<LazyFrame> {
    let in_period = super::activity::in_period(col(DELIVERED_ON), month);
    sale_rows(
        month,
        policy,
        col(STATUS)
            .eq(lit(DeliveryStatus::Delivered.as_str()))
            .and(in_period),
    )
}

/// The month's clawback rows (§15): SA sales cancelled in the period that
/// were delivered in one of the `clawback_months` months before it and
/// would not have been held as sales on their delivered_on (judged with this
/// month's registry, registrations and policy). Empty without clawback.
pub fn clawbacks(month: &Month, policy: &Policy) -> Result<LazyFrame> {
    let m = policy.clawback_months.get();
    let cancelled_in_period = super::activity::in_period(col(CANCELLED_ON), month);
    let mut first = month.period;
    for _ in 0..m {
        first = first.prev();
    }
    let delivered_before = col(DELIVERED_ON)
        .gt_eq(lit(first.start()))
        .and(col(DELIVERED_ON).lt_eq(lit(month.period.prev().end())));
    let clawed = col(STATUS)
        .eq(lit(DeliveryStatus::Cancelled.as_str()))
        .and(cancelled_in_period)
        .and(delivered_before)
        .and(lit(m > 0));
    Ok(sale_rows(month, policy, clawed)?.filter(col(HOLD).is_null()))
}

/// Deliveries matching `which`, of SA partners, as sales on their
/// delivered_on: with category and the hold reason a sale would get.
fn sale_rows(month: &Month, policy: &Policy, which: Expr) -> Result<LazyFrame> {
    let partners = partner_info(&month.partners)?;
    let rules_products = product_info(policy);
    let delivered = month
        .deliveries
        .clone()
        .lazy()
        .filter(which.fill_null(lit(false)))
        .join(
            partners.lazy(),
            [col(PARTNER_ID)],
            [col(PARTNER_ID)],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(col(PARTNER_TYPE).eq(lit(PartnerType::Sa.as_str())))
        .join(
            rules_products.lazy(),
            [col(PRODUCT_CODE)],
            [col(PRODUCT_CODE)],
            JoinArgs::new(JoinType::Inner),
        )
        .with_row_index(ROW, None);
    let key_accounts = month
        .key_accounts
        .column(CUSTOMER_ID)
        .map_err(Error::polars("key accounts"))?
        .as_materialized_series()
        .clone();
    // A registration protects a sale of its own partner, customer and
    // category from its approval for protection_days (签约优先: another
    // partner's registration never takes the sale away).
    let days = policy.protection_days.get();
    let approved = month
        .registrations
        .clone()
        .lazy()
        .filter(col(APPROVED_ON).is_not_null())
        .select([
            col(PARTNER_ID),
            col(CUSTOMER_ID),
            col(CATEGORY),
            col(APPROVED_ON),
        ]);
    let protected = delivered
        .clone()
        .select([
            col(ROW),
            col(PARTNER_ID),
            col(CUSTOMER_ID),
            col(CATEGORY),
            col(DELIVERED_ON),
        ])
        .join(
            approved,
            [col(PARTNER_ID), col(CUSTOMER_ID), col(CATEGORY)],
            [col(PARTNER_ID), col(CUSTOMER_ID), col(CATEGORY)],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(
            col(APPROVED_ON).lt_eq(col(DELIVERED_ON)).and(
                (col(DELIVERED_ON).cast(DataType::Int32) - col(APPROVED_ON).cast(DataType::Int32))
                    .cast(DataType::Int64)
                    .lt(lit(days)),
            ),
        )
        .group_by([col(ROW)])
        .agg([lit(true).alias(PROTECTED)]);
    let kinds: Vec<(String, Vec<String>)> = policy
        .sa_kinds
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(delivered
        .join(
            protected,
            [col(ROW)],
            [col(ROW)],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([
            col(PROTECTED).fill_null(lit(false)),
            crate::expr::is_in_series(col(CUSTOMER_ID), key_accounts).alias(KEY_ACCOUNT),
        ])
        .with_column(sale_hold(&kinds).alias(HOLD))
        .select([
            col(PARTNER_ID),
            col(CUSTOMER_ID),
            col(PRODUCT_CODE),
            col(CATEGORY),
            col(AMOUNT),
            col(HOLD),
        ]))
}

/// The name of a usage hold code (see `HoldReason::code`).
fn hold_name(code: Expr) -> Expr {
    HoldReason::ALL
        .iter()
        .rev()
        .fold(lit(NULL).cast(DataType::String), |rest, r| {
            when(code.clone().eq(lit(r.code())))
                .then(lit(r.as_str()))
                .otherwise(rest)
        })
}

/// The `held` dataset (§19): per (partner, component, category, reason) the
/// held money rows (quantity) and their basis, sorted by those keys.
/// `scored` supplies partner_type and province.
pub fn held(month: &Month, policy: &Policy, sales: LazyFrame, scored: LazyFrame) -> LazyFrame {
    let info = scored.select([col(PARTNER_ID), col(PARTNER_TYPE), col(PROVINCE)]);
    let categories = product_info(policy)
        .lazy()
        .select([col(PRODUCT_CODE), col(CATEGORY)]);
    let usage = month
        .usage
        .by_product
        .clone()
        .lazy()
        .filter(col(HOLD).is_not_null())
        .join(
            categories,
            [col(PRODUCT_CODE)],
            [col(PRODUCT_CODE)],
            JoinArgs::new(JoinType::Inner),
        )
        .with_column(hold_name(col(HOLD)).alias(HOLD))
        .group_by([col(PARTNER_ID), col(CATEGORY), col(HOLD)])
        .agg([
            col("rows").sum().alias(QUANTITY),
            crate::expr::money(col(AMOUNT)).sum().alias(BASIS),
        ])
        .join(
            info.clone(),
            [col(PARTNER_ID)],
            [col(PARTNER_ID)],
            JoinArgs::new(JoinType::Inner),
        )
        .with_column(
            when(col(PARTNER_TYPE).eq(lit(PartnerType::Si.as_str())))
                .then(lit(Component::SiRevenueShare.as_str()))
                .otherwise(lit(Component::SaBase.as_str()))
                .alias(COMPONENT),
        );
    let sales = sales
        .filter(col(HOLD).is_not_null())
        .group_by([col(PARTNER_ID), col(CATEGORY), col(HOLD)])
        .agg([
            len().cast(DataType::Int64).alias(QUANTITY),
            crate::expr::money(col(AMOUNT)).sum().alias(BASIS),
        ])
        .join(
            info,
            [col(PARTNER_ID)],
            [col(PARTNER_ID)],
            JoinArgs::new(JoinType::Inner),
        )
        .with_column(lit(Component::SaSales.as_str()).alias(COMPONENT));
    let columns = [
        col(PARTNER_ID),
        col(PARTNER_TYPE),
        col(PROVINCE),
        col(COMPONENT),
        col(CATEGORY),
        col(HOLD).alias(REASON),
        col(QUANTITY).cast(DataType::Int64),
        crate::expr::money(col(BASIS)),
    ];
    concat(
        [usage.select(columns.clone()), sales.select(columns)],
        UnionArgs::default(),
    )
    .expect("the same columns")
    .sort(
        [PARTNER_ID, COMPONENT, CATEGORY, REASON],
        SortMultipleOptions::default().with_maintain_order(true),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(d: &str) -> chrono::NaiveDate {
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()
    }

    /// The rules of SA partners `ids` (no kinds, no terminations) under the
    /// 2026-01 policy, with `handovers` (id, customer, from, to, effective).
    fn rules_of(ids: &[&str], handovers: &[(&str, &str, &str, &str, &str)]) -> Rules {
        let none = vec![None::<chrono::NaiveDate>; ids.len()];
        let partners = df!(
            PARTNER_ID => ids,
            PARTNER_TYPE => vec!["SA"; ids.len()],
            TERMINATED_ON => none.clone(),
            BUSINESS_STOP_ON => none,
            SA_KIND => vec![""; ids.len()],
        )
        .unwrap();
        let column = |at: usize| -> Vec<&str> {
            handovers.iter().map(|h| [h.0, h.1, h.2, h.3][at]).collect()
        };
        let handovers = df!(
            HANDOVER_ID => column(0),
            CUSTOMER_ID => column(1),
            FROM_PARTNER => column(2),
            TO_PARTNER => column(3),
            EFFECTIVE_ON => handovers.iter().map(|h| date(h.4)).collect::<Vec<_>>(),
        )
        .unwrap();
        let policy = Policy::parse(include_str!("../../pipelines/policies/2026-01.toml")).unwrap();
        let registry = Registry {
            partners: &partners,
            handovers: &handovers,
        };
        Rules::new(&registry, &policy)
            .unwrap()
            .expect("handovers apply")
    }

    #[test]
    fn a_chain_may_pass_through_partners_outside_the_registry() {
        // Q and R are in no registry: X goes A→Q→B; Y stops at Q; Z goes to
        // Q, and its next step starts from R, another partner.
        let rules = rules_of(
            &["A", "B"],
            &[
                ("h1", "X", "A", "Q", "2027-01-01"),
                ("h2", "X", "Q", "B", "2027-01-02"),
                ("h3", "Y", "A", "Q", "2027-01-01"),
                ("h4", "Z", "A", "Q", "2027-01-01"),
                ("h5", "Z", "R", "B", "2027-01-02"),
            ],
        );
        let rows = df!(
            PARTNER_ID => ["A", "A", "A", "A"],
            CUSTOMER_ID => ["X", "X", "Y", "Z"],
        )
        .unwrap();
        let keys: Vec<u128> = ["X", "X", "Y", "Z"]
            .iter()
            .map(|c| crate::ingest::lane::customer_key_of(c).unwrap())
            .collect();
        let candidates = rules.candidates(&rows, &[0; 4], &keys).unwrap();
        let day = |d: &str| (date(d) - date("1970-01-01")).num_days() as i32;
        let days = [
            day("2027-01-03"),
            day("2027-01-01"),
            day("2027-01-03"),
            day("2027-01-03"),
        ];
        let (moved, _) = rules
            .judge(&candidates, vec![0; 4], &[0; 4], &days)
            .unwrap();
        // X on the 3rd reaches B; X on the 1st is at Q (outside: stays at
        // A); Y ends at Q (stays); Z's second step is R's, not Q's.
        assert_eq!(moved, [1, 0, 0, 0]);
    }

    #[test]
    fn long_customer_ids_are_picked_by_their_text() {
        // 20 bytes: the lane keys it by a number, not by its text.
        let long = "K".repeat(20);
        let rules = rules_of(&["A", "B"], &[("h1", &long, "A", "B", "2027-01-01")]);
        let padded = format!(" {long} ");
        let rows = df!(
            PARTNER_ID => ["A", "A", "B", "A"],
            CUSTOMER_ID => [long.as_str(), "S", long.as_str(), padded.as_str()],
        )
        .unwrap();
        // The lane's keys, from the trimmed texts.
        let texts = [&long, "S", &long, &long].map(crate::ingest::lane::Value::Text);
        let keys = crate::ingest::lane::Customers::default()
            .keys(&texts)
            .unwrap();
        let partner = [0, 0, 1, 0];
        let candidates = rules.candidates(&rows, &partner, &keys).unwrap();
        // S was never handed over; B gives nothing away.
        assert_eq!(candidates.rows, [0, 3]);
        let day = date("2027-01-02") - date("1970-01-01");
        let days = [day.num_days() as i32; 4];
        let (moved, _) = rules
            .judge(&candidates, partner.to_vec(), &[0; 4], &days)
            .unwrap();
        assert_eq!(moved, [1, 0, 1, 1]);
    }

    #[test]
    fn a_customer_s_k_th_handover_is_step_k_whatever_lies_between() {
        // X moves three times; Y and Z once, on dates in between X's.
        let rules = rules_of(
            &["A", "B", "C"],
            &[
                ("h1", "X", "A", "B", "2027-01-01"),
                ("h2", "Y", "A", "B", "2027-01-02"),
                ("h3", "X", "B", "C", "2027-01-03"),
                ("h4", "Z", "A", "C", "2027-01-04"),
                ("h5", "X", "C", "A", "2027-01-05"),
            ],
        );
        // X's chain is its three moves in order, not one per row in between
        // (partners by registry position: A 0, B 1, C 2).
        let chain = |c: &str| -> Vec<(u32, u32)> {
            let steps = &rules.chains[rules.chain_of_text[c] as usize];
            steps.iter().map(|s| (s.from, s.to)).collect()
        };
        assert_eq!(chain("X"), [(0, 1), (1, 2), (2, 0)]);
        assert_eq!(chain("Y"), [(0, 1)]);
        assert_eq!(chain("Z"), [(0, 2)]);
        assert_eq!(rules.chains.len(), 3);

        // §11 on rows (positions A 0, B 1, C 2): a step moves a row only
        // when its current partner is the step's from_partner and the step
        // is effective on the usage date.
        let rows = df!(
            PARTNER_ID => ["A", "C", "A", "A", "C"],
            CUSTOMER_ID => ["X", "Y", "Z", "Z", "W"],
            USAGE_DATE => [
                date("2027-01-04"), // X: A→B (1st), B→C (3rd); C→A not yet
                date("2027-01-10"), // Y moves A→B, but this row is C's
                date("2027-01-03"), // Z: A→C from the 4th only
                date("2027-01-04"), // ... and on the 4th it moves
                date("2027-01-10"), // W has no handover
            ],
        )
        .unwrap();
        let keys: Vec<u128> = ["X", "Y", "Z", "Z", "W"]
            .iter()
            .map(|c| crate::ingest::lane::customer_key_of(c).unwrap())
            .collect();
        let partner = [0, 2, 0, 0, 2];
        let candidates = rules.candidates(&rows, &partner, &keys).unwrap();
        // Candidates: rows of a giving partner (A and C give X away) whose
        // customer has any handover; W has none.
        assert_eq!(candidates.rows, [0, 1, 2, 3]);
        let days: Vec<i32> = (rows.column(USAGE_DATE).unwrap().date().unwrap().physical())
            .into_no_null_iter()
            .collect();
        let (moved, _) = rules
            .judge(&candidates, partner.to_vec(), &[0; 5], &days)
            .unwrap();
        assert_eq!(moved, [2, 2, 0, 2, 2]);
        // The reference path (texts, no lane keys) moves the same rows.
        let positions = Column::new(POS.into(), [0u32, 2, 0, 0, 2]);
        let by_text = rules.reattribute(&rows, positions).unwrap();
        let by_text: Vec<u32> = by_text.u32().unwrap().into_no_null_iter().collect();
        assert_eq!(by_text, [2, 2, 0, 2, 2]);
    }
}
