//! A [`Snapshot`] as named integer series, facts and process rows, and back.
//!
//! Every number of a reading becomes one value of a series named by `(family, key, field)`:
//! `("cpu", "", "user")` is the aggregate CPU line's user ticks, `("cpu", "3", "steal")` CPU 3's
//! steal ticks, `("disk", "sda", "io_ms")`, `("meminfo", "kB", "Dirty")`. Decimals the kernel
//! prints with two digits (load averages, PSI averages, uptime) are stored times 100, which is
//! exact. Text that rarely changes (hostname, kernel, MAC addresses, module list) is a *fact*,
//! stored only when it changes. See docs/store.md for the full list.

use crate::codec::{ProcRow, opt};
use karte_procfs as p;
use karte_snapshot::snapshot::{BlockDevice, IpmiState};
use karte_snapshot::{CgroupMemory, HostFacts, NetInterface, Process, Snapshot};
use std::collections::BTreeMap;

/// Receives a reading's numbers and facts.
pub trait Sink {
    fn num(&mut self, family: &str, key: &str, field: &str, value: u64);
    fn fact(&mut self, key: &str, value: String);
}

fn x100(v: f64) -> u64 {
    if v.is_finite() && v >= 0.0 {
        (v * 100.0).round() as u64
    } else {
        0
    }
}

const CPU_FIELDS: [&str; 10] = [
    "user",
    "nice",
    "system",
    "idle",
    "iowait",
    "irq",
    "softirq",
    "steal",
    "guest",
    "guest_nice",
];
const DISK_FIELDS: [&str; 11] = [
    "reads_completed",
    "reads_merged",
    "sectors_read",
    "read_ms",
    "writes_completed",
    "writes_merged",
    "sectors_written",
    "write_ms",
    "in_flight",
    "io_ms",
    "weighted_io_ms",
];

fn cpu_values(t: &p::stat::CpuTicks) -> [u64; 10] {
    [
        t.user,
        t.nice,
        t.system,
        t.idle,
        t.iowait,
        t.irq,
        t.softirq,
        t.steal,
        t.guest,
        t.guest_nice,
    ]
}

fn disk_values(c: &p::diskstats::DiskCounters) -> [u64; 11] {
    [
        c.reads_completed,
        c.reads_merged,
        c.sectors_read,
        c.read_ms,
        c.writes_completed,
        c.writes_merged,
        c.sectors_written,
        c.write_ms,
        c.in_flight,
        c.io_ms,
        c.weighted_io_ms,
    ]
}

/// Whether a disk is worth recording: loop and ram devices that never did I/O are left out (a
/// host with snaps has dozens).
fn keep_disk(d: &p::diskstats::DiskStat) -> bool {
    let idle = d.counters.reads_completed == 0 && d.counters.writes_completed == 0;
    !(idle && (d.name.starts_with("loop") || d.name.starts_with("ram")))
}

/// Emits every host number and fact of a reading.
pub fn flatten_host(s: &Snapshot, out: &mut impl Sink) {
    out.fact("hostname", s.host.hostname.clone().unwrap_or_default());
    out.fact("kernel", s.host.kernel.clone().unwrap_or_default());
    out.fact("user_hz", s.host.user_hz.to_string());
    out.fact("user_hz_known", u8::from(s.host.user_hz_known).to_string());
    out.fact("page_size", s.host.page_size_bytes.to_string());
    if let Some(u) = s.uptime {
        out.num("uptime", "", "up_cs", x100(u.up_secs));
        if let Some(i) = u.idle_secs {
            out.num("uptime", "", "idle_cs", x100(i));
        }
    }
    if let Some(st) = &s.stat {
        if let Some(c) = &st.cpu {
            for (f, v) in CPU_FIELDS.iter().zip(cpu_values(c)) {
                out.num("cpu", "", f, v);
            }
            out.num("cpu", "", "nfields", u64::from(c.fields));
        }
        let mut key = String::new();
        for (n, c) in &st.cpus {
            key.clear();
            key.push_str(&n.to_string());
            for (f, v) in CPU_FIELDS.iter().zip(cpu_values(c)) {
                out.num("cpu", &key, f, v);
            }
            out.num("cpu", &key, "nfields", u64::from(c.fields));
        }
        let one = [
            ("intr", st.intr_total),
            ("ctxt", st.ctxt),
            ("btime", st.btime_secs),
            ("processes", st.processes),
            ("procs_running", st.procs_running),
            ("procs_blocked", st.procs_blocked),
        ];
        for (f, v) in one {
            if let Some(v) = v {
                out.num("stat", "", f, v);
            }
        }
    }
    if let Some(l) = s.loadavg {
        out.num("loadavg", "", "load1", x100(l.load1));
        out.num("loadavg", "", "load5", x100(l.load5));
        out.num("loadavg", "", "load15", x100(l.load15));
        out.num("loadavg", "", "runnable", l.runnable);
        out.num("loadavg", "", "threads", l.threads);
        if let Some(v) = l.last_pid {
            out.num("loadavg", "", "last_pid", v);
        }
    }
    if let Some(m) = &s.meminfo {
        for f in &m.fields {
            out.num("meminfo", if f.in_kb { "kB" } else { "" }, &f.name, f.value);
        }
    }
    if let Some(v) = &s.vmstat {
        for (k, x) in &v.fields {
            out.num("vmstat", "", k, *x);
        }
    }
    if let Some(d) = &s.diskstats {
        for disk in d.disks.iter().filter(|d| keep_disk(d)) {
            out.num("disk", &disk.name, "major", u64::from(disk.major));
            out.num("disk", &disk.name, "minor", u64::from(disk.minor));
            for (f, v) in DISK_FIELDS.iter().zip(disk_values(&disk.counters)) {
                out.num("disk", &disk.name, f, v);
            }
            if let Some(x) = disk.counters.discard {
                out.num("disk", &disk.name, "discard_completed", x.completed);
                out.num("disk", &disk.name, "discard_merged", x.merged);
                out.num("disk", &disk.name, "discard_sectors", x.sectors);
                out.num("disk", &disk.name, "discard_ms", x.ms);
            }
            if let Some(x) = disk.counters.flush {
                out.num("disk", &disk.name, "flush_completed", x.completed);
                out.num("disk", &disk.name, "flush_ms", x.ms);
            }
        }
    }
    if let Some(n) = &s.netdev {
        let mut f = String::new();
        for i in &n.interfaces {
            for (c, v) in p::net_dev::RECEIVE_COLUMNS.iter().zip(i.receive) {
                f.clear();
                f.push_str("rx_");
                f.push_str(c);
                out.num("netdev", &i.name, &f, v);
            }
            for (c, v) in p::net_dev::TRANSMIT_COLUMNS.iter().zip(i.transmit) {
                f.clear();
                f.push_str("tx_");
                f.push_str(c);
                out.num("netdev", &i.name, &f, v);
            }
        }
    }
    let psi = [
        ("cpu", s.pressure.cpu),
        ("memory", s.pressure.memory),
        ("io", s.pressure.io),
        ("irq", s.pressure.irq),
    ];
    for (res, pr) in psi {
        let Some(pr) = pr else { continue };
        for (kind, line) in [("some", pr.some), ("full", pr.full)] {
            if let Some(l) = line {
                out.num("psi", res, &format!("{kind}_avg10"), x100(l.avg10_pct));
                out.num("psi", res, &format!("{kind}_avg60"), x100(l.avg60_pct));
                out.num("psi", res, &format!("{kind}_avg300"), x100(l.avg300_pct));
                out.num("psi", res, &format!("{kind}_total_us"), l.total_us);
            }
        }
    }
    for i in &s.interfaces {
        out.num("iface", &i.name, "present", 1);
        let opts = [
            ("carrier", i.carrier),
            ("carrier_changes", i.carrier_changes),
            ("mtu", i.mtu),
            ("speed_mbps", i.speed_mbps),
            ("type", i.arp_type),
        ];
        for (f, v) in opts {
            if let Some(v) = v {
                out.num("iface", &i.name, f, v);
            }
        }
        for (k, v) in &i.statistics {
            out.num("iface", &i.name, &format!("s.{k}"), *v);
        }
        out.fact(
            &format!("iface:{}:mac", i.name),
            i.mac.clone().unwrap_or_default(),
        );
        out.fact(
            &format!("iface:{}:operstate", i.name),
            i.operstate.clone().unwrap_or_default(),
        );
    }
    for b in &s.block_devices {
        if let Some(r) = b.rotational {
            out.num("block", &b.name, "rotational", r);
        }
    }
    for (k, v) in &s.sysctls.values {
        out.num("sysctl", "", k, *v as u64);
    }
    if let Some(j) = s.schedstat_jiffies {
        out.num("schedstat", "", "jiffies", j);
    }
    for cg in &s.cgroups {
        flatten_cgroup(cg, out);
    }
    let mut ipmi = String::new();
    if s.ipmi.si_present {
        ipmi.push_str("si_present\n");
        for (k, v) in &s.ipmi.parameters {
            ipmi.push_str(&format!("{k}={v}\n"));
        }
    }
    out.fact("ipmi", ipmi);
    let mods: String = s
        .modules
        .iter()
        .map(|m| format!("{} {}\n", m.name, m.size_bytes))
        .collect();
    out.fact("modules", mods);
}

fn flatten_cgroup(cg: &CgroupMemory, out: &mut impl Sink) {
    let k = cg.path.as_str();
    out.num("cgroup", k, "version", u64::from(cg.version));
    let opts = [
        ("limit", cg.limit_bytes),
        ("usage", cg.usage_bytes),
        ("swap_limit", cg.swap_limit_bytes),
        ("failcnt", cg.failcnt),
    ];
    for (f, v) in opts {
        if let Some(v) = v {
            out.num("cgroup", k, f, v);
        }
    }
    for (e, v) in &cg.events {
        out.num("cgroup", k, &format!("ev.{e}"), *v);
    }
    for (e, v) in &cg.stat {
        out.num("cgroup", k, &format!("st.{e}"), *v);
    }
}

/// A series' name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesName {
    pub family: String,
    pub key: String,
    pub field: String,
}

fn div100(v: u64) -> f64 {
    v as f64 / 100.0
}

/// Rebuilds the host part of a reading from its numbers (in series-id order, which is the order
/// they were first seen) and the facts in force at that sample.
pub fn rebuild_host<'a>(
    values: impl Iterator<Item = (&'a SeriesName, u64)>,
    facts: &BTreeMap<String, String>,
    s: &mut Snapshot,
) {
    let fact = |k: &str| facts.get(k).filter(|v| !v.is_empty()).cloned();
    s.host = HostFacts {
        hostname: fact("hostname"),
        kernel: fact("kernel"),
        user_hz: fact("user_hz")
            .and_then(|v| v.parse().ok())
            .filter(|v| *v > 0)
            .unwrap_or(100),
        user_hz_known: fact("user_hz_known").is_some_and(|v| v == "1"),
        page_size_bytes: fact("page_size")
            .and_then(|v| v.parse().ok())
            .filter(|v| *v > 0)
            .unwrap_or(4096),
        unix_secs: s.host.unix_secs,
    };
    let mut up: Option<p::uptime::Uptime> = None;
    let mut stat = p::stat::Stat::default();
    let mut have_stat = false;
    let mut cpus: Vec<(u32, p::stat::CpuTicks)> = Vec::new();
    let mut load = [None::<u64>; 6];
    let mut mem = p::meminfo::MemInfo::default();
    let mut vm = p::vmstat::VmStat::default();
    let mut disks: Vec<p::diskstats::DiskStat> = Vec::new();
    let mut nets: Vec<p::net_dev::NetDevCounters> = Vec::new();
    let mut ifaces: Vec<NetInterface> = Vec::new();
    let mut cgroups: Vec<CgroupMemory> = Vec::new();
    let mut psi: [p::pressure::Pressure; 4] = Default::default();
    let mut psi_seen = [false; 4];
    for (n, v) in values {
        match n.family.as_str() {
            "uptime" => {
                let u = up.get_or_insert(p::uptime::Uptime {
                    up_secs: 0.0,
                    idle_secs: None,
                });
                match n.field.as_str() {
                    "up_cs" => u.up_secs = div100(v),
                    "idle_cs" => u.idle_secs = Some(div100(v)),
                    _ => {}
                }
            }
            "cpu" => {
                let t = if n.key.is_empty() {
                    have_stat = true;
                    stat.cpu.get_or_insert_with(p::stat::CpuTicks::default)
                } else {
                    let Ok(num) = n.key.parse::<u32>() else {
                        continue;
                    };
                    have_stat = true;
                    let i = match cpus.iter().position(|(c, _)| *c == num) {
                        Some(i) => i,
                        None => {
                            cpus.push((num, p::stat::CpuTicks::default()));
                            cpus.len() - 1
                        }
                    };
                    &mut cpus[i].1
                };
                match n.field.as_str() {
                    "user" => t.user = v,
                    "nice" => t.nice = v,
                    "system" => t.system = v,
                    "idle" => t.idle = v,
                    "iowait" => t.iowait = v,
                    "irq" => t.irq = v,
                    "softirq" => t.softirq = v,
                    "steal" => t.steal = v,
                    "guest" => t.guest = v,
                    "guest_nice" => t.guest_nice = v,
                    "nfields" => t.fields = u8::try_from(v).unwrap_or(10),
                    _ => {}
                }
            }
            "stat" => {
                have_stat = true;
                match n.field.as_str() {
                    "intr" => stat.intr_total = Some(v),
                    "ctxt" => stat.ctxt = Some(v),
                    "btime" => stat.btime_secs = Some(v),
                    "processes" => stat.processes = Some(v),
                    "procs_running" => stat.procs_running = Some(v),
                    "procs_blocked" => stat.procs_blocked = Some(v),
                    _ => {}
                }
            }
            "loadavg" => {
                let i = [
                    "load1", "load5", "load15", "runnable", "threads", "last_pid",
                ]
                .iter()
                .position(|f| *f == n.field);
                if let Some(i) = i {
                    load[i] = Some(v);
                }
            }
            "meminfo" => mem.fields.push(p::meminfo::MemField {
                name: n.field.clone(),
                value: v,
                in_kb: n.key == "kB",
            }),
            "vmstat" => vm.fields.push((n.field.clone(), v)),
            "disk" => {
                let i = match disks.iter().position(|d| d.name == n.key) {
                    Some(i) => i,
                    None => {
                        disks.push(p::diskstats::DiskStat {
                            major: 0,
                            minor: 0,
                            name: n.key.clone(),
                            counters: Default::default(),
                        });
                        disks.len() - 1
                    }
                };
                let d = &mut disks[i];
                let c = &mut d.counters;
                match n.field.as_str() {
                    "major" => d.major = u32::try_from(v).unwrap_or(0),
                    "minor" => d.minor = u32::try_from(v).unwrap_or(0),
                    "reads_completed" => c.reads_completed = v,
                    "reads_merged" => c.reads_merged = v,
                    "sectors_read" => c.sectors_read = v,
                    "read_ms" => c.read_ms = v,
                    "writes_completed" => c.writes_completed = v,
                    "writes_merged" => c.writes_merged = v,
                    "sectors_written" => c.sectors_written = v,
                    "write_ms" => c.write_ms = v,
                    "in_flight" => c.in_flight = v,
                    "io_ms" => c.io_ms = v,
                    "weighted_io_ms" => c.weighted_io_ms = v,
                    "discard_completed" => {
                        c.discard.get_or_insert_with(Default::default).completed = v
                    }
                    "discard_merged" => c.discard.get_or_insert_with(Default::default).merged = v,
                    "discard_sectors" => c.discard.get_or_insert_with(Default::default).sectors = v,
                    "discard_ms" => c.discard.get_or_insert_with(Default::default).ms = v,
                    "flush_completed" => c.flush.get_or_insert_with(Default::default).completed = v,
                    "flush_ms" => c.flush.get_or_insert_with(Default::default).ms = v,
                    _ => {}
                }
            }
            "netdev" => {
                let i = match nets.iter().position(|d| d.name == n.key) {
                    Some(i) => i,
                    None => {
                        nets.push(p::net_dev::NetDevCounters {
                            name: n.key.clone(),
                            receive: [0; 8],
                            transmit: [0; 8],
                        });
                        nets.len() - 1
                    }
                };
                let d = &mut nets[i];
                let rx = n
                    .field
                    .strip_prefix("rx_")
                    .and_then(|c| p::net_dev::RECEIVE_COLUMNS.iter().position(|x| *x == c));
                let tx = n
                    .field
                    .strip_prefix("tx_")
                    .and_then(|c| p::net_dev::TRANSMIT_COLUMNS.iter().position(|x| *x == c));
                if let Some(k) = rx {
                    d.receive[k] = v;
                } else if let Some(k) = tx {
                    d.transmit[k] = v;
                }
            }
            "psi" => {
                let Some(r) = ["cpu", "memory", "io", "irq"]
                    .iter()
                    .position(|x| *x == n.key)
                else {
                    continue;
                };
                let Some((kind, what)) = n.field.split_once('_') else {
                    continue;
                };
                let slot = match kind {
                    "some" => &mut psi[r].some,
                    "full" => &mut psi[r].full,
                    _ => continue,
                };
                psi_seen[r] = true;
                let l = slot.get_or_insert(p::pressure::PsiLine {
                    avg10_pct: 0.0,
                    avg60_pct: 0.0,
                    avg300_pct: 0.0,
                    total_us: 0,
                });
                match what {
                    "avg10" => l.avg10_pct = div100(v),
                    "avg60" => l.avg60_pct = div100(v),
                    "avg300" => l.avg300_pct = div100(v),
                    "total_us" => l.total_us = v,
                    _ => {}
                }
            }
            "iface" => {
                let i = match ifaces.iter().position(|d| d.name == n.key) {
                    Some(i) => i,
                    None => {
                        ifaces.push(NetInterface {
                            name: n.key.clone(),
                            ..Default::default()
                        });
                        ifaces.len() - 1
                    }
                };
                let f = &mut ifaces[i];
                match n.field.as_str() {
                    "carrier" => f.carrier = Some(v),
                    "carrier_changes" => f.carrier_changes = Some(v),
                    "mtu" => f.mtu = Some(v),
                    "speed_mbps" => f.speed_mbps = Some(v),
                    "type" => f.arp_type = Some(v),
                    other => {
                        if let Some(st) = other.strip_prefix("s.") {
                            f.statistics.push((st.to_string(), v));
                        }
                    }
                }
            }
            "block" if n.field == "rotational" => {
                s.block_devices.push(BlockDevice {
                    name: n.key.clone(),
                    rotational: Some(v),
                    udev: Vec::new(),
                    major_minor: None,
                });
            }
            "sysctl" => s.sysctls.values.push((n.field.clone(), v as i64)),
            "schedstat" => s.schedstat_jiffies = Some(v),
            "cgroup" => {
                let i = match cgroups.iter().position(|d| d.path == n.key) {
                    Some(i) => i,
                    None => {
                        cgroups.push(CgroupMemory {
                            path: n.key.clone(),
                            ..Default::default()
                        });
                        cgroups.len() - 1
                    }
                };
                let c = &mut cgroups[i];
                match n.field.as_str() {
                    "version" => c.version = u8::try_from(v).unwrap_or(0),
                    "limit" => c.limit_bytes = Some(v),
                    "usage" => c.usage_bytes = Some(v),
                    "swap_limit" => c.swap_limit_bytes = Some(v),
                    "failcnt" => c.failcnt = Some(v),
                    other => {
                        if let Some(e) = other.strip_prefix("ev.") {
                            c.events.push((e.to_string(), v));
                        } else if let Some(e) = other.strip_prefix("st.") {
                            c.stat.push((e.to_string(), v));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    s.uptime = up;
    if have_stat {
        cpus.sort_by_key(|(n, _)| *n);
        stat.cpus = cpus;
        s.stat = Some(stat);
    }
    if let [Some(l1), Some(l5), Some(l15), Some(r), Some(t), last] = load {
        s.loadavg = Some(p::loadavg::LoadAvg {
            load1: div100(l1),
            load5: div100(l5),
            load15: div100(l15),
            runnable: r,
            threads: t,
            last_pid: last,
        });
    }
    if !mem.fields.is_empty() {
        s.meminfo = Some(mem);
    }
    if !vm.fields.is_empty() {
        s.vmstat = Some(vm);
    }
    if !disks.is_empty() {
        s.diskstats = Some(p::diskstats::DiskStats {
            disks,
            ..Default::default()
        });
    }
    if !nets.is_empty() {
        s.netdev = Some(p::net_dev::NetDev {
            interfaces: nets,
            skipped_lines: 0,
        });
    }
    let pr = |i: usize| psi_seen[i].then_some(psi[i]);
    s.pressure = karte_snapshot::snapshot::Pressures {
        cpu: pr(0),
        memory: pr(1),
        io: pr(2),
        irq: pr(3),
    };
    for f in &mut ifaces {
        f.mac = fact(&format!("iface:{}:mac", f.name));
        f.operstate = fact(&format!("iface:{}:operstate", f.name));
    }
    s.interfaces = ifaces;
    s.cgroups = cgroups;
    if let Some(ipmi) = facts.get("ipmi") {
        let mut st = IpmiState::default();
        for line in ipmi.lines() {
            if line == "si_present" {
                st.si_present = true;
            } else if let Some((k, v)) = line.split_once('=') {
                st.parameters.push((k.to_string(), v.to_string()));
            }
        }
        s.ipmi = st;
    }
    if let Some(m) = facts.get("modules") {
        s.modules = m
            .lines()
            .filter_map(|l| {
                let (name, size) = l.split_once(' ')?;
                Some(p::modules::Module {
                    name: name.to_string(),
                    size_bytes: size.parse().ok()?,
                    refcount: None,
                    state: Some("Live".into()),
                })
            })
            .collect();
    }
}

/// A process of a reading as a stored row; `intern` gives a string's id (0 is reserved for none).
pub fn to_row(pr: &Process, intern: &mut impl FnMut(&str) -> u64) -> ProcRow {
    let st = &pr.stat;
    let mut r = ProcRow {
        pid: st.pid,
        ppid: st.ppid,
        state: u32::from(st.state.letter()),
        nice: st.nice,
        priority: st.priority,
        flags: st.flags,
        starttime_ticks: st.starttime_ticks,
        utime_ticks: st.utime_ticks,
        stime_ticks: st.stime_ticks,
        minflt: st.minflt,
        majflt: st.majflt,
        num_threads: st.num_threads,
        vsize_bytes: st.vsize_bytes,
        rss_pages: st.rss_pages,
        comm: intern(&st.comm),
        ..ProcRow::default()
    };
    let mut set = |bit: u64, v: Option<u64>, slot: &mut u64| {
        if let Some(v) = v {
            r.present |= bit;
            *slot = v;
        }
    };
    let mut processor = 0;
    set(opt::PROCESSOR, st.processor.map(u64::from), &mut processor);
    let mut blkio = 0;
    set(opt::BLKIO, st.blkio_ticks, &mut blkio);
    let (mut uid, mut rss, mut swap, mut anon) = (0, 0, 0, 0);
    if let Some(status) = &pr.status {
        set(opt::STATUS, Some(1), &mut 0);
        set(opt::UID, status.uids.map(|u| u64::from(u[0])), &mut uid);
        set(opt::VM_RSS, status.vm_rss_kb, &mut rss);
        set(opt::VM_SWAP, status.vm_swap_kb, &mut swap);
        set(opt::RSS_ANON, status.rss_anon_kb, &mut anon);
    }
    let (mut oom, mut adj) = (0u64, 0u64);
    set(opt::OOM_SCORE, pr.oom_score.map(|v| v as u64), &mut oom);
    set(
        opt::OOM_SCORE_ADJ,
        pr.oom_score_adj.map(|v| v as u64),
        &mut adj,
    );
    r.processor = processor;
    r.blkio_ticks = blkio;
    r.uid = uid;
    r.vm_rss_kb = rss;
    r.vm_swap_kb = swap;
    r.rss_anon_kb = anon;
    r.oom_score = oom as i64;
    r.oom_score_adj = adj as i64;
    if let Some(c) = &pr.cmdline {
        r.present |= opt::CMDLINE;
        r.cmdline = if c.is_empty() { 0 } else { intern(c) };
    }
    if let Some(w) = &pr.wchan {
        r.wchan = intern(w);
    }
    if let Some(cg) = &pr.cgroup {
        r.present |= opt::CGROUP;
        r.cgroup = cg.unified.as_deref().map_or(0, &mut *intern);
        r.cgroup_v1 = cg.memory_v1.as_deref().map_or(0, &mut *intern);
    }
    r
}

/// A stored row as a process; `text` resolves string ids.
pub fn from_row(r: &ProcRow, text: &impl Fn(u64) -> Option<String>) -> Process {
    let has = |bit: u64| r.present & bit != 0;
    let letter = char::from_u32(r.state).unwrap_or('?');
    let stat = p::pid_stat::PidStat {
        pid: r.pid,
        comm: text(r.comm).unwrap_or_default(),
        state: p::pid_stat::TaskState::from_letter(letter),
        ppid: r.ppid,
        pgrp: 0,
        session: 0,
        tpgid: -1,
        flags: r.flags,
        minflt: r.minflt,
        majflt: r.majflt,
        utime_ticks: r.utime_ticks,
        stime_ticks: r.stime_ticks,
        priority: r.priority,
        nice: r.nice,
        num_threads: r.num_threads,
        starttime_ticks: r.starttime_ticks,
        vsize_bytes: r.vsize_bytes,
        rss_pages: r.rss_pages,
        processor: has(opt::PROCESSOR).then(|| u32::try_from(r.processor).unwrap_or(0)),
        rt_priority: None,
        policy: None,
        blkio_ticks: has(opt::BLKIO).then_some(r.blkio_ticks),
    };
    let status = has(opt::STATUS).then(|| p::pid_status::PidStatus {
        name: None,
        tgid: Some(r.pid),
        uids: has(opt::UID).then(|| {
            let u = u32::try_from(r.uid).unwrap_or(u32::MAX);
            [u, u, u, u]
        }),
        vm_rss_kb: has(opt::VM_RSS).then_some(r.vm_rss_kb),
        rss_anon_kb: has(opt::RSS_ANON).then_some(r.rss_anon_kb),
        vm_swap_kb: has(opt::VM_SWAP).then_some(r.vm_swap_kb),
        threads: Some(r.num_threads),
        ..Default::default()
    });
    let opt_text = |id: u64| if id == 0 { None } else { text(id) };
    Process {
        stat,
        status,
        cmdline: has(opt::CMDLINE).then(|| opt_text(r.cmdline).unwrap_or_default()),
        wchan: opt_text(r.wchan),
        oom_score: has(opt::OOM_SCORE).then_some(r.oom_score),
        oom_score_adj: has(opt::OOM_SCORE_ADJ).then_some(r.oom_score_adj),
        cgroup: has(opt::CGROUP).then(|| p::cgroup::PidCgroup {
            unified: opt_text(r.cgroup),
            memory_v1: opt_text(r.cgroup_v1),
        }),
    }
}
