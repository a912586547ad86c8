#!/usr/bin/env bash
# What the Part II rules cost (issues 9 and 10): the 20M-row month with and
# without the channel inputs and the v2 policy, runs interleaved (v1, v2, v1,
# v2, ...) so that the machine's drift during the session hits both alike;
# prints the median wall time, CPU time and peak memory of each and the ratio.
# Uses the months `just bench` generated (run it first).
#
#   RUNS=5 FORMATS="csv parquet" BENCH_DIR=/tmp/settle-bench bash bench/v2_overhead.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/settle-target}"
RUNS="${RUNS:-5}"
FORMATS="${FORMATS:-csv parquet}"
BENCH_DIR="${BENCH_DIR:-/tmp/settle-bench}"
settle="$CARGO_TARGET_DIR/release/settle"
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for format in $FORMATS; do
  declare -A wall=() cpu=() mem=()
  for i in $(seq "$RUNS"); do
    for inputs in v1 v2; do
      if [ "$inputs" = v2 ]; then root="$BENCH_DIR/$format-20000000-v2"; period=2027-01
      else root="$BENCH_DIR/$format-20000000"; period=2026-10; fi
      [ -f "$root/settle.toml" ] || { echo "no $root/settle.toml: run just bench first" >&2; exit 2; }
      rm -rf "$root/out"
      RUST_LOG=warn /usr/bin/time -f "%e %U %S %M" -o "$root/time.txt" "$settle" --config "$root/settle.toml" run --period "$period" > /dev/null
      read -r w u s m < "$root/time.txt"
      wall[$inputs]+="$w "; cpu[$inputs]+="$(awk -v u="$u" -v s="$s" 'BEGIN {print u+s}') "
      mem[$inputs]+="$(awk -v m="$m" 'BEGIN {printf "%.2f", m/1048576}') "
    done
  done
  w1=$(med ${wall[v1]}); w2=$(med ${wall[v2]}); c1=$(med ${cpu[v1]}); c2=$(med ${cpu[v2]})
  m1=$(med ${mem[v1]}); m2=$(med ${mem[v2]})
  awk -v f="$format" -v w1="$w1" -v w2="$w2" -v c1="$c1" -v c2="$c2" -v m1="$m1" -v m2="$m2" -v n="$RUNS" 'BEGIN {
    printf "| %s | %d | %.2f | %.2f | %+.1f%% | %.2f | %.2f | %+.1f%% | %.2f | %.2f | %+.1f%% |\n",
      f, n, w1, w2, (w2/w1-1)*100, c1, c2, (c2/c1-1)*100, m1, m2, (m2/m1-1)*100 }'
  unset wall cpu mem
done
