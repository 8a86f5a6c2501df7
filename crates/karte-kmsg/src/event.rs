//! The events read from a kernel log, and how they are shown.
//!
//! An [`Event`] serializes to one JSON object whose `"kind"` names it (`oom_kill`, `hung_task`,
//! ...), exactly as DESIGN.md's `events --format json` contract says; every field the log did
//! not give is `null` rather than a guess. Field names carry their unit (`_kb`, `_s`, `_secs`,
//! `_pct`). Memory sizes from the OOM task table, which the kernel prints in pages, are
//! converted with the page size in [`crate::Options::page_size`] and that page size is echoed in
//! [`OomKill::page_size_bytes`] so a reader can tell what was assumed.

use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// When something happened, in every form the log offers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stamp {
    /// The timestamp as written in the log (`Nov 23 03:12:01`, `2026-11-23T03:12:01+0900`, the
    /// text inside `dmesg -T` brackets), or for live `/dev/kmsg` records the boot time plus the
    /// record's uptime (RFC 3339, UTC). `null` when the line had none (`dmesg` without `-T`).
    pub time: Option<String>,
    /// Seconds since boot, where the log has them (`[  123.456789]`, raw records). This is the
    /// kernel's monotonic clock: it does not advance during suspend.
    pub uptime_s: Option<f64>,
    /// Seconds since the Unix epoch, only where the log names an instant: an ISO 8601 stamp with
    /// a zone, a Unix stamp, or a live record (boot time + uptime, approximate across suspends).
    /// Never guessed from a stamp without a year or a zone.
    pub unix_s: Option<f64>,
}

/// What limited the memory that ran out: the kernel's `CONSTRAINT_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Constraint {
    /// The whole machine (global OOM).
    None,
    /// A memory cgroup's limit.
    Memcg,
    /// A cpuset's memory nodes.
    Cpuset,
    /// A NUMA memory policy (mbind/set_mempolicy).
    Mempolicy,
}

impl Constraint {
    pub fn as_str(self) -> &'static str {
        match self {
            Constraint::None => "none",
            Constraint::Memcg => "memcg",
            Constraint::Cpuset => "cpuset",
            Constraint::Mempolicy => "mempolicy",
        }
    }
}

/// The task the OOM killer *chose* (`Kill process N (x) score S or sacrifice child`, or the
/// `task=,pid=` of the `oom-kill:` line). Before 5.1 the kernel could then kill one of its
/// children instead, so this may differ from the killed task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selected {
    pub pid: Option<u32>,
    pub comm: Option<String>,
    /// The badness score printed with the choice (kernel-version dependent scale).
    pub score: Option<i64>,
}

/// Memory state from the report's `Mem-Info:` block (global counters, converted from pages) and
/// its swap lines.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemState {
    pub free_kb: Option<u64>,
    pub active_anon_kb: Option<u64>,
    pub inactive_anon_kb: Option<u64>,
    pub active_file_kb: Option<u64>,
    pub inactive_file_kb: Option<u64>,
    pub unevictable_kb: Option<u64>,
    /// Page cache waiting to be written back (`dirty:`).
    pub dirty_kb: Option<u64>,
    /// Page cache being written back now (`writeback:`).
    pub writeback_kb: Option<u64>,
    pub shmem_kb: Option<u64>,
    pub mapped_kb: Option<u64>,
    pub slab_reclaimable_kb: Option<u64>,
    pub slab_unreclaimable_kb: Option<u64>,
    pub pagetables_kb: Option<u64>,
    /// `N pages in swap cache`.
    pub swap_cache_kb: Option<u64>,
    /// `Total swap = NkB`.
    pub swap_total_kb: Option<u64>,
    /// `Free swap  = NkB`.
    pub swap_free_kb: Option<u64>,
    /// `N pages RAM`.
    pub ram_kb: Option<u64>,
    /// `N total pagecache pages`.
    pub pagecache_kb: Option<u64>,
}

impl MemState {
    pub(crate) fn is_empty(&self) -> bool {
        *self == MemState::default()
    }
}

/// A memory cgroup's figures from a cgroup OOM report (`memory: usage NkB, limit NkB, failcnt
/// N`, the swap lines and the first `Memory cgroup stats for` block).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemcgState {
    pub usage_kb: Option<u64>,
    pub limit_kb: Option<u64>,
    /// How many times usage hit the limit.
    pub failcnt: Option<u64>,
    /// cgroup v2 `swap:` line.
    pub swap_usage_kb: Option<u64>,
    pub swap_limit_kb: Option<u64>,
    /// cgroup v1 `memory+swap:` line.
    pub memsw_usage_kb: Option<u64>,
    pub memsw_limit_kb: Option<u64>,
    pub anon_kb: Option<u64>,
    pub file_kb: Option<u64>,
    pub dirty_kb: Option<u64>,
    pub writeback_kb: Option<u64>,
}

impl MemcgState {
    pub(crate) fn is_empty(&self) -> bool {
        *self == MemcgState::default()
    }
}

/// One row of the OOM report's task table (memory converted from pages).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRow {
    pub pid: u32,
    pub uid: Option<u32>,
    pub tgid: Option<u32>,
    pub total_vm_kb: Option<u64>,
    pub rss_kb: Option<u64>,
    /// 6.8+ tables split rss into anon, file and shmem.
    pub rss_anon_kb: Option<u64>,
    pub rss_file_kb: Option<u64>,
    pub rss_shmem_kb: Option<u64>,
    pub swap_kb: Option<u64>,
    pub oom_score_adj: Option<i32>,
    pub comm: String,
}

/// A process killed by the kernel's OOM killer, assembled from the whole report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OomKill {
    #[serde(flatten)]
    pub at: Stamp,
    /// The killed process (not necessarily the one first selected: see [`OomKill::selected`]).
    pub pid: Option<u32>,
    pub comm: Option<String>,
    pub uid: Option<u32>,
    pub total_vm_kb: Option<u64>,
    pub anon_rss_kb: Option<u64>,
    pub file_rss_kb: Option<u64>,
    pub shmem_rss_kb: Option<u64>,
    pub oom_score_adj: Option<i32>,
    pub constraint: Option<Constraint>,
    /// The memory cgroup of the killed task (`task_memcg=`, or `Task in X killed ...`).
    pub memcg: Option<String>,
    /// The command that invoked the OOM killer (`X invoked oom-killer`): the allocating task, not
    /// necessarily the one using the memory.
    pub trigger: Option<String>,
    /// False when parts of the report are missing (see [`OomKill::missing`]): rate limiting drops
    /// the header of bursts of kills, logs get truncated.
    pub complete: bool,
    /// The message the kill line starts with: `Out of memory`, `Memory cgroup out of memory`,
    /// `Out of memory (oom_kill_allocating_task)`.
    pub reason: Option<String>,
    pub pgtables_kb: Option<u64>,
    /// For a cgroup OOM, the cgroup whose limit was hit (`oom_memcg=`, `limit of Y`).
    pub oom_memcg: Option<String>,
    pub trigger_pid: Option<u32>,
    pub trigger_oom_score_adj: Option<i32>,
    pub gfp_mask: Option<String>,
    pub order: Option<u32>,
    pub cpuset: Option<String>,
    pub selected: Option<Selected>,
    pub mem: Option<MemState>,
    pub memcg_mem: Option<MemcgState>,
    /// The largest tasks of the task table by rss, largest first (at most 5).
    pub largest_tasks: Vec<TaskRow>,
    /// How many rows the task table had.
    pub task_count: Option<u32>,
    pub page_size_bytes: u32,
    /// Parts of the report that were not seen: `header`, `kill_line`, `mem_info`.
    pub missing: Vec<String>,
    /// The kill line (or the panic line) as printed.
    pub message: Option<String>,
}

/// `oom_reaper: reaped process N (x), now anon-rss:...` or `unable to reap pid:N (x)`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OomReaper {
    #[serde(flatten)]
    pub at: Stamp,
    pub pid: Option<u32>,
    pub comm: Option<String>,
    /// False for `unable to reap`.
    pub reaped: bool,
    pub anon_rss_kb: Option<u64>,
    pub file_rss_kb: Option<u64>,
    pub shmem_rss_kb: Option<u64>,
    pub message: String,
}

/// A kill by a userspace OOM daemon (systemd-oomd, earlyoom).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserspaceOomKill {
    #[serde(flatten)]
    pub at: Stamp,
    /// `systemd-oomd` or `earlyoom`.
    pub killer: String,
    pub pid: Option<u32>,
    pub comm: Option<String>,
    pub uid: Option<u32>,
    /// systemd-oomd kills whole cgroups.
    pub cgroup: Option<String>,
    pub signal: Option<String>,
    /// What the daemon cites: `memory pressure for /user.slice being 72.81% > 50.00% for > 20s`.
    pub reason: Option<String>,
    pub pressure_pct: Option<f64>,
    pub pressure_limit_pct: Option<f64>,
    /// earlyoom's last `mem avail: ... (P%)` before the kill.
    pub mem_avail_pct: Option<f64>,
    pub swap_free_pct: Option<f64>,
    pub swap_used_pct: Option<f64>,
    pub rss_kb: Option<u64>,
    pub message: String,
}

/// `INFO: task X:N blocked for more than S seconds.` — once per task and boot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HungTask {
    #[serde(flatten)]
    pub at: Stamp,
    pub pid: Option<u32>,
    pub comm: Option<String>,
    /// As printed: the configured timeout on old kernels, the measured time on newer ones.
    pub blocked_secs: Option<u64>,
    pub message: String,
}

/// `BUG: soft lockup - CPU#N stuck for Ss! [comm:pid]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SoftLockup {
    #[serde(flatten)]
    pub at: Stamp,
    pub cpu: Option<u32>,
    pub stuck_secs: Option<u64>,
    pub pid: Option<u32>,
    pub comm: Option<String>,
    pub message: String,
}

/// `Watchdog detected hard LOCKUP on cpu N`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HardLockup {
    #[serde(flatten)]
    pub at: Stamp,
    pub cpu: Option<u32>,
    pub message: String,
}

/// An RCU CPU stall warning.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RcuStall {
    #[serde(flatten)]
    pub at: Stamp,
    /// `rcu_sched`, `rcu_preempt`, `rcu_bh`, `rcu_tasks`, ...
    pub flavor: Option<String>,
    /// `self-detected stall on CPU` (the stalled CPU noticed itself).
    pub self_detected: bool,
    /// The stalled CPUs, where listed.
    pub cpus: Vec<u32>,
    pub detected_by: Option<u32>,
    pub stall_jiffies: Option<u64>,
    /// `rcu_sched kthread starved for N jiffies`: the grace-period thread got no CPU.
    pub kthread_starved: bool,
    pub message: String,
}

/// A network link going down or up (NIC driver lines, bonding, IPv6 addrconf).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Link {
    #[serde(flatten)]
    pub at: Stamp,
    pub iface: Option<String>,
    /// The driver that printed it (`igb`, `mlx5_core`, `bonding`, `ipv6`), when named.
    pub driver: Option<String>,
    /// The bond the interface belongs to, for bonding lines.
    pub master: Option<String>,
    /// What followed the up/down word: speed, duplex, flow control.
    pub detail: Option<String>,
    pub message: String,
}

/// The kernel's IPv6 duplicate address detection failed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DuplicateAddress {
    #[serde(flatten)]
    pub at: Stamp,
    pub iface: Option<String>,
    pub address: Option<String>,
    /// The MAC of the other holder (`used by xx:xx:..`, 4.x+).
    pub mac: Option<String>,
    pub message: String,
}

/// A block-layer or filesystem I/O error.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IoError {
    #[serde(flatten)]
    pub at: Stamp,
    pub device: Option<String>,
    /// Who reported it: `block`, `buffer`, `ext4`, `xfs`, `btrfs`, `jbd2`, `nvme`, ...
    pub source: String,
    /// The kind of failure as printed: `I/O error`, `critical medium error`, `error`, ...
    pub error: Option<String>,
    pub sector: Option<u64>,
    /// `READ`, `WRITE`, `FLUSH`, ... where printed.
    pub op: Option<String>,
    pub message: String,
}

/// A user process killed by a fault (`segfault at`, `traps: ... general protection fault`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Segfault {
    #[serde(flatten)]
    pub at: Stamp,
    pub pid: Option<u32>,
    pub comm: Option<String>,
    /// `segfault`, `general protection fault`, `trap invalid opcode`, `trap divide error`, ...
    pub fault: String,
    pub address: Option<String>,
    pub ip: Option<String>,
    pub sp: Option<String>,
    pub error_code: Option<u64>,
    /// The mapped object the instruction pointer was in (`libc.so.6`).
    pub object: Option<String>,
    pub cpu: Option<u32>,
    pub message: String,
}

/// A machine check: a hardware error the CPU reported (x86 MCE, AMD decode, firmware GHES,
/// memory-failure handling).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Mce {
    #[serde(flatten)]
    pub at: Stamp,
    /// `mce`, `amd`, `ghes`, `memory_failure`, `summary` (only `Machine check events logged`).
    pub source: String,
    /// `corrected`, `uncorrected`, `deferred`, `fatal`, as far as the log says.
    pub severity: Option<String>,
    pub cpu: Option<u32>,
    pub bank: Option<u32>,
    pub status: Option<String>,
    pub addr: Option<String>,
    pub misc: Option<String>,
    pub socket: Option<u32>,
    /// GHES `section_type` (`memory error`, `PCIe error`, ...).
    pub section: Option<String>,
    /// For memory-failure lines: the process signalled or killed.
    pub pid: Option<u32>,
    pub comm: Option<String>,
    pub message: String,
}

/// An EDAC memory-controller error report (ECC corrected / uncorrected).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Edac {
    #[serde(flatten)]
    pub at: Stamp,
    /// Memory controller number (`EDAC MC0`).
    pub mc: Option<u32>,
    pub count: Option<u64>,
    /// `corrected` (CE) or `uncorrected` (UE).
    pub severity: Option<String>,
    /// Where: the DIMM label or the `channel:1 slot:0 ...` text.
    pub location: Option<String>,
    pub message: String,
}

/// One thing that happened, read from a kernel log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    OomKill(OomKill),
    /// The OOM killer panicked the machine instead of killing (`vm.panic_on_oom`, or nothing
    /// killable); same fields as [`Event::OomKill`] with no victim.
    OomPanic(OomKill),
    OomReaper(OomReaper),
    UserspaceOomKill(UserspaceOomKill),
    HungTask(HungTask),
    SoftLockup(SoftLockup),
    HardLockup(HardLockup),
    RcuStall(RcuStall),
    LinkDown(Link),
    LinkUp(Link),
    DuplicateAddress(DuplicateAddress),
    IoError(IoError),
    Segfault(Segfault),
    Mce(Mce),
    Edac(Edac),
}

impl Event {
    /// The `"kind"` tag.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::OomKill(_) => "oom_kill",
            Event::OomPanic(_) => "oom_panic",
            Event::OomReaper(_) => "oom_reaper",
            Event::UserspaceOomKill(_) => "userspace_oom_kill",
            Event::HungTask(_) => "hung_task",
            Event::SoftLockup(_) => "soft_lockup",
            Event::HardLockup(_) => "hard_lockup",
            Event::RcuStall(_) => "rcu_stall",
            Event::LinkDown(_) => "link_down",
            Event::LinkUp(_) => "link_up",
            Event::DuplicateAddress(_) => "duplicate_address",
            Event::IoError(_) => "io_error",
            Event::Segfault(_) => "segfault",
            Event::Mce(_) => "mce",
            Event::Edac(_) => "edac",
        }
    }

    /// When it happened.
    pub fn stamp(&self) -> &Stamp {
        match self {
            Event::OomKill(e) | Event::OomPanic(e) => &e.at,
            Event::OomReaper(e) => &e.at,
            Event::UserspaceOomKill(e) => &e.at,
            Event::HungTask(e) => &e.at,
            Event::SoftLockup(e) => &e.at,
            Event::HardLockup(e) => &e.at,
            Event::RcuStall(e) => &e.at,
            Event::LinkDown(e) | Event::LinkUp(e) => &e.at,
            Event::DuplicateAddress(e) => &e.at,
            Event::IoError(e) => &e.at,
            Event::Segfault(e) => &e.at,
            Event::Mce(e) => &e.at,
            Event::Edac(e) => &e.at,
        }
    }

    pub(crate) fn stamp_mut(&mut self) -> &mut Stamp {
        match self {
            Event::OomKill(e) | Event::OomPanic(e) => &mut e.at,
            Event::OomReaper(e) => &mut e.at,
            Event::UserspaceOomKill(e) => &mut e.at,
            Event::HungTask(e) => &mut e.at,
            Event::SoftLockup(e) => &mut e.at,
            Event::HardLockup(e) => &mut e.at,
            Event::RcuStall(e) => &mut e.at,
            Event::LinkDown(e) | Event::LinkUp(e) => &mut e.at,
            Event::DuplicateAddress(e) => &mut e.at,
            Event::IoError(e) => &mut e.at,
            Event::Segfault(e) => &mut e.at,
            Event::Mce(e) => &mut e.at,
            Event::Edac(e) => &mut e.at,
        }
    }

    /// One line for people: what happened, without the time.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        match self {
            Event::OomKill(e) => {
                let _ = write!(s, "{} killed", who(e.comm.as_deref(), e.pid));
                if let Some(u) = e.uid {
                    let _ = write!(s, " (uid {u})");
                }
                let _ = write!(s, ": anon-rss {}", size(e.anon_rss_kb));
                let _ = write!(s, ", file-rss {}", size(e.file_rss_kb));
                if let Some(v) = e.shmem_rss_kb {
                    let _ = write!(s, ", shmem-rss {}", kib(v));
                }
                let scope = match (e.constraint, &e.oom_memcg, &e.memcg) {
                    (Some(Constraint::Memcg), Some(m), _) => format!("cgroup limit of {m}"),
                    (Some(c), _, _) => match c {
                        Constraint::None => "global".to_string(),
                        other => other.as_str().to_string(),
                    },
                    (None, _, _) => "constraint unknown".to_string(),
                };
                let _ = write!(s, "; {scope}");
                if let Some(t) = &e.trigger {
                    let _ = write!(s, "; invoked by {t}");
                }
                if !e.complete {
                    let _ = write!(s, " [incomplete report: no {}]", e.missing.join(", no "));
                }
            }
            Event::OomPanic(e) => {
                let _ = write!(s, "out of memory: kernel panic");
                if let Some(t) = &e.trigger {
                    let _ = write!(s, "; invoked by {t}");
                }
            }
            Event::OomReaper(e) => {
                if e.reaped {
                    let _ = write!(
                        s,
                        "reaped {}: now anon-rss {}, file-rss {}",
                        who(e.comm.as_deref(), e.pid),
                        size(e.anon_rss_kb),
                        size(e.file_rss_kb)
                    );
                } else {
                    let _ = write!(s, "unable to reap {}", who(e.comm.as_deref(), e.pid));
                }
            }
            Event::UserspaceOomKill(e) => {
                let target = match (&e.cgroup, e.pid) {
                    (Some(c), _) => c.clone(),
                    (None, _) => who(e.comm.as_deref(), e.pid),
                };
                let _ = write!(s, "{} killed {target}", e.killer);
                if let Some(r) = &e.reason {
                    let _ = write!(s, " due to {r}");
                }
                if let Some(v) = e.rss_kb {
                    let _ = write!(s, " (rss {})", kib(v));
                }
                if let Some(v) = e.mem_avail_pct {
                    let _ = write!(s, "; mem avail {v:.2}%");
                }
            }
            Event::HungTask(e) => {
                let _ = write!(s, "{} blocked", who(e.comm.as_deref(), e.pid));
                if let Some(v) = e.blocked_secs {
                    let _ = write!(s, " for more than {v} s");
                }
            }
            Event::SoftLockup(e) => {
                let _ = write!(s, "CPU {} stuck", opt(e.cpu));
                if let Some(v) = e.stuck_secs {
                    let _ = write!(s, " for {v} s");
                }
                let _ = write!(s, " running {}", who(e.comm.as_deref(), e.pid));
            }
            Event::HardLockup(e) => {
                let _ = write!(s, "hard lockup on CPU {}", opt(e.cpu));
            }
            Event::RcuStall(e) => {
                let _ = write!(
                    s,
                    "{} {}",
                    e.flavor.as_deref().unwrap_or("rcu"),
                    if e.self_detected {
                        "self-detected stall"
                    } else {
                        "stall"
                    }
                );
                if !e.cpus.is_empty() {
                    let cpus: Vec<String> = e.cpus.iter().map(|c| c.to_string()).collect();
                    let _ = write!(s, " on CPU {}", cpus.join(","));
                }
                if e.kthread_starved {
                    let _ = write!(s, "; grace-period kthread starved");
                }
            }
            Event::LinkDown(e) | Event::LinkUp(e) => {
                let _ = write!(
                    s,
                    "{} link {}",
                    e.iface.as_deref().unwrap_or("?"),
                    if matches!(self, Event::LinkUp(_)) {
                        "up"
                    } else {
                        "down"
                    }
                );
                if let Some(m) = &e.master {
                    let _ = write!(s, " (in {m})");
                }
                if let Some(d) = &e.detail {
                    let _ = write!(s, ": {d}");
                }
            }
            Event::DuplicateAddress(e) => {
                let _ = write!(
                    s,
                    "{}: address {} is also used",
                    e.iface.as_deref().unwrap_or("?"),
                    e.address.as_deref().unwrap_or("?")
                );
                if let Some(m) = &e.mac {
                    let _ = write!(s, " by {m}");
                }
            }
            Event::IoError(e) => {
                let _ = write!(
                    s,
                    "{} on {} ({})",
                    e.error.as_deref().unwrap_or("error"),
                    e.device.as_deref().unwrap_or("?"),
                    e.source
                );
                if let Some(v) = e.sector {
                    let _ = write!(s, " sector {v}");
                }
                if let Some(op) = &e.op {
                    let _ = write!(s, " {op}");
                }
            }
            Event::Segfault(e) => {
                let _ = write!(s, "{} {}", who(e.comm.as_deref(), e.pid), e.fault);
                if let Some(a) = &e.address {
                    let _ = write!(s, " at {a}");
                }
                if let Some(o) = &e.object {
                    let _ = write!(s, " in {o}");
                }
            }
            Event::Mce(e) => {
                let _ = write!(
                    s,
                    "{} hardware error",
                    e.severity.as_deref().unwrap_or("machine check")
                );
                if let Some(c) = e.cpu {
                    let _ = write!(s, " on CPU {c}");
                }
                if let Some(b) = e.bank {
                    let _ = write!(s, " bank {b}");
                }
                if let Some(st) = &e.status {
                    let _ = write!(s, " status {st}");
                }
                if let Some(a) = &e.addr {
                    let _ = write!(s, " addr {a}");
                }
                if e.source == "summary" || e.source == "memory_failure" {
                    let _ = write!(s, ": {}", e.message);
                }
            }
            Event::Edac(e) => {
                let _ = write!(
                    s,
                    "{} {} memory error(s)",
                    e.count.unwrap_or(1),
                    e.severity.as_deref().unwrap_or("?")
                );
                if let Some(m) = e.mc {
                    let _ = write!(s, " on MC{m}");
                }
                if let Some(l) = &e.location {
                    let _ = write!(s, " at {l}");
                }
            }
        }
        s
    }

    /// Further lines for people (OOM reports: memory state and the largest tasks).
    pub fn details(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Event::OomKill(e) | Event::OomPanic(e) = self {
            if let Some(m) = &e.mem {
                out.push(format!(
                    "memory: free {}, dirty {}, writeback {}, swap free {} of {}",
                    size(m.free_kb),
                    size(m.dirty_kb),
                    size(m.writeback_kb),
                    size(m.swap_free_kb),
                    size(m.swap_total_kb)
                ));
            }
            if let Some(m) = &e.memcg_mem {
                out.push(format!(
                    "cgroup memory: usage {} of limit {} (failcnt {})",
                    size(m.usage_kb),
                    size(m.limit_kb),
                    opt(m.failcnt)
                ));
            }
            if !e.largest_tasks.is_empty() {
                let tasks: Vec<String> = e
                    .largest_tasks
                    .iter()
                    .map(|t| format!("{}[{}] {}", t.comm, t.pid, size(t.rss_kb)))
                    .collect();
                out.push(format!("largest tasks: {}", tasks.join(", ")));
            }
        }
        out
    }
}

fn who(comm: Option<&str>, pid: Option<u32>) -> String {
    match (comm, pid) {
        (Some(c), Some(p)) => format!("{c}[{p}]"),
        (Some(c), None) => c.to_string(),
        (None, Some(p)) => format!("pid {p}"),
        (None, None) => "?".to_string(),
    }
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "?".to_string(), |v| v.to_string())
}

fn size(kb: Option<u64>) -> String {
    kb.map_or_else(|| "?".to_string(), kib)
}

/// `1.5 GiB`, `12 MiB`, `300 KiB`.
fn kib(kb: u64) -> String {
    const K: f64 = 1024.0;
    let v = kb as f64;
    if v >= K * K {
        format!("{:.1} GiB", v / K / K)
    } else if v >= K {
        format!("{:.1} MiB", v / K)
    } else {
        format!("{kb} KiB")
    }
}
