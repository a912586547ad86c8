//! `settle rerun --from P --reason TEXT`: recompute P and every later
//! published period, republishing those whose run_id changed, each with an
//! adjustments file (SPEC §7).

use crate::config::Config;
use crate::error::{Error, Result};
use crate::period::Period;
use crate::pipeline::{Mode, settle_period};
use crate::publish::{self, lock::RootLock};

/// Arguments of `settle rerun`.
#[derive(Debug, clap::Args)]
pub struct RerunArgs {
    /// The first period to recompute, YYYY-MM.
    #[arg(long)]
    pub from: Period,
    /// Why: recorded in the manifest and the adjustments.
    #[arg(long)]
    pub reason: String,
}

/// Runs `settle rerun`.
pub fn run(config: &Config, args: &RerunArgs) -> Result<()> {
    if args.reason.trim().is_empty() {
        return Err(Error::Usage(
            "--reason must say why the period is rerun".into(),
        ));
    }
    let _lock = RootLock::acquire(&config.output_root, &format!("rerun --from {}", args.from))?;
    publish::recover(&config.output_root)?;
    if publish::current(&config.output_root, args.from)?.is_none() {
        return Err(Error::Usage(format!(
            "period {} is not published yet: use `settle run --period {0}`",
            args.from
        )));
    }
    let mode = Mode::Rerun {
        reason: args.reason.trim().to_string(),
    };
    let mut period = args.from;
    while publish::current(&config.output_root, period)?.is_some() {
        let outcome = settle_period(config, period, &mode)?;
        super::run::report(config, period, outcome)?;
        period = period.next();
    }
    Ok(())
}
