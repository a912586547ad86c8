//! Command-line arguments (SPEC §8) and dispatch to the subcommands.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::error::Result;

/// Monthly settlement of enterprise-channel partners.
#[derive(Debug, Parser)]
#[command(name = "settle", version, about)]
pub struct Args {
    /// Pipeline config file; relative paths inside it are relative to its folder.
    #[arg(long, global = true, default_value = "pipelines/monthly.toml")]
    pub config: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a period's inputs and print the counts; publishes nothing.
    Validate(crate::cmd::validate::ValidateArgs),
    /// Settle a period and publish its datasets (earlier unpublished periods first).
    Run(crate::cmd::run::RunArgs),
    /// Recompute a published period and every later one, publishing new versions and adjustments.
    Rerun(crate::cmd::rerun::RerunArgs),
    /// Explain every figure of one partner in a published period.
    Explain(crate::cmd::explain::ExplainArgs),
    /// Write the month report of a published period again.
    Report(crate::cmd::report::ReportArgs),
    /// Settle a published period under another policy and compare; publishes nothing.
    Simulate(crate::cmd::simulate::SimulateArgs),
    /// Write a printable statement (对账单) per partner of a published period.
    Statements(crate::cmd::statements::StatementsArgs),
    /// Show the KPI weights of the policy in force (and the AHP behind them).
    Weights(crate::cmd::weights::WeightsArgs),
    /// Score a period's applicants by AHP and publish the admission list.
    Admit(crate::cmd::admit::AdmitArgs),
    /// Write a deterministic synthetic month (for benchmarks and tests).
    #[cfg(feature = "generate")]
    Generate(crate::cmd::generate::GenerateArgs),
}

/// Sends log lines to stderr. On a terminal: progress bars and warnings
/// only; otherwise (cron) plain `info` lines with each stage's timing.
/// `RUST_LOG` overrides the level.
pub fn init_logging() {
    use std::io::IsTerminal;
    let terminal = std::io::stderr().is_terminal();
    if terminal {
        crate::progress::enable();
    }
    let default = if terminal { "warn" } else { "info" };
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(terminal)
        .try_init();
}

/// Runs the parsed command.
pub fn run(args: Args) -> Result<()> {
    // Every command but `generate` works on the pipeline config.
    let config = || Config::load(&args.config);
    match &args.command {
        Command::Validate(a) => crate::cmd::validate::run(&config()?, a),
        Command::Run(a) => crate::cmd::run::run(&config()?, a),
        Command::Rerun(a) => crate::cmd::rerun::run(&config()?, a),
        Command::Explain(a) => crate::cmd::explain::run(&config()?, a),
        Command::Report(a) => crate::cmd::report::run(&config()?, a),
        Command::Simulate(a) => crate::cmd::simulate::run(&config()?, a),
        Command::Statements(a) => crate::cmd::statements::run(&config()?, a),
        Command::Weights(a) => crate::cmd::weights::run(&config()?, a),
        Command::Admit(a) => crate::cmd::admit::run(&config()?, a),
        #[cfg(feature = "generate")]
        Command::Generate(a) => crate::cmd::generate::run(a),
    }
}
