//! What one tick publishes: karte's metric families and the JSON documents, rendered once per
//! tick so that a request costs a reference count, not a computation.
//!
//! Two things are watched across ticks here because only a long-running process sees them:
//! the neighbour table (arpwatch's judgement, `neighbour-flap` findings, conflict counts) and
//! the kernel-log counters (OOM kills by victim, events by kind).

use crate::diagnoser::TickOutput;
use crate::history::HistoryPoint;
use bytes::Bytes;
use karte_expo::Exposition;
use karte_expo::karte as kx;
use karte_kmsg::Event;
use karte_net::NeighbourChange;
use karte_net::neigh::{Tracker, from_arp};
use karte_rules::report::Skipped;
use karte_rules::{Finding, Lang, Severity};
use karte_snapshot::Snapshot;
use karte_snapshot::summary::HealthSummary;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, OnceLock};

/// Rows of the dashboard's process table.
pub const PROCESS_ROWS: usize = 15;
/// MAC changes count as a conflict for this long.
pub const CONFLICT_WINDOW_SECS: f64 = 3600.0;
/// Changes remembered for the window (the oldest are dropped first).
const MAX_RECENT_CHANGES: usize = 1000;
/// Distinct OOM victim commands remembered; more are counted as `other`.
const MAX_OOM_COMMS: usize = 1000;

/// Everything the server answers from, for one tick.
pub struct Published {
    /// Unix time of the reading.
    pub time: Option<f64>,
    pub snapshot: Arc<Snapshot>,
    snapshot_json: OnceLock<Bytes>,
    findings_json: [Bytes; 2],
    pub summary_json: Bytes,
    /// karte's own families, rendered (they sort before node_*: prepend to a scrape).
    pub karte_metrics: Bytes,
    pub worst: Option<Severity>,
    pub problems: usize,
    pub history_point: Option<HistoryPoint>,
}

impl Published {
    /// The full snapshot as JSON; serialized the first time it is asked for.
    pub fn snapshot_json(&self) -> Bytes {
        self.snapshot_json
            .get_or_init(|| {
                serde_json::to_vec(&*self.snapshot)
                    .map(Bytes::from)
                    .unwrap_or_else(|_| Bytes::from_static(b"{}"))
            })
            .clone()
    }

    pub fn findings_json(&self, lang: Lang) -> Bytes {
        match lang {
            Lang::En => self.findings_json[0].clone(),
            Lang::Ja => self.findings_json[1].clone(),
        }
    }
}

#[derive(Serialize)]
struct RuleRef {
    id: &'static str,
    title: &'static str,
}

#[derive(Serialize)]
struct FindingsDoc<'a> {
    lang: Lang,
    time: Option<f64>,
    worst: Option<Severity>,
    problems: usize,
    findings: &'a [Finding],
    skipped: &'a [Skipped],
    rules_run: usize,
    rules: Vec<RuleRef>,
}

#[derive(Serialize)]
struct HostDoc<'a> {
    hostname: Option<&'a str>,
    kernel: Option<&'a str>,
    cpus: Option<usize>,
    uptime_secs: Option<f64>,
}

#[derive(Serialize)]
struct ProcRow {
    pid: u32,
    name: String,
    state: char,
    nice: i64,
    cpu_pct: Option<f64>,
    rss_kb: u64,
    uid: Option<u32>,
    kernel_thread: bool,
}

#[derive(Serialize)]
struct SummaryDoc<'a> {
    time: Option<f64>,
    version: &'a str,
    host: HostDoc<'a>,
    interval_secs: Option<f64>,
    tick_secs: f64,
    summary: HealthSummary,
    processes: Vec<ProcRow>,
    worst: Option<Severity>,
    problems: usize,
    notes: Vec<String>,
}

/// Turns ticks into [`Published`] documents; keeps the state that spans ticks.
pub struct Publisher {
    version: &'static str,
    tick_secs: f64,
    neighbours: NeighbourWatch,
    log: KernelLog,
    /// Notes that hold for the whole run (e.g. why the kernel log is not followed).
    pub notes: Vec<String>,
}

impl Publisher {
    /// `kernel_log`: whether events are fed (else the kernel-log families are left out rather
    /// than reported as zero).
    pub fn new(version: &'static str, tick_secs: f64, kernel_log: bool) -> Publisher {
        Publisher {
            version,
            tick_secs,
            neighbours: NeighbourWatch::default(),
            log: KernelLog {
                followed: kernel_log,
                ..KernelLog::default()
            },
            notes: Vec::new(),
        }
    }

    pub fn publish(&mut self, mut t: TickOutput) -> Published {
        let s = &*t.snapshot;
        let time = s.host.unix_secs;
        self.log.add(&t.events);
        let neigh = self.neighbours.observe(s, time.unwrap_or(0.0));
        // neighbour-flap is judged here: only a process that keeps watching sees changes.
        for (lang, list) in [
            (Lang::En, &mut t.findings.en),
            (Lang::Ja, &mut t.findings.ja),
        ] {
            list.extend(karte_rules::rules::neighbour_flap::evaluate(&neigh.1, lang));
            list.sort_by_key(|f| std::cmp::Reverse(f.severity));
        }
        let findings = &t.findings;
        let worst = findings.en.iter().map(|f| f.severity).max();
        let problems = findings
            .en
            .iter()
            .filter(|f| f.severity >= Severity::Warning)
            .count();

        let mut e = Exposition::new();
        kx::write_meta(self.version, time, &mut e);
        let samples: Vec<kx::FindingSample> = findings
            .en
            .iter()
            .map(|f| kx::FindingSample {
                rule: f.rule,
                severity: severity_str(f.severity),
                subjects: &f.subjects,
            })
            .collect();
        kx::write_findings(&samples, &mut e);
        if let Some(iv) = &t.interval {
            kx::write_cpu_shares(iv, &mut e);
            kx::write_kernel_threads(s, iv, &mut e);
        }
        kx::write_load_tasks(s, &mut e);
        kx::write_neighbours(&neigh.0, &mut e);
        if self.log.followed {
            let kinds: Vec<(&str, u64)> = self.log.by_kind.iter().map(|(k, v)| (*k, *v)).collect();
            kx::write_kernel_log_events(&kinds, &mut e);
            let comms: Vec<(String, u64)> = self
                .log
                .oom_by_comm
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect();
            kx::write_oom_kills(&comms, &mut e);
        }
        let karte_metrics = Bytes::from(e.render());

        let findings_json = [Lang::En, Lang::Ja].map(|lang| {
            let doc = FindingsDoc {
                lang,
                time,
                worst,
                problems,
                findings: findings.get(lang),
                skipped: &t.skipped,
                rules_run: t.rules_run,
                rules: karte_rules::rules::ALL
                    .iter()
                    .map(|r| RuleRef {
                        id: r.id,
                        title: r.title(lang),
                    })
                    .collect(),
            };
            json(&doc)
        });

        let summary = HealthSummary::new(s, t.interval.as_ref());
        let mut notes = self.notes.clone();
        notes.extend(s.notes.iter().cloned());
        let doc = SummaryDoc {
            time,
            version: self.version,
            host: HostDoc {
                hostname: s.host.hostname.as_deref(),
                kernel: s.host.kernel.as_deref(),
                cpus: s.online_cpus(),
                uptime_secs: s.uptime.map(|u| u.up_secs),
            },
            interval_secs: t.interval.as_ref().map(|i| i.elapsed_secs),
            tick_secs: self.tick_secs,
            summary,
            processes: process_rows(s, t.interval.as_ref()),
            worst,
            problems,
            notes,
        };
        let summary_json = json(&doc);
        let history_point =
            HistoryPoint::from_tick(s, t.interval.as_ref(), u32::try_from(problems).unwrap_or(0));
        Published {
            time,
            snapshot: t.snapshot.clone(),
            snapshot_json: OnceLock::new(),
            findings_json,
            summary_json,
            karte_metrics,
            worst,
            problems,
            history_point,
        }
    }
}

fn json<T: Serialize>(v: &T) -> Bytes {
    serde_json::to_vec(v)
        .map(Bytes::from)
        .unwrap_or_else(|_| Bytes::from_static(b"{}"))
}

pub fn severity_str(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

fn process_rows(s: &Snapshot, iv: Option<&karte_snapshot::Interval>) -> Vec<ProcRow> {
    let page = s.host.page_size_bytes;
    let row = |p: &karte_snapshot::Process, cpu: Option<f64>| {
        let mut name = p.display_name();
        if name.chars().count() > 200 {
            name = name.chars().take(200).collect::<String>() + "…";
        }
        ProcRow {
            pid: p.pid(),
            name,
            state: p.stat.state.letter(),
            nice: p.stat.nice,
            cpu_pct: cpu,
            rss_kb: p.rss_kb(page),
            uid: p.uid(),
            kernel_thread: p.is_kernel_thread(),
        }
    };
    match iv {
        Some(iv) if !iv.processes.is_empty() => iv
            .processes
            .iter()
            .filter_map(|r| s.process(r.pid).map(|p| row(p, Some(r.cpu_pct))))
            .take(PROCESS_ROWS)
            .collect(),
        _ => {
            let mut v: Vec<&karte_snapshot::Process> = s.processes.iter().collect();
            v.sort_by_key(|p| std::cmp::Reverse(p.rss_kb(page)));
            v.into_iter()
                .take(PROCESS_ROWS)
                .map(|p| row(p, None))
                .collect()
        }
    }
}

/// The neighbour table across ticks.
#[derive(Default)]
struct NeighbourWatch {
    tracker: Option<Tracker>,
    started: f64,
    changes_by_kind: BTreeMap<&'static str, u64>,
    recent: VecDeque<(f64, NeighbourChange)>,
}

impl NeighbourWatch {
    /// Observes one reading; returns the stats and the changes within the conflict window.
    fn observe(&mut self, s: &Snapshot, now: f64) -> (kx::NeighbourStats, Vec<NeighbourChange>) {
        let table = from_arp(&s.arp);
        let mut by_state: BTreeMap<&'static str, u64> =
            [("complete", 0), ("incomplete", 0), ("permanent", 0)]
                .into_iter()
                .collect();
        for n in &table {
            *by_state.entry(n.state).or_default() += 1;
        }
        match &mut self.tracker {
            None => {
                let mut t = Tracker::new();
                table.iter().for_each(|n| t.seed(n));
                self.tracker = Some(t);
                self.started = now;
            }
            Some(t) => {
                let at_ms = ((now - self.started).max(0.0) * 1000.0) as u64;
                let unix_ms = (now.max(0.0) * 1000.0) as u64;
                for n in &table {
                    if let Some(c) = t.observe(n, at_ms, unix_ms)
                        && c.is_mac_change()
                    {
                        *self.changes_by_kind.entry(kind_label(c.kind)).or_default() += 1;
                        self.recent.push_back((now, c));
                        if self.recent.len() > MAX_RECENT_CHANGES {
                            self.recent.pop_front();
                        }
                    }
                }
            }
        }
        while self
            .recent
            .front()
            .is_some_and(|(t, _)| now - *t > CONFLICT_WINDOW_SECS)
        {
            self.recent.pop_front();
        }
        let mut addrs: Vec<(&str, std::net::IpAddr)> = self
            .recent
            .iter()
            .map(|(_, c)| (c.interface.as_str(), c.ip))
            .collect();
        addrs.sort();
        addrs.dedup();
        let mut changes_by_kind: Vec<(&'static str, u64)> =
            ["changed_address", "flip_flop", "reused_old"]
                .into_iter()
                .map(|k| (k, self.changes_by_kind.get(k).copied().unwrap_or(0)))
                .collect();
        changes_by_kind.sort();
        let stats = kx::NeighbourStats {
            entries_by_state: by_state.into_iter().collect(),
            changes_by_kind,
            conflicts: addrs.len() as u64,
        };
        (stats, self.recent.iter().map(|(_, c)| c.clone()).collect())
    }
}

fn kind_label(k: karte_net::ChangeKind) -> &'static str {
    match k {
        karte_net::ChangeKind::NewStation => "new_station",
        karte_net::ChangeKind::ChangedAddress => "changed_address",
        karte_net::ChangeKind::FlipFlop => "flip_flop",
        karte_net::ChangeKind::ReusedOld => "reused_old",
    }
}

/// Kernel-log counters.
#[derive(Default)]
struct KernelLog {
    followed: bool,
    by_kind: BTreeMap<&'static str, u64>,
    oom_by_comm: BTreeMap<String, u64>,
}

impl KernelLog {
    fn add(&mut self, events: &[Event]) {
        for ev in events {
            *self.by_kind.entry(ev.kind()).or_default() += 1;
            if let Event::OomKill(k) = ev {
                let comm = k.comm.clone().unwrap_or_default();
                if self.oom_by_comm.len() >= MAX_OOM_COMMS && !self.oom_by_comm.contains_key(&comm)
                {
                    *self.oom_by_comm.entry("other".into()).or_default() += 1;
                } else {
                    *self.oom_by_comm.entry(comm).or_default() += 1;
                }
            }
        }
    }
}
