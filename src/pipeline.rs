//! One period through the whole flow: ingest → compute → publish, with the
//! history rules of SPEC §7 (run_id chain, no-op, refusal, rerun).

use polars::prelude::*;
use sha2::{Digest, Sha256};

use crate::answer::month_report::MonthFacts;
use crate::columns::*;
use crate::compute::{self, Previous, Settlement};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::ingest::{self, Month};
use crate::period::Period;
use crate::policy::{self, LoadedPolicy};
use crate::publish::manifest::{self, InputEntry, Manifest};
use crate::publish::{self, Content, Staged, layout, outputs};
use crate::vocab::Dataset;

/// Why a period is being settled.
#[derive(Clone, Debug)]
pub enum Mode {
    /// `settle run`: publish once; the same inputs again are a no-op.
    Run,
    /// `settle rerun`: republish when the run_id changed, with adjustments.
    Rerun {
        /// The operator's reason, recorded in manifest and adjustments.
        reason: String,
    },
}

/// What happened to one period.
pub enum Outcome {
    /// Already published with this run_id: nothing written.
    Unchanged {
        /// The published run_id.
        run_id: String,
    },
    /// Published (first time or republished).
    Published {
        /// The new manifest.
        manifest: Box<Manifest>,
        /// The computed month, for the summary.
        settlement: Box<Settlement>,
    },
}

/// The run_id (docs/history.md): SHA-256 over the program version, the
/// period, the policy's bytes, each input's SHA-256 in table order and the
/// previous period's run_id, each part ended by a NUL byte; 16 hex digits.
pub fn run_id(
    period: Period,
    policy: &LoadedPolicy,
    month: &Month,
    previous: Option<&str>,
) -> String {
    let period = period.to_string();
    let parts = [crate::VERSION.as_bytes(), period.as_bytes(), &policy.bytes];
    fingerprint(
        parts
            .into_iter()
            .chain(month.inputs.iter().map(|i| i.sha256.as_bytes())),
        previous.unwrap_or("").as_bytes(),
    )
}

/// The first 16 hex digits of the SHA-256 over `parts`, each ended by a NUL
/// byte, and then `last`: the shape of every run_id.
pub fn fingerprint<'a>(parts: impl IntoIterator<Item = &'a [u8]>, last: &[u8]) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part);
        h.update([0u8]);
    }
    h.update(last);
    hex::encode(h.finalize())[..16].to_string()
}

/// Reads and checks a period's inputs, with the channel rules of `policy`.
pub fn load_month(config: &Config, period: Period, policy: &LoadedPolicy) -> Result<Month> {
    let started = std::time::Instant::now();
    let month = ingest::load(config, period, &policy.policy, &|registry| {
        Ok(compute::channel::Rules::new(registry, &policy.policy)?
            .map(|r| Box::new(r) as Box<dyn ingest::UsageRules>))
    })?;
    tracing::info!(ms = started.elapsed().as_millis() as u64, "ingested");
    Ok(month)
}

/// Settles and publishes one period under `mode`. The caller holds the lock
/// and has made sure the previous period is published.
pub fn settle_period(config: &Config, period: Period, mode: &Mode) -> Result<Outcome> {
    let root = &config.output_root;
    let policy = policy::in_force(&config.policy_dir, period)?;
    let previous_period = if period > config.history_starts {
        publish::current(root, period.prev())?
    } else {
        None
    };
    let month = load_month(config, period, &policy)?;
    let run_id = run_id(
        period,
        &policy,
        &month,
        previous_period.as_ref().map(|m| m.run_id.as_str()),
    );
    month.check_reject_ratio(policy.policy.max_reject_ratio_bp.get())?;

    let current = publish::current(root, period)?;
    if let Some(c) = &current {
        if c.run_id == run_id {
            return Ok(Outcome::Unchanged { run_id });
        }
        if matches!(mode, Mode::Run) {
            return Err(Error::PublishedWithOtherInputs {
                period: period.to_string(),
                published: c.run_id.clone(),
                computed: run_id,
            });
        }
    }
    let previous = match &previous_period {
        Some(m) => publish::state::previous_state(root, m)?,
        None => Previous::none(),
    };
    tracing::info!(%period, %run_id, "computing scores and ledger");
    let started = std::time::Instant::now();
    let settlement = compute::settle(&month, &policy.policy, &previous)?;
    tracing::info!(ms = started.elapsed().as_millis() as u64, "computed");

    let reason = match mode {
        Mode::Run => None,
        Mode::Rerun { reason } => Some(reason.clone()),
    };
    let mut files = Vec::new();
    for dataset in Dataset::MONTHLY {
        let Some(frame) = frame_of(dataset, &month, &settlement) else {
            continue;
        };
        files.push(Staged::dataset(
            dataset,
            layout::dataset_rel(dataset, period),
            outputs::finalize(dataset, frame, &run_id, None)?,
        ));
    }
    if let (Some(old), Some(reason)) = (&current, &reason) {
        let before = publish::state::ledger_fen(root, old)?;
        let adjustments = compute::adjust::adjustments(
            before.lazy(),
            settlement.ledger.clone().lazy(),
            &old.run_id,
        )
        .collect()
        .map_err(Error::polars("adjustments"))?;
        files.push(Staged::dataset(
            Dataset::Adjustments,
            adjustments_rel(root, period, &run_id)?,
            outputs::finalize(Dataset::Adjustments, &adjustments, &run_id, Some(reason))?,
        ));
    }
    let previous_tiers = previous_period
        .as_ref()
        .map(|m| publish::state::tiers(root, m))
        .transpose()?;
    let (held_rows_by_reason, held_basis_by_reason) = manifest::held_by_reason(&settlement.held)?;
    let manifest = Manifest {
        period: period.to_string(),
        run_id: run_id.clone(),
        previous_run_id: current.map(|c| c.run_id),
        previous_period_run_id: previous_period.map(|m| m.run_id),
        reason,
        program_version: crate::VERSION.to_string(),
        policy_path: policy.file.clone(),
        policy_sha256: policy.sha256.clone(),
        inputs: month.inputs.iter().map(InputEntry::from).collect(),
        outputs: vec![],
        ledger_amount_by_component: manifest::totals_by(&settlement.ledger, COMPONENT)?,
        ledger_amount_by_status: manifest::totals_by(&settlement.ledger, STATUS)?,
        held_rows_by_reason,
        held_basis_by_reason,
        balances_total: settlement
            .balances
            .as_ref()
            .map(manifest::balance_totals)
            .transpose()?,
        admission_decisions: None,
        published_at: String::new(),
    };
    let report = crate::answer::month_report::render(&MonthFacts {
        manifest: &manifest,
        settlement: &settlement,
        rejects: &month.rejects,
        previous_tiers,
    })?;
    files.push(Staged {
        name: "report".to_string(),
        rel: layout::report_rel(period),
        content: Content::Page(report),
    });
    let started = std::time::Instant::now();
    let manifest = publish::publish(root, files, manifest)?;
    tracing::info!(ms = started.elapsed().as_millis() as u64, "published");
    Ok(Outcome::Published {
        manifest: Box::new(manifest),
        settlement: Box::new(settlement),
    })
}

/// Where this run's adjustments go: `run=R`, or `run=R-vN` when an earlier
/// version of the period already had run_id R (A, B, then A again).
fn adjustments_rel(
    root: &std::path::Path,
    period: Period,
    run_id: &str,
) -> Result<std::path::PathBuf> {
    let versions = publish::log::versions(root, period)?;
    if versions.iter().any(|c| c.run_id == run_id) {
        let next = versions.last().map_or(1, |c| c.version + 1);
        return Ok(layout::adjustments_rel_again(period, run_id, next));
    }
    Ok(layout::adjustments_rel(period, run_id))
}

/// The frame a dataset publishes from a settled month: none for balances
/// without `carry_withheld`, nor for adjustments (a rerun builds them by
/// comparing with the published ledger), nor for the datasets of
/// `settle admit`, nor for a simulation's diff.
fn frame_of<'a>(dataset: Dataset, month: &'a Month, s: &'a Settlement) -> Option<&'a DataFrame> {
    match dataset {
        Dataset::Rejects => Some(&month.rejects),
        Dataset::Held => Some(&s.held),
        Dataset::Balances => s.balances.as_ref(),
        Dataset::Ledger => Some(&s.ledger),
        Dataset::Payouts => Some(&s.payouts),
        Dataset::Sanctions => Some(&s.sanctions),
        Dataset::SettlementStop => Some(&s.settlement_stop),
        Dataset::Scores => Some(&s.scores),
        Dataset::Adjustments | Dataset::Admissions | Dataset::AdmissionRejects | Dataset::Diff => {
            None
        }
    }
}
