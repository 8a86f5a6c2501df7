#!/usr/bin/env bash
# Throughput of `karte events --input FILE` against `grep -c 'Killed process' FILE` on the same
# generated log, in the same run: medians of several runs, MB/s and the ratio.
#
#   bench/kmsg/run.sh                  # 1 GiB log under /tmp, 5 runs each, file removed after
#   SIZE_MB=256 RUNS=3 bench/kmsg/run.sh
#   KEEP=1 FILE=/tmp/big.log bench/kmsg/run.sh   # keep the log for another run
#
# Both are run pinned to one CPU (taskset) with the file in the page cache (it is read once
# before timing), so the figures compare parsing, not the disk. This is a benchmark to read,
# not a test: nothing fails on a slow machine. Target (issue 3): >= 500 MB/s, within 2x grep.
set -euo pipefail

SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-5}
FILE=${FILE:-/tmp/karte-kmsg-bench.log}
KEEP=${KEEP:-0}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}

echo "== building (release)"
(cd "$repo" && cargo build --release -p karte --quiet)
karte="$target/release/karte"
gen="$target/release/karte-kmsg-genlog"
rustc --edition 2021 -O "$here/genlog.rs" -o "$gen"

echo "== generating ${SIZE_MB} MiB log at $FILE"
kills=$("$gen" --size-mb "$SIZE_MB" --out "$FILE")
bytes=$(stat -c %s "$FILE")
cat "$FILE" > /dev/null   # into the page cache

pin=()
if command -v taskset > /dev/null; then pin=(taskset -c 0); fi

now_ns() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

karte_t=(); grep_t=()
for i in $(seq "$RUNS"); do
  t0=$(now_ns)
  "${pin[@]}" "$karte" events --input "$FILE" --format json > /tmp/karte-kmsg-bench.out
  t1=$(now_ns)
  found=$("${pin[@]}" grep -c 'Killed process' "$FILE")
  t2=$(now_ns)
  karte_t+=($(( (t1 - t0) / 1000 )))
  grep_t+=($(( (t2 - t1) / 1000 )))
  events=$(grep -c '"kind":"oom_kill"' /tmp/karte-kmsg-bench.out || true)
  awk -v i="$i" -v k="${karte_t[-1]}" -v e="$events" -v g="${grep_t[-1]}" -v f="$found" \
    'BEGIN { printf "run %d: karte %.3f s (%s oom_kill events), grep %.3f s (%s lines)\n", i, k / 1e6, e, g / 1e6, f }'
  if [ "$events" != "$kills" ]; then echo "!! karte found $events kills, the generator wrote $kills"; fi
done
rm -f /tmp/karte-kmsg-bench.out

km=$(printf '%s\n' "${karte_t[@]}" | median)
gm=$(printf '%s\n' "${grep_t[@]}" | median)
awk -v b="$bytes" -v k="$km" -v g="$gm" -v runs="$RUNS" 'BEGIN {
  mb = b / 1e6
  printf "\nfile: %.0f MB, %d runs each, medians:\n", mb, runs
  printf "  karte events --input: %.3f s  %7.0f MB/s\n", k / 1e6, mb / (k / 1e6)
  printf "  grep -c Killed process: %.3f s  %7.0f MB/s\n", g / 1e6, mb / (g / 1e6)
  printf "  karte / grep time ratio: %.2f  (target: <= 2.0; >= 500 MB/s)\n", k / g
}'

if [ "$KEEP" != 1 ]; then rm -f "$FILE"; fi
