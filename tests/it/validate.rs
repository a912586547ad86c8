//! `settle validate` on the bundled fixture months and on the bad month whose
//! expected rejects were written by hand from SPEC §2.1 (see
//! fixtures/bad/README.md for the row-by-row reasoning).

use crate::util::*;

#[test]
fn fixture_month_validates_with_counts() {
    let run = settle_in(&repo(), &["validate", "--period", "2026-10"]).expect(0);
    // 221 usage records, one of them a late September row (OUT_OF_PERIOD).
    assert_eq!(run.counts("partners"), (36, 36, 0));
    assert_eq!(run.counts("usage"), (221, 220, 1));
    assert_eq!(run.counts("complaints"), (10, 10, 0));
    assert_eq!(run.counts("deliveries"), (49, 49, 0));
    assert!(
        run.stdout().contains("usage: OUT_OF_PERIOD 1"),
        "{}",
        run.stdout()
    );
}

fn bad_month(config: &str) -> Run {
    settle_in(
        &repo(),
        &[
            "--config",
            &format!("fixtures/bad/{config}.toml"),
            "validate",
            "--period",
            "2026-10",
        ],
    )
}

#[test]
fn bad_month_counts_add_up() {
    let run = bad_month("lenient").expect(0);
    let expected = [
        ("partners", (14, 4, 10)),
        ("usage", (23, 5, 18)),
        ("complaints", (10, 2, 8)),
        ("deliveries", (10, 3, 7)),
    ];
    for (table, counts) in expected {
        let (read, accepted, rejected) = run.counts(table);
        assert_eq!((read, accepted, rejected), counts, "{table}");
        assert_eq!(
            read,
            accepted + rejected,
            "{table}: rows_read = accepted + rejected"
        );
    }
}

#[test]
fn bad_month_rejects_every_code_in_order_of_checks() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rejects.parquet");
    settle_in(
        &repo(),
        &[
            "--config",
            "fixtures/bad/lenient.toml",
            "validate",
            "--period",
            "2026-10",
            "--rejects",
            file.to_str().unwrap(),
        ],
    )
    .expect(0);
    let df = read_parquet(&file);
    let got = reject_keys(&df);
    let expected: Vec<(String, i64, String)> = [
        ("complaints", 4, "BAD_DATE"),             // 24:00:00
        ("complaints", 5, "RESPONSE_BEFORE_OPEN"), // answered a second early
        ("complaints", 6, "BAD_ENUM"),             // severity urgent
        ("complaints", 7, "BAD_ENUM"),             // upheld yes
        ("complaints", 8, "OUT_OF_PERIOD"),        // opened 2026-09-30
        ("complaints", 9, "BAD_DATE"),             // a date where a date-time is due
        ("complaints", 10, "DUPLICATE_ROW"),       // equals line 3 ('T' equals ' ')
        ("complaints", 11, "BAD_DATE"),            // second 60
        ("deliveries", 3, "BAD_STATUS_DATE"),      // delivered without a date
        ("deliveries", 4, "BAD_STATUS_DATE"),      // pending with a date
        ("deliveries", 5, "OUT_OF_PERIOD"),        // promised and delivered before
        ("deliveries", 7, "OUT_OF_PERIOD"),        // promised after (bare-CR line)
        ("deliveries", 8, "BAD_ENUM"),             // shipped
        ("deliveries", 9, "MISSING_FIELD"),        // amount
        ("deliveries", 10, "BAD_DATE"),            // 2026-10-32
        ("partners", 5, "MISSING_FIELD"),          // partner_id
        ("partners", 6, "BAD_ENUM"),               // XX
        ("partners", 7, "MISSING_FIELD"),          // province
        ("partners", 8, "BAD_ENUM"),               // Active: case-sensitive
        ("partners", 9, "BAD_DATE"),               // 2025-02-30
        ("partners", 10, "BAD_ENUM"),              // partner_type fails before admitted_on
        ("partners", 11, "DUPLICATE_ROW"),         // copy of line 2
        ("partners", 12, "DUPLICATE_ID"),          // P10 twice, different names
        ("partners", 13, "DUPLICATE_ID"),
        ("partners", 15, "WRONG_FIELD_COUNT"), // 5 fields
        ("usage", 5, "UNKNOWN_PARTNER"),       // P5's partners row was rejected
        ("usage", 6, "UNKNOWN_PARTNER"),       // PX
        ("usage", 7, "MISSING_FIELD"),         // customer_id
        ("usage", 8, "UNKNOWN_PRODUCT"),       // FOO
        ("usage", 9, "BAD_DATE"),              // 2026-9-5
        ("usage", 10, "OUT_OF_PERIOD"),        // 2026-11-01
        ("usage", 11, "WRONG_FIELD_COUNT"),    // 1,000.00 unquoted
        ("usage", 12, "BAD_NUMBER"),           // abc
        ("usage", 13, "NEGATIVE_AMOUNT"),      // -0
        ("usage", 14, "TOO_MANY_DECIMALS"),    // 1.500
        ("usage", 15, "NEGATIVE_AMOUNT"),      // -1.505: the sign is checked first
        ("usage", 16, "UNKNOWN_PARTNER"),      // partner_id fails before product, date, amount
        ("usage", 17, "BAD_QUOTING"),          // "5.00" x
        ("usage", 19, "DUPLICATE_ROW"),        // 5.0 equals 5.00
        ("usage", 20, "DUPLICATE_ID"),         // u19 twice, different amounts
        ("usage", 21, "DUPLICATE_ID"),
        ("usage", 22, "BAD_ENCODING"), // also has 7 fields: encoding comes first
        ("usage", 25, "BAD_QUOTING"),  // open quote runs to the end of the file
    ]
    .into_iter()
    .map(|(s, l, r)| (s.to_string(), l, r.to_string()))
    .collect();
    assert_eq!(got, expected);

    let raw = strings(&df, "raw");
    let at = |source: &str, line: i64| {
        got.iter()
            .position(|k| k.0 == source && k.1 == line)
            .unwrap()
    };
    assert_eq!(raw[at("partners", 6)], "P5,XX,类型错,GD,active,2025-01-01");
    assert_eq!(
        raw[at("usage", 17)],
        "\"u16\",P1,C1,VNET,2026-10-02,\"5.00\" x"
    );
    assert_eq!(
        raw[at("usage", 22)],
        "u20,P1,C\u{FFFD}1,VNET,2026-10-04,2.00,extra"
    );
    assert_eq!(raw[at("usage", 25)], "u23,P1,\"C1,VNET,2026-10-06,1.00\n");
    let detail = strings(&df, "detail");
    assert_eq!(
        detail[at("usage", 14)],
        "amount '1.500' has more than 2 decimals"
    );
    assert_eq!(detail[at("usage", 19)], "repeats line 18 in every column");
}

#[test]
fn bad_month_over_the_threshold_exits_3_naming_the_input() {
    let run = bad_month("strict").expect(3);
    // Counts are still printed so the operator sees what to fix.
    assert_eq!(run.counts("usage"), (23, 5, 18));
    let err = run.stderr();
    assert!(
        err.contains("partners.csv") && err.contains("10 of 14 rows rejected"),
        "{err}"
    );
    assert!(err.contains("max_reject_ratio_bp = 100"), "{err}");
}

#[test]
fn out_of_period_rows_do_not_count_toward_the_threshold() {
    // 1 OUT_OF_PERIOD row of 2 would be 5000 bp; it does not count, so exit 0.
    let w = Workdir::new();
    w.copy_month(&repo().join("fixtures/appendix-a/2026-10"), "2026-10");
    w.write(
        "inputs/2026-10/usage.csv",
        "record_id,partner_id,customer_id,product_code,usage_date,amount\nu1,SA-1,C1,VNET,2026-10-03,1000.00\nu2,SA-1,C1,VNET,2026-09-30,1.00\n",
    );
    let run = w.settle(&["validate", "--period", "2026-10"]).expect(0);
    assert_eq!(run.counts("usage"), (2, 1, 1));
    // One counted reject in 2 rows crosses 100 bp: exit 3.
    w.write(
        "inputs/2026-10/usage.csv",
        "record_id,partner_id,customer_id,product_code,usage_date,amount\nu1,SA-1,C1,VNET,2026-10-03,1000.00\nu2,SA-1,C1,VNET,2026-10-30,1.001\n",
    );
    w.settle(&["validate", "--period", "2026-10"]).expect(3);
}

#[test]
fn threshold_is_exactly_at_the_ratio() {
    // 1 counted reject in 100 rows is exactly 100 bp: allowed (the rule is '>').
    let w = Workdir::new();
    w.copy_month(&repo().join("fixtures/appendix-a/2026-10"), "2026-10");
    let mut usage =
        String::from("record_id,partner_id,customer_id,product_code,usage_date,amount\n");
    for i in 0..99 {
        usage.push_str(&format!("u{i},SA-1,C1,VNET,2026-10-03,1.00\n"));
    }
    usage.push_str("bad,SA-1,C1,VNET,2026-10-03,x\n");
    w.write("inputs/2026-10/usage.csv", &usage);
    w.settle(&["validate", "--period", "2026-10"]).expect(0);
    usage.push_str("bad2,SA-1,C1,VNET,2026-10-03,y\n");
    // 2 in 101 rows is 198 bp: over.
    w.write("inputs/2026-10/usage.csv", &usage);
    w.settle(&["validate", "--period", "2026-10"]).expect(3);
}
