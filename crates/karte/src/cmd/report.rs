//! `karte report`: look back at recorded history.
//!
//! * `--at T`: the host as it was at T — the findings of that moment, the health summary, every
//!   CPU (steal included), disks, network and a `top`-like process table — rebuilt from the
//!   store's reading nearest T and the one before it.
//! * `--since/--until` (default: the last hour): the same rules as `karte doctor` over every
//!   recorded interval of the period, consecutive intervals with the same finding merged into one
//!   span, plus the `loadavg-periodic` analysis of the recorded load and fork series.
//! * `--html FILE`: one self-contained page (inline SVG, no script, no network) with charts of
//!   the period and the findings marked on the time axis.
//!
//! Exit status as doctor's: 0 nothing wrong, 1 warning, 2 critical, 3 nothing recorded then.

mod html;

use super::doctor::LangArg;
use super::{CliError, CmdResult};
use crate::render;
use karte_loadavg::{Analysis, Cause, LoadPoint, RatePoint};
use karte_rules::report::diagnose;
use karte_rules::{Context, Finding, Lang, Severity};
use karte_snapshot::summary::HealthSummary;
use karte_snapshot::{Interval, Snapshot};
use karte_store::{Reading, SampleInfo, Store, StoreError, StoredEvent, Want};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
#[command(after_help = "\
Times: `2026-11-22 03:12` (local time), `03:12` (today), `-2h`, `-30m`, `-1d`, `yesterday`, `today`, \
`now`, unix seconds, or RFC 3339 with an offset.

Examples:
  karte report --at -1m                      # the host a minute ago
  karte report --at '2026-11-22 03:12'       # what was running at 03:12?
  karte report --since yesterday --until today
  karte report --since -1d --html day.html")]
pub struct Args {
    /// The history database (default: as `karte record`)
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Start of the period to diagnose (default: an hour before --until)
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// End of the period (default: now)
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub until: Option<String>,
    /// Replay the host as it was at this time
    #[arg(long, value_name = "T", allow_hyphen_values = true, conflicts_with_all = ["since", "until"])]
    pub at: Option<String>,
    /// Write a self-contained HTML report of the period to FILE
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Language of the findings (default: from LC_ALL, LC_MESSAGES, LANG)
    #[arg(long, value_enum)]
    pub lang: Option<LangArg>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

const EXIT_NO_DATA: u8 = 3;

fn store_err(e: StoreError) -> CliError {
    let code = match e {
        StoreError::NotFound(_) | StoreError::NotKarte(_) | StoreError::Version(_) => EXIT_NO_DATA,
        _ => 1,
    };
    CliError::with_code(e.to_string(), code)
}

// ------------------------------------------------------------------ time

/// Parses a time as users write it; returns Unix milliseconds.
pub fn parse_time(s: &str, now_ms: i64) -> Result<i64, String> {
    use jiff::tz::TimeZone;
    let t = s.trim();
    let bad = || {
        format!(
            "cannot read the time {t:?}: use e.g. '2026-11-22 03:12', '03:12', -2h, -30m, yesterday, today, now or unix seconds"
        )
    };
    let tz = TimeZone::system();
    let now = jiff::Timestamp::from_millisecond(now_ms)
        .map_err(|e| e.to_string())?
        .to_zoned_datetime(tz.clone());
    let ms = |z: &jiff::ZonedDateTime| z.timestamp().as_millisecond();
    match t {
        "now" => return Ok(now_ms),
        "today" => {
            return now
                .start_of_day()
                .map(|z| ms(&z))
                .map_err(|e| e.to_string());
        }
        "yesterday" => {
            return now
                .yesterday()
                .and_then(|y| y.start_of_day())
                .map(|z| ms(&z))
                .map_err(|e| e.to_string());
        }
        _ => {}
    }
    // Relative: -90s, -30m, -2h, -1d, -1w (and the same with "ago": "2h ago").
    let rel = t
        .strip_prefix('-')
        .or_else(|| t.strip_suffix("ago").map(str::trim));
    if let Some(r) = rel {
        let split = r
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(r.len());
        let (num, unit) = r.split_at(split);
        if let Ok(n) = num.parse::<f64>() {
            let unit_s = match unit.trim() {
                "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
                "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
                "h" | "hour" | "hours" => 3600.0,
                "d" | "day" | "days" => 86400.0,
                "w" | "week" | "weeks" => 7.0 * 86400.0,
                _ => return Err(bad()),
            };
            if n.is_finite() && n >= 0.0 {
                return Ok(now_ms - (n * unit_s * 1000.0) as i64);
            }
        }
        return Err(bad());
    }
    // Unix seconds.
    if t.chars().all(|c| c.is_ascii_digit() || c == '.')
        && t.len() >= 9
        && let Ok(v) = t.parse::<f64>()
    {
        return Ok((v * 1000.0) as i64);
    }
    // An instant with an offset.
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    // Local civil time: date and time, date alone, or a time of today.
    let civil = t.replacen(' ', "T", 1);
    if let Ok(dt) = civil.parse::<jiff::civil::DateTime>() {
        return dt
            .to_zoned_datetime(tz)
            .map(|z| ms(&z))
            .map_err(|e| e.to_string());
    }
    if let Ok(d) = t.parse::<jiff::civil::Date>() {
        return d
            .to_zoned_datetime(tz)
            .map(|z| ms(&z))
            .map_err(|e| e.to_string());
    }
    if let Ok(tm) = t.parse::<jiff::civil::Time>() {
        return now
            .date()
            .to_datetime(tm)
            .to_zoned_datetime(tz)
            .map(|z| ms(&z))
            .map_err(|e| e.to_string());
    }
    Err(bad())
}

/// `YYYY-MM-DD HH:MM:SS` in local time.
pub fn local(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => ts
            .to_zoned_datetime(jiff::tz::TimeZone::system())
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string(),
        Err(_) => format!("@{ms}"),
    }
}

/// RFC 3339 with the local offset, for JSON.
fn rfc3339(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => ts
            .to_zoned_datetime(jiff::tz::TimeZone::system())
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string(),
        Err(_) => String::new(),
    }
}

fn user_names() -> HashMap<u32, String> {
    // /etc/passwd only: karte never forks `getent`, and NSS modules would load libraries.
    let mut m = HashMap::new();
    if let Ok(t) = std::fs::read_to_string("/etc/passwd") {
        for l in t.lines() {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() > 2
                && let Ok(uid) = f[2].parse()
            {
                m.entry(uid).or_insert_with(|| f[0].to_string());
            }
        }
    }
    m
}

pub fn run(args: Args) -> CmdResult {
    let lang = LangArg::resolve(args.lang);
    let path = args.db.clone().unwrap_or_else(karte_store::default_path);
    let now_ms = karte_store::now_ms();
    let mut store = Store::open_reader(&path).map_err(store_err)?;
    let t = |s: &str| parse_time(s, now_ms).map_err(|e| CliError::with_code(e, 2));
    if let Some(at) = &args.at {
        let at_ms = t(at)?;
        if args.html.is_none() {
            return run_at(&mut store, at_ms, &args, lang);
        }
        // An HTML page around a moment: half an hour each side.
        return run_period(
            &mut store,
            at_ms - 1_800_000,
            at_ms + 1_800_000,
            &args,
            lang,
        );
    }
    let until = match &args.until {
        Some(u) => t(u)?,
        None => now_ms,
    };
    let since = match &args.since {
        Some(s) => t(s)?,
        None => until - 3_600_000,
    };
    if since > until {
        return Err(CliError::with_code("--since is after --until", 2));
    }
    run_period(&mut store, since, until, &args, lang)
}

fn nothing_recorded(store: &Store, what: String) -> CliError {
    let span = match store.stats() {
        Ok(s) => match (s.first_wall_ms, s.last_wall_ms) {
            (Some(a), Some(b)) => format!(
                "; the recording in {} spans {} to {} ({} readings)",
                store.path().display(),
                local(a),
                local(b),
                s.samples
            ),
            _ => format!("; {} holds no readings yet", store.path().display()),
        },
        Err(_) => String::new(),
    };
    CliError::with_code(format!("{what}{span}"), EXIT_NO_DATA)
}

// ------------------------------------------------------------------ --at

#[derive(Serialize)]
struct ProcJson {
    pid: u32,
    user: Option<String>,
    uid: Option<u32>,
    state: char,
    nice: i64,
    cpu_pct: Option<f64>,
    rss_kb: u64,
    cpu_time_s: f64,
    threads: u64,
    kernel_thread: bool,
    comm: String,
    command: String,
}

#[derive(Serialize)]
struct AtJson<'a> {
    requested: String,
    time: String,
    unix: f64,
    sample: SampleInfo,
    interval_secs: Option<f64>,
    hostname: Option<&'a str>,
    findings: &'a [Finding],
    summary: &'a HealthSummary,
    per_cpu: Vec<(u32, karte_snapshot::CpuShares)>,
    disks: Vec<karte_snapshot::DiskRate>,
    nets: Vec<karte_snapshot::NetRate>,
    processes: Vec<ProcJson>,
    neighbours: &'a [karte_procfs::net_arp::ArpEntry],
    events: Vec<serde_json::Value>,
    notes: Vec<String>,
}

fn run_at(store: &mut Store, at_ms: i64, args: &Args, lang: Lang) -> CmdResult {
    let Some(s) = store.sample_near(at_ms).map_err(store_err)? else {
        return Err(nothing_recorded(store, "nothing recorded".into()));
    };
    let prev = store.previous(&s).map_err(store_err)?;
    let samples: Vec<SampleInfo> = prev.into_iter().chain([s]).collect();
    let mut rs: Vec<Reading> = Vec::with_capacity(2);
    store
        .scan(&samples, Want::ALL, |r| {
            rs.push(r);
            Ok(())
        })
        .map_err(store_err)?;
    let Some(now) = rs.pop() else {
        return Err(CliError::new("the reading could not be rebuilt"));
    };
    let before = rs.pop();
    let iv = before
        .as_ref()
        .and_then(|b| Interval::new(&b.snapshot, &now.snapshot));
    // The rules see the kernel-log events recorded in this boot up to the reading.
    let boot_events = {
        let lo = store
            .boot_start_ms(now.info.boot)
            .map_err(store_err)?
            .unwrap_or(i64::MIN);
        parse_events(&store.events(lo, now.info.wall_ms).map_err(store_err)?)
    };
    let cx = Context {
        now: &now.snapshot,
        before: before.as_ref().map(|b| &b.snapshot),
        interval: iv.as_ref(),
        events: &boot_events,
        kernel_log_read: kernel_log_followed(store, now.info.boot),
        lang,
    };
    let mut diagnosis = diagnose(&cx);
    diagnosis.extend(karte_engine::kernel_log_address_findings(
        &boot_events,
        lang,
    ));
    let summary = HealthSummary::new(&now.snapshot, iv.as_ref());
    let mut events: Vec<StoredEvent> = before.iter().flat_map(|b| b.events.clone()).collect();
    events.extend(now.events.iter().cloned());
    let mut notes = Vec::new();
    let off = (s.wall_ms - at_ms).abs();
    if off > 60_000 {
        notes.push(format!(
            "the nearest reading is {} from the time asked",
            karte_rules::fmt::duration(off as f64 / 1000.0)
        ));
    }
    if iv.is_none() {
        notes.push("no reading just before this one (the recorder started, or the host rebooted): no CPU shares or rates".into());
    }
    let users = user_names();
    let hz = f64::from(now.snapshot.host.user_hz.max(1));
    let page = now.snapshot.host.page_size_bytes;
    let cpu_of: HashMap<u32, f64> = iv
        .as_ref()
        .map(|i| i.processes.iter().map(|p| (p.pid, p.cpu_pct)).collect())
        .unwrap_or_default();
    let mut procs: Vec<ProcJson> = now
        .snapshot
        .processes
        .iter()
        .map(|p| ProcJson {
            pid: p.pid(),
            user: p.uid().and_then(|u| users.get(&u).cloned()),
            uid: p.uid(),
            state: p.stat.state.letter(),
            nice: p.stat.nice,
            cpu_pct: cpu_of.get(&p.pid()).copied(),
            rss_kb: p.rss_kb(page),
            cpu_time_s: p.stat.cpu_ticks() as f64 / hz,
            threads: p.stat.num_threads,
            kernel_thread: p.is_kernel_thread(),
            comm: p.stat.comm.clone(),
            command: p.display_name(),
        })
        .collect();
    procs.sort_by(|a, b| {
        b.cpu_pct
            .unwrap_or(0.0)
            .total_cmp(&a.cpu_pct.unwrap_or(0.0))
            .then(b.rss_kb.cmp(&a.rss_kb))
    });
    let mut out = std::io::stdout().lock();
    let status = diagnosis.worst().map(Severity::exit_status).unwrap_or(0);
    match args.format {
        Format::Json => {
            let j = AtJson {
                requested: rfc3339(at_ms),
                time: rfc3339(s.wall_ms),
                unix: s.unix_secs(),
                sample: s,
                interval_secs: iv.as_ref().map(|i| i.elapsed_secs),
                hostname: now.snapshot.host.hostname.as_deref(),
                findings: &diagnosis.findings,
                summary: &summary,
                per_cpu: iv.as_ref().map(|i| i.per_cpu.clone()).unwrap_or_default(),
                disks: iv.as_ref().map(|i| i.disks.clone()).unwrap_or_default(),
                nets: iv.as_ref().map(|i| i.nets.clone()).unwrap_or_default(),
                processes: procs,
                neighbours: &now.snapshot.arp,
                events: events_json(&events),
                notes,
            };
            serde_json::to_writer_pretty(&mut out, &j).map_err(|e| CliError::new(e.to_string()))?;
            writeln!(out)?;
        }
        Format::Text => {
            let st = render::Style::detect();
            let ja = lang == Lang::Ja;
            let mut t = String::new();
            let host = now.snapshot.host.hostname.as_deref().unwrap_or("?");
            let _ = writeln!(
                t,
                "{host} at {} (reading #{}{})",
                local(s.wall_ms),
                s.seq,
                iv.as_ref()
                    .map(|i| format!(", {:.0} s after the one before", i.elapsed_secs))
                    .unwrap_or_default()
            );
            t.push_str(&render::headline(&diagnosis, lang));
            t.push_str("\n\n");
            for f in &diagnosis.findings {
                render::finding(&mut t, f, lang, &st);
            }
            render::summary(&mut t, &summary, lang, &st);
            if let Some(i) = &iv
                && i.per_cpu.len() > 1
            {
                {
                    let _ = writeln!(t, "  {}", if ja { "CPU ごと" } else { "per CPU" });
                    for (n, c) in &i.per_cpu {
                        let _ = writeln!(
                            t,
                            "    cpu{n:<3} user {:>6} system {:>6} iowait {:>6} steal {:>6} idle {:>6}",
                            karte_rules::fmt::pct(c.user_pct + c.nice_pct),
                            karte_rules::fmt::pct(c.system_pct + c.irq_pct + c.softirq_pct),
                            karte_rules::fmt::pct(c.iowait_pct),
                            karte_rules::fmt::pct(c.steal_pct),
                            karte_rules::fmt::pct(c.idle_pct)
                        );
                    }
                }
            }
            let _ = writeln!(
                t,
                "\n  {:>7} {:<9} S  NI  {:>6} {:>9} {:>10} {:>4}  COMMAND",
                "PID", "USER", "%CPU", "RSS", "TIME", "THR"
            );
            for p in procs.iter().take(30) {
                let user = p
                    .user
                    .clone()
                    .or_else(|| p.uid.map(|u| u.to_string()))
                    .unwrap_or_else(|| "-".into());
                let user: String = user.chars().take(9).collect();
                let cmd: String = p.command.chars().take(80).collect();
                let _ = writeln!(
                    t,
                    "  {:>7} {:<9} {} {:>3}  {:>6} {:>9} {:>10} {:>4}  {cmd}",
                    p.pid,
                    user,
                    p.state,
                    p.nice,
                    p.cpu_pct
                        .map(karte_rules::fmt::pct)
                        .unwrap_or_else(|| "-".into()),
                    karte_rules::fmt::kb(p.rss_kb),
                    cpu_time(p.cpu_time_s),
                    p.threads
                );
            }
            if procs.len() > 30 {
                let _ = writeln!(
                    t,
                    "  … {} more (--format json lists them all)",
                    procs.len() - 30
                );
            }
            if !events.is_empty() {
                let _ = writeln!(
                    t,
                    "\n{}",
                    if ja {
                        "カーネルログのイベント"
                    } else {
                        "kernel-log events"
                    }
                );
                for e in &events {
                    let _ = writeln!(
                        t,
                        "  {} {} {}",
                        local(e.wall_ms.unwrap_or(s.wall_ms)),
                        e.kind,
                        event_line(e)
                    );
                }
            }
            for n in &notes {
                let _ = writeln!(t, "\nnote: {n}");
            }
            out.write_all(t.as_bytes())?;
        }
    }
    Ok(status)
}

/// One line for people: the kernel's own message when the event has one.
fn event_line(e: &StoredEvent) -> String {
    let v: Option<serde_json::Value> = serde_json::from_str(&e.json).ok();
    let msg = v
        .as_ref()
        .and_then(|v| v.get("message"))
        .and_then(|m| m.as_str())
        .map(str::to_string);
    let s = msg.unwrap_or_else(|| e.json.clone());
    s.chars().take(200).collect()
}

/// Stored events as JSON objects (not strings holding JSON).
fn events_json(events: &[StoredEvent]) -> Vec<serde_json::Value> {
    events
        .iter()
        .map(|e| {
            serde_json::json!({
                "seq": e.seq,
                "time": e.wall_ms.map(rfc3339),
                "kind": e.kind,
                "event": serde_json::from_str::<serde_json::Value>(&e.json).unwrap_or(serde_json::Value::Null),
            })
        })
        .collect()
}

fn cpu_time(s: f64) -> String {
    let s = s.max(0.0);
    let m = (s / 60.0).floor();
    if m >= 60.0 {
        format!("{}h{:02}m", (m / 60.0).floor(), (m % 60.0) as u64)
    } else {
        format!("{}:{:05.2}", m as u64, s - m * 60.0)
    }
}

// ------------------------------------------------------------------ --since/--until

/// A finding over consecutive intervals.
#[derive(Debug, Clone, Serialize)]
pub struct Span {
    pub first_ms: i64,
    pub last_ms: i64,
    pub intervals: u64,
    /// The reading that ends the last interval with the finding (to merge the next one).
    #[serde(skip)]
    last_seq: i64,
    /// The worst occurrence.
    pub finding: Finding,
}

/// One point of the charts, per interval.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChartPoint {
    pub t_ms: i64,
    pub load1: f64,
    pub cpus: f64,
    pub user: f64,
    pub system: f64,
    pub iowait: f64,
    pub steal: f64,
    pub mem_used_pct: f64,
    pub swap_used_pct: f64,
    pub disk_util: f64,
    pub net_rx: f64,
    pub net_tx: f64,
}

#[derive(Serialize)]
struct SpanJson<'a> {
    first: String,
    last: String,
    first_unix: f64,
    last_unix: f64,
    intervals: u64,
    #[serde(flatten)]
    finding: &'a Finding,
}

#[derive(Serialize)]
struct PeriodJson<'a> {
    hostname: Option<&'a str>,
    since: String,
    until: String,
    readings: usize,
    intervals_diagnosed: u64,
    findings: Vec<SpanJson<'a>>,
    loadavg: &'a Analysis,
    events: Vec<serde_json::Value>,
    notes: &'a [String],
    status: u8,
}

/// What the period's scan gathered.
pub struct Period {
    pub hostname: Option<String>,
    pub kernel: Option<String>,
    pub since_ms: i64,
    pub until_ms: i64,
    pub readings: usize,
    pub diagnosed: u64,
    pub spans: Vec<Span>,
    pub chart: Vec<ChartPoint>,
    pub analysis: Analysis,
    pub events: Vec<StoredEvent>,
    pub notes: Vec<String>,
}

fn chart_point(s: &Snapshot, iv: &Interval, t_ms: i64) -> ChartPoint {
    let mut c = ChartPoint {
        t_ms,
        ..Default::default()
    };
    c.load1 = s.loadavg.map_or(0.0, |l| l.load1);
    c.cpus = s.online_cpus().unwrap_or(0) as f64;
    if let Some(cpu) = iv.cpu {
        c.user = cpu.user_pct + cpu.nice_pct;
        c.system = cpu.system_pct + cpu.irq_pct + cpu.softirq_pct;
        c.iowait = cpu.iowait_pct;
        c.steal = cpu.steal_pct;
    }
    if let (Some(t), Some(a)) = (s.mem_kb("MemTotal"), s.mem_kb("MemAvailable"))
        && t > 0
    {
        c.mem_used_pct = t.saturating_sub(a) as f64 * 100.0 / t as f64;
    }
    if let (Some(t), Some(f)) = (s.mem_kb("SwapTotal"), s.mem_kb("SwapFree"))
        && t > 0
    {
        c.swap_used_pct = t.saturating_sub(f) as f64 * 100.0 / t as f64;
    }
    c.disk_util = iv
        .disks
        .iter()
        .filter(|d| !d.name.starts_with("loop") && !d.name.starts_with("ram"))
        .map(|d| d.util_pct)
        .fold(0.0, f64::max);
    for n in iv.nets.iter().filter(|n| n.name != "lo") {
        c.net_rx += n.rx_bytes_per_sec;
        c.net_tx += n.tx_bytes_per_sec;
    }
    c
}

/// Kernel-log events as stored by the recorder (the JSON of `karte events`), for the rules.
fn parse_events(stored: &[StoredEvent]) -> Vec<karte_kmsg::Event> {
    stored
        .iter()
        .filter_map(|e| serde_json::from_str(&e.json).ok())
        .collect()
}

/// Whether the recorder followed the kernel log during `boot` (it stores its position there).
fn kernel_log_followed(store: &Store, boot: i64) -> bool {
    store.kmsg_followed(boot)
}

/// Runs the rules over every recorded interval of the period.
pub fn diagnose_period(
    store: &mut Store,
    since_ms: i64,
    until_ms: i64,
    lang: Lang,
) -> Result<Period, CliError> {
    let samples = store
        .samples_between(since_ms, until_ms)
        .map_err(store_err)?;
    if samples.is_empty() {
        return Err(nothing_recorded(
            store,
            format!(
                "nothing recorded between {} and {}",
                local(since_ms),
                local(until_ms)
            ),
        ));
    }
    let mut spans: Vec<Span> = Vec::new();
    let mut open: HashMap<(&'static str, String), usize> = HashMap::new();
    let mut chart = Vec::with_capacity(samples.len());
    let mut load = Vec::with_capacity(samples.len());
    let mut forks = Vec::with_capacity(samples.len());
    let mut events = Vec::new();
    let mut notes = Vec::new();
    let mut prev: Option<Reading> = None;
    let mut diagnosed = 0u64;
    let mut boots = 0;
    let (mut hostname, mut kernel) = (None, None);
    let mut gaps = 0u64;
    let mut intervals: Vec<f64> = Vec::new();
    // The neighbour table, followed as `karte net --watch` follows it, for `neighbour-flap`.
    let mut neigh = karte_net::neigh::Tracker::new();
    let mut neigh_seeded = false;
    let mut last_arp: Vec<karte_procfs::net_arp::ArpEntry> = Vec::new();
    let mut neigh_changes = Vec::new();
    // Kernel-log events of the current boot so far, for the rules that read the log.
    let mut boot_events: Vec<karte_kmsg::Event> = Vec::new();
    let mut events_boot = None;
    let followed: HashMap<i64, bool> = samples
        .iter()
        .map(|s| s.boot)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|b| (b, kernel_log_followed(store, b)))
        .collect();
    store
        .scan(&samples, Want::ALL, |r| {
            if events_boot != Some(r.info.boot) {
                boot_events.clear();
                events_boot = Some(r.info.boot);
            }
            boot_events.extend(parse_events(&r.events));
            let t = r.info.unix_secs();
            if !neigh_seeded || r.snapshot.arp != last_arp {
                for n in karte_net::neigh::from_arp(&r.snapshot.arp) {
                    if neigh_seeded {
                        let at = u64::try_from(r.info.uptime_ms).unwrap_or(0);
                        let wall = u64::try_from(r.info.wall_ms).unwrap_or(0);
                        if let Some(c) = neigh.observe(&n, at, wall)
                            && c.kind != karte_net::ChangeKind::NewStation
                        {
                            neigh_changes.push((r.info.wall_ms, c));
                        }
                    } else {
                        neigh.seed(&n);
                    }
                }
                neigh_seeded = true;
                last_arp = r.snapshot.arp.clone();
            }
            if let Some(l) = r.snapshot.loadavg {
                load.push(LoadPoint {
                    t,
                    load1: l.load1,
                    load5: Some(l.load5),
                    load15: Some(l.load15),
                });
            }
            events.extend(r.events.iter().cloned());
            match &prev {
                Some(p) if p.info.boot == r.info.boot => {
                    if let Some(iv) = Interval::new(&p.snapshot, &r.snapshot) {
                        intervals.push(iv.elapsed_secs);
                        if let Some(f) = iv.forks_per_sec {
                            forks.push(RatePoint { t, per_s: f });
                        }
                        let cx = Context::pair(&p.snapshot, &r.snapshot, Some(&iv), lang)
                            .with_events(&boot_events);
                        let cx = Context {
                            kernel_log_read: followed.get(&r.info.boot).copied().unwrap_or(false),
                            ..cx
                        };
                        let mut d = diagnose(&cx);
                        d.extend(karte_engine::kernel_log_address_findings(
                            &boot_events,
                            lang,
                        ));
                        diagnosed += 1;
                        for f in d.findings {
                            let key = (f.rule, f.subjects.join("\u{1f}"));
                            match open.get(&key).copied() {
                                Some(i) if spans[i].last_seq == p.info.seq => {
                                    let s = &mut spans[i];
                                    s.last_ms = r.info.wall_ms;
                                    s.last_seq = r.info.seq;
                                    s.intervals += 1;
                                    if f.severity > s.finding.severity {
                                        s.finding = f;
                                    }
                                }
                                _ => {
                                    open.insert(key, spans.len());
                                    spans.push(Span {
                                        first_ms: p.info.wall_ms,
                                        last_ms: r.info.wall_ms,
                                        intervals: 1,
                                        last_seq: r.info.seq,
                                        finding: f,
                                    });
                                }
                            }
                        }
                        chart.push(chart_point(&r.snapshot, &iv, r.info.wall_ms));
                    } else {
                        gaps += 1;
                    }
                }
                Some(_) => boots += 1,
                None => {}
            }
            hostname = r.snapshot.host.hostname.clone().or(hostname.take());
            kernel = r.snapshot.host.kernel.clone().or(kernel.take());
            prev = Some(r);
            Ok(())
        })
        .map_err(store_err)?;
    if boots > 0 {
        notes.push(format!("the host rebooted {boots} time(s) in the period; intervals across a reboot are not diagnosed"));
    }
    if gaps > 0 {
        notes.push(format!(
            "{gaps} interval(s) could not be computed (no uptime, or it went backwards)"
        ));
    }
    intervals.sort_by(f64::total_cmp);
    if let Some(med) = intervals.get(intervals.len() / 2) {
        let long = intervals.iter().filter(|i| **i > med * 3.0).count();
        if long > 0 {
            notes.push(format!("{long} gap(s) longer than three intervals (the recorder was stopped, or the disk was full)"));
        }
    }
    if !neigh_changes.is_empty() {
        let first = neigh_changes
            .iter()
            .map(|(t, _)| *t)
            .min()
            .unwrap_or(since_ms);
        let last = neigh_changes
            .iter()
            .map(|(t, _)| *t)
            .max()
            .unwrap_or(until_ms);
        let changes: Vec<karte_net::NeighbourChange> =
            neigh_changes.into_iter().map(|(_, c)| c).collect();
        for f in karte_rules::rules::neighbour_flap::evaluate(&changes, lang) {
            spans.push(Span {
                first_ms: first,
                last_ms: last,
                intervals: changes.len() as u64,
                last_seq: 0,
                finding: f,
            });
        }
    }
    let mut opts = karte_loadavg::Options::default();
    if let Some(&med) = intervals.get(intervals.len() / 2) {
        opts.min_period_s = opts.min_period_s.max(med * 4.0);
    }
    let analysis = karte_loadavg::analyze(&load, &forks, &opts);
    if analysis.periodic {
        spans.push(Span {
            first_ms: since_ms.max(samples.first().map_or(since_ms, |s| s.wall_ms)),
            last_ms: until_ms.min(samples.last().map_or(until_ms, |s| s.wall_ms)),
            intervals: diagnosed,
            last_seq: 0,
            finding: loadavg_finding(&analysis, lang),
        });
    }
    spans.sort_by_key(|s| (s.first_ms, std::cmp::Reverse(s.finding.severity)));
    Ok(Period {
        hostname,
        kernel,
        since_ms,
        until_ms,
        readings: samples.len(),
        diagnosed,
        spans,
        chart,
        analysis,
        events,
        notes,
    })
}

/// The `loadavg-periodic` finding from the analysis of the recorded load.
fn loadavg_finding(a: &Analysis, lang: Lang) -> Finding {
    let ja = lang == Lang::Ja;
    let period = a
        .period_s
        .map(karte_loadavg::analyze::fmt_dur)
        .unwrap_or_default();
    let title = match (a.cause, ja) {
        (Some(Cause::SamplingBeat), false) => format!(
            "load peaks every {period}: the kernel's load sampling beating with a periodic process; harmless"
        ),
        (Some(Cause::SamplingBeat), true) => format!(
            "{period} ごとの負荷のピークは、カーネルの負荷サンプリングと周期的なプロセスのうなりです（無害）"
        ),
        (_, false) => format!("load peaks every {period}: a job that runs at that period"),
        (_, true) => format!("{period} ごとの負荷のピークは、その周期で動くジョブによるものです"),
    };
    let mut evidence = vec![format!(
        "{} peaks on a {period} comb over {} readings (score {:.1})",
        a.cycles_with_peak, a.samples, a.score
    )];
    if let Some(hz) = a.hz {
        evidence.push(format!("HZ={hz}: LOAD_FREQ = {} ticks", 5 * hz + 1));
    }
    if let Some(f) = a.forker_period_s {
        evidence.push(format!(
            "forks per second peak every {}",
            karte_loadavg::analyze::fmt_dur(f)
        ));
    }
    let remedy = match a.cause {
        Some(Cause::SamplingBeat) => vec![if ja {
            "対処は不要です。周期的にフォークするエージェント（監視エージェントなど）の間隔を 5 秒の倍数からずらせば消えます。".into()
        } else {
            "Nothing to fix. Moving the periodic forker (often a monitoring agent) off a whole-second period makes the wave go away.".into()
        }],
        _ => vec![if ja {
            "cron と systemd タイマー（systemctl list-timers）でその周期のジョブを探してください。"
                .into()
        } else {
            "Look for the job with that period in cron tables and systemd timers (systemctl list-timers).".into()
        }],
    };
    Finding {
        rule: "loadavg-periodic",
        severity: Severity::Info,
        title,
        summary: a.explanation.clone(),
        subjects: a
            .period_s
            .map(|p| vec![format!("period {p:.0} s")])
            .unwrap_or_default(),
        evidence,
        remedy,
    }
}

fn run_period(
    store: &mut Store,
    since_ms: i64,
    until_ms: i64,
    args: &Args,
    lang: Lang,
) -> CmdResult {
    let p = diagnose_period(store, since_ms, until_ms, lang)?;
    let status = p
        .spans
        .iter()
        .map(|s| s.finding.severity.exit_status())
        .max()
        .unwrap_or(0);
    if let Some(file) = &args.html {
        let page = html::page(&p, lang);
        std::fs::write(file, page)
            .map_err(|e| CliError::new(format!("{}: {e}", file.display())))?;
        if args.format == Format::Text {
            eprintln!(
                "karte report: wrote {} ({} readings, {} finding span(s))",
                file.display(),
                p.readings,
                p.spans.len()
            );
        }
    }
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            let findings = p
                .spans
                .iter()
                .map(|s| SpanJson {
                    first: rfc3339(s.first_ms),
                    last: rfc3339(s.last_ms),
                    first_unix: s.first_ms as f64 / 1000.0,
                    last_unix: s.last_ms as f64 / 1000.0,
                    intervals: s.intervals,
                    finding: &s.finding,
                })
                .collect();
            let j = PeriodJson {
                hostname: p.hostname.as_deref(),
                since: rfc3339(p.since_ms),
                until: rfc3339(p.until_ms),
                readings: p.readings,
                intervals_diagnosed: p.diagnosed,
                findings,
                loadavg: &p.analysis,
                events: events_json(&p.events),
                notes: &p.notes,
                status,
            };
            serde_json::to_writer_pretty(&mut out, &j).map_err(|e| CliError::new(e.to_string()))?;
            writeln!(out)?;
        }
        Format::Text if args.html.is_none() => {
            out.write_all(period_text(&p, lang).as_bytes())?;
        }
        Format::Text => {}
    }
    Ok(status)
}

fn period_text(p: &Period, lang: Lang) -> String {
    let st = render::Style::detect();
    let ja = lang == Lang::Ja;
    let mut t = String::new();
    let host = p.hostname.as_deref().unwrap_or("?");
    let _ = writeln!(
        t,
        "{host}  {} – {}  ({} readings, {} intervals diagnosed)",
        local(p.since_ms),
        local(p.until_ms),
        p.readings,
        p.diagnosed
    );
    let problems = p
        .spans
        .iter()
        .filter(|s| s.finding.severity >= Severity::Warning)
        .count();
    let _ = if ja {
        writeln!(
            t,
            "{}",
            if problems == 0 {
                "この期間に問題は見つかりませんでした。".to_string()
            } else {
                format!("この期間に {problems} 件の問題がありました。")
            }
        )
    } else {
        writeln!(
            t,
            "{}",
            if problems == 0 {
                "No problems found in the period.".to_string()
            } else {
                format!("{problems} problem span(s) in the period.")
            }
        )
    };
    t.push('\n');
    const SHOWN: usize = 40;
    for s in p.spans.iter().take(SHOWN) {
        let dur = (s.last_ms - s.first_ms) as f64 / 1000.0;
        let _ = writeln!(
            t,
            "{} – {}  ({}, {} interval(s))",
            local(s.first_ms),
            local(s.last_ms),
            karte_rules::fmt::duration(dur),
            s.intervals
        );
        render::finding(&mut t, &s.finding, lang, &st);
    }
    if p.spans.len() > SHOWN {
        let _ = writeln!(
            t,
            "… {} more span(s) (--format json lists them all)\n",
            p.spans.len() - SHOWN
        );
    }
    if !p.analysis.periodic {
        let _ = writeln!(
            t,
            "{} {}",
            if ja {
                "ロードアベレージの周期性:"
            } else {
                "load average periodicity:"
            },
            p.analysis.explanation
        );
    }
    if !p.events.is_empty() {
        let _ = writeln!(
            t,
            "\n{}",
            if ja {
                "カーネルログのイベント"
            } else {
                "kernel-log events"
            }
        );
        for e in &p.events {
            let _ = writeln!(
                t,
                "  {} {} {}",
                local(e.wall_ms.unwrap_or(0)),
                e.kind,
                event_line(e)
            );
        }
    }
    for n in &p.notes {
        let _ = writeln!(t, "note: {n}");
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        let now = 1_800_000_000_000;
        assert_eq!(parse_time("now", now), Ok(now));
        assert_eq!(parse_time("-2h", now), Ok(now - 7_200_000));
        assert_eq!(parse_time("-30m", now), Ok(now - 1_800_000));
        assert_eq!(parse_time("90s ago", now), Ok(now - 90_000));
        assert_eq!(parse_time("1800000000", now), Ok(now));
        assert_eq!(
            parse_time("2027-01-15T08:00:00Z", now),
            Ok(1_800_000_000_000)
        );
        let y = parse_time("yesterday", now).expect("yesterday");
        let d = parse_time("today", now).expect("today");
        assert!(d - y >= 23 * 3_600_000 && d - y <= 25 * 3_600_000);
        assert!(d <= now && now - d < 86_400_000);
        let l = parse_time("2026-11-22 03:12", now).expect("local");
        assert_eq!(local(l), "2026-11-22 03:12:00");
        assert!(parse_time("2026-11-22", now).is_ok());
        assert!(parse_time("03:12", now).is_ok());
        assert!(parse_time("-2x", now).is_err());
        assert!(parse_time("banana", now).is_err());
        assert!(parse_time("", now).is_err());
    }

    /// A recorded host whose load wave is the kernel's sampling beating with an agent that forks
    /// every 60 s: the period report names it.
    #[test]
    fn recorded_agent_beat_is_named() {
        use karte_loadavg::kernel::Avenrun;
        use karte_loadavg::sim::{Kernel, PeriodicJob, Workload, simulate};
        let dir = std::env::temp_dir().join(format!("karte-report-beat-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let db = dir.join("k.db");
        let k = Kernel::modern(1000);
        let agent = Workload::default().with_job(PeriodicJob {
            period_s: 60.0,
            run_s: 0.3,
            phase_s: 7.0,
            tasks: 1,
        });
        let times: Vec<f64> = (0..4 * 1440).map(|i| f64::from(i) * 60.0).collect();
        let series = simulate(k, &agent, Avenrun::default(), k.load_freq, &times);
        let mut w = Store::open_writer(&db, karte_store::WriterOptions::default()).expect("open");
        let t0 = 1_800_000_000.0;
        for (i, r) in series.iter().enumerate() {
            let mut s = Snapshot::default();
            s.host.unix_secs = Some(t0 + r.t);
            s.uptime = Some(karte_procfs::uptime::Uptime {
                up_secs: 100.0 + r.t,
                idle_secs: None,
            });
            let l = r.display.as_f64();
            s.loadavg = Some(karte_procfs::loadavg::LoadAvg {
                load1: l[0],
                load5: l[1],
                load15: l[2],
                runnable: 1,
                threads: 100,
                last_pid: None,
            });
            s.stat = Some(karte_procfs::stat::Stat {
                cpu: Some(karte_procfs::stat::CpuTicks {
                    user: i as u64 * 30,
                    idle: i as u64 * 5970,
                    fields: 10,
                    ..Default::default()
                }),
                cpus: vec![(
                    0,
                    karte_procfs::stat::CpuTicks {
                        user: i as u64 * 30,
                        idle: i as u64 * 5970,
                        fields: 10,
                        ..Default::default()
                    },
                )],
                processes: Some(1000 + i as u64),
                ..Default::default()
            });
            w.append(&s, &karte_store::Extra::default())
                .expect("append");
        }
        drop(w);
        let mut r = Store::open_reader(&db).expect("reader");
        let until = ((t0 + 4.0 * 86400.0) * 1000.0) as i64;
        let p = diagnose_period(&mut r, (t0 * 1000.0) as i64, until, Lang::En).expect("period");
        assert_eq!(p.readings, 4 * 1440);
        assert!(p.analysis.periodic, "{}", p.analysis.explanation);
        assert_eq!(
            p.analysis.cause,
            Some(Cause::SamplingBeat),
            "{}",
            p.analysis.explanation
        );
        let f = p
            .spans
            .iter()
            .find(|s| s.finding.rule == "loadavg-periodic")
            .expect("loadavg-periodic finding");
        assert!(f.finding.title.contains("harmless"), "{}", f.finding.title);
        let page = html::page(&p, Lang::En);
        assert!(
            page.contains("<svg")
                && page.contains("loadavg-periodic")
                && !page.contains("http://")
                && !page.contains("<script")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Two stations answering for one address in turn, seen in the recorded neighbour table.
    #[test]
    fn recorded_neighbour_flip_flop_is_found() {
        let dir = std::env::temp_dir().join(format!("karte-report-neigh-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let db = dir.join("k.db");
        let mut w = Store::open_writer(&db, karte_store::WriterOptions::default()).expect("open");
        let t0 = 1_800_000_000.0;
        for i in 0..12u32 {
            let mut s = Snapshot::default();
            s.host.unix_secs = Some(t0 + f64::from(i) * 10.0);
            s.uptime = Some(karte_procfs::uptime::Uptime {
                up_secs: 100.0 + f64::from(i) * 10.0,
                idle_secs: None,
            });
            let mac = if (i / 3) % 2 == 0 {
                "00:1b:21:aa:bb:cc"
            } else {
                "3c:22:fb:11:22:33"
            };
            s.arp = vec![karte_procfs::net_arp::ArpEntry {
                ip: std::net::Ipv4Addr::new(192, 0, 2, 10),
                hw_type: 1,
                flags: 2,
                mac: mac.into(),
                device: "eth0".into(),
            }];
            w.append(&s, &karte_store::Extra::default())
                .expect("append");
        }
        drop(w);
        let mut r = Store::open_reader(&db).expect("reader");
        let p = diagnose_period(
            &mut r,
            (t0 * 1000.0) as i64,
            ((t0 + 200.0) * 1000.0) as i64,
            Lang::En,
        )
        .expect("period");
        let f = p
            .spans
            .iter()
            .find(|s| s.finding.rule == "neighbour-flap")
            .expect("neighbour-flap");
        assert_eq!(f.finding.severity, Severity::Warning, "{}", f.finding.title);
        assert!(
            f.finding.title.contains("192.0.2.10"),
            "{}",
            f.finding.title
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn cpu_times() {
        assert_eq!(cpu_time(75.5), "1:15.50");
        assert_eq!(cpu_time(7300.0), "2h01m");
    }
}
