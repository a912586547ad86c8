//! One module per subcommand, each an `Args` struct and a `run`.

pub mod admit;
pub mod explain;
#[cfg(feature = "generate")]
pub mod generate;
pub mod report;
pub mod rerun;
pub mod run;
pub mod simulate;
pub mod statements;
pub mod validate;
pub mod weights;
