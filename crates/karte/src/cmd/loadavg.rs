//! `karte loadavg`: analyse a load series for periodic peaks, simulate `/proc/loadavg` exactly
//! as the kernel computes it, and find this host's CONFIG_HZ.
//!
//! The computation lives in `karte-loadavg` (pure); this module reads files and the clock,
//! parses arguments and prints.

use super::{CliError, CmdResult};
use karte_loadavg::analyze::{fmt_dur, fmt_num};
use karte_loadavg::kernel::{Avenrun, Era};
use karte_loadavg::sim::{self, Kernel, PeriodicJob, Step, Window, Workload};
use karte_loadavg::{Analysis, Options, RatePoint, beat, hz as hzp};
use karte_source::Root;
use serde::Serialize;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(clap::Subcommand, Debug)]
pub enum LoadavgCommand {
    /// Find periodic peaks in a load series (CSV unix_time,load1[,load5,load15]) and name their
    /// cause: the kernel's sampling beat with a fixed-period process, or a real periodic job
    Analyze(AnalyzeArgs),
    /// Simulate /proc/loadavg for a described activity, with the kernel's own fixed-point
    /// arithmetic, and print the series as CSV
    Simulate(SimulateArgs),
    /// Measure this host's CONFIG_HZ (the kernel tick rate, not USER_HZ), without root where the
    /// kernel allows
    Hz(HzArgs),
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct AnalyzeArgs {
    /// CSV of unix_time,load1[,load5,load15], with or without a header (`-` for stdin).
    /// Exports of Prometheus, Mackerel and `sadf -d -- -q` are understood
    #[arg(long, short = 'i', value_name = "FILE")]
    pub input: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Optional CSV of unix_time,forks_per_second of the same host, to name a periodic forker
    #[arg(long, value_name = "FILE")]
    pub forks: Option<PathBuf>,
    /// The host's HZ if known (see `karte loadavg hz`): only beats at this HZ are considered
    #[arg(long, value_name = "N")]
    pub hz: Option<u32>,
    /// Shortest period to look for, in seconds
    #[arg(long, value_name = "SECS", default_value_t = 120.0)]
    pub min_period: f64,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EraArg {
    /// 4.6 and later: round up while rising, down while falling
    Modern,
    /// About 2.6.37 to 4.5: round half up (idle floors 0.00/0.01/0.05)
    RoundHalfUp,
    /// Up to about 2.6.36: truncation
    Truncate,
}

#[derive(clap::Args, Debug)]
#[command(after_help = "\
Activity adds up: --busy tasks all the time, plus the job given by --period/--run-ms/--tasks/\
--phase, plus every --job and --window, plus a replayed --steps file.

Examples:
  # A monitoring agent forking every 60 s on an HZ=1000 kernel, four days, read every minute:
  karte loadavg simulate --hz 1000 --period 60 --run-ms 300 --duration 345600
  # ... piped into the analysis:
  karte loadavg simulate --hz 1000 --period 60 --run-ms 300 | karte loadavg analyze -i -
  # Two busy loops for ten minutes after two quiet minutes, every kernel update:
  karte loadavg simulate --hz 250 --window 120:600:2 --duration 1200 --updates")]
pub struct SimulateArgs {
    /// CONFIG_HZ of the simulated kernel (100, 250, 300, 1000, ...)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(10..=100_000))]
    pub hz: u32,
    /// Period of a periodic job (a monitoring agent, a cron job), in seconds
    #[arg(long, value_name = "SECS")]
    pub period: Option<f64>,
    /// How long the job stays runnable each period, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 100.0)]
    pub run_ms: f64,
    /// How many tasks the job keeps runnable while it runs
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub tasks: u64,
    /// When the job first runs, in seconds after the start
    #[arg(long, value_name = "SECS", default_value_t = 0.0)]
    pub phase: f64,
    /// More periodic jobs: PERIOD:RUN[:PHASE[:TASKS]], all in seconds (repeatable)
    #[arg(long, value_name = "SPEC")]
    pub job: Vec<String>,
    /// Tasks busy all the time
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub busy: u64,
    /// One-off activity: START:LEN[:TASKS] in seconds (repeatable)
    #[arg(long, value_name = "SPEC")]
    pub window: Vec<String>,
    /// Replay a step function: CSV of seconds,tasks (tasks added from each time on)
    #[arg(long, value_name = "FILE")]
    pub steps: Option<PathBuf>,
    /// Simulated time in seconds [default: eight beats of the job, at least a day, at most 30 days]
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
    /// Read /proc/loadavg every SECS seconds
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    pub every: f64,
    /// Print a row at every kernel update instead of every --every seconds
    #[arg(long)]
    pub updates: bool,
    /// Unix time of the start: added to the first column (default 0: seconds since the start)
    #[arg(long, value_name = "UNIX", default_value_t = 0.0)]
    pub start: f64,
    /// Rounding rule of calc_load()
    #[arg(long, value_enum, default_value_t = EraArg::Modern, conflicts_with = "kernel")]
    pub era: EraArg,
    /// Take the rounding rule from a kernel release, e.g. 3.10.0-1160.el7.x86_64
    #[arg(long, value_name = "RELEASE")]
    pub kernel: Option<String>,
    /// /proc/loadavg at the start, as L1,L5,L15 (e.g. 0.52,0.40,0.31)
    #[arg(long, value_name = "L1,L5,L15")]
    pub initial: Option<String>,
    /// The tick of the first sample instant (default LOAD_FREQ, as at boot)
    #[arg(long, value_name = "TICK", conflicts_with = "jiffies_at_start")]
    pub first_sample_tick: Option<u64>,
    /// Place the kernel's sample grid as on a real host whose jiffies read N at the start
    /// (sample instants are INITIAL_JIFFIES + k·LOAD_FREQ)
    #[arg(long, value_name = "N")]
    pub jiffies_at_start: Option<u64>,
}

#[derive(clap::Args, Debug)]
pub struct HzArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(c: LoadavgCommand) -> CmdResult {
    match c {
        LoadavgCommand::Analyze(a) => run_analyze(a),
        LoadavgCommand::Simulate(a) => run_simulate(a),
        LoadavgCommand::Hz(a) => run_hz(a),
    }
}

/// Reads a file, or stdin for `-`.
fn read_input(path: &Path) -> Result<String, CliError> {
    let mut buf = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .read_to_end(&mut buf)
            .map_err(|e| CliError::new(format!("stdin: {e}")))?;
    } else {
        std::fs::File::open(path)
            .and_then(|mut f| f.read_to_end(&mut buf))
            .map_err(|e| CliError::new(format!("{}: {e}", path.display())))?;
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

fn run_analyze(a: AnalyzeArgs) -> CmdResult {
    let text = read_input(&a.input)?;
    let series = karte_loadavg::parse_load_csv(&text)
        .map_err(|e| CliError::new(format!("{}: {e}", a.input.display())))?;
    let forks: Vec<RatePoint> = match &a.forks {
        Some(p) => {
            let t = read_input(p)?;
            karte_loadavg::parse_load_csv(&t)
                .map_err(|e| CliError::new(format!("{}: {e}", p.display())))?
                .points
                .iter()
                .map(|p| RatePoint {
                    t: p.t,
                    per_s: p.load1,
                })
                .collect()
        }
        None => Vec::new(),
    };
    if !(a.min_period.is_finite() && a.min_period > 0.0) {
        return Err(CliError::new(
            "--min-period must be a positive number of seconds",
        ));
    }
    let mut opts = Options {
        min_period_s: a.min_period,
        ..Options::default()
    };
    if let Some(hz) = a.hz {
        if hz == 0 {
            return Err(CliError::new("--hz must be positive"));
        }
        opts.hz_candidates = vec![hz];
    }
    let mut analysis = karte_loadavg::analyze(&series.points, &forks, &opts);
    let mut notes = series.notes.clone();
    notes.append(&mut analysis.notes);
    analysis.notes = notes;
    let mut out = std::io::stdout().lock();
    match a.format {
        Format::Json => {
            serde_json::to_writer(&mut out, &analysis).map_err(|e| CliError::new(e.to_string()))?;
            writeln!(out)?;
        }
        Format::Text => print_analysis(&mut out, &analysis)?,
    }
    Ok(0)
}

fn print_analysis(out: &mut impl Write, a: &Analysis) -> std::io::Result<()> {
    match (a.periodic, a.period_s) {
        (true, Some(p)) => {
            let pm = a
                .period_stderr_s
                .map(|s| format!(" ± {} s", fmt_num(s)))
                .unwrap_or_default();
            writeln!(
                out,
                "periodic:  yes, every {} ({} s{pm})",
                fmt_dur(p),
                fmt_num(p)
            )?;
            let cause = match (a.cause, a.hz) {
                (Some(c), Some(hz)) => format!("{} (HZ={hz})", c.name()),
                (Some(c), None) => c.name().to_string(),
                _ => "unknown".into(),
            };
            writeln!(out, "cause:     {cause}")?;
            if let Some(t) = a.forker_period_s {
                writeln!(out, "forker:    every {} s", fmt_num(t))?;
            }
        }
        _ => writeln!(out, "periodic:  no")?,
    }
    writeln!(
        out,
        "series:    {} readings over {}",
        a.samples,
        fmt_dur(a.span_s)
    )?;
    if !a.peaks.is_empty() {
        writeln!(out, "peaks:")?;
        for p in a.peaks.iter().take(30) {
            writeln!(out, "  {}  load1 {:.2}", fmt_time(p.time), p.height)?;
        }
        if a.peaks.len() > 30 {
            writeln!(out, "  ... and {} more", a.peaks.len() - 30)?;
        }
    }
    writeln!(out)?;
    writeln!(out, "{}", wrap(&a.explanation, 78))?;
    for n in &a.notes {
        writeln!(out, "note: {n}")?;
    }
    Ok(())
}

/// A Unix time as `2026-11-22 03:12:00 UTC`; small values (a series counted from 0) as seconds.
fn fmt_time(t: f64) -> String {
    if !(t.is_finite() && t > 1e8 && t < 1e11) {
        return format!("t={} s", fmt_num(t));
    }
    let s = t.round() as i64;
    let (days, rem) = (s.div_euclid(86400), s.rem_euclid(86400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Howard Hinnant's civil_from_days.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut col = 0;
    for w in text.split_whitespace() {
        let n = w.chars().count();
        if col > 0 && col + 1 + n > width {
            out.push('\n');
            col = 0;
        } else if col > 0 {
            out.push(' ');
            col += 1;
        }
        out.push_str(w);
        col += n;
    }
    out
}

fn parse_f(s: &str, what: &str, spec: &str) -> Result<f64, CliError> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(CliError::new(format!(
            "{spec}: {what} {s:?} is not a non-negative number"
        ))),
    }
}

fn parse_job(spec: &str) -> Result<PeriodicJob, CliError> {
    let f: Vec<&str> = spec.split(':').collect();
    if !(2..=4).contains(&f.len()) {
        return Err(CliError::new(format!(
            "--job {spec:?}: expected PERIOD:RUN[:PHASE[:TASKS]] in seconds"
        )));
    }
    let period_s = parse_f(f[0], "period", spec)?;
    if period_s <= 0.0 {
        return Err(CliError::new(format!(
            "--job {spec:?}: period must be positive"
        )));
    }
    let tasks = match f.get(3) {
        Some(t) => t
            .trim()
            .parse()
            .map_err(|_| CliError::new(format!("--job {spec:?}: tasks {t:?} is not a count")))?,
        None => 1,
    };
    Ok(PeriodicJob {
        period_s,
        run_s: parse_f(f[1], "run time", spec)?,
        phase_s: match f.get(2) {
            Some(p) => parse_f(p, "phase", spec)?,
            None => 0.0,
        },
        tasks,
    })
}

fn parse_window(spec: &str) -> Result<Window, CliError> {
    let f: Vec<&str> = spec.split(':').collect();
    if !(2..=3).contains(&f.len()) {
        return Err(CliError::new(format!(
            "--window {spec:?}: expected START:LEN[:TASKS] in seconds"
        )));
    }
    let tasks = match f.get(2) {
        Some(t) => t
            .trim()
            .parse()
            .map_err(|_| CliError::new(format!("--window {spec:?}: tasks {t:?} is not a count")))?,
        None => 1,
    };
    Ok(Window {
        start_s: parse_f(f[0], "start", spec)?,
        len_s: parse_f(f[1], "length", spec)?,
        tasks,
    })
}

/// A step file: `seconds,tasks` per line, `#` comments and a header allowed.
fn parse_steps(path: &Path) -> Result<Vec<Step>, CliError> {
    let text = read_input(path)?;
    let mut out = Vec::new();
    let mut header_seen = false;
    for (n, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let mut it = l.split([',', ';', '\t', ' ']).filter(|s| !s.is_empty());
        let (Some(a), Some(b)) = (it.next(), it.next()) else {
            return Err(CliError::new(format!(
                "{}: line {}: expected seconds,tasks",
                path.display(),
                n + 1
            )));
        };
        match (a.parse::<f64>(), b.parse::<u64>()) {
            (Ok(t), Ok(k)) if t.is_finite() => out.push(Step { at_s: t, tasks: k }),
            _ if out.is_empty() && !header_seen => header_seen = true,
            _ => {
                return Err(CliError::new(format!(
                    "{}: line {}: expected seconds,tasks, got {l:?}",
                    path.display(),
                    n + 1
                )));
            }
        }
    }
    Ok(out)
}

fn run_simulate(a: SimulateArgs) -> CmdResult {
    let era = match &a.kernel {
        Some(r) => Era::for_release(r)
            .ok_or_else(|| CliError::new(format!("--kernel {r:?}: not a kernel release")))?,
        None => match a.era {
            EraArg::Modern => Era::Modern,
            EraArg::RoundHalfUp => Era::RoundHalfUp,
            EraArg::Truncate => Era::Truncate,
        },
    };
    let kernel = Kernel::new(a.hz, era);
    let mut w = Workload::busy(a.busy);
    if let Some(p) = a.period {
        if !(p.is_finite() && p > 0.0) {
            return Err(CliError::new(
                "--period must be a positive number of seconds",
            ));
        }
        let ok = |x: f64| x.is_finite() && x >= 0.0;
        if !ok(a.run_ms) || !ok(a.phase) {
            return Err(CliError::new(
                "--run-ms and --phase must be non-negative numbers",
            ));
        }
        w = w.with_job(PeriodicJob {
            period_s: p,
            run_s: a.run_ms / 1000.0,
            phase_s: a.phase,
            tasks: a.tasks,
        });
    }
    for j in &a.job {
        w = w.with_job(parse_job(j)?);
    }
    for s in &a.window {
        w = w.with_window(parse_window(s)?);
    }
    if let Some(p) = &a.steps {
        w = w.with_steps(parse_steps(p)?);
    }
    let start = match &a.initial {
        Some(s) => {
            let v: Vec<&str> = s.split(',').collect();
            if v.len() != 3 {
                return Err(CliError::new("--initial: expected L1,L5,L15"));
            }
            let f = |x: &str| parse_f(x, "load", "--initial");
            Avenrun::from_display(f(v[0])?, f(v[1])?, f(v[2])?)
        }
        None => Avenrun::default(),
    };
    let beat = a.period.and_then(|p| beat::beat(kernel.hz, p));
    let duration = match a.duration {
        Some(d) if d.is_finite() && d > 0.0 && d <= 366.0 * 86400.0 => d,
        Some(_) => {
            return Err(CliError::new(
                "--duration must be a positive number of seconds, at most a year",
            ));
        }
        None => beat
            .map(|b| 8.0 * b.period_s)
            .unwrap_or(0.0)
            .clamp(86400.0, 30.0 * 86400.0),
    };
    let every_ok = a.every.is_finite() && a.every >= 0.001;
    if !a.updates && !every_ok {
        return Err(CliError::new("--every must be at least 0.001 s"));
    }
    if !a.updates && duration / a.every > 10_000_000.0 {
        return Err(CliError::new("more than 10 million rows: raise --every"));
    }
    if !a.start.is_finite() {
        return Err(CliError::new("--start must be a number"));
    }
    let first = match (a.first_sample_tick, a.jiffies_at_start) {
        (Some(t), _) => t,
        (None, Some(j)) => sim::grid_phase_from_jiffies(kernel, j, 0),
        (None, None) => kernel.load_freq,
    };

    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    writeln!(
        out,
        "# karte loadavg simulate: HZ={} LOAD_FREQ={} ticks ({} s), era {}, first sample at tick {first}",
        kernel.hz,
        kernel.load_freq,
        kernel.load_freq as f64 / f64::from(kernel.hz),
        era.name()
    )?;
    if let (Some(p), Some(b)) = (a.period, beat) {
        writeln!(
            out,
            "# a job every {} s beats with the sampling every {} s ({})",
            fmt_num(p),
            fmt_num(b.period_s),
            fmt_dur(b.period_s)
        )?;
    }
    writeln!(out, "unix_time,load1,load5,load15")?;
    let row = |out: &mut dyn Write, t: f64, d: karte_loadavg::Display| -> std::io::Result<()> {
        let [x, y, z] = d.0;
        writeln!(
            out,
            "{},{}.{:02},{}.{:02},{}.{:02}",
            fmt_t(a.start + t),
            x / 100,
            x % 100,
            y / 100,
            y % 100,
            z / 100,
            z % 100
        )
    };
    let mut s = sim::Simulator::new(kernel, &w, start, first);
    if a.updates {
        row(&mut out, 0.0, start.display())?;
        let end = kernel.tick_at(duration);
        while s.next_applied_tick() <= end {
            let u = s.step();
            row(&mut out, kernel.secs_of(u.applied_tick), u.display)?;
        }
    } else {
        let n = (duration / a.every).floor() as u64;
        for i in 0..=n {
            let t = i as f64 * a.every;
            let d = s.display_at(t);
            row(&mut out, t, d)?;
        }
    }
    out.flush()?;
    Ok(0)
}

/// Times with up to millisecond precision, without trailing zeros.
fn fmt_t(t: f64) -> String {
    let s = format!("{t:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

#[derive(Serialize)]
struct HzReport {
    hz: Option<u32>,
    method: Option<&'static str>,
    /// LOAD_FREQ in ticks and seconds, and the beat periods that follow.
    load_freq_ticks: Option<u64>,
    load_freq_s: Option<f64>,
    beat_multiple_of_5s_s: Option<f64>,
    beat_other_whole_s: Option<f64>,
    kernel: Option<String>,
    era: Option<Era>,
    notes: Vec<String>,
}

fn read_jiffies_schedstat(root: &Root) -> Result<u64, String> {
    let t = root
        .read_string("proc/schedstat")
        .map_err(|e| format!("/proc/schedstat: {e}"))?;
    karte_procfs::schedstat::parse_jiffies(&t)
        .ok_or_else(|| "/proc/schedstat: no timestamp line".into())
}

fn read_timer_list(root: &Root) -> Result<(u64, u64), String> {
    let t = root
        .read_string("proc/timer_list")
        .map_err(|e| format!("/proc/timer_list: {e}"))?;
    hzp::parse_timer_list(&t).ok_or_else(|| "/proc/timer_list: no jiffies".into())
}

fn read_config_hz(root: &Root, release: Option<&str>) -> Result<u32, String> {
    let mut buf = Vec::new();
    let mut why = Vec::new();
    match root.read_into("proc/config.gz", &mut buf) {
        Ok(()) => {
            let mut text = String::new();
            let mut dec = flate2::read::GzDecoder::new(&buf[..]).take(64 << 20);
            match dec.read_to_string(&mut text) {
                Ok(_) => match hzp::parse_config_hz(&text) {
                    Some(hz) => return Ok(hz),
                    None => why.push("/proc/config.gz: no CONFIG_HZ".to_string()),
                },
                Err(e) => why.push(format!("/proc/config.gz: {e}")),
            }
        }
        Err(e) => why.push(format!("/proc/config.gz: {e}")),
    }
    if let Some(r) = release {
        let path = format!("boot/config-{r}");
        match root.read_string(&path) {
            Ok(t) => match hzp::parse_config_hz(&t) {
                Some(hz) => return Ok(hz),
                None => why.push(format!("/{path}: no CONFIG_HZ")),
            },
            Err(e) => why.push(format!("/{path}: {e}")),
        }
    }
    Err(why.join("; "))
}

/// Measures HZ: jiffies from /proc/schedstat (unprivileged) or /proc/timer_list (root) read
/// twice a second apart against the monotonic clock; else CONFIG_HZ from the kernel config.
fn detect_hz(
    root: &Root,
    release: Option<&str>,
    notes: &mut Vec<String>,
) -> Option<(u32, &'static str)> {
    let gap = Duration::from_millis(1000);
    match read_jiffies_schedstat(root) {
        Ok(j0) => {
            let t0 = Instant::now();
            std::thread::sleep(gap);
            let j1 = read_jiffies_schedstat(root);
            let secs = t0.elapsed().as_secs_f64();
            match j1 {
                Ok(j1) => match karte_snapshot::interval::estimate_hz(j0, j1, secs) {
                    Some(hz) => return Some((hz, "schedstat")),
                    None => notes.push(format!(
                        "/proc/schedstat: {} jiffies in {secs:.3} s is no known HZ",
                        j1.wrapping_sub(j0)
                    )),
                },
                Err(e) => notes.push(e),
            }
        }
        Err(e) => notes.push(e),
    }
    match read_timer_list(root) {
        Ok((n0, j0)) => {
            std::thread::sleep(gap);
            match read_timer_list(root) {
                Ok((n1, j1)) => {
                    let secs = n1.saturating_sub(n0) as f64 / 1e9;
                    match karte_snapshot::interval::estimate_hz(j0, j1, secs) {
                        Some(hz) => return Some((hz, "timer_list")),
                        None => {
                            if let Some(hz) = hzp::hz_from_one_timer_list(n1, j1, &beat::COMMON_HZ)
                            {
                                return Some((hz, "timer_list"));
                            }
                            notes.push(format!(
                                "/proc/timer_list: {} jiffies in {secs:.3} s is no known HZ",
                                j1.wrapping_sub(j0)
                            ));
                        }
                    }
                }
                Err(e) => notes.push(e),
            }
        }
        Err(e) => notes.push(e),
    }
    match read_config_hz(root, release) {
        Ok(hz) => Some((hz, "config")),
        Err(e) => {
            notes.push(e);
            None
        }
    }
}

fn run_hz(a: HzArgs) -> CmdResult {
    let root = Root::live();
    let release = root
        .read_string("proc/sys/kernel/osrelease")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let mut notes = Vec::new();
    let found = detect_hz(&root, release.as_deref(), &mut notes);
    let hz = found.map(|f| f.0);
    let lf = hz.map(karte_loadavg::kernel::load_freq);
    let report = HzReport {
        hz,
        method: found.map(|f| f.1),
        load_freq_ticks: lf,
        load_freq_s: hz.zip(lf).map(|(h, l)| l as f64 / f64::from(h)),
        beat_multiple_of_5s_s: lf.map(|l| 5.0 * l as f64),
        beat_other_whole_s: lf.map(|l| l as f64),
        era: release.as_deref().and_then(Era::for_release),
        kernel: release,
        notes,
    };
    let mut out = std::io::stdout().lock();
    match a.format {
        Format::Json => {
            serde_json::to_writer(&mut out, &report).map_err(|e| CliError::new(e.to_string()))?;
            writeln!(out)?;
        }
        Format::Text => {
            match (report.hz, report.method) {
                (Some(hz), Some(m)) => {
                    let how = match m {
                        "schedstat" => "jiffies of /proc/schedstat read 1 s apart",
                        "timer_list" => "jiffies of /proc/timer_list read 1 s apart",
                        _ => "the kernel config",
                    };
                    writeln!(out, "HZ={hz} (from {how})")?;
                    if let (Some(l), Some(s)) = (report.load_freq_ticks, report.load_freq_s) {
                        writeln!(out, "LOAD_FREQ = 5·HZ+1 = {l} ticks = {s} s")?;
                        writeln!(
                            out,
                            "a process waking every multiple of 5 s beats with it every {} s ({}); \
                             every other whole number of seconds, every {l} s ({})",
                            5 * l,
                            fmt_dur(5.0 * l as f64),
                            fmt_dur(l as f64)
                        )?;
                    }
                }
                _ => writeln!(out, "HZ could not be determined")?,
            }
            if let (Some(k), Some(e)) = (&report.kernel, report.era) {
                writeln!(
                    out,
                    "kernel {k}: calc_load() rounding of the {} era",
                    e.name()
                )?;
            }
            for n in &report.notes {
                writeln!(out, "note: {n}")?;
            }
        }
    }
    Ok(if report.hz.is_some() { 0 } else { 3 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(fmt_time(1_795_317_120.0), "2026-11-22 03:12:00 UTC");
        assert_eq!(fmt_time(120.0), "t=120 s");
        assert_eq!(fmt_t(12.5), "12.5");
        assert_eq!(fmt_t(1251.0 / 250.0), "5.004");
        assert_eq!(fmt_t(60.0), "60");
    }

    #[test]
    fn specs() {
        let j = parse_job("60:0.3:7:2").expect("job");
        assert_eq!(
            (j.period_s, j.run_s, j.phase_s, j.tasks),
            (60.0, 0.3, 7.0, 2)
        );
        assert!(parse_job("60").is_err());
        assert!(parse_job("0:1").is_err());
        assert!(parse_job("x:1").is_err());
        let w = parse_window("120:600:2").expect("window");
        assert_eq!((w.start_s, w.len_s, w.tasks), (120.0, 600.0, 2));
        assert!(parse_window("1:2:3:4").is_err());
    }

    #[test]
    fn wraps() {
        assert_eq!(wrap("aa bb cc", 5), "aa bb\ncc");
    }
}
