//! `settle generate`: deterministic bytes, and every reject reason present
//! when asked for bad rows.

use std::collections::BTreeSet;
use std::path::Path;

use crate::util::*;

fn generate(dir: &Path, format: &str, seed: &str, bad: &str) {
    let run = settle_in(
        dir,
        &[
            "generate",
            "--period",
            "2026-10",
            "--partners",
            "2000",
            "--usage-rows",
            "200000",
            "--seed",
            seed,
            "--format",
            format,
            "--out",
            "in",
            "--bad-fraction",
            bad,
        ],
    )
    .expect(0);
    assert!(run.stdout().contains("generated"), "{}", run.stdout());
}

fn month_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.join("in/2026-10"))
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    for format in ["csv", "parquet"] {
        let (a, b, c) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        generate(a.path(), format, "42", "0.01");
        generate(b.path(), format, "42", "0.01");
        generate(c.path(), format, "43", "0.01");
        let (x, y, z) = (
            month_bytes(a.path()),
            month_bytes(b.path()),
            month_bytes(c.path()),
        );
        assert_eq!(x.len(), 4, "{format}");
        assert_eq!(x, y, "{format}: same seed, same bytes");
        assert_ne!(x, z, "{format}: another seed, other rows");
    }
}

#[test]
fn bad_fraction_brings_every_reason_code_through_validate() {
    let w = Workdir::new();
    w.tolerate_rejects();
    generate(w.path(), "csv", "7", "0.2");
    std::fs::create_dir_all(w.path().join("inputs")).unwrap();
    std::fs::rename(w.path().join("in/2026-10"), w.path().join("inputs/2026-10")).unwrap();
    let (run, rejects) = w.validate_with_rejects("2026-10");
    assert_eq!(run.counts("usage").0, 200_000);
    assert_eq!(run.counts("complaints").0, 200);
    assert_eq!(run.counts("deliveries").0, 2_000);
    let seen: BTreeSet<String> = reject_keys(&rejects).into_iter().map(|k| k.2).collect();
    let all = [
        "BAD_DATE",
        "BAD_ENCODING",
        "BAD_ENUM",
        "BAD_NUMBER",
        "BAD_QUOTING",
        "BAD_STATUS_DATE",
        "DUPLICATE_ID",
        "DUPLICATE_ROW",
        "MISSING_FIELD",
        "NEGATIVE_AMOUNT",
        "OUT_OF_PERIOD",
        "RESPONSE_BEFORE_OPEN",
        "TOO_MANY_DECIMALS",
        "UNKNOWN_PARTNER",
        "UNKNOWN_PRODUCT",
        "WRONG_FIELD_COUNT",
    ];
    assert_eq!(
        seen,
        all.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>()
    );
}

#[test]
fn generated_parquet_month_settles() {
    let w = Workdir::new();
    w.config("utf-8", "2026-10");
    generate(w.path(), "parquet", "3", "0");
    std::fs::create_dir_all(w.path().join("inputs")).unwrap();
    std::fs::rename(w.path().join("in/2026-10"), w.path().join("inputs/2026-10")).unwrap();
    let run = w.settle(&["run", "--period", "2026-10"]).expect(0);
    assert!(
        run.stdout().contains("published as run"),
        "{}",
        run.stdout()
    );
}
