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
use karte_snapshot::{Parts, ReadOptions, read_snapshot};
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

/// New kernel-log events since the previous reading.
///
/// Waits for the live `/dev/kmsg` reader (karte-source) and the parser's events (karte-kmsg):
/// once they exist, `open` seeks to the end of the log and `poll` reads what came since, without
/// blocking, and returns each event as (kind, wall ms if known, JSON as `karte events` prints
/// it) — the store already keeps them (`events` table). Until then no events are recorded.
struct KernelLog;

impl KernelLog {
    fn open() -> KernelLog {
        KernelLog
    }

    fn poll(&mut self) -> Vec<(String, Option<i64>, String)> {
        Vec::new()
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
    let mut kmsg = KernelLog::open();
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
        let snap = read_snapshot(&root, &opts);
        let extra = Extra {
            boot_id: boot_id.clone(),
            events: kmsg.poll(),
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
        drop(snap);
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
