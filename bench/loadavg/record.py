#!/usr/bin/env python3
"""Record /proc/loadavg around a known busy load, for validating `karte loadavg simulate`.

Phases: `--quiet` seconds with nothing added, then `--busy` busy-loop processes for `--load`
seconds, then `--after` seconds of decay. /proc/loadavg and the run-queue counters of /proc/stat
are read every `--every` seconds (default 1; the comparison uses every fifth reading, i.e. every
5 s). During the first `--probe` seconds of the busy phase /proc/loadavg is also polled every
10 ms to time the kernel's updates to within a few ticks.

Times are CLOCK_MONOTONIC seconds (the clock of the kernel's ktime_get(), the clock that the
tick and therefore jiffies follow). When /proc/timer_list is readable (root), one (ktime, jiffies)
pair is read at the start and one at the end, so that the comparison can place the kernel's
LOAD_FREQ grid from first principles rather than by fitting.

The busy loops run at nice 19 so that they slow the other users of the box as little as possible:
a task waiting for a CPU is runnable and counts in the load average whatever its nice value.

This script is a bench tool, not part of karte: it may run shell commands; karte never does.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time

MONO = time.CLOCK_MONOTONIC


def mono():
    return time.clock_gettime(MONO)


def read(path):
    with open(path, "rb") as f:
        return f.read().decode("ascii", "replace")


def read_loadavg():
    f = read("/proc/loadavg").split()
    run, threads = f[3].split("/")
    return float(f[0]), float(f[1]), float(f[2]), int(run), int(threads)


def read_stat_running():
    running = blocked = None
    for line in read("/proc/stat").splitlines():
        if line.startswith("procs_running "):
            running = int(line.split()[1])
        elif line.startswith("procs_blocked "):
            blocked = int(line.split()[1])
    return running, blocked


def read_timer_list():
    """(mono_before, ktime_ns, jiffies, mono_after) or None."""
    try:
        m0 = mono()
        text = read("/proc/timer_list")
        m1 = mono()
    except OSError:
        return None
    now = jiffies = None
    for line in text.splitlines():
        if line.startswith("now at ") and now is None:
            now = int(line.split()[2])
        elif line.startswith("jiffies: ") and jiffies is None:
            jiffies = int(line.split()[1])
    if now is None or jiffies is None:
        return None
    return {"mono_before": m0, "ktime_ns": now, "jiffies": jiffies, "mono_after": m1}


def sleep_until(t):
    d = t - mono()
    if d > 0:
        time.sleep(d)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--busy", type=int, default=2)
    ap.add_argument("--quiet", type=float, default=120)
    ap.add_argument("--load", type=float, default=600)
    ap.add_argument("--after", type=float, default=300)
    ap.add_argument("--every", type=float, default=1.0)
    ap.add_argument("--probe", type=float, default=30)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)

    meta = {
        "kernel": read("/proc/sys/kernel/osrelease").strip(),
        "nproc": os.cpu_count(),
        "busy": a.busy,
        "quiet_s": a.quiet,
        "load_s": a.load,
        "after_s": a.after,
        "every_s": a.every,
        "timer_list_start": read_timer_list(),
        "unix_minus_mono": time.time() - mono(),
    }
    rows = []
    probe = []
    procs = []

    def sample(phase, busy_now):
        t = mono()
        l1, l5, l15, run, thr = read_loadavg()
        pr, pb = read_stat_running()
        rows.append((t, time.time(), l1, l5, l15, run, thr, pr, pb, phase, busy_now))

    t0 = mono()
    meta["start_mono"] = t0
    k = 0
    # Phase 1: quiet.
    while True:
        tk = t0 + k * a.every
        if tk >= t0 + a.quiet:
            break
        sleep_until(tk)
        sample("quiet", 0)
        k += 1

    # Phase 2: busy.
    meta["spawn_mono_before"] = mono()
    for _ in range(a.busy):
        procs.append(
            subprocess.Popen(
                ["nice", "-n", "19", "sh", "-c", "while :; do :; done"],
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
    meta["spawn_mono_after"] = mono()
    tb = meta["spawn_mono_before"]
    try:
        # Probe: poll every 10 ms, record every change of the first field.
        last = read("/proc/loadavg").split()[0]
        last_t = mono()
        next_sample = t0 + k * a.every
        while mono() < tb + a.probe:
            now = mono()
            if now >= next_sample:
                sample("busy", a.busy)
                k += 1
                next_sample = t0 + k * a.every
            cur = read("/proc/loadavg").split()[0]
            t = mono()
            if cur != last:
                probe.append({"before_mono": last_t, "after_mono": t, "from": last, "to": cur})
                last = cur
            last_t = t
            time.sleep(0.01)
        while True:
            tk = t0 + k * a.every
            if tk >= tb + a.load:
                break
            sleep_until(tk)
            sample("busy", a.busy)
            k += 1
    finally:
        meta["kill_mono_before"] = mono()
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
        for p in procs:
            p.wait()
        meta["kill_mono_after"] = mono()

    # Phase 3: decay.
    te = meta["kill_mono_after"]
    while True:
        tk = t0 + k * a.every
        if tk >= te + a.after:
            break
        sleep_until(tk)
        sample("after", 0)
        k += 1
    meta["timer_list_end"] = read_timer_list()
    meta["probe_changes"] = probe

    with open(os.path.join(a.out, "trace.csv"), "w") as f:
        f.write("mono_s,unix_s,load1,load5,load15,runnable,threads,procs_running,procs_blocked,phase,busy\n")
        for r in rows:
            f.write("%.6f,%.3f,%.2f,%.2f,%.2f,%d,%d,%s,%s,%s,%d\n" % r)
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print("recorded %d readings into %s" % (len(rows), a.out), file=sys.stderr)


if __name__ == "__main__":
    main()
