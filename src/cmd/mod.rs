//! One module per subcommand, each an `Args` struct and a `run`.

pub mod admit;
pub mod explain;
#[cfg(feature = "generate")]
pub mod generate;
pub mod rerun;
pub mod run;
pub mod validate;
pub mod weights;
