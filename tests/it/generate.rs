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

#[test]
fn a_v2_month_has_the_channel_tables_and_settles_with_business_held_for_every_reason() {
    let dir = tempfile::tempdir().unwrap();
    for (format, out) in [("csv", "in"), ("parquet", "inp")] {
        settle_in(
            dir.path(),
            &[
                "generate",
                "--period",
                "2027-01",
                "--partners",
                "2000",
                "--usage-rows",
                "200000",
                "--format",
                format,
                "--out",
                out,
                "--v2",
            ],
        )
        .expect(0);
    }
    let tables: BTreeSet<String> = std::fs::read_dir(dir.path().join("in/2027-01"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        tables,
        [
            "complaints.csv",
            "deliveries.csv",
            "handovers.csv",
            "key_accounts.csv",
            "partners.csv",
            "registrations.csv",
            "usage.csv"
        ]
        .map(String::from)
        .into_iter()
        .collect()
    );
    let held_by = |input: &str| {
        std::fs::write(
            dir.path().join(format!("{input}.toml")),
            format!(
                "input_root = \"{input}\"\noutput_root = \"out-{input}\"\npolicy_dir = \"{}\"\nhistory_starts = \"2027-01\"\n",
                repo().join("pipelines/policies").display()
            ),
        )
        .unwrap();
        settle_in(
            dir.path(),
            &[
                "--config",
                &format!("{input}.toml"),
                "run",
                "--period",
                "2027-01",
            ],
        )
        .expect(0);
        let held = read_parquet(
            &dir.path()
                .join(format!("out-{input}/held/period=2027-01/part-0.parquet")),
        );
        rows_of(
            &held,
            &[
                "partner_id",
                "component",
                "category",
                "reason",
                "quantity",
                "basis",
            ],
        )
    };
    let csv = held_by("in");
    let reasons: BTreeSet<&str> = csv.iter().map(|r| r.split(' ').nth(3).unwrap()).collect();
    assert_eq!(
        reasons,
        [
            "AFTER_TERMINATION",
            "BUSINESS_STOPPED",
            "PRODUCT_NOT_AUTHORIZED",
            "UNREGISTERED_KEY_ACCOUNT",
            "WRONG_PARTNER_TYPE"
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(held_by("inp"), csv, "typed Parquet holds the same business");
}

/// (partner, customer) pairs of a generated usage file, and how many rows.
fn pairs(dir: &Path, spread: &str) -> (usize, usize, usize) {
    let out = format!("in-{spread}");
    settle_in(
        dir,
        &[
            "generate",
            "--period",
            "2026-10",
            "--partners",
            "800",
            "--usage-rows",
            "40000",
            "--out",
            &out,
            "--customer-spread",
            spread,
            "--customers",
            "1000000",
        ],
    )
    .expect(0);
    let text = std::fs::read_to_string(dir.join(format!("{out}/2026-10/usage.csv"))).unwrap();
    let mut pairs = BTreeSet::new();
    let mut owners: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
    let mut rows = 0;
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        pairs.insert((f[1].to_string(), f[2].to_string()));
        owners
            .entry(f[2].to_string())
            .or_default()
            .insert(f[1].to_string());
        rows += 1;
    }
    let most = owners.values().map(BTreeSet::len).max().unwrap();
    (rows, pairs.len(), most)
}

#[test]
fn customers_spread_over_one_a_few_or_any_partner() {
    let dir = tempfile::tempdir().unwrap();
    let (_, one, most) = pairs(dir.path(), "one");
    assert_eq!(most, 1, "a customer of one partner only");
    let (_, _, most) = pairs(dir.path(), "few");
    assert!(
        (2..=8).contains(&most),
        "a customer of at most 8 partners: {most}"
    );
    let (rows, any, _) = pairs(dir.path(), "any");
    assert!(
        any * 100 >= rows * 99,
        "{any} of {rows} rows are distinct pairs"
    );
    assert!(
        one * 3 < any * 2,
        "{one} pairs repeat customers, {any} do not"
    );
}
