//! `karte doctor`: name the cause, show the evidence, give the fix.
//!
//! Live: two readings `--interval` apart plus the kernel log; `--bundle`: the bundle's first and
//! last readings and its kernel log; `--root`: one tree, so only the rules that need a single
//! reading judge. The exit status follows the monitoring-plugin convention (0 OK, 1 warning,
//! 2 critical, 3 unknown), so doctor works unchanged as a Nagios, Mackerel or Sensu check.

use super::common::{Host, HostArgs, bundle_options};
use super::{CliError, CmdResult};
use crate::render;
use karte_engine as engine;
use karte_rules::report::{Diagnosis, diagnose};
use karte_rules::{Context, Lang, Severity};
use karte_snapshot::summary::HealthSummary;
use karte_snapshot::{Interval, ReadOptions, Snapshot, read_snapshot};
use karte_source::Root;
use serde::Serialize;
use std::io::Write;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub host: HostArgs,
    /// Seconds between the two live readings
    #[arg(long, default_value_t = 2.0, value_name = "SECS")]
    pub interval: f64,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Language of the findings (default: from LC_ALL, LC_MESSAGES, LANG)
    #[arg(long, value_enum)]
    pub lang: Option<LangArg>,
    /// Skip the active duplicate-IP check (ARP probes) of live doctor
    #[arg(long)]
    pub no_net: bool,
    #[command(flatten)]
    pub fleet: super::fleet::FleetArgs,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LangArg {
    En,
    Ja,
}

impl LangArg {
    pub fn resolve(arg: Option<LangArg>) -> Lang {
        match arg {
            Some(LangArg::En) => Lang::En,
            Some(LangArg::Ja) => Lang::Ja,
            None => Lang::from_env(),
        }
    }
}

/// Exit status when doctor could not tell (monitoring-plugin UNKNOWN).
pub const EXIT_UNKNOWN: u8 = 3;

#[derive(Serialize)]
struct HostJson<'a> {
    hostname: Option<&'a str>,
    kernel: Option<&'a str>,
    cpus: Option<usize>,
    source: &'a str,
    interval_secs: Option<f64>,
}

#[derive(Serialize)]
struct DoctorJson<'a> {
    host: HostJson<'a>,
    findings: &'a [karte_rules::Finding],
    skipped: &'a [karte_rules::report::Skipped],
    summary: &'a HealthSummary,
    notes: &'a [String],
    status: u8,
}

/// The readings doctor works on.
struct Readings {
    before: Option<Snapshot>,
    now: Snapshot,
    events: Vec<karte_kmsg::Event>,
    kernel_log_read: bool,
    /// Findings from sources other than the readings (the network check).
    extra: Vec<karte_rules::Finding>,
    source: &'static str,
    notes: Vec<String>,
}

fn read_live(interval: f64, lang: Lang, net: bool) -> Readings {
    let root = Root::live();
    let before = read_snapshot(&root, &ReadOptions::live());
    // The ARP check takes about two seconds: run it while waiting for the second reading.
    let check =
        net.then(|| std::thread::spawn(|| karte_net::check(&karte_net::CheckOptions::default())));
    std::thread::sleep(Duration::from_secs_f64(interval));
    let now = read_snapshot(&root, &ReadOptions::live());
    let mut notes = Vec::new();
    let mut extra = Vec::new();
    match check.map(|h| h.join()) {
        Some(Ok(Ok(report))) => extra.extend(engine::net_check_findings(&report, lang)),
        Some(Ok(Err(e))) if e.is_permission() => notes.push(match lang {
            Lang::Ja => "重複 IP の検査は行いませんでした: raw ソケットに CAP_NET_RAW が必要です（root で実行してください）".to_string(),
            Lang::En => "duplicate-IP check skipped: the ARP probe needs CAP_NET_RAW (run as root)".to_string(),
        }),
        Some(Ok(Err(e))) => notes.push(format!("duplicate-IP check: {e}")),
        Some(Err(_)) => notes.push("duplicate-IP check failed".into()),
        None => {}
    }
    let (events, kmsg_note, kernel_log_read) = engine::live_kernel_log();
    notes.extend(kmsg_note);
    Readings {
        before: Some(before),
        now,
        events,
        kernel_log_read,
        extra,
        source: "live",
        notes,
    }
}

fn read_captured(b: &karte_source::Bundle, is_root: bool, lang: Lang) -> Readings {
    let last = b.readings.len() - 1;
    let now = read_snapshot(&b.readings[last], &bundle_options(b, last));
    let before = (last > 0).then(|| read_snapshot(&b.readings[0], &bundle_options(b, 0)));
    let mut extra = Vec::new();
    if let Some(b0) = &before {
        extra.extend(engine::neighbour_findings(b0, &now, lang));
    }
    let events = match &b.kmsg {
        Some(k) => {
            let opts = karte_kmsg::Options {
                page_size: now.host.page_size_bytes,
                ..Default::default()
            };
            karte_kmsg::parse_bytes(k, &opts)
        }
        None => Vec::new(),
    };
    let mut notes = b.notes.clone();
    if b.kmsg.is_none() && !is_root {
        notes.push("the bundle has no kernel log (kmsg.txt): OOM kills, hung tasks and hardware errors are not known".into());
    }
    Readings {
        before,
        now,
        events,
        kernel_log_read: b.kmsg.is_some(),
        extra,
        source: if is_root { "root" } else { "bundle" },
        notes,
    }
}

pub fn run(args: Args) -> CmdResult {
    if !(args.interval.is_finite() && (0.1..=3600.0).contains(&args.interval)) {
        return Err(CliError::with_code(
            "--interval must be between 0.1 and 3600 seconds",
            2,
        ));
    }
    let lang = LangArg::resolve(args.lang);
    if args.fleet.prometheus.is_some() {
        return super::fleet::run(&args.fleet, args.format, lang);
    }
    let host = args
        .host
        .open()
        .map_err(|e| CliError::with_code(e.message, EXIT_UNKNOWN))?;
    let r = match &host {
        Host::Live => read_live(args.interval, lang, !args.no_net),
        Host::Captured(b) => read_captured(b, args.host.root.is_some(), lang),
    };
    let interval = r.before.as_ref().and_then(|b| Interval::new(b, &r.now));
    let cx = Context {
        now: &r.now,
        before: r.before.as_ref(),
        interval: interval.as_ref(),
        events: &r.events,
        kernel_log_read: r.kernel_log_read,
        lang,
    };
    let mut diagnosis = diagnose(&cx);
    let mut extra = r.extra.clone();
    extra.extend(engine::kernel_log_address_findings(&r.events, lang));
    diagnosis.extend(extra);
    let mut notes = r.notes.clone();
    notes.extend(r.now.notes.iter().cloned());
    if let Some(iv) = &interval {
        notes.extend(iv.notes.iter().cloned());
    }
    let could_not_tell = r.now.stat.is_none() && r.now.meminfo.is_none();
    let status = if could_not_tell {
        EXIT_UNKNOWN
    } else {
        diagnosis.worst().map(Severity::exit_status).unwrap_or(0)
    };
    let summary = HealthSummary::new(&r.now, interval.as_ref());
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            let j = DoctorJson {
                host: HostJson {
                    hostname: r.now.host.hostname.as_deref(),
                    kernel: r.now.host.kernel.as_deref(),
                    cpus: r.now.online_cpus(),
                    source: r.source,
                    interval_secs: interval.as_ref().map(|i| i.elapsed_secs),
                },
                findings: &diagnosis.findings,
                skipped: &diagnosis.skipped,
                summary: &summary,
                notes: &notes,
                status,
            };
            serde_json::to_writer_pretty(&mut out, &j)?;
            writeln!(out)?;
        }
        Format::Text => {
            let text = render_text(&r, &diagnosis, &summary, &notes, lang, could_not_tell);
            out.write_all(text.as_bytes())?;
        }
    }
    Ok(status)
}

fn render_text(
    r: &Readings,
    d: &Diagnosis,
    h: &HealthSummary,
    notes: &[String],
    lang: Lang,
    could_not_tell: bool,
) -> String {
    let st = render::Style::detect();
    let mut s = String::new();
    let ja = lang == Lang::Ja;
    if could_not_tell {
        s.push_str(if ja {
            "判定できません: /proc/stat も /proc/meminfo も読めませんでした。\n"
        } else {
            "Could not tell: neither /proc/stat nor /proc/meminfo could be read.\n"
        });
    } else {
        s.push_str(&render::headline(d, lang));
        s.push('\n');
    }
    let host = r.now.host.hostname.as_deref().unwrap_or("?");
    let kernel = r.now.host.kernel.as_deref().unwrap_or("?");
    let how = match (r.source, ja) {
        ("live", false) => format!(
            "live, {:.1} s between readings",
            h.interval_secs.unwrap_or(0.0)
        ),
        ("live", true) => format!(
            "稼働中のホスト、読み取り間隔 {:.1} 秒",
            h.interval_secs.unwrap_or(0.0)
        ),
        ("bundle", false) => "from a bundle".into(),
        ("bundle", true) => "バンドルから".into(),
        (_, false) => "from a single tree: only single-reading rules".into(),
        (_, true) => "単一のツリーから（1回の読み取りで判定できる規則のみ）".into(),
    };
    s.push_str(&format!("{host}  Linux {kernel}  ({how})\n\n"));
    for f in &d.findings {
        render::finding(&mut s, f, lang, &st);
    }
    render::summary(&mut s, h, lang, &st);
    if !notes.is_empty() {
        s.push_str(if ja { "\n注記:\n" } else { "\nnotes:\n" });
        for n in notes {
            s.push_str(&format!("  - {n}\n"));
        }
    }
    s
}
