//! Following the live kernel log (`/dev/kmsg`) without blocking, for the OOM-kill and
//! kernel-log families.
//!
//! This is a stop-gap source until the engine reads the kernel log itself: the command line
//! puts what [`KmsgFollower::poll`] returns into [`TickOutput::events`](crate::TickOutput).
//! `/dev/kmsg` gives one record per `read()`, from the oldest the ring buffer still holds; it
//! needs root or `CAP_SYSLOG` where `kernel.dmesg_restrict` is 1.

use karte_kmsg::{Event, Options, Parser};
use std::fs::File;
use std::io::{ErrorKind, Read};
use std::os::unix::fs::OpenOptionsExt;

/// At most this many records per poll, so that a flood of log lines cannot hold a tick.
const MAX_RECORDS_PER_POLL: usize = 20_000;

pub struct KmsgFollower {
    file: Option<File>,
    parser: Parser,
    buf: Vec<u8>,
    /// Why the kernel log is not followed, when it is not.
    pub note: Option<String>,
}

impl KmsgFollower {
    /// Opens `/dev/kmsg` (non-blocking). `boot_time_unix` (btime of /proc/stat) gives events
    /// wall-clock times.
    pub fn open(page_size: u32, boot_time_unix: Option<f64>) -> KmsgFollower {
        Self::open_path("/dev/kmsg", page_size, boot_time_unix)
    }

    pub fn open_path(path: &str, page_size: u32, boot_time_unix: Option<f64>) -> KmsgFollower {
        let parser = Parser::new(Options {
            page_size,
            boot_time_unix,
            ..Options::default()
        });
        let (file, note) = match std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
        {
            Ok(f) => (Some(f), None),
            Err(e) if e.kind() == ErrorKind::PermissionDenied => (
                None,
                Some(format!(
                    "{path}: permission denied; OOM kills and other kernel-log events are not counted (needs root or CAP_SYSLOG)"
                )),
            ),
            Err(e) => (
                None,
                Some(format!("{path}: {e}; kernel-log events are not counted")),
            ),
        };
        KmsgFollower {
            file,
            parser,
            buf: vec![0; 16 * 1024],
            note,
        }
    }

    pub fn is_open(&self) -> bool {
        self.file.is_some()
    }

    /// Reads every record that arrived since the last poll and returns the events completed.
    pub fn poll(&mut self) -> Vec<Event> {
        let Some(f) = self.file.as_mut() else {
            return Vec::new();
        };
        for _ in 0..MAX_RECORDS_PER_POLL {
            match f.read(&mut self.buf) {
                Ok(0) => break,
                Ok(n) => {
                    self.parser.feed(&self.buf[..n]);
                    if self.buf[n - 1] != b'\n' {
                        self.parser.feed(b"\n");
                    }
                }
                // Overwritten records (EPIPE): the next read continues after them.
                Err(e) if e.kind() == ErrorKind::BrokenPipe => continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => {
                    self.note = Some(format!("/dev/kmsg: {e}; stopped following the kernel log"));
                    self.file = None;
                    break;
                }
            }
        }
        self.parser.flush();
        self.parser.drain().collect()
    }
}
