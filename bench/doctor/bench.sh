#!/usr/bin/env bash
# Live doctor's overhead: wall time of `karte doctor --interval I` minus I, median of N runs.
# Target: within the interval plus 200 ms. A benchmark, not a test: it prints, asserts nothing.
#   bench/doctor/bench.sh [KARTE] [RUNS] [INTERVAL]
set -euo pipefail
karte=${1:-target/release/karte}
runs=${2:-9}
interval=${3:-2}
[ -x "$karte" ] || { echo "build first: cargo build --release (or pass the binary)" >&2; exit 2; }
measure() {
  local label=$1; shift
  local xs=()
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s%N)
    "$karte" doctor --interval "$interval" --format json "$@" >/dev/null || true
    t1=$(date +%s%N)
    xs+=($(( (t1 - t0) / 1000000 - interval * 1000 )))
  done
  local sorted med
  sorted=$(printf '%s\n' "${xs[@]}" | sort -n)
  med=$(printf '%s\n' "$sorted" | sed -n "$(( (runs + 1) / 2 ))p")
  printf '%-44s median overhead %4d ms over the %s s interval (runs: %s)\n' "$label" "$med" "$interval" "$(echo $sorted | tr '\n' ' ')"
}
echo "karte doctor, $(nproc) CPUs, $(ls -d /proc/[0-9]* | wc -l) processes, as $(id -un)"
measure "doctor (readings, kernel log, ARP check)"
measure "doctor --no-net (readings, kernel log)" --no-net
