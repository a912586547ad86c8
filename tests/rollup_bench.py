#!/usr/bin/env python3
"""Time the warehouse roll-up against settling the raw month (docs/scale-out.md).

    python3 tests/rollup_bench.py SETTLE_BINARY RAW_ROWS [--per-key 10] [--dir DIR]

Generates a month of RAW_ROWS / per-key usage rows (`settle generate`, 30,000
partners, Parquet), splits every row into `per-key` raw rows of the same key
(amounts split exactly in fen, new ids, shuffled), then times, each as a whole:
the roll-up in PySpark local[2] (session start apart), `settle run` on the raw
month, and `settle run` on the rolled month. Both runs must publish the same
ledger. Run it niced: the figures are for a shared 2-core machine.
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rollup as t  # noqa: E402  the test's runner, so both run the SQL alike


def split(usage, k, seed):
    """Each row as k rows: fen // k each, the remainder spread over the first
    ones, so the pieces sum back exactly."""
    # settle writes string_view, which `take` does not handle yet.
    usage = usage.cast(pa.schema([
        pa.field(f.name, pa.string() if f.type == pa.string_view() else f.type)
        for f in usage.schema]))
    n = usage.num_rows
    idx = np.repeat(np.arange(n), k)
    j = np.tile(np.arange(k), n)
    fen = pc.cast(pc.multiply(usage.column("amount"), 100), pa.int64()).to_numpy()
    piece = fen[idx] // k + (j < (fen[idx] % k))
    out = usage.take(pa.array(idx))
    ids = pc.binary_join_element_wise(out.column("record_id"),
                                      pa.array(j.astype(str)), "-")
    # Decimal128 is a 16-byte integer of fen at scale 2: build it directly
    # (exact, and fast at 20M rows); pieces are >= 0, so the high word is 0.
    words = np.zeros((len(piece), 2), dtype=np.int64)
    words[:, 0] = piece
    amounts = pa.Array.from_buffers(pa.decimal128(18, 2), len(piece),
                                    [None, pa.py_buffer(words.tobytes())])
    out = out.set_column(0, "record_id", ids)
    out = out.set_column(out.column_names.index("amount"), "amount", amounts)
    perm = np.random.default_rng(seed).permutation(out.num_rows)
    return out.take(pa.array(perm))


def timed(cmd, env=None):
    """(wall, CPU) seconds of a command."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return time.perf_counter() - start, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("settle")
    ap.add_argument("raw_rows", type=int)
    ap.add_argument("--per-key", type=int, default=10)
    ap.add_argument("--dir", default="/tmp/rollup-bench")
    ap.add_argument("--driver-memory", default="6g")
    args = ap.parse_args()
    settle, period = os.path.abspath(args.settle), "2026-10"
    base = os.path.join(args.dir, f"{args.raw_rows}")
    for old in glob.glob(base) + glob.glob(base + "-*"):
        shutil.rmtree(old, ignore_errors=True)
    src = t.generate(settle, base + "-gen", period, 30000, args.raw_rows // args.per_key, 1)
    raw = split(pq.read_table(os.path.join(src, "usage.parquet")), args.per_key, 1)
    raw_root = t.lay_month(src, base + "-raw", period, raw)
    raw_rows = raw.num_rows
    del raw

    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master("local[2]")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.memory", args.driver_memory)
             # 200 (the default) tiny tasks per stage cost more than the
             # work on 2 cores: the cached tables keep their partitions.
             .config("spark.sql.shuffle.partitions", "8")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    # CPU seconds of the JVM too: on a busy shared machine they vary less
    # than wall time.
    pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()

    def jvm_cpu():
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    start, cpu0 = time.perf_counter(), jvm_cpu()
    rolled = t.rollup(spark, os.path.join(raw_root, period, "usage.parquet"), base + "-spark")
    spark_s, spark_cpu = time.perf_counter() - start, jvm_cpu() - cpu0
    spark.stop()
    rolled_rows = pq.read_metadata(rolled).num_rows
    rolled_root = t.lay_month(src, base + "-rolled", period, rolled)

    env = {**os.environ, "RUST_LOG": "warn"}
    result = {}
    for name, root in (("raw", raw_root), ("rolled", rolled_root)):
        out = os.path.join(base, name + "-out")
        cfg = os.path.join(base, name + ".toml")
        os.makedirs(base, exist_ok=True)
        with open(cfg, "w") as f:
            f.write(f'input_root = "{root}"\noutput_root = "{out}"\n'
                    f'policy_dir = "{t.POLICIES}"\nhistory_starts = "{period}"\n')
        walls = []
        for _ in range(2):
            shutil.rmtree(out, ignore_errors=True)
            walls.append(timed([settle, "--config", cfg, "run", "--period", period], env))
        result[name] = (min(walls), out)  # (wall, cpu) of the faster run
    _, compared = t.compare_outputs(result["raw"][1], result["rolled"][1], "bench")
    size = lambda p: os.path.getsize(p) / 2**20  # noqa: E731
    print(f"raw rows {raw_rows}  ({size(os.path.join(raw_root, period, 'usage.parquet')):.0f} MiB)")
    print(f"rolled rows {rolled_rows}  ({size(rolled):.0f} MiB)")
    print(f"spark roll-up {spark_s:.1f} s wall, {spark_cpu:.1f} s CPU")
    for name in ("raw", "rolled"):
        wall, cpu = result[name][0]
        print(f"settle {name} {wall:.2f} s wall, {cpu:.2f} s CPU")
    print(f"outputs equal ({compared} rows)")
    shutil.rmtree(base + "-gen", ignore_errors=True)


if __name__ == "__main__":
    main()
