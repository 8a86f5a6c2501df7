//! The diagnosis of one instance over a period: the rules of the live doctor at every step,
//! the steps' findings merged into spans, and what only a period can show (steal against the
//! host's own baseline, periodic load).

use crate::convert::InstanceData;
use crate::fetch::Fetched;
use crate::time::{human, rfc3339, short, short_for};
use karte_loadavg::{Cause, LoadPoint};
use karte_rules::fmt;
use karte_rules::report::diagnose;
use karte_rules::rules::{self, cpu_steal, oom_kill};
use karte_rules::{Context, Finding, Lang, Severity};
use karte_snapshot::Interval;
use serde::Serialize;
use std::collections::BTreeMap;

/// Rules that run from node_exporter's metrics alone.
pub const METRIC_RULES: [&str; 9] = [
    "cpu-saturation",
    "cpu-steal",
    "load-uninterruptible",
    "memory-pressure",
    "swap-thrashing",
    "dirty-writeback",
    "disk-saturation",
    "link-errors",
    "oom-kill",
];

/// The id of the periodic-load finding (DESIGN.md's stable list).
pub const LOADAVG_PERIODIC: &str = karte_rules::rules::loadavg_periodic::ID;

/// Rules that need what only karte on the host reads, and what that is.
const HOST_ONLY: [(&str, &str, &str); 8] = [
    (
        "kernel-thread-runaway",
        "needs the process table (karte on the host)",
        "プロセス表が必要です（ホスト上の karte）",
    ),
    (
        "hung-task",
        "needs the kernel log (karte on the host)",
        "カーネルログが必要です（ホスト上の karte）",
    ),
    (
        "io-errors",
        "needs the kernel log (karte on the host)",
        "カーネルログが必要です（ホスト上の karte）",
    ),
    (
        "hardware-errors",
        "needs the kernel log (karte on the host)",
        "カーネルログが必要です（ホスト上の karte）",
    ),
    (
        "kernel-lockup",
        "needs the kernel log (karte on the host)",
        "カーネルログが必要です（ホスト上の karte）",
    ),
    (
        "overcommit-risk",
        "needs vm.overcommit_memory (karte on the host)",
        "vm.overcommit_memory が必要です（ホスト上の karte）",
    ),
    (
        "duplicate-ip",
        "needs ARP probes (karte on the host)",
        "ARP プローブが必要です（ホスト上の karte）",
    ),
    (
        "neighbour-flap",
        "needs the neighbour table (karte on the host)",
        "近隣テーブルが必要です（ホスト上の karte）",
    ),
];

/// Steal baseline: this many judged steps at least.
pub const BASELINE_MIN_STEPS: usize = 12;
/// A step's steal is above the host's baseline when it exceeds the median by this many
/// percentage points…
pub const BASELINE_MIN_EXCESS_PCT: f64 = 5.0;
/// …and by this many robust standard deviations (1.4826 × MAD) of the period.
pub const BASELINE_SIGMAS: f64 = 4.0;
/// Above the baseline for this long (seconds) is a warning; shorter, info.
pub const BASELINE_WARNING_SECS: f64 = 15.0 * 60.0;
/// Boot times that differ by more than this (seconds) mean the host rebooted.
const REBOOT_SECS: f64 = 30.0;

/// A finding that held over consecutive steps.
#[derive(Debug, Clone, Serialize)]
pub struct Span {
    #[serde(flatten)]
    pub finding: Finding,
    /// Start of the first step and end of the last, RFC 3339 UTC.
    pub first: String,
    pub last: String,
    /// Steps it held in.
    pub steps: usize,
    /// `rules` (the live doctor's rules on each step), `baseline` (steal against the host's own
    /// median), `loadavg` (periodic load over days), `karte` (karte_finding from the host).
    pub source: &'static str,
    #[serde(skip)]
    pub first_t: f64,
    #[serde(skip)]
    pub last_t: f64,
}

impl Span {
    pub fn secs(&self) -> f64 {
        (self.last_t - self.first_t).max(0.0)
    }
}

/// A rule that could not judge at all for this instance.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NotRun {
    pub rule: String,
    pub reason: String,
    /// The rule needs what only karte on the host reads (process table, kernel log, sysctls,
    /// ARP, neighbour table): no metric of node_exporter can stand in.
    pub needs_karte: bool,
}

/// A rule that judged only some steps.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PartlyRun {
    pub rule: String,
    pub judged_steps: usize,
    pub steps: usize,
    pub reason: String,
}

/// Steal over the period, the baseline findings compare against.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct StealBaseline {
    pub median_pct: f64,
    pub p95_pct: f64,
    pub max_pct: f64,
    /// Robust standard deviation: 1.4826 × the median absolute deviation.
    pub sigma_pct: f64,
    /// A step above `median + max(5, 4σ)` is above the baseline.
    pub threshold_pct: f64,
    pub steps: usize,
}

/// What the periodic-load analysis saw.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LoadavgSummary {
    pub window_s: f64,
    pub samples: usize,
    pub periodic: bool,
    pub period_s: Option<f64>,
    pub cause: Option<&'static str>,
    pub hz: Option<u32>,
}

/// The diagnosis of one instance.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceReport {
    pub instance: String,
    pub hostname: Option<String>,
    pub kernel: Option<String>,
    pub cpus: Option<usize>,
    /// 0 OK, 1 warning, 2 critical, 3 could not tell.
    pub status: u8,
    pub worst: Option<Severity>,
    /// Steps of the period, and those the rules could judge (data at both ends).
    pub steps: usize,
    pub steps_judged: usize,
    /// Worst first, then earliest.
    pub findings: Vec<Span>,
    pub not_run: Vec<NotRun>,
    pub partly_run: Vec<PartlyRun>,
    /// karte's own families were found: the host-only rules come from karte there.
    pub karte_on_host: bool,
    pub steal_baseline: Option<StealBaseline>,
    pub loadavg: Option<LoadavgSummary>,
    pub notes: Vec<String>,
    /// Why the instance could not be read, when it could not.
    pub error: Option<String>,
}

impl InstanceReport {
    /// A report for an instance that could not be read.
    pub fn failed(instance: &str, error: String) -> InstanceReport {
        InstanceReport {
            instance: instance.to_string(),
            hostname: None,
            kernel: None,
            cpus: None,
            status: 3,
            worst: None,
            steps: 0,
            steps_judged: 0,
            findings: Vec::new(),
            not_run: Vec::new(),
            partly_run: Vec::new(),
            karte_on_host: false,
            steal_baseline: None,
            loadavg: None,
            notes: Vec::new(),
            error: Some(error),
        }
    }

    /// Findings that are problems (warning or critical).
    pub fn problems(&self) -> impl Iterator<Item = &Span> {
        self.findings
            .iter()
            .filter(|s| s.finding.severity >= Severity::Warning)
    }
}

/// How the period is diagnosed.
#[derive(Debug, Clone)]
pub struct DiagnoseOptions {
    pub lang: Lang,
    /// Analyse `node_load1` for periodic peaks (when fetched).
    pub loadavg: bool,
}

struct OpenSpan {
    first_i: usize,
    last_i: usize,
    steps: usize,
    finding: Finding,
    rep_i: usize,
    source: &'static str,
}

/// Findings of consecutive steps merged by (rule, subjects).
#[derive(Default)]
struct Spans {
    open: BTreeMap<(String, String), OpenSpan>,
    done: Vec<OpenSpan>,
}

impl Spans {
    fn add(&mut self, i: usize, f: Finding, source: &'static str) {
        let key = (format!("{}/{}", source, f.rule), f.subjects.join("\u{1f}"));
        match self.open.get_mut(&key) {
            Some(s) if s.last_i + 1 == i => {
                s.last_i = i;
                s.steps += 1;
                if f.severity > s.finding.severity {
                    s.finding = f;
                    s.rep_i = i;
                }
            }
            _ => {
                let new = OpenSpan {
                    first_i: i,
                    last_i: i,
                    steps: 1,
                    finding: f,
                    rep_i: i,
                    source,
                };
                if let Some(old) = self.open.insert(key, new) {
                    self.done.push(old);
                }
            }
        }
    }

    fn finish(mut self) -> Vec<OpenSpan> {
        self.done.extend(self.open.into_values());
        self.done
    }
}

fn sev_from(s: &str) -> Option<Severity> {
    match s {
        "critical" => Some(Severity::Critical),
        "warning" => Some(Severity::Warning),
        "info" => Some(Severity::Info),
        _ => None,
    }
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// The steal baseline of a period from the steal share of each judged step.
pub fn steal_baseline(steal: &[f64]) -> Option<StealBaseline> {
    let mut v: Vec<f64> = steal.iter().copied().filter(|x| x.is_finite()).collect();
    if v.len() < BASELINE_MIN_STEPS {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let median = quantile(&v, 0.5);
    let mut dev: Vec<f64> = v.iter().map(|x| (x - median).abs()).collect();
    dev.sort_by(f64::total_cmp);
    let sigma = 1.4826 * quantile(&dev, 0.5);
    Some(StealBaseline {
        median_pct: median,
        p95_pct: quantile(&v, 0.95),
        max_pct: v[v.len() - 1],
        sigma_pct: sigma,
        threshold_pct: median + BASELINE_MIN_EXCESS_PCT.max(BASELINE_SIGMAS * sigma),
        steps: v.len(),
    })
}

/// Runs the diagnosis over the fetched data.
pub fn diagnose_instance(instance: &str, f: &Fetched, opts: &DiagnoseOptions) -> InstanceReport {
    let lang = opts.lang;
    let ja = lang == Lang::Ja;
    let d: &InstanceData = &f.data;
    let Some(g) = d.grid else {
        return InstanceReport::failed(instance, "no time grid".into());
    };
    let mut spans = Spans::default();
    let mut skipped: BTreeMap<&'static str, BTreeMap<String, usize>> = BTreeMap::new();
    let mut steal: Vec<(usize, f64)> = Vec::new();
    let mut fixed_steal: std::collections::BTreeSet<usize> = std::collections::BTreeSet::new();
    let mut judged = 0usize;
    let mut judged_idx: Vec<usize> = Vec::new();
    let mut gaps: Vec<(usize, usize)> = Vec::new();
    let mut stale_steps = 0usize;
    let mut reboots: Vec<f64> = Vec::new();
    let mut oom_counter = false;
    let mut cpus = None;
    let mut hostname = None;
    let mut kernel = None;
    for i in 1..g.len {
        if !d.has_data(i) || !d.has_data(i - 1) {
            match gaps.last_mut() {
                Some((_, e)) if *e + 1 == i => *e = i,
                _ => gaps.push((i, i)),
            }
            continue;
        }
        let (tb, ta) = (d.time_at(i - 1), d.time_at(i));
        if ta <= tb {
            stale_steps += 1;
            continue;
        }
        if let (Some(b), Some(a)) = (d.boot_time(i - 1), d.boot_time(i))
            && (a - b).abs() > REBOOT_SECS
        {
            reboots.push(a);
            continue;
        }
        let cpu_set = d.cpus_at(&[i - 1, i]);
        let before = d.snapshot(i - 1, &cpu_set, instance);
        let now = d.snapshot(i, &cpu_set, instance);
        let Some(iv) = Interval::new(&before, &now) else {
            stale_steps += 1;
            continue;
        };
        let cx = Context {
            now: &now,
            before: Some(&before),
            interval: Some(&iv),
            events: &[],
            kernel_log_read: false,
            lang,
        };
        let dg = diagnose(&cx);
        judged += 1;
        judged_idx.push(i);
        for fd in dg.findings {
            if fd.rule == oom_kill::ID && fd.severity == Severity::Info {
                // Without a kernel log (never read here, not "rotated") the rule's only info
                // finding is "N kills since boot; the log no longer shows them": misleading for
                // metrics, and the growth of the counter is reported as its own finding.
                continue;
            }
            if fd.rule == cpu_steal::ID && fd.severity >= Severity::Warning {
                fixed_steal.insert(i);
            }
            spans.add(i, fd, "rules");
        }
        for s in dg.skipped {
            *skipped
                .entry(s.rule)
                .or_default()
                .entry(s.reason)
                .or_default() += 1;
        }
        if let Some(c) = iv.cpu {
            steal.push((i, c.steal_pct));
        }
        oom_counter |= iv.oom_kills.is_some();
        cpus = now.online_cpus().or(cpus);
        hostname = now.host.hostname.clone();
        kernel = now.host.kernel.clone();
    }
    let step_txt = human(g.step, lang);

    // Steal against the host's own baseline.
    let values: Vec<f64> = steal.iter().map(|(_, v)| *v).collect();
    let baseline = steal_baseline(&values);
    if let Some(b) = baseline {
        for (i, v) in &steal {
            // Steps next to a fixed-threshold span are its ramps, not a separate episode.
            let beside = fixed_steal.contains(i)
                || fixed_steal.contains(&(i + 1))
                || fixed_steal.contains(&i.saturating_sub(1));
            if *v >= b.threshold_pct && *v < cpu_steal::WARNING_PCT && !beside {
                spans.add(*i, baseline_finding(*v, &b, g.step, lang), "baseline");
            }
        }
    }

    // karte's own findings, for the rules metrics cannot judge.
    let karte_on_host =
        d.scalars.keys().any(|k| k.starts_with("karte_load_tasks")) || !d.karte_findings.is_empty();
    for kf in &d.karte_findings {
        if METRIC_RULES.contains(&kf.rule.as_str()) {
            continue;
        }
        let (Some(info), Some(sev)) = (rules::find(&kf.rule), sev_from(&kf.severity)) else {
            continue;
        };
        for (i, held) in kf.held.iter().enumerate() {
            if *held {
                spans.add(
                    i.max(1),
                    karte_finding(info, sev, &kf.subject, lang),
                    "karte",
                );
            }
        }
    }

    // Spans, with when they held.
    let mut findings: Vec<Span> = spans
        .finish()
        .into_iter()
        .map(|s| {
            let first_t = g.time(s.first_i.saturating_sub(1));
            let last_t = g.time(s.last_i);
            let mut f = s.finding;
            let dur = last_t - first_t;
            f.evidence.push(if ja {
                format!(
                    "{} 刻みで {} 回連続（{} 〜 {} UTC、{}）。上の数値は {} までの刻みのもの",
                    step_txt,
                    s.steps,
                    short_for(first_t, g.step),
                    short_for(last_t, g.step),
                    human(dur, lang),
                    short_for(g.time(s.rep_i), g.step)
                )
            } else {
                format!(
                    "held in {} consecutive step(s) of {}, {} to {} UTC ({}); the figures above are from the step ending {}",
                    s.steps,
                    step_txt,
                    short_for(first_t, g.step),
                    short_for(last_t, g.step),
                    human(dur, lang),
                    short_for(g.time(s.rep_i), g.step)
                )
            });
            if f.rule == cpu_steal::ID
                && s.source == "rules"
                && let Some(b) = baseline
            {
                    f.evidence.push(if ja {
                        format!("期間中の steal: 中央値 {}、95 パーセンタイル {}、最大 {}", fmt::pct(b.median_pct), fmt::pct(b.p95_pct), fmt::pct(b.max_pct))
                    } else {
                        format!("steal over the period: median {}, 95th percentile {}, max {}", fmt::pct(b.median_pct), fmt::pct(b.p95_pct), fmt::pct(b.max_pct))
                    });
            }
            if s.source == "baseline" && dur < BASELINE_WARNING_SECS {
                f.severity = Severity::Info;
            }
            Span { finding: f, first: rfc3339(first_t), last: rfc3339(last_t), steps: s.steps, source: s.source, first_t, last_t }
        })
        .collect();

    // Periodic load over days.
    let mut not_run: Vec<NotRun> = Vec::new();
    let mut loadavg = None;
    if opts.loadavg {
        match &f.load1 {
            Some(s) if !s.points.is_empty() => {
                let pts: Vec<LoadPoint> = s
                    .points
                    .iter()
                    .map(|(t, v)| LoadPoint::new(*t, *v))
                    .collect();
                let a = karte_loadavg::analyze(&pts, &[], &karte_loadavg::Options::default());
                let window = match (s.points.first(), s.points.last()) {
                    (Some(a), Some(b)) => b.0 - a.0,
                    _ => 0.0,
                };
                loadavg = Some(LoadavgSummary {
                    window_s: window,
                    samples: a.samples,
                    periodic: a.periodic,
                    period_s: a.period_s,
                    cause: a.cause.map(Cause::name),
                    hz: a.hz,
                });
                if let Some(fd) = loadavg_finding(&a, lang) {
                    let (t0, t1) = (
                        s.points.first().map(|p| p.0).unwrap_or(0.0),
                        s.points.last().map(|p| p.0).unwrap_or(0.0),
                    );
                    findings.push(Span {
                        finding: fd,
                        first: rfc3339(t0),
                        last: rfc3339(t1),
                        steps: a.cycles_with_peak,
                        source: "loadavg",
                        first_t: t0,
                        last_t: t1,
                    });
                } else if !a.periodic && a.samples < 16 {
                    not_run.push(NotRun {
                        rule: LOADAVG_PERIODIC.into(),
                        reason: a.explanation.clone(),
                        needs_karte: false,
                    });
                }
            }
            _ => not_run.push(NotRun {
                rule: LOADAVG_PERIODIC.into(),
                reason: if ja {
                    "node_load1 がありません".into()
                } else {
                    "no node_load1".into()
                },
                needs_karte: false,
            }),
        }
    }
    findings.sort_by(|a, b| {
        b.finding
            .severity
            .cmp(&a.finding.severity)
            .then(a.first_t.total_cmp(&b.first_t))
    });

    // What could not run.
    let mut partly_run = Vec::new();
    if judged == 0 {
        for r in METRIC_RULES {
            not_run.push(NotRun {
                rule: r.into(),
                reason: if ja {
                    "期間内に使えるデータがありません".into()
                } else {
                    "no usable data in the period".into()
                },
                needs_karte: false,
            });
        }
    } else {
        for (rule, reasons) in &skipped {
            let n: usize = reasons.values().sum();
            let reason = reasons
                .iter()
                .max_by_key(|(_, c)| **c)
                .map(|(r, _)| r.clone())
                .unwrap_or_default();
            let host_only = HOST_ONLY.iter().any(|(r, _, _)| r == rule);
            if host_only {
                continue;
            }
            if n >= judged {
                not_run.push(NotRun {
                    rule: rule.to_string(),
                    reason,
                    needs_karte: false,
                });
            } else {
                partly_run.push(PartlyRun {
                    rule: rule.to_string(),
                    judged_steps: judged - n,
                    steps: judged,
                    reason,
                });
            }
        }
        if !oom_counter && !not_run.iter().any(|n| n.rule == "oom-kill") {
            not_run.push(NotRun {
                rule: "oom-kill".into(),
                reason: if ja {
                    "node_vmstat_oom_kill がありません".into()
                } else {
                    "no node_vmstat_oom_kill".into()
                },
                needs_karte: false,
            });
        }
    }
    if !karte_on_host {
        for (r, en, jp) in HOST_ONLY {
            not_run.push(NotRun {
                rule: r.into(),
                reason: if ja { jp.into() } else { en.into() },
                needs_karte: true,
            });
        }
    }

    // Notes on the data.
    let mut notes = f.notes.clone();
    let missing: usize = gaps.iter().map(|(a, b)| b - a + 1).sum();
    if missing > 0 && judged > 0 {
        let shown: Vec<String> = gaps
            .iter()
            .take(3)
            .map(|(a, b)| {
                format!(
                    "{} – {}",
                    short_for(g.time(a - 1), g.step),
                    short_for(g.time(*b), g.step)
                )
            })
            .collect();
        notes.push(if ja {
            format!(
                "{} 刻みのうち {} 刻みはデータがなく判定していません（{}{}、UTC）",
                g.len - 1,
                missing,
                shown.join("、"),
                if gaps.len() > 3 { " ほか" } else { "" }
            )
        } else {
            format!(
                "{} of {} steps had no data and were not judged ({}{} UTC)",
                missing,
                g.len - 1,
                shown.join(", "),
                if gaps.len() > 3 { " and more" } else { "" }
            )
        });
    }
    if stale_steps > 0 {
        notes.push(if ja {
            format!("{stale_steps} 刻みでは新しいスクレイプがありませんでした。刻み（{step_txt}）がスクレイプ間隔より短いようです。--step を大きくしてください")
        } else {
            format!("{stale_steps} step(s) saw no new scrape: the step ({step_txt}) is shorter than the scrape interval; use a larger --step")
        });
    }
    for r in &reboots {
        notes.push(if ja {
            format!("{} UTC に再起動しました（node_boot_time_seconds が変化）。その刻みは判定していません", short(*r))
        } else {
            format!("the host rebooted at {} UTC (node_boot_time_seconds changed); the step across it was not judged", short(*r))
        });
    }
    if karte_on_host {
        notes.push(if ja {
            "このホストでは karte が動いています。プロセス表やカーネルログが必要な規則は karte_finding から示します".into()
        } else {
            "karte runs on this host: findings of the rules that need the process table or the kernel log come from its karte_finding series".into()
        });
    }
    if d.sample_time.iter().all(Option::is_none) && judged > 0 {
        notes.push(
            "no timestamp(node_load1): rates use the step times, not the scrape times".into(),
        );
    }

    let worst = findings.iter().map(|s| s.finding.severity).max();
    let status = if judged == 0 && findings.is_empty() {
        3
    } else {
        worst.map(Severity::exit_status).unwrap_or(0)
    };
    let error = (judged == 0).then(|| {
        if ja {
            "期間内に判定できる刻みがありません（node_exporter のデータがないか、刻みの両端にそろっていません）".to_string()
        } else {
            "no step of the period could be judged (no node_exporter data, or not at both ends of any step)".to_string()
        }
    });
    InstanceReport {
        instance: instance.to_string(),
        hostname: hostname.or_else(|| d.nodename.clone()),
        kernel: kernel.or_else(|| d.kernel.clone()),
        cpus,
        status,
        worst,
        steps: g.len.saturating_sub(1),
        steps_judged: judged,
        findings,
        not_run,
        partly_run,
        karte_on_host,
        steal_baseline: baseline,
        loadavg,
        notes,
        error,
    }
}

fn baseline_finding(v: f64, b: &StealBaseline, step: f64, lang: Lang) -> Finding {
    let ja = lang == Lang::Ja;
    Finding {
        rule: cpu_steal::ID,
        severity: Severity::Warning,
        title: if ja {
            format!(
                "steal が {} に上昇（このホストの通常は {}）",
                fmt::pct(v),
                fmt::pct(b.median_pct)
            )
        } else {
            format!(
                "Steal rose to {}, well above this host's usual {}",
                fmt::pct(v),
                fmt::pct(b.median_pct)
            )
        },
        summary: if ja {
            "固定のしきい値（10 %）には届きませんが、このホストのふだんの steal よりはっきり多くなっています。同じホスト上の他の VM が CPU を多く使い始めたか、VM が混んだホストへ移されました。".into()
        } else {
            "Below the fixed threshold (10 %) but clearly above this host's own usual steal: other VMs on the same hypervisor started using more CPU, or the VM was moved to a busier host.".into()
        },
        subjects: vec!["cpu".into()],
        evidence: vec![if ja {
            format!(
                "{} の刻みで steal {}。期間の中央値 {}、ばらつき（1.4826×MAD）{}、基準 {}（中央値 + max(5, 4σ)）",
                human(step, lang),
                fmt::pct(v),
                fmt::pct(b.median_pct),
                fmt::pct(b.sigma_pct),
                fmt::pct(b.threshold_pct)
            )
        } else {
            format!(
                "steal {} over a {} step; the period's median {}, spread (1.4826×MAD) {}, limit {} (median + max(5, 4σ))",
                fmt::pct(v),
                human(step, lang),
                fmt::pct(b.median_pct),
                fmt::pct(b.sigma_pct),
                fmt::pct(b.threshold_pct)
            )
        }],
        remedy: if ja {
            vec!["続くようなら事業者にホストの混雑を伝え、別ホストへの移動を依頼してください。node_cpu_seconds_total{mode=\"steal\"} の推移を添えると伝わります。".into()]
        } else {
            vec!["If it lasts, tell the provider the host is getting busier and ask to move the VM; the graph of node_cpu_seconds_total{mode=\"steal\"} makes the case.".into()]
        },
    }
}

fn karte_finding(
    info: &'static karte_rules::RuleInfo,
    sev: Severity,
    subject: &str,
    lang: Lang,
) -> Finding {
    let ja = lang == Lang::Ja;
    let title = info.title(lang);
    Finding {
        rule: info.id,
        severity: sev,
        title: if subject.is_empty() {
            title.to_string()
        } else {
            format!("{title}: {subject}")
        },
        summary: if ja {
            "ホスト上の karte が報告した所見です（karte_finding）。詳細はそのホストで karte doctor を実行するか、karte explain で規則の説明を見てください。".into()
        } else {
            "Reported by karte running on the host (karte_finding). Run karte doctor there for the evidence, or karte explain for the rule.".into()
        },
        subjects: if subject.is_empty() {
            Vec::new()
        } else {
            vec![subject.to_string()]
        },
        evidence: vec![format!(
            "karte_finding{{rule=\"{}\",subject=\"{}\"}}",
            info.id, subject
        )],
        remedy: vec![format!("karte explain {}", info.id)],
    }
}

fn loadavg_finding(a: &karte_loadavg::Analysis, lang: Lang) -> Option<Finding> {
    // The wording is the rule's own, as in `report` and `loadavg analyze`.
    karte_rules::rules::loadavg_periodic::evaluate(a, lang)
        .into_iter()
        .next()
}

/// The exit status over several instances: critical, then warning, then unknown, then OK (the
/// monitoring-plugin order).
pub fn fleet_status(reports: &[InstanceReport]) -> u8 {
    let has = |s: u8| reports.iter().any(|r| r.status == s);
    if has(2) {
        2
    } else if has(1) {
        1
    } else if reports.is_empty() || has(3) {
        3
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_of_a_quiet_host() {
        let mut v = vec![0.5; 30];
        v[10] = 0.7;
        let b = steal_baseline(&v).expect("baseline");
        assert!((b.median_pct - 0.5).abs() < 1e-9);
        assert!((b.threshold_pct - 5.5).abs() < 1e-9);
        assert!(steal_baseline(&v[..5]).is_none());
    }

    #[test]
    fn quantiles() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.5), 2.5);
        assert_eq!(quantile(&v, 1.0), 4.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }
}
