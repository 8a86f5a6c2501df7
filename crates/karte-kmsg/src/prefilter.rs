//! The fast path: which lines are worth parsing at all.
//!
//! In a real log, well under one line in ten thousand says anything this crate reports. So
//! instead of parsing every line, the scanner runs one multi-pattern search (Aho-Corasick with
//! its SIMD "Teddy" prefilter, the engine behind ripgrep) over a whole buffer of lines for the
//! words that every reported kernel message contains, and parses only the lines it lands on.
//! Lines between hits are never split, copied or looked at again.
//!
//! The rule that keeps this correct: **every line that can start or change parser state
//! contains one of [`KEYWORDS`]**. Lines that only matter *inside* a multi-line report (task
//! table rows, `Mem-Info` counters, stack frames, wrapped continuations) are handled because
//! the parser switches to reading every line while such a report is open
//! ([`crate::Parser`]'s busy state). The corpus test runs every excerpt both ways (prefiltered
//! and every-line) and requires identical events, which is what catches a missing keyword.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use std::sync::OnceLock;

/// Substrings of every line that can start an event or a report (the prefilter's patterns).
/// Case matters (the kernel's
/// spelling); variants are listed.
pub const KEYWORDS: &[&str] = &[
    // OOM killer: header, summary line, reaper, panics, userspace killers' tags
    "oom",
    "Killed process",
    "Kill process",
    "kill process",
    "killable",
    // hung tasks, lockups, RCU stalls
    "INFO: task ",
    "soft lockup",
    "hard LOCKUP",
    "detected stall",
    "detected expedited stall",
    // links
    "ink is ",
    "ink up",
    "ink Up",
    "ink UP",
    "ink down",
    "ink Down",
    "ink DOWN",
    "ink becomes ready",
    "ink status definitely",
    "ink state changed",
    // IPv6 duplicate address detection
    "duplicate address",
    // block layer and filesystems
    "I/O error",
    "I/O Error",
    "error, dev ",
    "EXT4-fs ",
    "EXT3-fs ",
    "EXT2-fs ",
    "XFS (",
    "BTRFS",
    "JBD2: ",
    "Aborting journal",
    "Disk failure on",
    // user faults
    "segfault at",
    "traps: ",
    "]: unhandled ",
    // hardware errors
    "Hardware Error",
    "Machine check",
    "Machine Check",
    "machine check",
    "Memory failure",
    "MCE: Killing",
    "EDAC ",
    // journalctl -o json with a binary MESSAGE (an array of byte values: no text to match)
    "\"MESSAGE\":[",
    // boot boundaries (kernel banner, journalctl markers)
    "Linux version ",
    "-- Reboot",
    "-- Boot ",
];

fn searcher() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        // A DFA with the packed (Teddy) prefilter: the prefilter skips most bytes with SIMD,
        // the DFA confirms candidates without backtracking.
        AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .kind(Some(AhoCorasickKind::DFA))
            .prefilter(true)
            .build(KEYWORDS)
            .or_else(|_| AhoCorasick::new(KEYWORDS))
            .expect("the keyword automaton is built from constant patterns")
    })
}

/// Byte offset of the first keyword in `hay`, if any.
#[inline]
pub(crate) fn find(hay: &[u8]) -> Option<usize> {
    searcher().find(hay).map(|m| m.start())
}

/// Does the line contain a keyword?
#[inline]
pub(crate) fn is_candidate(line: &[u8]) -> bool {
    find(line).is_some()
}
