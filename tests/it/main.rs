//! Integration tests: drive the `settle` binary in temporary folders and read
//! what it wrote back.

mod admit;
mod answers;
mod errors;
mod explain;
mod formats;
#[cfg(feature = "generate")]
mod generate;
mod golden;
mod history;
#[cfg(feature = "generate")]
mod lane;
mod props;
mod readback;
mod rules;
mod run;
mod util;
mod v2;
mod validate;
