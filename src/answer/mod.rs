//! Answers about a published period for the people around the datasets:
//! `explain` (every figure of one partner traced to its inputs), partner
//! statements, the month report and `simulate`. Each one recomputes the
//! month with the same ingest and compute code a run uses, on the inputs
//! and previous state the published version was computed from, and proves
//! it is that month by its run_id: there is no second implementation of a
//! rule here, only the presentation of the figures.

pub mod explain;
pub mod html;
pub mod month_report;
pub mod simulate;
pub mod statement;
pub mod text;

use crate::compute::{self, Previous, Settlement};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::ingest::Month;
use crate::period::Period;
use crate::pipeline;
use crate::policy::{self, LoadedPolicy};
use crate::publish::{self, manifest::Manifest};

/// A published period computed again from the inputs it was published from.
pub struct Recomputed {
    /// The current version's manifest.
    pub manifest: Manifest,
    /// The policy in force (the one the version was computed with).
    pub policy: LoadedPolicy,
    /// The period's inputs, checked.
    pub month: Month,
    /// The state carried from the previous period's published version.
    pub previous: Previous,
    /// That version's manifest (None for the first period).
    pub previous_manifest: Option<Manifest>,
    /// The settled month, equal to what was published.
    pub settlement: Settlement,
}

/// The current version of `period`, or exit 2 saying it is not published.
pub fn published(config: &Config, period: Period) -> Result<Manifest> {
    if period < config.history_starts {
        return Err(Error::Usage(format!(
            "period {period} is before history_starts {} of {}: settle keeps no history before it",
            config.history_starts,
            config.file.display()
        )));
    }
    publish::current(&config.output_root, period)?.ok_or_else(|| {
        Error::Usage(format!(
            "period {period} is not published under {}; run `settle run --period {period}` first",
            config.output_root.display()
        ))
    })
}

/// Recomputes the current version of `period`. Exit 5 when the inputs or
/// the policy are no longer the ones it was published from (explaining
/// other inputs would explain the wrong month), naming what changed.
pub fn recompute(config: &Config, period: Period) -> Result<Recomputed> {
    let root = &config.output_root;
    let manifest = published(config, period)?;
    let policy = policy::in_force(&config.policy_dir, period)?;
    // An input the version was computed from that is gone is a changed
    // input (exit 5), not a missing one (exit 2).
    // (Looked for in today's input folder: the manifest's path is as the
    // run was given it, relative to wherever it ran.)
    for input in &manifest.inputs {
        let here = input
            .path
            .file_name()
            .map(|name| config.period_dir(period).join(name));
        if !here.as_ref().is_some_and(|p| p.is_file()) {
            return Err(Error::InputsChanged {
                period: period.to_string(),
                run_id: manifest.run_id.clone(),
                what: format!(
                    "input {} {} is gone",
                    input.source,
                    here.unwrap_or_else(|| input.path.clone()).display()
                ),
            });
        }
    }
    let month = pipeline::load_month(config, period, &policy)?;
    let previous_manifest = manifest
        .previous_period_run_id
        .as_deref()
        .map(|run_id| version(root, run_id))
        .transpose()?;
    let computed = pipeline::run_id(
        period,
        &policy,
        &month,
        manifest.previous_period_run_id.as_deref(),
    );
    if computed != manifest.run_id {
        return Err(Error::InputsChanged {
            period: period.to_string(),
            run_id: manifest.run_id.clone(),
            what: what_changed(&manifest, &policy, &month),
        });
    }
    let previous = match &previous_manifest {
        Some(m) => publish::state::previous_state(root, m)?,
        None => Previous::none(),
    };
    let settlement = compute::settle(&month, &policy.policy, &previous)?;
    Ok(Recomputed {
        manifest,
        policy,
        month,
        previous,
        previous_manifest,
        settlement,
    })
}

/// The month report of a recomputed period (the page its run published).
pub fn month_report(config: &Config, r: &Recomputed) -> Result<String> {
    let previous_tiers = r
        .previous_manifest
        .as_ref()
        .map(|m| publish::state::tiers(&config.output_root, m))
        .transpose()?;
    month_report::render(&month_report::MonthFacts {
        manifest: &r.manifest,
        settlement: &r.settlement,
        rejects: &r.month.rejects,
        previous_tiers,
    })
}

/// The adjustments of the recomputed version against the version it
/// replaced (empty for a first version): the rerun's own comparison.
pub fn adjustments(config: &Config, r: &Recomputed) -> Result<polars::prelude::DataFrame> {
    use polars::prelude::IntoLazy;
    let root = &config.output_root;
    let ledger = r.settlement.ledger.clone().lazy();
    let (before, run_id) = match &r.manifest.previous_run_id {
        Some(run_id) => (
            publish::state::ledger_fen(root, &version(root, run_id)?)?.lazy(),
            run_id.as_str(),
        ),
        // A first version: compared with itself, nothing changed.
        None => (ledger.clone(), ""),
    };
    compute::adjust::adjustments(before, ledger, run_id)
        .collect()
        .map_err(Error::polars("adjustments"))
}

/// The manifest of the published version `run_id` (every version keeps its
/// own under `runs/<run_id>/`).
fn version(root: &std::path::Path, run_id: &str) -> Result<Manifest> {
    Manifest::read(&publish::layout::manifest_path(root, run_id))
}

/// A value, or a dash where it is null.
pub(crate) fn or_dash<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map_or("—".to_string(), T::to_string)
}

/// One sentence naming each input (or the policy, or the program) that
/// differs from the manifest's record of it.
fn what_changed(manifest: &Manifest, policy: &LoadedPolicy, month: &Month) -> String {
    let mut changes = Vec::new();
    if manifest.program_version != crate::VERSION {
        changes.push(format!(
            "it was computed by settle {}, this is {}",
            manifest.program_version,
            crate::VERSION
        ));
    }
    if manifest.policy_sha256 != policy.sha256 {
        changes.push(format!(
            "the policy in force is {} (SHA-256 {}), the version used {} (SHA-256 {})",
            policy.file.display(),
            short(&policy.sha256),
            manifest.policy_path.display(),
            short(&manifest.policy_sha256)
        ));
    }
    for input in &month.inputs {
        match manifest.inputs.iter().find(|i| i.source == input.source) {
            Some(was) if was.sha256 == input.sha256 => {}
            Some(was) => changes.push(format!(
                "input {} {} has SHA-256 {} but was published with {}",
                input.source,
                input.path.display(),
                short(&input.sha256),
                short(&was.sha256)
            )),
            None => changes.push(format!(
                "input {} {} was not part of the published version",
                input.source,
                input.path.display()
            )),
        }
    }
    for was in &manifest.inputs {
        if !month.inputs.iter().any(|i| i.source == was.source) {
            changes.push(format!(
                "input {} {} is gone",
                was.source,
                was.path.display()
            ));
        }
    }
    if changes.is_empty() {
        changes.push("the files match their records, yet they give another run_id".to_string());
    }
    changes.join("; ")
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}
