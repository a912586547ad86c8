//! The library's one error type. Each variant maps to exactly one exit code of
//! SPEC §8, in [`Error::exit_code`], so the binary never decides codes itself.

use std::path::PathBuf;

/// Everything that can stop a `settle` command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The pipeline config is missing, unreadable or holds a bad value.
    #[error("config {}: {message}", file.display())]
    Config { file: PathBuf, message: String },

    /// A policy file is missing a value, has an unknown key or a bad value.
    #[error("policy {}: {message}", file.display())]
    Policy { file: PathBuf, message: String },

    /// No policy file is in force for the period.
    #[error("no policy in {} is in force for period {period} (no effective_from <= {period})", dir.display())]
    NoPolicy { dir: PathBuf, period: String },

    /// An input table is missing, unreadable, duplicated or lacks a column.
    #[error("input {}: {message}", file.display())]
    Input { file: PathBuf, message: String },

    /// A command-line value the parser could not check (a period, a reason).
    #[error("{0}")]
    Usage(String),

    /// Too many rows of one input were rejected (SPEC §2.1).
    #[error(
        "input {}: {counted} of {rows_read} rows rejected (not counting OUT_OF_PERIOD), above the policy's max_reject_ratio_bp = {max_bp}; nothing was published",
        file.display()
    )]
    TooManyRejects {
        file: PathBuf,
        counted: u64,
        rows_read: u64,
        max_bp: i64,
    },

    /// Another process holds the output root's lock.
    #[error("output root {} is locked by another run ({holder}); try again when it ends", root.display())]
    Locked { root: PathBuf, holder: String },

    /// The period is already published from other inputs.
    #[error(
        "period {period} is already published as run {published} but these inputs give run {computed}; use `settle rerun --from {period} --reason TEXT` to change published history"
    )]
    PublishedWithOtherInputs {
        period: String,
        published: String,
        computed: String,
    },

    /// A published period's inputs or policy are no longer what it was
    /// published from, so its figures cannot be traced to them.
    #[error(
        "period {period} was published as run {run_id} from other inputs: {what}; restore them, or republish with `settle rerun --from {period} --reason TEXT`"
    )]
    InputsChanged {
        period: String,
        run_id: String,
        what: String,
    },

    /// A published amount does not fit Decimal(18,2).
    #[error(
        "{dataset} {what} for partner {partner_id} does not fit Decimal(18,2) (at most 9999999999999999.99 yuan); nothing was published"
    )]
    Overflow {
        dataset: String,
        what: String,
        partner_id: String,
    },

    /// A file operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    /// polars failed in a way the inputs do not explain.
    #[error("internal error in {context}: {source}")]
    Polars {
        context: &'static str,
        source: polars::error::PolarsError,
    },
}

impl Error {
    /// The process exit code SPEC §8 assigns to this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config { .. }
            | Error::Policy { .. }
            | Error::NoPolicy { .. }
            | Error::Input { .. }
            | Error::Usage(_) => 2,
            Error::TooManyRejects { .. } => 3,
            Error::Locked { .. } => 4,
            Error::PublishedWithOtherInputs { .. } | Error::InputsChanged { .. } => 5,
            Error::Overflow { .. } | Error::Io { .. } | Error::Polars { .. } => 1,
        }
    }

    /// Wraps an I/O error with what was being done and to which path.
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }

    /// Wraps a polars error with the stage it came from.
    pub fn polars(context: &'static str) -> impl FnOnce(polars::error::PolarsError) -> Error {
        move |source| Error::Polars { context, source }
    }
}

/// Result alias for the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
