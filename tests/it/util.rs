//! A small builder for a temporary settle workspace (config, policy, inputs)
//! and for running the binary in it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use polars::prelude::*;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The reference policy's text.
pub fn reference_policy() -> String {
    std::fs::read_to_string(repo().join("pipelines/policies/2026-01.toml")).unwrap()
}

/// A temporary workspace: `settle.toml`, `policies/`, `inputs/<period>/`.
pub struct Workdir {
    dir: tempfile::TempDir,
}

impl Workdir {
    /// A workspace with the reference policy and a UTF-8 config.
    pub fn new() -> Workdir {
        let w = Workdir {
            dir: tempfile::tempdir().unwrap(),
        };
        w.config("utf-8", "2026-01");
        w.write("policies/2026-01.toml", reference_policy());
        w
    }

    /// Lets any share of rows be rejected, for months built to show rejects.
    pub fn tolerate_rejects(&self) {
        self.write(
            "policies/2026-01.toml",
            reference_policy().replacen(
                "max_reject_ratio_bp = 100",
                "max_reject_ratio_bp = 10000",
                1,
            ),
        );
    }

    /// The workspace folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Rewrites the config with an encoding and history start.
    pub fn config(&self, encoding: &str, history_starts: &str) {
        self.write(
            "settle.toml",
            format!(
                "input_root = \"inputs\"\noutput_root = \"out\"\npolicy_dir = \"policies\"\nhistory_starts = \"{history_starts}\"\nencoding = \"{encoding}\"\n"
            ),
        );
    }

    /// Writes a file below the workspace, creating folders.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    /// Copies every file of `src` into `inputs/<period>/`.
    pub fn copy_month(&self, src: &Path, period: &str) {
        for entry in std::fs::read_dir(src).unwrap() {
            let entry = entry.unwrap();
            let bytes = std::fs::read(entry.path()).unwrap();
            self.write(
                &format!("inputs/{period}/{}", entry.file_name().to_string_lossy()),
                bytes,
            );
        }
    }

    /// Takes the output root's lock as another run would, with `note` as
    /// its holder's text; held until the file is dropped.
    pub fn hold_lock(&self, note: &str) -> std::fs::File {
        std::fs::create_dir_all(self.path().join("out")).unwrap();
        let lock = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(self.path().join("out/.lock"))
            .unwrap();
        std::io::Write::write_all(&mut &lock, note.as_bytes()).unwrap();
        lock.lock().unwrap();
        lock
    }

    /// Runs `settle --config settle.toml ARGS` in the workspace.
    pub fn settle(&self, args: &[&str]) -> Run {
        self.settle_env(&[], args)
    }

    /// Runs `settle --config settle.toml ARGS` with extra environment.
    pub fn settle_env(&self, env: &[(&str, &str)], args: &[&str]) -> Run {
        let mut full = vec!["--config", "settle.toml"];
        full.extend_from_slice(args);
        settle_in_env(self.path(), env, &full)
    }
}

/// Runs the binary in `dir` with `args`.
pub fn settle_in(dir: &Path, args: &[&str]) -> Run {
    settle_in_env(dir, &[], args)
}

fn settle_in_env(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    // Not a terminal, so settle would log its stages at info; tests read
    // stderr for the one error sentence alone.
    let output = Command::new(env!("CARGO_BIN_EXE_settle"))
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    Run(output)
}

/// The outcome of one run of the binary.
pub struct Run(pub Output);

impl Run {
    /// The exit code.
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }

    /// Standard output as text.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    /// Standard error as text.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }

    /// Asserts the exit code, showing the output when it differs.
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code(),
            code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }

    /// The (rows_read, accepted, rejected) that `validate` printed for a table.
    pub fn counts(&self, table: &str) -> (u64, u64, u64) {
        let line = self
            .stdout()
            .lines()
            .find(|l| l.split_whitespace().next() == Some(table))
            .map(str::to_string);
        let line = line.unwrap_or_else(|| panic!("no counts for {table} in:\n{}", self.stdout()));
        let n: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .map(|x| x.parse().unwrap())
            .collect();
        (n[0], n[1], n[2])
    }
}

/// Reads a Parquet file into a frame.
pub fn read_parquet(path: &Path) -> DataFrame {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetReader::new(file).finish().unwrap()
}

/// A string column as owned values (null as "<null>").
pub fn strings(df: &DataFrame, name: &str) -> Vec<String> {
    let c = df.column(name).unwrap().cast(&DataType::String).unwrap();
    c.str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap_or("<null>").to_string())
        .collect()
}

/// Rejects as (source, line, reason) triples.
pub fn reject_keys(df: &DataFrame) -> Vec<(String, i64, String)> {
    let lines: Vec<i64> = df
        .column("line")
        .unwrap()
        .i64()
        .unwrap()
        .iter()
        .map(|v| v.unwrap())
        .collect();
    strings(df, "source")
        .into_iter()
        .zip(lines)
        .zip(strings(df, "reason"))
        .map(|((s, l), r)| (s, l, r))
        .collect()
}

impl Workdir {
    /// Runs `validate --period P --rejects FILE` expecting exit 0; returns the
    /// run and the rejects read back.
    pub fn validate_with_rejects(&self, period: &str) -> (Run, DataFrame) {
        let file = self.path().join("rejects.parquet");
        let run = self
            .settle(&[
                "validate",
                "--period",
                period,
                "--rejects",
                file.to_str().unwrap(),
            ])
            .expect(0);
        let rejects = read_parquet(&file);
        (run, rejects)
    }
}

/// Each row of `df` as the text of `columns` joined by spaces.
pub fn rows_of(df: &DataFrame, columns: &[&str]) -> Vec<String> {
    rows_joined(df, columns, " ", "<null>")
}

/// Each row of `df` as the text of `columns` joined by `sep`, nulls as `null`.
pub fn rows_joined(df: &DataFrame, columns: &[&str], sep: &str, null: &str) -> Vec<String> {
    let texts: Vec<Vec<String>> = columns
        .iter()
        .map(|c| {
            strings(df, c)
                .into_iter()
                .map(|v| if v == "<null>" { null.to_string() } else { v })
                .collect()
        })
        .collect();
    (0..df.height())
        .map(|i| {
            texts
                .iter()
                .map(|t| t[i].as_str())
                .collect::<Vec<_>>()
                .join(sep)
        })
        .collect()
}

/// A yuan text such as `-197.00` as fen.
pub fn fen(yuan: &str) -> i64 {
    let (neg, digits) = yuan.strip_prefix('-').map_or((false, yuan), |d| (true, d));
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    let v = int.parse::<i64>().unwrap() * 100 + format!("{frac:0<2}")[..2].parse::<i64>().unwrap();
    if neg { -v } else { v }
}

/// The run the version log names current for `period` under an output
/// root, and that run's manifest.
pub fn head_of(out: &Path, period: &str) -> (String, serde_json::Value) {
    let record = std::fs::read_dir(out.join(format!("_log/period={period}")))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .max()
        .expect("a committed version");
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(record).unwrap()).unwrap();
    let run_id = record["run_id"].as_str().unwrap().to_string();
    let manifest = serde_json::from_slice(
        &std::fs::read(out.join("runs").join(&run_id).join("manifest.json")).unwrap(),
    )
    .unwrap();
    (run_id, manifest)
}
