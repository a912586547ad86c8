//! `settle admit --period P`: score the period's applicants and publish the
//! ranked admission list (SPEC §22). Independent of settlement: it reads no
//! settlement state, and its versions live in their own space of the output
//! root (`_admission/`, docs/history.md), so it never touches a settled
//! period's history.

use std::io::Write;

use polars::prelude::*;

use crate::columns::*;
use crate::compute::admission::{self, APPLICANTS, LOWEST_ADMITTED_BP};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::ingest::applicants::{self, Applicants};
use crate::period::Period;
use crate::pipeline::fingerprint;
use crate::policy::{self, Admission, LoadedPolicy, PoolScope};
use crate::publish::layout::{self, Space};
use crate::publish::manifest::{InputEntry, Manifest};
use crate::publish::{self, Staged, lock::RootLock, outputs};
use crate::vocab::{Dataset, Decision};

/// Arguments of `settle admit`.
#[derive(Debug, clap::Args)]
pub struct AdmitArgs {
    /// The period whose applicants to score, YYYY-MM.
    #[arg(long)]
    pub period: Period,
}

/// The admission run_id: like a settlement run's (the program version, the
/// period, the policy's bytes, the input's SHA-256) with `admission` after
/// the version, so the two kinds of id never coincide; nothing is chained.
fn run_id(period: Period, policy: &LoadedPolicy, applicants: &Applicants) -> String {
    let period = period.to_string();
    fingerprint(
        [
            crate::VERSION.as_bytes(),
            b"admission".as_slice(),
            period.as_bytes(),
            &policy.bytes,
            applicants.stats.sha256.as_bytes(),
        ],
        b"",
    )
}

/// Runs `settle admit`.
pub fn run(config: &Config, args: &AdmitArgs) -> Result<()> {
    let period = args.period;
    let root = &config.output_root;
    // Every policy of the folder is checked, every matrix of the one in
    // force included, before any input is read.
    let policy = policy::in_force(&config.policy_dir, period)?;
    let Some(rules) = &policy.policy.admission else {
        return Err(Error::Policy {
            file: policy.file.clone(),
            message: format!(
                "has no [admission] table, which settle admit needs for period {period} (docs/policy.md)"
            ),
        });
    };
    let scope = policy.policy.scoring.pool_scope;
    let _lock = RootLock::acquire(root, &format!("admit --period {period}"))?;
    publish::recover_in(root, Space::Admission)?;
    let applicants = applicants::load(config, period)?;
    let run_id = run_id(period, &policy, &applicants);
    applicants
        .stats
        .check_reject_ratio(policy.policy.max_reject_ratio_bp.get())?;

    let mut out = std::io::stdout().lock();
    let current = publish::current_in(root, Space::Admission, period)?;
    if current.as_ref().is_some_and(|c| c.run_id == run_id) {
        return writeln!(
            out,
            "admissions of period {period} are already published as run {run_id}: nothing to do"
        )
        .map_err(Error::io("write", "stdout"));
    }
    let list = admission::admissions(applicants.accepted.clone().lazy(), rules, scope)
        .collect()
        .map_err(Error::polars("admission list"))?;
    let files = vec![
        Staged::dataset(
            Dataset::AdmissionRejects,
            layout::dataset_rel(Dataset::AdmissionRejects, period),
            outputs::finalize(
                Dataset::AdmissionRejects,
                &applicants.rejects,
                &run_id,
                None,
            )?,
        ),
        Staged::dataset(
            Dataset::Admissions,
            layout::dataset_rel(Dataset::Admissions, period),
            outputs::finalize(Dataset::Admissions, &list, &run_id, None)?,
        ),
    ];
    let manifest = Manifest {
        period: period.to_string(),
        run_id: run_id.clone(),
        previous_run_id: current.map(|c| c.run_id),
        previous_period_run_id: None,
        reason: None,
        program_version: crate::VERSION.to_string(),
        policy_path: policy.file.clone(),
        policy_sha256: policy.sha256.clone(),
        inputs: vec![InputEntry::from(&applicants.stats)],
        outputs: vec![],
        ledger_amount_by_component: Default::default(),
        ledger_amount_by_status: Default::default(),
        held_rows_by_reason: Default::default(),
        held_basis_by_reason: Default::default(),
        balances_total: None,
        admission_decisions: Some(decisions(&list)?),
        published_at: String::new(),
    };
    let manifest = publish::publish_in(root, Space::Admission, files, manifest)?;
    let pools = admission::pools(list.lazy(), scope)
        .collect()
        .map_err(Error::polars("admission pools"))?;
    print_published(&mut out, config, &manifest, rules, scope, &pools)
        .map_err(Error::io("write", "stdout"))
}

/// Applicants per decision, every decision listed.
fn decisions(list: &DataFrame) -> Result<std::collections::BTreeMap<String, u64>> {
    let column = list
        .column(DECISION)
        .and_then(|c| c.str().cloned())
        .map_err(Error::polars("decision counts"))?;
    let mut counts: std::collections::BTreeMap<String, u64> = Decision::ALL
        .iter()
        .map(|d| (d.as_str().to_string(), 0))
        .collect();
    for d in column.iter().flatten() {
        *counts.entry(d.to_string()).or_default() += 1;
    }
    Ok(counts)
}

/// The terminal summary: per pool the applicants, each decision, the
/// threshold, the quota and the lowest admitted composite.
fn print_published(
    out: &mut impl Write,
    config: &Config,
    manifest: &Manifest,
    rules: &Admission,
    scope: PoolScope,
    pools: &DataFrame,
) -> std::io::Result<()> {
    let home = Space::Admission.home(&config.output_root);
    writeln!(
        out,
        "admissions of period {} published as run {} (policy {})",
        manifest.period,
        manifest.run_id,
        manifest.policy_path.display()
    )?;
    if let Some(old) = &manifest.previous_run_id {
        writeln!(
            out,
            "  replaces run {old} (kept under {})",
            layout::run_dir(&home, old).display()
        )?;
    }
    let by = match scope {
        PoolScope::National => "partner type",
        PoolScope::Province => "partner type and province",
    };
    writeln!(out, "  pools by {by}:")?;
    writeln!(
        out,
        "  {:<12} {:>10} {:>8} {:>15} {:>10} {:>12} {:>6} {:>15}",
        "pool",
        "applicants",
        "admitted",
        "below_threshold",
        "over_quota",
        "threshold_bp",
        "quota",
        "lowest_admitted"
    )?;
    let text = |name: &str, i: usize| -> String {
        pools
            .column(name)
            .ok()
            .and_then(|c| c.get(i).ok())
            .map(|v| match v {
                AnyValue::Null => "-".to_string(),
                AnyValue::String(s) => s.to_string(),
                other => other.to_string(),
            })
            .unwrap_or_default()
    };
    for i in 0..pools.height() {
        let ty = text(PARTNER_TYPE, i);
        let pool = match scope {
            PoolScope::National => ty.clone(),
            PoolScope::Province => format!("{ty} {}", text(PROVINCE, i)),
        };
        let quota = crate::vocab::PartnerType::parse(&ty).map_or(0, |t| rules.quota(t));
        writeln!(
            out,
            "  {:<12} {:>10} {:>8} {:>15} {:>10} {:>12} {:>6} {:>15}",
            pool,
            text(APPLICANTS, i),
            text(Decision::Admitted.as_str(), i),
            text(Decision::BelowThreshold.as_str(), i),
            text(Decision::OverQuota.as_str(), i),
            rules.threshold_bp,
            quota,
            text(LOWEST_ADMITTED_BP, i)
        )?;
    }
    if pools.height() == 0 {
        writeln!(out, "  (no accepted applicants)")?;
    }
    let input = &manifest.inputs[0];
    let reasons: Vec<String> = input
        .rejected_by_reason
        .iter()
        .map(|(r, n)| format!("{r} {n}"))
        .collect();
    writeln!(
        out,
        "  rejected applicant rows: {}{}",
        input.rows_rejected,
        if reasons.is_empty() {
            String::new()
        } else {
            format!(" ({})", reasons.join(", "))
        }
    )?;
    writeln!(
        out,
        "  files under {} (manifest {})",
        config.output_root.display(),
        layout::manifest_path(&home, &manifest.run_id).display()
    )
}
