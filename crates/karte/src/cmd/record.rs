//! `karte record`: a daemon that reads the whole host every interval into the history store.
//!
//! Each reading is the same `read_snapshot` as `karte doctor`'s (host metrics, every process,
//! the neighbour table, `processes` of /proc/stat for forks per second), appended to the store
//! in one transaction (see `karte-store`). The recorder never forks and never runs a shell; it
//! sleeps in `sigtimedwait`, so SIGTERM and SIGINT end it cleanly between two readings, with the
//! write-ahead log folded back into the database. A full disk pauses writing with one log line
//! and writing resumes by itself when space returns; a `kill -9` loses at most the reading being
//! written.
//!
//! Its own cost is logged: CPU time per reading and resident memory, every hour and at exit.

use super::{CliError, CmdResult};
use karte_snapshot::{NetInterface, Parts, ReadOptions, Snapshot, read_snapshot_reusing};
use karte_source::Root;
use karte_store::{Extra, Retention, Store, StoreError, WriterOptions};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The history database (default: /var/lib/karte/karte.db for root,
    /// $XDG_STATE_HOME/karte/karte.db otherwise)
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Seconds between readings
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub interval: f64,
    /// Keep this many days of history (default 14 unless --max-size is given)
    #[arg(long, value_name = "DAYS", conflicts_with = "max_size")]
    pub retention: Option<f64>,
    /// Keep the database under this many megabytes, deleting the oldest history first
    #[arg(long, value_name = "MB")]
    pub max_size: Option<f64>,
    /// Stop after this many readings (for tests and benchmarks)
    #[arg(long, value_name = "N", hide = true)]
    pub count: Option<u64>,
}

/// What each reading reads: everything the rules use, but not udev properties or NUMA nodes.
pub const PARTS: Parts = Parts {
    core: true,
    diskstats: true,
    net_dev: true,
    pressure: true,
    interfaces: true,
    block_devices: true,
    udev: false,
    numa: false,
    misc: true,
    processes: true,
    cgroups: true,
};

/// Readings between two full readings of every process's details (one minute at 10 s).
const PROCESS_DETAILS_EVERY: u64 = 6;
/// Readings between two retention passes and two cost log lines (one hour at 10 s).
const HOUSEKEEPING_EVERY: u64 = 360;
const DEFAULT_RETENTION_DAYS: f64 = 14.0;

fn log(msg: &str) {
    // stderr: journald under systemd, the terminal otherwise.
    eprintln!("karte record: {msg}");
}

/// The termination signals, blocked so that they are only taken in [`Signals::wait`].
struct Signals {
    set: libc::sigset_t,
}

impl Signals {
    fn block() -> Result<Signals, CliError> {
        // SAFETY: sigset_t is plain data; sigemptyset initialises it before use.
        let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: `set` is a valid sigset_t; the signal numbers are valid.
        let rc = unsafe {
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGTERM);
            libc::sigaddset(&mut set, libc::SIGINT);
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut())
        };
        if rc != 0 {
            return Err(CliError::new("cannot block SIGTERM/SIGINT"));
        }
        Ok(Signals { set })
    }

    /// Sleeps until `deadline`; true when a termination signal came first.
    fn wait_until(&self, deadline: Instant) -> bool {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return self.pending();
            }
            let ts = libc::timespec {
                tv_sec: left.as_secs() as libc::time_t,
                tv_nsec: libc::c_long::from(left.subsec_nanos() as i32),
            };
            // SAFETY: `set` and `ts` are valid for the call; no siginfo is asked for.
            let r = unsafe { libc::sigtimedwait(&self.set, std::ptr::null_mut(), &ts) };
            if r > 0 {
                return true;
            }
            let e = std::io::Error::last_os_error().raw_os_error();
            if e != Some(libc::EINTR) && e != Some(libc::EAGAIN) {
                // Should not happen; fall back to a plain sleep rather than spin.
                std::thread::sleep(left.min(Duration::from_secs(1)));
            }
        }
    }

    fn pending(&self) -> bool {
        let ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: as in wait_until.
        unsafe { libc::sigtimedwait(&self.set, std::ptr::null_mut(), &ts) > 0 }
    }
}

/// Large buffers (decoding and compressing a chunk once an hour: a few MB) come from `mmap` and
/// go back to the system when freed. Without this, glibc raises its mmap threshold after the
/// first such free and serves later ones from the heap, which then stays large.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 * 1024);
    }
}

/// Gives freed heap pages back to the system after each reading.
fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// CPU time this process has used (user + system).
fn cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer.
    if unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(
        ts.tv_sec.max(0) as u64,
        ts.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

/// Resident and peak resident memory of this process, kB.
fn rss_kb(root: &Root) -> (Option<u64>, Option<u64>) {
    match root.read_string("proc/self/status") {
        Ok(t) => {
            let s = karte_procfs::pid_status::parse(&t);
            let hwm = t
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok());
            (s.vm_rss_kb, hwm)
        }
        Err(_) => (None, None),
    }
}

/// The link state of every interface — carrier, carrier changes, operstate — read every
/// reading; the rest (address, MTU, speed, type, error counters) is carried from the last full
/// reading of /sys/class/net (once an hour), where it rarely changes. Reading every statistics
/// file of every interface each interval would cost the recorder a third of its time.
fn read_links(root: &Root, full: &[NetInterface]) -> Vec<NetInterface> {
    use karte_procfs::netclass::{parse_operstate, parse_u64};
    let Ok(mut names) = root.list("sys/class/net") else {
        return Vec::new();
    };
    names.sort();
    let mut buf = Vec::new();
    let mut read = |path: String| -> Option<String> {
        root.read_into(&path, &mut buf).ok()?;
        Some(String::from_utf8_lossy(&buf).into_owned())
    };
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        if name.starts_with('.') || name == "bonding_masters" {
            continue;
        }
        let last = full.iter().find(|i| i.name == name);
        let base = format!("sys/class/net/{name}");
        out.push(NetInterface {
            carrier: read(format!("{base}/carrier"))
                .as_deref()
                .and_then(parse_u64),
            carrier_changes: read(format!("{base}/carrier_changes"))
                .as_deref()
                .and_then(parse_u64),
            operstate: read(format!("{base}/operstate"))
                .as_deref()
                .and_then(parse_operstate),
            mac: last.and_then(|l| l.mac.clone()),
            mtu: last.and_then(|l| l.mtu),
            speed_mbps: last.and_then(|l| l.speed_mbps),
            arp_type: last.and_then(|l| l.arp_type),
            statistics: Vec::new(),
            name,
        });
    }
    out
}

/// A light reading takes the rarely changing parts from the previous one; the neighbour table,
/// which the recorder watches for flaps, is still read every time.
fn carry_forward(root: &Root, prev: &Snapshot, snap: &mut Snapshot) {
    snap.host.hostname.clone_from(&prev.host.hostname);
    snap.host.kernel.clone_from(&prev.host.kernel);
    snap.modules.clone_from(&prev.modules);
    snap.sysctls.clone_from(&prev.sysctls);
    snap.ipmi.clone_from(&prev.ipmi);
    snap.block_devices.clone_from(&prev.block_devices);
    snap.schedstat_jiffies = None;
    snap.arp = root
        .read_string("proc/net/arp")
        .map(|t| karte_procfs::net_arp::parse(&t))
        .unwrap_or_default();
}

/// New kernel-log events since the previous reading, from `/dev/kmsg` read without blocking.
///
/// The first start records the events still in the kernel's ring buffer (an OOM kill shortly
/// before the recorder started is worth keeping); the sequence number of the last record read is
/// kept in the store with each reading (`meta` key `kmsg_seq`, per boot), so a restart goes on
/// where the previous run stopped instead of recording those events twice. A multi-line report
/// (an OOM kill) is parsed once it is complete: events can come one interval late. Without
/// permission (not root, no CAP_SYSLOG) the recorder says so once and records no events.
struct KernelLog {
    dev: Option<karte_source::kmsg_device::KmsgDevice>,
    parser: karte_kmsg::Parser,
    /// Skip records up to this sequence number (already recorded by a previous run).
    skip_to: Option<u64>,
    last_seq: Option<u64>,
    meta_key: String,
    lost_reported: u64,
}

/// An event as the store takes it: (kind, wall ms if known, JSON).
type EventRow = (String, Option<i64>, String);

fn record_seq(rec: &[u8]) -> Option<u64> {
    let comma = rec.iter().position(|b| *b == b',')?;
    let rest = &rec[comma + 1..];
    let end = rest.iter().position(|b| !b.is_ascii_digit())?;
    std::str::from_utf8(&rest[..end]).ok()?.parse().ok()
}

impl KernelLog {
    fn open(
        store: &Store,
        boot_id: &str,
        boot_time_unix: Option<f64>,
        page_size: u32,
    ) -> KernelLog {
        let dev = match karte_source::kmsg_device::KmsgDevice::open() {
            Ok(d) => Some(d),
            Err(e) => {
                log(&format!("kernel-log events will not be recorded: {e}"));
                None
            }
        };
        let meta_key = format!("kmsg_seq:{boot_id}");
        let skip_to = store
            .meta(&meta_key)
            .ok()
            .flatten()
            .and_then(|v| v.parse().ok());
        let parser = karte_kmsg::Parser::new(karte_kmsg::Options {
            page_size,
            boot_time_unix,
            ..karte_kmsg::Options::default()
        });
        KernelLog {
            dev,
            parser,
            skip_to,
            last_seq: None,
            meta_key,
            lost_reported: 0,
        }
    }

    /// Events that came since the last call, and the state to store with them.
    fn poll(&mut self) -> (Vec<EventRow>, Vec<(String, String)>) {
        use karte_source::kmsg_device::KmsgRead;
        let Some(dev) = &mut self.dev else {
            return (Vec::new(), Vec::new());
        };
        let mut read_any = false;
        // A bounded number of records per reading: a flood must not stall the recorder.
        for _ in 0..100_000 {
            match dev.read_record() {
                Ok(KmsgRead::Record(r)) => {
                    let seq = record_seq(r);
                    if let (Some(s), Some(skip)) = (seq, self.skip_to)
                        && s <= skip
                    {
                        continue;
                    }
                    self.last_seq = seq.or(self.last_seq);
                    self.parser.feed(r);
                    read_any = true;
                }
                Ok(KmsgRead::Gap) => {}
                Ok(KmsgRead::Empty) => break,
                Err(e) => {
                    log(&format!(
                        "kernel log: {e}; no more kernel-log events will be recorded"
                    ));
                    self.dev = None;
                    break;
                }
            }
        }
        if let Some(dev) = &self.dev {
            let lost = dev.lost_records();
            if lost > self.lost_reported {
                log(&format!(
                    "{} kernel log record(s) were overwritten before they could be read",
                    lost - self.lost_reported
                ));
                self.lost_reported = lost;
            }
        }
        // A quiet log: whatever waits for a continuation line is complete.
        if !read_any {
            self.parser.flush();
        }
        let events: Vec<_> = self
            .parser
            .drain()
            .map(|e| {
                let wall = e.stamp().unix_s.map(|u| (u * 1000.0).round() as i64);
                (
                    e.kind().to_string(),
                    wall,
                    serde_json::to_string(&e).unwrap_or_default(),
                )
            })
            .collect();
        let meta = self
            .last_seq
            .map(|s| vec![(self.meta_key.clone(), s.to_string())])
            .unwrap_or_default();
        (events, meta)
    }
}

/// Whether writes are failing, so that the log says it once, and again when they resume.
#[derive(Default)]
struct WriteState {
    failing_since: Option<Instant>,
    dropped: u64,
    last_error: String,
    last_deferred: String,
}

impl WriteState {
    fn failed(&mut self, e: &StoreError) {
        self.dropped += 1;
        let msg = e.to_string();
        if self.failing_since.is_none() || msg != self.last_error {
            let what = if matches!(e, StoreError::DiskFull(_)) {
                "the disk is full: writing paused; readings are dropped until space returns"
            } else {
                "cannot write: readings are dropped until this clears"
            };
            log(&format!("{what} ({msg})"));
            self.failing_since.get_or_insert_with(Instant::now);
            self.last_error = msg;
        }
    }

    /// Sealing a chunk failed after the reading itself was stored; said once until it works.
    fn deferred(&mut self, e: &StoreError) {
        let msg = e.to_string();
        if msg != self.last_deferred {
            log(&format!(
                "cannot compress the last hour into a chunk yet ({msg}); the readings are kept uncompressed and it is tried again"
            ));
            self.last_deferred = msg;
        }
    }

    fn ok(&mut self) {
        if let Some(since) = self.failing_since.take() {
            log(&format!(
                "writing resumed after {:.0} s; {} reading(s) were dropped",
                since.elapsed().as_secs_f64(),
                self.dropped
            ));
            self.dropped = 0;
            self.last_error.clear();
        }
    }
}

pub fn run(args: Args) -> CmdResult {
    if !(args.interval.is_finite() && (0.05..=86400.0).contains(&args.interval)) {
        return Err(CliError::with_code(
            "--interval must be between 0.05 and 86400 seconds",
            2,
        ));
    }
    let retention = match (args.retention, args.max_size) {
        (Some(d), _) if !(d.is_finite() && d > 0.0) => {
            return Err(CliError::with_code(
                "--retention must be a positive number of days",
                2,
            ));
        }
        (_, Some(m)) if !(m.is_finite() && m >= 1.0) => {
            return Err(CliError::with_code("--max-size must be at least 1 MB", 2));
        }
        (d, None) => Retention {
            max_age: Some(Duration::from_secs_f64(
                d.unwrap_or(DEFAULT_RETENTION_DAYS) * 86400.0,
            )),
            max_bytes: None,
        },
        (_, Some(m)) => Retention {
            max_age: None,
            max_bytes: Some((m * 1_048_576.0) as u64),
        },
    };
    let interval = Duration::from_secs_f64(args.interval);
    let path = args.db.clone().unwrap_or_else(karte_store::default_path);
    let signals = Signals::block()?;
    tune_allocator();
    let mut store = Store::open_writer(&path, WriterOptions::default())
        .map_err(|e| CliError::new(format!("{}: {e}", path.display())))?;
    let keep = match (retention.max_age, retention.max_bytes) {
        (Some(a), _) => format!("keeping {:.1} days", a.as_secs_f64() / 86400.0),
        (_, Some(b)) => format!("keeping at most {:.0} MB", b as f64 / 1_048_576.0),
        _ => String::new(),
    };
    log(&format!(
        "recording to {} every {} s, {keep}",
        path.display(),
        args.interval
    ));

    let root = Root::live();
    let mut opts = ReadOptions::live();
    opts.parts = PARTS;
    let boot_id = root
        .read_string("proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let boot_time = root
        .read_string("proc/stat")
        .ok()
        .and_then(|t| karte_procfs::stat::parse(&t).btime_secs)
        .map(|b| b as f64);
    let mut kmsg = KernelLog::open(
        &store,
        &boot_id,
        boot_time,
        opts.page_size_bytes.unwrap_or(4096),
    );
    let mut links: Vec<NetInterface> = Vec::new();
    // The previous reading: processes seen there keep their details (status, command line,
    // cgroup) until the next full reading.
    let mut prev: Option<Snapshot> = None;
    let mut state = WriteState::default();
    let start = Instant::now();
    let mut tick: u64 = 0;
    let mut readings: u64 = 0;
    let mut cpu_total = Duration::ZERO;
    let mut cpu_max = Duration::ZERO;
    let mut window_cpu = Duration::ZERO;
    let mut window_n = 0u64;
    if let Err(e) = store.apply_retention(retention, karte_store::now_ms(), interval) {
        state.failed(&e);
    }
    loop {
        let c0 = cpu_time();
        opts.unix_secs = Some(karte_store::now_ms() as f64 / 1000.0);
        // Interfaces in full (every statistics file) once an hour; the link state in between.
        let full_links = readings.is_multiple_of(HOUSEKEEPING_EVERY);
        // Process details and cgroups in full once a minute; /proc/PID/stat every reading.
        let full_procs = readings.is_multiple_of(PROCESS_DETAILS_EVERY);
        opts.parts.interfaces = full_links;
        // Sysctls, modules, the IPMI driver's settings and the disks' kinds change rarely: read
        // with the process details, carried forward in between.
        opts.parts.misc = full_procs;
        opts.parts.block_devices = full_procs;
        let reuse = if full_procs { None } else { prev.as_ref() };
        let mut snap = read_snapshot_reusing(&root, &opts, reuse);
        if full_links {
            links = snap.interfaces.clone();
        } else {
            snap.interfaces = read_links(&root, &links);
        }
        if let (false, Some(p)) = (full_procs, &prev) {
            carry_forward(&root, p, &mut snap);
        }
        let (events, meta) = kmsg.poll();
        let extra = Extra {
            boot_id: boot_id.clone(),
            events,
            meta,
        };
        match store.append(&snap, &extra) {
            Ok(_) => {
                state.ok();
                if let Some(e) = store.take_deferred_error() {
                    state.deferred(&e);
                }
            }
            Err(e) => state.failed(&e),
        }
        prev = Some(snap);
        trim_heap();
        readings += 1;
        if readings.is_multiple_of(HOUSEKEEPING_EVERY)
            && let Err(e) = store.apply_retention(retention, karte_store::now_ms(), interval)
        {
            state.failed(&e);
        }
        let used = cpu_time().saturating_sub(c0);
        cpu_total += used;
        cpu_max = cpu_max.max(used);
        window_cpu += used;
        window_n += 1;
        if readings.is_multiple_of(HOUSEKEEPING_EVERY) {
            let (rss, _) = rss_kb(&root);
            log(&format!(
                "{readings} readings; last {window_n}: {:.1} ms CPU per reading; RSS {} kB",
                window_cpu.as_secs_f64() * 1000.0 / window_n as f64,
                rss.map_or("?".into(), |v| v.to_string())
            ));
            window_cpu = Duration::ZERO;
            window_n = 0;
        }
        if args.count.is_some_and(|n| readings >= n) {
            break;
        }
        // The next tick on a fixed monotonic schedule (the wall clock may jump; this does not).
        tick += 1;
        let mut deadline = start + interval.mul_f64(tick as f64);
        let now = Instant::now();
        if deadline < now {
            // Late (suspend, or a slow reading): skip the missed ticks rather than catch up.
            let behind = (now - start).as_secs_f64() / interval.as_secs_f64();
            tick = behind.ceil() as u64;
            deadline = start + interval.mul_f64(tick as f64);
        }
        if signals.wait_until(deadline) {
            break;
        }
    }
    if let Err(e) = store.checkpoint() {
        log(&format!("checkpoint at exit failed: {e}"));
    }
    let (rss, hwm) = rss_kb(&root);
    log(&format!(
        "stopped after {readings} readings; CPU {:.2} ms per reading on average (max {:.2} ms); RSS {} kB (peak {} kB)",
        cpu_total.as_secs_f64() * 1000.0 / readings.max(1) as f64,
        cpu_max.as_secs_f64() * 1000.0,
        rss.map_or("?".into(), |v| v.to_string()),
        hwm.map_or("?".into(), |v| v.to_string())
    ));
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat_line(pid: u32, comm: &str, utime: u64, start: u64, kthread: bool) -> String {
        let flags = if kthread { 2_129_984 } else { 4_194_560 };
        format!(
            "{pid} ({comm}) S 1 {pid} {pid} 0 -1 {flags} 10 0 0 0 {utime} 3 0 0 20 0 1 0 {start} 123456 789 18446744073709551615\n"
        )
    }

    fn write(dir: &std::path::Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    #[test]
    fn light_readings_refresh_stat_and_keep_details() {
        let dir = std::env::temp_dir().join(format!("karte-record-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        write(&dir, "proc/10/stat", &stat_line(10, "sshd", 5, 100, false));
        write(
            &dir,
            "proc/10/status",
            "Name:\tsshd\nUid:\t0\t0\t0\t0\nVmRSS:\t3156 kB\nVmSwap:\t12 kB\n",
        );
        write(&dir, "proc/10/cmdline", "/usr/sbin/sshd\0-D\0");
        write(&dir, "proc/2/stat", &stat_line(2, "kthreadd", 0, 1, true));
        let root = Root::dir(&dir);
        let opts = ReadOptions {
            parts: PARTS,
            ..ReadOptions::default()
        };
        let full = karte_snapshot::read_snapshot(&root, &opts);
        // The process used CPU; its status changed (not re-read in a light reading); a new one came.
        write(&dir, "proc/10/stat", &stat_line(10, "sshd", 50, 100, false));
        write(&dir, "proc/10/status", "Name:\tsshd\nUid:\t1\t1\t1\t1\n");
        write(&dir, "proc/11/stat", &stat_line(11, "cron", 1, 200, false));
        write(&dir, "proc/11/cmdline", "/usr/sbin/cron\0-f\0");
        let light = read_snapshot_reusing(&root, &opts, Some(&full));
        assert_eq!(light.processes.len(), 3);
        let sshd = light.process(10).expect("sshd");
        assert_eq!(sshd.stat.utime_ticks, 50);
        assert_eq!(sshd.cmdline.as_deref(), Some("/usr/sbin/sshd -D"));
        assert_eq!(sshd.uid(), Some(0));
        // Resident memory follows stat's page count, not the minute-old status.
        assert_eq!(sshd.rss_kb(4096), 789 * 4);
        assert_eq!(
            light.process(11).and_then(|p| p.cmdline.clone()).as_deref(),
            Some("/usr/sbin/cron -f")
        );
        assert!(light.process(2).is_some_and(|p| p.is_kernel_thread()));
        // A pid reused by another process (new start time) is read afresh.
        write(&dir, "proc/10/stat", &stat_line(10, "nginx", 1, 900, false));
        write(&dir, "proc/10/cmdline", "nginx: master\0");
        let again = read_snapshot_reusing(&root, &opts, Some(&light));
        assert_eq!(
            again.process(10).and_then(|p| p.cmdline.clone()).as_deref(),
            Some("nginx: master")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn kmsg_sequence_numbers() {
        assert_eq!(record_seq(b"6,1617,2313245019,-;text\n"), Some(1617));
        assert_eq!(record_seq(b"garbage"), None);
        assert_eq!(record_seq(b""), None);
    }
}
