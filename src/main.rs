//! The `settle` binary: parse arguments, run, map the error to its exit code.

use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = partner_settle::cli::Args::parse();
    partner_settle::cli::init_logging();
    match partner_settle::cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::debug!(error = ?e, "command failed");
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
