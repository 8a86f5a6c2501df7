//! karte's own families: what no exporter has — the findings, and the few figures the findings
//! rest on that node_exporter does not export.
//!
//! | family | type | labels | what |
//! |---|---|---|---|
//! | `karte_build_info` | gauge | `version` | always 1 |
//! | `karte_diagnosis_timestamp_seconds` | gauge | | when the last diagnosis ran (unix time) |
//! | `karte_finding` | gauge | `rule`, `severity`, `subject` | 1 while a finding holds |
//! | `karte_findings` | gauge | `severity` | how many findings hold, by severity (always all three) |
//! | `karte_interval_seconds` | gauge | | length of the interval the shares below cover |
//! | `karte_cpu_share_ratio` | gauge | `mode` | share of all CPU time over the interval, 0–1 |
//! | `karte_load_tasks` | gauge | `state` | tasks the load average counts: `running`, `uninterruptible` |
//! | `karte_kernel_threads_cpu_ratio` | gauge | | CPU used by all kernel threads, in CPUs |
//! | `karte_kernel_thread_cpu_ratio` | gauge | `comm` | the same for the busiest kernel threads (top 5) |
//! | `karte_neighbour_entries` | gauge | `state` | entries of the IPv4 neighbour (ARP) table |
//! | `karte_neighbour_changes_total` | counter | `kind` | MAC changes seen in the table (arpwatch's kinds) |
//! | `karte_neighbour_conflicts` | gauge | | addresses seen with more than one MAC recently |
//! | `karte_kernel_log_events_total` | counter | `kind` | kernel-log events read, by kind |
//! | `karte_oom_kills_total` | counter | `comm` | OOM kills in the kernel log, by victim command |
//!
//! Cardinality is bounded by construction: no pid labels; subjects that are pids are left out
//! and long ones cut; kernel threads and OOM victims are top-N with the rest folded into one
//! series. Sinks compute nothing new: every figure here was computed by the snapshot, the
//! interval, the rules or the caller, and is only named and formatted here.

use crate::Exposition;
use karte_procfs::pid_stat::TaskState;
use karte_snapshot::{Interval, Snapshot};

/// At most this many `karte_finding` series per rule (a rule that names many subjects).
pub const MAX_FINDINGS_PER_RULE: usize = 20;
/// Subjects longer than this (in characters) are cut.
pub const SUBJECT_MAX_CHARS: usize = 64;
/// `karte_kernel_thread_cpu_ratio` covers at most this many threads…
pub const KERNEL_THREADS_TOP: usize = 5;
/// …each using at least this many CPUs over the interval.
pub const KERNEL_THREAD_MIN_CPUS: f64 = 0.01;
/// `karte_oom_kills_total` names at most this many victim commands; the others are `comm="other"`.
pub const OOM_COMMS_TOP: usize = 20;

/// One finding as the exposition needs it.
#[derive(Debug, Clone, Copy)]
pub struct FindingSample<'a> {
    pub rule: &'a str,
    /// `critical`, `warning` or `info`.
    pub severity: &'a str,
    pub subjects: &'a [String],
}

/// The `subject` label of a finding: its first subject that is not a process id (pids would make
/// a new series for every process), cut to [`SUBJECT_MAX_CHARS`]; empty when there is none.
pub fn subject_label(subjects: &[String]) -> String {
    let is_pid = |s: &str| {
        let t = s.strip_prefix("pid ").unwrap_or(s).trim();
        !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())
    };
    subjects
        .iter()
        .map(|s| s.trim())
        .find(|s| !s.is_empty() && !is_pid(s))
        .map(|s| s.chars().take(SUBJECT_MAX_CHARS).collect())
        .unwrap_or_default()
}

/// `karte_build_info` and `karte_diagnosis_timestamp_seconds`.
pub fn write_meta(version: &str, diagnosis_unix_secs: Option<f64>, e: &mut Exposition) {
    e.gauge(
        "karte_build_info",
        "karte's version; always 1.",
        &[("version", version)],
        1.0,
    );
    if let Some(t) = diagnosis_unix_secs {
        e.gauge(
            "karte_diagnosis_timestamp_seconds",
            "When karte last read the host and ran its rules, in unixtime.",
            &[],
            t,
        );
    }
}

/// `karte_finding` (one series per finding) and `karte_findings` (counts by severity).
pub fn write_findings(findings: &[FindingSample], e: &mut Exposition) {
    let mut counts = [("critical", 0u64), ("warning", 0), ("info", 0)];
    let mut per_rule: Vec<(&str, usize)> = Vec::new();
    for f in findings {
        if let Some(c) = counts.iter_mut().find(|(s, _)| *s == f.severity) {
            c.1 += 1;
        }
        let n = match per_rule.iter_mut().find(|(r, _)| *r == f.rule) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                per_rule.push((f.rule, 1));
                1
            }
        };
        if n > MAX_FINDINGS_PER_RULE {
            continue;
        }
        let subject = subject_label(f.subjects);
        e.gauge(
            "karte_finding",
            "1 while karte's rule has a finding about the subject (see `karte explain RULE`).",
            &[
                ("rule", f.rule),
                ("severity", f.severity),
                ("subject", &subject),
            ],
            1.0,
        );
    }
    for (severity, n) in counts {
        e.gauge(
            "karte_findings",
            "Findings that hold at the last diagnosis, by severity.",
            &[("severity", severity)],
            n as f64,
        );
    }
}

/// `karte_interval_seconds` and `karte_cpu_share_ratio{mode}` over the interval (guest time is
/// inside user and nice, never counted twice; the shares sum to 1).
pub fn write_cpu_shares(iv: &Interval, e: &mut Exposition) {
    e.gauge(
        "karte_interval_seconds",
        "Length of the interval between karte's last two readings, which the shares and rates cover.",
        &[],
        iv.elapsed_secs,
    );
    let Some(c) = iv.cpu else { return };
    for (mode, pct) in karte_procfs::stat::MODES.iter().zip(c.by_mode()) {
        e.gauge(
            "karte_cpu_share_ratio",
            "Share of all CPUs' time spent in each mode over the last interval (0-1; steal is time the hypervisor gave to others).",
            &[("mode", mode)],
            pct / 100.0,
        );
    }
}

/// `karte_load_tasks{state}`: what the load average is made of at the reading — runnable tasks
/// (`/proc/loadavg`) and processes in uninterruptible sleep (D state, from the process table).
pub fn write_load_tasks(s: &Snapshot, e: &mut Exposition) {
    const HELP: &str = "Tasks the load average counts at karte's last reading: running (runnable scheduling entities) and uninterruptible (processes in D state, usually waiting for I/O).";
    if let Some(l) = &s.loadavg {
        e.gauge(
            "karte_load_tasks",
            HELP,
            &[("state", "running")],
            l.runnable as f64,
        );
    }
    if !s.processes.is_empty() {
        let d = s
            .processes
            .iter()
            .filter(|p| p.stat.state == TaskState::DiskSleep)
            .count();
        e.gauge(
            "karte_load_tasks",
            HELP,
            &[("state", "uninterruptible")],
            d as f64,
        );
    }
}

/// `karte_kernel_threads_cpu_ratio` (all kernel threads) and `karte_kernel_thread_cpu_ratio{comm}`
/// (the [`KERNEL_THREADS_TOP`] busiest using at least [`KERNEL_THREAD_MIN_CPUS`]), in CPUs over
/// the interval: 1 is one CPU busy the whole time. Threads with the same name are added up.
pub fn write_kernel_threads(s: &Snapshot, iv: &Interval, e: &mut Exposition) {
    if s.processes.is_empty() {
        return;
    }
    let mut total = 0.0;
    let mut by_comm: Vec<(&str, f64)> = Vec::new();
    for r in &iv.processes {
        let Some(p) = s.process(r.pid) else { continue };
        if !p.is_kernel_thread() {
            continue;
        }
        let cpus = r.cpu_pct / 100.0;
        total += cpus;
        match by_comm.iter_mut().find(|(c, _)| *c == r.comm) {
            Some((_, v)) => *v += cpus,
            None => by_comm.push((&r.comm, cpus)),
        }
    }
    e.gauge(
        "karte_kernel_threads_cpu_ratio",
        "CPU time used by all kernel threads over the last interval, in CPUs (1 = one CPU busy the whole time).",
        &[],
        total,
    );
    by_comm.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    for (comm, cpus) in by_comm
        .into_iter()
        .filter(|(_, v)| *v >= KERNEL_THREAD_MIN_CPUS)
        .take(KERNEL_THREADS_TOP)
    {
        e.gauge(
            "karte_kernel_thread_cpu_ratio",
            "CPU time used by the busiest kernel threads over the last interval, in CPUs (top 5 by name; 1 = one CPU busy the whole time).",
            &[("comm", comm)],
            cpus,
        );
    }
}

/// What the caller observed of the neighbour table.
#[derive(Debug, Clone, Default)]
pub struct NeighbourStats {
    /// Entries at the last reading by state (`complete`, `incomplete`, `permanent`).
    pub entries_by_state: Vec<(&'static str, u64)>,
    /// Changes seen since the observation started, by kind (`changed_address`, `flip_flop`,
    /// `reused_old`; new stations are not changes).
    pub changes_by_kind: Vec<(&'static str, u64)>,
    /// Addresses seen with more than one MAC within the caller's window.
    pub conflicts: u64,
}

/// `karte_neighbour_entries{state}`, `karte_neighbour_changes_total{kind}`,
/// `karte_neighbour_conflicts`.
pub fn write_neighbours(n: &NeighbourStats, e: &mut Exposition) {
    for (state, v) in &n.entries_by_state {
        e.gauge(
            "karte_neighbour_entries",
            "Entries of the IPv4 neighbour (ARP) table at karte's last reading, by state.",
            &[("state", state)],
            *v as f64,
        );
    }
    for (kind, v) in &n.changes_by_kind {
        e.counter(
            "karte_neighbour_changes_total",
            "Addresses of the neighbour table that changed MAC while karte watched, by arpwatch's kind (flip_flop: back to the previous MAC).",
            &[("kind", kind)],
            *v as f64,
        );
    }
    e.gauge(
        "karte_neighbour_conflicts",
        "Addresses of the neighbour table seen with more than one MAC in the last hour (a duplicate address or ARP spoofing when it flips back and forth).",
        &[],
        n.conflicts as f64,
    );
}

/// `karte_kernel_log_events_total{kind}`: kernel-log events read, by kind (a fixed set).
pub fn write_kernel_log_events(by_kind: &[(&str, u64)], e: &mut Exposition) {
    for (kind, v) in by_kind {
        e.counter(
            "karte_kernel_log_events_total",
            "Kernel-log events karte read (OOM kills, hung tasks, link changes, I/O and hardware errors), by kind.",
            &[("kind", kind)],
            *v as f64,
        );
    }
}

/// `karte_oom_kills_total{comm}`: OOM kills by victim command. The [`OOM_COMMS_TOP`] commands
/// with the most kills keep their name; the others are added up as `comm="other"`. An empty
/// command (the log did not say) is `comm=""`.
pub fn write_oom_kills(by_comm: &[(String, u64)], e: &mut Exposition) {
    const HELP: &str = "Processes killed by the kernel's OOM killer according to the kernel log, by victim command.";
    let mut v: Vec<&(String, u64)> = by_comm.iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut other = 0u64;
    for (i, (comm, n)) in v.into_iter().enumerate() {
        if i < OOM_COMMS_TOP && comm != "other" {
            e.counter("karte_oom_kills_total", HELP, &[("comm", comm)], *n as f64);
        } else {
            other += n;
        }
    }
    if other > 0 {
        e.counter(
            "karte_oom_kills_total",
            HELP,
            &[("comm", "other")],
            other as f64,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_without_pids_and_cut() {
        let s = |v: &[&str]| subject_label(&v.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert_eq!(s(&["pid 141", "kipmi0"]), "kipmi0");
        assert_eq!(s(&["141"]), "");
        assert_eq!(s(&[]), "");
        assert_eq!(s(&["198.51.100.10", "eth0"]), "198.51.100.10");
        let long = "x".repeat(200);
        assert_eq!(s(&[&long]).chars().count(), SUBJECT_MAX_CHARS);
        assert_eq!(
            s(&["ü".repeat(100).as_str()]).chars().count(),
            SUBJECT_MAX_CHARS
        );
    }

    #[test]
    fn findings_bounded_and_counted() {
        let subjects: Vec<Vec<String>> = (0..50).map(|i| vec![format!("dev{i}")]).collect();
        let fs: Vec<FindingSample> = subjects
            .iter()
            .map(|s| FindingSample {
                rule: "disk-saturation",
                severity: "warning",
                subjects: s,
            })
            .collect();
        let mut e = Exposition::new();
        write_findings(&fs, &mut e);
        let t = e.render();
        assert_eq!(
            t.lines()
                .filter(|l| l.starts_with("karte_finding{"))
                .count(),
            MAX_FINDINGS_PER_RULE
        );
        assert!(t.contains("karte_findings{severity=\"warning\"} 50\n"));
        assert!(t.contains("karte_findings{severity=\"critical\"} 0\n"));
        assert!(t.contains(
            "karte_finding{rule=\"disk-saturation\",severity=\"warning\",subject=\"dev0\"} 1\n"
        ));
    }

    #[test]
    fn oom_kills_top_n_and_other() {
        let v: Vec<(String, u64)> = (0..30).map(|i| (format!("p{i:02}"), 30 - i)).collect();
        let mut e = Exposition::new();
        write_oom_kills(&v, &mut e);
        let t = e.render();
        let n = t
            .lines()
            .filter(|l| l.starts_with("karte_oom_kills_total{"))
            .count();
        assert_eq!(n, OOM_COMMS_TOP + 1);
        // p20..p29 have 10..1 kills: 55 in all.
        assert!(
            t.contains("karte_oom_kills_total{comm=\"other\"} 55\n"),
            "{t}"
        );
        assert!(t.contains("karte_oom_kills_total{comm=\"p00\"} 30\n"));
    }
}
