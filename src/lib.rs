//! `settle`: monthly settlement of a telecom operator's enterprise-channel
//! partners. The flow is ingest (read, validate, quarantine) → compute
//! (scores, tiers, ledger; pure frame-to-frame functions) → publish (staging,
//! atomic rename, version log). `docs/rules.md` states the rules it implements.

pub mod ahp;
pub mod answer;
pub mod cli;
pub mod cmd;
pub mod columns;
pub mod compute;
pub mod config;
pub mod error;
pub mod expr;
#[cfg(feature = "generate")]
pub mod generate;
pub mod ingest;
pub mod period;
pub mod pipeline;
pub mod policy;
pub mod progress;
pub mod publish;
pub mod report;
pub mod vocab;

pub use error::{Error, Result};

/// The program version, part of every run_id.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
