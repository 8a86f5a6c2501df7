//! The live diagnosis loop shared by `doctor`, `top`, `serve` and `record`: read the host,
//! compare with the previous reading, collect new kernel-log events, run the rules.
//!
//! One [`Engine`] per process; [`Engine::tick`] (or [`Engine::read`] for callers that diagnose
//! themselves) does one step. It never forks, keeps only the previous snapshot and a bounded
//! window of kernel-log events, so its memory stays flat however long it runs.

use karte_rules::report::{Diagnosis, diagnose};
use karte_rules::{Context, Lang};
use karte_snapshot::{Interval, ReadOptions, Snapshot, read_snapshot};
use karte_source::Root;
use std::collections::VecDeque;
use std::sync::Arc;

/// Kernel-log events kept for the rules, newest last; older ones are dropped first.
pub const MAX_EVENTS: usize = 2000;
/// At most this many /dev/kmsg records per read, so that a flood of log lines cannot hold a tick.
pub const MAX_RECORDS_PER_READ: usize = 20_000;

/// One reading and what it implies.
pub struct Reading {
    pub snapshot: Arc<Snapshot>,
    /// The reading before (None on the first).
    pub before: Option<Arc<Snapshot>>,
    /// Against the reading before.
    pub interval: Option<Interval>,
    /// Kernel-log events that arrived since the reading before.
    pub new_events: Vec<karte_kmsg::Event>,
}

/// What one step produced.
pub struct Tick {
    pub snapshot: Arc<Snapshot>,
    /// Against the previous tick (None on the first).
    pub interval: Option<Interval>,
    pub diagnosis: Diagnosis,
}

pub struct Engine {
    root: Root,
    options: ReadOptions,
    prev: Option<Arc<Snapshot>>,
    lang: Lang,
    kernel_log: Option<KernelLog>,
    events: VecDeque<karte_kmsg::Event>,
    /// Why the kernel log is not followed, when it is not.
    pub kernel_log_note: Option<String>,
}

impl Engine {
    /// An engine reading the live host (without the kernel log).
    pub fn live(lang: Lang) -> Engine {
        Engine {
            root: Root::live(),
            options: ReadOptions::live(),
            prev: None,
            lang,
            kernel_log: None,
            events: VecDeque::new(),
            kernel_log_note: None,
        }
    }

    /// Also follows the live kernel log (/dev/kmsg); when it cannot be read, says why in
    /// [`Engine::kernel_log_note`] and goes on without it.
    pub fn with_kernel_log(mut self) -> Engine {
        match KernelLog::open(false) {
            Ok(k) => self.kernel_log = Some(k),
            Err(e) => {
                self.kernel_log_note = Some(format!("{e}; kernel-log events are not followed"))
            }
        }
        self
    }

    /// Uses these read options (which parts to read) instead of everything.
    pub fn with_options(mut self, options: ReadOptions) -> Engine {
        self.options = options;
        self
    }

    /// Whether the kernel log is followed.
    pub fn kernel_log_read(&self) -> bool {
        self.kernel_log.is_some()
    }

    /// The kernel-log events kept (at most [`MAX_EVENTS`]), oldest first.
    pub fn events(&self) -> &[karte_kmsg::Event] {
        self.events.as_slices().0
    }

    /// Reads the host once more: the snapshot, the interval since the previous reading and the
    /// kernel-log events that arrived since.
    pub fn read(&mut self) -> Reading {
        let mut opts = self.options.clone();
        opts.unix_secs = ReadOptions::live().unix_secs;
        let snapshot = Arc::new(read_snapshot(&self.root, &opts));
        let before = self.prev.take();
        let interval = before.as_ref().and_then(|p| Interval::new(p, &snapshot));
        let new_events = self
            .kernel_log
            .as_mut()
            .map(KernelLog::read_available)
            .unwrap_or_default();
        self.events.extend(new_events.iter().cloned());
        while self.events.len() > MAX_EVENTS {
            self.events.pop_front();
        }
        // Keep the window contiguous so that `events()` can hand out one slice.
        self.events.make_contiguous();
        self.prev = Some(snapshot.clone());
        Reading {
            snapshot,
            before,
            interval,
            new_events,
        }
    }

    /// Reads the host once more and diagnoses the interval since the previous reading, with the
    /// kernel-log events kept.
    pub fn tick(&mut self) -> Tick {
        let r = self.read();
        let cx = Context {
            now: &r.snapshot,
            before: r.before.as_deref(),
            interval: r.interval.as_ref(),
            events: self.events(),
            kernel_log_read: self.kernel_log_read(),
            lang: self.lang,
        };
        let mut diagnosis = diagnose(&cx);
        diagnosis.extend(kernel_log_address_findings(self.events(), self.lang));
        Tick {
            snapshot: r.snapshot,
            interval: r.interval,
            diagnosis,
        }
    }
}

/// Findings from what the kernel log says about addresses: failed IPv6 duplicate address
/// detection is a duplicate address, the same rule as the active ARP check.
pub fn kernel_log_address_findings(
    events: &[karte_kmsg::Event],
    lang: Lang,
) -> Vec<karte_rules::Finding> {
    use karte_rules::rules::duplicate_ip::{KernelDad, evaluate_kernel_log};
    let dads: Vec<KernelDad> = events
        .iter()
        .filter_map(|e| match e {
            karte_kmsg::Event::DuplicateAddress(d) => Some(KernelDad {
                interface: d.iface.clone(),
                address: d.address.clone(),
                mac: d.mac.as_deref().and_then(|m| m.parse().ok()),
                message: d.message.clone(),
            }),
            _ => None,
        })
        .collect();
    evaluate_kernel_log(&dads, lang)
}

/// Findings of an active network check (duplicate IPv4 addresses, neighbour flaps).
pub fn net_check_findings(report: &karte_net::NetReport, lang: Lang) -> Vec<karte_rules::Finding> {
    use karte_rules::rules::{duplicate_ip, neighbour_flap};
    let mut f = duplicate_ip::evaluate(&report.conflicts(), lang);
    f.extend(neighbour_flap::evaluate(&report.neighbour_changes, lang));
    f
}

/// Neighbour-table changes between two readings of a bundle (/proc/net/arp).
pub fn neighbour_findings(
    before: &Snapshot,
    now: &Snapshot,
    lang: Lang,
) -> Vec<karte_rules::Finding> {
    use karte_net::neigh;
    let changes = neigh::changes_between(&neigh::from_arp(&before.arp), &neigh::from_arp(&now.arp));
    karte_rules::rules::neighbour_flap::evaluate(&changes, lang)
}

/// The live kernel log (/dev/kmsg), read without blocking: every record on the first call,
/// then only new ones. Events are parsed as records arrive; a report that spans records is
/// emitted once complete.
pub struct KernelLog {
    dev: karte_source::kmsg_device::KmsgDevice,
    parser: karte_kmsg::Parser,
    /// Raw records read so far, when capturing them for a bundle.
    capture: Option<Vec<u8>>,
}

impl KernelLog {
    /// Opens /dev/kmsg. `capture` keeps the raw records (for `karte collect`).
    pub fn open(capture: bool) -> Result<KernelLog, karte_source::kmsg_device::KmsgError> {
        let dev = karte_source::kmsg_device::KmsgDevice::open()?;
        let root = Root::live();
        let boot_time_unix = root
            .read_string("proc/stat")
            .ok()
            .and_then(|t| karte_procfs::stat::parse(&t).btime_secs)
            .map(|s| s as f64);
        let page_size = ReadOptions::live().page_size_bytes.unwrap_or(4096);
        let parser = karte_kmsg::Parser::new(karte_kmsg::Options {
            page_size,
            boot_time_unix,
            ..Default::default()
        });
        Ok(KernelLog {
            dev,
            parser,
            capture: capture.then(Vec::new),
        })
    }

    /// Events from the records available now (a report still being written waits for the next
    /// call); at most [`MAX_RECORDS_PER_READ`] records per call, so a periodic caller is never
    /// held up by a flood.
    pub fn read_available(&mut self) -> Vec<karte_kmsg::Event> {
        self.read_up_to(MAX_RECORDS_PER_READ)
    }

    /// Events from every record available now, however many.
    pub fn read_all(&mut self) -> Vec<karte_kmsg::Event> {
        self.read_up_to(usize::MAX)
    }

    fn read_up_to(&mut self, max_records: usize) -> Vec<karte_kmsg::Event> {
        use karte_source::kmsg_device::KmsgRead;
        let mut n = 0usize;
        while n < max_records {
            n += 1;
            match self.dev.read_record() {
                Ok(KmsgRead::Record(r)) => {
                    if let Some(c) = &mut self.capture {
                        c.extend_from_slice(r);
                    }
                    self.parser.feed(r);
                }
                Ok(KmsgRead::Gap) => {}
                Ok(KmsgRead::Empty) | Err(_) => break,
            }
        }
        self.parser.flush();
        self.parser.drain().collect()
    }

    /// Records overwritten before they could be read.
    pub fn lost_records(&self) -> u64 {
        self.dev.lost_records()
    }

    /// The raw records captured so far.
    pub fn captured(&self) -> Option<&[u8]> {
        self.capture.as_deref()
    }
}

/// The whole live kernel log as events, with a note when it cannot be read, and whether it was
/// read.
pub fn live_kernel_log() -> (Vec<karte_kmsg::Event>, Option<String>, bool) {
    match KernelLog::open(false) {
        Ok(mut k) => {
            let events = k.read_all();
            let note = (k.lost_records() > 0).then(|| {
                format!(
                    "{} kernel log records were overwritten before they could be read",
                    k.lost_records()
                )
            });
            (events, note, true)
        }
        Err(e) => (
            Vec::new(),
            Some(format!(
                "{e}; rules that need the kernel log (oom-kill, hung-task, io-errors, …) did not run"
            )),
            false,
        ),
    }
}
