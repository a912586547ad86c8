//! `settle generate`: a deterministic synthetic month for benchmarks and tests.

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::error::Result;
use crate::generate::{self, Format, Spec};
use crate::period::Period;

/// Arguments of `settle generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// The period, YYYY-MM.
    #[arg(long)]
    pub period: Period,
    /// Partners in the registry.
    #[arg(long)]
    pub partners: usize,
    /// Usage rows (complaints are 1 per 1,000 of these, deliveries 1 per 100).
    #[arg(long)]
    pub usage_rows: usize,
    /// Seed: the same seed and arguments give the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Input root to write into (the month goes to DIR/YYYY-MM/).
    #[arg(long)]
    pub out: PathBuf,
    /// Share of rows spoiled with a reject reason, e.g. 0.01.
    #[arg(long, value_parser = generate::parse_fraction, default_value = "0")]
    pub bad_fraction: u64,
    /// Also write the Part II inputs: registrations, key accounts, handovers,
    /// and the partners' and deliveries' new columns (use a v2 policy, such
    /// as pipelines/policies/2027-01.toml, to settle them).
    #[arg(long)]
    pub v2: bool,
    /// How customers spread over partners: one partner each (the default),
    /// a few (groups of 8 partners), or any partner.
    #[arg(long, value_enum, default_value_t = generate::Spread::One)]
    pub customer_spread: generate::Spread,
    /// Distinct customers for `--customer-spread few|any` (default: 60 per partner).
    #[arg(long, default_value_t = 0)]
    pub customers: usize,
}

/// Runs `settle generate`; needs no config.
pub fn run(args: &GenerateArgs) -> Result<()> {
    let spec = Spec {
        period: args.period,
        partners: args.partners,
        usage_rows: args.usage_rows,
        seed: args.seed,
        format: args.format,
        out: args.out.clone(),
        bad_ppm: args.bad_fraction,
        v2: args.v2,
        spread: args.customer_spread,
        customers: args.customers,
    };
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg:>10} [{bar:40}] {human_pos}/{human_len} rows ({per_sec})",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        bar
    });
    let started = std::time::Instant::now();
    let dir = generate::generate(&spec, &|table, done, total| match &bar {
        Some(bar) => {
            if bar.message() != table {
                bar.reset();
                bar.set_message(table.to_string());
                bar.set_length(total);
            }
            bar.set_position(done);
        }
        None if done == total => tracing::info!(table, rows = total, "written"),
        None => {}
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    println!("generated {} in {:.1?}", dir.display(), started.elapsed());
    Ok(())
}
