//! Series on a time grid → the [`Snapshot`]s the rules read.
//!
//! Each family is put back into the kernel's own units, inverting what node_exporter (and
//! `karte serve`, which exports the same names) did to them:
//!
//! | metric | snapshot field |
//! |---|---|
//! | `node_cpu_seconds_total{cpu,mode}` × USER_HZ (100, node_exporter's constant) | `stat.cpus`, `stat.cpu` (their sum) in ticks |
//! | `node_procs_running`, `node_procs_blocked`, `node_boot_time_seconds`, `node_forks_total`, `node_context_switches_total`, `node_intr_total` | `stat.procs_running`, `procs_blocked`, `btime_secs`, `processes`, `ctxt`, `intr_total` |
//! | `node_load1/5/15` + `node_procs_running` | `loadavg` (`runnable` = procs_running; threads unknown, 0) |
//! | `node_memory_X_bytes` / 1024 | `meminfo` field `X` in kB (`Active_anon` → `Active(anon)` …) |
//! | `node_vmstat_X` | `vmstat` field `X` |
//! | `node_disk_*{device}`: seconds × 1000 → ms, bytes / 512 → sectors | `diskstats` |
//! | `node_network_{receive,transmit}_{bytes,packets,errs,drop}_total{device}` | `netdev` (other columns 0) |
//! | `node_network_carrier_changes_total{device}` | `interfaces[].carrier_changes` |
//! | `node_pressure_*_seconds_total` × 10⁶ | `pressure.*.{some,full}.total_us` |
//! | `node_uname_info{nodename,release}` | `host.hostname`, `host.kernel` |
//! | `karte_load_tasks{state="uninterruptible"}` | `stat.procs_blocked` when node_procs_blocked is missing |
//!
//! What is approximated, and why:
//! * The readings' times are the scrape times of the samples (`timestamp(node_load1)`), not the
//!   grid's, so rates divide by the time that really passed between the two scrapes; without
//!   that series the grid times are used.
//! * PSI's `avg10/avg60/avg300` are not exported (only the totals): each snapshot carries the
//!   stall share over the step that ends at it in all three, computed from the totals.
//! * No process table, no kernel log, no sysctls (node_exporter exports none of them by default),
//!   no `/sys/block` facts (rotational unknown), page size assumed 4096.
//! * The CPU line of a pair is summed over the CPUs present at both ends, so a CPU that comes
//!   or goes (hotplug, a missing series) never makes the aggregate jump.

use crate::api::Series;
use karte_procfs::diskstats::{DiskCounters, DiskStat, DiskStats, SECTOR_BYTES};
use karte_procfs::loadavg::LoadAvg;
use karte_procfs::meminfo::{MemField, MemInfo};
use karte_procfs::net_dev::{NetDev, NetDevCounters};
use karte_procfs::pressure::{Pressure, PsiLine};
use karte_procfs::stat::{CpuTicks, Stat};
use karte_procfs::uptime::Uptime;
use karte_procfs::vmstat::VmStat;
use karte_snapshot::{HostFacts, NetInterface, Snapshot};
use std::collections::BTreeMap;

/// node_exporter divides /proc/stat ticks by this constant (procfs' `userHZ`), whatever the
/// host's own USER_HZ.
pub const NODE_EXPORTER_USER_HZ: u32 = 100;
/// Assumed page size (swap-thrashing's byte figures).
pub const PAGE_SIZE: u32 = 4096;

/// Regular times `start + k·step`, `k < len`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    pub start: f64,
    pub step: f64,
    pub len: usize,
}

impl Grid {
    /// The grid over `[start, end]`; at least one point.
    pub fn new(start: f64, end: f64, step: f64) -> Grid {
        let len = if step > 0.0 && end >= start {
            ((end - start) / step + 1e-9).floor() as usize + 1
        } else {
            1
        };
        Grid { start, step, len }
    }

    pub fn time(&self, i: usize) -> f64 {
        self.start + i as f64 * self.step
    }

    pub fn end(&self) -> f64 {
        self.time(self.len.saturating_sub(1))
    }

    /// The grid index of a sample time, if it is on the grid (within a tenth of a step).
    pub fn index(&self, t: f64) -> Option<usize> {
        if !(t.is_finite() && self.step > 0.0) {
            return None;
        }
        let k = ((t - self.start) / self.step).round();
        if k < 0.0 || k >= self.len as f64 {
            return None;
        }
        let off = (t - self.time(k as usize)).abs();
        (off <= self.step * 0.1).then_some(k as usize)
    }
}

/// One column of values on the grid; `None` where the series had no sample.
pub type Column = Vec<Option<f64>>;

/// The CPU modes in /proc/stat order, as node_exporter names them.
const CPU_MODES: [&str; 8] = [
    "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal",
];

const DISK_FAMILIES: [&str; 11] = [
    "node_disk_reads_completed_total",
    "node_disk_reads_merged_total",
    "node_disk_read_bytes_total",
    "node_disk_read_time_seconds_total",
    "node_disk_writes_completed_total",
    "node_disk_writes_merged_total",
    "node_disk_written_bytes_total",
    "node_disk_write_time_seconds_total",
    "node_disk_io_now",
    "node_disk_io_time_seconds_total",
    "node_disk_io_time_weighted_seconds_total",
];

/// The netdev columns fetched, as (direction, column index, node_exporter column name).
const NET_COLUMNS: [(bool, usize, &str); 8] = [
    (true, 0, "bytes"),
    (true, 1, "packets"),
    (true, 2, "errs"),
    (true, 3, "drop"),
    (false, 0, "bytes"),
    (false, 1, "packets"),
    (false, 2, "errs"),
    (false, 3, "drop"),
];

/// The scalar families (no device or cpu label) read into the snapshot.
pub const SCALAR_FAMILIES: [&str; 10] = [
    "node_load1",
    "node_load5",
    "node_load15",
    "node_procs_running",
    "node_procs_blocked",
    "node_boot_time_seconds",
    "node_forks_total",
    "node_context_switches_total",
    "node_intr_total",
    "karte_load_tasks",
];

/// The meminfo fields fetched (node_exporter's names, without `node_memory_` and `_bytes`).
pub const MEMINFO_FIELDS: [&str; 24] = [
    "MemTotal",
    "MemFree",
    "MemAvailable",
    "Buffers",
    "Cached",
    "SwapCached",
    "Active",
    "Inactive",
    "Active_anon",
    "Inactive_anon",
    "Active_file",
    "Inactive_file",
    "Dirty",
    "Writeback",
    "AnonPages",
    "Mapped",
    "Shmem",
    "Slab",
    "SReclaimable",
    "SUnreclaim",
    "SwapTotal",
    "SwapFree",
    "CommitLimit",
    "Committed_AS",
];

/// The vmstat fields fetched (node_exporter's default set exports these).
pub const VMSTAT_FIELDS: [&str; 7] = [
    "pswpin",
    "pswpout",
    "pgmajfault",
    "pgfault",
    "oom_kill",
    "pgpgin",
    "pgpgout",
];

/// PSI families: (resource, full?, metric).
const PSI_FAMILIES: [(&str, bool, &str); 5] = [
    ("cpu", false, "node_pressure_cpu_waiting_seconds_total"),
    (
        "memory",
        false,
        "node_pressure_memory_waiting_seconds_total",
    ),
    ("memory", true, "node_pressure_memory_stalled_seconds_total"),
    ("io", false, "node_pressure_io_waiting_seconds_total"),
    ("io", true, "node_pressure_io_stalled_seconds_total"),
];

/// The kernel's meminfo name for node_exporter's key (`Active_anon` → `Active(anon)`).
pub fn meminfo_name(key: &str) -> String {
    for p in ["Active_", "Inactive_"] {
        if let Some(rest) = key.strip_prefix(p)
            && (rest == "anon" || rest == "file")
        {
            return format!("{}({rest})", &p[..p.len() - 1]);
        }
    }
    key.to_string()
}

/// A karte finding series (`karte_finding{rule,severity,subject}`): 1 while it held.
#[derive(Debug, Clone, PartialEq)]
pub struct KarteFindingSeries {
    pub rule: String,
    pub severity: String,
    pub subject: String,
    pub held: Vec<bool>,
}

/// One instance's data on the grid.
#[derive(Debug, Clone, Default)]
pub struct InstanceData {
    pub grid: Option<Grid>,
    /// Scrape time of the sample seen at each grid time.
    pub sample_time: Column,
    /// cpu number → the 8 mode columns in seconds.
    pub cpus: BTreeMap<u32, [Column; 8]>,
    /// Scalar families by metric name; meminfo as `node_memory_X_bytes`, vmstat as `node_vmstat_X`,
    /// PSI by metric name, `karte_load_tasks` as `karte_load_tasks:STATE`.
    pub scalars: BTreeMap<String, Column>,
    /// device → family → column.
    pub disks: BTreeMap<String, BTreeMap<&'static str, Column>>,
    /// device → `receive_bytes`/… and `carrier_changes` → column.
    pub nets: BTreeMap<String, BTreeMap<String, Column>>,
    pub nodename: Option<String>,
    pub kernel: Option<String>,
    pub karte_findings: Vec<KarteFindingSeries>,
    /// Series that appeared more than once for the same key (several jobs scrape the host).
    pub duplicates: usize,
    /// Series ignored (unknown family or label).
    pub ignored: usize,
}

fn put(col: &mut Column, grid: &Grid, points: &[(f64, f64)]) -> bool {
    if col.len() != grid.len {
        col.resize(grid.len, None);
    }
    let mut dup = false;
    for (t, v) in points {
        if let Some(i) = grid.index(*t) {
            match col[i] {
                None => col[i] = Some(*v),
                Some(_) => dup = true,
            }
        }
    }
    dup
}

impl InstanceData {
    pub fn new(grid: Grid) -> InstanceData {
        InstanceData {
            grid: Some(grid),
            sample_time: vec![None; grid.len],
            ..Default::default()
        }
    }

    fn grid(&self) -> Grid {
        self.grid.unwrap_or(Grid {
            start: 0.0,
            step: 1.0,
            len: 0,
        })
    }

    /// Takes the series of any of the fetched families (the metric name must be kept).
    pub fn ingest(&mut self, series: &[Series]) {
        let g = self.grid();
        for s in series {
            let Some(name) = s.name() else {
                self.ignored += 1;
                continue;
            };
            let dup = if name == "node_cpu_seconds_total" {
                let (Some(cpu), Some(mode)) = (
                    s.label("cpu").and_then(|c| c.parse::<u32>().ok()),
                    s.label("mode"),
                ) else {
                    self.ignored += 1;
                    continue;
                };
                let Some(m) = CPU_MODES.iter().position(|x| *x == mode) else {
                    // guest modes and others that are not time partitions
                    continue;
                };
                let cols = self
                    .cpus
                    .entry(cpu)
                    .or_insert_with(|| std::array::from_fn(|_| vec![None; g.len]));
                put(&mut cols[m], &g, &s.points)
            } else if let Some(fam) = DISK_FAMILIES.iter().find(|f| **f == name) {
                let Some(dev) = s.label("device") else {
                    self.ignored += 1;
                    continue;
                };
                let col = self
                    .disks
                    .entry(dev.to_string())
                    .or_default()
                    .entry(fam)
                    .or_default();
                put(col, &g, &s.points)
            } else if let Some(rest) = name.strip_prefix("node_network_") {
                let Some(dev) = s.label("device") else {
                    self.ignored += 1;
                    continue;
                };
                let key = rest.strip_suffix("_total").unwrap_or(rest).to_string();
                let col = self
                    .nets
                    .entry(dev.to_string())
                    .or_default()
                    .entry(key)
                    .or_default();
                put(col, &g, &s.points)
            } else if name == "node_uname_info" {
                if self.nodename.is_none() {
                    self.nodename = s
                        .label("nodename")
                        .filter(|n| !n.is_empty())
                        .map(str::to_string);
                    self.kernel = s
                        .label("release")
                        .filter(|n| !n.is_empty())
                        .map(str::to_string);
                }
                false
            } else if name == "karte_finding" {
                let mut held = vec![false; g.len];
                for (t, v) in &s.points {
                    if let Some(i) = g.index(*t) {
                        held[i] = *v > 0.0;
                    }
                }
                self.karte_findings.push(KarteFindingSeries {
                    rule: s.label("rule").unwrap_or("").to_string(),
                    severity: s.label("severity").unwrap_or("").to_string(),
                    subject: s.label("subject").unwrap_or("").to_string(),
                    held,
                });
                false
            } else if name == "karte_load_tasks" {
                let key = format!("karte_load_tasks:{}", s.label("state").unwrap_or(""));
                put(self.scalars.entry(key).or_default(), &g, &s.points)
            } else if SCALAR_FAMILIES.contains(&name)
                || name.starts_with("node_memory_")
                || name.starts_with("node_vmstat_")
                || name.starts_with("node_pressure_")
            {
                put(
                    self.scalars.entry(name.to_string()).or_default(),
                    &g,
                    &s.points,
                )
            } else {
                self.ignored += 1;
                false
            };
            if dup {
                self.duplicates += 1;
            }
        }
    }

    /// Takes the answer of `timestamp(node_load1{...})`: the scrape time at each grid time.
    pub fn ingest_sample_times(&mut self, series: &[Series]) {
        let g = self.grid();
        if let Some(s) = series.first() {
            put(&mut self.sample_time, &g, &s.points);
        }
    }

    fn scalar(&self, name: &str, i: usize) -> Option<f64> {
        self.scalars
            .get(name)
            .and_then(|c| c.get(i).copied().flatten())
    }

    /// Whether anything node-like is known at grid index `i`.
    pub fn has_data(&self, i: usize) -> bool {
        self.scalar("node_load1", i).is_some()
            || self
                .cpus
                .values()
                .any(|c| c[3].get(i).copied().flatten().is_some())
    }

    /// When the reading at grid index `i` was taken: the scrape time if known, else the grid time.
    pub fn time_at(&self, i: usize) -> f64 {
        self.sample_time
            .get(i)
            .copied()
            .flatten()
            .unwrap_or_else(|| self.grid().time(i))
    }

    /// The boot time at `i`, if exported.
    pub fn boot_time(&self, i: usize) -> Option<f64> {
        self.scalar("node_boot_time_seconds", i)
    }

    /// The CPUs with all eight modes known at every index of `idx`.
    pub fn cpus_at(&self, idx: &[usize]) -> Vec<u32> {
        self.cpus
            .iter()
            .filter(|(_, cols)| {
                idx.iter()
                    .all(|&i| cols.iter().all(|c| c.get(i).copied().flatten().is_some()))
            })
            .map(|(n, _)| *n)
            .collect()
    }

    /// PSI stall share (percent of wall time) over the step that ends at `i`, for one metric.
    fn psi_share(&self, metric: &str, i: usize) -> Option<f64> {
        if i == 0 {
            return None;
        }
        let (b, a) = (self.scalar(metric, i - 1)?, self.scalar(metric, i)?);
        let secs = self.time_at(i) - self.time_at(i - 1);
        (a >= b && secs > 0.0).then(|| ((a - b) / secs * 100.0).clamp(0.0, 100.0))
    }

    /// The snapshot at grid index `i`, with the CPU lines of `cpus` only.
    pub fn snapshot(&self, i: usize, cpus: &[u32], instance: &str) -> Snapshot {
        let t = self.time_at(i);
        let boot = self.boot_time(i);
        let mut s = Snapshot {
            host: HostFacts {
                hostname: Some(
                    self.nodename
                        .clone()
                        .unwrap_or_else(|| instance.to_string()),
                ),
                kernel: self.kernel.clone(),
                user_hz: NODE_EXPORTER_USER_HZ,
                user_hz_known: true,
                page_size_bytes: PAGE_SIZE,
                unix_secs: Some(t),
            },
            ..Default::default()
        };
        s.uptime = boot.filter(|b| *b > 0.0 && t > *b).map(|b| Uptime {
            up_secs: t - b,
            idle_secs: None,
        });

        // /proc/stat
        let ticks = |secs: f64| to_u64(secs * f64::from(NODE_EXPORTER_USER_HZ));
        let mut per_cpu = Vec::new();
        for n in cpus {
            let Some(cols) = self.cpus.get(n) else {
                continue;
            };
            let mut m = [0u64; 8];
            let mut ok = true;
            for (k, c) in cols.iter().enumerate() {
                match c.get(i).copied().flatten().and_then(ticks) {
                    Some(v) => m[k] = v,
                    None => ok = false,
                }
            }
            if ok {
                per_cpu.push((*n, cpu_ticks(m)));
            }
        }
        let u = |name: &str| self.scalar(name, i).and_then(to_u64);
        let blocked = u("node_procs_blocked").or_else(|| u("karte_load_tasks:uninterruptible"));
        let running = u("node_procs_running");
        if !per_cpu.is_empty() || running.is_some() || blocked.is_some() {
            let mut sum = [0u64; 8];
            for (_, t) in &per_cpu {
                for (k, v) in t.modes().iter().enumerate() {
                    sum[k] = sum[k].saturating_add(*v);
                }
            }
            s.stat = Some(Stat {
                cpu: (!per_cpu.is_empty()).then(|| cpu_ticks(sum)),
                cpus: per_cpu,
                intr_total: u("node_intr_total"),
                ctxt: u("node_context_switches_total"),
                btime_secs: u("node_boot_time_seconds"),
                processes: u("node_forks_total"),
                procs_running: running,
                procs_blocked: blocked,
                softirq_by_type: Vec::new(),
                skipped_lines: 0,
            });
        }

        // /proc/loadavg
        if let Some(l1) = self.scalar("node_load1", i).filter(|v| *v >= 0.0) {
            s.loadavg = Some(LoadAvg {
                load1: l1,
                load5: self
                    .scalar("node_load5", i)
                    .filter(|v| *v >= 0.0)
                    .unwrap_or(l1),
                load15: self
                    .scalar("node_load15", i)
                    .filter(|v| *v >= 0.0)
                    .unwrap_or(l1),
                runnable: running.unwrap_or(0),
                threads: 0,
                last_pid: None,
            });
        }

        // /proc/meminfo
        let fields: Vec<MemField> = MEMINFO_FIELDS
            .iter()
            .filter_map(|k| {
                let v = self.scalar(&format!("node_memory_{k}_bytes"), i)?;
                Some(MemField {
                    name: meminfo_name(k),
                    value: to_u64(v / 1024.0)?,
                    in_kb: true,
                })
            })
            .collect();
        if !fields.is_empty() {
            s.meminfo = Some(MemInfo {
                fields,
                skipped_lines: 0,
            });
        }

        // /proc/vmstat
        let vm: Vec<(String, u64)> = VMSTAT_FIELDS
            .iter()
            .filter_map(|k| {
                Some((
                    k.to_string(),
                    self.scalar(&format!("node_vmstat_{k}"), i)
                        .and_then(to_u64)?,
                ))
            })
            .collect();
        if !vm.is_empty() {
            s.vmstat = Some(VmStat {
                fields: vm,
                skipped_lines: 0,
            });
        }

        // /proc/diskstats
        let mut disks = Vec::new();
        for (dev, fams) in &self.disks {
            let g = |f: &str| fams.get(f).and_then(|c| c.get(i).copied().flatten());
            let ms = |f: &str| g(f).and_then(|v| to_u64(v * 1000.0));
            let count = |f: &str| g(f).and_then(to_u64);
            let sectors = |f: &str| g(f).and_then(|v| to_u64(v / SECTOR_BYTES as f64));
            let (Some(rc), Some(wc), Some(io_ms)) = (
                count(DISK_FAMILIES[0]),
                count(DISK_FAMILIES[4]),
                ms(DISK_FAMILIES[9]),
            ) else {
                continue;
            };
            disks.push(DiskStat {
                major: 0,
                minor: 0,
                name: dev.clone(),
                counters: DiskCounters {
                    reads_completed: rc,
                    reads_merged: count(DISK_FAMILIES[1]).unwrap_or(0),
                    sectors_read: sectors(DISK_FAMILIES[2]).unwrap_or(0),
                    read_ms: ms(DISK_FAMILIES[3]).unwrap_or(0),
                    writes_completed: wc,
                    writes_merged: count(DISK_FAMILIES[5]).unwrap_or(0),
                    sectors_written: sectors(DISK_FAMILIES[6]).unwrap_or(0),
                    write_ms: ms(DISK_FAMILIES[7]).unwrap_or(0),
                    in_flight: count(DISK_FAMILIES[8]).unwrap_or(0),
                    io_ms,
                    weighted_io_ms: ms(DISK_FAMILIES[10]).unwrap_or(0),
                    discard: None,
                    flush: None,
                },
            });
        }
        if !disks.is_empty() {
            s.diskstats = Some(DiskStats {
                disks,
                skipped_lines: 0,
            });
        }

        // /proc/net/dev and /sys/class/net/*/carrier_changes
        let mut ifs = Vec::new();
        for (dev, cols) in &self.nets {
            let g = |k: &str| {
                cols.get(k)
                    .and_then(|c| c.get(i).copied().flatten())
                    .and_then(to_u64)
            };
            let mut receive = [0u64; 8];
            let mut transmit = [0u64; 8];
            let mut complete = true;
            for (rx, idx, col) in NET_COLUMNS {
                let key = format!("{}_{col}", if rx { "receive" } else { "transmit" });
                match g(&key) {
                    Some(v) if rx => receive[idx] = v,
                    Some(v) => transmit[idx] = v,
                    None => complete = false,
                }
            }
            if complete {
                ifs.push(NetDevCounters {
                    name: dev.clone(),
                    receive,
                    transmit,
                });
            }
            if let Some(cc) = g("carrier_changes") {
                s.interfaces.push(NetInterface {
                    name: dev.clone(),
                    carrier_changes: Some(cc),
                    ..Default::default()
                });
            }
        }
        if !ifs.is_empty() {
            s.netdev = Some(NetDev {
                interfaces: ifs,
                skipped_lines: 0,
            });
        }

        // /proc/pressure/*
        for res in ["cpu", "memory", "io"] {
            let line = |full: bool| {
                let (_, _, metric) = PSI_FAMILIES
                    .iter()
                    .find(|(r, f, _)| *r == res && *f == full)?;
                let total = self.scalar(metric, i)?;
                let share = self.psi_share(metric, i).unwrap_or(0.0);
                Some(PsiLine {
                    avg10_pct: share,
                    avg60_pct: share,
                    avg300_pct: share,
                    total_us: to_u64(total * 1e6)?,
                })
            };
            let (some, full) = (line(false), line(true));
            if some.is_some() || full.is_some() {
                let p = Some(Pressure { some, full });
                match res {
                    "cpu" => s.pressure.cpu = p,
                    "memory" => s.pressure.memory = p,
                    _ => s.pressure.io = p,
                }
            }
        }
        s
    }
}

fn cpu_ticks(m: [u64; 8]) -> CpuTicks {
    CpuTicks {
        user: m[0],
        nice: m[1],
        system: m[2],
        idle: m[3],
        iowait: m[4],
        irq: m[5],
        softirq: m[6],
        steal: m[7],
        guest: 0,
        guest_nice: 0,
        fields: 8,
    }
}

/// Largest counter taken (2^60): above any real counter (a 100 Gbit/s link counts 2^58 bytes
/// in a decade), and small enough that the sums the interval computes cannot overflow.
pub const MAX_COUNTER: f64 = 1_152_921_504_606_846_976.0;

/// A non-negative finite value up to [`MAX_COUNTER`] as an integer (rounded); `None` otherwise.
pub fn to_u64(v: f64) -> Option<u64> {
    (v.is_finite() && (0.0..=MAX_COUNTER).contains(&v)).then(|| v.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn series(name: &str, labels: &[(&str, &str)], points: Vec<(f64, f64)>) -> Series {
        let mut l: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        l.insert("__name__".into(), name.into());
        Series { labels: l, points }
    }

    #[test]
    fn grid_indexes() {
        let g = Grid::new(1000.0, 1600.0, 300.0);
        assert_eq!(g.len, 3);
        assert_eq!(g.index(1300.0), Some(1));
        assert_eq!(g.index(1310.0), Some(1));
        assert_eq!(g.index(1400.0), None);
        assert_eq!(g.index(1900.0), None);
        assert_eq!(g.index(f64::NAN), None);
    }

    #[test]
    fn names() {
        assert_eq!(meminfo_name("Active_anon"), "Active(anon)");
        assert_eq!(meminfo_name("Inactive_file"), "Inactive(file)");
        assert_eq!(meminfo_name("Active"), "Active");
        assert_eq!(meminfo_name("Committed_AS"), "Committed_AS");
    }

    #[test]
    fn units_back_to_the_kernel() {
        let g = Grid::new(0.0, 60.0, 60.0);
        let mut d = InstanceData::new(g);
        let mut ss = Vec::new();
        for (k, mode) in CPU_MODES.iter().enumerate() {
            ss.push(series(
                "node_cpu_seconds_total",
                &[("cpu", "0"), ("mode", mode)],
                vec![(0.0, 10.0 * k as f64), (60.0, 10.0 * k as f64 + 6.0)],
            ));
        }
        ss.push(series(
            "node_memory_Active_file_bytes",
            &[],
            vec![(60.0, 2048.0 * 1024.0)],
        ));
        ss.push(series(
            "node_disk_read_bytes_total",
            &[("device", "sda")],
            vec![(60.0, 1024.0)],
        ));
        ss.push(series(
            "node_disk_reads_completed_total",
            &[("device", "sda")],
            vec![(60.0, 2.0)],
        ));
        ss.push(series(
            "node_disk_writes_completed_total",
            &[("device", "sda")],
            vec![(60.0, 3.0)],
        ));
        ss.push(series(
            "node_disk_io_time_seconds_total",
            &[("device", "sda")],
            vec![(60.0, 1.5)],
        ));
        ss.push(series("node_load1", &[], vec![(0.0, 0.5), (60.0, 0.75)]));
        ss.push(series("node_procs_running", &[], vec![(60.0, 3.0)]));
        ss.push(series(
            "node_pressure_memory_waiting_seconds_total",
            &[],
            vec![(0.0, 1.0), (60.0, 7.0)],
        ));
        ss.push(series(
            "node_uname_info",
            &[("nodename", "web-1"), ("release", "6.1.0")],
            vec![(60.0, 1.0)],
        ));
        ss.push(series("something_else", &[], vec![(60.0, 1.0)]));
        d.ingest(&ss);
        assert_eq!(d.ignored, 1);
        let cpus = d.cpus_at(&[0, 1]);
        assert_eq!(cpus, vec![0]);
        let s = d.snapshot(1, &cpus, "a:9100");
        let st = s.stat.as_ref().expect("stat");
        assert_eq!(st.cpus[0].1.steal, 7 * 1000 + 600);
        assert_eq!(st.cpu.map(|c| c.idle), Some(3600));
        assert_eq!(st.procs_running, Some(3));
        assert_eq!(s.mem_kb("Active(file)"), Some(2048));
        let dk = &s.diskstats.as_ref().expect("disks").disks[0];
        assert_eq!((dk.counters.sectors_read, dk.counters.io_ms), (2, 1500));
        assert_eq!(s.loadavg.map(|l| (l.load1, l.runnable)), Some((0.75, 3)));
        let psi = s.pressure.memory.and_then(|p| p.some).expect("psi");
        assert_eq!(psi.total_us, 7_000_000);
        assert!((psi.avg60_pct - 10.0).abs() < 1e-9);
        assert_eq!(s.host.hostname.as_deref(), Some("web-1"));
        assert_eq!(s.host.kernel.as_deref(), Some("6.1.0"));
        // Nothing at index 0 but CPU, load and PSI.
        let s0 = d.snapshot(0, &cpus, "a:9100");
        assert!(s0.meminfo.is_none() && s0.diskstats.is_none());
    }
}
