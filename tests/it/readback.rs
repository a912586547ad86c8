//! The published Parquet as an independent reader sees it: arrow-rs's
//! `parquet` crate, a second implementation, not polars reading its own
//! files. Proves the types BI tools rely on (Decimal(18,2) money, Int32
//! ranks, Int64 counts, plain large strings, no partition column inside the
//! files) and that the manifest's control totals equal the files' sums.

use std::collections::BTreeMap;
use std::path::Path;

use arrow::array::{Array, Decimal128Array, LargeStringArray};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::run::run_fixtures;

/// Schema and rows of one file, read by arrow-rs.
pub fn read(path: &Path) -> (Vec<(String, DataType)>, Vec<RecordBatch>) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let schema = builder
        .schema()
        .fields()
        .iter()
        .map(|f| (f.name().clone(), f.data_type().clone()))
        .collect();
    let batches = builder.build().unwrap().map(|b| b.unwrap()).collect();
    (schema, batches)
}

/// A text column of a batch (null as None).
pub fn texts(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let a = batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"));
    let a = a.as_any().downcast_ref::<LargeStringArray>().unwrap();
    (0..a.len())
        .map(|i| a.is_valid(i).then(|| a.value(i).to_string()))
        .collect()
}

/// A Decimal(18,2) column of a batch as fen.
pub fn fen(batch: &RecordBatch, name: &str) -> Vec<i128> {
    let a = batch.column_by_name(name).unwrap();
    let a = a.as_any().downcast_ref::<Decimal128Array>().unwrap();
    (0..a.len()).map(|i| a.value(i)).collect()
}

/// A yuan text such as `-50.00` as fen.
pub fn yuan_to_fen(yuan: &str) -> i128 {
    let neg = yuan.starts_with('-');
    let (int, frac) = yuan.trim_start_matches('-').split_once('.').unwrap();
    let v = int.parse::<i128>().unwrap() * 100 + frac.parse::<i128>().unwrap();
    if neg { -v } else { v }
}

#[test]
fn arrow_rs_sees_decimal_money_plain_strings_and_totals_that_match_the_manifest() {
    let dir = run_fixtures("2");
    let root = dir.path().join("out");
    let money = DataType::Decimal128(18, 2);
    let expected: [(&str, &[(&str, DataType)]); 6] = [
        (
            "ledger",
            &[
                ("partner_id", DataType::LargeUtf8),
                ("category", DataType::LargeUtf8),
                ("quantity", DataType::Int64),
                ("basis", money.clone()),
                ("rate_bp", DataType::Int32),
                ("amount", money.clone()),
                ("run_id", DataType::LargeUtf8),
            ],
        ),
        (
            "payouts",
            &[
                ("gross", money.clone()),
                ("deductions", money.clone()),
                ("net", money.clone()),
            ],
        ),
        (
            "scores",
            &[
                ("rated", DataType::Boolean),
                ("revenue", money.clone()),
                ("rank", DataType::Int32),
                ("credit_score", DataType::Int32),
                ("bottom_streak", DataType::Int32),
            ],
        ),
        ("sanctions", &[("credit_score", DataType::Int32)]),
        ("settlement_stop", &[("withheld", money.clone())]),
        (
            "rejects",
            &[("line", DataType::Int64), ("raw", DataType::LargeUtf8)],
        ),
    ];
    for period in ["2026-09", "2026-10"] {
        let (_, manifest) = crate::util::head_of(&root, period);
        let mut by_component: BTreeMap<String, i128> = BTreeMap::new();
        let mut by_status: BTreeMap<String, i128> = BTreeMap::new();
        let mut net = 0i128;
        for (dataset, columns) in &expected {
            let path = root.join(format!("{dataset}/period={period}/part-0.parquet"));
            let (schema, batches) = read(&path);
            for (name, dtype) in *columns {
                let found = schema.iter().find(|(n, _)| n == name);
                assert_eq!(found.map(|f| &f.1), Some(dtype), "{dataset}.{name}");
            }
            assert!(
                schema.iter().all(|(n, _)| n != "period"),
                "{dataset}: the partition column is in the path only"
            );
            for b in &batches {
                match *dataset {
                    "ledger" => {
                        for ((c, s), a) in texts(b, "component")
                            .into_iter()
                            .zip(texts(b, "status"))
                            .zip(fen(b, "amount"))
                        {
                            *by_component.entry(c.unwrap()).or_default() += a;
                            *by_status.entry(s.unwrap()).or_default() += a;
                        }
                    }
                    "payouts" => net += fen(b, "net").iter().sum::<i128>(),
                    _ => {}
                }
            }
        }
        let totals = |key: &str| -> BTreeMap<String, i128> {
            manifest[key]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), yuan_to_fen(v.as_str().unwrap())))
                .collect()
        };
        assert!(!by_component.is_empty(), "{period}: the ledger has lines");
        assert_eq!(
            totals("ledger_amount_by_component"),
            by_component,
            "{period}"
        );
        assert_eq!(totals("ledger_amount_by_status"), by_status, "{period}");
        assert_eq!(
            net,
            by_status.values().sum::<i128>(),
            "{period}: payouts net = ledger total"
        );
    }
}
