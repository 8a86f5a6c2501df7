//! Assembling OOM-killer reports into one [`OomKill`] per killed process.
//!
//! A report is many lines (kernel-facts §4.1): the `invoked oom-killer` header, a stack dump,
//! `Mem-Info:` counters or the memory cgroup's usage, the task table, the `oom-kill:` summary
//! (5.0+), the `Kill process ... or sacrifice child` choice (2.6.36–5.0) and the `Killed process`
//! line. This module recognises every line of every era ([`Part`]) and keeps a small state
//! machine over them:
//!
//! * **Forward logs** (dmesg, syslog): a report opens at its first line and is complete at the
//!   kill line. It is then *held* for one more line, because that line can still belong to it:
//!   a mail client's wrap of the long kill line, another kill of a `memory.oom.group` or a
//!   process sharing the victim's memory, or — the tell-tale of `journalctl -r` — the summary,
//!   choice or task-table line that the kernel printed *before* the kill.
//! * **Reversed logs** (`journalctl -r`): detected from that evidence (or from timestamps that
//!   run backwards); a report then opens at the kill line and closes at the header.
//! * **Rate limiting** drops the header, Mem-Info and table of bursts of OOMs (5 s / 10 per
//!   burst) while the kill line is always printed: a kill line alone is a report, marked
//!   `complete: false` with `missing: ["header"]`.
//! * **Truncated logs**: a report that never gets its kill line is closed by a run of unrelated
//!   lines or at the end and reported with the victim it chose, if known, or `pid: null`.
//!
//! Memory is bounded: the task table (thousands of rows) is reduced to its largest rows.

use crate::event::{
    Constraint, MemState, MemcgState, OomKill, OomReaper, Selected, Stamp, TaskRow,
};
use crate::util::{
    after, contains, find, i64_after, leading_i64, leading_u64, rfind, text, to_u32, trim,
    trim_start, u64_after,
};
use std::collections::VecDeque;

/// Unrelated lines after which an open report is given up as truncated.
const GAP_LINES: u32 = 400;
/// Task-table rows kept (by rss) while reading a report; the event shows the first 5.
const KEEP_ROWS: usize = 16;
const SHOW_ROWS: usize = 5;

/// One killed process as printed on a kill line.
#[derive(Debug, Clone, Default)]
struct Kill {
    pid: Option<u32>,
    comm: Option<String>,
    uid: Option<u32>,
    total_vm_kb: Option<u64>,
    anon_rss_kb: Option<u64>,
    file_rss_kb: Option<u64>,
    shmem_rss_kb: Option<u64>,
    pgtables_kb: Option<u64>,
    oom_score_adj: Option<i32>,
    reason: Option<String>,
    message: String,
    /// `Kill process N (x) sharing same memory` (3.x): killed alongside the victim.
    shared: bool,
}

#[derive(Debug, Clone, Default)]
struct ConstraintLine {
    constraint: Option<Constraint>,
    cpuset: Option<String>,
    oom_memcg: Option<String>,
    task_memcg: Option<String>,
    global: bool,
    comm: Option<String>,
    pid: Option<u32>,
    uid: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Uid,
    Tgid,
    TotalVm,
    Rss,
    RssAnon,
    RssFile,
    RssShmem,
    Swapents,
    OomScoreAdj,
    Other,
}

/// What one line is, within an OOM report.
#[derive(Debug)]
enum Part {
    Header {
        trigger: Option<String>,
        gfp: Option<String>,
        order: Option<u32>,
        adj: Option<i32>,
        nodemask_null: Option<bool>,
    },
    CpusetLine(String),
    Constraint(ConstraintLine),
    ConstraintCont(ConstraintLine),
    Selected(Selected, Option<String>),
    Kill(Kill),
    /// A wrapped continuation of a kill line (`anon-rss:...` on the next line).
    KillCont(Kill),
    TaskIn {
        task: Option<String>,
        limit: Option<String>,
    },
    MemcgUsage {
        kind: u8,
        usage: Option<u64>,
        limit: Option<u64>,
        failcnt: Option<u64>,
    },
    MemcgStats(Vec<(Vec<u8>, u64)>),
    MemcgStatLine(Vec<u8>, u64),
    MemInfoStart,
    MemCounters(Vec<(Vec<u8>, u64)>),
    Swap {
        total: bool,
        kb: u64,
    },
    Pages {
        what: u8,
        n: u64,
    },
    TableIntro,
    TableHeader(Vec<Col>),
    TableRow(Vec<Option<i64>>, u32, String),
    Group(Option<String>),
    Exiting,
    Panic,
    StackCpu(Option<u32>, Option<String>),
    Filler,
}

impl Part {
    /// Parts that can only be printed before the kill line of the same report: seeing one right
    /// after a kill line means the log runs newest-first.
    fn is_pre_kill(&self) -> bool {
        matches!(
            self,
            Part::CpusetLine(_)
                | Part::Constraint(_)
                | Part::TaskIn { .. }
                | Part::MemcgUsage { .. }
                | Part::MemcgStats(_)
                | Part::MemInfoStart
                | Part::MemCounters(_)
                | Part::Swap { .. }
                | Part::Pages { .. }
                | Part::TableIntro
                | Part::TableHeader(_)
                | Part::TableRow(..)
        )
    }

    /// Parts that can open a report: the ones that contain a prefilter keyword.
    fn opens_forward(&self) -> bool {
        matches!(
            self,
            Part::Header { .. }
                | Part::Constraint(_)
                | Part::Selected(..)
                | Part::Kill(_)
                | Part::Panic
                | Part::Group(_)
        )
    }

    fn is_memcg_evidence(&self) -> bool {
        matches!(
            self,
            Part::TaskIn { .. } | Part::MemcgUsage { .. } | Part::MemcgStats(_)
        )
    }
}

#[derive(Debug, Default)]
struct Table {
    cols: Option<Vec<Col>>,
    top: Vec<TaskRow>,
    count: u32,
    victim: Option<TaskRow>,
}

/// One report being assembled.
#[derive(Debug, Default)]
struct Report {
    first_at: Option<Stamp>,
    header_at: Option<Stamp>,
    kill_at: Option<Stamp>,
    cons_at: Option<Stamp>,
    header: bool,
    trigger: Option<String>,
    trigger_pid: Option<u32>,
    trigger_adj: Option<i32>,
    gfp: Option<String>,
    order: Option<u32>,
    nodemask_null: Option<bool>,
    cpuset: Option<String>,
    cons: Option<ConstraintLine>,
    selected: Option<Selected>,
    selected_reason: Option<String>,
    selected_at: Option<Stamp>,
    kill: Option<Kill>,
    meminfo: bool,
    mem: MemState,
    memcg: MemcgState,
    memcg_evidence: bool,
    memcg_task: Option<String>,
    memcg_limit: Option<String>,
    /// 0: no `Memory cgroup stats for` yet; 1: after one (v2 `key value` lines apply).
    memcg_stats: u8,
    table: Table,
    group: bool,
    /// The cgroup of a `memory.oom.group` kill: every victim after the first is in it.
    group_memcg: Option<String>,
    exiting: bool,
    panic: Option<String>,
    gap: u32,
    /// Lines applied so far.
    parts: u32,
    /// This report was seen newest line first (a `journalctl -r` paste).
    reversed: bool,
    /// The `oom-kill:` summary was the last part seen (forward): the kill line should be the
    /// very next kernel line; some kernels and filtered pastes have none.
    after_summary: bool,
}

/// The assembler's output: an event ready to stamp and emit.
#[derive(Debug)]
pub(crate) enum Assembled {
    Kill(Box<OomKill>),
    Panic(Box<OomKill>),
}

/// Identity of a kill for removing duplicates (the same log given twice, dmesg plus kern.log).
#[derive(Debug, Clone, PartialEq)]
struct KillKey {
    pid: u32,
    comm: Option<String>,
    uptime_s: Option<f64>,
    time: Option<String>,
}

/// The OOM report state machine.
#[derive(Debug)]
pub(crate) struct Assembler {
    page_size: u32,
    report: Option<Box<Report>>,
    /// The report has its kill line and waits one more line (see the module doc).
    held: bool,
    reverse: bool,
    recent: VecDeque<KillKey>,
}

impl Assembler {
    pub(crate) fn new(page_size: u32) -> Self {
        Assembler {
            page_size: if page_size == 0 { 4096 } else { page_size },
            report: None,
            held: false,
            reverse: false,
            recent: VecDeque::new(),
        }
    }

    /// A report is open: every line must be read (task table, Mem-Info, wraps).
    pub(crate) fn busy(&self) -> bool {
        self.report.is_some()
    }

    pub(crate) fn set_reverse(&mut self) {
        self.reverse = true;
    }

    /// A new boot: forget kills (pids start over) and the direction (a wrong guess must not
    /// outlive one boot's section of the log).
    pub(crate) fn new_boot(&mut self) {
        self.recent.clear();
        self.reverse = false;
    }

    /// Feeds one kernel message. Returns whether the line was part of an OOM report; finished
    /// reports are pushed to `out`.
    pub(crate) fn line(
        &mut self,
        msg: &[u8],
        prefixed: bool,
        stamp: &dyn Fn() -> Stamp,
        out: &mut Vec<Assembled>,
    ) -> bool {
        let stats_state = self.report.as_ref().map_or(0, |r| r.memcg_stats);
        let part = classify(msg, stats_state, self.held && !prefixed);
        let Some(part) = part else {
            if self.report.is_some() {
                if self.held {
                    self.release(out);
                } else if let Some(r) = &mut self.report {
                    r.gap += 1;
                    if r.gap > GAP_LINES || (r.after_summary && !msg.is_empty()) {
                        self.close(out);
                    }
                }
            }
            return false;
        };

        // A held (complete, forward) report: does this line still belong to it?
        if self.held {
            let mut keep_open = false;
            if let Some(r) = self.report.as_mut() {
                let kill_pid = r.kill.as_ref().and_then(|k| k.pid);
                match &part {
                    Part::KillCont(k) => {
                        if let Some(rk) = r.kill.as_mut() {
                            merge_kill(rk, k);
                        }
                        return true;
                    }
                    // memory.oom.group: printed after the first kill, before the others.
                    Part::Group(path) => {
                        r.group = true;
                        r.group_memcg.clone_from(path);
                        return true;
                    }
                    Part::Kill(k) if r.group || k.shared => {
                        // Another victim of the same report: same context, new process.
                        let mut sibling = Report {
                            first_at: r.first_at.clone(),
                            header_at: r.header_at.clone(),
                            header: r.header,
                            trigger: r.trigger.clone(),
                            trigger_pid: r.trigger_pid,
                            trigger_adj: r.trigger_adj,
                            gfp: r.gfp.clone(),
                            order: r.order,
                            nodemask_null: r.nodemask_null,
                            cpuset: r.cpuset.clone(),
                            cons: r.cons.clone(),
                            meminfo: r.meminfo,
                            mem: r.mem.clone(),
                            memcg: r.memcg.clone(),
                            memcg_evidence: r.memcg_evidence,
                            memcg_task: r.group_memcg.clone(),
                            memcg_limit: r.memcg_limit.clone(),
                            memcg_stats: r.memcg_stats,
                            group: r.group,
                            group_memcg: r.group_memcg.clone(),
                            ..Report::default()
                        };
                        if let Some(c) = sibling.cons.as_mut() {
                            // task=,pid= named the first victim only
                            c.comm = None;
                            c.pid = None;
                            c.uid = None;
                            c.task_memcg = None;
                        }
                        sibling.table.cols = r.table.cols.clone();
                        sibling.table.top = r.table.top.clone();
                        sibling.table.count = r.table.count;
                        sibling.kill = Some(k.clone());
                        sibling.kill_at = Some(stamp());
                        self.close(out);
                        self.report = Some(Box::new(sibling));
                        self.held = true;
                        return true;
                    }
                    Part::Constraint(c) if c.pid.is_none() || c.pid == kill_pid => {
                        keep_open = true;
                    }
                    Part::Selected(s, _) => {
                        let earlier = match (stamp().uptime_s, r.kill_at.as_ref()) {
                            (Some(a), Some(k)) => k.uptime_s.is_some_and(|ku| a < ku),
                            _ => false,
                        };
                        if s.pid == kill_pid || earlier {
                            keep_open = true;
                        }
                    }
                    p if p.is_pre_kill() => keep_open = true,
                    _ => {}
                }
            }
            if keep_open {
                // This report runs newest-first; later ones decide for themselves (a forward
                // log with one reordered line must not be read backwards from here on).
                if let Some(r) = self.report.as_mut() {
                    r.reversed = true;
                }
                self.held = false;
            } else {
                self.release(out);
            }
        }

        if self.report.is_none() {
            // Only lines with a prefilter keyword may open a report (in either direction): the
            // others are not even read while no report is open.
            let opens = part.opens_forward();
            if !opens {
                return false;
            }
            self.report = Some(Box::default());
        }

        // Does this line start a new report?
        let starts_new = match self.report.as_ref() {
            Some(r) => {
                let sel_differs =
                    |s: &Selected| r.selected.as_ref().is_some_and(|old| old.pid != s.pid);
                if self.reverse || r.reversed {
                    match &part {
                        Part::Kill(_) => r.kill.is_some(),
                        Part::Constraint(_) => r.cons.is_some(),
                        Part::Selected(s, _) => sel_differs(s),
                        Part::Panic => r.panic.is_some(),
                        _ => false,
                    }
                } else {
                    match &part {
                        // The header is the first line of a report.
                        Part::Header { .. } => r.parts > 0,
                        Part::Constraint(_) => {
                            r.cons.is_some() || r.kill.is_some() || r.selected.is_some()
                        }
                        Part::Selected(s, _) => sel_differs(s) || r.kill.is_some(),
                        Part::Kill(_) => r.kill.is_some(),
                        Part::Panic => r.panic.is_some(),
                        _ => false,
                    }
                }
            }
            None => false,
        };
        if starts_new {
            self.close(out);
            self.report = Some(Box::default());
        }

        let page_size = self.page_size;
        let global_reverse = self.reverse;
        let Some(r) = self.report.as_mut() else {
            return true;
        };
        let rev = global_reverse || r.reversed;
        r.gap = 0;
        r.parts = r.parts.saturating_add(1);
        r.after_summary = matches!(part, Part::Constraint(_) | Part::ConstraintCont(_)) && !rev;
        if r.first_at.is_none() {
            r.first_at = Some(stamp());
        }
        if part.is_memcg_evidence() {
            r.memcg_evidence = true;
        }
        let mut close_now = false;
        match part {
            Part::Header {
                trigger,
                gfp,
                order,
                adj,
                nodemask_null,
            } => {
                r.header = true;
                r.header_at = Some(stamp());
                r.trigger = trigger;
                r.gfp = gfp;
                r.order = order;
                r.trigger_adj = adj;
                r.nodemask_null = nodemask_null;
                if rev {
                    close_now = true;
                }
            }
            Part::CpusetLine(c) => r.cpuset = Some(c),
            Part::Constraint(c) => {
                if c.constraint == Some(Constraint::Memcg) {
                    r.memcg_evidence = true;
                }
                if r.cpuset.is_none() {
                    r.cpuset.clone_from(&c.cpuset);
                }
                r.cons = Some(c);
                r.cons_at = Some(stamp());
            }
            Part::ConstraintCont(c) => {
                let cur = r.cons.get_or_insert_with(ConstraintLine::default);
                merge_constraint(cur, c);
            }
            Part::Selected(s, reason) => {
                if reason
                    .as_deref()
                    .is_some_and(|x| x.starts_with("Memory cgroup"))
                {
                    r.memcg_evidence = true;
                }
                r.selected = Some(s);
                r.selected_reason = reason;
                r.selected_at = Some(stamp());
            }
            Part::Kill(k) => {
                if k.reason
                    .as_deref()
                    .is_some_and(|x| x.starts_with("Memory cgroup"))
                {
                    r.memcg_evidence = true;
                }
                r.kill_at = Some(stamp());
                r.kill = Some(k);
                if !rev {
                    self.held = true;
                }
            }
            Part::KillCont(k) => {
                if let Some(rk) = r.kill.as_mut() {
                    merge_kill(rk, &k);
                }
            }
            Part::TaskIn { task, limit } => {
                if task.is_some() {
                    r.memcg_task = task;
                }
                if limit.is_some() {
                    r.memcg_limit = limit;
                }
            }
            Part::MemcgUsage {
                kind,
                usage,
                limit,
                failcnt,
            } => match kind {
                0 => {
                    r.memcg.usage_kb = usage;
                    r.memcg.limit_kb = limit;
                    r.memcg.failcnt = failcnt;
                }
                1 => {
                    r.memcg.memsw_usage_kb = usage;
                    r.memcg.memsw_limit_kb = limit;
                }
                2 => {
                    r.memcg.swap_usage_kb = usage;
                    r.memcg.swap_limit_kb = limit;
                }
                _ => {}
            },
            Part::MemcgStats(pairs) => {
                // cgroup v1 prints one block per cgroup of the subtree with its own (local)
                // counts: the subtree's total is their sum. v2 prints one hierarchical block.
                r.memcg_stats = 1;
                for (k, v) in pairs {
                    let slot = match k.as_slice() {
                        b"rss" => &mut r.memcg.anon_kb,
                        b"cache" => &mut r.memcg.file_kb,
                        b"dirty" => &mut r.memcg.dirty_kb,
                        b"writeback" => &mut r.memcg.writeback_kb,
                        _ => continue,
                    };
                    *slot = Some(slot.unwrap_or(0).saturating_add(v));
                }
            }
            Part::MemcgStatLine(k, bytes) => {
                if r.memcg_stats == 1 {
                    // v2 names, and v1's (6.x prints v1 stats one a line, in bytes; the
                    // hierarchical `total_*` lines come last and win)
                    let kb = Some(bytes / 1024);
                    match k.as_slice() {
                        b"anon" | b"rss" | b"total_rss" => r.memcg.anon_kb = kb,
                        b"file" | b"cache" | b"total_cache" => r.memcg.file_kb = kb,
                        b"file_dirty" | b"dirty" | b"total_dirty" => r.memcg.dirty_kb = kb,
                        b"file_writeback" | b"writeback" | b"total_writeback" => {
                            r.memcg.writeback_kb = kb;
                        }
                        _ => {}
                    }
                }
            }
            Part::MemInfoStart => r.meminfo = true,
            Part::MemCounters(pairs) => {
                r.meminfo = true;
                for (k, pages) in pairs {
                    let kb = Some(pages.saturating_mul(u64::from(page_size)) / 1024);
                    let m = &mut r.mem;
                    match k.as_slice() {
                        b"free" => m.free_kb = kb,
                        b"active_anon" => m.active_anon_kb = kb,
                        b"inactive_anon" => m.inactive_anon_kb = kb,
                        b"active_file" => m.active_file_kb = kb,
                        b"inactive_file" => m.inactive_file_kb = kb,
                        b"unevictable" => m.unevictable_kb = kb,
                        b"dirty" => m.dirty_kb = kb,
                        b"writeback" => m.writeback_kb = kb,
                        b"shmem" => m.shmem_kb = kb,
                        b"mapped" => m.mapped_kb = kb,
                        b"slab_reclaimable" => m.slab_reclaimable_kb = kb,
                        b"slab_unreclaimable" => m.slab_unreclaimable_kb = kb,
                        b"pagetables" => m.pagetables_kb = kb,
                        _ => {}
                    }
                }
            }
            Part::Swap { total, kb } => {
                if total {
                    r.mem.swap_total_kb = Some(kb);
                } else {
                    r.mem.swap_free_kb = Some(kb);
                }
            }
            Part::Pages { what, n } => {
                let kb = Some(n.saturating_mul(u64::from(page_size)) / 1024);
                match what {
                    0 => r.mem.ram_kb = kb,
                    1 => r.mem.swap_cache_kb = kb,
                    2 => r.mem.pagecache_kb = kb,
                    _ => {}
                }
            }
            Part::TableIntro => {}
            Part::TableHeader(cols) => {
                r.table.cols = Some(cols);
            }
            Part::TableRow(values, pid, comm) => {
                let row = make_row(r.table.cols.as_deref(), &values, pid, comm, page_size);
                add_row(r, row);
            }
            Part::Group(path) => {
                r.group = true;
                r.group_memcg = path;
            }
            Part::Exiting => {
                r.exiting = true;
                if !rev && r.kill.is_none() {
                    close_now = true;
                }
            }
            Part::Panic => {
                r.panic = Some(crate::util::message(msg));
                if r.first_at.is_none() {
                    r.first_at = Some(stamp());
                }
                r.kill_at = Some(stamp());
                if !rev {
                    close_now = true;
                }
            }
            Part::StackCpu(pid, comm) => {
                if r.trigger_pid.is_none()
                    && (r.trigger.is_none() || comm.is_none() || r.trigger == comm)
                {
                    r.trigger_pid = pid;
                }
            }
            Part::Filler => {}
        }
        if close_now {
            self.close(out);
        }
        true
    }

    /// Emits a held (complete) report; called when input goes quiet.
    pub(crate) fn flush_held(&mut self, out: &mut Vec<Assembled>) {
        let summary_last = self.report.as_ref().is_some_and(|r| r.after_summary);
        if self.held || summary_last {
            self.release(out);
        }
    }

    /// Emits whatever is open (end of input, new boot).
    pub(crate) fn finish(&mut self, out: &mut Vec<Assembled>) {
        self.close(out);
    }

    fn release(&mut self, out: &mut Vec<Assembled>) {
        self.held = false;
        self.close(out);
    }

    fn close(&mut self, out: &mut Vec<Assembled>) {
        self.held = false;
        let Some(r) = self.report.take() else {
            return;
        };
        if let Some(ev) = self.build(*r) {
            out.push(ev);
        }
    }

    fn build(&mut self, mut r: Report) -> Option<Assembled> {
        if r.exiting && r.kill.is_none() && r.panic.is_none() {
            return None;
        }
        let has_victim = r.kill.is_some() || r.selected.is_some() || r.cons.is_some();
        if !has_victim && !r.header && r.panic.is_none() {
            return None;
        }
        let page_size = self.page_size;
        let mut e = OomKill {
            page_size_bytes: page_size,
            ..OomKill::default()
        };
        let cons = r.cons.take().unwrap_or_default();
        // The victim: the kill line, else the summary line's task, else the choice.
        if let Some(k) = &r.kill {
            e.pid = k.pid;
            e.comm.clone_from(&k.comm);
            e.uid = k.uid;
            e.total_vm_kb = k.total_vm_kb;
            e.anon_rss_kb = k.anon_rss_kb;
            e.file_rss_kb = k.file_rss_kb;
            e.shmem_rss_kb = k.shmem_rss_kb;
            e.pgtables_kb = k.pgtables_kb;
            e.oom_score_adj = k.oom_score_adj;
            e.reason.clone_from(&k.reason);
            e.message = Some(k.message.clone());
        } else if cons.pid.is_some() {
            e.pid = cons.pid;
            e.comm.clone_from(&cons.comm);
            e.uid = cons.uid;
        } else if let Some(s) = &r.selected {
            e.pid = s.pid;
            e.comm.clone_from(&s.comm);
        }
        if e.reason.is_none() {
            e.reason.clone_from(&r.selected_reason);
        }
        if e.uid.is_none() && e.pid.is_some() && e.pid == cons.pid {
            e.uid = cons.uid;
        }
        // Fill what old kill lines lack from the victim's task-table row.
        let row = r
            .table
            .victim
            .clone()
            .or_else(|| r.table.top.iter().find(|t| Some(t.pid) == e.pid).cloned());
        if let Some(row) = row
            && Some(row.pid) == e.pid
        {
            if e.uid.is_none() {
                e.uid = row.uid;
            }
            if e.total_vm_kb.is_none() {
                e.total_vm_kb = row.total_vm_kb;
            }
            if e.anon_rss_kb.is_none() {
                e.anon_rss_kb = row.rss_anon_kb;
            }
            if e.file_rss_kb.is_none() {
                e.file_rss_kb = row.rss_file_kb;
            }
            if e.shmem_rss_kb.is_none() {
                e.shmem_rss_kb = row.rss_shmem_kb;
            }
            if e.oom_score_adj.is_none() {
                e.oom_score_adj = row.oom_score_adj;
            }
            if e.comm.is_none() {
                e.comm = Some(row.comm.clone());
            }
        }
        // Which limit.
        e.constraint = cons.constraint.or_else(|| {
            if r.memcg_evidence {
                Some(Constraint::Memcg)
            } else {
                let global_reason = e
                    .reason
                    .as_deref()
                    .is_some_and(|x| x.to_ascii_lowercase().starts_with("out of memory"))
                    || r.meminfo
                    || cons.global;
                let root_cpuset = r.cpuset.as_deref().is_none_or(|c| c == "/");
                let no_nodemask = r.nodemask_null.unwrap_or(true);
                (global_reason && root_cpuset && no_nodemask).then_some(Constraint::None)
            }
        });
        e.memcg = cons.task_memcg.clone().or(r.memcg_task.take());
        e.oom_memcg = cons.oom_memcg.clone().or(r.memcg_limit.take());
        e.cpuset = cons.cpuset.clone().or(r.cpuset.take());
        e.trigger = r.trigger.take();
        e.trigger_pid = r.trigger_pid;
        e.trigger_oom_score_adj = r.trigger_adj;
        e.gfp_mask = r.gfp.take();
        e.order = r.order;
        // The choice, when it was printed and is worth showing.
        if let Some(s) = r.selected.take() {
            e.selected = Some(s);
        } else if cons.pid.is_some() {
            e.selected = Some(Selected {
                pid: cons.pid,
                comm: cons.comm.clone(),
                score: None,
            });
        }
        if r.meminfo && !r.mem.is_empty() {
            e.mem = Some(r.mem.clone());
        }
        if !r.memcg.is_empty() {
            e.memcg_mem = Some(r.memcg.clone());
        }
        let mut top = std::mem::take(&mut r.table.top);
        top.truncate(SHOW_ROWS);
        e.largest_tasks = top;
        if r.table.count > 0 {
            e.task_count = Some(r.table.count);
        }
        // What is missing.
        if !r.header {
            e.missing.push("header".to_string());
        }
        if r.kill.is_none() && r.panic.is_none() {
            e.missing.push("kill_line".to_string());
        }
        if r.header
            && !r.meminfo
            && r.memcg.is_empty()
            && e.constraint != Some(Constraint::Memcg)
            && !r.memcg_evidence
        {
            e.missing.push("mem_info".to_string());
        }
        e.complete = e.missing.is_empty();
        e.at = r
            .kill_at
            .take()
            .or(r.cons_at.take())
            .or(r.selected_at.take())
            .or(r.header_at.take())
            .or(r.first_at.take())
            .unwrap_or_default();
        if let Some(p) = r.panic.take() {
            e.message = Some(p);
            e.pid = None;
            e.comm = None;
            e.missing.retain(|m| m != "kill_line");
            e.complete = e.missing.is_empty();
            return Some(Assembled::Panic(Box::new(e)));
        }
        // The same kill seen twice (the same log given twice, dmesg next to kern.log).
        if let Some(pid) = e.pid
            && r.kill.is_some()
        {
            let key = KillKey {
                pid,
                comm: e.comm.clone(),
                uptime_s: e.at.uptime_s,
                time: e.at.time.clone(),
            };
            let dup = self.recent.iter().any(|k| {
                k.pid == key.pid
                    && k.comm == key.comm
                    && match (k.uptime_s, key.uptime_s) {
                        (Some(a), Some(b)) => (a - b).abs() < 2.0,
                        (None, None) => k.time.is_some() && k.time == key.time,
                        _ => false,
                    }
            });
            if dup {
                return None;
            }
            self.recent.push_back(key);
            if self.recent.len() > 256 {
                self.recent.pop_front();
            }
        }
        Some(Assembled::Kill(Box::new(e)))
    }
}

fn merge_kill(into: &mut Kill, from: &Kill) {
    macro_rules! fill {
        ($($f:ident),*) => { $( if into.$f.is_none() { into.$f = from.$f.clone(); } )* };
    }
    fill!(
        uid,
        total_vm_kb,
        anon_rss_kb,
        file_rss_kb,
        shmem_rss_kb,
        pgtables_kb,
        oom_score_adj
    );
    if !from.message.is_empty() {
        into.message.push(' ');
        into.message.push_str(&from.message);
    }
}

fn merge_constraint(into: &mut ConstraintLine, from: ConstraintLine) {
    macro_rules! fill {
        ($($f:ident),*) => { $( if into.$f.is_none() { into.$f = from.$f; } )* };
    }
    fill!(constraint, cpuset, oom_memcg, task_memcg, comm, pid, uid);
    into.global |= from.global;
}

fn add_row(r: &mut Report, row: TaskRow) {
    r.table.count = r.table.count.saturating_add(1);
    let victim_pid = r
        .kill
        .as_ref()
        .and_then(|k| k.pid)
        .or(r.cons.as_ref().and_then(|c| c.pid))
        .or(r.selected.as_ref().and_then(|s| s.pid));
    if victim_pid == Some(row.pid) {
        r.table.victim = Some(row.clone());
    }
    let rss = row.rss_kb.unwrap_or(0);
    let pos = r
        .table
        .top
        .iter()
        .position(|t| t.rss_kb.unwrap_or(0) < rss)
        .unwrap_or(r.table.top.len());
    if pos < KEEP_ROWS {
        r.table.top.insert(pos, row);
        r.table.top.truncate(KEEP_ROWS);
    }
}

fn make_row(
    cols: Option<&[Col]>,
    values: &[Option<i64>],
    pid: u32,
    comm: String,
    page_size: u32,
) -> TaskRow {
    let inferred;
    let cols: &[Col] = match cols {
        Some(c) if c.len() == values.len() => c,
        _ => {
            inferred = infer_cols(values.len());
            &inferred
        }
    };
    let mut row = TaskRow {
        pid,
        uid: None,
        tgid: None,
        total_vm_kb: None,
        rss_kb: None,
        rss_anon_kb: None,
        rss_file_kb: None,
        rss_shmem_kb: None,
        swap_kb: None,
        oom_score_adj: None,
        comm,
    };
    let kb = |v: i64| {
        u64::try_from(v)
            .ok()
            .map(|p| p.saturating_mul(u64::from(page_size)) / 1024)
    };
    for (c, v) in cols.iter().zip(values) {
        let Some(v) = *v else { continue };
        match c {
            Col::Uid => row.uid = u32::try_from(v).ok(),
            Col::Tgid => row.tgid = u32::try_from(v).ok(),
            Col::TotalVm => row.total_vm_kb = kb(v),
            Col::Rss => row.rss_kb = kb(v),
            Col::RssAnon => row.rss_anon_kb = kb(v),
            Col::RssFile => row.rss_file_kb = kb(v),
            Col::RssShmem => row.rss_shmem_kb = kb(v),
            Col::Swapents => row.swap_kb = kb(v),
            Col::OomScoreAdj => row.oom_score_adj = i32::try_from(v).ok(),
            Col::Other => {}
        }
    }
    row
}

/// Column layout from the number of numeric columns, for rows whose header was not seen.
fn infer_cols(n: usize) -> Vec<Col> {
    use Col::*;
    match n {
        // <= 2.6.35: uid tgid total_vm rss cpu oom_adj
        6 => vec![Uid, Tgid, TotalVm, Rss, Other, Other],
        // 2.6.36-3.7 (cpu oom_adj oom_score_adj), 3.8-3.19 (nr_ptes swapents), 4.15-6.7
        // (pgtables_bytes swapents): the 6th is swapents or oom_adj, so left out.
        7 => vec![Uid, Tgid, TotalVm, Rss, Other, Other, OomScoreAdj],
        // 4.0-4.14: nr_ptes nr_pmds swapents
        8 => vec![Uid, Tgid, TotalVm, Rss, Other, Other, Swapents, OomScoreAdj],
        // 6.8+: rss_anon rss_file rss_shmem pgtables_bytes swapents
        10 => vec![
            Uid,
            Tgid,
            TotalVm,
            Rss,
            RssAnon,
            RssFile,
            RssShmem,
            Other,
            Swapents,
            OomScoreAdj,
        ],
        _ => {
            let mut v = vec![Uid, Tgid, TotalVm, Rss];
            v.resize(n, Other);
            v.truncate(n);
            v
        }
    }
}

/// `oom_reaper: reaped process N (x), now anon-rss:..` / `oom_reaper: unable to reap pid:N (x)`.
pub(crate) fn reaper(msg: &[u8]) -> Option<OomReaper> {
    let rest = after(msg, b"oom_reaper: ")?;
    let mut e = OomReaper {
        message: crate::util::message(msg),
        ..OomReaper::default()
    };
    if let Some(r) = rest.strip_prefix(b"reaped process ") {
        let (pid, n) = leading_u64(r)?;
        e.pid = to_u32(pid);
        e.reaped = true;
        e.comm = paren_comm(&r[n..], &[b", now"]);
        e.anon_rss_kb = u64_after(r, b"anon-rss:");
        e.file_rss_kb = u64_after(r, b"file-rss:");
        e.shmem_rss_kb = u64_after(r, b"shmem-rss:");
        return Some(e);
    }
    if let Some(r) = rest.strip_prefix(b"unable to reap pid:") {
        let (pid, n) = leading_u64(r)?;
        e.pid = to_u32(pid);
        e.comm = paren_comm(&r[n..], &[]);
        return Some(e);
    }
    None
}

/// The comm in `(...)` at the start of `s` (after blanks). The comm may contain parentheses,
/// so the closing one is the last `)` before the first of `enders`, else the last `)`.
fn paren_comm(s: &[u8], enders: &[&[u8]]) -> Option<String> {
    let s = trim_start(s);
    let inner = s.strip_prefix(b"(")?;
    let limit = enders
        .iter()
        .filter_map(|e| find(inner, e))
        .min()
        .unwrap_or(inner.len());
    let close = rfind(&inner[..limit], b")")?;
    Some(text(&inner[..close]))
}

fn classify(msg: &[u8], memcg_stats: u8, bare_after_kill: bool) -> Option<Part> {
    let m = trim(msg);
    if m.is_empty() {
        return None;
    }
    // Header: "X invoked oom-killer: gfp_mask=..., order=N, oom_score_adj=N"
    if let Some(pos) = find(m, b" invoked oom-killer") {
        return Some(header(Some(&m[..pos]), &m[pos..]));
    }
    if m.starts_with(b"oom-killer: gfp_mask=") {
        return Some(header(None, m));
    }
    if let Some(rest) = m.strip_prefix(b"oom-kill:") {
        return Some(Part::Constraint(constraint(rest)));
    }
    if m.first() == Some(&b',')
        && (contains(m, b"task_memcg=")
            || contains(m, b"task=")
            || contains(m, b"oom_memcg=")
            || contains(m, b"global_oom")
            || contains(m, b"mems_allowed="))
    {
        return Some(Part::ConstraintCont(constraint(m)));
    }
    if let Some(pos) = find(m, b"Killed process ") {
        return kill_line(m, pos).map(Part::Kill);
    }
    if let Some(pos) = find(m, b"Kill process ").or_else(|| find(m, b"kill process ")) {
        return selected_line(m, pos);
    }
    if contains(m, b"panic_on_oom") || contains(m, b"no killable processes") {
        return Some(Part::Panic);
    }
    if contains(m, b"is already exiting. Skip killing") {
        return Some(Part::Exiting);
    }
    if contains(m, b"memory.oom.group") {
        // "Tasks in /x are going to be killed due to memory.oom.group set"
        let path = after(m, b"Tasks in ")
            .and_then(|r| find(r, b" are going to be killed").map(|e| text(&r[..e])));
        return Some(Part::Group(path));
    }
    if bare_after_kill
        && !contains(m, b"oom_reaper")
        && !contains(m, b"process")
        && (contains(m, b"anon-rss:")
            || contains(m, b"file-rss:")
            || contains(m, b"shmem-rss:")
            || contains(m, b"pgtables:")
            || contains(m, b"oom_score_adj:")
            || contains(m, b"total-vm:"))
    {
        let mut k = Kill::default();
        kill_fields(m, &mut k);
        k.message = String::from_utf8_lossy(m).into_owned();
        return Some(Part::KillCont(k));
    }
    if let Some(rest) = m.strip_prefix(b"Task in ") {
        let (task, limit) = match find(rest, b" killed as a result of limit of ") {
            Some(i) => (Some(text(&rest[..i])), Some(text(trim(&rest[i + 31..])))),
            None => (Some(text(trim(rest))), None),
        };
        return Some(Part::TaskIn { task, limit });
    }
    if let Some(rest) = m.strip_prefix(b"killed as a result of limit of ") {
        return Some(Part::TaskIn {
            task: None,
            limit: Some(text(trim(rest))),
        });
    }
    if let Some(rest) = m.strip_prefix(b"Memory limit reached of cgroup ") {
        return Some(Part::TaskIn {
            task: None,
            limit: Some(text(trim(rest))),
        });
    }
    for (kind, p) in [
        (0u8, &b"memory: usage "[..]),
        (1, b"memory+swap: usage "),
        (2, b"swap: usage "),
        (3, b"kmem: usage "),
    ] {
        if m.starts_with(p) {
            return Some(Part::MemcgUsage {
                kind,
                usage: u64_after(m, b"usage "),
                limit: u64_after(m, b"limit "),
                failcnt: u64_after(m, b"failcnt "),
            });
        }
    }
    if let Some(rest) = m.strip_prefix(b"Memory cgroup stats for ") {
        // "/path: cache:44KB rss:524244KB ..." (v1) or "/path:" alone (v2)
        let pairs = match find(rest, b": ") {
            Some(c) => kv_pairs(&rest[c + 2..], true),
            None => Vec::new(),
        };
        return Some(Part::MemcgStats(pairs));
    }
    if m.eq_ignore_ascii_case(b"Mem-Info:") {
        return Some(Part::MemInfoStart);
    }
    if let Some(first) = m.split(|b| *b == b':').next()
        && MEM_COUNTERS.contains(&first)
        && memchr::memchr(b' ', first).is_none()
    {
        let pairs = kv_pairs(m, false);
        if !pairs.is_empty() {
            return Some(Part::MemCounters(pairs));
        }
    }
    if let Some(rest) = m.strip_prefix(b"Free swap") {
        return u64_after(rest, b"= ").map(|kb| Part::Swap { total: false, kb });
    }
    if let Some(rest) = m.strip_prefix(b"Total swap") {
        return u64_after(rest, b"= ").map(|kb| Part::Swap { total: true, kb });
    }
    if let Some((n, len)) = leading_u64(m) {
        let rest = &m[len..];
        let what = if rest == b" pages RAM" || rest == b" pages of RAM" {
            Some(0)
        } else if rest == b" pages in swap cache" {
            Some(1)
        } else if rest == b" total pagecache pages" {
            Some(2)
        } else if rest.starts_with(b" pages ") {
            Some(9)
        } else {
            None
        };
        if let Some(what) = what {
            return Some(Part::Pages { what, n });
        }
    }
    if m.starts_with(b"Tasks state (memory values in pages)") {
        return Some(Part::TableIntro);
    }
    if m.first() == Some(&b'[') {
        return table_line(m);
    }
    if m.starts_with(b"CPU: ") && contains(m, b" PID: ") {
        let pid = u64_after(m, b" PID: ").and_then(to_u32);
        let comm = after(m, b" Comm: ").map(|c| {
            let end = [&b" Not tainted"[..], b" Tainted:", b" Kdump:"]
                .iter()
                .filter_map(|e| find(c, e))
                .min()
                .unwrap_or(c.len());
            text(trim(&c[..end]))
        });
        return Some(Part::StackCpu(pid, comm));
    }
    if let Some(rest) = m.strip_prefix(b"Pid: ") {
        let pid = leading_u64(rest).and_then(|(v, _)| to_u32(v));
        let comm = after(rest, b"comm: ").map(|c| {
            let end = find(c, b" Not tainted")
                .or_else(|| find(c, b" Tainted:"))
                .unwrap_or(c.len());
            text(trim(&c[..end]))
        });
        return Some(Part::StackCpu(pid, comm));
    }
    if contains(m, b" cpuset=") && contains(m, b" mems_allowed=") {
        let c = after(m, b" cpuset=").map(|v| text(crate::util::token(v, b",")));
        return c.map(Part::CpusetLine);
    }
    if memcg_stats == 1 && is_stat_line(m) {
        let sp = memchr::memchr(b' ', m)?;
        let v = crate::util::parse_u64(&m[sp + 1..])?;
        return Some(Part::MemcgStatLine(m[..sp].to_vec(), v));
    }
    if is_filler(m) {
        return Some(Part::Filler);
    }
    None
}

const MEM_COUNTERS: &[&[u8]] = &[
    b"Active",
    b"active_anon",
    b"inactive_anon",
    b"isolated_anon",
    b"active_file",
    b"inactive_file",
    b"isolated_file",
    b"unevictable",
    b"dirty",
    b"writeback",
    b"unstable",
    b"slab_reclaimable",
    b"slab_unreclaimable",
    b"mapped",
    b"shmem",
    b"pagetables",
    b"sec_pagetables",
    b"bounce",
    b"free",
    b"free_pcp",
    b"free_cma",
    b"kernel_misc_reclaimable",
];

/// `key:value` tokens (values in pages, or with a `KB`/`kB` suffix when `kb_suffix`).
fn kv_pairs(s: &[u8], kb_suffix: bool) -> Vec<(Vec<u8>, u64)> {
    let mut out = Vec::new();
    for tok in s.split(|b| *b == b' ' || *b == b'\t') {
        if out.len() >= 64 {
            break;
        }
        let Some(c) = memchr::memchr(b':', tok) else {
            continue;
        };
        let (k, v) = (&tok[..c], &tok[c + 1..]);
        if k.is_empty() || !k.iter().all(|b| b.is_ascii_lowercase() || *b == b'_') {
            continue;
        }
        let v = if kb_suffix {
            v.strip_suffix(b"KB")
                .or_else(|| v.strip_suffix(b"kB"))
                .unwrap_or(v)
        } else {
            v
        };
        // rsyslog escapes the embedded line feeds of Mem-Info as "#012"
        match leading_u64(v) {
            Some((n, len)) if len == v.len() || v[len] == b'#' => out.push((k.to_vec(), n)),
            _ => {}
        }
    }
    out
}

/// cgroup v2 memory.stat lines in a memcg report: `file_dirty 0`.
fn is_stat_line(m: &[u8]) -> bool {
    let Some(sp) = memchr::memchr(b' ', m) else {
        return false;
    };
    sp > 0
        && m[..sp].iter().all(|b| b.is_ascii_lowercase() || *b == b'_')
        && sp + 1 < m.len()
        && m[sp + 1..].iter().all(u8::is_ascii_digit)
}

/// Lines that belong to a report but carry nothing we keep (stack dumps, zone and buddy lines).
fn is_filler(m: &[u8]) -> bool {
    const PREFIXES: &[&[u8]] = &[
        b"Call Trace",
        b"<TASK>",
        b"</TASK>",
        b"<IRQ>",
        b"</IRQ>",
        b"Hardware name:",
        b"Node ",
        b"lowmem_reserve",
        b"DMA",
        b"Normal",
        b"HighMem",
        b"Movable",
        b"CPU ",
        b"COMPACTION",
        b"Swap cache stats",
        b"Unreclaimable slab info",
        b"Name ",
        b"Shrinkers",
        b"RIP:",
        b"RSP:",
        b"RAX:",
        b"RDX:",
        b"RBP:",
        b"R10:",
        b"R13:",
        b"Code:",
        b"? ",
        b"oom killer ",
        b"Mem-info",
        b"active_anon",
        b"Tasks in ",
        b"warn_alloc",
        b"Kernel panic",
        b"---[ end",
        b"pgtables",
    ];
    PREFIXES.iter().any(|p| m.starts_with(p))
        || (contains(m, b"+0x") && contains(m, b"/0x"))
        || contains(m, b"kB (")
        || contains(m, b"*4kB")
}

fn header(trigger: Option<&[u8]>, rest: &[u8]) -> Part {
    let gfp = after(rest, b"gfp_mask=").map(|v| text(crate::util::token(v, b",")));
    let order = u64_after(rest, b"order=").and_then(to_u32);
    let adj = i64_after(rest, b"oom_score_adj=").and_then(|v| i32::try_from(v).ok());
    let nodemask_null = after(rest, b"nodemask=").map(|v| v.starts_with(b"(null)"));
    Part::Header {
        trigger: trigger.map(|t| text(trim(t))),
        gfp,
        order,
        adj,
        nodemask_null,
    }
}

fn constraint(s: &[u8]) -> ConstraintLine {
    let mut c = ConstraintLine::default();
    for item in s.split(|b| *b == b',') {
        let item = trim(item);
        if item == b"global_oom" {
            c.global = true;
            continue;
        }
        let Some(eq) = memchr::memchr(b'=', item) else {
            continue;
        };
        let (k, v) = (&item[..eq], &item[eq + 1..]);
        match k {
            b"constraint" => {
                c.constraint = match v {
                    b"CONSTRAINT_NONE" => Some(Constraint::None),
                    b"CONSTRAINT_MEMCG" => Some(Constraint::Memcg),
                    b"CONSTRAINT_CPUSET" => Some(Constraint::Cpuset),
                    b"CONSTRAINT_MEMORY_POLICY" => Some(Constraint::Mempolicy),
                    _ => None,
                }
            }
            b"cpuset" => c.cpuset = Some(text(v)),
            b"oom_memcg" => c.oom_memcg = Some(text(v)),
            b"task_memcg" => c.task_memcg = Some(text(v)),
            b"task" => c.comm = Some(text(v)),
            b"pid" => c.pid = crate::util::parse_u64(v).and_then(to_u32),
            b"uid" => c.uid = crate::util::parse_u64(v).and_then(to_u32),
            _ => {}
        }
    }
    c
}

/// `[reason: ]Killed process N (comm) total-vm:..kB, anon-rss:..kB, ...` and RHEL's
/// `Killed process N, UID U, (comm) total-vm:...`.
fn kill_line(m: &[u8], pos: usize) -> Option<Kill> {
    let mut k = Kill {
        message: crate::util::message(m),
        ..Kill::default()
    };
    let reason = trim(&m[..pos]);
    let reason = reason.strip_suffix(b":").unwrap_or(reason);
    if !reason.is_empty() {
        k.reason = Some(text(trim(reason)));
    }
    let rest = &m[pos + b"Killed process ".len()..];
    let (pid, n) = leading_u64(rest)?;
    k.pid = to_u32(pid);
    let mut tail = &rest[n..];
    if let Some(t) = tail.strip_prefix(b", UID ") {
        if let Some((uid, un)) = leading_u64(t) {
            k.uid = to_u32(uid);
            tail = &t[un..];
        }
        tail = tail.strip_prefix(b",").unwrap_or(tail);
    }
    k.comm = paren_comm(
        tail,
        &[b" total-vm:", b" sharing same memory", b", UID", b" UID:"],
    );
    kill_fields(tail, &mut k);
    Some(k)
}

fn kill_fields(s: &[u8], k: &mut Kill) {
    k.total_vm_kb = k.total_vm_kb.or(u64_after(s, b"total-vm:"));
    k.anon_rss_kb = k.anon_rss_kb.or(u64_after(s, b"anon-rss:"));
    k.file_rss_kb = k.file_rss_kb.or(u64_after(s, b"file-rss:"));
    k.shmem_rss_kb = k.shmem_rss_kb.or(u64_after(s, b"shmem-rss:"));
    k.pgtables_kb = k.pgtables_kb.or(u64_after(s, b"pgtables:"));
    if k.uid.is_none() {
        // "UID:1000" (5.x), ", UID 1000," (RHEL 7 after the comm)
        k.uid = u64_after(s, b"UID:")
            .or_else(|| u64_after(s, b", UID "))
            .and_then(to_u32);
    }
    if k.oom_score_adj.is_none() {
        k.oom_score_adj = i64_after(s, b"oom_score_adj:").and_then(|v| i32::try_from(v).ok());
    }
}

/// `[reason: ]Kill process N (comm) score S or sacrifice child`, `kill process N (x) score S or
/// a child`, and 3.x `Kill process N (x) sharing same memory`.
fn selected_line(m: &[u8], pos: usize) -> Option<Part> {
    let reason = trim(&m[..pos]);
    let reason = reason.strip_suffix(b":").unwrap_or(reason);
    let reason = (!reason.is_empty()).then(|| text(trim(reason)));
    let rest = &m[pos + b"Kill process ".len()..];
    let (pid, n) = leading_u64(rest)?;
    let tail = &rest[n..];
    let comm = paren_comm(tail, &[b" score ", b" sharing same memory"]);
    if contains(tail, b"sharing same memory") {
        return Some(Part::Kill(Kill {
            pid: to_u32(pid),
            comm,
            reason,
            message: crate::util::message(m),
            shared: true,
            ..Kill::default()
        }));
    }
    let score = after(tail, b" score ").and_then(|s| leading_i64(s).map(|(v, _)| v));
    Some(Part::Selected(
        Selected {
            pid: to_u32(pid),
            comm,
            score,
        },
        reason,
    ))
}

/// Task-table header (`[ pid ]   uid  tgid ...`) or row (`[ 1234]  1000  1234 ...  name`).
fn table_line(m: &[u8]) -> Option<Part> {
    let close = memchr::memchr(b']', &m[..m.len().min(24)])?;
    let inner = trim(&m[1..close]);
    let rest = &m[close + 1..];
    if inner == b"pid" {
        let cols = rest
            .split(|b| *b == b' ' || *b == b'\t')
            .filter(|t| !t.is_empty())
            .filter(|t| *t != b"name")
            .map(|t| match t {
                b"uid" => Col::Uid,
                b"tgid" => Col::Tgid,
                b"total_vm" => Col::TotalVm,
                b"rss" => Col::Rss,
                b"rss_anon" => Col::RssAnon,
                b"rss_file" => Col::RssFile,
                b"rss_shmem" => Col::RssShmem,
                b"swapents" => Col::Swapents,
                b"oom_score_adj" => Col::OomScoreAdj,
                _ => Col::Other,
            })
            .collect();
        return Some(Part::TableHeader(cols));
    }
    let pid = to_u32(crate::util::parse_u64(inner)?)?;
    // numeric columns, then the name (which may contain spaces)
    let mut values = Vec::new();
    let mut s = rest;
    loop {
        let t = trim_start(s);
        if values.len() >= 12 {
            s = t;
            break;
        }
        match leading_i64(t) {
            Some((v, n)) if t.get(n).is_none_or(|b| *b == b' ' || *b == b'\t') => {
                values.push(Some(v));
                s = &t[n..];
            }
            _ => {
                s = t;
                break;
            }
        }
    }
    if values.len() < 4 {
        return None;
    }
    Some(Part::TableRow(values, pid, text(trim(s))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kill_lines() {
        let m = b"Out of memory: Killed process 1234 (my (odd) proc) total-vm:100kB, anon-rss:50kB, file-rss:2kB, shmem-rss:0kB, UID:1000 pgtables:8kB oom_score_adj:-5";
        let k = kill_line(m, 15).expect("kill");
        assert_eq!(k.pid, Some(1234));
        assert_eq!(k.comm.as_deref(), Some("my (odd) proc"));
        assert_eq!(k.uid, Some(1000));
        assert_eq!(k.oom_score_adj, Some(-5));
        assert_eq!(k.reason.as_deref(), Some("Out of memory"));
        let m = b"Killed process 4321, UID 48, (httpd) total-vm:10kB, anon-rss:5kB, file-rss:1kB";
        let k = kill_line(m, 0).expect("kill");
        assert_eq!(
            (k.pid, k.uid, k.comm.as_deref()),
            (Some(4321), Some(48), Some("httpd"))
        );
        let m = b"Out of memory: Killed process 4321, UID 0, (httpd).";
        let k = kill_line(m, 15).expect("kill");
        assert_eq!(k.comm.as_deref(), Some("httpd"));
    }

    #[test]
    fn reaper_lines() {
        let r = reaper(b"oom_reaper: reaped process 8123 (java), now anon-rss:0kB, file-rss:32kB, shmem-rss:0kB").expect("r");
        assert_eq!(
            (r.pid, r.comm.as_deref(), r.file_rss_kb),
            (Some(8123), Some("java"), Some(32))
        );
        let r = reaper(b"oom_reaper: unable to reap pid:77 (a b)").expect("r");
        assert!(!r.reaped);
        assert_eq!(r.comm.as_deref(), Some("a b"));
    }

    #[test]
    fn rows() {
        let p = table_line(b"[   1234]  1000  1234  2000000   500000   400000   100000        0  4096000        0             0 Web Content");
        match p {
            Some(Part::TableRow(v, pid, comm)) => {
                assert_eq!(pid, 1234);
                assert_eq!(v.len(), 10);
                assert_eq!(comm, "Web Content");
            }
            other => panic!("{other:?}"),
        }
    }
}
