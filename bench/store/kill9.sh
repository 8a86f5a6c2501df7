#!/usr/bin/env bash
# kill -9 the real `karte record` at random moments, 40 times (20 readings a second), then check
# the database: PRAGMA integrity_check, and every reading read back by `karte report`.
#   bench/store/kill9.sh [KARTE_BINARY]
# (The same property is tested in `cargo test -p karte-store --test crash`, against the store.)
set -u
K=${1:-target/release/karte}
W=$(mktemp -d /tmp/karte-kill9.XXXXXX); DB=$W/k.db
for i in $(seq 1 40); do
  "$K" record --db "$DB" --interval 0.05 2>>"$W/log" & P=$!
  sleep "0.$(( RANDOM % 9 + 1 ))$(( RANDOM % 10 ))"
  kill -9 $P; wait $P 2>/dev/null
done
echo "integrity_check: $(sqlite3 "$DB" 'PRAGMA integrity_check')"
echo "readings (count, first, last seq): $(sqlite3 "$DB" 'select count(*), min(seq), max(seq) from samples')"
"$K" report --db "$DB" --since -1h --format json > "$W/period.json"; echo "report --since: exit $?, $(python3 -c "import json,sys;j=json.load(open(sys.argv[1]));print(j['readings'],'readings,',j['intervals_diagnosed'],'intervals diagnosed')" "$W/period.json")"
"$K" report --db "$DB" --at now --format json > "$W/at.json"; echo "report --at: exit $?, $(python3 -c "import json,sys;j=json.load(open(sys.argv[1]));print(len(j['processes']),'processes at reading',j['sample']['seq'])" "$W/at.json")"
rm -rf "$W"
