#!/usr/bin/env python3
"""The warehouse roll-up (pipelines/spark/usage_rollup.sql) changes no money.

    python3 tests/rollup.py SETTLE_BINARY [--keep DIR]

For each case, a month is settled twice by the real `settle` binary: once on
its raw usage, once on the usage rolled up by the Spark SQL (run here with
PySpark in local mode, exactly as the file is written). Every published
dataset except `rejects` must be equal value for value (run_id aside, rows
compared sorted); `held` is compared with its `quantity` aside, because that
column counts input rows, which the roll-up merges (docs/scale-out.md).

Cases:
  clean    a generated month whose every usage row is split into 1 to 15 raw
           rows (amounts split exactly in fen, new ids, shuffled): the rolled
           usage must be at least 5 times smaller.
  bad      the same raw rows plus faulty ones (a repeated row, an id reused
           with another amount, a negative and a missing amount, an unknown
           partner and product, dates out of the period, ids with white space,
           an id in the roll-up's own id space): every row the roll-up cannot
           prove valid must reach settle as read and be rejected there with the
           same reason as on the raw month.
  text     the bad month with every usage column a string, plus faults only
           text can carry (bad numbers and dates, 3 decimals, -0, padded
           values that settle trims and accepts).
  v2       a generated Part II month (`generate --v2`, period 2027-01, the
           2027-01 policy: handovers, holds, balances), split like `clean`.
  limit    the reject limit sees rolled rows: a month that passes raw (0.5%
           rejects) fails rolled (exit 3), as docs/scale-out.md says.
  types    an integer amount column: settle refuses the file (exit 2), so
           the roll-up must stop too rather than write an accepted Decimal.

Exits non-zero with the first mismatch.
"""

import argparse
import decimal
import glob
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

import pyarrow as pa
import pyarrow.parquet as pq

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SQL = os.path.join(REPO, "pipelines", "spark", "usage_rollup.sql")
POLICIES = os.path.join(REPO, "pipelines", "policies")
PREFIX = "rollup:"


class Mismatch(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Mismatch(message)


# --- Spark ----------------------------------------------------------------


def spark_session():
    from pyspark.sql import SparkSession

    # Small and polite: the CI machine has 2 cores and other work beside us.
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("usage_rollup test")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def statements(sql_text):
    """The file's statements, as docs/scale-out.md tells a PySpark user to
    run them: comment lines dropped, a statement ends at a line ending in ';'."""
    out, current = [], []
    for line in sql_text.splitlines():
        if line.lstrip().startswith("--"):
            continue
        current.append(line)
        if line.rstrip().endswith(";"):
            stmt = "\n".join(current).strip().rstrip(";").strip()
            if stmt:
                out.append(stmt)
            current = []
    check(not "\n".join(current).strip(), "usage_rollup.sql ends without ';'")
    return out


def rollup(spark, usage_in, usage_out):
    text = open(SQL, encoding="utf-8").read()
    text = text.replace("${usage_in}", usage_in).replace("${usage_out}", usage_out)
    check("${" not in text, "usage_rollup.sql uses a variable other than usage_in/usage_out")
    for stmt in statements(text):
        spark.sql(stmt).collect()
    parts = sorted(glob.glob(os.path.join(usage_out, "part-*.parquet")))
    check(len(parts) == 1, f"the roll-up wrote {len(parts)} part files, expected 1")
    return parts[0]


# --- months ---------------------------------------------------------------


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)


def generate(settle, root, period, partners, rows, seed, v2=False):
    cmd = [settle, "generate", "--period", period, "--partners", str(partners),
           "--usage-rows", str(rows), "--seed", str(seed), "--format", "parquet",
           "--out", root]
    run(cmd + (["--v2"] if v2 else []), env={**os.environ, "RUST_LOG": "warn"})
    return os.path.join(root, period)


def split_rows(usage, seed):
    """Every usage row as 1..15 rows with the same key and new unique ids,
    the amount split exactly in fen (some pieces 0.00), rows shuffled so a
    key's pieces lie far apart in the file."""
    rng = random.Random(seed)
    cols = {n: usage.column(n).to_pylist() for n in usage.column_names}
    out = {n: [] for n in cols}
    for i in range(usage.num_rows):
        fen = int(cols["amount"][i] * 100)
        k = rng.randint(1, 15)
        cuts = sorted(rng.randint(0, fen) for _ in range(k - 1))
        pieces = [b - a for a, b in zip([0] + cuts, cuts + [fen])]
        for j, p in enumerate(pieces):
            for n in cols:
                out[n].append(cols[n][i])
            out["record_id"][-1] = f"{cols['record_id'][i]}-{j}"
            out["amount"][-1] = decimal.Decimal(p).scaleb(-2)
    order = list(range(len(out["record_id"])))
    rng.shuffle(order)
    return pa.table(
        {n: pa.array([out[n][o] for o in order], type=usage.schema.field(n).type)
         for n in cols}
    )


def lay_month(src_dir, root, period, usage):
    """A month folder under `root`: the tables of `src_dir`, with `usage`
    (a table, or the path of a Parquet file) as its usage."""
    dst = os.path.join(root, period)
    os.makedirs(dst)
    for f in os.listdir(src_dir):
        if f != "usage.parquet":
            shutil.copy(os.path.join(src_dir, f), dst)
    target = os.path.join(dst, "usage.parquet")
    if isinstance(usage, str):
        shutil.copy(usage, target)
    else:
        pq.write_table(usage, target)
    return root


def settle_run(settle, work, name, input_root, period, expect=0):
    out = os.path.join(work, name + "-out")
    config = os.path.join(work, name + ".toml")
    with open(config, "w") as f:
        f.write(f'input_root = "{input_root}"\noutput_root = "{out}"\n'
                f'policy_dir = "{POLICIES}"\nhistory_starts = "{period}"\n')
    r = subprocess.run([settle, "--config", config, "run", "--period", period],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       env={**os.environ, "RUST_LOG": "warn"})
    check(r.returncode == expect,
          f"settle run on {name} exited {r.returncode}, expected {expect}: {r.stderr[-2000:]}")
    return out


# --- comparing ------------------------------------------------------------


def published(out):
    """dataset/partition/file -> path, for every published Parquet file
    (not the staging, lock or runs/ folders)."""
    files = {}
    for path in glob.glob(os.path.join(out, "*", "**", "*.parquet"), recursive=True):
        rel = os.path.relpath(path, out)
        if rel.split(os.sep)[0] in ("runs",) or rel.startswith(("_", ".")):
            continue
        files[rel] = path
    return files


def rows_of(path, drop):
    t = pq.read_table(path)
    t = t.drop_columns([c for c in drop if c in t.column_names])
    names = t.column_names
    rows = [tuple(r[n] for n in names) for r in t.to_pylist()]
    # None sorts first, like the outputs themselves.
    return names, sorted(rows, key=lambda r: [(v is not None, v) for v in r])


def compare_outputs(raw_out, rolled_out, case):
    raw, rolled = published(raw_out), published(rolled_out)
    keep = {k for k in raw if not k.startswith("rejects" + os.sep)}
    check(keep == {k for k in rolled if not k.startswith("rejects" + os.sep)},
          f"{case}: published files differ: {sorted(set(raw) ^ set(rolled))}")
    datasets = sorted({k.split(os.sep)[0] for k in keep})
    for required in ("ledger", "payouts", "scores", "sanctions", "settlement_stop", "held"):
        check(required in datasets, f"{case}: no {required} dataset was published")
    compared = 0
    for rel in sorted(keep):
        drop = ["run_id"] + (["quantity"] if rel.startswith("held" + os.sep) else [])
        a_names, a = rows_of(raw[rel], drop)
        b_names, b = rows_of(rolled[rel], drop)
        check(a_names == b_names, f"{case}: {rel}: columns {a_names} vs {b_names}")
        check(len(a) == len(b), f"{case}: {rel}: {len(a)} rows raw, {len(b)} rolled")
        for x, y in zip(a, b):
            check(x == y, f"{case}: {rel}: raw row {dict(zip(a_names, x))}\n"
                          f"  differs from rolled row {dict(zip(b_names, y))}")
        compared += len(a)
        if rel.startswith("held" + os.sep):
            check_held_quantity(raw[rel], rolled[rel], case)
    return datasets, compared


def check_held_quantity(raw_path, rolled_path, case):
    """held.quantity counts input rows: sales rows are not touched by the
    roll-up, so their counts must be equal; usage rows are merged, so each
    rolled count is between 1 and the raw count (basis is compared above)."""
    def by_key(path):
        return {(r["partner_id"], r["component"], r["category"], r["reason"]): r["quantity"]
                for r in pq.read_table(path).to_pylist()}
    a, b = by_key(raw_path), by_key(rolled_path)
    for key, n in a.items():
        if key[1] == "sa_sales":
            check(b[key] == n, f"{case}: held {key}: {n} sales rows raw, {b[key]} rolled")
        else:
            check(1 <= b[key] <= n, f"{case}: held {key}: {n} usage rows raw, {b[key]} rolled")


def money_rows(out, dataset):
    files = [p for r, p in published(out).items() if r.startswith(dataset + os.sep)]
    return sum(pq.read_metadata(p).num_rows for p in files)


def usage_rejects(out):
    """(reason, record_id as written) of every rejected usage row."""
    files = [p for r, p in published(out).items() if r.startswith("rejects" + os.sep)]
    got = []
    for p in files:
        for r in pq.read_table(p).to_pylist():
            if r["source"] == "usage":
                got.append((r["reason"], r["raw"].split(",")[0]))
    return sorted(got)


def rolled_id(partner, customer, product, date_text):
    """The record_id that docs/scale-out.md promises for a rolled key."""
    key = "|".join(f"{len(v)}:{v}" for v in (partner, customer, product)) + "|" + date_text
    return PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def check_rolled_file(rolled_path, raw_table, case, min_factor):
    rolled = pq.read_table(rolled_path)
    raw_n, n = raw_table.num_rows, rolled.num_rows
    check(sum(rolled.column("rollup_rows").to_pylist()) == raw_n,
          f"{case}: rollup_rows sums to {sum(rolled.column('rollup_rows').to_pylist())}, "
          f"the raw month has {raw_n} rows")
    check(n * min_factor <= raw_n, f"{case}: {n} rolled rows from {raw_n} raw: not {min_factor}x fewer")
    ids = rolled.column("record_id").to_pylist()
    rolled_ids = [i for i in ids if i is not None and i.startswith(PREFIX)]
    check(len(set(rolled_ids)) == len(rolled_ids), f"{case}: a rolled record_id repeats")
    for r in rolled.to_pylist():
        if r["rollup_rows"] > 1 or (r["record_id"] or "").startswith(PREFIX + "0"):
            want = rolled_id(r["partner_id"], r["customer_id"], r["product_code"], str(r["usage_date"]))
            check(r["record_id"] == want, f"{case}: rolled row {r} should have record_id {want}")
    # Same input, same bytes of data: rows are sorted by every column.
    return n


# --- faults ---------------------------------------------------------------


def with_bad_rows(clean, partners_ok, period_dates):
    """The clean raw rows plus faulty ones; returns (table, expected rejects
    by (reason, id)) - what settle must reject on the raw month."""
    rows = clean.to_pylist()
    first, second = rows[0], rows[1]
    d = decimal.Decimal
    bad, expect = [], []

    def add(row, reason):
        bad.append(row)
        if reason:
            # rejects.raw shows the id as written (untrimmed; null as empty).
            expect.append((reason, row["record_id"] or ""))

    # An exact copy: the first copy stays accepted, the second is DUPLICATE_ROW.
    add(dict(first), "DUPLICATE_ROW")
    # An id reused with another amount: every row with that id is DUPLICATE_ID.
    add({**second, "amount": second["amount"] + d("1.00")}, "DUPLICATE_ID")
    expect.append(("DUPLICATE_ID", second["record_id"]))
    add({**first, "record_id": "NEG-1", "amount": d("-3.50")}, "NEGATIVE_AMOUNT")
    add({**first, "record_id": "NULL-AMT", "amount": None}, "MISSING_FIELD")
    add({**first, "record_id": None}, "MISSING_FIELD")
    add({**first, "record_id": "NO-CUST", "customer_id": ""}, "MISSING_FIELD")
    add({**first, "record_id": "UNK-P-1", "partner_id": "P_NOT_THERE", "amount": d("7.00")}, "UNKNOWN_PARTNER")
    add({**first, "record_id": "UNK-P-2", "partner_id": "P_NOT_THERE", "amount": d("8.00")}, "UNKNOWN_PARTNER")
    add({**first, "record_id": "UNK-X-1", "product_code": "NO_SUCH_PRODUCT"}, "UNKNOWN_PRODUCT")
    add({**first, "record_id": "OOP-1", "usage_date": period_dates[0]}, "OUT_OF_PERIOD")
    add({**first, "record_id": "OOP-2", "usage_date": period_dates[1]}, "OUT_OF_PERIOD")
    # A reused id with white space round it: settle trims, so these two are
    # the same id with different amounts (DUPLICATE_ID for both).
    add({**first, "record_id": "WS-1", "amount": d("1.00")}, "DUPLICATE_ID")
    add({**first, "record_id": " WS-1\u3000", "amount": d("2.00")}, "DUPLICATE_ID")
    # An id in the roll-up's own space: valid, accepted by settle, and so
    # passed through by the roll-up rather than rolled up.
    add({**first, "record_id": PREFIX + "not-a-hash", "amount": d("4.00")}, None)
    # A valid row whose id, once trimmed, is the rolled id of a key: settle
    # accepts it raw. Rolled, that key's rows must go through as read, or
    # its rolled row and this one would both be DUPLICATE_ID.
    third = rows[2]
    taken = rolled_id(third["partner_id"], third["customer_id"], third["product_code"],
                      str(third["usage_date"]))
    add({**first, "record_id": " " + taken, "amount": d("5.00")}, None)
    table = pa.concat_tables([clean, pa.Table.from_pylist(bad, schema=clean.schema)])
    return table, sorted(expect)


def as_text(table):
    """Every usage column as a string column, as a CSV-like export has it."""
    out = {}
    for n in table.column_names:
        vals = table.column(n).to_pylist()
        out[n] = pa.array([None if v is None else str(v) for v in vals], type=pa.string())
    return pa.table(out)


def with_text_faults(text, base_row):
    d = dict(base_row)
    faults = [
        ({**d, "record_id": "T-BADNUM", "amount": "12,50"}, "BAD_NUMBER"),
        ({**d, "record_id": "T-3DEC", "amount": "1.500"}, "TOO_MANY_DECIMALS"),
        ({**d, "record_id": "T-NEG0", "amount": "-0"}, "NEGATIVE_AMOUNT"),
        ({**d, "record_id": "T-BADDATE", "usage_date": "2026-02-30"}, "BAD_DATE"),
        ({**d, "record_id": "T-SHORTDATE", "usage_date": d["usage_date"][:8] + "5"}, "BAD_DATE"),
        ({**d, "record_id": "T-EMPTY-AMT", "amount": "  "}, "MISSING_FIELD"),
        # Valid once trimmed: settle accepts these, so they must reach it and
        # count in the money (the roll-up does not trim; it passes them on).
        ({**d, "record_id": "T-PAD", "amount": " 12.5 ", "customer_id": " " + d["customer_id"]}, None),
        ({**d, "record_id": "T-PADDATE", "usage_date": "\t" + d["usage_date"]}, None),
        ({**d, "record_id": "T-NEWLINE", "amount": "12.50\n"}, None),
    ]
    expect = [(r, f["record_id"]) for f, r in faults if r]
    rows = pa.Table.from_pylist([f for f, _ in faults], schema=text.schema)
    return pa.concat_tables([text, rows]), expect


# --- cases ----------------------------------------------------------------


def pair(spark, settle, work, name, src_dir, period, raw_usage, min_factor, expect=0):
    """Settle `raw_usage` raw and rolled up; returns both outputs and the
    rolled file."""
    raw_root = lay_month(src_dir, os.path.join(work, name + "-raw"), period, raw_usage)
    t0 = time.time()
    rolled = rollup(spark, os.path.join(raw_root, period, "usage.parquet"),
                    os.path.join(work, name + "-rolled-spark"))
    spark_s = time.time() - t0
    n = check_rolled_file(rolled, raw_usage, name, min_factor)
    rolled_root = lay_month(src_dir, os.path.join(work, name + "-rolled"), period, rolled)
    raw_out = settle_run(settle, work, name + "-raw", raw_root, period)
    rolled_out = settle_run(settle, work, name + "-rolled", rolled_root, period, expect)
    print(f"  {name}: {raw_usage.num_rows} raw usage rows -> {n} rolled ({spark_s:.1f} s in Spark)")
    return raw_out, rolled_out


def case_clean(spark, settle, work, period="2026-10", v2=False, name="clean", seed=11):
    src = generate(settle, os.path.join(work, name + "-gen"), period, 80, 6000, seed, v2)
    raw = split_rows(pq.read_table(os.path.join(src, "usage.parquet")), seed)
    raw_out, rolled_out = pair(spark, settle, work, name, src, period, raw, 5)
    datasets, compared = compare_outputs(raw_out, rolled_out, name)
    check(money_rows(raw_out, "ledger") > 0, f"{name}: the ledger is empty: nothing was compared")
    check(usage_rejects(raw_out) == [] and usage_rejects(rolled_out) == [],
          f"{name}: a clean month has usage rejects")
    if v2:
        check(money_rows(raw_out, "held") > 0, f"{name}: nothing held: the v2 rules went unchecked")
    print(f"  {name}: equal: {', '.join(datasets)} ({compared} rows)")
    return src, raw


def case_bad(spark, settle, work, src, clean, period, text=False):
    name = "text" if text else "bad"
    y, m = map(int, period.split("-"))
    import datetime
    outside = [datetime.date(y, m, 1) - datetime.timedelta(days=1),
               datetime.date(y + (m == 12), m % 12 + 1, 1)]
    raw, expect = with_bad_rows(clean, None, outside)
    if text:
        raw = as_text(raw)
        raw, more = with_text_faults(raw, raw.slice(5, 1).to_pylist()[0])
        expect = sorted(expect + more)
    raw_out, rolled_out = pair(spark, settle, work, name, src, period, raw, 3)
    check(usage_rejects(raw_out) == expect,
          f"{name}: the raw month's usage rejects are not the planted ones:\n"
          f"  got      {usage_rejects(raw_out)}\n  expected {expect}")
    # Rows the roll-up cannot prove valid reach settle as read: the same
    # rejects with the same ids, except the key-level reasons (unknown
    # partner or product, out of period), which come as one rolled row per key.
    rolled_rejects = usage_rejects(rolled_out)
    by_key = {"UNKNOWN_PARTNER", "UNKNOWN_PRODUCT", "OUT_OF_PERIOD"}
    check([r for r in rolled_rejects if r[0] not in by_key] == [r for r in expect if r[0] not in by_key],
          f"{name}: rows were not passed through as read:\n  rolled rejects {rolled_rejects}")
    for reason in by_key:
        n_raw = sum(1 for r in expect if r[0] == reason)
        rolled_ids = [i for r, i in rolled_rejects if r == reason]
        check(1 <= len(rolled_ids) <= n_raw and all(i.startswith(PREFIX) for i in rolled_ids),
              f"{name}: {reason}: {n_raw} raw rejects became {rolled_ids}")
    if text:
        # Valid only once trimmed: not rolled up (no trimming upstream), but
        # handed to settle as read, which trims and accepts them.
        rolled = pq.read_table(os.path.join(work, name + "-rolled", period, "usage.parquet"))
        as_read = {(r["record_id"], r["amount"], r["usage_date"], r["customer_id"])
                   for r in rolled.to_pylist()}
        for r in raw.to_pylist():
            if r["record_id"] in ("T-PAD", "T-PADDATE", "T-NEWLINE"):
                check((r["record_id"], r["amount"], r["usage_date"], r["customer_id"]) in as_read,
                      f"{name}: {r} was not passed through as read")
    datasets, compared = compare_outputs(raw_out, rolled_out, name)
    print(f"  {name}: {len(expect)} planted rejects passed through; equal: {compared} rows")


def case_limit(spark, settle, work, src, clean, period):
    """0.5% negative amounts: under the 1% limit raw, above it rolled up."""
    rows = clean.slice(0, clean.num_rows // 200).to_pylist()
    for i, r in enumerate(rows):
        r["record_id"] = f"LIMIT-{i}"
        r["amount"] = -r["amount"] - decimal.Decimal("0.01")
    raw = pa.concat_tables([clean, pa.Table.from_pylist(rows, schema=clean.schema)])
    pair(spark, settle, work, "limit", src, period, raw, 3, expect=3)
    print(f"  limit: {len(rows)} rejects of {raw.num_rows} rows pass raw; rolled up they fail (exit 3)")


def case_types(spark, settle, work, src, clean, period):
    fen = [int(a * 100) for a in clean.column("amount").to_pylist()]
    raw = clean.set_column(clean.column_names.index("amount"), "amount", pa.array(fen, pa.int64()))
    root = lay_month(src, os.path.join(work, "types-raw"), period, raw)
    settle_run(settle, work, "types-raw", root, period, expect=2)
    print("  types: an integer amount column (Spark's error trace below is expected)", flush=True)
    try:
        rollup(spark, os.path.join(root, period, "usage.parquet"), os.path.join(work, "types-spark"))
    except Mismatch:
        raise
    except Exception as e:  # Spark's error for raise_error(): any class will do
        check("usage_rollup: settle accepts only" in str(e),
              f"types: the roll-up failed, but not on its type check: {str(e)[:500]}")
        print("  types: it stops the roll-up, as it stops settle (exit 2)")
        return
    raise Mismatch("types: the roll-up accepted an integer amount column that settle refuses")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("settle")
    ap.add_argument("--keep", help="work in this folder and keep it")
    ap.add_argument("--cases", default="clean,bad,text,limit,types,v2")
    args = ap.parse_args()
    settle = os.path.abspath(args.settle)
    work = args.keep or tempfile.mkdtemp(prefix="rollup-test-")
    if args.keep:
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
    cases = args.cases.split(",")
    spark = spark_session()
    try:
        period = "2026-10"
        src, clean = case_clean(spark, settle, work, period)
        if "bad" in cases:
            case_bad(spark, settle, work, src, clean, period)
        if "text" in cases:
            case_bad(spark, settle, work, src, clean, period, text=True)
        if "limit" in cases:
            case_limit(spark, settle, work, src, clean, period)
        if "types" in cases:
            case_types(spark, settle, work, src, clean, period)
        if "v2" in cases:
            case_clean(spark, settle, work, "2027-01", v2=True, name="v2", seed=12)
    except Mismatch as e:
        print(f"rollup test FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        spark.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("rollup test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
