#!/usr/bin/env python3
"""Derive incident bundles from a real capture of a healthy host.

    derive.py BASE_DIR OUT_DIR

BASE_DIR is an unpacked `karte collect` bundle (0/, 1/, meta.json) of a real, quiet host; it is
kept in this repository as `base-vm-6.18/`. Each scenario below edits copies of the two readings
the way the incident changes the kernel's files — the CPU counters of /proc/stat, a kernel thread's
/proc/PID/stat, diskstats, meminfo, vmstat, PSI, a kernel log — keeping everything else real, and
writes OUT_DIR/NAME.tar.gz. `expected.json` (next to this script) says which rules must fire and
which must stay quiet for each bundle; crates/karte/tests/doctor_fixtures.rs checks it.

Standard library only; deterministic output (fixed mtimes, sorted entries).
"""
import gzip
import io
import json
import os
import sys
import tarfile

HZ = 100


def load(base):
    readings = []
    for n in ("0", "1"):
        files = {}
        root = os.path.join(base, n)
        for dirpath, _, names in os.walk(root):
            for name in names:
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root)
                with open(full, "rb") as f:
                    files[rel] = f.read()
        readings.append(files)
    with open(os.path.join(base, "meta.json")) as f:
        meta = json.load(f)
    kmsg = None
    if os.path.exists(os.path.join(base, "kmsg.txt")):
        with open(os.path.join(base, "kmsg.txt"), "rb") as f:
            kmsg = f.read()
    return readings, meta, kmsg


def text(r, path):
    return r[path].decode()


def put(r, path, s):
    r[path] = s.encode() if isinstance(s, str) else s


def uptime(r):
    return float(text(r, "proc/uptime").split()[0])


def elapsed(rs):
    return uptime(rs[1]) - uptime(rs[0])


MODES = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice"]


def cpu_lines(r):
    out = {}
    for line in text(r, "proc/stat").splitlines():
        if line.startswith("cpu"):
            k, *v = line.split()
            out[k] = [int(x) for x in v]
    return out


def set_cpu_deltas(rs, shares):
    """Rewrite reading 1's cpu lines so that over the interval each CPU spends `shares` (mode →
    fraction, summing to 1) of its time; the aggregate line is the sum."""
    before = cpu_lines(rs[0])
    per_cpu_ticks = round(elapsed(rs) * HZ)
    lines = text(rs[1], "proc/stat").splitlines()
    cpus = [k for k in before if k != "cpu"]
    new = {}
    for k in cpus:
        b = before[k]
        d = [0] * 10
        for mode, frac in shares.items():
            d[MODES.index(mode)] = round(frac * per_cpu_ticks)
        new[k] = [b[i] + d[i] for i in range(10)]
    agg_b = before["cpu"]
    agg = [agg_b[i] + sum(new[k][i] - before[k][i] for k in cpus) for i in range(10)]
    out = []
    for line in lines:
        k = line.split()[0] if line.strip() else ""
        if k == "cpu":
            out.append("cpu  " + " ".join(str(x) for x in agg))
        elif k in new:
            out.append(k + " " + " ".join(str(x) for x in new[k]))
        else:
            out.append(line)
    put(rs[1], "proc/stat", "\n".join(out) + "\n")


def set_stat_field(r, key, value):
    lines = [f"{key} {value}" if l.startswith(key + " ") else l for l in text(r, "proc/stat").splitlines()]
    put(r, "proc/stat", "\n".join(lines) + "\n")


def set_loadavg(r, load, running):
    f = text(r, "proc/loadavg").split()
    threads = f[3].split("/")[1]
    put(r, "proc/loadavg", f"{load:.2f} {load:.2f} {load * 0.9:.2f} {running}/{threads} {f[4]}\n")


def add_process(rs, pid, comm, state, utimes, *, kthread=False, nice=0, wchan=None, rss_pages=0, start=100, cmdline=""):
    flags = 0x00208040 if kthread else 0x00400100
    for r, ut in zip(rs, utimes):
        st = state if isinstance(state, str) else state[rs.index(r)]
        fields = [
            str(pid), f"({comm})", st, "2" if kthread else "1", "0", "0", "0", "-1", str(flags),
            "0", "0", "0", "0", str(ut), "0", "0", "0", str(20 + nice), str(nice), "1", "0", str(start),
            "0", str(rss_pages), "18446744073709551615", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0",
            "0", "0", "0", "17", "0", "0", "0", "0", "0", "0",
        ]
        put(r, f"proc/{pid}/stat", " ".join(fields) + "\n")
        if not kthread:
            put(r, f"proc/{pid}/cmdline", cmdline.replace(" ", "\0") + "\0")
            put(r, f"proc/{pid}/status", f"Name:\t{comm}\nTgid:\t{pid}\nUid:\t0\t0\t0\t0\nVmRSS:\t{rss_pages * 4} kB\nThreads:\t1\n")
        if wchan and st == "D":
            put(r, f"proc/{pid}/wchan", wchan)


def meminfo_set(r, **kv):
    lines = []
    for line in text(r, "proc/meminfo").splitlines():
        name = line.split(":")[0]
        if name in kv:
            lines.append(f"{name + ':':<16}{kv[name]:>8} kB")
        else:
            lines.append(line)
    put(r, "proc/meminfo", "\n".join(lines) + "\n")


def meminfo_get(r, name):
    for line in text(r, "proc/meminfo").splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    raise KeyError(name)


def vmstat_add(r, **deltas):
    lines = []
    for line in text(r, "proc/vmstat").splitlines():
        k, v = line.split()
        if k in deltas:
            v = str(int(v) + deltas[k])
        lines.append(f"{k} {v}")
    put(r, "proc/vmstat", "\n".join(lines) + "\n")


def psi(r, res, some, full, total_some=None, total_full=None):
    ts = total_some if total_some is not None else 1000000
    tf = total_full if total_full is not None else 0
    put(r, f"proc/pressure/{res}", f"some avg10={some:.2f} avg60={some:.2f} avg300={some:.2f} total={ts}\n"
        f"full avg10={full:.2f} avg60={full:.2f} avg300={full:.2f} total={tf}\n")


def disk_add(rs, name, major, minor, rotational, ios, ms_per_io, util):
    """Add a disk whose counters over the interval show `ios` completed reads each taking
    `ms_per_io`, busy `util` of the time."""
    el_ms = elapsed(rs) * 1000
    base = [1000, 10, 80000, 5000, 2000, 30, 160000, 9000, 0, 20000, 30000, 0, 0, 0, 0, 0, 0]
    after = list(base)
    after[0] += ios
    after[2] += ios * 8
    after[3] += ios * ms_per_io
    after[8] = 4 if ios else 3
    after[9] += round(util * el_ms)
    after[10] += ios * ms_per_io if ios else round(3 * el_ms)
    for r, c in zip(rs, (base, after)):
        line = f"{major:>4} {minor:>7} {name} " + " ".join(str(x) for x in c)
        put(r, "proc/diskstats", text(r, "proc/diskstats") + line + "\n")
        put(r, f"sys/block/{name}/queue/rotational", f"{rotational}\n")


def netdev_add_errors(rs, iface, rx_err):
    out = []
    for line in text(rs[1], "proc/net/dev").splitlines():
        if line.strip().startswith(iface + ":"):
            name, nums = line.split(":", 1)
            v = nums.split()
            v[2] = str(int(v[2]) + rx_err)
            line = f"{name}: " + " ".join(v)
        out.append(line)
    put(rs[1], "proc/net/dev", "\n".join(out) + "\n")


def kmsg(lines):
    return ("\n".join(lines) + "\n").encode()


# --- scenarios -------------------------------------------------------------------------------

def kipmi_spinning(rs, meta):
    """kipmi0 at 99 % of a CPU at nice 19 after a BMC reset; load ≈ 1 on an idle box."""
    set_cpu_deltas(rs, {"user": 0.01, "system": 0.01, "nice": 0.49, "idle": 0.49})
    add_process(rs, 141, "kipmi0", "R", [42_000, 42_000 + round(0.99 * elapsed(rs) * HZ)], kthread=True, nice=19, start=312)
    for r in rs:
        set_loadavg(r, 1.02, 2)
        put(r, "sys/module/ipmi_si/parameters/kipmid_max_busy_us", "0\n")
        put(r, "proc/modules", "ipmi_si 77824 1 - Live 0x0000000000000000\nipmi_devintf 20480 0 - Live 0x0000000000000000\nipmi_msghandler 131072 2 ipmi_si,ipmi_devintf, Live 0x0000000000000000\n")


def kipmi_idle_now(rs, meta):
    """kipmi0 spun in the past (ps shows a high average) but is idle now: info only."""
    up = uptime(rs[0])
    ticks = round(0.4 * up * HZ)
    add_process(rs, 141, "kipmi0", "S", [ticks, ticks], kthread=True, nice=19, start=312)


def steal_high(rs, meta):
    set_cpu_deltas(rs, {"user": 0.30, "system": 0.05, "steal": 0.35, "idle": 0.30})


def steal_counter_broken(rs, meta):
    """steal jumps by years in two seconds: a kernel accounting bug, not contention."""
    set_cpu_deltas(rs, {"user": 0.02, "system": 0.01, "idle": 0.97})
    lines = text(rs[1], "proc/stat").splitlines()
    out = []
    for line in lines:
        if line.startswith("cpu"):
            v = line.split()
            v[8] = str(int(v[8]) + 9_000_000_000)
            line = (v[0] + ("  " if v[0] == "cpu" else " ") + " ".join(v[1:]))
        out.append(line)
    put(rs[1], "proc/stat", "\n".join(out) + "\n")


def cpu_saturated(rs, meta):
    set_cpu_deltas(rs, {"user": 0.93, "system": 0.06, "idle": 0.01})
    add_process(rs, 4242, "ffmpeg", "R", [10_000, 10_000 + round(1.9 * elapsed(rs) * HZ)], rss_pages=50_000, cmdline="ffmpeg -i in.mkv out.mp4")
    for r in rs:
        set_loadavg(r, 6.4, 7)
        set_stat_field(r, "procs_running", 7)


def cpu_busy_niced(rs, meta):
    """Both CPUs busy, but with nice 19 batch work: nobody waits. Not saturation."""
    set_cpu_deltas(rs, {"user": 0.03, "system": 0.02, "nice": 0.95})
    add_process(rs, 5151, "make", "R", [1000, 1000 + round(1.9 * elapsed(rs) * HZ)], nice=19, rss_pages=20_000, cmdline="make -j2")
    for r in rs:
        set_loadavg(r, 3.1, 4)
        set_stat_field(r, "procs_running", 4)


def d_state_load(rs, meta):
    set_cpu_deltas(rs, {"user": 0.01, "system": 0.01, "iowait": 0.60, "idle": 0.38})
    for i, comm in enumerate(["postgres", "postgres", "rsync", "kworker/u4:2+flush-8:0"]):
        add_process(rs, 3000 + i, comm, "D", [500, 500], kthread=comm.startswith("kworker"), wchan="io_schedule", rss_pages=10_000, cmdline=f"/usr/bin/{comm}")
    disk_add(rs, "sdb", 8, 16, 1, 40, 200, 0.999)
    for r in rs:
        set_loadavg(r, 4.3, 1)
        set_stat_field(r, "procs_blocked", 4)


def d_state_passing(rs, meta):
    """A task in D state at one reading only, load low: ordinary I/O."""
    add_process(rs, 3100, "cp", ["S", "D"], [200, 202], wchan="io_schedule", rss_pages=500, cmdline="cp a b")


def disk_saturated(rs, meta):
    set_cpu_deltas(rs, {"user": 0.02, "system": 0.03, "iowait": 0.45, "idle": 0.50})
    disk_add(rs, "sdb", 8, 16, 1, 48, 160, 0.995)


def nvme_busy_fast(rs, meta):
    """A fast NVMe device at 100 % util with sub-millisecond waits: not saturated."""
    disk_add(rs, "nvme0n1", 259, 0, 0, 40_000, 0, 1.0)


def dirty_backlog(rs, meta):
    total = meminfo_get(rs[0], "MemTotal")
    for r in rs:
        free = total // 10
        meminfo_set(r, MemFree=free, **{"Active(file)": total // 5, "Inactive(file)": total // 5}, Dirty=total // 10, Writeback=total // 40)
    disk_add(rs, "sdb", 8, 16, 1, 30, 300, 0.999)


def dirty_normal(rs, meta):
    total = meminfo_get(rs[0], "MemTotal")
    for r in rs:
        meminfo_set(r, Dirty=total // 200, Writeback=0)


def swap_thrash(rs, meta):
    total = meminfo_get(rs[0], "MemTotal")
    for r in rs:
        meminfo_set(r, SwapTotal=4 << 20, SwapFree=200 << 10, MemAvailable=total // 30)
        psi(r, "memory", 32.0, 12.0, 50_000_000 if r is rs[0] else 50_800_000, 20_000_000 if r is rs[0] else 20_300_000)
    vmstat_add(rs[1], pswpin=round(1500 * elapsed(rs)), pswpout=round(900 * elapsed(rs)), pgmajfault=round(1600 * elapsed(rs)))


def swap_out_only(rs, meta):
    """Cold pages moving out to swap with nothing coming back: housekeeping."""
    for r in rs:
        meminfo_set(r, SwapTotal=4 << 20, SwapFree=3 << 20)
    vmstat_add(rs[1], pswpout=round(800 * elapsed(rs)))


def memory_short(rs, meta):
    total = meminfo_get(rs[0], "MemTotal")
    for r in rs:
        meminfo_set(r, MemAvailable=total * 3 // 100, MemFree=total // 100)
        psi(r, "memory", 24.0, 6.0)
    add_process(rs, 7070, "java", "S", [90_000, 90_010], rss_pages=total * 7 // 10 // 4, cmdline="java -Xmx20g -jar app.jar")


def memory_cache_full(rs, meta):
    """Little free memory, but most of it is page cache: MemAvailable is high. Healthy."""
    total = meminfo_get(rs[0], "MemTotal")
    for r in rs:
        meminfo_set(r, MemFree=total // 50, Cached=total * 8 // 10, MemAvailable=total * 8 // 10)


def overcommit_strict(rs, meta):
    total = meminfo_get(rs[0], "MemTotal")
    for r in rs:
        put(r, "proc/sys/vm/overcommit_memory", "2\n")
        put(r, "proc/sys/vm/overcommit_ratio", "50\n")
        meminfo_set(r, CommitLimit=total // 2, Committed_AS=total // 2 * 96 // 100)


def overcommit_default(rs, meta):
    """Mode 0 with Committed_AS above RAM: normal on a heuristic-overcommit host."""
    total = meminfo_get(rs[0], "MemTotal")
    for r in rs:
        meminfo_set(r, Committed_AS=total * 2)


def link_flapping(rs, meta):
    netdev_add_errors(rs, "eth0", 37)
    cc = int(text(rs[0], "sys/class/net/eth0/carrier_changes").strip()) if "sys/class/net/eth0/carrier_changes" in rs[0] else 2
    put(rs[0], "sys/class/net/eth0/carrier_changes", f"{cc}\n")
    put(rs[1], "sys/class/net/eth0/carrier_changes", f"{cc + 2}\n")


def up_s(rs, back):
    return uptime(rs[0]) - back


def oom_dirty(rs, meta):
    """A global OOM kill 10 minutes ago with dirty/writeback pages holding a third of RAM."""
    t = up_s(rs, 600)
    ram_pages = meminfo_get(rs[0], "MemTotal") // 4
    dirty = ram_pages // 4
    wb = ram_pages // 10
    lines = [
        f"[{t:12.6f}] java invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0",
        f"[{t:12.6f}] CPU: 1 PID: 7070 Comm: java Not tainted 6.1.0-18-amd64 #1  Debian 6.1.76-1",
        f"[{t:12.6f}] Mem-Info:",
        f"[{t:12.6f}] active_anon:{ram_pages // 3} inactive_anon:{ram_pages // 20} isolated_anon:0",
        f"[{t:12.6f}]  active_file:{ram_pages // 20} inactive_file:{ram_pages // 25} isolated_file:0",
        f"[{t:12.6f}]  unevictable:0 dirty:{dirty} writeback:{wb}",
        f"[{t:12.6f}]  slab_reclaimable:12000 slab_unreclaimable:9000",
        f"[{t:12.6f}]  mapped:3100 shmem:400 pagetables:2000",
        f"[{t:12.6f}]  sec_pagetables:0 bounce:0",
        f"[{t:12.6f}]  kernel_misc_reclaimable:0",
        f"[{t:12.6f}]  free:14000 free_pcp:0 free_cma:0",
        f"[{t:12.6f}] 0 pages in swap cache",
        f"[{t:12.6f}] Free swap  = 0kB",
        f"[{t:12.6f}] Total swap = 0kB",
        f"[{t:12.6f}] {ram_pages} pages RAM",
        f"[{t:12.6f}] Tasks state (memory values in pages):",
        f"[{t:12.6f}] [  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name",
        f"[{t:12.6f}] [    812]     0   812     3860      320    65536        0             0 sshd",
        f"[{t:12.6f}] [   7070]  1000  7070  2100000   {ram_pages // 3}  4200000        0             0 java",
        f"[{t:12.6f}] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/system.slice/app.service,task=java,pid=7070,uid=1000",
        f"[{t:12.6f}] Out of memory: Killed process 7070 (java) total-vm:8400000kB, anon-rss:{ram_pages // 3 * 4}kB, file-rss:1024kB, shmem-rss:0kB, UID:1000 pgtables:4100kB oom_score_adj:0",
    ]
    return kmsg(lines)


def oom_cgroup(rs, meta):
    t = up_s(rs, 300)
    lines = [
        f"[{t:12.6f}] node invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0",
        f"[{t:12.6f}] memory: usage 524288kB, limit 524288kB, failcnt 9711",
        f"[{t:12.6f}] swap: usage 0kB, limit 0kB, failcnt 0",
        f"[{t:12.6f}] Memory cgroup stats for /system.slice/web.service:",
        f"[{t:12.6f}] anon 530579456",
        f"[{t:12.6f}] Tasks state (memory values in pages):",
        f"[{t:12.6f}] [  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name",
        f"[{t:12.6f}] [   9001]    33  9001   300000   129000  1200000        0             0 node",
        f"[{t:12.6f}] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/system.slice/web.service,task_memcg=/system.slice/web.service,task=node,pid=9001,uid=33",
        f"[{t:12.6f}] Memory cgroup out of memory: Killed process 9001 (node) total-vm:1200000kB, anon-rss:516000kB, file-rss:0kB, shmem-rss:0kB, UID:33 pgtables:1172kB oom_score_adj:0",
    ]
    return kmsg(lines)


def hung(rs, meta):
    t = up_s(rs, 900)
    lines = [
        f"[{t:12.6f}] INFO: task nfsd:1234 blocked for more than 120 seconds.",
        f"[{t:12.6f}]       Not tainted 5.15.0-91-generic #101-Ubuntu",
        f"[{t:12.6f}] \"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.",
        f"[{t:12.6f}] task:nfsd            state:D stack:    0 pid: 1234 ppid:     2 flags:0x00004000",
        f"[{t:12.6f}] Call Trace:",
        f"[{t:12.6f}]  <TASK>",
        f"[{t:12.6f}]  __schedule+0x23d/0x590",
        f"[{t:12.6f}]  io_schedule+0x46/0x80",
    ]
    return kmsg(lines)


def quiet_log(rs, meta):
    """An ordinary kernel log: boot messages, a USB device, no incidents."""
    lines = [
        "[    0.000000] Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1",
        "[    1.234567] usb 1-1: new high-speed USB device number 2 using xhci_hcd",
        "[    5.100000] e1000e 0000:00:1f.6 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx",
        "[    7.000000] EXT4-fs (sda1): mounted filesystem with ordered data mode. Quota mode: none.",
    ]
    return kmsg(lines)


SCENARIOS = {
    "healthy": None,
    "kipmi-spinning": kipmi_spinning,
    "kipmi-idle-now": kipmi_idle_now,
    "steal-high": steal_high,
    "steal-counter-broken": steal_counter_broken,
    "cpu-saturated": cpu_saturated,
    "cpu-busy-niced": cpu_busy_niced,
    "d-state-load": d_state_load,
    "d-state-passing": d_state_passing,
    "disk-saturated": disk_saturated,
    "nvme-busy-fast": nvme_busy_fast,
    "dirty-backlog": dirty_backlog,
    "dirty-normal": dirty_normal,
    "swap-thrash": swap_thrash,
    "swap-out-only": swap_out_only,
    "memory-short": memory_short,
    "memory-cache-full": memory_cache_full,
    "overcommit-strict": overcommit_strict,
    "overcommit-default": overcommit_default,
    "link-flapping": link_flapping,
    "oom-dirty": oom_dirty,
    "oom-cgroup": oom_cgroup,
    "hung-task": hung,
    "quiet-log": quiet_log,
}


def write(out, name, readings, meta, kmsg_bytes):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for i, r in enumerate(readings):
            for path in sorted(r):
                data = r[path]
                ti = tarfile.TarInfo(f"{i}/{path}")
                ti.size = len(data)
                ti.mtime = 1_795_000_000
                ti.mode = 0o644
                tar.addfile(ti, io.BytesIO(data))
        extra = [("meta.json", json.dumps(meta, indent=2).encode())]
        if kmsg_bytes is not None:
            extra.append(("kmsg.txt", kmsg_bytes))
        for path, data in extra:
            ti = tarfile.TarInfo(path)
            ti.size = len(data)
            ti.mtime = 1_795_000_000
            ti.mode = 0o644
            tar.addfile(ti, io.BytesIO(data))
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as g:
        g.write(buf.getvalue())
    with open(os.path.join(out, name + ".tar.gz"), "wb") as f:
        f.write(gz.getvalue())


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    base, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for name, fn in SCENARIOS.items():
        readings, meta, kmsg_bytes = load(base)
        if fn is not None:
            res = fn(readings, meta)
            if isinstance(res, bytes):
                kmsg_bytes = res
        write(out, name, readings, meta, kmsg_bytes)
    print(f"wrote {len(SCENARIOS)} bundles to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
