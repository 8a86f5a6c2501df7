//! The live kernel log: `/dev/kmsg`.
//!
//! The kernel keeps its log in a ring buffer; `/dev/kmsg` hands out one record per `read()`
//! (`prio,seq,usec,flag;text\n` plus ` KEY=value\n` context lines, kernel-facts §4.8). This
//! reader opens it non-blocking, so that "read everything there is" ends with `EAGAIN` instead
//! of hanging, and [`KmsgDevice::wait`] blocks in `poll()` for `--follow`. Records overwritten
//! before they were read make one `read()` fail with `EPIPE`: that is reported as a
//! [`KmsgRead::Gap`] and reading goes on; the sequence numbers tell how many were lost.
//!
//! Reading needs root, `CAP_SYSLOG`, or `kernel.dmesg_restrict=0`; [`KmsgError`] says so in
//! words. No `dmesg` or `journalctl` is ever run.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the live kernel log is.
pub const KMSG_PATH: &str = "/dev/kmsg";

/// One record is at most about 1 KiB of text plus its dictionary (CONSOLE_EXT_LOG_MAX is
/// 8 KiB); a buffer too small makes `read()` fail with `EINVAL`, so this is generous.
const RECORD_BUF: usize = 16 * 1024;

/// Why the kernel log could not be read.
#[derive(Debug)]
pub enum KmsgError {
    /// `EPERM`/`EACCES`: not root, no `CAP_SYSLOG`, and `kernel.dmesg_restrict=1`.
    PermissionDenied(PathBuf),
    /// No `/dev/kmsg` (a container without it, a kernel before 3.5).
    NotFound(PathBuf),
    /// Any other error.
    Io(PathBuf, io::Error),
}

impl fmt::Display for KmsgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KmsgError::PermissionDenied(p) => write!(
                f,
                "cannot read the kernel log {}: permission denied. Reading it needs root (or \
                 CAP_SYSLOG), or the sysctl kernel.dmesg_restrict=0; or give a saved log with \
                 --input FILE",
                p.display()
            ),
            KmsgError::NotFound(p) => write!(
                f,
                "{} does not exist (a container or a very old kernel?); give a saved log with \
                 --input FILE",
                p.display()
            ),
            KmsgError::Io(p, e) => write!(f, "cannot read the kernel log {}: {e}", p.display()),
        }
    }
}

impl std::error::Error for KmsgError {}

/// What one read gave.
#[derive(Debug, PartialEq, Eq)]
pub enum KmsgRead<'a> {
    /// One record, with its ` KEY=value` lines, ending with a line feed.
    Record(&'a [u8]),
    /// Records were overwritten before they could be read; reading continues after them.
    Gap,
    /// Nothing more for now (`EAGAIN`): [`KmsgDevice::wait`] for more.
    Empty,
}

/// An open `/dev/kmsg`.
#[derive(Debug)]
pub struct KmsgDevice {
    file: File,
    path: PathBuf,
    buf: Vec<u8>,
    last_seq: Option<u64>,
    lost: u64,
}

impl KmsgDevice {
    /// Opens `/dev/kmsg` at its oldest record.
    pub fn open() -> Result<KmsgDevice, KmsgError> {
        KmsgDevice::open_path(Path::new(KMSG_PATH))
    }

    /// Opens a device that behaves like `/dev/kmsg` (for tests: a FIFO).
    pub fn open_path(path: &Path) -> Result<KmsgDevice, KmsgError> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .map_err(|e| classify(path, e))?;
        Ok(KmsgDevice {
            file,
            path: path.to_path_buf(),
            buf: vec![0; RECORD_BUF],
            last_seq: None,
            lost: 0,
        })
    }

    /// Reads one record (one `read()` is one record).
    pub fn read_record(&mut self) -> Result<KmsgRead<'_>, KmsgError> {
        loop {
            match self.file.read(&mut self.buf) {
                Ok(0) => return Ok(KmsgRead::Empty),
                Ok(n) => {
                    let n = n.min(self.buf.len());
                    if let Some(seq) = record_seq(&self.buf[..n]) {
                        if let Some(last) = self.last_seq
                            && seq > last + 1
                        {
                            self.lost = self.lost.saturating_add(seq - last - 1);
                        }
                        self.last_seq = Some(seq);
                    }
                    return Ok(KmsgRead::Record(&self.buf[..n]));
                }
                Err(e) => match e.kind() {
                    io::ErrorKind::Interrupted => continue,
                    io::ErrorKind::WouldBlock => return Ok(KmsgRead::Empty),
                    io::ErrorKind::BrokenPipe => return Ok(KmsgRead::Gap),
                    _ => return Err(classify(&self.path, e)),
                },
            }
        }
    }

    /// Blocks until a record can be read or `timeout` passes; true when one is ready.
    pub fn wait(&self, timeout: Duration) -> io::Result<bool> {
        let mut pfd = libc::pollfd {
            fd: self.file.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
        loop {
            // SAFETY: pfd is a valid pollfd for the duration of the call, and nfds is 1.
            let r = unsafe { libc::poll(&mut pfd, 1, ms) };
            if r < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            return Ok(r > 0);
        }
    }

    /// Records lost so far (gaps in the sequence numbers, from overwrites).
    pub fn lost_records(&self) -> u64 {
        self.lost
    }
}

fn classify(path: &Path, e: io::Error) -> KmsgError {
    match e.raw_os_error() {
        Some(libc::EPERM) | Some(libc::EACCES) => KmsgError::PermissionDenied(path.to_path_buf()),
        Some(libc::ENOENT) => KmsgError::NotFound(path.to_path_buf()),
        _ => KmsgError::Io(path.to_path_buf(), e),
    }
}

/// The sequence number of a record (`prio,SEQ,usec,...`).
fn record_seq(rec: &[u8]) -> Option<u64> {
    let comma = rec.iter().position(|b| *b == b',')?;
    let rest = &rec[comma + 1..];
    let end = rest.iter().position(|b| !b.is_ascii_digit())?;
    std::str::from_utf8(&rest[..end]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq() {
        assert_eq!(record_seq(b"6,1234,5678901,-;x\n"), Some(1234));
        assert_eq!(record_seq(b"garbage"), None);
    }

    #[test]
    fn missing_device_is_a_clear_error() {
        let err = KmsgDevice::open_path(Path::new("/nonexistent/kmsg")).expect_err("absent");
        assert!(matches!(err, KmsgError::NotFound(_)));
        assert!(err.to_string().contains("--input"));
    }

    /// On a machine where the live log is readable (root, or dmesg_restrict=0), every record
    /// is read and the end is reported as Empty rather than blocking.
    #[test]
    fn reads_live_log_when_allowed() {
        let mut dev = match KmsgDevice::open() {
            Ok(d) => d,
            Err(KmsgError::PermissionDenied(_)) | Err(KmsgError::NotFound(_)) => return,
            Err(e) => panic!("{e}"),
        };
        let mut records = 0;
        loop {
            match dev.read_record().expect("read") {
                KmsgRead::Record(r) => {
                    assert!(r.ends_with(b"\n"));
                    records += 1;
                }
                KmsgRead::Gap => {}
                KmsgRead::Empty => break,
            }
            assert!(records < 10_000_000, "never reached the end");
        }
        assert!(records > 0);
        // Nothing new arrives in a millisecond on a quiet box, or something does: both fine.
        let _ = dev.wait(Duration::from_millis(1)).expect("poll");
    }
}
