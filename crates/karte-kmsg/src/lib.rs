//! Kernel log → events.
//!
//! When a process has vanished, the kernel log is the only witness; users hand it over in
//! every wrapper there is. This crate reads them all — raw `/dev/kmsg` records, `dmesg` (plain,
//! `-T`, `-x`, `-d`, `-e`, with caller ids), journalctl (`short`, `-precise`, `-iso`, `-full`,
//! `-unix`, `-monotonic`, `-r` newest first, `-x` with catalogue lines, `-o json`), `/var/log/kern.log` and
//! `messages` (RFC 3164 in any locale's month names, RFC 5424, ISO stamps), kdump's
//! `vmcore-dmesg.txt`, mail-quoted and mail-wrapped pastes, interleaved with other daemons'
//! lines, truncated — and turns them into [`Event`]s: OOM kills assembled from their whole
//! report ([`OomKill`]), the OOM reaper, userspace OOM killers, hung tasks, lockups, RCU stalls,
//! link changes, IPv6 duplicate addresses, I/O errors, user-space faults, machine checks and
//! EDAC memory errors. The format is detected per line; a line that is not understood is
//! skipped, never an error.
//!
//! # Design
//!
//! * **Pure.** [`Parser`] takes bytes and gives events; it opens no file and reads no clock. The
//!   sources (live `/dev/kmsg`: `karte_source::kmsg_device`; files: the CLI) feed it.
//! * **Streaming, bounded.** Input is consumed in chunks of any size; memory does not grow with
//!   the input (see [`Parser`]).
//! * **Fast.** A multi-pattern SIMD search ([`KEYWORDS`]) skips the lines that cannot matter
//!   without splitting them; only hits, and the lines of a report while it is open, are parsed.
//! * **Honest.** A field the log did not give is `None` (`null` in JSON), never a guess; an OOM
//!   report with missing parts says so (`complete: false`, `missing`).
//!
//! # Example
//!
//! ```
//! use karte_kmsg::{Event, Options, parse_bytes};
//!
//! let log = b"[ 5123.041321] Out of memory: Killed process 8123 (java) total-vm:9182736kB, \
//! anon-rss:8123456kB, file-rss:1024kB, shmem-rss:0kB, UID:1000 pgtables:16480kB oom_score_adj:0\n\
//! [ 5130.000001] INFO: task jbd2/sda1-8:345 blocked for more than 120 seconds.\n";
//! let events = parse_bytes(log, &Options::default());
//! match &events[0] {
//!     Event::OomKill(k) => {
//!         assert_eq!(k.pid, Some(8123));
//!         assert_eq!(k.comm.as_deref(), Some("java"));
//!         assert_eq!(k.anon_rss_kb, Some(8123456));
//!         assert!(!k.complete); // the header was not in this excerpt
//!     }
//!     other => panic!("{other:?}"),
//! }
//! assert_eq!(events[1].kind(), "hung_task");
//! ```
//!
//! Streaming, with a push parser (what the live reader and the recorder do):
//!
//! ```
//! use karte_kmsg::{Options, Parser};
//!
//! let mut p = Parser::new(Options::default());
//! p.feed(b"6,1234,5678901,-;e1000e: eth0 NIC Link is Do");
//! p.feed(b"wn\n");
//! let e = p.next_event().expect("an event");
//! assert_eq!(e.kind(), "link_down");
//! assert_eq!(e.stamp().uptime_s, Some(5.678901));
//! p.finish();
//! ```

mod disk;
mod envelope;
mod event;
mod hw;
mod net;
mod oom;
mod parser;
mod prefilter;
mod task;
mod time;
mod userspace;
mod util;

pub use event::{
    Constraint, DuplicateAddress, Edac, Event, HardLockup, HungTask, IoError, Link, Mce, MemState,
    MemcgState, OomKill, OomReaper, RcuStall, Segfault, Selected, SoftLockup, Stamp, TaskRow,
    UserspaceOomKill,
};
pub use parser::{MAX_LINE, Options, Parser, Stats};
pub use prefilter::KEYWORDS;
pub use time::format_unix;

use std::io::Read;

/// All events of a log held in memory (a bundle's `kmsg.txt`, a test excerpt).
pub fn parse_bytes(log: &[u8], opts: &Options) -> Vec<Event> {
    let mut p = Parser::new(opts.clone());
    p.feed(log);
    p.finish();
    p.drain().collect()
}

/// Size of the chunks [`ReadEvents`] reads.
const CHUNK: usize = 256 * 1024;

/// Events of a log read from `r`, as an iterator; reads in chunks, so a file of any size costs
/// bounded memory. An IO error is yielded once and ends the iteration.
pub fn read_events<R: Read>(r: R, opts: &Options) -> ReadEvents<R> {
    ReadEvents {
        reader: r,
        parser: Parser::new(opts.clone()),
        buf: vec![0; CHUNK],
        done: false,
    }
}

/// Iterator returned by [`read_events`].
#[derive(Debug)]
pub struct ReadEvents<R> {
    reader: R,
    parser: Parser,
    buf: Vec<u8>,
    done: bool,
}

impl<R> ReadEvents<R> {
    /// The parser's counters so far.
    pub fn stats(&self) -> Stats {
        self.parser.stats()
    }
}

impl<R: Read> Iterator for ReadEvents<R> {
    type Item = std::io::Result<Event>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.parser.next_event() {
                return Some(Ok(e));
            }
            if self.done {
                return None;
            }
            match self.reader.read(&mut self.buf) {
                Ok(0) => {
                    self.parser.finish();
                    self.done = true;
                }
                Ok(n) => self.parser.feed(&self.buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}
