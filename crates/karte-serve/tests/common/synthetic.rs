//! A synthetic host for the dashboard test: a 4-CPU VM whose steal time climbs to about 35 %
//! over an hour while one disk saturates, written as /proc files into an in-memory tree and
//! read by karte's own reader, so the rules judge it exactly as they judge a real host.

use karte_serve::diagnoser::diagnose_both;
use karte_serve::{Diagnoser, HistoryPoint, HistorySource, TickOutput};
use karte_snapshot::{Interval, ReadOptions, Snapshot, read_snapshot};
use karte_source::Root;
use karte_source::root::MemTree;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

pub const CPUS: u64 = 4;
pub const HZ: u64 = 100;
const BOOT_UPTIME: f64 = 3.0 * 86400.0;

#[derive(Clone, Copy)]
pub struct Scenario {
    /// Unix time of reading 0.
    pub base_unix: f64,
    /// Seconds between readings.
    pub step: f64,
}

/// Per-step CPU shares at step i: user, nice, system, idle, iowait, irq, softirq, steal.
fn shares(i: u64) -> [f64; 8] {
    let x = i as f64;
    let steal = 0.05 + 0.30 * (x / 600.0).min(1.0) + 0.015 * (x / 7.0).sin();
    let user = 0.30 + 0.05 * (x / 11.0).sin();
    let system = 0.06;
    let iowait = 0.02 + 0.01 * (x / 5.0).cos().abs();
    let softirq = 0.01;
    let idle = 1.0 - steal - user - system - iowait - softirq;
    [user, 0.0, system, idle, iowait, 0.0, softirq, steal]
}

/// Cumulative counters after `k` steps (deterministic).
struct Totals {
    cpu: [u64; 8],
    disk: [[u64; 11]; 2],
    net: [(u64, u64, u64, u64); 2],
    java_ticks: u64,
    kworker_ticks: u64,
    pgfault: u64,
}

impl Scenario {
    fn totals(&self, k: u64) -> Totals {
        let per_cpu_step = (self.step * HZ as f64) as u64;
        let mut t = Totals {
            cpu: [
                1_000_000, 2000, 200_000, 20_000_000, 30_000, 0, 9000, 50_000,
            ],
            disk: [[0; 11]; 2],
            net: [
                (10_000_000_000, 9_000_000, 2_000_000_000, 3_000_000),
                (50_000_000, 400_000, 50_000_000, 400_000),
            ],
            java_ticks: 500_000,
            kworker_ticks: 3000,
            pgfault: 90_000_000,
        };
        for i in 0..k {
            let s = shares(i);
            let total = (per_cpu_step * CPUS) as f64;
            let mut used = 0u64;
            for m in [0usize, 1, 2, 4, 5, 6, 7] {
                let d = (s[m] * total).round() as u64;
                t.cpu[m] += d;
                used += d;
            }
            t.cpu[3] += (total as u64).saturating_sub(used);
            let step_ms = (self.step * 1000.0) as u64;
            let x = i as f64;
            // sda: a healthy disk, 10-20 % busy, 2 ms per I/O.
            let (r, w) = (40 + (20.0 * (x / 9.0).sin().abs()) as u64, 120);
            let d = &mut t.disk[0];
            d[0] += r;
            d[2] += r * 64;
            d[3] += r * 2;
            d[4] += w;
            d[6] += w * 16;
            d[7] += w * 2;
            d[9] += step_ms / 8 + (step_ms as f64 * 0.05 * (x / 9.0).sin().abs()) as u64;
            d[10] += (r + w) * 2;
            // sdb: busy 30 %, then saturated for the last ten minutes: 96 % busy, 60 ms per I/O.
            let late = i >= 600;
            let (r, w, lat, busy) = if late {
                (400, 100, 60, 0.96)
            } else {
                (60, 40, 4, 0.30)
            };
            let d = &mut t.disk[1];
            d[0] += r;
            d[2] += r * 256;
            d[3] += r * lat;
            d[4] += w;
            d[6] += w * 128;
            d[7] += w * lat;
            d[9] += (step_ms as f64 * busy) as u64;
            d[10] += (r + w) * lat;
            // eth0: 2-4 MB/s in, about 0.8 MB/s out.
            let rx = ((3.0e6 + 1.0e6 * (x / 17.0).sin()) * self.step) as u64;
            let tx = ((0.8e6 + 0.2e6 * (x / 13.0).cos()) * self.step) as u64;
            t.net[0].0 += rx;
            t.net[0].1 += rx / 1200;
            t.net[0].2 += tx;
            t.net[0].3 += tx / 900;
            t.net[1].0 += 20_000;
            t.net[1].1 += 100;
            t.net[1].2 += 20_000;
            t.net[1].3 += 100;
            t.java_ticks += (1.2 * per_cpu_step as f64) as u64;
            t.kworker_ticks += per_cpu_step / 50;
            t.pgfault += 20_000;
        }
        t
    }

    pub fn unix(&self, k: u64) -> f64 {
        self.base_unix + k as f64 * self.step
    }

    fn tree(&self, k: u64) -> MemTree {
        let t = self.totals(k);
        let uptime = BOOT_UPTIME + k as f64 * self.step;
        let btime = (self.unix(k) - uptime) as u64;
        let mut tree = MemTree::default();
        let mut stat = String::new();
        let line = |v: &[u64; 8]| {
            v.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(" ")
                + " 0 0"
        };
        let _ = writeln!(stat, "cpu  {}", line(&t.cpu));
        for c in 0..CPUS {
            let per: [u64; 8] = t.cpu.map(|x| x / CPUS);
            let _ = writeln!(stat, "cpu{c} {}", line(&per));
        }
        let _ = write!(
            stat,
            "intr {}\nctxt {}\nbtime {btime}\nprocesses {}\nprocs_running 3\nprocs_blocked 1\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n",
            900_000_000 + k * 40_000,
            2_000_000_000 + k * 90_000,
            400_000 + k * 12
        );
        tree.insert("proc/stat", stat.into_bytes());
        tree.insert(
            "proc/uptime",
            format!("{uptime:.2} {:.2}\n", uptime * 2.0).into_bytes(),
        );
        let x = k as f64;
        let load1 = 2.6 + 0.6 * (x / 13.0).sin() + 0.5 * (x / 600.0).min(1.0);
        tree.insert(
            "proc/loadavg",
            format!(
                "{load1:.2} {:.2} {:.2} 3/412 33001\n",
                load1 * 0.95,
                load1 * 0.9
            )
            .into_bytes(),
        );
        let total_kb = 16u64 * 1024 * 1024;
        let avail = (9.5 * 1024.0 * 1024.0 + 1024.0 * 1024.0 * (x / 40.0).sin()) as u64;
        tree.insert(
            "proc/meminfo",
            format!(
                "MemTotal:       {total_kb} kB\nMemFree:        {} kB\nMemAvailable:   {avail} kB\nBuffers:          204800 kB\nCached:         {} kB\nSwapCached:        10240 kB\nActive:         4194304 kB\nInactive:       3145728 kB\nDirty:             20480 kB\nWriteback:             0 kB\nAnonPages:      {} kB\nShmem:            102400 kB\nSlab:             512000 kB\nSReclaimable:     307200 kB\nCommitLimit:    {} kB\nCommitted_AS:   {} kB\nSwapTotal:       2097152 kB\nSwapFree:        1943552 kB\n",
                avail / 3,
                avail / 2,
                total_kb - avail,
                total_kb / 2 + 1_048_576,
                total_kb / 2
            )
            .into_bytes(),
        );
        tree.insert(
            "proc/vmstat",
            format!("pgpgin 1000\npgpgout 2000\npswpin 0\npswpout 0\npgfault {}\npgmajfault 12\noom_kill 0\n", t.pgfault).into_bytes(),
        );
        let mut ds = String::new();
        for (i, (name, minor)) in [("sda", 0), ("sdb", 16)].iter().enumerate() {
            let d = &t.disk[i];
            let _ = writeln!(
                ds,
                "   8      {minor} {name} {} {} {} {} {} {} {} {} 0 {} {} 0 0 0 0",
                d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[9], d[10]
            );
        }
        tree.insert("proc/diskstats", ds.into_bytes());
        let mut nd = String::from(
            "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n",
        );
        for (i, name) in ["eth0", "lo"].iter().enumerate() {
            let (rb, rp, tb, tp) = t.net[i];
            let _ = writeln!(nd, "{name:>6}: {rb} {rp} 0 0 0 0 0 0 {tb} {tp} 0 0 0 0 0 0");
        }
        tree.insert("proc/net/dev", nd.into_bytes());
        tree.insert("proc/net/arp", b"IP address       HW type     Flags       HW address            Mask     Device\n192.0.2.1        0x1         0x2         52:54:00:12:34:56     *        eth0\n".to_vec());
        // Processes: pid, comm, state, flags, utime, stime, nice, rss pages, cmdline.
        const KTHREAD: u64 = 0x0020_0000;
        type Proc<'a> = (u32, &'a str, char, u64, u64, i64, u64, &'a str);
        let procs: [Proc; 7] = [
            (1, "systemd", 'S', 0, 3000, 0, 3000, "/sbin/init"),
            (2, "kthreadd", 'S', KTHREAD, 10, 0, 0, ""),
            (
                412,
                "kworker/u8:2-events_unbound",
                'I',
                KTHREAD,
                t.kworker_ticks,
                0,
                0,
                "",
            ),
            (
                1780,
                "java",
                'S',
                0,
                t.java_ticks,
                0,
                1_048_576,
                "java -Xmx6g -jar /srv/shop/shop.jar --spring.profiles.active=prod",
            ),
            (
                2210,
                "nginx",
                'S',
                0,
                9000 + k * 10,
                0,
                12_000,
                "nginx: worker process",
            ),
            (
                2301,
                "postgres",
                'S',
                0,
                40_000 + k * 60,
                0,
                200_000,
                "postgres: 15/main: checkpointer",
            ),
            (
                3100,
                "rsync",
                'D',
                0,
                2000 + k * 5,
                10,
                4000,
                "rsync -a /srv/shop/media/ /mnt/backup/media/",
            ),
        ];
        for (pid, comm, state, flags, ticks, nice, rss, cmd) in procs {
            let utime = ticks * 4 / 5;
            let stime = ticks - utime;
            let stat = format!(
                "{pid} ({comm}) {state} 1 {pid} {pid} 0 -1 {flags} 1000 0 0 0 {utime} {stime} 0 0 20 {nice} 1 0 {} 1000000 {rss} 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
                1000 + u64::from(pid)
            );
            tree.insert(&format!("proc/{pid}/stat"), stat.into_bytes());
            if flags & KTHREAD == 0 {
                tree.insert(
                    &format!("proc/{pid}/status"),
                    format!("Name:\t{comm}\nState:\t{state}\nUid:\t1000\t1000\t1000\t1000\nVmRSS:\t{} kB\n", rss * 4).into_bytes(),
                );
                tree.insert(
                    &format!("proc/{pid}/cmdline"),
                    cmd.replace(' ', "\0").into_bytes(),
                );
                if state == 'D' {
                    tree.insert(
                        &format!("proc/{pid}/wchan"),
                        b"nfs_wait_bit_killable".to_vec(),
                    );
                }
            }
        }
        tree
    }

    pub fn reading(&self, k: u64) -> Snapshot {
        let opts = ReadOptions {
            user_hz: Some(HZ as u32),
            page_size_bytes: Some(4096),
            unix_secs: Some(self.unix(k)),
            hostname: Some("web-07".into()),
            kernel: Some("6.1.0-18-amd64".into()),
            ..ReadOptions::default()
        };
        read_snapshot(&Root::mem(Arc::new(self.tree(k)), ""), &opts)
    }

    /// History points for readings `from..to` (what a store would hold).
    pub fn history(&self, from: u64, to: u64) -> Vec<HistoryPoint> {
        let mut prev: Option<Snapshot> = None;
        let mut out = Vec::new();
        for k in from..to {
            let s = self.reading(k);
            let iv = prev.as_ref().and_then(|p| Interval::new(p, &s));
            let (f, _) = diagnose_both(&s, prev.as_ref(), iv.as_ref(), &[]);
            let problems =
                f.en.iter()
                    .filter(|f| f.severity >= karte_rules::Severity::Warning)
                    .count();
            if let Some(p) = HistoryPoint::from_tick(&s, iv.as_ref(), problems as u32) {
                out.push(p);
            }
            prev = Some(s);
        }
        out
    }
}

/// Continues the scenario in real time: reading `k` is stamped `base + k·step`.
pub struct ScenarioDiagnoser {
    pub scenario: Scenario,
    pub k: u64,
    prev: Option<Arc<Snapshot>>,
}

impl ScenarioDiagnoser {
    pub fn new(scenario: Scenario, k: u64) -> Self {
        ScenarioDiagnoser {
            scenario,
            k,
            prev: None,
        }
    }
}

impl Diagnoser for ScenarioDiagnoser {
    fn tick(&mut self) -> TickOutput {
        let s = Arc::new(self.scenario.reading(self.k));
        self.k += 1;
        let interval = self.prev.as_ref().and_then(|p| Interval::new(p, &s));
        let (findings, d) = diagnose_both(&s, self.prev.as_deref(), interval.as_ref(), &[]);
        self.prev = Some(s.clone());
        TickOutput {
            snapshot: s,
            interval,
            findings,
            skipped: d.skipped,
            rules_run: d.rules_run,
            events: Vec::new(),
        }
    }
}

/// A history store stand-in: fixed points plus nothing else.
pub struct FixedStore(pub Mutex<Vec<HistoryPoint>>);

impl HistorySource for FixedStore {
    fn points(&self, since: f64, until: f64, max: usize) -> Result<Vec<HistoryPoint>, String> {
        let v = self.0.lock().map_err(|_| "poisoned".to_string())?;
        let sel: Vec<HistoryPoint> = v
            .iter()
            .filter(|p| p.t >= since && p.t <= until)
            .cloned()
            .collect();
        let n = sel.len();
        if n <= max {
            return Ok(sel);
        }
        Ok((0..max)
            .map(|i| sel[i * (n - 1) / (max - 1).max(1)].clone())
            .collect())
    }

    fn name(&self) -> &'static str {
        "store"
    }
}
