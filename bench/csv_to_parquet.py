"""Converts a generated CSV month to typed Parquet with DuckDB, streaming, for
months too large for `settle generate --format parquet` (which holds the
whole month in memory before writing). Usage: csv_to_parquet.py SRC_DIR DST_DIR
"""
import duckdb, sys
src, dst = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.sql("SET memory_limit='4GB'")
q = {
 "partners": "select partner_id, partner_type, name, province, status, admitted_on::date as admitted_on from read_csv('{f}', header=true, all_varchar=true)",
 "usage": "select record_id, partner_id, customer_id, product_code, usage_date::date as usage_date, amount::decimal(18,2) as amount from read_csv('{f}', header=true, all_varchar=true)",
 "complaints": "select complaint_id, partner_id, customer_id, opened_at::timestamp as opened_at, first_response_at::timestamp as first_response_at, severity, category, upheld::boolean as upheld from read_csv('{f}', header=true, all_varchar=true)",
 "deliveries": "select order_id, partner_id, customer_id, product_code, amount::decimal(18,2) as amount, promised_on::date as promised_on, delivered_on::date as delivered_on, status from read_csv('{f}', header=true, all_varchar=true)",
}
for t, sql in q.items():
    con.sql(f"COPY ({sql.format(f=f'{src}/{t}.csv')}) TO '{dst}/{t}.parquet' (FORMAT parquet, COMPRESSION zstd)")
