//! `settle run --period P`: settle P, first running any unpublished period
//! since `history_starts` (SPEC §7).

use std::io::Write;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::period::Period;
use crate::pipeline::{Mode, Outcome, settle_period};
use crate::publish::{self, lock::RootLock};

/// Arguments of `settle run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The period to settle, YYYY-MM.
    #[arg(long)]
    pub period: Period,
}

/// Runs `settle run`.
pub fn run(config: &Config, args: &RunArgs) -> Result<()> {
    if args.period < config.history_starts {
        return Err(Error::Usage(format!(
            "period {} is before history_starts {} of {}",
            args.period,
            config.history_starts,
            config.file.display()
        )));
    }
    let _lock = RootLock::acquire(
        &config.output_root,
        &format!("run --period {}", args.period),
    )?;
    publish::recover(&config.output_root)?;
    let mut period = config.history_starts;
    while period < args.period {
        if publish::current(&config.output_root, period)?.is_none() {
            tracing::info!(%period, "earlier period not yet published: running it first");
            report(config, period, settle_period(config, period, &Mode::Run)?)?;
        }
        period = period.next();
    }
    report(
        config,
        args.period,
        settle_period(config, args.period, &Mode::Run)?,
    )
}

/// Prints what happened to one period.
pub fn report(config: &Config, period: Period, outcome: Outcome) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let written = match outcome {
        Outcome::Unchanged { run_id } => writeln!(
            out,
            "period {period} is already published as run {run_id}: nothing to do"
        ),
        Outcome::Published {
            manifest,
            settlement,
        } => crate::report::print_published(&mut out, &config.output_root, &manifest, &settlement),
    };
    written.map_err(Error::io("write", "stdout"))
}
