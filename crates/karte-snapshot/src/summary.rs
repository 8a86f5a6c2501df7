//! A one-screen health summary of a host: what `doctor` prints under its findings and what the
//! dashboard shows at the top. Computed once here so every sink shows the same figures.

use crate::{Interval, Snapshot, interval::CpuShares};
use karte_procfs::pid_stat::TaskState;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct DiskLine {
    pub name: String,
    pub util_pct: f64,
    pub reads_per_sec: f64,
    pub writes_per_sec: f64,
    pub await_ms: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NetLine {
    pub name: String,
    pub rx_bytes_per_sec: f64,
    pub tx_bytes_per_sec: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProcLine {
    pub pid: u32,
    pub name: String,
    pub state: char,
    pub nice: i64,
    /// Over the interval (top's figure); None with one reading.
    pub cpu_pct: Option<f64>,
    pub rss_kb: u64,
    pub kernel_thread: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct HealthSummary {
    pub hostname: Option<String>,
    pub kernel: Option<String>,
    pub cpus: Option<usize>,
    pub uptime_secs: Option<f64>,
    pub interval_secs: Option<f64>,
    pub load: Option<[f64; 3]>,
    pub runnable: Option<u64>,
    /// Tasks in D state at the reading.
    pub uninterruptible: usize,
    pub cpu: Option<CpuShares>,
    pub mem_total_kb: Option<u64>,
    pub mem_available_kb: Option<u64>,
    pub swap_total_kb: Option<u64>,
    pub swap_free_kb: Option<u64>,
    pub dirty_kb: Option<u64>,
    pub psi_some_avg10_pct: [Option<f64>; 3],
    /// Busiest first, at most 3.
    pub disks: Vec<DiskLine>,
    /// Busiest first, at most 3 (loopback left out).
    pub nets: Vec<NetLine>,
    /// By interval CPU (or by memory with one reading), at most 5.
    pub top: Vec<ProcLine>,
    pub processes: usize,
}

impl HealthSummary {
    pub fn new(s: &Snapshot, iv: Option<&Interval>) -> HealthSummary {
        let mut disks: Vec<DiskLine> = iv
            .map(|iv| {
                iv.disks
                    .iter()
                    .filter(|d| {
                        !d.name.starts_with("loop")
                            && !d.name.starts_with("ram")
                            && d.reads_per_sec + d.writes_per_sec > 0.0
                    })
                    .map(|d| DiskLine {
                        name: d.name.clone(),
                        util_pct: d.util_pct,
                        reads_per_sec: d.reads_per_sec,
                        writes_per_sec: d.writes_per_sec,
                        await_ms: d.await_ms,
                    })
                    .collect()
            })
            .unwrap_or_default();
        disks.sort_by(|a, b| b.util_pct.total_cmp(&a.util_pct));
        disks.truncate(3);
        let mut nets: Vec<NetLine> = iv
            .map(|iv| {
                iv.nets
                    .iter()
                    .filter(|n| n.name != "lo" && n.rx_bytes_per_sec + n.tx_bytes_per_sec > 0.0)
                    .map(|n| NetLine {
                        name: n.name.clone(),
                        rx_bytes_per_sec: n.rx_bytes_per_sec,
                        tx_bytes_per_sec: n.tx_bytes_per_sec,
                    })
                    .collect()
            })
            .unwrap_or_default();
        nets.sort_by(|a, b| {
            (b.rx_bytes_per_sec + b.tx_bytes_per_sec)
                .total_cmp(&(a.rx_bytes_per_sec + a.tx_bytes_per_sec))
        });
        nets.truncate(3);
        let page = s.host.page_size_bytes;
        let line = |p: &crate::Process, cpu: Option<f64>| ProcLine {
            pid: p.pid(),
            name: p.display_name(),
            state: p.stat.state.letter(),
            nice: p.stat.nice,
            cpu_pct: cpu,
            rss_kb: p.rss_kb(page),
            kernel_thread: p.is_kernel_thread(),
        };
        let top: Vec<ProcLine> = match iv {
            Some(iv) => iv
                .processes
                .iter()
                .take(5)
                .filter_map(|r| s.process(r.pid).map(|p| line(p, Some(r.cpu_pct))))
                .collect(),
            None => {
                let mut v: Vec<&crate::Process> = s.processes.iter().collect();
                v.sort_by_key(|p| std::cmp::Reverse(p.rss_kb(page)));
                v.into_iter().take(5).map(|p| line(p, None)).collect()
            }
        };
        let psi = |p: Option<karte_procfs::pressure::Pressure>| {
            p.and_then(|p| p.some).map(|l| l.avg10_pct)
        };
        HealthSummary {
            hostname: s.host.hostname.clone(),
            kernel: s.host.kernel.clone(),
            cpus: s.online_cpus(),
            uptime_secs: s.uptime.map(|u| u.up_secs),
            interval_secs: iv.map(|i| i.elapsed_secs),
            load: s.loadavg.map(|l| [l.load1, l.load5, l.load15]),
            runnable: s.loadavg.map(|l| l.runnable),
            uninterruptible: s
                .processes
                .iter()
                .filter(|p| p.stat.state == TaskState::DiskSleep)
                .count(),
            cpu: iv.and_then(|i| i.cpu),
            mem_total_kb: s.mem_kb("MemTotal"),
            mem_available_kb: s.mem_kb("MemAvailable"),
            swap_total_kb: s.mem_kb("SwapTotal"),
            swap_free_kb: s.mem_kb("SwapFree"),
            dirty_kb: s.mem_kb("Dirty"),
            psi_some_avg10_pct: [
                psi(s.pressure.cpu),
                psi(s.pressure.memory),
                psi(s.pressure.io),
            ],
            disks,
            nets,
            top,
            processes: s.processes.len(),
        }
    }
}
