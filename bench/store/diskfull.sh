#!/usr/bin/env bash
# The real `karte record` on a 1.5 MB tmpfs: it fills, the recorder says so once and goes on;
# the tmpfs grows, the recorder says writing resumed. Needs root (mount).
#   bench/store/diskfull.sh [KARTE_BINARY]
set -u
K=${1:-target/release/karte}
[ "$(id -u)" = 0 ] || { echo "SKIPPED: needs root to mount a tmpfs"; exit 0; }
M=$(mktemp -d /tmp/karte-full.XXXXXX)
mount -t tmpfs -o size=1500k tmpfs "$M" || { echo "SKIPPED: cannot mount a tmpfs here"; exit 0; }
"$K" record --db "$M/k.db" --interval 0.1 2>"$M.log" & P=$!
sleep 25; df -k "$M" | tail -1
mount -o remount,size=64m "$M"; sleep 3
kill -TERM $P; wait $P
cat "$M.log"
echo "integrity_check: $(sqlite3 "$M/k.db" 'PRAGMA integrity_check'); readings stored: $(sqlite3 "$M/k.db" 'select count(*) from samples')"
umount "$M"; rmdir "$M"; rm -f "$M.log"
