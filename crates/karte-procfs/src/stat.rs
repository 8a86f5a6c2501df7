//! `/proc/stat`: CPU time per mode, interrupts, context switches, boot time, forks.
//!
//! Format: `fs/proc/stat.c` `show_stat` (kernel-facts §2). The aggregate line is `cpu  …` (two
//! spaces), then one `cpuN` line per *online* CPU. Each has 4 to 10 counters in USER_HZ ticks;
//! fields a kernel does not print are zero. guest and guest_nice are already contained in user
//! and nice (`account_guest_time`), so [`CpuTicks::total`] leaves them out.

use serde::Serialize;

/// The counters of one `cpu` line, in USER_HZ ticks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CpuTicks {
    pub user: u64,
    pub nice: u64,
    pub system: u64,
    pub idle: u64,
    pub iowait: u64,
    pub irq: u64,
    pub softirq: u64,
    pub steal: u64,
    /// Already inside `user`: never add it again.
    pub guest: u64,
    /// Already inside `nice`: never add it again.
    pub guest_nice: u64,
    /// How many counters the kernel printed (4 on 2.4, 10 since 2.6.33).
    pub fields: u8,
}

/// The eight modes that partition CPU time (guest modes are inside user and nice).
pub const MODES: [&str; 8] = [
    "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal",
];

impl CpuTicks {
    /// The eight partitioning modes in the order of [`MODES`].
    pub fn modes(&self) -> [u64; 8] {
        [
            self.user,
            self.nice,
            self.system,
            self.idle,
            self.iowait,
            self.irq,
            self.softirq,
            self.steal,
        ]
    }

    /// All time this CPU accounted for: every mode once, guest not counted twice.
    pub fn total(&self) -> u64 {
        self.modes().iter().fold(0u64, |a, b| a.saturating_add(*b))
    }

    fn parse(rest: &str) -> Option<CpuTicks> {
        let mut v = [0u64; 10];
        let mut n = 0usize;
        for tok in rest.split_ascii_whitespace() {
            if n == 10 {
                break; // a future kernel's 11th field: ignore it
            }
            v[n] = tok.parse().ok()?;
            n += 1;
        }
        if n < 4 {
            return None;
        }
        Some(CpuTicks {
            user: v[0],
            nice: v[1],
            system: v[2],
            idle: v[3],
            iowait: v[4],
            irq: v[5],
            softirq: v[6],
            steal: v[7],
            guest: v[8],
            guest_nice: v[9],
            fields: n as u8,
        })
    }
}

/// One reading of `/proc/stat`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stat {
    /// The aggregate `cpu` line (sums all *possible* CPUs, offline ones included).
    pub cpu: Option<CpuTicks>,
    /// `cpuN` lines, by CPU number, for online CPUs only.
    pub cpus: Vec<(u32, CpuTicks)>,
    /// First number of `intr`: all interrupts since boot.
    pub intr_total: Option<u64>,
    /// `ctxt`: context switches since boot.
    pub ctxt: Option<u64>,
    /// `btime`: boot time, seconds since the epoch.
    pub btime_secs: Option<u64>,
    /// `processes`: forks since boot.
    pub processes: Option<u64>,
    /// `procs_running`: runnable tasks now (R only).
    pub procs_running: Option<u64>,
    /// `procs_blocked`: tasks in I/O wait now (not every D task).
    pub procs_blocked: Option<u64>,
    /// `softirq`: per-type counts (the total is dropped; it is their sum).
    pub softirq_by_type: Vec<u64>,
    /// Lines that looked like a known key but did not parse.
    pub skipped_lines: usize,
}

/// The softirq types in the order of the `softirq` line (`softirq_to_name`).
pub const SOFTIRQ_NAMES: [&str; 10] = [
    "hi",
    "timer",
    "net_tx",
    "net_rx",
    "block",
    "block_iopoll",
    "tasklet",
    "sched",
    "hrtimer",
    "rcu",
];

pub fn parse(text: &str) -> Stat {
    let mut st = Stat::default();
    for line in text.lines() {
        let (key, rest) = match line.split_once(' ') {
            Some(kr) => kr,
            None => continue,
        };
        let single = |rest: &str| rest.trim().parse::<u64>().ok();
        let ok = match key {
            "cpu" => {
                st.cpu = CpuTicks::parse(rest);
                st.cpu.is_some()
            }
            k if k.starts_with("cpu") => match (k[3..].parse::<u32>(), CpuTicks::parse(rest)) {
                (Ok(n), Some(t)) => {
                    st.cpus.push((n, t));
                    true
                }
                _ => false,
            },
            "intr" => {
                st.intr_total = rest
                    .split_ascii_whitespace()
                    .next()
                    .and_then(|s| s.parse().ok());
                st.intr_total.is_some()
            }
            "ctxt" => {
                st.ctxt = single(rest);
                st.ctxt.is_some()
            }
            "btime" => {
                st.btime_secs = single(rest);
                st.btime_secs.is_some()
            }
            "processes" => {
                st.processes = single(rest);
                st.processes.is_some()
            }
            "procs_running" => {
                st.procs_running = single(rest);
                st.procs_running.is_some()
            }
            "procs_blocked" => {
                st.procs_blocked = single(rest);
                st.procs_blocked.is_some()
            }
            "softirq" => {
                let nums: Option<Vec<u64>> = rest
                    .split_ascii_whitespace()
                    .map(|s| s.parse().ok())
                    .collect();
                match nums {
                    Some(v) if !v.is_empty() => {
                        st.softirq_by_type = v[1..].to_vec();
                        true
                    }
                    _ => false,
                }
            }
            _ => true,
        };
        if !ok {
            st.skipped_lines += 1;
        }
    }
    st
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "cpu  301854 612 111922 8979004 3552 2 3944 0 44 36\n\
cpu0 44490 19 21045 1087069 220 1 3410 0 2 1\n\
cpu1 47869 23 16474 1110787 591 0 46 0 3 2\n\
intr 8885917 17 0 0\n\
ctxt 38014093\n\
btime 1418183276\n\
processes 26442\n\
procs_running 2\n\
procs_blocked 1\n\
softirq 5057579 250191 1481983 1647 211099 186066 0 1783454 622196 12499 508444\n";

    #[test]
    fn parses_every_line() {
        let st = parse(SAMPLE);
        let cpu = st.cpu.expect("cpu line");
        assert_eq!(cpu.user, 301854);
        assert_eq!(cpu.guest_nice, 36);
        assert_eq!(cpu.fields, 10);
        assert_eq!(st.cpus.len(), 2);
        assert_eq!(st.cpus[1].0, 1);
        assert_eq!(st.cpus[1].1.system, 16474);
        assert_eq!(st.intr_total, Some(8885917));
        assert_eq!(st.ctxt, Some(38014093));
        assert_eq!(st.btime_secs, Some(1418183276));
        assert_eq!(st.processes, Some(26442));
        assert_eq!(st.procs_running, Some(2));
        assert_eq!(st.procs_blocked, Some(1));
        assert_eq!(st.softirq_by_type.len(), 10);
        assert_eq!(st.softirq_by_type[9], 508444);
        assert_eq!(st.skipped_lines, 0);
    }

    #[test]
    fn total_leaves_guest_out() {
        let st = parse(SAMPLE);
        let cpu = st.cpu.expect("cpu line");
        assert_eq!(
            cpu.total(),
            301854 + 612 + 111922 + 8979004 + 3552 + 2 + 3944
        );
    }

    #[test]
    fn old_kernel_with_four_fields() {
        let st = parse("cpu  10 20 30 40\ncpu0 10 20 30 40\n");
        let cpu = st.cpu.expect("cpu");
        assert_eq!(cpu.fields, 4);
        assert_eq!(cpu.iowait, 0);
        assert_eq!(cpu.total(), 100);
    }

    #[test]
    fn truncated_cpu_line_is_skipped_not_zeroed() {
        let st = parse("cpu  10 20 30 40\ncpu0 10 20 30 40\ncpu1 10 2");
        assert_eq!(st.cpus.len(), 1);
        assert_eq!(st.skipped_lines, 1);
    }
}
