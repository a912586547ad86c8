"""Another shape for `just bench`: the same month with long ids, as real
registries and CRM exports often have (partner ids of 24 bytes, customer
ids of 32), so that no id fits in a string view's 12 inline bytes and
every customer is interned. Written with DuckDB from a month `settle
generate` made, so the rows, sums and rejects are the same as the source's.

Usage: python3 bench/long_ids.py SOURCE_MONTH_DIR TARGET_MONTH_DIR
"""
import sys
from pathlib import Path

import duckdb

source, target = Path(sys.argv[1]), Path(sys.argv[2])
target.mkdir(parents=True, exist_ok=True)
PARTNER = "'PARTNER-PROVINCE-SC-' || partner_id"  # 20 + 7 bytes
CUSTOMER = "'CUSTOMER-ENTERPRISE-SC-' || customer_id"  # 24 + 10 bytes
renamed = {
    "partners": {"partner_id": PARTNER},
    "complaints": {"partner_id": PARTNER, "customer_id": CUSTOMER},
    "deliveries": {"partner_id": PARTNER, "customer_id": CUSTOMER},
    "usage": {"partner_id": PARTNER, "customer_id": CUSTOMER},
}
con = duckdb.connect()
for table, columns in renamed.items():
    path = source / f"{table}.parquet"
    names = [r[0] for r in con.execute(f"describe select * from read_parquet('{path}')").fetchall()]
    select = ", ".join(f"{columns[n]} as {n}" if n in columns else n for n in names)
    con.execute(
        f"copy (select {select} from read_parquet('{path}')) to '{target / f'{table}.parquet'}' "
        "(format parquet, compression zstd, row_group_size 65536)"
    )
print(f"wrote {target}")
