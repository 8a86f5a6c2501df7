#!/usr/bin/env python3
"""karte serve against node_exporter on the same host, same families: CPU per scrape and RSS.

Starts Debian's prometheus-node-exporter with the collectors of the families karte shares
(cpu, meminfo, loadavg, diskstats, netdev, vmstat, stat, pressure; its own go_/process_
metrics off) and `karte serve`, both on 127.0.0.1, and scrapes each N times over one keep-alive
connection, plain and with Accept-Encoding: gzip (what Prometheus sends). CPU per scrape is the
server's own utime+stime (from /proc/PID/stat) over the N scrapes divided by N; for karte, the
CPU its diagnosis loop spends in the same wall time (measured with no scrapes) is subtracted and
reported on its own. RSS is VmRSS after the runs; VmHWM is the peak. Medians of --runs runs.

This is a benchmark, not a test: it prints figures and asserts nothing.
Usage: bench.py [--karte PATH] [--scrapes N] [--runs N] [--interval SECS]
"""

import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def cpu_secs(pid):
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / HZ


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_up(port, timeout=30):
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/metrics")
            r = c.getresponse()
            r.read()
            c.close()
            if r.status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def scrape_many(port, n, gzip):
    headers = {"Accept-Encoding": "gzip"} if gzip else {}
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    size = 0
    for _ in range(n):
        c.request("GET", "/metrics", headers=headers)
        r = c.getresponse()
        body = r.read()
        if r.status != 200:
            raise RuntimeError(f"status {r.status}")
        size = len(body)
    c.close()
    return size


def per_scrape(pid, port, n, gzip, background_per_sec):
    c0, t0 = cpu_secs(pid), time.monotonic()
    size = scrape_many(port, n, gzip)
    c1, t1 = cpu_secs(pid), time.monotonic()
    raw = (c1 - c0) / n
    net = max(c1 - c0 - background_per_sec * (t1 - t0), 0.0) / n
    return raw, net, size


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--karte", default=os.path.join(here, "../../target/release/karte"))
    ap.add_argument("--scrapes", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--interval", type=float, default=5.0, help="karte serve --interval")
    ap.add_argument("--idle", type=float, default=30.0, help="seconds to measure karte's background CPU")
    a = ap.parse_args()

    ne_bin = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
    if not ne_bin:
        print("node_exporter not installed (apt-get install prometheus-node-exporter)")
        return 1
    if not os.access(a.karte, os.X_OK):
        print(f"{a.karte}: not built (cargo build --release -p karte)")
        return 1
    ne_port, k_port = free_port(), free_port()
    ne = subprocess.Popen(
        [ne_bin, "--collector.disable-defaults", "--web.disable-exporter-metrics",
         *[f"--collector.{c}" for c in ["cpu", "meminfo", "loadavg", "diskstats", "netdev", "vmstat", "stat", "pressure"]],
         f"--web.listen-address=127.0.0.1:{ne_port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    k = subprocess.Popen(
        [a.karte, "serve", "--listen", f"127.0.0.1:{k_port}", "--interval", str(a.interval)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not (wait_up(ne_port) and wait_up(k_port)):
            print("a server did not come up")
            return 1
        cpus = os.cpu_count()
        with open("/proc/loadavg") as f:
            load = f.read().split()[:3]
        nproc = sum(1 for d in os.listdir("/proc") if d.isdigit())
        print(f"host: {cpus} CPUs, {nproc} processes, load {' '.join(load)}")
        v = subprocess.run([ne_bin, "--version"], capture_output=True, text=True)
        print(f"node_exporter: {((v.stdout or '') + (v.stderr or '')).strip().splitlines()[:1]}")
        print(f"karte: {a.karte} serve --interval {a.interval}")
        for port in (ne_port, k_port):
            scrape_many(port, 200, False)
            scrape_many(port, 200, True)
        # karte's diagnosis loop runs whether or not anyone scrapes: measure it alone.
        c0, t0 = cpu_secs(k.pid), time.monotonic()
        n0 = cpu_secs(ne.pid)
        time.sleep(a.idle)
        k_bg = (cpu_secs(k.pid) - c0) / (time.monotonic() - t0)
        ne_bg = (cpu_secs(ne.pid) - n0) / (time.monotonic() - t0)
        print(f"background CPU with no scrapes: karte {k_bg * 1000:.2f} ms/s "
              f"({k_bg * a.interval * 1000:.1f} ms per diagnosis every {a.interval:g} s), node_exporter {ne_bg * 1000:.2f} ms/s")

        rows = []
        for gzip in (False, True):
            ne_v, k_raw, k_net = [], [], []
            sizes = {}
            for _ in range(a.runs):
                r, _, sizes["ne"] = per_scrape(ne.pid, ne_port, a.scrapes, gzip, 0.0)
                ne_v.append(r)
                r, n, sizes["k"] = per_scrape(k.pid, k_port, a.scrapes, gzip, k_bg)
                k_raw.append(r)
                k_net.append(n)
            rows.append(("gzip" if gzip else "plain", statistics.median(ne_v), statistics.median(k_raw),
                         statistics.median(k_net), sizes))

        ne_rss, k_rss = status_kb(ne.pid, "VmRSS"), status_kb(k.pid, "VmRSS")
        ne_hwm, k_hwm = status_kb(ne.pid, "VmHWM"), status_kb(k.pid, "VmHWM")
        print()
        print(f"CPU per scrape, medians of {a.runs} runs x {a.scrapes} scrapes")
        print("| encoding | node_exporter | karte (all CPU) | karte (scrape only) | ratio (scrape only) | body bytes ne / karte |")
        print("|---|---|---|---|---|---|")
        for enc, ne_m, k_m, k_n, sizes in rows:
            print(f"| {enc} | {ne_m * 1000:.3f} ms | {k_m * 1000:.3f} ms | {k_n * 1000:.3f} ms | "
                  f"{k_n / ne_m:.3f} (target <= 0.2) | {sizes['ne']} / {sizes['k']} |")
        print()
        print("| memory | node_exporter | karte | ratio |")
        print("|---|---|---|---|")
        print(f"| RSS after the runs | {ne_rss / 1024:.1f} MiB | {k_rss / 1024:.1f} MiB | {k_rss / ne_rss:.2f} (target < 0.5) |")
        print(f"| peak RSS (VmHWM) | {ne_hwm / 1024:.1f} MiB | {k_hwm / 1024:.1f} MiB | {k_hwm / ne_hwm:.2f} |")
    finally:
        for p in (ne, k):
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
