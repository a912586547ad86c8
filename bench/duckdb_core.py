"""The peer measurement of `just bench`: DuckDB doing only the core usage
aggregation of a month (parse and check amount and date, join the catalog,
sum per partner and category, count distinct customers).

Usage: python3 bench/duckdb_core.py MONTH_DIR PERIOD [RUNS]   (prints seconds, median of RUNS, 3 by default)
"""
import statistics
import sys
import time
from pathlib import Path

import duckdb

month, period = Path(sys.argv[1]), sys.argv[2]
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
start = f"{period}-01"
catalog = ", ".join(f"('{p}', '{c}')" for p, c in [
    ("VNET", "basic_access"), ("CRBT", "basic_access"), ("ECOMM", "basic_access"), ("SWITCHBOARD", "basic_access"),
    ("MAS", "industry_info"), ("XXT", "industry_info"), ("EMAIL", "platform_app"), ("PUSHMAIL", "platform_app"),
    ("DEVPROJ", "dev_project")])
csv = month / "usage.csv"
if csv.exists():
    source = f"""select partner_id, customer_id, product_code,
                   try_strptime(usage_date, '%Y-%m-%d')::date as d,
                   case when regexp_full_match(amount, '[0-9]{{1,16}}(\\.[0-9]{{1,2}})?') then amount::decimal(18,2) end as amt
            from read_csv('{csv}', header = true, all_varchar = true)"""
else:
    source = f"select partner_id, customer_id, product_code, usage_date as d, amount as amt from read_parquet('{month / 'usage.parquet'}')"
query = f"""
with u as ({source}),
     c as (select * from (values {catalog}) t(product_code, category))
select partner_id, category, sum(amt) as basis, count(distinct customer_id) as customers
from u join c using (product_code)
where amt is not null and d >= date '{start}' and d < date '{start}' + interval 1 month
group by all
"""
times = []
for _ in range(runs):
    con = duckdb.connect()
    t = time.perf_counter()
    rows = con.sql(query).fetchall()
    times.append(time.perf_counter() - t)
    con.close()
print(f"{statistics.median(times):.2f} {len(rows)}")
