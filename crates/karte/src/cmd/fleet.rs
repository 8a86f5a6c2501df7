//! `karte doctor --prometheus URL (--instance HOST | --all)`: the diagnosis over the history a
//! Prometheus server (or Thanos, Mimir, VictoriaMetrics) already holds, for hosts with or without
//! karte. The work is in `karte-fleet`; this module reads options and secrets, and prints.
//!
//! Exit status as doctor's: the worst over the instances (2 critical, 1 warning, 0 OK), 3 when
//! Prometheus could not be read or no instance could be judged.

use super::doctor::{EXIT_UNKNOWN, Format};
use super::{CliError, CmdResult};
use crate::render;
use karte_fleet::diagnosis::{InstanceReport, NotRun, PartlyRun, Span, StealBaseline};
use karte_fleet::time::{parse_duration, parse_time, rfc3339, short};
use karte_fleet::{Auth, Client, ClientConfig, FleetOptions, Limits, Period, fleet_status};
use karte_rules::report::Diagnosis;
use karte_rules::{Lang, Severity, fmt};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Environment variable holding the basic-auth password.
pub const PASSWORD_ENV: &str = "KARTE_PROMETHEUS_PASSWORD";
/// Environment variable holding the bearer token.
pub const TOKEN_ENV: &str = "KARTE_PROMETHEUS_BEARER_TOKEN";

/// Options of doctor that select the Prometheus mode.
#[derive(clap::Args, Debug, Default)]
pub struct FleetArgs {
    /// Diagnose from a Prometheus server's history instead of this host (URL of the server,
    /// with its path prefix if any: https://mimir.example/prometheus)
    #[arg(long, value_name = "URL", help_heading = "Prometheus")]
    pub prometheus: Option<String>,
    /// The instance to diagnose: its `instance` label (HOST alone matches HOST:PORT)
    #[arg(
        long,
        value_name = "HOST",
        requires = "prometheus",
        conflicts_with = "all",
        help_heading = "Prometheus"
    )]
    pub instance: Option<String>,
    /// Diagnose every instance with node_exporter (or karte) data: one line per host, worst first
    #[arg(long, requires = "prometheus", help_heading = "Prometheus")]
    pub all: bool,
    /// Start of the period: -6h, 2d, now-90m, Unix seconds or RFC 3339 [default: -6h]
    #[arg(
        long,
        value_name = "TIME",
        allow_hyphen_values = true,
        requires = "prometheus",
        help_heading = "Prometheus"
    )]
    pub since: Option<String>,
    /// End of the period [default: now]
    #[arg(
        long,
        value_name = "TIME",
        allow_hyphen_values = true,
        requires = "prometheus",
        help_heading = "Prometheus"
    )]
    pub until: Option<String>,
    /// Time between the two readings of each step the rules judge (at least twice the scrape
    /// interval) [default: 5m]
    #[arg(
        long,
        value_name = "DURATION",
        requires = "prometheus",
        help_heading = "Prometheus"
    )]
    pub step: Option<String>,
    /// Only series of this job (when several jobs scrape the same instances)
    #[arg(
        long,
        value_name = "JOB",
        requires = "prometheus",
        help_heading = "Prometheus"
    )]
    pub job: Option<String>,
    /// How much node_load1 history loadavg-periodic looks at, ending at --until; 0 turns it off
    /// [default: 4d]
    #[arg(
        long,
        value_name = "DURATION",
        requires = "prometheus",
        help_heading = "Prometheus"
    )]
    pub loadavg_window: Option<String>,
    /// Basic-auth user; the password comes from $KARTE_PROMETHEUS_PASSWORD or
    /// --prometheus-password-file, never from the command line
    #[arg(
        long,
        value_name = "USER",
        env = "KARTE_PROMETHEUS_USER",
        help_heading = "Prometheus"
    )]
    pub prometheus_user: Option<String>,
    /// File holding the basic-auth password (first line)
    #[arg(
        long,
        value_name = "FILE",
        requires = "prometheus",
        help_heading = "Prometheus"
    )]
    pub prometheus_password_file: Option<PathBuf>,
    /// File holding a bearer token (or set $KARTE_PROMETHEUS_BEARER_TOKEN)
    #[arg(
        long,
        value_name = "FILE",
        requires = "prometheus",
        help_heading = "Prometheus"
    )]
    pub prometheus_bearer_token_file: Option<PathBuf>,
    /// PEM file of the CA certificate(s) to trust for https (instead of the bundled web roots)
    #[arg(
        long,
        value_name = "FILE",
        requires = "prometheus",
        help_heading = "Prometheus"
    )]
    pub prometheus_ca: Option<PathBuf>,
    /// Extra request header, e.g. "X-Scope-OrgID: tenant1" for Mimir or Cortex (repeatable)
    #[arg(
        long = "prometheus-header",
        value_name = "NAME: VALUE",
        requires = "prometheus",
        help_heading = "Prometheus"
    )]
    pub prometheus_headers: Vec<String>,
    /// Seconds one request may take
    #[arg(
        long,
        value_name = "SECS",
        requires = "prometheus",
        help_heading = "Prometheus"
    )]
    pub prometheus_timeout: Option<f64>,
    /// Instances diagnosed at the same time with --all [default: 4]
    #[arg(
        long,
        value_name = "N",
        requires = "prometheus",
        help_heading = "Prometheus"
    )]
    pub parallel: Option<usize>,
}

fn usage(m: impl Into<String>) -> CliError {
    CliError::with_code(m, EXIT_UNKNOWN)
}

fn read_secret(path: &PathBuf, what: &str) -> Result<String, CliError> {
    let s = std::fs::read_to_string(path)
        .map_err(|e| usage(format!("{what} {}: {e}", path.display())))?;
    let line = s
        .lines()
        .next()
        .unwrap_or("")
        .trim_end_matches(['\r', '\n'])
        .to_string();
    if line.is_empty() {
        return Err(usage(format!("{what} {}: empty", path.display())));
    }
    Ok(line)
}

fn env_secret(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The client's configuration from the options and the environment.
pub fn client_config(a: &FleetArgs) -> Result<ClientConfig, CliError> {
    let url = a.prometheus.clone().unwrap_or_default();
    let token = match &a.prometheus_bearer_token_file {
        Some(p) => Some(read_secret(p, "--prometheus-bearer-token-file")?),
        None => env_secret(TOKEN_ENV),
    };
    let auth = match (&a.prometheus_user, token) {
        (Some(_), Some(_)) => {
            return Err(usage(
                "give either basic auth (--prometheus-user) or a bearer token, not both",
            ));
        }
        (Some(user), None) => {
            let password = match &a.prometheus_password_file {
                Some(p) => read_secret(p, "--prometheus-password-file")?,
                None => env_secret(PASSWORD_ENV).ok_or_else(|| usage(format!("--prometheus-user needs a password: set ${PASSWORD_ENV} or give --prometheus-password-file")))?,
            };
            Auth::Basic {
                user: user.clone(),
                password,
            }
        }
        (None, Some(t)) => Auth::Bearer(t),
        (None, None) => {
            if a.prometheus_password_file.is_some() {
                return Err(usage("--prometheus-password-file needs --prometheus-user"));
            }
            Auth::None
        }
    };
    let mut headers = Vec::new();
    for h in &a.prometheus_headers {
        let Some((k, v)) = h.split_once(':') else {
            return Err(usage(format!(
                "--prometheus-header {h:?}: write it as \"Name: value\""
            )));
        };
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let ca_pem = match &a.prometheus_ca {
        Some(p) => Some(
            std::fs::read(p).map_err(|e| usage(format!("--prometheus-ca {}: {e}", p.display())))?,
        ),
        None => None,
    };
    let timeout = a.prometheus_timeout.unwrap_or(60.0);
    if !(timeout.is_finite() && (0.1..=3600.0).contains(&timeout)) {
        return Err(usage(
            "--prometheus-timeout must be between 0.1 and 3600 seconds",
        ));
    }
    Ok(ClientConfig {
        url,
        auth,
        headers,
        ca_pem,
        timeout: Duration::from_secs_f64(timeout),
        limits: Limits::default(),
    })
}

/// The period and options from the arguments, relative to `now`.
pub fn fleet_options(a: &FleetArgs, lang: Lang, now: f64) -> Result<FleetOptions, CliError> {
    let since = a.since.as_deref().unwrap_or("-6h");
    let until = a.until.as_deref().unwrap_or("now");
    let start = parse_time(since, now).ok_or_else(|| {
        usage(format!(
            "--since {since:?}: not a time (-6h, 2d, now-90m, 1714521600, 2024-05-01T00:00:00Z)"
        ))
    })?;
    let end =
        parse_time(until, now).ok_or_else(|| usage(format!("--until {until:?}: not a time")))?;
    let step_s = a.step.as_deref().unwrap_or("5m");
    let step = parse_duration(step_s)
        .ok_or_else(|| usage(format!("--step {step_s:?}: not a duration (5m, 300s, 1h)")))?;
    if !(10.0..=86_400.0).contains(&step) {
        return Err(usage("--step must be between 10s and 1d"));
    }
    if end - start < 2.0 * step {
        return Err(usage(format!(
            "the period ({} to {}) must hold at least two steps of {}",
            rfc3339(start),
            rfc3339(end),
            dur(step, lang)
        )));
    }
    if (end - start) / step > 50_000.0 {
        return Err(usage(format!(
            "{} steps of {}: too many; use a larger --step",
            ((end - start) / step) as u64,
            dur(step, lang)
        )));
    }
    let lw = a.loadavg_window.as_deref().unwrap_or("4d");
    let loadavg = if matches!(lw.trim(), "0" | "off" | "none") {
        None
    } else {
        let w = parse_duration(lw).ok_or_else(|| {
            usage(format!(
                "--loadavg-window {lw:?}: not a duration (4d, 1w; 0 turns it off)"
            ))
        })?;
        // 60 s resolves the humps of load1 (a time constant of a minute); coarser for long windows.
        let lstep = (w / 20_000.0).max(60.0).ceil();
        Some((w, lstep))
    };
    Ok(FleetOptions {
        period: Period { start, end, step },
        job: a.job.clone(),
        loadavg,
        lang,
        parallel: a.parallel.unwrap_or(4).clamp(1, 32),
    })
}

#[derive(Serialize)]
struct PeriodJson {
    start: String,
    end: String,
    step_secs: f64,
    loadavg_window_secs: Option<f64>,
}

#[derive(Serialize)]
struct HostJson<'a> {
    instance: &'a str,
    hostname: Option<&'a str>,
    kernel: Option<&'a str>,
    cpus: Option<usize>,
    source: &'static str,
    karte_on_host: bool,
}

/// One instance in the shape of `doctor --format json`, plus the period's extras.
#[derive(Serialize)]
struct InstanceJson<'a> {
    host: HostJson<'a>,
    status: u8,
    findings: &'a [Span],
    /// Rules that could not run for this instance, and why (as doctor's `skipped`).
    skipped: &'a [NotRun],
    partly_run: &'a [PartlyRun],
    steps: usize,
    steps_judged: usize,
    steal_baseline: Option<StealBaseline>,
    loadavg: Option<&'a karte_fleet::diagnosis::LoadavgSummary>,
    notes: &'a [String],
    error: Option<&'a str>,
}

fn instance_json(r: &InstanceReport) -> InstanceJson<'_> {
    InstanceJson {
        host: HostJson {
            instance: &r.instance,
            hostname: r.hostname.as_deref(),
            kernel: r.kernel.as_deref(),
            cpus: r.cpus,
            source: "prometheus",
            karte_on_host: r.karte_on_host,
        },
        status: r.status,
        findings: &r.findings,
        skipped: &r.not_run,
        partly_run: &r.partly_run,
        steps: r.steps,
        steps_judged: r.steps_judged,
        steal_baseline: r.steal_baseline,
        loadavg: r.loadavg.as_ref(),
        notes: &r.notes,
        error: r.error.as_deref(),
    }
}

#[derive(Serialize)]
struct OneJson<'a> {
    prometheus: &'a str,
    period: PeriodJson,
    #[serde(flatten)]
    instance: InstanceJson<'a>,
}

#[derive(Serialize, Default)]
struct Counts {
    critical: usize,
    warning: usize,
    unknown: usize,
    ok: usize,
}

#[derive(Serialize)]
struct AllJson<'a> {
    prometheus: &'a str,
    period: PeriodJson,
    status: u8,
    counts: Counts,
    instances: Vec<InstanceJson<'a>>,
    warnings: &'a [String],
}

fn period_json(o: &FleetOptions) -> PeriodJson {
    let g = o.period.grid();
    PeriodJson {
        start: rfc3339(g.start),
        end: rfc3339(g.end()),
        step_secs: g.step,
        loadavg_window_secs: o.loadavg.map(|l| l.0),
    }
}

pub fn run(args: &FleetArgs, format: Format, lang: Lang) -> CmdResult {
    if args.instance.is_none() && !args.all {
        return Err(usage("--prometheus needs --instance HOST or --all"));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let opts = fleet_options(args, lang, now)?;
    let client = Client::new(&client_config(args)?).map_err(|e| usage(e.to_string()))?;
    let mut out = std::io::stdout().lock();
    if let Some(wanted) = &args.instance {
        let r = karte_fleet::diagnose_one(&client, wanted, &opts)
            .map_err(|e| CliError::with_code(e.to_string(), EXIT_UNKNOWN))?;
        match format {
            Format::Json => {
                let j = OneJson {
                    prometheus: client.base_url(),
                    period: period_json(&opts),
                    instance: instance_json(&r),
                };
                serde_json::to_writer_pretty(&mut out, &j)
                    .map_err(|e| CliError::new(e.to_string()))?;
                writeln!(out)?;
            }
            Format::Text => {
                out.write_all(render_one(&r, &opts, client.base_url(), lang).as_bytes())?
            }
        }
        return Ok(r.status);
    }
    let rep = karte_fleet::diagnose_all(&client, &opts)
        .map_err(|e| CliError::with_code(e.to_string(), EXIT_UNKNOWN))?;
    let status = fleet_status(&rep.instances);
    match format {
        Format::Json => {
            let j = AllJson {
                prometheus: client.base_url(),
                period: period_json(&opts),
                status,
                counts: counts(&rep.instances),
                instances: rep.instances.iter().map(instance_json).collect(),
                warnings: &rep.warnings,
            };
            serde_json::to_writer_pretty(&mut out, &j).map_err(|e| CliError::new(e.to_string()))?;
            writeln!(out)?;
        }
        Format::Text => out.write_all(
            render_all(
                &rep.instances,
                &rep.warnings,
                &opts,
                client.base_url(),
                lang,
            )
            .as_bytes(),
        )?,
    }
    Ok(status)
}

fn counts(rs: &[InstanceReport]) -> Counts {
    let mut c = Counts::default();
    for r in rs {
        match r.status {
            2 => c.critical += 1,
            1 => c.warning += 1,
            3 => c.unknown += 1,
            _ => c.ok += 1,
        }
    }
    c
}

fn dur(secs: f64, lang: Lang) -> String {
    karte_fleet::time::human(secs, lang)
}

fn period_line(o: &FleetOptions, url: &str, lang: Lang) -> String {
    let g = o.period.grid();
    let steps = g.len.saturating_sub(1);
    if lang == Lang::Ja {
        format!(
            "Prometheus {url}、{} 〜 {} UTC、{} 刻み × {steps}",
            short(g.start),
            short(g.end()),
            dur(g.step, lang)
        )
    } else {
        format!(
            "Prometheus {url}, {} to {} UTC, {steps} steps of {}",
            short(g.start),
            short(g.end()),
            dur(g.step, lang)
        )
    }
}

/// Groups rules that could not run by reason: "a, b: reason".
fn not_run_lines(n: &[NotRun]) -> Vec<String> {
    let mut by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for x in n {
        by.entry(x.reason.as_str())
            .or_default()
            .push(x.rule.as_str());
    }
    let mut v: Vec<(String, usize)> = by
        .into_iter()
        .map(|(reason, rules)| (format!("{}: {reason}", rules.join(", ")), rules.len()))
        .collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.into_iter().map(|(s, _)| s).collect()
}

fn render_one(r: &InstanceReport, o: &FleetOptions, url: &str, lang: Lang) -> String {
    let st = render::Style::detect();
    let ja = lang == Lang::Ja;
    let mut s = String::new();
    if let Some(e) = &r.error {
        s.push_str(&if ja {
            format!("判定できません: {e}\n")
        } else {
            format!("Could not tell: {e}\n")
        });
    } else {
        let d = Diagnosis {
            findings: r.findings.iter().map(|x| x.finding.clone()).collect(),
            skipped: Vec::new(),
            rules_run: 0,
        };
        s.push_str(&render::headline(&d, lang));
        s.push('\n');
    }
    let mut who = vec![r.instance.clone()];
    if let Some(h) = r.hostname.as_deref().filter(|h| *h != r.instance) {
        who.push(h.to_string());
    }
    if let Some(k) = &r.kernel {
        who.push(format!("Linux {k}"));
    }
    if let Some(c) = r.cpus {
        who.push(if ja {
            format!("CPU {c} 個")
        } else {
            format!("{c} CPUs")
        });
    }
    s.push_str(&format!(
        "{}  ({})\n",
        who.join("  "),
        period_line(o, url, lang)
    ));
    s.push_str(&if ja {
        format!("判定できた刻み: {} / {}\n\n", r.steps_judged, r.steps)
    } else {
        format!("steps judged: {} of {}\n\n", r.steps_judged, r.steps)
    });
    for f in &r.findings {
        render::finding(&mut s, &f.finding, lang, &st);
    }
    if let Some(b) = &r.steal_baseline {
        s.push_str(&if ja {
            format!(
                "steal の基準（期間の中央値）: {}、95 パーセンタイル {}、最大 {}\n",
                fmt::pct(b.median_pct),
                fmt::pct(b.p95_pct),
                fmt::pct(b.max_pct)
            )
        } else {
            format!(
                "steal baseline (median over the period): {}, 95th percentile {}, max {}\n",
                fmt::pct(b.median_pct),
                fmt::pct(b.p95_pct),
                fmt::pct(b.max_pct)
            )
        });
    }
    if let Some(l) = r.loadavg.as_ref().filter(|l| l.samples >= 16) {
        let what = match (l.periodic, l.period_s) {
            (true, Some(p)) => format!(
                "{} {}",
                if ja { "周期" } else { "periodic, every" },
                karte_loadavg::analyze::fmt_dur(p)
            ),
            _ => (if ja {
                "周期的な山なし"
            } else {
                "no periodic peaks"
            })
            .to_string(),
        };
        s.push_str(&if ja {
            format!(
                "node_load1 の周期解析（{}、{} 点）: {what}\n",
                dur(l.window_s, lang),
                l.samples
            )
        } else {
            format!(
                "node_load1 over {} ({} readings) for loadavg-periodic: {what}\n",
                dur(l.window_s, lang),
                l.samples
            )
        });
    }
    if !r.not_run.is_empty() {
        s.push_str(if ja {
            "\nデータがなく判定できなかった規則:\n"
        } else {
            "\ncould not run for lack of data:\n"
        });
        for l in not_run_lines(&r.not_run) {
            s.push_str(&format!("  - {l}\n"));
        }
    }
    if !r.partly_run.is_empty() {
        s.push_str(if ja {
            "\n一部の刻みだけ判定した規則:\n"
        } else {
            "\njudged only part of the period:\n"
        });
        for p in &r.partly_run {
            s.push_str(&if ja {
                format!(
                    "  - {}: {} / {} 刻み（{}）\n",
                    p.rule, p.judged_steps, p.steps, p.reason
                )
            } else {
                format!(
                    "  - {}: {} of {} steps ({})\n",
                    p.rule, p.judged_steps, p.steps, p.reason
                )
            });
        }
    }
    if !r.notes.is_empty() {
        s.push_str(if ja { "\n注記:\n" } else { "\nnotes:\n" });
        for n in &r.notes {
            s.push_str(&format!("  - {n}\n"));
        }
    }
    s
}

fn sev_label(status: u8, ja: bool) -> &'static str {
    match (status, ja) {
        (2, false) => "CRITICAL",
        (1, false) => "WARNING",
        (3, false) => "UNKNOWN",
        (_, false) => "OK",
        (2, true) => "重大",
        (1, true) => "警告",
        (3, true) => "不明",
        (_, true) => "正常",
    }
}

/// The one-line summary of a host: its worst finding, how long it held, and what else.
pub fn summary_line(r: &InstanceReport, lang: Lang) -> String {
    let ja = lang == Lang::Ja;
    if let Some(e) = &r.error {
        return e.clone();
    }
    let Some(top) = r.findings.first() else {
        return String::new();
    };
    let mut s = format!("{}: {}", top.finding.rule, top.finding.title);
    if top.source != "loadavg" && top.steps > 1 {
        s.push_str(&if ja {
            format!("（{}）", dur(top.secs(), lang))
        } else {
            format!(" ({})", dur(top.secs(), lang))
        });
    }
    let mut others: Vec<&str> = Vec::new();
    for f in r.findings.iter().skip(1) {
        let shown =
            f.finding.severity >= Severity::Warning || top.finding.severity == Severity::Info;
        if shown && !others.contains(&f.finding.rule) && f.finding.rule != top.finding.rule {
            others.push(f.finding.rule);
        }
    }
    if !others.is_empty() {
        s.push_str(&if ja {
            format!("、ほか {}", others.join(", "))
        } else {
            format!("; also {}", others.join(", "))
        });
    }
    if top.finding.severity == Severity::Info {
        s = format!("{} {s}", if ja { "情報" } else { "info" });
    }
    s
}

fn render_all(
    rs: &[InstanceReport],
    warnings: &[String],
    o: &FleetOptions,
    url: &str,
    lang: Lang,
) -> String {
    let ja = lang == Lang::Ja;
    let c = counts(rs);
    let mut s = String::new();
    if rs.is_empty() {
        let job = o
            .job
            .as_deref()
            .map(|j| format!(" (job {j:?})"))
            .unwrap_or_default();
        s.push_str(&if ja {
            format!(
                "node_exporter（または karte）のデータがあるインスタンスがありません{job}（{}）\n",
                period_line(o, url, lang)
            )
        } else {
            format!(
                "No instance has node_exporter (or karte) data{job} ({})\n",
                period_line(o, url, lang)
            )
        });
        return s;
    }
    s.push_str(&if ja {
        format!(
            "{} インスタンス（{}）\n重大 {}、警告 {}、不明 {}、正常 {}\n\n",
            rs.len(),
            period_line(o, url, lang),
            c.critical,
            c.warning,
            c.unknown,
            c.ok
        )
    } else {
        format!(
            "{} instances ({})\n{} critical, {} warning, {} unknown, {} OK\n\n",
            rs.len(),
            period_line(o, url, lang),
            c.critical,
            c.warning,
            c.unknown,
            c.ok
        )
    });
    let width = rs
        .iter()
        .map(|r| r.instance.chars().count())
        .max()
        .unwrap_or(0)
        .min(40);
    let mut quiet: Vec<&str> = Vec::new();
    for r in rs {
        let line = summary_line(r, lang);
        if r.status == 0 && line.is_empty() {
            quiet.push(&r.instance);
            continue;
        }
        let mut l = format!(
            "{:<8}  {:<width$}  {line}",
            sev_label(r.status, ja),
            r.instance
        );
        if l.chars().count() > 160 {
            l = l.chars().take(157).collect::<String>() + "...";
        }
        s.push_str(&l);
        s.push('\n');
    }
    if !quiet.is_empty() {
        let head = format!("{:<8}  ", sev_label(0, ja));
        let intro = if ja {
            format!("所見なし {} 台: ", quiet.len())
        } else {
            format!("{} with nothing found: ", quiet.len())
        };
        let mut line = format!("{head}{intro}");
        let indent = " ".repeat(head.chars().count() + 2);
        for (k, q) in quiet.iter().enumerate() {
            let item = if k + 1 < quiet.len() {
                format!("{q}, ")
            } else {
                q.to_string()
            };
            if line.chars().count() + item.chars().count() > 100 && !line.trim_end().ends_with(':')
            {
                s.push_str(line.trim_end());
                s.push('\n');
                line = indent.clone();
            }
            line.push_str(&item);
        }
        s.push_str(&line);
        s.push('\n');
    }
    // Rules that could not run, over the fleet.
    let mut by: BTreeMap<(String, String), usize> = BTreeMap::new();
    let host_only = if ja {
        "ホスト上の karte が必要です（プロセス表、カーネルログ、sysctl、ARP、近隣テーブル）"
    } else {
        "need karte on the host (process table, kernel log, sysctls, ARP, neighbour table)"
    };
    for r in rs.iter().filter(|r| r.error.is_none()) {
        for n in &r.not_run {
            let reason = if n.needs_karte {
                host_only.to_string()
            } else {
                n.reason.clone()
            };
            *by.entry((reason, n.rule.clone())).or_default() += 1;
        }
    }
    if !by.is_empty() {
        let judged = rs.iter().filter(|r| r.error.is_none()).count();
        let mut grouped: BTreeMap<(String, usize), Vec<String>> = BTreeMap::new();
        for ((reason, rule), n) in by {
            grouped.entry((reason, n)).or_default().push(rule);
        }
        let mut lines: Vec<(usize, String)> = grouped
            .into_iter()
            .map(|((reason, n), rules)| {
                (
                    n,
                    if ja {
                        format!("  - {}: {reason}（{judged} 台中 {n} 台）", rules.join(", "))
                    } else {
                        format!(
                            "  - {}: {reason} ({n} of {judged} instances)",
                            rules.join(", ")
                        )
                    },
                )
            })
            .collect();
        lines.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        s.push_str(if ja {
            "\nデータがなく判定できなかった規則:\n"
        } else {
            "\ncould not run for lack of data:\n"
        });
        for (_, l) in lines {
            s.push_str(&l);
            s.push('\n');
        }
    }
    if !warnings.is_empty() {
        s.push_str(if ja { "\n注記:\n" } else { "\nnotes:\n" });
        for w in warnings {
            s.push_str(&format!("  - Prometheus: {w}\n"));
        }
    }
    s.push_str(if ja {
        "\n詳しくは: karte doctor --prometheus URL --instance インスタンス\n"
    } else {
        "\ndetails: karte doctor --prometheus URL --instance INSTANCE\n"
    });
    s
}
