//! `settle report --period P`: writes the month report of a published
//! period again (`reports/period=P/report.html`), from the inputs it was
//! published from.

use crate::answer;
use crate::config::Config;
use crate::error::Result;
use crate::period::Period;
use crate::publish::{self, durable, layout, lock::RootLock};

/// Arguments of `settle report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The published period, YYYY-MM.
    #[arg(long)]
    pub period: Period,
}

/// Runs `settle report`.
pub fn run(config: &Config, args: &ReportArgs) -> Result<()> {
    let root = &config.output_root;
    // The report goes into the tree a run publishes to: not beside one.
    let _lock = RootLock::acquire(root, &format!("report --period {}", args.period))?;
    publish::recover(root)?;
    let recomputed = answer::recompute(config, args.period)?;
    let page = answer::month_report(config, &recomputed)?;
    let path = root.join(layout::report_rel(args.period));
    durable::create_dir(durable::folder_of(&path))?;
    // A new file, not a write through the link: the run's own copy under
    // runs/<run_id>/ stays as it was published.
    durable::atomic_write(&path, page.as_bytes())?;
    println!("{}", path.display());
    Ok(())
}
