//! Parquet writing through polars' lazy sink at the oldest compat level, so
//! strings are plain `large_string` that pyarrow 14, Spark 3 and DuckDB read
//! (SPEC §6: the eager writer embeds view types pyarrow 14 rejects).

use std::path::Path;
use std::sync::Arc;

use polars::prelude::*;

use crate::error::{Error, Result};

/// Writes `frame` to `path` as one zstd Parquet file.
pub fn write_parquet(frame: DataFrame, path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(Error::io("create folder", dir))?;
    }
    let options = ParquetWriteOptions {
        compression: ParquetCompression::Zstd(None),
        compat_level: Some(CompatLevel::oldest()),
        ..Default::default()
    };
    let target = SinkTarget::Path(PlRefPath::new(path.to_string_lossy().as_ref()));
    frame
        .lazy()
        .sink(
            SinkDestination::File { target },
            FileWriteFormat::Parquet(Arc::new(options)),
            UnifiedSinkArgs::default(),
        )
        .and_then(|lf| lf.collect())
        .map(|_| ())
        .map_err(Error::polars("writing parquet"))
}
