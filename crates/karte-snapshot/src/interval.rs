//! Two snapshots turned into shares and rates.
//!
//! Formulas follow the tools users compare against: CPU shares as top/vmstat compute them (guest
//! inside user and nice, never counted twice), per-process CPU both as top does (this interval)
//! and as ps does (lifetime average), disks as iostat does. Counters that run backwards (iowait
//! does by design on NO_HZ kernels; some kernels' steal does) give a zero delta for that field and
//! an [`CounterAnomaly`], never a negative or a >100 % share.

use crate::snapshot::{Process, Snapshot};
use karte_procfs::diskstats::{DiskCounters, SECTOR_BYTES};
use karte_procfs::stat::{CpuTicks, MODES};
use serde::Serialize;

/// CPU time shares over an interval, in percent of the CPU time that passed; they sum to 100.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct CpuShares {
    pub user_pct: f64,
    pub nice_pct: f64,
    pub system_pct: f64,
    pub idle_pct: f64,
    pub iowait_pct: f64,
    pub irq_pct: f64,
    pub softirq_pct: f64,
    pub steal_pct: f64,
    /// The ticks the shares are computed from (all modes, guest excluded).
    pub total_ticks: u64,
}

impl CpuShares {
    /// Everything but idle and iowait.
    pub fn busy_pct(&self) -> f64 {
        100.0 - self.idle_pct - self.iowait_pct
    }

    /// In the order of [`MODES`].
    pub fn by_mode(&self) -> [f64; 8] {
        [
            self.user_pct,
            self.nice_pct,
            self.system_pct,
            self.idle_pct,
            self.iowait_pct,
            self.irq_pct,
            self.softirq_pct,
            self.steal_pct,
        ]
    }
}

/// A CPU counter that did something no real CPU time can do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CounterAnomaly {
    /// `None` for the aggregate `cpu` line.
    pub cpu: Option<u32>,
    pub mode: &'static str,
    pub kind: AnomalyKind,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AnomalyKind {
    /// The counter decreased by this many ticks.
    Backwards { by_ticks: u64 },
    /// The counter grew by more ticks than the wall clock allows.
    Jump { by_ticks: u64, max_ticks: u64 },
    /// Idle fell by seconds: the CPU was unplugged and replugged; no shares for it.
    Reset,
}

/// Idle dropping by this many seconds or more is a counter reset (CPU hotplug), as node_exporter
/// judges it (`jumpBackSeconds`).
const RESET_IDLE_SECS: f64 = 3.0;
/// A mode may not grow faster than the wall clock; allow for the two readings' own skew.
const JUMP_TOLERANCE: f64 = 1.5;

/// Computes shares between two readings of one CPU line.
///
/// `wall_ticks` is the elapsed wall time in USER_HZ ticks times the number of CPUs the line
/// covers, to catch absurd jumps; `None` skips that check.
pub fn cpu_shares(
    before: &CpuTicks,
    after: &CpuTicks,
    cpu: Option<u32>,
    wall_ticks: Option<f64>,
    user_hz: u32,
    anomalies: &mut Vec<CounterAnomaly>,
) -> Option<CpuShares> {
    let b = before.modes();
    let a = after.modes();
    if b[3] > a[3] && (b[3] - a[3]) as f64 >= RESET_IDLE_SECS * f64::from(user_hz) {
        anomalies.push(CounterAnomaly {
            cpu,
            mode: "idle",
            kind: AnomalyKind::Reset,
        });
        return None;
    }
    let mut d = [0u64; 8];
    for i in 0..8 {
        if a[i] >= b[i] {
            d[i] = a[i] - b[i];
        } else {
            anomalies.push(CounterAnomaly {
                cpu,
                mode: MODES[i],
                kind: AnomalyKind::Backwards {
                    by_ticks: b[i] - a[i],
                },
            });
        }
    }
    if let Some(wall) = wall_ticks {
        let max = (wall * JUMP_TOLERANCE).ceil().max(f64::from(user_hz)) as u64;
        for i in 0..8 {
            if d[i] > max {
                anomalies.push(CounterAnomaly {
                    cpu,
                    mode: MODES[i],
                    kind: AnomalyKind::Jump {
                        by_ticks: d[i],
                        max_ticks: max,
                    },
                });
                // An impossible delta is not time: leave it out of the shares.
                d[i] = 0;
            }
        }
    }
    let total: u64 = d.iter().sum();
    if total == 0 {
        return None;
    }
    let pct = |x: u64| x as f64 * 100.0 / total as f64;
    Some(CpuShares {
        user_pct: pct(d[0]),
        nice_pct: pct(d[1]),
        system_pct: pct(d[2]),
        idle_pct: pct(d[3]),
        iowait_pct: pct(d[4]),
        irq_pct: pct(d[5]),
        softirq_pct: pct(d[6]),
        steal_pct: pct(d[7]),
        total_ticks: total,
    })
}

/// One process over the interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessRate {
    pub pid: u32,
    pub comm: String,
    /// CPU over this interval as top shows it: 100 = one whole CPU (can exceed 100).
    pub cpu_pct: f64,
    /// CPU over the process's whole life as ps shows it: total CPU time / time since start.
    pub lifetime_cpu_pct: Option<f64>,
    /// The process started during the interval.
    pub new: bool,
    pub majflt_per_sec: f64,
}

/// One block device over the interval, as iostat -x computes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiskRate {
    pub name: String,
    pub reads_per_sec: f64,
    pub writes_per_sec: f64,
    pub read_kb_per_sec: f64,
    pub write_kb_per_sec: f64,
    /// Share of the interval with at least one I/O in flight (iostat %util).
    pub util_pct: f64,
    /// Mean time per completed read, write, and all I/O, in ms; None without completions.
    pub r_await_ms: Option<f64>,
    pub w_await_ms: Option<f64>,
    pub await_ms: Option<f64>,
    /// Average queue length (iostat aqu-sz).
    pub avg_queue: f64,
    /// I/Os in flight at the second reading.
    pub in_flight: u64,
    /// Whether the disk is rotational, when known.
    pub rotational: Option<bool>,
}

/// One interface over the interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetRate {
    pub name: String,
    pub rx_bytes_per_sec: f64,
    pub tx_bytes_per_sec: f64,
    pub rx_packets_per_sec: f64,
    pub tx_packets_per_sec: f64,
    pub rx_errors: u64,
    pub tx_errors: u64,
    pub rx_dropped: u64,
    pub tx_dropped: u64,
    /// Link up/down transitions during the interval (sysfs `carrier_changes`).
    pub carrier_changes: Option<u64>,
}

/// PSI over the interval: percent of wall time with some / all tasks stalled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct PsiRate {
    pub some_pct: Option<f64>,
    pub full_pct: Option<f64>,
}

/// Two readings and what they imply.
#[derive(Debug, Clone, Serialize)]
pub struct Interval {
    pub elapsed_secs: f64,
    pub cpu: Option<CpuShares>,
    pub per_cpu: Vec<(u32, CpuShares)>,
    pub cpu_anomalies: Vec<CounterAnomaly>,
    /// Sorted by `cpu_pct`, highest first.
    pub processes: Vec<ProcessRate>,
    pub disks: Vec<DiskRate>,
    pub nets: Vec<NetRate>,
    pub forks_per_sec: Option<f64>,
    pub ctxt_per_sec: Option<f64>,
    pub intr_per_sec: Option<f64>,
    pub swap_in_pages_per_sec: Option<f64>,
    pub swap_out_pages_per_sec: Option<f64>,
    pub major_faults_per_sec: Option<f64>,
    /// OOM kills counted by /proc/vmstat during the interval.
    pub oom_kills: Option<u64>,
    pub psi_cpu: PsiRate,
    pub psi_memory: PsiRate,
    pub psi_io: PsiRate,
    /// CONFIG_HZ measured from /proc/schedstat jiffies, when both readings have it.
    pub hz: Option<u32>,
    pub notes: Vec<String>,
}

fn counter_rate(b: Option<u64>, a: Option<u64>, secs: f64) -> Option<f64> {
    let (b, a) = (b?, a?);
    (a >= b).then(|| (a - b) as f64 / secs)
}

fn psi_rate(
    b: Option<karte_procfs::pressure::Pressure>,
    a: Option<karte_procfs::pressure::Pressure>,
    secs: f64,
) -> PsiRate {
    let (Some(b), Some(a)) = (b, a) else {
        return PsiRate::default();
    };
    let pct = |b: Option<karte_procfs::pressure::PsiLine>,
               a: Option<karte_procfs::pressure::PsiLine>| {
        let (b, a) = (b?, a?);
        (a.total_us >= b.total_us)
            .then(|| ((a.total_us - b.total_us) as f64 / (secs * 1e6) * 100.0).min(100.0))
    };
    PsiRate {
        some_pct: pct(b.some, a.some),
        full_pct: pct(b.full, a.full),
    }
}

/// The HZ values kernels are built with; a measurement is snapped to the nearest within 3 %.
const KNOWN_HZ: [u32; 11] = [24, 32, 48, 64, 100, 128, 250, 256, 300, 1000, 1024];

/// CONFIG_HZ from two jiffies readings `secs` apart.
pub fn estimate_hz(jiffies_before: u64, jiffies_after: u64, secs: f64) -> Option<u32> {
    if secs < 0.5 || jiffies_after <= jiffies_before {
        return None;
    }
    let raw = (jiffies_after - jiffies_before) as f64 / secs;
    KNOWN_HZ
        .iter()
        .copied()
        .find(|hz| (raw - f64::from(*hz)).abs() <= f64::from(*hz) * 0.03)
}

impl Interval {
    /// Computes the interval from `before` to `after`. `None` when the elapsed time is unknown or
    /// not positive (two readings of different boots, or a clock that cannot be trusted).
    pub fn new(before: &Snapshot, after: &Snapshot) -> Option<Interval> {
        let elapsed_secs = match (before.uptime, after.uptime) {
            (Some(b), Some(a)) => a.up_secs - b.up_secs,
            _ => after.host.unix_secs? - before.host.unix_secs?,
        };
        if !(elapsed_secs > 0.0 && elapsed_secs.is_finite()) {
            return None;
        }
        let hz = after.host.user_hz;
        let mut notes = Vec::new();
        let mut anomalies = Vec::new();
        let (mut cpu, mut per_cpu) = (None, Vec::new());
        if let (Some(sb), Some(sa)) = (&before.stat, &after.stat) {
            let ncpu = sa.cpus.len().max(1) as f64;
            let wall = elapsed_secs * f64::from(hz);
            if let (Some(b), Some(a)) = (&sb.cpu, &sa.cpu) {
                cpu = cpu_shares(b, a, None, Some(wall * ncpu), hz, &mut anomalies);
            }
            for (n, a) in &sa.cpus {
                if let Some((_, b)) = sb.cpus.iter().find(|(m, _)| m == n)
                    && let Some(s) = cpu_shares(b, a, Some(*n), Some(wall), hz, &mut anomalies)
                {
                    per_cpu.push((*n, s));
                }
            }
        }

        let processes = process_rates(before, after, elapsed_secs);

        let rotational = |name: &str| {
            after
                .block_devices
                .iter()
                .find(|d| d.name == name)
                .and_then(|d| d.rotational)
                .map(|r| r == 1)
        };
        let mut disks = Vec::new();
        if let (Some(db), Some(da)) = (&before.diskstats, &after.diskstats) {
            for a in &da.disks {
                if let Some(b) = db.disks.iter().find(|b| b.name == a.name)
                    && let Some(mut r) = disk_rate(&a.name, &b.counters, &a.counters, elapsed_secs)
                {
                    r.rotational = rotational(&a.name);
                    disks.push(r);
                }
            }
        }

        let mut nets = Vec::new();
        if let (Some(nb), Some(na)) = (&before.netdev, &after.netdev) {
            for a in &na.interfaces {
                let Some(b) = nb.interfaces.iter().find(|b| b.name == a.name) else {
                    continue;
                };
                let d = |i: usize, rx: bool| {
                    let (x, y) = if rx {
                        (b.receive[i], a.receive[i])
                    } else {
                        (b.transmit[i], a.transmit[i])
                    };
                    y.saturating_sub(x)
                };
                let carrier_changes = match (
                    before
                        .interfaces
                        .iter()
                        .find(|i| i.name == a.name)
                        .and_then(|i| i.carrier_changes),
                    after
                        .interfaces
                        .iter()
                        .find(|i| i.name == a.name)
                        .and_then(|i| i.carrier_changes),
                ) {
                    (Some(x), Some(y)) => Some(y.saturating_sub(x)),
                    _ => None,
                };
                nets.push(NetRate {
                    name: a.name.clone(),
                    rx_bytes_per_sec: d(0, true) as f64 / elapsed_secs,
                    tx_bytes_per_sec: d(0, false) as f64 / elapsed_secs,
                    rx_packets_per_sec: d(1, true) as f64 / elapsed_secs,
                    tx_packets_per_sec: d(1, false) as f64 / elapsed_secs,
                    rx_errors: d(2, true),
                    tx_errors: d(2, false),
                    rx_dropped: d(3, true),
                    tx_dropped: d(3, false),
                    carrier_changes,
                });
            }
        }

        let st = |s: &Snapshot, f: fn(&karte_procfs::stat::Stat) -> Option<u64>| {
            s.stat.as_ref().and_then(f)
        };
        let hz_measured = match (before.schedstat_jiffies, after.schedstat_jiffies) {
            (Some(b), Some(a)) => estimate_hz(b, a, elapsed_secs),
            _ => None,
        };
        if !after.host.user_hz_known {
            notes.push(format!("USER_HZ not recorded; assumed {hz}"));
        }
        Some(Interval {
            elapsed_secs,
            cpu,
            per_cpu,
            cpu_anomalies: anomalies,
            processes,
            disks,
            nets,
            forks_per_sec: counter_rate(
                st(before, |s| s.processes),
                st(after, |s| s.processes),
                elapsed_secs,
            ),
            ctxt_per_sec: counter_rate(st(before, |s| s.ctxt), st(after, |s| s.ctxt), elapsed_secs),
            intr_per_sec: counter_rate(
                st(before, |s| s.intr_total),
                st(after, |s| s.intr_total),
                elapsed_secs,
            ),
            swap_in_pages_per_sec: counter_rate(
                before.vm("pswpin"),
                after.vm("pswpin"),
                elapsed_secs,
            ),
            swap_out_pages_per_sec: counter_rate(
                before.vm("pswpout"),
                after.vm("pswpout"),
                elapsed_secs,
            ),
            major_faults_per_sec: counter_rate(
                before.vm("pgmajfault"),
                after.vm("pgmajfault"),
                elapsed_secs,
            ),
            oom_kills: match (before.vm("oom_kill"), after.vm("oom_kill")) {
                (Some(b), Some(a)) => Some(a.saturating_sub(b)),
                _ => None,
            },
            psi_cpu: psi_rate(before.pressure.cpu, after.pressure.cpu, elapsed_secs),
            psi_memory: psi_rate(before.pressure.memory, after.pressure.memory, elapsed_secs),
            psi_io: psi_rate(before.pressure.io, after.pressure.io, elapsed_secs),
            hz: hz_measured,
            notes,
        })
    }

    pub fn process(&self, pid: u32) -> Option<&ProcessRate> {
        self.processes.iter().find(|p| p.pid == pid)
    }
}

/// ps's %CPU: total CPU ticks over the ticks since the process started.
pub fn lifetime_cpu_pct(p: &Process, uptime_secs: f64, user_hz: u32) -> Option<f64> {
    let now_ticks = uptime_secs * f64::from(user_hz);
    let age = now_ticks - p.stat.starttime_ticks as f64;
    (age > 0.0).then(|| p.stat.cpu_ticks() as f64 * 100.0 / age)
}

fn process_rates(before: &Snapshot, after: &Snapshot, secs: f64) -> Vec<ProcessRate> {
    let hz = f64::from(after.host.user_hz);
    let up = after.uptime.map(|u| u.up_secs);
    let mut out: Vec<ProcessRate> = after
        .processes
        .iter()
        .map(|a| {
            // Same pid and start time: the same process (pids are reused).
            let b = before
                .process(a.pid())
                .filter(|b| b.stat.starttime_ticks == a.stat.starttime_ticks);
            let (dticks, dmaj, new) = match b {
                Some(b) => (
                    a.stat.cpu_ticks().saturating_sub(b.stat.cpu_ticks()),
                    a.stat.majflt.saturating_sub(b.stat.majflt),
                    false,
                ),
                None => (a.stat.cpu_ticks(), a.stat.majflt, true),
            };
            ProcessRate {
                pid: a.pid(),
                comm: a.stat.comm.clone(),
                cpu_pct: dticks as f64 * 100.0 / (hz * secs),
                lifetime_cpu_pct: up.and_then(|u| lifetime_cpu_pct(a, u, after.host.user_hz)),
                new,
                majflt_per_sec: dmaj as f64 / secs,
            }
        })
        .collect();
    out.sort_by(|x, y| y.cpu_pct.total_cmp(&x.cpu_pct).then(x.pid.cmp(&y.pid)));
    out
}

/// iostat -x for one device. `None` when a counter went backwards (device replaced).
pub fn disk_rate(name: &str, b: &DiskCounters, a: &DiskCounters, secs: f64) -> Option<DiskRate> {
    let d = |x: u64, y: u64| y.checked_sub(x);
    let reads = d(b.reads_completed, a.reads_completed)?;
    let writes = d(b.writes_completed, a.writes_completed)?;
    let rsec = d(b.sectors_read, a.sectors_read)?;
    let wsec = d(b.sectors_written, a.sectors_written)?;
    let rms = d(b.read_ms, a.read_ms)?;
    let wms = d(b.write_ms, a.write_ms)?;
    let io_ms = d(b.io_ms, a.io_ms)?;
    let wio = d(b.weighted_io_ms, a.weighted_io_ms)?;
    let (dios, dms) = match (b.discard, a.discard) {
        (Some(x), Some(y)) => (
            y.completed.saturating_sub(x.completed),
            y.ms.saturating_sub(x.ms),
        ),
        _ => (0, 0),
    };
    let ms = secs * 1000.0;
    let avg = |t: u64, n: u64| (n > 0).then(|| t as f64 / n as f64);
    Some(DiskRate {
        name: name.to_string(),
        reads_per_sec: reads as f64 / secs,
        writes_per_sec: writes as f64 / secs,
        read_kb_per_sec: (rsec * SECTOR_BYTES) as f64 / 1024.0 / secs,
        write_kb_per_sec: (wsec * SECTOR_BYTES) as f64 / 1024.0 / secs,
        util_pct: (io_ms as f64 / ms * 100.0).min(100.0),
        r_await_ms: avg(rms, reads),
        w_await_ms: avg(wms, writes),
        await_ms: avg(rms + wms + dms, reads + writes + dios),
        avg_queue: wio as f64 / ms,
        in_flight: a.in_flight,
        rotational: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: [u64; 8]) -> CpuTicks {
        CpuTicks {
            user: v[0],
            nice: v[1],
            system: v[2],
            idle: v[3],
            iowait: v[4],
            irq: v[5],
            softirq: v[6],
            steal: v[7],
            guest: 0,
            guest_nice: 0,
            fields: 10,
        }
    }

    #[test]
    fn shares_sum_to_100_and_ignore_guest() {
        let b = t([100, 0, 50, 1000, 10, 0, 0, 0]);
        let mut a = t([160, 0, 70, 1100, 10, 0, 0, 20]);
        a.guest = 50; // inside user already
        let mut an = Vec::new();
        let s = cpu_shares(&b, &a, None, Some(200.0), 100, &mut an).expect("shares");
        let sum: f64 = s.by_mode().iter().sum();
        assert!((sum - 100.0).abs() < 1e-9);
        assert_eq!(s.total_ticks, 200);
        assert!((s.user_pct - 30.0).abs() < 1e-9);
        assert!((s.steal_pct - 10.0).abs() < 1e-9);
        assert!(an.is_empty());
    }

    #[test]
    fn iowait_going_backwards_is_clamped_and_noted() {
        let b = t([100, 0, 50, 1000, 40, 0, 0, 0]);
        let a = t([150, 0, 50, 1050, 30, 0, 0, 0]);
        let mut an = Vec::new();
        let s = cpu_shares(&b, &a, Some(0), Some(100.0), 100, &mut an).expect("shares");
        assert!(s.by_mode().iter().all(|x| (0.0..=100.0).contains(x)));
        assert_eq!(s.iowait_pct, 0.0);
        assert_eq!(an.len(), 1);
        assert_eq!(an[0].mode, "iowait");
        assert!(matches!(
            an[0].kind,
            AnomalyKind::Backwards { by_ticks: 10 }
        ));
    }

    #[test]
    fn absurd_steal_jump_is_an_anomaly_not_steal() {
        let b = t([100, 0, 50, 1000, 0, 0, 0, 0]);
        let a = t([150, 0, 60, 1140, 0, 0, 0, 1_000_000_000]);
        let mut an = Vec::new();
        let s = cpu_shares(&b, &a, Some(0), Some(200.0), 100, &mut an).expect("shares");
        assert_eq!(s.steal_pct, 0.0);
        assert!(
            an.iter()
                .any(|x| x.mode == "steal" && matches!(x.kind, AnomalyKind::Jump { .. }))
        );
    }

    #[test]
    fn hotplug_reset_gives_no_shares() {
        let b = t([100, 0, 50, 100_000, 0, 0, 0, 0]);
        let a = t([10, 0, 5, 100, 0, 0, 0, 0]);
        let mut an = Vec::new();
        assert!(cpu_shares(&b, &a, Some(3), None, 100, &mut an).is_none());
        assert!(matches!(an[0].kind, AnomalyKind::Reset));
    }

    #[test]
    fn iostat_formulas() {
        let b = DiskCounters {
            reads_completed: 100,
            sectors_read: 1000,
            read_ms: 100,
            writes_completed: 50,
            sectors_written: 800,
            write_ms: 500,
            io_ms: 1000,
            weighted_io_ms: 2000,
            ..Default::default()
        };
        let a = DiskCounters {
            reads_completed: 200,
            sectors_read: 3048,
            read_ms: 300,
            writes_completed: 150,
            sectors_written: 2848,
            write_ms: 1500,
            io_ms: 1900,
            weighted_io_ms: 5000,
            in_flight: 3,
            ..Default::default()
        };
        let r = disk_rate("sda", &b, &a, 1.0).expect("rate");
        assert_eq!(r.reads_per_sec, 100.0);
        assert_eq!(r.read_kb_per_sec, 1024.0);
        assert!((r.util_pct - 90.0).abs() < 1e-9);
        assert_eq!(r.r_await_ms, Some(2.0));
        assert_eq!(r.w_await_ms, Some(10.0));
        assert_eq!(r.await_ms, Some(6.0));
        assert!((r.avg_queue - 3.0).abs() < 1e-9);
        assert_eq!(r.in_flight, 3);
        // A replaced device: counters fell.
        assert!(disk_rate("sda", &a, &b, 1.0).is_none());
    }

    #[test]
    fn hz_snapping() {
        assert_eq!(estimate_hz(1000, 1000 + 500, 2.0), Some(250));
        assert_eq!(estimate_hz(0, 2010, 2.0), Some(1000));
        assert_eq!(estimate_hz(0, 700, 2.0), None);
        assert_eq!(estimate_hz(5, 1, 2.0), None);
    }
}
