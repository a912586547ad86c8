//! Ingest: read a period's four tables, run every check of SPEC §2, and split
//! each into typed accepted rows and quarantined rejects. Partners are
//! checked first; the other tables see only accepted partners.

pub mod applicants;
pub mod checks;
pub mod csv;
pub mod ids;
pub mod lane;
mod prefetch;
pub mod read;
pub mod sums;
pub mod tables;

use std::collections::BTreeMap;
use std::path::PathBuf;

use std::time::{Duration, Instant};

use polars::prelude::*;

use crate::columns::*;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::period::Period;
use crate::policy::Policy;
use checks::{Context, parsed};
use read::{LINE, POS};
use tables::{Kind, Table};

/// Counts of one input, as printed by `validate` and kept in the manifest.
#[derive(Clone, Debug, serde::Serialize)]
pub struct InputStats {
    /// Table name.
    pub source: &'static str,
    /// File read.
    pub path: PathBuf,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Records read (header and empty lines excluded).
    pub rows_read: u64,
    /// Records accepted.
    pub rows_accepted: u64,
    /// Records rejected.
    pub rows_rejected: u64,
    /// Rejected records per reason code.
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Sum of the accepted `amount` column in fen, for tables that have one.
    pub accepted_amount_fen: Option<i128>,
}

impl InputStats {
    /// Rejected rows that count toward the reject threshold (§2.1).
    pub fn counted(&self) -> u64 {
        self.rows_rejected
            - self
                .rejected_by_reason
                .get("OUT_OF_PERIOD")
                .copied()
                .unwrap_or(0)
    }

    /// Fails with exit 3 when this input has too many counted rejects.
    pub fn check_reject_ratio(&self, max_bp: i64) -> Result<()> {
        if (self.counted() as i128) * 10000 > (max_bp as i128) * (self.rows_read as i128) {
            return Err(Error::TooManyRejects {
                file: self.path.clone(),
                counted: self.counted(),
                rows_read: self.rows_read,
                max_bp,
            });
        }
        Ok(())
    }
}

/// What ingest does to accepted usage rows before it sums them: the channel
/// rules of compute (handovers re-attribute a row, holds mark it), applied
/// batch by batch so that a month of any size is never held as rows.
pub trait UsageRules: Sync {
    /// The totals of accepted `rows` (partner_id, customer_id, product_code,
    /// usage_date, amount, …) with each row re-attributed and its `hold`
    /// (`HoldReason::code`, null when it is paid) judged.
    fn totals(&self, rows: LazyFrame) -> Result<PairTotals>;

    /// The rows of a batch that handovers may move, by the lane's partner
    /// positions and customer keys ([`lane::customer_key_of`]): only these
    /// travel on to [`UsageRules::judge`], not the batch's texts.
    fn candidates(
        &self,
        batch: &DataFrame,
        partner: &[u32],
        customer: &[u128],
    ) -> Result<Candidates>;

    /// Each accepted row's partner position after handovers and its hold
    /// code ([`sums::PAID_CODE`] when paid), from the batch's `candidates`,
    /// the rows' registry positions, their catalog positions and their
    /// days since 1970-01-01.
    fn judge(
        &self,
        candidates: &Candidates,
        partner: Vec<u32>,
        product: &[u16],
        day: &[i32],
    ) -> Result<(Vec<u32>, Vec<u8>)>;
}

/// The rows of a usage batch that handovers may move.
#[derive(Default)]
pub struct Candidates {
    /// Their positions in the batch, ascending.
    pub rows: Vec<usize>,
    /// The handover chain of each one's customer, in the same order (a
    /// number of the rules' own).
    pub chains: Vec<u32>,
}

/// The accepted registry and the Part II tables that the usage rules need,
/// read before usage.
pub struct Registry<'a> {
    /// Accepted partners.
    pub partners: &'a DataFrame,
    /// Accepted handovers (empty when the table is absent).
    pub handovers: &'a DataFrame,
}

/// Builds the usage rules from the registry: `None` when no channel rule
/// applies (then usage is summed exactly as in Part I).
pub type RulesFor<'f> = &'f (dyn Fn(&Registry) -> Result<Option<Box<dyn UsageRules>>> + Sync);

/// The column of a held row's reason in usage totals (null: paid).
pub const HOLD: &str = "hold";
/// Whether a (partner, customer) pair has a usage row that is not held.
pub const PAID: &str = "paid";

/// Accepted usage summed as compute needs it: a month of any size is held as
/// a few rows per partner instead of one per usage record.
#[derive(Clone)]
pub struct UsageTotals {
    /// partner_id, product_code, hold, amount (fen), rows: per partner,
    /// product and hold reason code (null when paid), after handovers.
    pub by_product: DataFrame,
    /// partner_id, customers, paid_customers: each partner with usage, its
    /// distinct customers and those with a row that is not held.
    pub customers: DataFrame,
}

impl UsageTotals {
    /// Totals of accepted usage rows (partner_id, customer_id, product_code,
    /// usage_date, amount), after `rules` when there are any.
    pub fn of_rows(rows: LazyFrame, rules: Option<&dyn UsageRules>) -> Result<UsageTotals> {
        PairTotals::of_rows(rows, rules)?.counted()
    }
}

/// Usage summed by polars group-bys, part by part: the distinct
/// (partner, customer) pairs are kept until the parts are merged.
#[derive(Clone)]
pub struct PairTotals {
    /// As [`UsageTotals::by_product`].
    pub by_product: DataFrame,
    /// partner_id, customer_id, paid: each distinct pair once, with whether
    /// any of its rows is paid.
    pub customers: DataFrame,
}

impl PairTotals {
    /// Totals of accepted usage rows (partner_id, customer_id, product_code,
    /// usage_date, amount), after `rules` when there are any.
    pub fn of_rows(rows: LazyFrame, rules: Option<&dyn UsageRules>) -> Result<PairTotals> {
        let Some(rules) = rules else {
            // Part I: nothing is re-attributed or held.
            let by_product = rows
                .clone()
                .group_by([col(PARTNER_ID), col(PRODUCT_CODE)])
                .agg([
                    crate::expr::money(col(AMOUNT)).sum(),
                    len().cast(DataType::Int64).alias("rows"),
                ])
                .with_column(lit(NULL).cast(DataType::UInt8).alias(HOLD));
            let customers = rows
                .select([col(PARTNER_ID), col(CUSTOMER_ID)])
                .group_by([col(PARTNER_ID), col(CUSTOMER_ID)])
                .agg([])
                .with_column(lit(true).alias(PAID));
            return PairTotals::collect(by_product, customers);
        };
        rules.totals(rows)
    }

    /// Merges partial totals (of disjoint sets of rows); `held` when any row
    /// may be held (otherwise every pair is paid and needs no flag work).
    fn merge(parts: Vec<PairTotals>, held: bool) -> Result<PairTotals> {
        let err = || Error::polars("summing usage");
        let by_product = concat(
            parts
                .iter()
                .map(|p| p.by_product.clone().lazy())
                .collect::<Vec<_>>(),
            UnionArgs::default(),
        )
        .map_err(err())?
        .group_by([col(PARTNER_ID), col(PRODUCT_CODE), col(HOLD)])
        .agg([col(AMOUNT).sum(), col("rows").sum()]);
        let customers = concat(
            parts
                .iter()
                .map(|p| p.customers.clone().lazy())
                .collect::<Vec<_>>(),
            UnionArgs::default(),
        )
        .map_err(err())?
        .group_by([col(PARTNER_ID), col(CUSTOMER_ID)]);
        let customers = if held {
            customers.agg([col(PAID).any(true)])
        } else {
            customers.agg([]).with_column(lit(true).alias(PAID))
        };
        PairTotals::collect(by_product, customers)
    }

    /// Totals from the plans of their two frames (any column order).
    pub fn collect(by_product: LazyFrame, customers: LazyFrame) -> Result<PairTotals> {
        // Unsorted: everything computed from the totals is an integer sum or
        // a count, and every output is sorted by a unique key before writing.
        // One column order for every part, so parts and merged parts stack.
        let by_product = by_product
            .select([
                col(PARTNER_ID),
                col(PRODUCT_CODE),
                col(HOLD),
                col(AMOUNT),
                col("rows"),
            ])
            .collect()
            .map_err(Error::polars("summing usage"))?;
        let customers = customers
            .select([col(PARTNER_ID), col(CUSTOMER_ID), col(PAID)])
            .collect()
            .map_err(Error::polars("summing usage"))?;
        Ok(PairTotals {
            by_product,
            customers,
        })
    }

    /// The pairs counted per partner: the month's totals.
    fn counted(self) -> Result<UsageTotals> {
        let customers = self
            .customers
            .lazy()
            .group_by([col(PARTNER_ID)])
            .agg([
                len().cast(DataType::Int64).alias("customers"),
                col(PAID)
                    .cast(DataType::Int64)
                    .sum()
                    .alias("paid_customers"),
            ])
            .collect()
            .map_err(Error::polars("counting customers"))?;
        Ok(UsageTotals {
            by_product: self.by_product,
            customers,
        })
    }
}

/// A period's accepted, typed inputs and its rejects.
pub struct Month {
    /// The period.
    pub period: Period,
    /// Accepted partners: partner_id, partner_type, name, province, status, admitted_on (Date).
    pub partners: DataFrame,
    /// Accepted usage, as the totals compute needs (it never needs the rows).
    pub usage: UsageTotals,
    /// Accepted complaints (no line or id); opened_at and first_response_at Datetime(ms), upheld Boolean.
    pub complaints: DataFrame,
    /// Accepted deliveries (no line or id); `amount` in fen, promised_on,
    /// delivered_on and cancelled_on Date.
    pub deliveries: DataFrame,
    /// Accepted registrations (no line or id; empty when absent).
    pub registrations: DataFrame,
    /// Accepted key accounts: customer_id (empty when absent).
    pub key_accounts: DataFrame,
    /// Accepted handovers (no line or id; empty when absent).
    pub handovers: DataFrame,
    /// Rejected rows: source, line, reason, detail, raw; sorted by source, line.
    pub rejects: DataFrame,
    /// Per-input counts, in table order.
    pub inputs: Vec<InputStats>,
}

impl Month {
    /// Fails with exit 3 when any input has too many counted rejects.
    pub fn check_reject_ratio(&self, max_bp: i64) -> Result<()> {
        for s in &self.inputs {
            s.check_reject_ratio(max_bp)?;
        }
        Ok(())
    }
}

/// Reads and checks every input of `period`; each present input's SHA-256
/// is in its stats, in table order. `rules` builds the usage rules once the
/// registry and handovers are read.
pub fn load(config: &Config, period: Period, policy: &Policy, rules: RulesFor) -> Result<Month> {
    let dir = config.period_dir(period);
    if !dir.is_dir() {
        return Err(Error::Input {
            file: dir,
            message: format!("the input folder of period {period} does not exist"),
        });
    }
    // Locate every table first: a missing one fails before any work.
    let files: Vec<Option<PathBuf>> = tables::ALL
        .iter()
        .map(|t| read::locate(&dir, t))
        .collect::<Result<_>>()?;
    let file = |t: &Table| {
        let at = tables::ALL
            .iter()
            .position(|x| x.name == t.name)
            .expect("a table of ALL");
        files[at].as_deref()
    };
    let catalog = Series::new(
        "catalog".into(),
        policy.catalog.keys().cloned().collect::<Vec<_>>(),
    );
    let mut ctx = Context {
        period,
        catalog,
        partner_ids: Series::new_empty("ids".into(), &DataType::String),
        typed: vec![],
    };

    let encoding = config.encoding;
    let load = |t: &'static Table, ctx: &Context| -> Result<Option<Loaded<DataFrame>>> {
        file(t).map(|f| load_table(t, f, encoding, ctx)).transpose()
    };
    let partners = load(&tables::PARTNERS, &ctx)?.expect("partners are required");
    ctx.partner_ids = partners
        .accepted
        .column(PARTNER_ID)
        .map_err(Error::polars("partner ids"))?
        .as_materialized_series()
        .clone();
    let handovers = load(&tables::HANDOVERS, &ctx)?;
    let empty_handovers = empty_table(&tables::HANDOVERS);
    let started = Instant::now();
    let usage_rules = rules(&Registry {
        partners: &partners.accepted,
        handovers: handovers.as_ref().map_or(&empty_handovers, |h| &h.accepted),
    })?;
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "usage rules of the month built"
    );
    let usage_file = file(&tables::USAGE).expect("usage is required");
    // The small tables on a thread of their own from the start: as a rayon
    // task they waited until usage, which keeps rayon's threads busy, was done.
    let (usage, small) = std::thread::scope(|scope| {
        // (Registrations and key accounts too: only the sales need them.)
        let small = scope.spawn(|| -> Result<_> {
            Ok((
                load(&tables::REGISTRATIONS, &ctx)?,
                load(&tables::KEY_ACCOUNTS, &ctx)?,
                load(&tables::COMPLAINTS, &ctx)?.expect("complaints are required"),
                load(&tables::DELIVERIES, &ctx)?.expect("deliveries are required"),
            ))
        });
        let usage = load_usage(usage_file, encoding, &ctx, usage_rules.as_deref());
        let small = small
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (usage, small)
    });
    let usage = usage?;
    let (registrations, key_accounts, complaints, deliveries) = small?;
    let mut inputs = vec![
        partners.stats,
        usage.stats,
        complaints.stats,
        deliveries.stats,
    ];
    let mut rejects = vec![
        partners.rejects,
        usage.rejects,
        complaints.rejects,
        deliveries.rejects,
    ];
    // Table order: the run_id hashes the present inputs in this order.
    let mut optional = |loaded: Option<Loaded<DataFrame>>, table: &Table| match loaded {
        Some(l) => {
            inputs.push(l.stats);
            rejects.push(l.rejects);
            l.accepted
        }
        None => empty_table(table),
    };
    let registrations = optional(registrations, &tables::REGISTRATIONS);
    let key_accounts = optional(key_accounts, &tables::KEY_ACCOUNTS);
    let handovers = optional(handovers, &tables::HANDOVERS);
    Ok(Month {
        period,
        partners: partners.accepted,
        usage: usage.accepted,
        complaints: complaints.accepted,
        deliveries: deliveries.accepted,
        registrations,
        key_accounts,
        handovers,
        rejects: concat_frames(rejects)?,
        inputs,
    })
}

/// The accepted frame of a table that is absent: no rows, its columns typed
/// as an accepted one's are.
pub fn empty_table(table: &Table) -> DataFrame {
    let columns = table
        .columns
        .iter()
        .skip(usize::from(!table.keep_id))
        .map(|c| {
            let dtype = match c.kind {
                Kind::Date { .. } => DataType::Date,
                Kind::DateTime { .. } => DataType::Datetime(TimeUnit::Milliseconds, None),
                Kind::Amount => DataType::Int64,
                _ => DataType::String,
            };
            Column::new_empty(c.name.into(), &dtype)
        })
        .collect();
    DataFrame::new(0, columns).expect("distinct column names")
}

fn concat_frames(frames: Vec<DataFrame>) -> Result<DataFrame> {
    let lazy: Vec<LazyFrame> = frames.into_iter().map(DataFrame::lazy).collect();
    concat(lazy, UnionArgs::default())
        .and_then(|lf| {
            lf.sort([SOURCE, LINE], SortMultipleOptions::default())
                .collect()
        })
        .map_err(Error::polars("collecting rejects"))
}

/// What a table's accepted rows are kept as: the rows themselves (small
/// tables) or their totals (usage, which compute never needs row by row).
trait Accepted {
    /// How many input rows were accepted.
    fn rows(&self) -> Result<u64>;
    /// The accepted `amount` in fen, for tables that have one.
    fn amount_fen(&self) -> Result<Option<i128>>;
}

impl Accepted for DataFrame {
    fn rows(&self) -> Result<u64> {
        Ok(self.height() as u64)
    }

    fn amount_fen(&self) -> Result<Option<i128>> {
        match self.column(AMOUNT) {
            Ok(c) => Ok(Some(
                crate::expr::money_sum(c).map_err(Error::polars("stats"))?,
            )),
            Err(_) => Ok(None),
        }
    }
}

impl Accepted for UsageTotals {
    fn rows(&self) -> Result<u64> {
        let rows = self
            .by_product
            .column("rows")
            .map_err(Error::polars("usage rows"))?
            .as_materialized_series()
            .sum::<i64>();
        Ok(rows.map_err(Error::polars("usage rows"))? as u64)
    }

    fn amount_fen(&self) -> Result<Option<i128>> {
        self.by_product
            .column(AMOUNT)
            .and_then(crate::expr::money_sum)
            .map(Some)
            .map_err(Error::polars("usage amount"))
    }
}

/// One table read and checked; its file's bytes are already dropped.
struct Loaded<A> {
    accepted: A,
    /// source, line, reason, detail, raw.
    rejects: DataFrame,
    stats: InputStats,
}

fn load_table(
    table: &'static Table,
    file: &std::path::Path,
    encoding: crate::config::Encoding,
    ctx: &Context,
) -> Result<Loaded<DataFrame>> {
    let mut source = read::open(table, file, encoding)?;
    let (batches, sha256) = check_rows(&source, ctx)?;
    source.release();
    loaded(&source, find_duplicates(table, batches)?, sha256)
}

/// A table's outcome once its file's bytes are released: stats and the
/// rejects with their raw text.
fn loaded<A: Accepted>(
    source: &read::Source,
    checked: Checked<A>,
    sha256: String,
) -> Result<Loaded<A>> {
    let stats = checked.stats(source, sha256)?;
    let rejects = checked.rejects_with_raw(source)?;
    Ok(Loaded {
        accepted: checked.accepted,
        rejects,
        stats,
    })
}

/// Rows of partial usage totals held before they are merged: bounds their
/// memory without merging often. Each merge hashes every pair summed so far
/// again; in a month where nearly every row is its own (partner, customer)
/// pair, merging every 8 batches cost a fifth of the run (docs/performance.md).
const MERGE_ROWS: usize = 1 << 25;

/// The usage table, kept as totals. One pass sums each batch's accepted rows
/// and keeps only a 64-bit hash of each record_id; when the hashes prove the
/// ids distinct there can be no duplicate and the totals are final. When an
/// id may repeat, a second pass keeps the rows and settles duplicates exactly.
fn load_usage(
    file: &std::path::Path,
    encoding: crate::config::Encoding,
    ctx: &Context,
    rules: Option<&dyn UsageRules>,
) -> Result<Loaded<UsageTotals>> {
    let table = &tables::USAGE;
    let mut source = read::open(table, file, encoding)?;
    // SETTLE_USAGE_LANE=off sums Part I usage the way the channel rules do
    // (polars checks and group-bys only): the reference the lane is tested
    // and benchmarked against.
    let lane_off = std::env::var("SETTLE_USAGE_LANE").is_ok_and(|v| v == "off");
    let (checked, sha256) = if lane_off {
        sum_by_pairs(&source, ctx, rules)?
    } else {
        sum_by_lane(&source, ctx, rules)?
    };
    source.release();
    loaded(&source, checked, sha256)
}

/// A batch's accepted rows on their way to the sums: as integers, with the
/// rows the channel rules may move, when there are rules.
struct Lot {
    rows: lane::Rows,
    candidates: Option<Candidates>,
}

/// Usage: each batch read by the clean lane when it can prove every row
/// accepted, by the polars checks otherwise (their accepted rows then go
/// through the lane too); re-attributed and held by the channel `rules`, if
/// any, and summed under integer keys on a thread of its own, one batch
/// behind.
fn sum_by_lane(
    source: &read::Source,
    ctx: &Context,
    rules: Option<&dyn UsageRules>,
) -> Result<(Checked<UsageTotals>, String)> {
    let lane = lane::Lane::new(ctx.period, &ctx.partner_ids, &ctx.catalog)?;
    let typed = source.typed_columns();
    let mut customers = lane::Customers::default();
    let mut ids = ids::IdHashes::default();
    ids.reserve(source.known_rows().unwrap_or(0));
    let (mut batches, mut clean) = (0usize, 0usize);
    let (checked, sums) = check_and_sum(
        source,
        ctx,
        |summing: std::sync::mpsc::Receiver<Lot>| -> Result<sums::Sums> {
            let mut sums = sums::Sums::new(ctx.partner_ids.len(), ctx.catalog.len());
            // How long this thread works (not waits): past the reading's
            // time, it would set the pace.
            let (mut judging, mut adding) = (Duration::ZERO, Duration::ZERO);
            for Lot {
                mut rows,
                candidates,
            } in summing
            {
                let started = Instant::now();
                let (Some(rules), Some(candidates)) = (rules, candidates) else {
                    sums.add(&rows, None);
                    adding += started.elapsed();
                    continue;
                };
                let partner = std::mem::take(&mut rows.partner);
                let (partner, holds) =
                    rules.judge(&candidates, partner, &rows.product, &rows.day)?;
                rows.partner = partner;
                let judged = Instant::now();
                judging += judged - started;
                sums.add(&rows, Some(&holds));
                adding += judged.elapsed();
            }
            tracing::debug!(
                judging_ms = judging.as_millis() as u64,
                adding_ms = adding.as_millis() as u64,
                "usage summing thread busy"
            );
            Ok(sums)
        },
        |offer, to_sums| {
            let (frame, form) = match &offer {
                Offer::Read(batch) => (*batch, lane::Form::Read),
                Offer::Accepted(rows) => (rows, lane::Form::Accepted),
            };
            let form = match form {
                lane::Form::Read if source.untrimmed() => lane::Form::ReadUntrimmed,
                form => form,
            };
            let read = lane.read(frame, form, &typed, &mut customers, &mut ids)?;
            if let lane::Form::Read | lane::Form::ReadUntrimmed = form {
                batches += 1;
                clean += usize::from(read.is_some());
            }
            let Some(rows) = read else {
                return match offer {
                    Offer::Read(_) => Ok(false),
                    Offer::Accepted(_) => Err(Error::Usage(
                        "the usage lane refused rows the checks accepted".into(),
                    )),
                };
            };
            let candidates = rules
                .map(|rules| rules.candidates(frame, &rows.partner, &rows.customer))
                .transpose()?;
            send(to_sums, Lot { rows, candidates })?;
            Ok(true)
        },
    );
    let sums = sums?;
    let (early, rows_read, sha256) = checked?;
    tracing::info!(
        batches,
        clean,
        long_customers = customers.len(),
        "usage batches read by the clean lane (the rest by the checks)"
    );
    drop(customers);
    let rejected = early
        .sort([LINE], SortMultipleOptions::default())
        .collect()
        .map_err(Error::polars("rejected rows"))?;
    // The proof and the final sums side by side: the sums are thrown away
    // in the rare month whose ids may repeat.
    let t = std::time::Instant::now();
    let (distinct, accepted) = rayon::join(
        || ids.all_distinct(rows_read - rejected.height()),
        || sums.finish(&ctx.partner_ids, &ctx.catalog),
    );
    tracing::debug!(
        ms = t.elapsed().as_millis() as u64,
        "record ids proven distinct, usage sums finished"
    );
    if distinct? {
        return Ok((
            Checked {
                accepted: accepted?,
                rejected,
                rows_read,
            },
            sha256,
        ));
    }
    let (batches, _) = check_rows(source, ctx)?;
    let checked = find_duplicates(&tables::USAGE, batches)?;
    let accepted = PairTotals::of_rows(checked.accepted.lazy(), rules)?.counted()?;
    Ok((
        Checked {
            accepted,
            rejected: checked.rejected,
            rows_read: checked.rows_read,
        },
        sha256,
    ))
}

/// Usage under the channel rules (if any): each batch's accepted rows summed
/// by polars group-bys after the rules re-attribute and hold them, keeping
/// the distinct (partner, customer) pairs until the parts are merged.
fn sum_by_pairs(
    source: &read::Source,
    ctx: &Context,
    rules: Option<&dyn UsageRules>,
) -> Result<(Checked<UsageTotals>, String)> {
    let held = rules.is_some();
    let table = &tables::USAGE;
    let mut hashes = ids::IdHashes::default();
    let (checked, parts) = check_and_sum(
        source,
        ctx,
        |summing: std::sync::mpsc::Receiver<DataFrame>| -> Result<Vec<PairTotals>> {
            let mut parts: Vec<PairTotals> = Vec::new();
            let mut pending = 0;
            for typed in summing {
                let part = PairTotals::of_rows(typed.lazy(), rules)?;
                pending += part.by_product.height() + part.customers.height();
                parts.push(part);
                if pending >= MERGE_ROWS {
                    // Only rows summed since count toward the next merge:
                    // counting the merged part would merge after every
                    // batch once it alone passes the bound.
                    parts = vec![PairTotals::merge(std::mem::take(&mut parts), held)?];
                    pending = 0;
                }
            }
            Ok(parts)
        },
        |offer, batches| {
            let Offer::Accepted(typed) = offer else {
                return Ok(false);
            };
            let ids = typed
                .column(table.id())
                .map_err(Error::polars("usage ids"))?;
            hashes.extend(lane::id_hashes(
                ids.str().map_err(Error::polars("usage ids"))?,
            ))?;
            send(batches, typed)?;
            Ok(true)
        },
    );
    let parts = parts?;
    let (early, rows_read, sha256) = checked?;
    // Rejects are few: sorted once, and their count gives the accepted rows.
    let rejected = early
        .sort([LINE], SortMultipleOptions::default())
        .collect()
        .map_err(Error::polars("rejected rows"))?;
    let checked = if hashes.all_distinct(rows_read - rejected.height())? {
        Checked {
            accepted: PairTotals::merge(parts, held)?.counted()?,
            rejected,
            rows_read,
        }
    } else {
        drop(parts);
        let (batches, _) = check_rows(source, ctx)?;
        let checked = find_duplicates(table, batches)?;
        Checked {
            accepted: PairTotals::of_rows(checked.accepted.lazy(), rules)?.counted()?,
            rejected: checked.rejected,
            rows_read: checked.rows_read,
        }
    };
    Ok((checked, sha256))
}

/// One table split into what is kept of its accepted rows and its rejected
/// rows.
struct Checked<A> {
    accepted: A,
    /// line, reason, detail, __pos.
    rejected: DataFrame,
    rows_read: usize,
}

/// Steps 1–3 batch by batch: accepted rows typed, rejected rows with details.
struct Batches {
    passing: LazyFrame,
    early: LazyFrame,
    rows_read: usize,
}

fn check_rows(source: &read::Source, ctx: &Context) -> Result<(Batches, String)> {
    let mut passing = Vec::new();
    let (early, rows_read, sha256) = check_rows_with(source, ctx, |offer| {
        let Offer::Accepted(typed) = offer else {
            return Ok(false);
        };
        passing.push(typed.lazy());
        Ok(true)
    })?;
    let passing = concat(passing, UnionArgs::default()).map_err(Error::polars("accepted rows"))?;
    Ok((
        Batches {
            passing,
            early,
            rows_read,
        },
        sha256,
    ))
}

/// Steps 1–3 with `keep` on this thread while `sum` takes what `keep` sends
/// on a thread of its own, one item behind: the sums (and the channel rules
/// in them) overlap the reading and checking of the next batch instead of
/// waiting for it.
fn check_and_sum<T: Send, S: Send>(
    source: &read::Source,
    ctx: &Context,
    sum: impl FnOnce(std::sync::mpsc::Receiver<T>) -> S + Send,
    mut keep: impl FnMut(Offer, &std::sync::mpsc::SyncSender<T>) -> Result<bool>,
) -> (Result<(LazyFrame, usize, String)>, S) {
    std::thread::scope(|scope| {
        let (batches, summing) = std::sync::mpsc::sync_channel::<T>(1);
        let summer = scope.spawn(move || sum(summing));
        let checked = check_rows_with(source, ctx, |offer| keep(offer, &batches));
        drop(batches);
        let sums = summer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (checked, sums)
    })
}

/// Hands `item` to the summing thread. A closed channel means the summer
/// stopped on an error, which is the one its caller reports.
fn send<T>(to: &std::sync::mpsc::SyncSender<T>, item: T) -> Result<()> {
    to.send(item)
        .map_err(|_| Error::Usage("summing usage stopped".into()))
}

/// What [`check_rows_with`] offers its caller for each batch.
enum Offer<'a> {
    /// The batch as read: the caller may take it whole (every row accepted)
    /// by returning true, or leave it to the checks.
    Read(&'a DataFrame),
    /// The accepted rows of a batch the checks ran on, typed.
    Accepted(DataFrame),
}

/// Steps 1–3 batch by batch: each batch is offered to `keep` as read, then,
/// unless it took it whole, its accepted rows, typed. Returns the rejected
/// rows, the rows read and the file's SHA-256.
fn check_rows_with(
    source: &read::Source,
    ctx: &Context,
    mut keep: impl FnMut(Offer) -> Result<bool>,
) -> Result<(LazyFrame, usize, String)> {
    let ctx = &Context {
        typed: source.typed_columns(),
        ..ctx.clone()
    };
    let table = source.table;
    let mut rows_read = 0;
    let mut early = Vec::new();
    let sha256 = source.batches(|batch| {
        rows_read += batch.height();
        if keep(Offer::Read(&batch))? {
            return Ok(());
        }
        let batch = source.trimmed(batch)?;
        let checked = checks::reasons(batch.lazy(), table, ctx)
            .collect()
            .map_err(Error::polars("checking rows"))?;
        let failed = col(REASON).is_not_null();
        // Collected now: a lazy plan would keep the whole batch alive until
        // the end of the file.
        let rejected = checks::details(checked.clone().lazy().filter(failed.clone()), table, ctx)
            .select(reject_columns())
            .collect()
            .map_err(Error::polars("rejected rows"))?;
        early.push(rejected.lazy());
        let typed = checked
            .lazy()
            .filter(failed.not())
            .select(typed_columns(table, ctx));
        keep(Offer::Accepted(
            typed
                .collect()
                .map_err(Error::polars("typing accepted rows"))?,
        ))
        .map(drop)
    })?;
    if early.is_empty() {
        // Every batch was taken whole: no row was rejected.
        early.push(
            DataFrame::new(
                0,
                vec![
                    Column::new_empty(LINE.into(), &DataType::Int64),
                    Column::new_empty(REASON.into(), &DataType::String),
                    Column::new_empty(DETAIL.into(), &DataType::String),
                    Column::new_empty(POS.into(), &DataType::Int64),
                ],
            )
            .map_err(Error::polars("rejected rows"))?
            .lazy(),
        );
    }
    let early = concat(early, UnionArgs::default()).map_err(Error::polars("rejected rows"))?;
    Ok((early, rows_read, sha256))
}

/// Whether every value of a text column is distinct, from 64-bit hashes: as
/// many distinct hashes as rows proves it; fewer (a repeat, or a rare
/// collision) sends the caller down the exact path.
fn all_distinct(column: &Column) -> Result<bool> {
    let mut hashes = ids::IdHashes::default();
    hashes.extend(lane::id_hashes(
        column.str().map_err(Error::polars("duplicate ids"))?,
    ))?;
    hashes.all_distinct(column.len())
}

/// Step 4 on the rows that passed steps 1–3.
fn find_duplicates(table: &Table, batches: Batches) -> Result<Checked<DataFrame>> {
    let Batches {
        passing,
        early,
        rows_read,
    } = batches;
    let id = table.id();
    // What compute needs: the registry keeps its ids; the activity tables lose
    // their line numbers and ids once duplicates are settled (a 20M-row month
    // saves about 0.5 GiB).
    let names: Vec<&str> = if table.name == tables::PARTNERS.name {
        std::iter::once(LINE)
            .chain(table.columns.iter().map(|c| c.name))
            .collect()
    } else {
        let skip = usize::from(!table.keep_id);
        table.columns.iter().skip(skip).map(|c| c.name).collect()
    };
    let passing = passing.collect().map_err(Error::polars("accepted rows"))?;
    // The common case, no id seen twice, needs no row comparison at all.
    if all_distinct(passing.column(id).map_err(Error::polars("duplicate ids"))?)? {
        let accepted = passing
            .select(names)
            .map_err(Error::polars("accepted rows"))?;
        let rejected = early
            .sort([LINE], SortMultipleOptions::default())
            .collect()
            .map_err(Error::polars("rejected rows"))?;
        return Ok(Checked {
            accepted,
            rejected,
            rows_read,
        });
    }

    // Step 4: exact duplicates first (the first copy stays), then ids shared
    // by rows that differ. Both need a shared id, so one hash pass over the
    // ids finds the few candidate rows and only those are compared whole.
    let window = crate::expr::window;
    let passing = passing
        .lazy()
        .with_column(window(len(), &[col(id)]).alias("__id_rows"))
        .collect()
        .map_err(Error::polars("duplicate ids"))?;
    let unique = passing.clone().lazy().filter(col("__id_rows").eq(lit(1)));
    let keys: Vec<Expr> = table.columns.iter().map(|c| col(c.name)).collect();
    let shared = passing
        .lazy()
        .filter(col("__id_rows").gt(lit(1)))
        .with_column(window(col(LINE).min(), &keys).alias("__first_line"))
        .with_column(col(LINE).neq(col("__first_line")).alias("__dup_row"))
        .collect()
        .map_err(Error::polars("duplicate rows"))?;
    let dup_rows = shared
        .clone()
        .lazy()
        .filter(col("__dup_row"))
        .with_columns([
            lit("DUPLICATE_ROW").alias(REASON),
            concat_str(
                [
                    lit("repeats line "),
                    col("__first_line").cast(DataType::String),
                    lit(" in every column"),
                ],
                "",
                false,
            )
            .alias(DETAIL),
        ])
        .select(reject_columns());
    let rest = shared
        .lazy()
        .filter(col("__dup_row").not())
        .with_column(window(len(), &[col(id)]).alias("__id_rows"))
        .collect()
        .map_err(Error::polars("duplicate ids"))?;
    let dup_ids = rest
        .clone()
        .lazy()
        .filter(col("__id_rows").gt(lit(1)))
        .with_columns([
            lit("DUPLICATE_ID").alias(REASON),
            concat_str(
                [
                    lit(format!("{id} '")),
                    col(id),
                    lit("' is shared by "),
                    col("__id_rows").cast(DataType::String),
                    lit(" rows with different values"),
                ],
                "",
                false,
            )
            .alias(DETAIL),
        ])
        .select(reject_columns());
    let survivors = rest
        .lazy()
        .filter(col("__id_rows").eq(lit(1)))
        .drop(cols(["__first_line", "__dup_row"]));
    let accepted = if survivors.clone().collect().map(|d| d.height()).unwrap_or(0) == 0 {
        unique
    } else {
        concat([unique, survivors], UnionArgs::default())
            .map_err(Error::polars("accepted rows"))?
            .sort([LINE], SortMultipleOptions::default())
    };
    let accepted = accepted
        .select(names.iter().map(|n| col(*n)).collect::<Vec<_>>())
        .collect()
        .map_err(Error::polars("accepted rows"))?;
    let rejected = concat([early, dup_rows, dup_ids], UnionArgs::default())
        .and_then(|lf| lf.sort([LINE], SortMultipleOptions::default()).collect())
        .map_err(Error::polars("rejected rows"))?;
    Ok(Checked {
        accepted,
        rejected,
        rows_read,
    })
}

fn reject_columns() -> [Expr; 4] {
    [col(LINE), col(REASON), col(DETAIL), col(POS)]
}

/// The accepted columns with their typed values (and `line`, `__pos`).
fn typed_columns(table: &Table, ctx: &Context) -> Vec<Expr> {
    let mut out = vec![col(LINE), col(POS)];
    out.extend(table.columns.iter().map(|c| match c.kind {
        Kind::Amount | Kind::Score | Kind::Date { .. } | Kind::DateTime { .. } => {
            col(parsed(c.name)).alias(c.name)
        }
        Kind::Enum(v) if v == ["true", "false"] && ctx.typed.iter().any(|t| t == c.name) => {
            col(checks::typed_col(c.name)).alias(c.name)
        }
        Kind::Enum(v) if v == ["true", "false"] => col(c.name).eq(lit("true")).alias(c.name),
        _ => col(c.name),
    }));
    out
}

impl<A: Accepted> Checked<A> {
    fn stats(&self, source: &read::Source, sha256: String) -> Result<InputStats> {
        let err = Error::polars("stats");
        let reasons = self
            .rejected
            .column(REASON)
            .and_then(|c| c.str().cloned())
            .map_err(err)?;
        let mut by_reason = BTreeMap::new();
        for r in reasons.iter().flatten() {
            *by_reason.entry(r.to_string()).or_insert(0u64) += 1;
        }
        Ok(InputStats {
            source: source.table.name,
            path: source.file.clone(),
            sha256,
            rows_read: self.rows_read as u64,
            rows_accepted: self.accepted.rows()?,
            rows_rejected: self.rejected.height() as u64,
            rejected_by_reason: by_reason,
            accepted_amount_fen: self.accepted.amount_fen()?,
        })
    }

    /// The rejects with `source` and the original text of each row.
    fn rejects_with_raw(&self, source: &read::Source) -> Result<DataFrame> {
        let err = || Error::polars(RAW);
        let positions: Vec<i64> = self
            .rejected
            .column(POS)
            .and_then(|c| c.i64().cloned())
            .map_err(err())?
            .into_no_null_iter()
            .collect();
        let raw = source.raws(&positions)?;
        let n = self.rejected.height();
        let mut df = self
            .rejected
            .select([LINE, REASON, DETAIL])
            .map_err(err())?;
        df.with_column(Column::new(RAW.into(), raw))
            .map_err(err())?;
        df.with_column(Column::new(SOURCE.into(), vec![source.table.name; n]))
            .map_err(err())?;
        df.select([SOURCE, LINE, REASON, DETAIL, RAW])
            .map_err(err())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(partners: &[&str], amounts: &[i64]) -> LazyFrame {
        df!(
            PARTNER_ID => partners,
            CUSTOMER_ID => partners.iter().map(|p| format!("C-{p}")).collect::<Vec<_>>(),
            PRODUCT_CODE => vec!["VNET"; partners.len()],
            AMOUNT => amounts,
        )
        .unwrap()
        .lazy()
    }

    #[test]
    fn merged_parts_stack_with_new_parts_as_a_large_month_merges_them() {
        // A month of many batches merges its parts every MERGE_ROWS rows and goes on
        // adding parts to the merged one: both must have one column order.
        let a = PairTotals::of_rows(rows(&["P1", "P2"], &[100, 200]), None).unwrap();
        let b = PairTotals::of_rows(rows(&["P1"], &[5]), None).unwrap();
        let merged = PairTotals::merge(vec![a, b], false).unwrap();
        let c = PairTotals::of_rows(rows(&["P2"], &[7]), None).unwrap();
        let all = PairTotals::merge(vec![merged, c], false)
            .unwrap()
            .counted()
            .unwrap();
        let sums = all
            .by_product
            .sort([PARTNER_ID], SortMultipleOptions::default())
            .unwrap();
        let amounts: Vec<Option<i128>> = sums
            .column(AMOUNT)
            .unwrap()
            .i128()
            .unwrap()
            .iter()
            .collect();
        // P1: 100 + 5; P2: 200 + 7.
        assert_eq!(amounts, [Some(105), Some(207)]);
        assert_eq!(all.rows().unwrap(), 4);
        assert_eq!(all.customers.height(), 2);
    }
}
