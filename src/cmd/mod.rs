//! One module per subcommand, each an `Args` struct and a `run`.

#[cfg(feature = "generate")]
pub mod generate;
pub mod rerun;
pub mod run;
pub mod validate;
pub mod weights;
