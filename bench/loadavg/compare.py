#!/usr/bin/env python3
"""Compare a recording of record.py with `karte loadavg simulate` of the same activity.

The simulation is aligned to the recording as follows:

* HZ is what `karte loadavg hz` measures on this host (pass --hz to override).
* Simulation tick 0 is the kernel tick at or before the first reading (CLOCK_MONOTONIC).
* The kernel's sample grid is placed from first principles when /proc/timer_list was readable
  during the recording: jiffies at tick 0 are derived from one (ktime, jiffies) pair, and the
  sample instants are INITIAL_JIFFIES + k*LOAD_FREQ (karte's --jiffies-at-start). The moments
  at which /proc/loadavg was seen to change (10 ms polling at the start of the busy phase) are
  then checked against the predicted update instants.
* The start state is the /proc/loadavg of the first reading.
* The activity is the busy loops from their spawn to their kill ("known load"), and, in a
  second simulation, that plus the other runnable tasks seen at each 1 s reading
  (procs_running - 1 for the reader - the busy loops, + procs_blocked) as a step function
  ("known load + observed background").

Errors are computed at every fifth reading (every 5 s), in /proc/loadavg units.
"""

import argparse
import bisect
import csv
import json
import os
import subprocess
import sys
import tempfile


def load_trace(d):
    rows = []
    with open(os.path.join(d, "trace.csv")) as f:
        for r in csv.DictReader(f):
            rows.append(r)
    with open(os.path.join(d, "meta.json")) as f:
        meta = json.load(f)
    return rows, meta


def run_sim(karte, args):
    out = subprocess.run([karte, "loadavg", "simulate"] + args, check=True, capture_output=True, text=True).stdout
    ts, vals = [], []
    for line in out.splitlines():
        if not line or line.startswith("#") or line.startswith("unix_time"):
            continue
        t, a, b, c = line.split(",")
        ts.append(float(t))
        vals.append((float(a), float(b), float(c)))
    return ts, vals


def errors(rows, origin, ts, vals, every=5, phases=None):
    errs = [[], [], []]
    for i, r in enumerate(rows):
        if i % every:
            continue
        if phases and r["phase"] not in phases:
            continue
        t = float(r["mono_s"]) - origin
        j = bisect.bisect_right(ts, t + 1e-9) - 1
        if j < 0:
            continue
        obs = (float(r["load1"]), float(r["load5"]), float(r["load15"]))
        for k in range(3):
            errs[k].append(abs(obs[k] - vals[j][k]))
    return [(max(e) if e else float("nan"), sum(e) / len(e) if e else float("nan"), len(e)) for e in errs]


FSHIFT, FIXED_1 = 11, 2048
EXPS = (1884, 2014, 2037)


def calc_load(load, exp, active):
    # Linux >= 4.6 calc_load(); active is a task count.
    a = active * FIXED_1
    n = load * exp + a * (FIXED_1 - exp)
    if a >= load:
        n += FIXED_1 - 1
    return n // FIXED_1


def display(x):
    a = x + FIXED_1 // 200
    return (a >> FSHIFT) * 100 + (((a & (FIXED_1 - 1)) * 100) >> FSHIFT)


def from_display(v):
    h = round(v * 100)
    lo = [x for x in range(0, h * 21 + 2048) if display(x) == h]
    return lo[len(lo) // 2] if lo else 0


def infer_active(rows, origin, hz, first_sample, L):
    """The number of active tasks at each kernel update, inferred from load1 alone: the only
    integer n that moves the 1-minute average to the value read after the update. Returns a
    list of (sample_time_s, n) for karte's --steps."""
    state = [from_display(float(rows[0][k])) for k in ("load1", "load5", "load15")]
    obs = [(float(r["mono_s"]) - origin, round(float(r["load1"]) * 100)) for r in rows]
    end = obs[-1][0]
    steps = []
    k = 0
    j = 0
    prev_n = 0
    while True:
        sample = (first_sample + k * L) / hz
        applied = (first_sample + 10 + k * L) / hz
        nxt = (first_sample + 10 + (k + 1) * L) / hz
        if applied > end:
            break
        while j < len(obs) and obs[j][0] < applied:
            j += 1
        target = obs[j][1] if j < len(obs) and obs[j][0] < nxt else None
        best = None
        for n in range(0, 65):
            d = display(calc_load(state[0], EXPS[0], n))
            score = (abs(d - target) if target is not None else 0, abs(n - prev_n))
            if best is None or score < best[0]:
                best = (score, n)
        n = best[1]
        state = [calc_load(state[i], EXPS[i], n) for i in range(3)]
        steps.append((sample - 0.001, n))
        prev_n = n
        k += 1
    return steps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir")
    ap.add_argument("--karte", default="karte")
    ap.add_argument("--hz", type=int)
    ap.add_argument("--fixture", help="write the compact 5 s trace here")
    a = ap.parse_args()
    rows, meta = load_trace(a.run_dir)

    if a.hz:
        hz, how = a.hz, "given"
    else:
        rep = json.loads(subprocess.run([a.karte, "loadavg", "hz", "--format", "json"], capture_output=True, text=True).stdout)
        hz, how = rep["hz"], rep["method"]
    if not hz:
        sys.exit("HZ unknown")
    L = 5 * hz + 1
    first = float(rows[0]["mono_s"])
    tick0 = int(first * hz)  # floor
    origin = tick0 / hz

    tl = meta.get("timer_list_start")
    jargs = []
    j0 = None
    if tl:
        k_ticks = int(tl["ktime_ns"] * hz // 1_000_000_000)
        j0 = tl["jiffies"] - (k_ticks - tick0)
        jargs = ["--jiffies-at-start", str(j0)]
        initial_j = (1 << 32) - 300 * hz
        since = (j0 - initial_j) % L
        first_sample = (L - since) % L
    else:
        first_sample = None

    busy = meta["busy"]
    w_start = meta["spawn_mono_after"] - origin
    w_len = meta["kill_mono_after"] - meta["spawn_mono_after"]
    duration = float(rows[-1]["mono_s"]) - origin + 1
    init = "%s,%s,%s" % (rows[0]["load1"], rows[0]["load5"], rows[0]["load15"])
    base = ["--hz", str(hz), "--updates", "--duration", "%.3f" % duration, "--initial", init,
            "--window", "%.3f:%.3f:%d" % (w_start, w_len, busy)] + jargs

    ts, vals = run_sim(a.karte, base)

    # Background step function from the 1 s readings.
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        steps_path = f.name
        f.write("seconds,tasks\n")
        for r in rows:
            b = int(r["busy"])
            bg = max(0, int(r["procs_running"]) - 1 - b) + int(r["procs_blocked"])
            f.write("%.3f,%d\n" % (float(r["mono_s"]) - origin, bg))
    ts2, vals2 = run_sim(a.karte, base + ["--steps", steps_path])
    os.unlink(steps_path)

    inferred = None
    if first_sample is not None:
        inferred = infer_active(rows, origin, hz, first_sample, L)
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
            inf_path = f.name
            f.write("seconds,tasks\n")
            for t, n in inferred:
                f.write("%.3f,%d\n" % (t, n))
        ts3, vals3 = run_sim(a.karte, ["--hz", str(hz), "--updates", "--duration", "%.3f" % duration,
                                       "--initial", init, "--steps", inf_path] + jargs)
        os.unlink(inf_path)

    # Check the predicted update instants against the observed changes.
    probe = meta.get("probe_changes", [])
    probe_report = []
    for p in probe:
        b, af = p["before_mono"] - origin, p["after_mono"] - origin
        # nearest predicted applied tick
        mid = (b + af) / 2
        if first_sample is not None:
            m = round((mid * hz - first_sample - 10) / L)
            pred = (first_sample + 10 + m * L) / hz
            probe_report.append((b, af, pred, b - 1.0 / hz <= pred <= af + 1.0 / hz))

    print("recording: %s (kernel %s, %d CPUs, %d busy loops, %d readings)" % (
        a.run_dir, meta["kernel"], meta["nproc"], busy, len(rows)))
    print("HZ=%d (%s); LOAD_FREQ=%d ticks" % (hz, how, L))
    if first_sample is not None:
        print("sample grid from /proc/timer_list: jiffies at t=0 %d, first sample at tick %d" % (j0, first_sample))
    for b, af, pred, ok in probe_report:
        print("  observed change between t=%.3f and %.3f s; predicted %.3f s: %s" % (b, af, pred, "ok" if ok else "MISMATCH"))
    print("busy window: %.3f s + %.3f s (spawn took %.1f ms, kill %.1f ms)" % (
        w_start, w_len, 1000 * (meta["spawn_mono_after"] - meta["spawn_mono_before"]),
        1000 * (meta["kill_mono_after"] - meta["kill_mono_before"])))
    names = ["load1", "load5", "load15"]
    sims = [("known load only", (ts, vals)), ("known load + observed background", (ts2, vals2))]
    if inferred is not None:
        sims.append(("active tasks inferred from load1 at each update (checks the recurrence: load5/load15 are predictions)", (ts3, vals3)))
    for title, (t_, v_) in sims:
        print("%s:" % title)
        for label, ph in [("all", None), ("quiet", {"quiet"}), ("busy", {"busy"}), ("after", {"after"})]:
            e = errors(rows, origin, t_, v_, phases=ph)
            print("  %-6s n=%3d  " % (label, e[0][2]) + "  ".join(
                "%s max %.2f mean %.3f" % (names[k], e[k][0], e[k][1]) for k in range(3)))
    if inferred is not None:
        ns = [n for _, n in inferred]
        print("inferred active tasks per update: min %d, max %d, mean %.2f" % (min(ns), max(ns), sum(ns) / len(ns)))
    bgs = [max(0, int(r["procs_running"]) - 1 - int(r["busy"])) + int(r["procs_blocked"]) for r in rows]
    print("background runnable tasks seen at 1 s readings: mean %.2f, max %d, non-zero in %.0f%% of readings" % (
        sum(bgs) / len(bgs), max(bgs), 100.0 * sum(1 for b in bgs if b) / len(bgs)))

    if a.fixture:
        with open(a.fixture, "w") as f:
            f.write("# A real /proc/loadavg trace: kernel %s, %d vCPUs, recorded by bench/loadavg/record.py:\n" % (meta["kernel"], meta["nproc"]))
            f.write("# %.0f s quiet, %d busy loops (nice 19) for %.0f s, %.0f s of decay; other users of the box\n" % (meta["quiet_s"], busy, meta["load_s"], meta["after_s"]))
            f.write("# added load of their own. One reading a second; t is seconds after simulation tick 0.\n")
            f.write("# background = other runnable tasks at that reading (procs_running - reader - busy loops\n")
            f.write("# + procs_blocked). change = a change of load1 seen between two 10 ms polls.\n")
            f.write("# hz=%d\n" % hz)
            if first_sample is not None:
                f.write("# first_sample_tick=%d\n" % first_sample)
            f.write("# initial=%s\n" % init)
            f.write("# busy_window=%.3f,%.3f,%d\n" % (w_start, w_len, busy))
            for p in probe:
                f.write("# change=%.4f,%.4f\n" % (p["before_mono"] - origin, p["after_mono"] - origin))
            f.write("t,load1,load5,load15,busy,background\n")
            for i, r in enumerate(rows):
                f.write("%.3f,%s,%s,%s,%s,%d\n" % (float(r["mono_s"]) - origin, r["load1"], r["load5"], r["load15"], r["busy"], bgs[i]))
        print("fixture written to %s" % a.fixture)


if __name__ == "__main__":
    main()
