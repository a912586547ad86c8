#!/usr/bin/env bash
# `just bench`: generate synthetic months, time `settle run` on each (median of
# 3, whole process, /usr/bin/time -v), time DuckDB's core usage aggregation on
# the same files, and write the table into docs/performance.md.
#
#   SIZES="2000000 20000000" (usage rows), FORMATS="csv parquet",
#   BENCH_DIR=/tmp/settle-bench, BENCH_100M=1 adds a 100M-row Parquet month,
#   BENCH_1B=1 a 1,000,000,000-row Parquet month (about 11 GB, generated row
#   group by row group; settle and DuckDB run once each on it, not three times;
#   its record-id hashes go to about 8 GB of files under TMPDIR),
#   BENCH_V2=0 leaves out the months with the channel inputs (generate --v2,
#   settled under the v2 policy), which run for the largest size by default;
#   BENCH_SPREAD=0 leaves out the months whose customers buy from any partner
#   (generate --customer-spread any --customers 10000000: nearly every row its
#   own (partner, customer) pair), also at the largest size (and at 100M rows
#   with BENCH_100M=1);
#   BENCH_LONG=0 leaves out the Parquet month of the largest size rewritten
#   with long ids (bench/long_ids.py: 27-byte partner ids, 34-byte customer
#   ids, written by DuckDB rather than polars).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/settle-target}"
SIZES="${SIZES:-2000000 20000000}"
FORMATS="${FORMATS:-csv parquet}"
BENCH_DIR="${BENCH_DIR:-/tmp/settle-bench}"
PERIOD=2026-10
PARTNERS=30000
[ "${BENCH_100M:-0}" = 1 ] && SIZES="$SIZES 100000000"
[ "${BENCH_1B:-0}" = 1 ] && SIZES="$SIZES 1000000000"

command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
python3 -c "import duckdb" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check duckdb
cargo build --release --quiet
settle="$CARGO_TARGET_DIR/release/settle"
mkdir -p "$BENCH_DIR"

# Each case: usage rows, format, and "v1" or "v2" (the channel inputs).
cases=()
for size in $SIZES; do
  for format in $FORMATS; do
    [ "$size" -ge 100000000 ] && [ "$format" = csv ] && continue
    cases+=("$size $format v1")
  done
done
largest=$(printf '%s\n' $SIZES | awk '$1 < 100000000' | sort -g | tail -1)
if [ "${BENCH_V2:-1}" = 1 ]; then
  for format in $FORMATS; do cases+=("$largest $format v2"); done
fi
if [ "${BENCH_LONG:-1}" = 1 ] && [[ " $FORMATS " == *" parquet "* ]]; then
  cases+=("$largest parquet long")
fi
if [ "${BENCH_SPREAD:-1}" = 1 ]; then
  for format in $FORMATS; do cases+=("$largest $format any"); done
  # The spread shape at 100M rows too (Parquet), when that size is asked for.
  [ "${BENCH_100M:-0}" = 1 ] && cases+=("100000000 parquet any")
fi

rows_md=""
for case in "${cases[@]}"; do
    read -r size format inputs <<< "$case"
    if [ "$inputs" = v2 ]; then
      period=2027-01; extra=(--v2); root="$BENCH_DIR/$format-$size-v2"
    elif [ "$inputs" = any ]; then
      period=$PERIOD; extra=(--customer-spread any --customers 10000000); root="$BENCH_DIR/$format-$size-any"
    else
      period=$PERIOD; extra=(); root="$BENCH_DIR/$format-$size"
    fi
    if [ "$inputs" = long ]; then
      root="$BENCH_DIR/$format-$size-long"
      source_root="$BENCH_DIR/$format-$size"
      if [ ! -d "$source_root/$period" ]; then
        "$settle" generate --period "$period" --partners "$PARTNERS" --usage-rows "$size" --seed 1 --format "$format" --out "$source_root"
      fi
      [ -d "$root/$period" ] || python3 bench/long_ids.py "$source_root/$period" "$root/$period"
    elif [ ! -d "$root/$period" ]; then
      echo "generating $size usage rows as $format ($inputs)"
      "$settle" generate --period "$period" --partners "$PARTNERS" --usage-rows "$size" --seed 1 --format "$format" --out "$root" "${extra[@]}"
    fi
    cat > "$root/settle.toml" <<TOML
input_root = "."
output_root = "out"
policy_dir = "$PWD/pipelines/policies"
history_starts = "$period"
TOML
    walls=(); cpus=(); rss=()
    runs=3; [ "$size" -ge 1000000000 ] && runs=1
    for i in $(seq "$runs"); do
      rm -rf "$root/out"
      RUST_LOG=warn /usr/bin/time -v -o "$root/time.txt" "$settle" --config "$root/settle.toml" run --period "$period" > /dev/null
      wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$root/time.txt")
      cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u+s}' "$root/time.txt")
      mem=$(awk -F': ' '/Maximum resident set size/ {printf "%.2f", $2/1048576}' "$root/time.txt")
      walls+=("$wall"); cpus+=("$cpu"); rss+=("$mem")
      echo "  $format $size $inputs run $i: ${wall}s wall, ${cpu}s cpu, ${mem} GiB"
    done
    med() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
    w=$(med "${walls[@]}"); c=$(med "${cpus[@]}"); m=$(med "${rss[@]}")
    rps=$(awk -v n="$size" -v w="$w" 'BEGIN {printf "%.1f", n/w/1e6}')
    read -r duck _ < <(python3 bench/duckdb_core.py "$root/$period" "$period" "$runs")
    ratio=$(awk -v a="$w" -v b="$duck" 'BEGIN {printf "%.2f", a/b}')
    rows_md+="| $size | $format | $inputs | $w | $c | $m | $rps | $duck | $ratio |"$'\n'
done

cpu_model=$(lscpu | awk -F': +' '/Model name/ {print $2; exit}')
{
  sed '/^<!-- bench:start -->/,$d' docs/performance.md
  echo "<!-- bench:start -->"
  echo "Last run: $(date -u +%Y-%m-%d), \`just bench\` (bench/run.sh), on $(nproc) cores ($cpu_model), $(free -g | awk '/Mem:/ {print $2}') GiB, $(rustc --version), settle $(grep -m1 '^version' Cargo.toml | cut -d'"' -f2)."
  echo
  echo "| usage rows | format | inputs | wall s (median of 3) | CPU s | peak GiB | M rows/s | DuckDB core s | settle / DuckDB |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf '%s' "$rows_md"
} > docs/performance.md.new
mv docs/performance.md.new docs/performance.md
echo "wrote docs/performance.md"
