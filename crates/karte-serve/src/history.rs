//! The recent past the dashboard draws: one [`HistoryPoint`] per tick, kept in a ring of the
//! last hour, or read from the history store when `karte record` keeps one.
//!
//! What the store must give the server is [`HistorySource`]: the points between two instants,
//! oldest first, thinned to at most `max` points. A point is small and derived from a snapshot
//! and its interval ([`HistoryPoint::from_tick`]), so a store that keeps snapshots or intervals
//! can produce it.

use karte_snapshot::{Interval, Snapshot};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

/// Disks and interfaces kept per point (the busiest).
pub const MAX_DEVICES: usize = 8;

/// The figures of one instant that the dashboard's charts draw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryPoint {
    /// Unix time of the reading.
    pub t: f64,
    pub load: Option<[f64; 3]>,
    pub cpus: Option<u32>,
    /// CPU shares in percent over the interval ending here, in the order of
    /// `karte_procfs::stat::MODES` (user, nice, system, idle, iowait, irq, softirq, steal).
    pub cpu: Option<[f32; 8]>,
    pub mem_total_kb: Option<u64>,
    pub mem_available_kb: Option<u64>,
    pub swap_total_kb: Option<u64>,
    pub swap_free_kb: Option<u64>,
    /// Whole disks: busy (%util) over the interval.
    pub disks: Vec<(String, f32)>,
    /// Interfaces (not loopback): received and sent bytes per second over the interval.
    pub nets: Vec<(String, f64, f64)>,
    /// Warning and critical findings at this instant.
    pub problems: u32,
}

impl HistoryPoint {
    pub fn from_tick(s: &Snapshot, iv: Option<&Interval>, problems: u32) -> Option<HistoryPoint> {
        let t = s.host.unix_secs?;
        let mut disks: Vec<(String, f32)> = iv
            .map(|iv| {
                iv.disks
                    .iter()
                    .filter(|d| {
                        !karte_expo::node::disk_ignored(&d.name)
                            && !d.name.starts_with("loop")
                            && !d.name.starts_with("ram")
                            && !d.name.starts_with("zram")
                    })
                    .map(|d| (d.name.clone(), d.util_pct.clamp(0.0, 100.0) as f32))
                    .collect()
            })
            .unwrap_or_default();
        disks.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        disks.truncate(MAX_DEVICES);
        let mut nets: Vec<(String, f64, f64)> = iv
            .map(|iv| {
                iv.nets
                    .iter()
                    .filter(|n| n.name != "lo")
                    .map(|n| (n.name.clone(), n.rx_bytes_per_sec, n.tx_bytes_per_sec))
                    .collect()
            })
            .unwrap_or_default();
        nets.sort_by(|a, b| (b.1 + b.2).total_cmp(&(a.1 + a.2)).then(a.0.cmp(&b.0)));
        nets.truncate(MAX_DEVICES);
        Some(HistoryPoint {
            t,
            load: s.loadavg.map(|l| [l.load1, l.load5, l.load15]),
            cpus: s.online_cpus().and_then(|n| u32::try_from(n).ok()),
            cpu: iv
                .and_then(|i| i.cpu)
                .map(|c| c.by_mode().map(|v| v as f32)),
            mem_total_kb: s.mem_kb("MemTotal"),
            mem_available_kb: s.mem_kb("MemAvailable"),
            swap_total_kb: s.mem_kb("SwapTotal"),
            swap_free_kb: s.mem_kb("SwapFree"),
            disks,
            nets,
            problems,
        })
    }
}

/// Where history comes from: the ring of recent ticks, or the store.
pub trait HistorySource: Send + Sync {
    /// Points with `since <= t <= until`, oldest first, at most `max` (evenly thinned).
    fn points(&self, since: f64, until: f64, max: usize) -> Result<Vec<HistoryPoint>, String>;
    /// For the API: `memory` or `store`.
    fn name(&self) -> &'static str;
}

/// The last `capacity` points, in memory.
#[derive(Debug)]
pub struct Ring {
    points: VecDeque<HistoryPoint>,
    capacity: usize,
}

impl Ring {
    pub fn new(capacity: usize) -> Ring {
        Ring {
            points: VecDeque::with_capacity(capacity.min(8192)),
            capacity: capacity.max(1),
        }
    }

    /// Enough points for `span_secs` at one point every `interval_secs`.
    pub fn for_span(span_secs: f64, interval_secs: f64) -> Ring {
        let n = (span_secs / interval_secs.max(0.1)).ceil() as usize + 2;
        Ring::new(n.min(36_000))
    }

    pub fn push(&mut self, p: HistoryPoint) {
        // Time must move forward (a clock stepped back: start over rather than draw loops).
        if self.points.back().is_some_and(|last| last.t >= p.t) {
            self.points.clear();
        }
        if self.points.len() == self.capacity {
            self.points.pop_front();
        }
        self.points.push_back(p);
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    pub fn range(&self, since: f64, until: f64, max: usize) -> Vec<HistoryPoint> {
        let sel: Vec<&HistoryPoint> = self
            .points
            .iter()
            .filter(|p| p.t >= since && p.t <= until)
            .collect();
        thin(&sel, max)
    }
}

fn thin(sel: &[&HistoryPoint], max: usize) -> Vec<HistoryPoint> {
    if max == 0 {
        return Vec::new();
    }
    if sel.len() <= max {
        return sel.iter().map(|p| (*p).clone()).collect();
    }
    // Evenly spaced, always keeping the newest.
    let n = sel.len();
    (0..max)
        .map(|i| sel[(n - 1) - (max - 1 - i) * (n - 1) / (max - 1).max(1)].clone())
        .collect()
}

impl HistorySource for std::sync::Mutex<Ring> {
    fn points(&self, since: f64, until: f64, max: usize) -> Result<Vec<HistoryPoint>, String> {
        self.lock()
            .map(|r| r.range(since, until, max))
            .map_err(|_| "history unavailable".to_string())
    }

    fn name(&self) -> &'static str {
        "memory"
    }
}

/// The JSON of `/api/history`: columns, one entry per point (null where unknown), so that
/// the page draws without reshaping.
#[derive(Debug, Serialize)]
pub struct HistoryColumns {
    pub source: &'static str,
    pub t: Vec<f64>,
    pub load1: Vec<Option<f64>>,
    pub load5: Vec<Option<f64>>,
    pub load15: Vec<Option<f64>>,
    pub cpus: Vec<Option<u32>>,
    /// Mode → percent.
    pub cpu: BTreeMap<&'static str, Vec<Option<f32>>>,
    pub mem_used_bytes: Vec<Option<f64>>,
    pub mem_total_bytes: Vec<Option<f64>>,
    pub swap_used_bytes: Vec<Option<f64>>,
    pub swap_total_bytes: Vec<Option<f64>>,
    /// Disk → busy percent.
    pub disk_busy_pct: BTreeMap<String, Vec<Option<f32>>>,
    pub net_rx_bytes_per_sec: BTreeMap<String, Vec<Option<f64>>>,
    pub net_tx_bytes_per_sec: BTreeMap<String, Vec<Option<f64>>>,
    pub problems: Vec<u32>,
}

impl HistoryColumns {
    pub fn new(source: &'static str, points: &[HistoryPoint]) -> HistoryColumns {
        let n = points.len();
        let kb = |v: Option<u64>| v.map(|v| v as f64 * 1024.0);
        let mut cpu: BTreeMap<&'static str, Vec<Option<f32>>> = BTreeMap::new();
        for (i, mode) in karte_procfs::stat::MODES.iter().enumerate() {
            cpu.insert(mode, points.iter().map(|p| p.cpu.map(|c| c[i])).collect());
        }
        // The devices busiest at any point, at most MAX_DEVICES of them.
        let top = |items: Vec<(String, f64)>| -> Vec<String> {
            let mut best: BTreeMap<String, f64> = BTreeMap::new();
            for (name, v) in items {
                let e = best.entry(name).or_insert(0.0);
                *e = e.max(v);
            }
            let mut v: Vec<(String, f64)> = best.into_iter().collect();
            v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            v.into_iter().take(MAX_DEVICES).map(|x| x.0).collect()
        };
        let disk_names = top(points
            .iter()
            .flat_map(|p| p.disks.iter().map(|d| (d.0.clone(), f64::from(d.1))))
            .collect());
        let net_names = top(points
            .iter()
            .flat_map(|p| p.nets.iter().map(|d| (d.0.clone(), d.1 + d.2)))
            .collect());
        let mut disk_busy_pct = BTreeMap::new();
        for d in disk_names {
            let col = points
                .iter()
                .map(|p| p.disks.iter().find(|x| x.0 == d).map(|x| x.1))
                .collect();
            disk_busy_pct.insert(d, col);
        }
        let (mut rx, mut tx) = (BTreeMap::new(), BTreeMap::new());
        for d in net_names {
            let find = |p: &HistoryPoint| p.nets.iter().find(|x| x.0 == d).map(|x| (x.1, x.2));
            let rxs: Vec<Option<f64>> = points.iter().map(|p| find(p).map(|x| x.0)).collect();
            let txs: Vec<Option<f64>> = points.iter().map(|p| find(p).map(|x| x.1)).collect();
            rx.insert(d.clone(), rxs);
            tx.insert(d, txs);
        }
        HistoryColumns {
            source,
            t: points.iter().map(|p| p.t).collect(),
            load1: points.iter().map(|p| p.load.map(|l| l[0])).collect(),
            load5: points.iter().map(|p| p.load.map(|l| l[1])).collect(),
            load15: points.iter().map(|p| p.load.map(|l| l[2])).collect(),
            cpus: points.iter().map(|p| p.cpus).collect(),
            cpu,
            mem_used_bytes: points
                .iter()
                .map(|p| Some(kb(p.mem_total_kb)? - kb(p.mem_available_kb)?))
                .collect(),
            mem_total_bytes: points.iter().map(|p| kb(p.mem_total_kb)).collect(),
            swap_used_bytes: points
                .iter()
                .map(|p| Some(kb(p.swap_total_kb)? - kb(p.swap_free_kb)?))
                .collect(),
            swap_total_bytes: points.iter().map(|p| kb(p.swap_total_kb)).collect(),
            disk_busy_pct,
            net_rx_bytes_per_sec: rx,
            net_tx_bytes_per_sec: tx,
            problems: points.iter().map(|p| p.problems).collect(),
        }
        .check_len(n)
    }

    fn check_len(self, n: usize) -> Self {
        debug_assert_eq!(self.t.len(), n);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(t: f64) -> HistoryPoint {
        HistoryPoint {
            t,
            load: Some([t, 0.0, 0.0]),
            cpus: Some(2),
            cpu: None,
            mem_total_kb: Some(100),
            mem_available_kb: Some(40),
            swap_total_kb: None,
            swap_free_kb: None,
            disks: vec![("sda".into(), 5.0)],
            nets: vec![],
            problems: 0,
        }
    }

    #[test]
    fn ring_keeps_the_last_and_thins() {
        let mut r = Ring::new(10);
        for i in 0..25 {
            r.push(p(f64::from(i)));
        }
        assert_eq!(r.len(), 10);
        let all = r.range(0.0, 100.0, 100);
        assert_eq!(all.first().map(|p| p.t), Some(15.0));
        let thin = r.range(0.0, 100.0, 4);
        assert_eq!(thin.len(), 4);
        assert_eq!(thin.last().map(|p| p.t), Some(24.0));
        assert_eq!(thin.first().map(|p| p.t), Some(15.0));
        assert_eq!(r.range(20.0, 21.0, 100).len(), 2);
        // A clock that steps back starts the ring over.
        r.push(p(3.0));
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn columns() {
        let c = HistoryColumns::new("memory", &[p(1.0), p(2.0)]);
        assert_eq!(c.t, vec![1.0, 2.0]);
        assert_eq!(c.mem_used_bytes[0], Some(60.0 * 1024.0));
        assert_eq!(c.swap_used_bytes[0], None);
        assert_eq!(c.disk_busy_pct.get("sda").map(Vec::len), Some(2));
        assert_eq!(c.cpu.len(), 8);
    }
}
