//! The short terminal summary at the end of a run: what an operator checks
//! before walking away.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use polars::prelude::*;

use crate::columns::*;
use crate::compute::Settlement;
use crate::publish::layout;
use crate::publish::manifest::Manifest;
use crate::vocab::Tier;

fn counts_by(frame: &DataFrame, key: &str) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    if let Ok(c) = frame.column(key).and_then(|c| c.str().cloned()) {
        for v in c.iter() {
            *out.entry(v.unwrap_or("").to_string()).or_insert(0) += 1;
        }
    }
    out
}

/// Prints the summary of one published period.
pub fn print_published(
    out: &mut impl Write,
    root: &Path,
    manifest: &Manifest,
    s: &Settlement,
) -> std::io::Result<()> {
    writeln!(
        out,
        "period {} published as run {}",
        manifest.period, manifest.run_id
    )?;
    if let Some(old) = &manifest.previous_run_id {
        writeln!(
            out,
            "  replaces run {old} (kept under {})",
            layout::run_dir(root, old).display()
        )?;
    }
    let tiers = counts_by(&s.scores, TIER);
    let tiers: Vec<String> = Tier::ALL
        .iter()
        .map(|t| format!("{t} {}", tiers.get(t.as_str()).copied().unwrap_or(0)))
        .collect();
    writeln!(out, "  partners: {}", tiers.join(", "))?;
    // The manifest's control totals, the one place they are computed.
    writeln!(out, "  ledger ({} lines) by component:", s.ledger.height())?;
    for (k, v) in &manifest.ledger_amount_by_component {
        writeln!(out, "    {k:<22} {v:>16}")?;
    }
    let by_status = &manifest.ledger_amount_by_status;
    let status: Vec<String> = by_status.iter().map(|(k, v)| format!("{k} {v}")).collect();
    writeln!(
        out,
        "  ledger by status: {}",
        if status.is_empty() {
            "none".to_string()
        } else {
            status.join(", ")
        }
    )?;
    if !manifest.held_rows_by_reason.is_empty() {
        let rows: u64 = manifest.held_rows_by_reason.values().sum();
        let reasons: Vec<String> = manifest
            .held_rows_by_reason
            .iter()
            .map(|(r, n)| {
                let basis = manifest
                    .held_basis_by_reason
                    .get(r)
                    .map_or("", String::as_str);
                format!("{r} {n} ({basis})")
            })
            .collect();
        writeln!(
            out,
            "  held, valid but not paid this month: {rows} rows: {}",
            reasons.join(", ")
        )?;
    }
    if let Some(b) = &manifest.balances_total {
        let get = |k: &str| b.get(k).map_or("0.00", String::as_str);
        writeln!(
            out,
            "  withheld balances: carried in {}, withheld {}, released {}, forfeited {}, carried on {}",
            get("opening"),
            get("withheld"),
            get("released"),
            get("forfeited"),
            get("closing")
        )?;
    }
    writeln!(
        out,
        "  sanctions: {}, settlement stop list: {}",
        s.sanctions.height(),
        s.settlement_stop.height()
    )?;
    let rejected: u64 = manifest.inputs.iter().map(|i| i.rows_rejected).sum();
    writeln!(out, "  rejected input rows: {rejected}")?;
    writeln!(
        out,
        "  files under {} (manifest {})",
        root.display(),
        layout::manifest_path(root, &manifest.run_id).display()
    )
}
