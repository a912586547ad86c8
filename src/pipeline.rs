//! One period through the whole flow: ingest → compute → publish, with the
//! history rules of SPEC §7 (run_id chain, no-op, refusal, rerun).

use std::path::Path;

use polars::prelude::*;
use sha2::{Digest, Sha256};

use crate::compute::{self, Previous, Settlement};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::ingest::{self, Month};
use crate::period::Period;
use crate::policy::{self, LoadedPolicy};
use crate::publish::manifest::{InputEntry, Manifest, yuan};
use crate::publish::{self, Staged, layout, outputs};

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

/// The run_id of SPEC §6 from the fingerprint state and the previous
/// period's run_id.
fn run_id(mut fingerprint: Sha256, previous: Option<&str>) -> String {
    fingerprint.update(previous.unwrap_or("").as_bytes());
    hex::encode(fingerprint.finalize())[..16].to_string()
}

fn fingerprint_start(period: Period, policy: &LoadedPolicy) -> Sha256 {
    let mut h = Sha256::new();
    for part in [
        crate::VERSION.as_bytes(),
        period.to_string().as_bytes(),
        &policy.bytes,
    ] {
        h.update(part);
        h.update([0u8]);
    }
    h
}

/// The credit and streak a period carries from the previous period's scores.
fn previous_state(root: &Path, period: Period) -> Result<Previous> {
    let path = root.join(layout::dataset_rel("scores", period.prev()));
    let file = std::fs::File::open(&path).map_err(Error::io("read previous scores", &path))?;
    let state = ParquetReader::new(file)
        .finish()
        .and_then(|df| {
            df.lazy()
                .select([
                    col("partner_id"),
                    col("credit_score").cast(DataType::Int64),
                    col("bottom_streak").cast(DataType::Int64),
                ])
                .collect()
        })
        .map_err(Error::polars("reading previous scores"))?;
    Ok(Previous { state })
}

/// Reads the ledger of a published run back with its amounts in fen. A run
/// killed mid-publish may already have swapped the new ledger in; the
/// version it replaced was kept under `runs/<run_id>/` first, so look there
/// before the live file.
fn published_ledger(root: &Path, period: Period, run_id: &str) -> Result<DataFrame> {
    let rel = layout::dataset_rel("ledger", period);
    let kept = layout::run_dir(root, run_id).join(&rel);
    let path = if kept.is_file() {
        kept
    } else {
        root.join(&rel)
    };
    let file = std::fs::File::open(&path).map_err(Error::io("read published ledger", &path))?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(Error::polars("reading the published ledger"))?;
    let amount = df
        .column("amount")
        .map_err(Error::polars("ledger amount"))?;
    let fen: Int64Chunked = amount
        .decimal()
        .map_err(Error::polars("ledger amount"))?
        .physical()
        .iter()
        .map(|v| v.map(|x| x as i64))
        .collect();
    let mut out = df
        .select(["partner_id", "component", "category"])
        .map_err(Error::polars("ledger keys"))?;
    out.with_column(fen.with_name("amount".into()).into_series().into())
        .map_err(Error::polars("ledger amount"))?;
    Ok(out)
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
    let mut fingerprint = fingerprint_start(period, &policy);
    let started = std::time::Instant::now();
    let month = ingest::load(config, period, &policy.policy, &mut fingerprint)?;
    tracing::info!(ms = started.elapsed().as_millis() as u64, "ingested");
    let run_id = run_id(
        fingerprint,
        previous_period.as_ref().map(|m| m.run_id.as_str()),
    );
    month.check_reject_ratio(policy.policy.max_reject_ratio_bp)?;

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
    let previous = if previous_period.is_some() {
        previous_state(root, period)?
    } else {
        Previous::none()
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
    for (dataset, frame) in datasets(&month, &settlement) {
        files.push(Staged {
            dataset,
            rel: layout::dataset_rel(dataset, period),
            frame: outputs::finalize(dataset, frame, &run_id, None)?,
        });
    }
    if let (Some(old), Some(reason)) = (&current, &reason) {
        let before = published_ledger(root, period, &old.run_id)?;
        let adjustments = compute::adjust::adjustments(
            before.lazy(),
            settlement.ledger.clone().lazy(),
            &old.run_id,
        )
        .collect()
        .map_err(Error::polars("adjustments"))?;
        files.push(Staged {
            dataset: "adjustments",
            rel: layout::adjustments_rel(period, &run_id),
            frame: outputs::finalize("adjustments", &adjustments, &run_id, Some(reason))?,
        });
    }
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
        ledger_amount_by_component: totals_by(&settlement.ledger, "component")?,
        ledger_amount_by_status: totals_by(&settlement.ledger, "status")?,
        published_at: String::new(),
    };
    let started = std::time::Instant::now();
    let manifest = publish::publish(root, files, manifest)?;
    tracing::info!(ms = started.elapsed().as_millis() as u64, "published");
    Ok(Outcome::Published {
        manifest: Box::new(manifest),
        settlement: Box::new(settlement),
    })
}

fn datasets<'a>(month: &'a Month, s: &'a Settlement) -> [(&'static str, &'a DataFrame); 6] {
    [
        ("rejects", &month.rejects),
        ("ledger", &s.ledger),
        ("payouts", &s.payouts),
        ("sanctions", &s.sanctions),
        ("settlement_stop", &s.settlement_stop),
        ("scores", &s.scores),
    ]
}

/// Ledger amount in yuan per value of `key`.
pub fn totals_by(
    ledger: &DataFrame,
    key: &str,
) -> Result<std::collections::BTreeMap<String, String>> {
    let df = ledger
        .clone()
        .lazy()
        .group_by([col(key)])
        .agg([col("amount").sum()])
        .collect()
        .map_err(Error::polars("control totals"))?;
    let keys = df
        .column(key)
        .and_then(|c| c.str().cloned())
        .map_err(Error::polars("control totals"))?;
    let sums = df
        .column("amount")
        .and_then(|c| c.i64().cloned())
        .map_err(Error::polars("control totals"))?;
    Ok(keys
        .iter()
        .zip(sums.iter())
        .map(|(k, v)| (k.unwrap_or("").to_string(), yuan(v.unwrap_or(0))))
        .collect())
}
