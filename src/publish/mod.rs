//! Publish: writing datasets as Parquet that every BI reader opens.

pub mod parquet;
