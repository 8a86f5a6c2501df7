//! `/proc/<pid>/stat` (kernel-facts §3, `fs/proc/array.c` `do_task_stat`).
//!
//! The comm is printed raw between parentheses and may itself hold spaces and `)`; the only safe
//! split is procps': the first `(` and the *last* `)`.

use crate::{ParseError, Result};
use serde::Serialize;

/// `PF_KTHREAD` in the `flags` field: "I am a kernel thread".
pub const PF_KTHREAD: u64 = 0x0020_0000;

/// The scheduler state letter, mapped; unknown letters are kept as `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TaskState {
    Running,
    Sleeping,
    /// D: uninterruptible sleep, counted in the load average.
    DiskSleep,
    Stopped,
    TracingStop,
    Zombie,
    Dead,
    Parked,
    /// I: idle kernel thread (TASK_IDLE), not counted in the load average.
    Idle,
    Other(char),
}

impl TaskState {
    pub fn from_letter(c: char) -> TaskState {
        match c {
            'R' => TaskState::Running,
            'S' => TaskState::Sleeping,
            'D' => TaskState::DiskSleep,
            'T' => TaskState::Stopped,
            't' => TaskState::TracingStop,
            'Z' => TaskState::Zombie,
            'X' | 'x' => TaskState::Dead,
            'P' => TaskState::Parked,
            'I' => TaskState::Idle,
            c => TaskState::Other(c),
        }
    }

    pub fn letter(self) -> char {
        match self {
            TaskState::Running => 'R',
            TaskState::Sleeping => 'S',
            TaskState::DiskSleep => 'D',
            TaskState::Stopped => 'T',
            TaskState::TracingStop => 't',
            TaskState::Zombie => 'Z',
            TaskState::Dead => 'X',
            TaskState::Parked => 'P',
            TaskState::Idle => 'I',
            TaskState::Other(c) => c,
        }
    }
}

/// The fields of /proc/<pid>/stat that karte uses. Times in USER_HZ ticks, rss in pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PidStat {
    pub pid: u32,
    pub comm: String,
    pub state: TaskState,
    pub ppid: u32,
    pub pgrp: i64,
    pub session: i64,
    pub tpgid: i64,
    pub flags: u64,
    pub minflt: u64,
    pub majflt: u64,
    pub utime_ticks: u64,
    pub stime_ticks: u64,
    pub priority: i64,
    pub nice: i64,
    pub num_threads: u64,
    /// Start time in USER_HZ ticks after boot.
    pub starttime_ticks: u64,
    pub vsize_bytes: u64,
    pub rss_pages: u64,
    /// CPU the task last ran on (field 39), when printed.
    pub processor: Option<u32>,
    /// Real-time priority and policy (fields 40–41), when printed.
    pub rt_priority: Option<u64>,
    pub policy: Option<u64>,
    /// Aggregated block I/O delay (field 42), when printed.
    pub blkio_ticks: Option<u64>,
}

impl PidStat {
    pub fn is_kernel_thread(&self) -> bool {
        self.flags & PF_KTHREAD != 0
    }

    /// utime + stime.
    pub fn cpu_ticks(&self) -> u64 {
        self.utime_ticks.saturating_add(self.stime_ticks)
    }
}

pub fn parse(text: &str) -> Result<PidStat> {
    let open = text
        .find('(')
        .ok_or_else(|| ParseError::new("pid stat: no '('"))?;
    let close = text
        .rfind(')')
        .ok_or_else(|| ParseError::new("pid stat: no ')'"))?;
    if close < open {
        return Err(ParseError::new("pid stat: ')' before '('"));
    }
    let pid = crate::parse_u64(text[..open].trim(), "pid stat pid")?;
    let pid = u32::try_from(pid).map_err(|_| ParseError::new("pid stat: pid out of range"))?;
    let comm = text[open + 1..close].to_string();
    // Fields from 3 on; index 0 here is field 3 (state).
    // Fields 3..=42 without a heap allocation: this runs for every process at every reading.
    let mut fields = [""; 40];
    let mut n = 0;
    for tok in text[close + 1..].split_ascii_whitespace().take(40) {
        fields[n] = tok;
        n += 1;
    }
    let rest = &fields[..n];
    if rest.len() < 22 {
        return Err(ParseError::new(format!(
            "pid stat: only {} fields after comm",
            rest.len()
        )));
    }
    let f = |field: usize| -> Result<u64> { crate::parse_u64(rest[field - 3], "pid stat field") };
    let fi = |field: usize| -> Result<i64> { crate::parse_i64(rest[field - 3], "pid stat field") };
    let fo = |field: usize| -> Option<u64> { rest.get(field - 3).and_then(|s| s.parse().ok()) };
    let mut state_chars = rest[0].chars();
    let state = match (state_chars.next(), state_chars.next()) {
        (Some(c), None) => TaskState::from_letter(c),
        _ => return Err(ParseError::new("pid stat: state is not one letter")),
    };
    Ok(PidStat {
        pid,
        comm,
        state,
        ppid: u32::try_from(f(4)?).map_err(|_| ParseError::new("pid stat: ppid out of range"))?,
        pgrp: fi(5)?,
        session: fi(6)?,
        tpgid: fi(8)?,
        flags: f(9)?,
        minflt: f(10)?,
        majflt: f(12)?,
        utime_ticks: f(14)?,
        stime_ticks: f(15)?,
        priority: fi(18)?,
        nice: fi(19)?,
        num_threads: f(20)?,
        starttime_ticks: f(22)?,
        vsize_bytes: fo(23).unwrap_or(0),
        rss_pages: fo(24).unwrap_or(0),
        processor: fo(39).and_then(|v| u32::try_from(v).ok()),
        rt_priority: fo(40),
        policy: fo(41),
        blkio_ticks: fo(42),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIPMI: &str = "141 (kipmi0) R 2 0 0 0 -1 2129984 0 0 0 0 5 873012 0 0 39 19 1 0 220 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 0 3 0 0 0 0\n";

    #[test]
    fn kernel_thread_at_nice_19() {
        let s = parse(KIPMI).expect("parse");
        assert_eq!(s.pid, 141);
        assert_eq!(s.comm, "kipmi0");
        assert_eq!(s.state, TaskState::Running);
        assert_eq!(s.nice, 19);
        assert!(s.is_kernel_thread());
        assert_eq!(s.cpu_ticks(), 873017);
        assert_eq!(s.processor, Some(3));
    }

    #[test]
    fn comm_with_spaces_and_parens() {
        let line = "4242 (my) (evil prog) S 1 4242 4242 0 -1 4194560 10 0 0 0 7 3 0 0 20 0 3 0 9999 123456 789 18446744073709551615\n";
        let s = parse(line).expect("parse");
        assert_eq!(s.comm, "my) (evil prog");
        assert_eq!(s.state, TaskState::Sleeping);
        assert!(!s.is_kernel_thread());
        assert_eq!(s.rss_pages, 789);
        assert_eq!(s.num_threads, 3);
        assert_eq!(s.processor, None);
    }

    #[test]
    fn unknown_state_kept() {
        let line = "7 (x) L 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0 0";
        assert_eq!(parse(line).expect("parse").state, TaskState::Other('L'));
    }

    #[test]
    fn truncated_is_error() {
        assert!(parse("7 (x) S 1 1 1 0").is_err());
        assert!(parse("7 x) S").is_err());
        assert!(parse("").is_err());
    }
}
