//! Pure parsers for the kernel files karte reads.
//!
//! One module per kernel file, in the style of the `procfs` crate. Every parser takes text that a
//! source has already read and returns typed values whose names carry their units (`_kb`, `_ticks`,
//! `_secs`, `_pages`). No parser does IO, and no input — truncated, binary, hostile — may make one
//! panic: they are fuzzed with proptest (see `tests/fuzz.rs`).
//!
//! Where a file is a list of records (one CPU, one disk, one interface per line), a malformed
//! record is skipped and counted in `skipped_lines` rather than failing the whole file, so that a
//! truncated bundle still yields the good records and never a made-up number.

pub mod cgroup;
pub mod cgroup_memory;
pub mod cmdline;
pub mod diskstats;
pub mod kconfig;
pub mod kv;
pub mod loadavg;
pub mod meminfo;
pub mod modules;
pub mod net_arp;
pub mod net_dev;
pub mod netclass;
pub mod numa;
pub mod pid_stat;
pub mod pid_status;
pub mod pressure;
pub mod schedstat;
pub mod stat;
pub mod sysctl;
pub mod timer_list;
pub mod udev;
pub mod uptime;
pub mod vmstat;

use std::fmt;

/// Why a file could not be parsed at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What was wrong, for a note shown to the user.
    pub what: String,
}

impl ParseError {
    pub fn new(what: impl Into<String>) -> Self {
        ParseError { what: what.into() }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}

impl std::error::Error for ParseError {}

pub type Result<T> = std::result::Result<T, ParseError>;

/// Parses a decimal unsigned integer, naming `what` in the error.
pub(crate) fn parse_u64(s: &str, what: &str) -> Result<u64> {
    s.parse::<u64>()
        .map_err(|_| ParseError::new(format!("{what}: not a number: {:?}", truncate(s, 40))))
}

/// Parses a decimal signed integer, naming `what` in the error.
pub(crate) fn parse_i64(s: &str, what: &str) -> Result<i64> {
    s.parse::<i64>()
        .map_err(|_| ParseError::new(format!("{what}: not a number: {:?}", truncate(s, 40))))
}

/// Cuts `s` to at most `max` bytes on a char boundary, for error messages.
pub fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
