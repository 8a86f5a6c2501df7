#!/usr/bin/env bash
# Benchmark `karte serve` against Debian's prometheus-node-exporter on this host (same families):
# CPU per scrape and RSS, medians and ratios. Not a test: it prints figures and asserts nothing.
#
#   bench/serve/run.sh [--scrapes N] [--runs N] [--interval SECS]
#
# Needs: prometheus-node-exporter (apt-get install prometheus-node-exporter), python3, and for the
# optional load part wrk (apt-get install wrk): KARTE_BENCH_WRK=30 adds a 30 s run of 200
# connections against /metrics with RSS before and after.
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -p karte
python3 bench/serve/bench.py --karte "$target/release/karte" "$@"

if [ -n "${KARTE_BENCH_WRK:-}" ] && command -v wrk >/dev/null; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$target/release/karte" serve --listen "127.0.0.1:$port" >/dev/null 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  sleep 3
  rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
  echo
  echo "wrk -c 200 -d ${KARTE_BENCH_WRK}s against karte serve /metrics (RSS $(rss) KiB before)"
  wrk -t2 -c200 -d"${KARTE_BENCH_WRK}s" --timeout 10s --latency "http://127.0.0.1:$port/metrics"
  echo "RSS right after: $(rss) KiB"
  sleep 10
  echo "RSS 10 s later: $(rss) KiB"
  wrk -t2 -c200 -d10s --timeout 10s "http://127.0.0.1:$port/metrics" | grep -E "requests in|Socket errors|Non-2xx" || true
  echo "RSS after another 10 s run: $(rss) KiB"
fi
