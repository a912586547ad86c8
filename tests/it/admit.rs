//! `settle admit` (SPEC §22) on `fixtures/admission/`: a month of applicants
//! worked by hand in its README, every published value compared with
//! `expected/`, read back by arrow-rs (an independent Parquet reader); then
//! the no-op, the republish, the policy checks and the failures.

use std::path::Path;

use arrow::array::{Array, Int32Array, Int64Array};
use arrow::datatypes::DataType;

use crate::readback::{read, texts};
use crate::run::files_under;
use crate::util::*;

const PERIOD: &str = "2027-01";

/// The fixture month under the policy folder `policies` of the fixture
/// (`policies` or `policies-province`).
fn admission_workdir(policies: &str) -> Workdir {
    let w = Workdir::new();
    w.config("utf-8", PERIOD);
    let fixtures = repo().join("fixtures/admission");
    w.write(
        "policies/2027-01.toml",
        std::fs::read(fixtures.join(policies).join("2027-01.toml")).unwrap(),
    );
    w.copy_month(&fixtures.join("periods").join(PERIOD), PERIOD);
    w
}

/// The rows of an expected CSV file, header included.
fn expected(rel: &str) -> Vec<String> {
    let path = repo().join("fixtures/admission/expected").join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().map(str::to_string).collect()
}

/// An integer column of a batch as text.
fn ints(batch: &arrow::record_batch::RecordBatch, name: &str) -> Vec<String> {
    let a = batch.column_by_name(name).unwrap();
    if let Some(a) = a.as_any().downcast_ref::<Int32Array>() {
        return (0..a.len()).map(|i| a.value(i).to_string()).collect();
    }
    let a = a.as_any().downcast_ref::<Int64Array>().unwrap();
    (0..a.len()).map(|i| a.value(i).to_string()).collect()
}

/// A published dataset as the expected CSV writes it: the header, then each
/// row's `columns` joined by commas; and the file's schema.
fn published(
    out: &Path,
    dataset: &str,
    columns: &[&str],
) -> (Vec<String>, Vec<(String, DataType)>) {
    let (schema, batches) = read(&out.join(format!("{dataset}/period={PERIOD}/part-0.parquet")));
    let mut rows = vec![columns.join(",")];
    for b in &batches {
        let cells: Vec<Vec<String>> = columns
            .iter()
            .map(|c| match b.column_by_name(c).unwrap().data_type() {
                DataType::Int32 | DataType::Int64 => ints(b, c),
                _ => texts(b, c).into_iter().map(Option::unwrap).collect(),
            })
            .collect();
        for i in 0..b.num_rows() {
            rows.push(
                cells
                    .iter()
                    .map(|c| c[i].as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            );
        }
    }
    (rows, schema)
}

const ADMISSION_COLUMNS: [&str; 7] = [
    "applicant_id",
    "partner_type",
    "province",
    "composite_bp",
    "pool_size",
    "rank",
    "decision",
];

#[test]
fn the_reference_month_publishes_the_hand_worked_admission_list() {
    let w = admission_workdir("policies");
    let run = w.settle(&["admit", "--period", PERIOD]).expect(0);
    let out = w.path().join("out");
    let (rows, schema) = published(&out, "admissions", &ADMISSION_COLUMNS);
    // A05 is exactly at the threshold (admitted), A06 a basis point below.
    assert_eq!(rows, expected("national/admissions.csv"));
    let types: Vec<(&str, &DataType)> = schema.iter().map(|(n, t)| (n.as_str(), t)).collect();
    assert_eq!(
        types,
        [
            ("applicant_id", &DataType::LargeUtf8),
            ("partner_type", &DataType::LargeUtf8),
            ("province", &DataType::LargeUtf8),
            ("composite_bp", &DataType::Int32),
            ("pool_size", &DataType::Int32),
            ("rank", &DataType::Int32),
            ("decision", &DataType::LargeUtf8),
            ("run_id", &DataType::LargeUtf8),
        ]
    );
    // The summary: per pool the counts, the threshold, the quota and the
    // lowest admitted composite (SA: A05's 6000; SI: A10's 6803).
    let stdout = run.stdout();
    for line in [
        "pools by partner type:",
        "SA                    7        5               2          0         6000     50            6000",
        "SI                    5        4               1          0         6000     20            6803",
        "rejected applicant rows: 16 (BAD_ENCODING 1, BAD_ENUM 2, BAD_NUMBER 3, BAD_QUOTING 1, DUPLICATE_ID 2, DUPLICATE_ROW 1, MISSING_FIELD 3, SCORE_OUT_OF_RANGE 2, WRONG_FIELD_COUNT 1)",
    ] {
        assert!(stdout.contains(line), "{line}\n{stdout}");
    }
    // Admission keeps its versions apart from settlement's.
    let (run_id, manifest) = head_of(&out.join("_admission"), PERIOD);
    assert!(
        stdout.contains(&format!("published as run {run_id}")),
        "{stdout}"
    );
    assert_eq!(
        manifest["admission_decisions"],
        serde_json::json!({"admitted": 9, "below_threshold": 3, "over_quota": 0})
    );
    let input = &manifest["inputs"][0];
    assert_eq!(
        (
            input["source"].as_str(),
            input["rows_read"].as_u64(),
            input["rows_accepted"].as_u64()
        ),
        (Some("applicants"), Some(28), Some(12))
    );
    assert!(!out.join("_log").exists() && !out.join("runs").exists());
}

#[test]
fn every_bad_applicants_row_is_quarantined_with_its_line_and_reason() {
    let w = admission_workdir("policies");
    w.settle(&["admit", "--period", PERIOD]).expect(0);
    let out = w.path().join("out");
    let (rows, schema) = published(&out, "admission_rejects", &["source", "line", "reason"]);
    assert_eq!(rows, expected("admission_rejects.csv"));
    // The columns of `rejects`, no run_id.
    let names: Vec<&str> = schema.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["source", "line", "reason", "detail", "raw"]);
    let (details, _) = published(&out, "admission_rejects", &["line", "detail"]);
    for line in [
        "15,repeats line 5 in every column",
        "22,transport_quality is empty",
        "23,partner_type 'ISV' is not one of SI, SA",
        "26,transport_quality '1000' is not a score of one to three digits like 70",
        "27,environment '101' is not a score from 0 to 100",
        // The first bad column decides: business_analysis before environment.
        "28,business_analysis '150' is not a score from 0 to 100",
    ] {
        assert!(details.iter().any(|d| d == line), "{line}\n{details:#?}");
    }
    let (raw, _) = published(&out, "admission_rejects", &["line", "raw"]);
    assert!(raw.contains(&"15,A04,SA,GD, 70 ,70,70,70,70,70,70,70,70,70,70,70".to_string()));
    assert!(
        raw.iter().any(|r| r.starts_with("18,R01,SA,G\u{FFFD}D,")),
        "{raw:#?}"
    );
}

#[test]
fn province_pools_admit_both_applicants_tied_at_the_quota() {
    let w = admission_workdir("policies-province");
    let run = w.settle(&["admit", "--period", PERIOD]).expect(0);
    let (rows, _) = published(&w.path().join("out"), "admissions", &ADMISSION_COLUMNS);
    // A02 and A03 share rank 2 = SA's quota; A07 and A10 are pools of one.
    assert_eq!(rows, expected("province/admissions.csv"));
    let stdout = run.stdout();
    for line in [
        "pools by partner type and province:",
        "SA BJ                 1        0               1          0         6000      2               -",
        "SA GD                 6        3               1          2         6000      2            7500",
        "SI BJ                 1        1               0          0         6000      1            6803",
        "SI GD                 4        1               1          2         6000      1           10000",
    ] {
        assert!(stdout.contains(line), "{line}\n{stdout}");
    }
}

#[test]
fn the_same_inputs_again_change_nothing_and_other_inputs_republish() {
    let w = admission_workdir("policies");
    w.settle(&["admit", "--period", PERIOD]).expect(0);
    let out = w.path().join("out");
    let (first, _) = head_of(&out.join("_admission"), PERIOD);
    let before = files_under(&out);
    let run = w.settle(&["admit", "--period", PERIOD]).expect(0);
    assert!(run.stdout().contains("nothing to do"), "{}", run.stdout());
    assert_eq!(
        files_under(&out),
        before,
        "bytes and modification times unchanged"
    );

    // A12 (composite 0) withdraws: a new list, no exit 5, the old one kept.
    // The file holds a byte that is not UTF-8 (R01's): edit it as bytes.
    let bytes = std::fs::read(w.path().join("inputs/2027-01/applicants.csv")).unwrap();
    let row = b"A12,SI,GD,0,0,0,0,0,0,0,0,0,0,0,0\n";
    let at = bytes.windows(row.len()).position(|x| x == row).unwrap();
    let text = [&bytes[..at], &bytes[at + row.len()..]].concat();
    w.write("inputs/2027-01/applicants.csv", text);
    let run = w.settle(&["admit", "--period", PERIOD]).expect(0);
    let (second, manifest) = head_of(&out.join("_admission"), PERIOD);
    assert_ne!(first, second);
    assert_eq!(manifest["previous_run_id"].as_str(), Some(first.as_str()));
    assert!(
        run.stdout().contains(&format!("replaces run {first}")),
        "{}",
        run.stdout()
    );
    let (rows, _) = published(&out, "admissions", &ADMISSION_COLUMNS);
    assert_eq!(rows.len(), 12, "11 applicants and the header");
    assert!(
        rows.contains(&"A11,SI,GD,10000,4,1,admitted".to_string()),
        "{rows:#?}"
    );
    assert!(
        out.join(format!(
            "_admission/runs/{first}/admissions/period={PERIOD}/part-0.parquet"
        ))
        .is_file()
    );
}

#[test]
fn a_settlement_run_ignores_applicants_and_admission_leaves_its_history_alone() {
    // The v2 fixture month with its policy plus the reference admission table.
    let w = Workdir::new();
    w.config("utf-8", PERIOD);
    let v2 = repo().join("fixtures/v2");
    let reference =
        std::fs::read_to_string(repo().join("pipelines/policies/2027-01.toml")).unwrap();
    let admission = &reference[reference.find("[admission]").unwrap()..];
    let policy = std::fs::read_to_string(v2.join("policies/2027-01.toml")).unwrap();
    w.write("policies/2027-01.toml", format!("{policy}\n{admission}"));
    w.copy_month(&v2.join("periods").join(PERIOD), PERIOD);
    w.settle(&["run", "--period", PERIOD]).expect(0);
    let out = w.path().join("out");
    let settled = head_of(&out, PERIOD).0;
    let before = files_under(&out);

    w.copy_month(
        &repo().join("fixtures/admission/periods").join(PERIOD),
        PERIOD,
    );
    w.settle(&["admit", "--period", PERIOD]).expect(0);
    // The same run_id: the applicants file is no input of `run`.
    let run = w.settle(&["run", "--period", PERIOD]).expect(0);
    assert!(
        run.stdout().contains("already published"),
        "{}",
        run.stdout()
    );
    assert_eq!(head_of(&out, PERIOD).0, settled);
    let after = files_under(&out);
    for (path, file) in &before {
        assert_eq!(after.get(path), Some(file), "{path} untouched by admit");
    }
    assert!(after.keys().any(|p| p.starts_with("admissions/")));
    let (_, validate) = w.validate_with_rejects(PERIOD);
    assert!(
        reject_keys(&validate)
            .iter()
            .all(|(s, _, _)| s != "applicants")
    );
}

#[test]
fn an_inconsistent_or_incomplete_admission_policy_exits_2_before_any_input_is_read() {
    let reference =
        std::fs::read_to_string(repo().join("pipelines/policies/2027-01.toml")).unwrap();
    let capacity = reference.find("[admission.judgments.capacity.").unwrap();
    let cases: [(String, &str); 6] = [
        (
            reference[..capacity].to_string(),
            "admission.judgments.capacity is missing",
        ),
        (
            reference.replacen("prospects = 3", "prospect = 3", 1),
            "admission.judgments.business.reputation.prospect: prospect is not a criterion of business",
        ),
        (
            reference.replacen("SA = 50", "SA = -1", 1),
            "admission.quota.SA is -1, but it must not be negative",
        ),
        (
            reference.replacen("threshold_bp = 6000", "threshold_bp = 10001", 1),
            "admission.threshold_bp is 10001, but it must be 0 to 10000 basis points",
        ),
        (
            reference.replacen("reputation = \"1/4\"", "reputation = 9", 1),
            "admission.judgments.business is inconsistent: consistency ratio",
        ),
        (
            reference.replacen("environment = 4", "environment = \"1/9\"", 1),
            "admission.judgments.groups is inconsistent: consistency ratio",
        ),
    ];
    for (policy, message) in cases {
        let w = Workdir::new(); // no inputs at all
        w.config("utf-8", PERIOD);
        w.write("policies/2027-01.toml", policy);
        let run = w.settle(&["admit", "--period", PERIOD]).expect(2);
        assert!(
            run.stderr().contains(message),
            "{message}\n{}",
            run.stderr()
        );
        assert!(run.stderr().contains("2027-01.toml"), "{}", run.stderr());
    }
    // A policy without the table cannot admit anyone.
    let w = Workdir::new();
    let run = w.settle(&["admit", "--period", "2026-10"]).expect(2);
    assert!(
        run.stderr()
            .contains("has no [admission] table, which settle admit needs"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_missing_applicants_table_exits_2_and_too_many_rejects_exit_3() {
    let w = admission_workdir("policies");
    std::fs::remove_file(w.path().join("inputs/2027-01/applicants.csv")).unwrap();
    w.write("inputs/2027-01/partners.csv", "partner_id\n");
    let run = w.settle(&["admit", "--period", PERIOD]).expect(2);
    assert!(
        run.stderr().contains(
            "the applicants table is missing (neither applicants.csv nor applicants.parquet exists)"
        ),
        "{}",
        run.stderr()
    );
    let run = w.settle(&["admit", "--period", "2027-02"]).expect(2);
    assert!(
        run.stderr()
            .contains("the input folder of period 2027-02 does not exist"),
        "{}",
        run.stderr()
    );
    // The reference policy's limit, 100 bp: 16 of 28 rows is far above it.
    let w = admission_workdir("policies");
    let reference = std::fs::read(repo().join("pipelines/policies/2027-01.toml")).unwrap();
    w.write("policies/2027-01.toml", reference);
    let run = w.settle(&["admit", "--period", PERIOD]).expect(3);
    assert!(
        run.stderr()
            .contains("applicants.csv: 16 of 28 rows rejected"),
        "{}",
        run.stderr()
    );
    assert!(
        !w.path().join("out/admissions").exists(),
        "nothing published"
    );
}

#[test]
fn parquet_applicants_take_integer_scores_and_check_their_range() {
    use polars::prelude::*;
    let w = admission_workdir("policies");
    std::fs::remove_file(w.path().join("inputs/2027-01/applicants.csv")).unwrap();
    let leaves = [
        "business_analysis",
        "delivery_quality",
        "transport_quality",
        "reputation",
        "prospects",
        "tech_cooperation",
        "staff_cooperation",
        "financial_health",
        "equipment",
        "production",
        "quality_system",
        "environment",
    ];
    let frame = |environment: Column| {
        let mut columns = vec![
            Column::new("applicant_id".into(), ["P1", "P2", "P3", "P4"]),
            Column::new("partner_type".into(), ["SA"; 4]),
            Column::new("province".into(), ["GD"; 4]),
        ];
        for leaf in &leaves[..11] {
            columns.push(Column::new((*leaf).into(), [60i64; 4]));
        }
        columns.push(environment);
        DataFrame::new(4, columns).unwrap()
    };
    let write = |mut df: DataFrame| {
        let path = w.path().join("inputs/2027-01/applicants.parquet");
        ParquetWriter::new(std::fs::File::create(path).unwrap())
            .finish(&mut df)
            .unwrap();
    };
    // 100 is in range; 101 and -3 are not; a null is missing.
    write(frame(Column::new(
        "environment".into(),
        [Some(100i16), Some(101), Some(-3), None],
    )));
    w.settle(&["admit", "--period", PERIOD]).expect(0);
    let out = w.path().join("out");
    let (rejects, _) = published(&out, "admission_rejects", &["line", "reason"]);
    assert_eq!(
        rejects,
        [
            "line,reason",
            "3,SCORE_OUT_OF_RANGE",
            "4,SCORE_OUT_OF_RANGE",
            "5,MISSING_FIELD"
        ]
    );
    // 60 × (10000 − 954) + 100 × 954 = 542760 + 95400 = 638160 → 6381.
    let (rows, _) = published(&out, "admissions", &ADMISSION_COLUMNS);
    assert_eq!(rows[1], "P1,SA,GD,6381,1,1,admitted");
    // A score is an integer: a float column fails the run, naming it.
    write(frame(Column::new("environment".into(), [60.0f64; 4])));
    let run = w.settle(&["admit", "--period", PERIOD]).expect(2);
    assert!(
        run.stderr().contains(
            "column 'environment' has Parquet type f64, which is not accepted for a score"
        ),
        "{}",
        run.stderr()
    );
}

#[test]
fn weights_shows_the_admission_hierarchy_of_the_reference_policy() {
    let w = Workdir::new();
    w.write(
        "policies/2027-01.toml",
        std::fs::read(repo().join("pipelines/policies/2027-01.toml")).unwrap(),
    );
    let run = w.settle(&["weights", "--period", PERIOD]).expect(0);
    let stdout = run.stdout();
    // fixtures/admission/README.md works these out by hand.
    for line in [
        "admission: threshold 6000 bp, quota SI 20, SA 50",
        "lambda_max 4.0310, CI 0.0103, CR 0.011 (consistent: below 0.10)",
        "lambda_max 5.0331, CI 0.0083, CR 0.007 (consistent: below 0.10)",
        "lambda_max 5.0133, CI 0.0033, CR 0.003 (consistent: below 0.10)",
        "transport_quality                1/2               1/3                 1               1/4               1/2   0.0791",
        "business_analysis  business          0.0639    639",
        "reputation         business          0.1883   1883",
        "staff_cooperation  capacity          0.0246    246",
        "quality_system     quality_system    0.1601   1601",
        "environment        environment       0.0954    954",
        "total                                        10000",
    ] {
        assert!(stdout.contains(line), "{line}\n{stdout}");
    }
    let bp: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.contains("global weights"))
        .skip(2)
        .take(12)
        .map(|l| l.split_whitespace().last().unwrap())
        .collect();
    assert_eq!(
        bp,
        [
            "639", "1142", "370", "1883", "639", "826", "246", "826", "437", "437", "1601", "954"
        ]
    );
    // An inconsistent matrix is shown, then named, with exit 2.
    let reference =
        std::fs::read_to_string(repo().join("pipelines/policies/2027-01.toml")).unwrap();
    w.write(
        "policies/2027-01.toml",
        reference.replacen("reputation = \"1/4\"", "reputation = 9", 1),
    );
    let run = w.settle(&["weights", "--period", PERIOD]).expect(2);
    assert!(run.stdout().contains("INCONSISTENT"), "{}", run.stdout());
    assert!(
        run.stderr()
            .contains("admission.judgments.business is inconsistent"),
        "{}",
        run.stderr()
    );
}

#[test]
fn an_admission_publish_cut_off_before_its_commit_is_undone_by_the_next_admit() {
    let w = admission_workdir("policies");
    w.settle(&["admit", "--period", PERIOD]).expect(0);
    let out = w.path().join("out");
    let (run_id, _) = head_of(&out.join("_admission"), PERIOD);
    let before = files_under(&out);
    // What a killed republish of run ffff leaves: its intent, its version
    // folder, and a live file already swapped in, but no log record.
    let live = format!("admissions/period={PERIOD}/part-0.parquet");
    w.write(
        "out/_admission/.staging/ffffffffffffffff/intent.json",
        serde_json::json!({
            "period": PERIOD,
            "run_id": "ffffffffffffffff",
            "files": [live, format!("admission_rejects/period={PERIOD}/part-0.parquet")],
        })
        .to_string(),
    );
    w.write(
        &format!("out/_admission/runs/ffffffffffffffff/{live}"),
        "partial",
    );
    // Replaced by a rename, as publishing does: the live file is a hard link
    // of the current version's kept copy, which must stay as it is.
    std::fs::remove_file(out.join(&live)).unwrap();
    w.write(&format!("out/{live}"), "not the current list");
    let run = w.settle(&["admit", "--period", PERIOD]).expect(0);
    assert!(run.stdout().contains("nothing to do"), "{}", run.stdout());
    assert_eq!(head_of(&out.join("_admission"), PERIOD).0, run_id);
    assert_eq!(
        std::fs::read(out.join(&live)).unwrap(),
        before[&live].0,
        "the live list is the current version's again"
    );
    assert!(!out.join("_admission/runs/ffffffffffffffff").exists());
    assert!(!out.join("_admission/.staging").exists());
}

#[test]
fn a_held_lock_makes_admit_exit_4_at_once() {
    let w = admission_workdir("policies");
    let _lock = w.hold_lock("pid 99999 running `settle run --period 2027-01`");
    let run = w.settle(&["admit", "--period", PERIOD]).expect(4);
    assert!(
        run.stderr()
            .contains("is locked by another run (pid 99999 running `settle run --period 2027-01`)"),
        "{}",
        run.stderr()
    );
    assert!(
        !w.path().join("out/admissions").exists(),
        "nothing published"
    );
}
