#!/usr/bin/env bash
# Side-by-side benchmark of `karte record` against sadc (sysstat) and `atop -w`, recording the
# same host at the same interval for the same time; then `karte report --at` on a synthetic week.
#
#   bench/store/run.sh [SECONDS] [INTERVAL]      (default 600 s at 10 s; needs root for atop)
#
# Prints a table: bytes per reading on disk, CPU per reading (from /proc/PID/stat, the same way
# for all three), resident memory, and the ratios against atop and sadc. Not a test: figures
# depend on the host. Uses CARGO_TARGET_DIR if set.
set -euo pipefail
DUR=${1:-600}
IV=${2:-10}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
export CARGO_TARGET_DIR=$TARGET
if [ "${KARTE_BENCH_NO_BUILD:-}" != 1 ]; then
  cargo build --release -q -p karte --manifest-path "$ROOT/Cargo.toml"
  cargo build --release -q -p karte-store --examples --manifest-path "$ROOT/Cargo.toml"
fi
KARTE=$TARGET/release/karte
STATS=$TARGET/release/examples/store_stats
GEN=$TARGET/release/examples/gen_week
SADC=/usr/lib/sysstat/sadc
command -v atop >/dev/null || { echo "atop is not installed (apt-get install atop)"; exit 1; }
[ -x $SADC ] || { echo "sadc is not installed (apt-get install sysstat)"; exit 1; }
W=$(mktemp -d /tmp/karte-bench.XXXXXX)
trap 'kill $KP $SP $AP 2>/dev/null || true' EXIT

"$KARTE" record --db "$W/karte.db" --interval "$IV" --retention 30 2>"$W/karte.log" & KP=$!
$SADC -S XALL "$IV" "$W/sa.data" & SP=$!
atop -w "$W/atop.raw" "$IV" >/dev/null 2>&1 & AP=$!
sleep "$DUR"
sleep 2

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
declare -A CPU RSS HWM
for n in karte:$KP sadc:$SP atop:$AP; do
  name=${n%%:*}; pid=${n##*:}
  CPU[$name]=$(ticks "$pid"); RSS[$name]=$(kb "$pid" VmRSS); HWM[$name]=$(kb "$pid" VmHWM)
done
NPROC=$(ls /proc | grep -c '^[0-9]')
kill -TERM $KP $SP $AP; wait $KP $SP $AP 2>/dev/null || true
HZ=$(getconf CLK_TCK)

SAMPLES=$(sqlite3 "$W/karte.db" "select count(*) from samples")
LEFT=$($STATS "$W/karte.db")
SEALED=$($STATS "$W/karte.db" --seal)
"$KARTE" record --db "$W/one.db" --count 1 2>/dev/null
ONE=$($STATS "$W/one.db" --seal)
S_FILE=$(stat -c %s "$W/sa.data")
A_FILE=$(stat -c %s "$W/atop.raw")
python3 - "$SAMPLES" "$DUR" "$IV" "$HZ" "$NPROC" "$S_FILE" "$A_FILE" "${CPU[karte]}" "${CPU[sadc]}" "${CPU[atop]}" \
  "${RSS[karte]}" "${RSS[sadc]}" "${RSS[atop]}" "${HWM[karte]}" "${HWM[sadc]}" "${HWM[atop]}" "$LEFT" "$SEALED" "$ONE" <<'PY'
import json, sys
a = sys.argv[1:]
n, dur, iv, hz, nproc = int(a[0]), float(a[1]), float(a[2]), int(a[3]), int(a[4])
sfile, afile = int(a[5]), int(a[6])
cpu = dict(zip(["karte", "sadc", "atop"], map(int, a[7:10])))
rss = dict(zip(["karte", "sadc", "atop"], map(int, a[10:13])))
hwm = dict(zip(["karte", "sadc", "atop"], map(int, a[13:16])))
left, sealed, one = json.loads(a[16]), json.loads(a[17]), json.loads(a[18])
# sadc and atop write one record per interval (plus a header): the same number of readings.
readings = {"karte": n, "sadc": n, "atop": n}
size = {"karte (as left)": (left["file_bytes"], n), "karte (sealed)": (sealed["file_bytes"], n),
        "karte marginal": (sealed["file_bytes"] - one["file_bytes"], n - 1), "sadc -S XALL": (sfile, n), "atop -w": (afile, n)}
print(f"\n{n} readings at {iv:g} s over {dur:g} s; {nproc} processes on the host; USER_HZ {hz}")
print(f"(a store holding one reading, sealed, is {one['file_bytes']} bytes: tables and indexes; 'marginal' leaves it out)\n")
print(f"{'recorder':<18}{'bytes':>12}{'bytes/reading':>15}{'vs atop':>9}{'vs sadc':>9}")
for k, (v, m) in size.items():
    per = v / max(1, m)
    print(f"{k:<18}{v:>12}{per:>15.0f}{per / (afile / n):>9.3f}{per / (sfile / n):>9.3f}")
hostn = sealed["host_numbers_per_reading"]
print(f"\nkarte host numbers per reading: {hostn}; sealed host chunks {sealed['host_chunk_bytes']} B "
      f"= {sealed['host_chunk_bytes'] / max(1, n * hostn):.3f} bytes per numeric host sample")
print(f"karte process chunks {sealed['proc_chunk_bytes']} B = {sealed['proc_chunk_bytes'] / max(1, n):.0f} bytes per process table "
      f"({sealed['proc_chunk_bytes'] / max(1, n * nproc):.2f} bytes per process per reading); strings {sealed['strings_bytes']} B")
print(f"\n{'recorder':<10}{'CPU ms/reading':>16}{'vs atop':>9}{'RSS kB':>9}{'peak kB':>9}")
for k in ["karte", "sadc", "atop"]:
    ms = cpu[k] * 1000 / hz / readings[k]
    print(f"{k:<10}{ms:>16.2f}{ms / max(1e-9, cpu['atop'] * 1000 / hz / n):>9.3f}{rss[k]:>9}{hwm[k]:>9}")
PY
echo
grep -h "stopped after" "$W/karte.log" || true

# report --at on a synthetic week of 10 s readings.
"$GEN" "$W/week.db" 7 10
MID=$(( $(date +%s) - 3 * 86400 - 4321 ))
for i in $(seq 1 11); do
  s=$(date +%s%N); "$KARTE" report --db "$W/week.db" --at "$MID" --format json >/dev/null; e=$(date +%s%N)
  echo $(( (e - s) / 1000000 ))
done | sort -n | awk '{a[NR]=$1} END {printf "report --at on a week of 10 s readings: median %d ms (min %d, max %d, %d runs)\n", a[int((NR+1)/2)], a[1], a[NR], NR}'
s=$(date +%s%N); "$KARTE" report --db "$W/week.db" --at "$MID" >/dev/null; e=$(date +%s%N)
echo "report --at (text) once: $(( (e - s) / 1000000 )) ms; week file: $(stat -c %s "$W/week.db") bytes"
rm -rf "$W"
