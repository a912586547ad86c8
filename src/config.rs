//! The pipeline config (`pipelines/monthly.toml`, SPEC §8): where inputs,
//! outputs and policies live, where history starts, and the CSV encoding.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::period::Period;

/// Text encoding of the CSV inputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum Encoding {
    /// UTF-8, with or without a BOM.
    #[default]
    #[serde(rename = "utf-8")]
    Utf8,
    /// GBK (Simplified Chinese, as exported by older operator systems).
    #[serde(rename = "gbk")]
    Gbk,
}

/// The config file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    /// Folder holding one `YYYY-MM/` folder per period.
    input_root: PathBuf,
    /// Folder the datasets, runs and lock are published under.
    output_root: PathBuf,
    /// Folder of effective-dated policy files.
    policy_dir: PathBuf,
    /// The first period of history: it has no previous period.
    history_starts: Period,
    /// Encoding of the CSV inputs.
    #[serde(default)]
    encoding: Encoding,
}

/// A loaded config with every path made absolute against the config's folder.
#[derive(Clone, Debug)]
pub struct Config {
    /// The config file itself.
    pub file: PathBuf,
    /// Folder holding one `YYYY-MM/` folder per period.
    pub input_root: PathBuf,
    /// Folder the datasets, runs and lock are published under.
    pub output_root: PathBuf,
    /// Folder of effective-dated policy files.
    pub policy_dir: PathBuf,
    /// The first period of history.
    pub history_starts: Period,
    /// Encoding of the CSV inputs.
    pub encoding: Encoding,
}

/// `a/b/../c` as `a/c`, without touching the disk (the output root may not
/// exist yet), so messages and summaries show the paths an operator expects.
fn lexically_clean(path: PathBuf) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

impl Config {
    /// Reads and checks a config file.
    pub fn load(file: &Path) -> Result<Config> {
        let err = |message: String| Error::Config {
            file: file.to_path_buf(),
            message,
        };
        let text =
            std::fs::read_to_string(file).map_err(|e| err(format!("cannot be read: {e}")))?;
        let raw: RawConfig =
            toml::from_str(&text).map_err(|e| err(crate::policy::toml_message(&e, &text)))?;
        let base = file.parent().unwrap_or(Path::new("."));
        let abs = |p: PathBuf| lexically_clean(if p.is_absolute() { p } else { base.join(p) });
        Ok(Config {
            file: file.to_path_buf(),
            input_root: abs(raw.input_root),
            output_root: abs(raw.output_root),
            policy_dir: abs(raw.policy_dir),
            history_starts: raw.history_starts,
            encoding: raw.encoding,
        })
    }

    /// The input folder of one period.
    pub fn period_dir(&self, period: Period) -> PathBuf {
        self.input_root.join(period.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::lexically_clean;
    use std::path::PathBuf;

    #[test]
    fn parent_components_collapse() {
        assert_eq!(
            lexically_clean(PathBuf::from("pipelines/../out")),
            PathBuf::from("out")
        );
        assert_eq!(
            lexically_clean(PathBuf::from("fixtures/bad/../../out/bad")),
            PathBuf::from("out/bad")
        );
        assert_eq!(
            lexically_clean(PathBuf::from("../x/./y")),
            PathBuf::from("../x/y")
        );
        assert_eq!(
            lexically_clean(PathBuf::from("/a/b/../c")),
            PathBuf::from("/a/c")
        );
        assert_eq!(lexically_clean(PathBuf::from("a/..")), PathBuf::from("."));
    }
}
