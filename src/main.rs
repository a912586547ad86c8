//! The `settle` binary: parse arguments, run, map the error to its exit code.

use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc options (the same numbers in its v2 and v3): keep freed memory
/// for ten seconds before handing it back, and no 2 MiB pages. Batches
/// allocate and free the same large buffers over and over; returning them
/// (after one second, as before, a 20M-row month still faulted 1.2 GB back
/// in), or faulting them back in as huge pages, cost more than the checks
/// (measured in docs/performance.md). A run of minutes still gives back
/// what it stopped using.
fn tune_allocator() {
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    const ALLOW_LARGE_OS_PAGES: libmimalloc_sys::mi_option_t = 6;
    // SAFETY: plain setters of mimalloc's global options, called before any
    // other thread exists.
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 10_000);
        libmimalloc_sys::mi_option_set(ALLOW_LARGE_OS_PAGES, 0);
    }
    no_transparent_huge_pages();
}

/// The allocator's first arena is reserved before main runs, so the option
/// above comes too late for it: tell the kernel directly that this process
/// wants no transparent huge pages (each fault of one zeroes 2 MiB).
#[cfg(target_os = "linux")]
fn no_transparent_huge_pages() {
    if std::env::var_os("SETTLE_THP").is_none() {
        // SAFETY: prctl with constant arguments only sets a process flag.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
}

/// Only Linux has transparent huge pages to opt out of.
#[cfg(not(target_os = "linux"))]
fn no_transparent_huge_pages() {}

/// Runs every polars query on the streaming engine: the usage aggregations
/// of compute take a third less time there (docs/performance.md). Outputs do
/// not depend on it: every dataset is sorted by a unique key before writing.
/// An operator can still set `POLARS_FORCE_STREAMING=0`.
fn prefer_streaming() {
    if std::env::var_os("POLARS_FORCE_STREAMING").is_none() {
        // SAFETY: called first thing in main, before any other thread exists.
        unsafe { std::env::set_var("POLARS_FORCE_STREAMING", "1") };
    }
}

fn main() -> ExitCode {
    prefer_streaming();
    tune_allocator();
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
