//! `settle explain --period P --partner ID [--json]`: every figure of one
//! partner in a published period, traced to its inputs.

use std::io::Write;

use crate::answer;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::period::Period;

/// Arguments of `settle explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The published period, YYYY-MM.
    #[arg(long)]
    pub period: Period,
    /// The partner to explain.
    #[arg(long)]
    pub partner: String,
    /// JSON for programs instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `settle explain`.
pub fn run(config: &Config, args: &ExplainArgs) -> Result<()> {
    let recomputed = answer::recompute(config, args.period)?;
    let e = answer::explain::explain(&recomputed, &args.partner)?;
    let text = if args.json {
        serde_json::to_string_pretty(&e).expect("an explanation serialises") + "\n"
    } else {
        answer::text::render(&e)
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(Error::io("write", "stdout"))
}
