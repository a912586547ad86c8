"""Second readers for the published Parquet: pyarrow and DuckDB.

Prints one JSON object describing what BI tools see under an output root:
column types per dataset (DuckDB's names), the period partitions DuckDB finds,
and totals summed by DuckDB, so tests/it/run.rs can compare them with the
manifest. Usage: python3 tests/readback.py OUTPUT_ROOT
"""
import json
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

root = Path(sys.argv[1])
out = {"types": {}, "arrow_types": {}, "periods": {}, "rows": {}}
for dataset in ["ledger", "payouts", "scores", "sanctions", "settlement_stop", "rejects"]:
    pattern = str(root / dataset / "*" / "part-0.parquet")
    rel = duckdb.sql(f"select * from read_parquet('{pattern}', hive_partitioning = true)")
    out["types"][dataset] = {name: str(t) for name, t in zip(rel.columns, rel.types)}
    out["periods"][dataset] = sorted(r[0] for r in duckdb.sql(
        f"select distinct period::varchar from read_parquet('{pattern}', hive_partitioning = true)").fetchall())
    out["rows"][dataset] = duckdb.sql(f"select count(*) from read_parquet('{pattern}')").fetchall()[0][0]
    # pyarrow 14+ must open every file on its own, with plain string types.
    for f in sorted((root / dataset).glob("*/part-0.parquet")):
        schema = pq.read_schema(f)
        out["arrow_types"][dataset] = {field.name: str(field.type) for field in schema}
ledger = str(root / "ledger" / "*" / "part-0.parquet")
out["ledger_by_component"] = {
    f"{p}/{c}": str(v) for p, c, v in duckdb.sql(
        f"select period::varchar, component, sum(amount) from read_parquet('{ledger}', hive_partitioning = true) group by all").fetchall()
}
out["ledger_by_status"] = {
    f"{p}/{s}": str(v) for p, s, v in duckdb.sql(
        f"select period::varchar, status, sum(amount) from read_parquet('{ledger}', hive_partitioning = true) group by all").fetchall()
}
payouts = str(root / "payouts" / "*" / "part-0.parquet")
out["payout_net"] = {
    p: str(v) for p, v in duckdb.sql(
        f"select period::varchar, sum(net) from read_parquet('{payouts}', hive_partitioning = true) group by all").fetchall()
}
print(json.dumps(out, sort_keys=True))
