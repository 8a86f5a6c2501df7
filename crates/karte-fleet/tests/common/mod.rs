//! What the tests with real parts share: finding Debian's `prometheus` and `promtool`, a
//! Prometheus server on loopback that is stopped when the test ends, the `karte` binary, and
//! the scenario hosts written as OpenMetrics text for `promtool tsdb create-blocks-from`.
//!
//! Packages (Debian): `prometheus` (server and promtool), `prometheus-node-exporter` (the live
//! test). A test whose package is missing says so and passes without checking anything.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The path of a program if it is installed (searched in $PATH and /usr/bin, /usr/sbin).
pub fn which(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.push("/usr/bin".into());
    dirs.push("/usr/sbin".into());
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

/// Prints why a test checks nothing.
pub fn skip(test: &str, why: &str) {
    eprintln!("SKIPPED {test}: {why}");
}

/// A scratch directory removed at the end.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("karte-fleet-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A plain HTTP GET on loopback, for readiness checks: (status, body).
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let status = buf.split_whitespace().nth(1)?.parse().ok()?;
    let body = buf
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((status, body))
}

/// A child process killed (and waited for) when dropped.
pub struct Proc {
    pub child: Child,
    pub name: &'static str,
    pub log: PathBuf,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    pub fn log_tail(&self) -> String {
        let s = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = s.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

/// A Prometheus server on loopback over `data`, with `config` as its configuration file text.
pub struct Prometheus {
    pub proc: Proc,
    pub port: u16,
}

impl Prometheus {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts it and waits until it is ready (30 s at most).
    pub fn start(
        bin: &Path,
        dir: &Path,
        data: &Path,
        config: &str,
        extra: &[String],
    ) -> Prometheus {
        let cfg = dir.join("prometheus.yml");
        std::fs::write(&cfg, config).expect("config");
        let port = free_port();
        let log = dir.join("prometheus.log");
        let logf = std::fs::File::create(&log).expect("log");
        let mut cmd = Command::new(bin);
        cmd.arg(format!("--config.file={}", cfg.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--storage.tsdb.retention.time=3650d")
            .arg("--log.level=warn")
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::from(logf.try_clone().expect("log")))
            .stderr(Stdio::from(logf));
        let child = cmd.spawn().expect("start prometheus");
        let p = Prometheus {
            proc: Proc {
                child,
                name: "prometheus",
                log,
            },
            port,
        };
        let t0 = Instant::now();
        loop {
            if let Some((200, _)) = http_get(port, "/-/ready") {
                return p;
            }
            // With basic auth configured, /-/ready answers 401 once it is up.
            if let Some((401, _)) = http_get(port, "/-/ready") {
                return p;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "prometheus did not get ready:\n{}",
                p.proc.log_tail()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// The `karte` binary of this build, if it was built (cargo test --workspace builds it).
pub fn karte_bin() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?;
    let p = dir.join("karte");
    p.is_file().then_some(p)
}

/// Runs karte with `args`: (exit code, stdout, stderr).
pub fn run_karte(bin: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin)
        .args(args)
        .env("NO_COLOR", "1")
        .env("LANG", "C")
        .env_remove("LC_ALL")
        .output()
        .expect("run karte");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

// ---------------------------------------------------------------------------------------------
// Scenario hosts.

/// A small deterministic random source (SplitMix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[1 - f, 1 + f]`.
    pub fn jitter(&mut self, f: f64) -> f64 {
        1.0 + f * (2.0 * self.next_f64() - 1.0)
    }
}

/// What a host did in the minute ending at a scrape, and its gauges at the scrape.
#[derive(Debug, Clone)]
pub struct Minute {
    /// Shares of CPU time per mode (user nice system idle iowait irq softirq steal), summing to 1.
    pub shares: [f64; 8],
    pub load: [f64; 3],
    pub running: u64,
    pub blocked: u64,
    pub mem_total: f64,
    pub mem_free: f64,
    pub mem_avail: f64,
    pub cached: f64,
    pub active_file: f64,
    pub inactive_file: f64,
    pub dirty: f64,
    pub writeback: f64,
    pub swap_total: f64,
    pub swap_free: f64,
    pub pswpin_s: f64,
    pub pswpout_s: f64,
    pub majflt_s: f64,
    pub oom_kills: u64,
    pub reads_s: f64,
    pub writes_s: f64,
    pub read_kb_s: f64,
    pub write_kb_s: f64,
    pub await_ms: f64,
    pub util: f64,
    pub rx_bytes_s: f64,
    pub rx_errs_min: u64,
    pub psi_cpu: f64,
    pub psi_mem: [f64; 2],
    pub psi_io: [f64; 2],
}

impl Minute {
    /// A calm host: a few percent busy, plenty of memory, a trickle of I/O.
    pub fn calm(r: &mut Rng) -> Minute {
        let user = 0.03 * r.jitter(0.5);
        let sys = 0.01 * r.jitter(0.5);
        let steal = 0.002 * r.jitter(0.9);
        let gib = 1024.0 * 1024.0 * 1024.0;
        Minute {
            shares: [
                user,
                0.0,
                sys,
                1.0 - user - sys - 0.002 - steal,
                0.002,
                0.0,
                0.0,
                steal,
            ],
            load: [0.15 * r.jitter(0.5), 0.12, 0.10],
            running: 1,
            blocked: 0,
            mem_total: 8.0 * gib,
            mem_free: 4.0 * gib,
            mem_avail: 6.0 * gib,
            cached: 2.0 * gib,
            active_file: 1.0 * gib,
            inactive_file: 1.0 * gib,
            dirty: 2.0 * 1024.0 * 1024.0,
            writeback: 0.0,
            swap_total: 2.0 * gib,
            swap_free: 2.0 * gib,
            pswpin_s: 0.0,
            pswpout_s: 0.0,
            majflt_s: 0.2,
            oom_kills: 0,
            reads_s: 2.0 * r.jitter(0.5),
            writes_s: 5.0 * r.jitter(0.5),
            read_kb_s: 40.0,
            write_kb_s: 120.0,
            await_ms: 1.5,
            util: 0.01,
            rx_bytes_s: 20_000.0 * r.jitter(0.3),
            rx_errs_min: 0,
            psi_cpu: 0.002,
            psi_mem: [0.0, 0.0],
            psi_io: [0.001, 0.0005],
        }
    }

    /// Sets user/system/steal/iowait and idle as the rest.
    pub fn cpu(&mut self, user: f64, sys: f64, iowait: f64, steal: f64) {
        self.shares = [
            user,
            0.0,
            sys,
            (1.0 - user - sys - iowait - steal).max(0.0),
            iowait,
            0.0,
            0.0,
            steal,
        ];
    }
}

/// The counters of a host, integrated minute by minute.
pub struct Counters {
    cpu: Vec<[u64; 8]>,
    forks: f64,
    ctxt: f64,
    intr: f64,
    vm: [f64; 5],
    oom: u64,
    disk: [f64; 8],
    net: [f64; 8],
    psi: [f64; 5],
}

impl Counters {
    pub fn new(ncpu: usize, r: &mut Rng) -> Counters {
        // As if the host has been up for about ten days.
        let cpu = (0..ncpu)
            .map(|_| {
                let mut m = [0u64; 8];
                m[0] = (6_000_000.0 * r.jitter(0.2)) as u64;
                m[2] = (2_000_000.0 * r.jitter(0.2)) as u64;
                m[3] = (80_000_000.0 * r.jitter(0.1)) as u64;
                m[4] = 100_000;
                m[6] = 50_000;
                m[7] = 200_000;
                m
            })
            .collect();
        Counters {
            cpu,
            forks: 1_000_000.0,
            ctxt: 9e8,
            intr: 5e8,
            vm: [1000.0, 2000.0, 30_000.0, 9e7, 5e7],
            oom: 0,
            disk: [1e6, 5e6, 4e10, 2e11, 3e6, 1e7, 4e6, 1.2e7],
            net: [8e10, 9e7, 0.0, 10.0, 3e10, 6e7, 0.0, 0.0],
            psi: [500.0, 20.0, 5.0, 300.0, 100.0],
        }
    }

    /// Advances by one minute of `m`.
    pub fn advance(&mut self, m: &Minute, r: &mut Rng) {
        for c in &mut self.cpu {
            // 60 s × 100 ticks/s, split by the shares (with a little jitter), idle takes the rest.
            let mut used = 0u64;
            for (k, s) in m.shares.iter().enumerate() {
                if k == 3 {
                    continue;
                }
                let t = (s * 6000.0 * r.jitter(0.05)).round().max(0.0) as u64;
                c[k] += t;
                used += t;
            }
            c[3] += 6000u64.saturating_sub(used);
        }
        self.forks += 30.0 * 60.0 * r.jitter(0.3);
        self.ctxt += 2000.0 * 60.0 * r.jitter(0.3);
        self.intr += 1500.0 * 60.0 * r.jitter(0.3);
        self.vm[0] += m.pswpin_s * 60.0;
        self.vm[1] += m.pswpout_s * 60.0;
        self.vm[2] += m.majflt_s * 60.0;
        self.vm[3] += 3000.0 * 60.0;
        self.vm[4] += m.read_kb_s * 60.0;
        self.oom += m.oom_kills;
        let (reads, writes) = (m.reads_s * 60.0, m.writes_s * 60.0);
        self.disk[0] += reads.round();
        self.disk[1] += (m.read_kb_s * 1024.0 * 60.0 / 512.0).round() * 512.0;
        self.disk[2] += (reads * m.await_ms).round();
        self.disk[3] += writes.round();
        self.disk[4] += (m.write_kb_s * 1024.0 * 60.0 / 512.0).round() * 512.0;
        self.disk[5] += (writes * m.await_ms).round();
        self.disk[6] += (m.util * 60_000.0).round();
        self.disk[7] += ((reads + writes) * m.await_ms).round();
        self.net[0] += (m.rx_bytes_s * 60.0).round();
        self.net[1] += (m.rx_bytes_s * 60.0 / 800.0).round();
        self.net[2] += m.rx_errs_min as f64;
        self.net[4] += (m.rx_bytes_s * 30.0).round();
        self.net[5] += (m.rx_bytes_s * 30.0 / 600.0).round();
        self.psi[0] += m.psi_cpu * 60.0;
        self.psi[1] += m.psi_mem[0] * 60.0;
        self.psi[2] += m.psi_mem[1] * 60.0;
        self.psi[3] += m.psi_io[0] * 60.0;
        self.psi[4] += m.psi_io[1] * 60.0;
    }

    /// Writes every node_exporter series of the host at time `t` (Unix seconds).
    #[allow(clippy::too_many_arguments)]
    pub fn write(
        &self,
        om: &mut String,
        inst: &str,
        nodename: &str,
        t: i64,
        m: &Minute,
        boot: i64,
        with_load1: bool,
    ) {
        use std::fmt::Write as _;
        let lbl = |extra: &str| {
            if extra.is_empty() {
                format!("{{instance=\"{inst}\",job=\"node\"}}")
            } else {
                format!("{{{extra},instance=\"{inst}\",job=\"node\"}}")
            }
        };
        let modes = [
            "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal",
        ];
        for (n, c) in self.cpu.iter().enumerate() {
            for (k, mode) in modes.iter().enumerate() {
                let _ = writeln!(
                    om,
                    "node_cpu_seconds_total{} {:.2} {t}",
                    lbl(&format!("cpu=\"{n}\",mode=\"{mode}\"")),
                    c[k] as f64 / 100.0
                );
            }
        }
        let mut g = |name: &str, v: f64| {
            let _ = writeln!(om, "{name}{} {v} {t}", lbl(""));
        };
        if with_load1 {
            g("node_load1", (m.load[0] * 100.0).round() / 100.0);
        }
        g("node_load5", (m.load[1] * 100.0).round() / 100.0);
        g("node_load15", (m.load[2] * 100.0).round() / 100.0);
        g("node_procs_running", m.running as f64);
        g("node_procs_blocked", m.blocked as f64);
        g("node_boot_time_seconds", boot as f64);
        g("node_forks_total", self.forks.round());
        g("node_context_switches_total", self.ctxt.round());
        g("node_intr_total", self.intr.round());
        let kb = |v: f64| (v / 1024.0).round() * 1024.0;
        for (k, v) in [
            ("MemTotal", m.mem_total),
            ("MemFree", m.mem_free),
            ("MemAvailable", m.mem_avail),
            ("Buffers", 100.0 * 1024.0 * 1024.0),
            ("Cached", m.cached),
            ("Active_file", m.active_file),
            ("Inactive_file", m.inactive_file),
            ("Dirty", m.dirty),
            ("Writeback", m.writeback),
            ("SwapTotal", m.swap_total),
            ("SwapFree", m.swap_free),
            ("Committed_AS", m.mem_total * 0.4),
            ("CommitLimit", m.mem_total * 0.5 + m.swap_total),
        ] {
            g(&format!("node_memory_{k}_bytes"), kb(v));
        }
        g("node_vmstat_pswpin", self.vm[0].round());
        g("node_vmstat_pswpout", self.vm[1].round());
        g("node_vmstat_pgmajfault", self.vm[2].round());
        g("node_vmstat_pgfault", self.vm[3].round());
        g("node_vmstat_pgpgin", self.vm[4].round());
        g("node_vmstat_oom_kill", self.oom as f64);
        g("node_pressure_cpu_waiting_seconds_total", self.psi[0]);
        g("node_pressure_memory_waiting_seconds_total", self.psi[1]);
        g("node_pressure_memory_stalled_seconds_total", self.psi[2]);
        g("node_pressure_io_waiting_seconds_total", self.psi[3]);
        g("node_pressure_io_stalled_seconds_total", self.psi[4]);
        let _ = writeln!(
            om,
            "node_uname_info{} 1 {t}",
            lbl(&format!(
                "machine=\"x86_64\",nodename=\"{nodename}\",release=\"6.1.0-18-amd64\",sysname=\"Linux\""
            ))
        );
        let _ = writeln!(om, "up{} 1 {t}", lbl(""));
        let d = lbl("device=\"sda\"");
        for (name, v) in [
            ("node_disk_reads_completed_total", self.disk[0]),
            ("node_disk_read_bytes_total", self.disk[1]),
            ("node_disk_read_time_seconds_total", self.disk[2] / 1000.0),
            ("node_disk_writes_completed_total", self.disk[3]),
            ("node_disk_written_bytes_total", self.disk[4]),
            ("node_disk_write_time_seconds_total", self.disk[5] / 1000.0),
            ("node_disk_io_time_seconds_total", self.disk[6] / 1000.0),
            (
                "node_disk_io_time_weighted_seconds_total",
                self.disk[7] / 1000.0,
            ),
        ] {
            let _ = writeln!(om, "{name}{d} {v} {t}");
        }
        let _ = writeln!(
            om,
            "node_disk_io_now{d} {} {t}",
            if m.util > 0.9 { 4 } else { 0 }
        );
        for (dev, scale) in [("eth0", 1.0), ("lo", 0.1)] {
            let l = lbl(&format!("device=\"{dev}\""));
            let errs = if dev == "eth0" { self.net[2] } else { 0.0 };
            for (name, v) in [
                ("node_network_receive_bytes_total", self.net[0] * scale),
                ("node_network_receive_packets_total", self.net[1] * scale),
                ("node_network_receive_errs_total", errs),
                ("node_network_receive_drop_total", self.net[3]),
                ("node_network_transmit_bytes_total", self.net[4] * scale),
                ("node_network_transmit_packets_total", self.net[5] * scale),
                ("node_network_transmit_errs_total", 0.0),
                ("node_network_transmit_drop_total", 0.0),
            ] {
                let _ = writeln!(om, "{name}{l} {} {t}", v.round());
            }
            let _ = writeln!(om, "node_network_carrier_changes_total{l} 2 {t}");
        }
    }
}

/// A scenario host: its instance label, CPUs, and what it does at `h` hours into the window.
pub struct Host {
    pub instance: &'static str,
    pub ncpu: usize,
    pub scenario: fn(f64, &mut Rng) -> Minute,
}

/// Writes the hosts' series every `scrape` seconds over `[t0, t0 + hours]`, and `extra` lines
/// (already formatted samples, time-ordered per series) before them, then `# EOF`.
pub fn openmetrics(
    hosts: &[Host],
    t0: i64,
    hours: f64,
    scrape: i64,
    load1_override: &[(&str, Vec<(i64, f64)>)],
) -> String {
    use std::fmt::Write as _;
    let mut om = String::with_capacity(32 << 20);
    // Long node_load1 histories come first: their samples are older than the window's.
    for (inst, pts) in load1_override {
        for (t, v) in pts.iter().filter(|(t, _)| *t < t0) {
            let _ = writeln!(om, "node_load1{{instance=\"{inst}\",job=\"node\"}} {v} {t}");
        }
    }
    let mut rngs: Vec<Rng> = (0..hosts.len())
        .map(|i| Rng::new(1000 + i as u64))
        .collect();
    let mut counters: Vec<Counters> = hosts
        .iter()
        .zip(rngs.iter_mut())
        .map(|(h, r)| Counters::new(h.ncpu, r))
        .collect();
    let boot = t0 - 10 * 86_400;
    let n = (hours * 3600.0 / scrape as f64).round() as i64;
    for k in 0..=n {
        let t = t0 + k * scrape;
        let h = (t - t0) as f64 / 3600.0;
        for (i, host) in hosts.iter().enumerate() {
            let m = (host.scenario)(h, &mut rngs[i]);
            if k > 0 {
                counters[i].advance(&m, &mut rngs[i]);
            }
            let over = load1_override
                .iter()
                .find(|(inst, _)| *inst == host.instance);
            counters[i].write(
                &mut om,
                host.instance,
                host.instance.split(':').next().unwrap_or(""),
                t,
                &m,
                boot,
                over.is_none(),
            );
            if let Some((_, pts)) = over
                && let Some((_, v)) = pts.iter().find(|(pt, _)| *pt == t)
            {
                let _ = writeln!(
                    om,
                    "node_load1{{instance=\"{}\",job=\"node\"}} {v} {t}",
                    host.instance
                );
            }
        }
    }
    om.push_str("# EOF\n");
    om
}

/// Writes `text` to `dir/data.om` and backfills it into `dir/data` with promtool.
pub fn backfill(promtool: &Path, dir: &Path, text: &str) -> PathBuf {
    let om = dir.join("data.om");
    std::fs::write(&om, text).expect("write openmetrics");
    let data = dir.join("data");
    let out = Command::new(promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&om)
        .arg(&data)
        .output()
        .expect("run promtool");
    assert!(
        out.status.success(),
        "promtool failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    );
    let _ = std::fs::remove_file(&om);
    data
}
