"""Second readers for the published Parquet: pyarrow and DuckDB, as BI tools.

Checks, under an output root, that DuckDB sees Decimal(18,2) money, INTEGER
ranks, BIGINT counts and the Hive `period` partition of every dataset; that
pyarrow opens every file with plain string types; and that the current
manifest's control totals equal DuckDB's sums. Exits 1 naming the first
mismatch. Under a root that `settle admit` published into, it checks the
admission datasets the same way (INTEGER scores and ranks, decisions equal to
the manifest's). A root that does not exist, or holds neither `ledger/` nor
`admissions/`, is a failure (exit 1): a wrong root must not read back as ok.
`.ci/run` runs it on the fixture months; `cargo test` proves the same with
arrow-rs and needs no Python.

Usage: python3 tests/readback.py OUTPUT_ROOT PERIOD...
"""
import json
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

if len(sys.argv) < 3:
    sys.exit("usage: python3 tests/readback.py OUTPUT_ROOT PERIOD...")
root = Path(sys.argv[1])
periods = sys.argv[2:]
failures = []

# Nothing to read back is a failure, not a pass: every check below sits under
# "if this dataset's folder exists", so a wrong root would otherwise print ok.
if not root.is_dir():
    sys.exit(f"readback: FAILED: output root {root} does not exist (or is not a folder)")
if not (root / "ledger").is_dir() and not (root / "admissions").is_dir():
    sys.exit(f"readback: FAILED: nothing published under {root}: "
             "neither ledger/ (settle run) nor admissions/ (settle admit) is there")


def check(ok, what):
    if not ok:
        failures.append(what)


def scan(dataset):
    pattern = str(root / dataset / "*" / "part-0.parquet")
    return f"read_parquet('{pattern}', hive_partitioning = true)"


if (root / "ledger").is_dir():
    MONEY = {"ledger": ["basis", "amount"], "payouts": ["gross", "deductions", "net"], "held": ["basis"],
             "scores": ["revenue"], "settlement_stop": ["withheld"]}
    for dataset in ["ledger", "held", "payouts", "scores", "sanctions", "settlement_stop", "rejects"]:
        rel = duckdb.sql(f"select * from {scan(dataset)}")
        types = {name: str(t) for name, t in zip(rel.columns, rel.types)}
        for column in MONEY.get(dataset, []):
            check(types[column] == "DECIMAL(18,2)", f"{dataset}.{column} is {types[column]} in DuckDB")
        found = sorted(r[0] for r in duckdb.sql(f"select distinct period::varchar from {scan(dataset)}").fetchall())
        files = sorted(d.name.removeprefix("period=") for d in (root / dataset).glob("period=*"))
        check(files == sorted(periods), f"{dataset}: partition folders {files}")
        # A partition DuckDB can name has rows; every file must be among them or empty.
        check(set(found) <= set(periods), f"{dataset}: DuckDB finds partitions {found}")
        if dataset in ("ledger", "payouts", "scores"):  # never empty in these months
            check(found == sorted(periods), f"{dataset}: DuckDB finds partitions {found}")
        for f in sorted((root / dataset).glob("*/part-0.parquet")):
            schema = pq.read_schema(f)
            for field in schema:
                t = str(field.type)
                check("view" not in t, f"{f}: {field.name} is {t}")
                if field.name in MONEY.get(dataset, []):
                    check(t == "decimal128(18, 2)", f"{f}: {field.name} is {t} in pyarrow")
            check("period" not in schema.names, f"{f}: period inside the file")
    scores = duckdb.sql(f"select * from {scan('scores')}")
    stypes = dict(zip(scores.columns, map(str, scores.types)))
    check(stypes["rank"] == "INTEGER", f"scores.rank is {stypes['rank']}")
    check(stypes["rated"] == "BOOLEAN", f"scores.rated is {stypes['rated']}")
    ledger = duckdb.sql(f"select * from {scan('ledger')}")
    check(dict(zip(ledger.columns, map(str, ledger.types)))["quantity"] == "BIGINT", "ledger.quantity")

    for period in periods:
        log = sorted((root / "_log" / f"period={period}").glob("*.json"))
        if not log:
            check(False, f"{period}: no version record under _log/period={period}/ (not published)")
            continue
        run_id = json.loads(log[-1].read_text())["run_id"]
        manifest = json.loads((root / "runs" / run_id / "manifest.json").read_text())
        for key, column in [("ledger_amount_by_component", "component"), ("ledger_amount_by_status", "status")]:
            sums = {k: str(v) for k, v in duckdb.sql(
                f"select {column}, sum(amount) from {scan('ledger')} where period = '{period}' group by all").fetchall()}
            check(sums == manifest[key], f"{period} {key}: DuckDB {sums} vs manifest {manifest[key]}")
        net = duckdb.sql(f"select sum(net) from {scan('payouts')} where period = '{period}'").fetchall()[0][0]
        total = sum(Decimal(v) for v in manifest["ledger_amount_by_status"].values())
        check(Decimal(net) == total, f"{period}: payouts net {net} vs ledger total {total}")


ADMISSION_TYPES = {"composite_bp": "INTEGER", "pool_size": "INTEGER", "rank": "INTEGER"}
if (root / "admissions").is_dir():
    # `settle admit` (SPEC §22): its two datasets, its own log under _admission/.
    for dataset in ["admissions", "admission_rejects"]:
        rel = duckdb.sql(f"select * from {scan(dataset)}")
        types = {name: str(t) for name, t in zip(rel.columns, rel.types)}
        expected = ADMISSION_TYPES if dataset == "admissions" else {"line": "BIGINT"}
        for column, t in expected.items():
            check(types.get(column) == t, f"{dataset}.{column} is {types.get(column)} in DuckDB")
        files = sorted(d.name.removeprefix("period=") for d in (root / dataset).glob("period=*"))
        check(files == sorted(periods), f"{dataset}: partition folders {files}")
        for f in sorted((root / dataset).glob("*/part-0.parquet")):
            schema = pq.read_schema(f)
            check(all("view" not in str(x.type) for x in schema), f"{f}: a view type")
            check("period" not in schema.names, f"{f}: period inside the file")
    for period in periods:
        log = sorted((root / "_admission" / "_log" / f"period={period}").glob("*.json"))
        if not log:
            check(False, f"{period}: no admission record under _admission/_log/period={period}/")
            continue
        run_id = json.loads(log[-1].read_text())["run_id"]
        manifest = json.loads((root / "_admission" / "runs" / run_id / "manifest.json").read_text())
        counts = dict(duckdb.sql(
            f"select decision, count(*) from {scan('admissions')} where period = '{period}' group by all").fetchall())
        wanted = {k: v for k, v in manifest["admission_decisions"].items() if v}
        check(counts == wanted, f"{period} decisions: DuckDB {counts} vs manifest {wanted}")

failures = [f for f in failures if f]
for f in failures:
    print(f"readback: {f}", file=sys.stderr)
print(f"readback: {'FAILED' if failures else 'ok'} ({len(periods)} periods under {root})")
sys.exit(1 if failures else 0)
