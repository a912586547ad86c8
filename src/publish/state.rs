//! Reading what was published, always through a manifest and its run_id:
//! the previous period's scores a period builds on, and the ledger a rerun
//! compares against. The one reader of published state.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::layout;
use super::manifest::Manifest;
use crate::columns::*;
use crate::compute::Previous;
use crate::error::{Error, Result};
use crate::vocab::Dataset;

/// Where the file of `dataset` of the version `manifest` describes lives:
/// `runs/<run_id>/…`, where every version keeps its files; a v1 root kept
/// only superseded files there, so its current files are read in place,
/// once their hash proves they are that version's.
pub fn version_file(root: &Path, manifest: &Manifest, dataset: Dataset) -> Result<PathBuf> {
    let Some(out) = manifest
        .outputs
        .iter()
        .find(|o| o.dataset == dataset.as_str())
    else {
        return Err(missing(
            manifest,
            dataset,
            "the manifest lists no such file",
        ));
    };
    let kept = layout::run_dir(root, &manifest.run_id).join(&out.path);
    if kept.is_file() {
        return Ok(kept);
    }
    let live = root.join(&out.path);
    if live.is_file() && super::file_sha256(&live)? == out.sha256 {
        return Ok(live);
    }
    Err(missing(
        manifest,
        dataset,
        "neither the kept copy nor the file in place has its hash",
    ))
}

fn missing(manifest: &Manifest, dataset: Dataset, why: &str) -> Error {
    Error::Io {
        action: "find published file of",
        path: PathBuf::from(format!(
            "{dataset} for {} run {}",
            manifest.period, manifest.run_id
        )),
        source: std::io::Error::new(std::io::ErrorKind::NotFound, why.to_string()),
    }
}

fn read(path: &Path, context: &'static str) -> Result<DataFrame> {
    let file = std::fs::File::open(path).map_err(Error::io("read", path))?;
    ParquetReader::new(file)
        .finish()
        .map_err(Error::polars(context))
}

/// The credit and streak the next period carries from the scores of the
/// published version `manifest`.
pub fn previous_state(root: &Path, manifest: &Manifest) -> Result<Previous> {
    let path = version_file(root, manifest, Dataset::Scores)?;
    let state = read(&path, "reading previous scores")?
        .lazy()
        .select([
            col(PARTNER_ID),
            col(CREDIT_SCORE).cast(DataType::Int64),
            col(BOTTOM_STREAK).cast(DataType::Int64),
        ])
        .collect()
        .map_err(Error::polars("reading previous scores"))?;
    Ok(Previous {
        state,
        balances: previous_balances(root, manifest)?,
    })
}

/// partner_id, tier of the published version `manifest`'s scores.
pub fn tiers(root: &Path, manifest: &Manifest) -> Result<DataFrame> {
    let path = version_file(root, manifest, Dataset::Scores)?;
    read(&path, "reading previous tiers")?
        .select([PARTNER_ID, TIER])
        .map_err(Error::polars("reading previous tiers"))
}

/// The withheld balances (partner_id, closing in fen) of the published
/// version `manifest`; none when it published no balances.
fn previous_balances(root: &Path, manifest: &Manifest) -> Result<DataFrame> {
    if !manifest
        .outputs
        .iter()
        .any(|o| o.dataset == Dataset::Balances.as_str())
    {
        return Ok(Previous::no_balances());
    }
    let path = version_file(root, manifest, Dataset::Balances)?;
    let df = read(&path, "reading previous balances")?;
    let closing = df
        .column(crate::compute::balances::CLOSING)
        .map_err(Error::polars("previous balances"))?
        .decimal()
        .map_err(Error::polars("previous balances"))?
        .physical()
        .clone();
    let mut out = df
        .select([PARTNER_ID])
        .map_err(Error::polars("previous balances"))?;
    out.with_column(
        closing
            .with_name(crate::compute::balances::CLOSING.into())
            .into_series()
            .into(),
    )
    .map_err(Error::polars("previous balances"))?;
    Ok(out)
}

/// The ledger of the published version `manifest`, amounts in fen.
pub fn ledger_fen(root: &Path, manifest: &Manifest) -> Result<DataFrame> {
    let path = version_file(root, manifest, Dataset::Ledger)?;
    let df = read(&path, "reading the published ledger")?;
    let amount = df.column(AMOUNT).map_err(Error::polars("ledger amount"))?;
    let fen: Int128Chunked = amount
        .decimal()
        .map_err(Error::polars("ledger amount"))?
        .physical()
        .clone();
    let mut out = df
        .select([PARTNER_ID, COMPONENT, CATEGORY])
        .map_err(Error::polars("ledger keys"))?;
    out.with_column(fen.with_name(AMOUNT.into()).into_series().into())
        .map_err(Error::polars("ledger amount"))?;
    Ok(out)
}
