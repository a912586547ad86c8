//! `settle validate`: every check of SPEC §2 on one period, counts printed,
//! rejects optionally written, nothing published.

use std::io::Write;
use std::path::PathBuf;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::ingest::{self, InputStats};
use crate::period::Period;
use crate::policy;
use crate::publish::parquet::write_parquet;

/// Arguments of `settle validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// The period to check, YYYY-MM.
    #[arg(long)]
    pub period: Period,
    /// Write the rejected rows to this Parquet file.
    #[arg(long)]
    pub rejects: Option<PathBuf>,
}

/// Runs `settle validate`.
pub fn run(config: &Config, args: &ValidateArgs) -> Result<()> {
    let policy = policy::in_force(&config.policy_dir, args.period)?;
    let month = ingest::load(config, args.period, &policy.policy, &|_| Ok(None))?;
    let mut out = std::io::stdout().lock();
    print_counts(&mut out, args.period, &policy.file, &month.inputs)
        .map_err(Error::io("write", "stdout"))?;
    if let Some(file) = &args.rejects {
        write_parquet(month.rejects.clone(), file)?;
        writeln!(
            out,
            "rejects: {} rows written to {}",
            month.rejects.height(),
            file.display()
        )
        .map_err(Error::io("write", "stdout"))?;
    }
    month.check_reject_ratio(policy.policy.max_reject_ratio_bp.get())
}

/// Prints the per-input table of counts and the rejected rows by reason.
pub fn print_counts(
    out: &mut impl Write,
    period: Period,
    policy: &std::path::Path,
    inputs: &[InputStats],
) -> std::io::Result<()> {
    writeln!(out, "period {period} (policy {})", policy.display())?;
    writeln!(
        out,
        "{:<12} {:>12} {:>12} {:>12}",
        "input", "rows_read", "accepted", "rejected"
    )?;
    for s in inputs {
        writeln!(
            out,
            "{:<12} {:>12} {:>12} {:>12}",
            s.source, s.rows_read, s.rows_accepted, s.rows_rejected
        )?;
    }
    for s in inputs.iter().filter(|s| s.rows_rejected > 0) {
        let reasons: Vec<String> = s
            .rejected_by_reason
            .iter()
            .map(|(r, n)| format!("{r} {n}"))
            .collect();
        writeln!(out, "  {}: {}", s.source, reasons.join(", "))?;
    }
    Ok(())
}
