//! One module per subcommand, each an `Args` struct and a `run`.

pub mod validate;
