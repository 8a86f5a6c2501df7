#!/bin/sh
# Validate `karte loadavg simulate` against this machine's kernel.
#
#   bench/loadavg/run.sh [OUT_DIR] [BUSY_LOOPS]
#
# Records /proc/loadavg for 2 min quiet + 10 min with BUSY_LOOPS busy loops + 5 min decay
# (about 17 minutes; run it under nohup), then compares with the simulation of the same
# activity and prints max and mean absolute errors of load1/5/15. Set KARTE to the karte binary
# (default: target/release/karte, built if missing). Other load on the box shows up as error:
# the comparison also prints a second simulation that adds the runnable tasks it saw.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-/tmp/karte-loadavg-bench}
busy=${2:-2}
karte=${KARTE:-$here/../../target/release/karte}
if [ ! -x "$karte" ]; then
    (cd "$here/../.." && cargo build --release -p karte)
fi
python3 "$here/record.py" --busy "$busy" --quiet 120 --load 600 --after 300 --out "$out"
python3 "$here/compare.py" "$out" --karte "$karte" | tee "$out/result.txt"
