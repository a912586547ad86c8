//! The short terminal summary at the end of a run: what an operator checks
//! before walking away.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use polars::prelude::*;

use crate::compute::Settlement;
use crate::pipeline::totals_by;
use crate::publish::layout;
use crate::publish::manifest::Manifest;

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
    let tiers = counts_by(&s.scores, "tier");
    let order = ["gold", "silver", "standard", "bottom", "unrated"];
    let tiers: Vec<String> = order
        .iter()
        .map(|t| format!("{t} {}", tiers.get(*t).copied().unwrap_or(0)))
        .collect();
    writeln!(out, "  partners: {}", tiers.join(", "))?;
    let by_component = totals_by(&s.ledger, "component").unwrap_or_default();
    writeln!(out, "  ledger ({} lines) by component:", s.ledger.height())?;
    for (k, v) in &by_component {
        writeln!(out, "    {k:<22} {v:>16}")?;
    }
    let by_status = totals_by(&s.ledger, "status").unwrap_or_default();
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
