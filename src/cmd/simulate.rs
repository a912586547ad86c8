//! `settle simulate --period P --policy FILE [--out DIR]`: settles a
//! published period again under another policy, on the same inputs and the
//! same published previous state, and compares; publishes nothing.

use std::io::Write;
use std::path::PathBuf;

use polars::prelude::*;

use crate::answer::{self, simulate};
use crate::columns::*;
use crate::compute;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::period::Period;
use crate::pipeline;
use crate::policy;
use crate::publish::{outputs, parquet};
use crate::vocab::{Dataset, PartnerType, Tier};

/// Arguments of `settle simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The published period, YYYY-MM.
    #[arg(long)]
    pub period: Period,
    /// The policy file to settle it under (any effective_from).
    #[arg(long)]
    pub policy: PathBuf,
    /// Also write ledger, payouts, scores and diff as Parquet into this folder.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// How many of the partners whose net moved most to list.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
}

/// Runs `settle simulate`.
pub fn run(config: &Config, args: &SimulateArgs) -> Result<()> {
    let what_if = policy::load_file(&args.policy)?;
    let published = answer::recompute(config, args.period)?;
    let month = pipeline::load_month(config, args.period, &what_if)?;
    // Another catalog may reject rows the published run accepted: a run
    // under this policy would stop on too many (exit 3), and so does this.
    month.check_reject_ratio(what_if.policy.max_reject_ratio_bp.get())?;
    let after = compute::settle(&month, &what_if.policy, &published.previous)?;
    let before = &published.settlement;
    let compared = simulate::compared(before, &after)?;
    let diff = simulate::diff(&compared)?;

    let mut o = String::new();
    o.push_str(&format!(
        "simulation of {} (published run {}) under {}\n",
        args.period,
        published.manifest.run_id,
        args.policy.display()
    ));
    let (was, now) = (published.month.rejects.height(), month.rejects.height());
    if was != now {
        o.push_str(&format!(
            "rejected input rows: {was} published, {now} under this policy (a changed catalog rejects other rows)\n"
        ));
    }
    o.push_str(&tier_matrix(&simulate::tier_moves(&compared)?)?);
    for key in [COMPONENT, STATUS] {
        o.push_str(&format!(
            "\nledger by {key}: before → after (delta), yuan\n"
        ));
        let totals = simulate::totals_by(before, &after, key)?;
        for i in 0..totals.height() {
            let one = totals.slice(i as i64, 1);
            let r = answer::explain::Row(&one);
            o.push_str(&format!(
                "  {:<22} {:>16} → {:>16} ({})\n",
                r.text(key)?.unwrap_or_default(),
                r.yuan("before")?,
                r.yuan("after")?,
                r.yuan(DELTA)?
            ));
        }
    }
    o.push_str(&format!(
        "\n{} partner(s) with another tier or net; moved most:\n",
        diff.height()
    ));
    let movers = simulate::movers(&diff, args.top)?;
    if movers.height() == 0 {
        o.push_str("  (none)\n");
    }
    for i in 0..movers.height() {
        let one = movers.slice(i as i64, 1);
        let r = answer::explain::Row(&one);
        o.push_str(&format!(
            "  {:<12} {:>9} → {:<9} net {:>14} → {:>14} ({})\n",
            r.text(PARTNER_ID)?.unwrap_or_default(),
            r.text(TIER_BEFORE)?.unwrap_or_default(),
            r.text(TIER_AFTER)?.unwrap_or_default(),
            r.yuan(NET_BEFORE)?,
            r.yuan(NET_AFTER)?,
            r.yuan(DELTA)?
        ));
    }

    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Usage(format!("cannot write into --out {}: {e}", dir.display())))?;
        let run_id = pipeline::run_id(
            args.period,
            &what_if,
            &month,
            published.manifest.previous_period_run_id.as_deref(),
        );
        for (dataset, frame) in [
            (Dataset::Ledger, &after.ledger),
            (Dataset::Payouts, &after.payouts),
            (Dataset::Scores, &after.scores),
            (Dataset::Diff, &diff),
        ] {
            let path = dir.join(format!("{dataset}.parquet"));
            parquet::write_parquet(outputs::finalize(dataset, frame, &run_id, None)?, &path)?;
        }
        o.push_str(&format!(
            "\nwrote ledger, payouts, scores and diff (.parquet) to {} (run {run_id} if published)\n",
            dir.display()
        ));
    }
    std::io::stdout()
        .lock()
        .write_all(o.as_bytes())
        .map_err(Error::io("write", "stdout"))
}

/// Before × after tier counts per partner type, as text.
fn tier_matrix(moves: &DataFrame) -> Result<String> {
    let err = || Error::polars("simulation");
    let ty = moves
        .column(PARTNER_TYPE)
        .map_err(err())?
        .str()
        .map_err(err())?;
    let before = moves
        .column(TIER_BEFORE)
        .map_err(err())?
        .str()
        .map_err(err())?;
    let after = moves
        .column(TIER_AFTER)
        .map_err(err())?
        .str()
        .map_err(err())?;
    let n = moves
        .column("partners")
        .map_err(err())?
        .i64()
        .map_err(err())?;
    let mut o = String::new();
    for t in PartnerType::ALL {
        let rows: Vec<usize> = (0..moves.height())
            .filter(|&i| ty.get(i) == Some(t.as_str()))
            .collect();
        if rows.is_empty() {
            continue;
        }
        o.push_str(&format!(
            "\n{t} tiers: before (rows) × after (columns)\n{:>10}",
            ""
        ));
        for a in Tier::ALL {
            o.push_str(&format!("{:>10}", a.as_str()));
        }
        o.push('\n');
        for b in Tier::ALL {
            if !rows.iter().any(|&i| before.get(i) == Some(b.as_str())) {
                continue;
            }
            o.push_str(&format!("{:>10}", b.as_str()));
            for a in Tier::ALL {
                let count: i64 = rows
                    .iter()
                    .filter(|&&i| {
                        before.get(i) == Some(b.as_str()) && after.get(i) == Some(a.as_str())
                    })
                    .map(|&i| n.get(i).unwrap_or(0))
                    .sum();
                o.push_str(&format!("{count:>10}"));
            }
            o.push('\n');
        }
    }
    Ok(o)
}
