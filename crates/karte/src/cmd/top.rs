//! `karte top`: a live terminal view — the findings, the host's health and the busiest
//! processes, refreshed every few seconds. Plain ANSI output (no curses): it works over any ssh
//! session and in a pipe (`--iterations 1`).

use super::doctor::LangArg;
use super::{CliError, CmdResult};
use crate::render;
use karte_engine::Engine;
use karte_rules::Lang;
use karte_rules::fmt;
use karte_snapshot::summary::HealthSummary;
use std::io::{IsTerminal, Write};
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Seconds between refreshes
    #[arg(long, short = 'd', default_value_t = 2.0, value_name = "SECS")]
    pub delay: f64,
    /// Stop after this many refreshes (default: until interrupted)
    #[arg(long, short = 'n', value_name = "N")]
    pub iterations: Option<u64>,
    /// Processes to show
    #[arg(long, default_value_t = 20)]
    pub processes: usize,
    /// Language (default: from LC_ALL, LC_MESSAGES, LANG)
    #[arg(long, value_enum)]
    pub lang: Option<LangArg>,
}

pub fn run(args: Args) -> CmdResult {
    if !(args.delay.is_finite() && (0.2..=3600.0).contains(&args.delay)) {
        return Err(CliError::with_code(
            "--delay must be between 0.2 and 3600 seconds",
            2,
        ));
    }
    let lang = LangArg::resolve(args.lang);
    let tty = std::io::stdout().is_terminal();
    let mut engine = Engine::live(lang);
    engine.tick();
    let mut n = 0u64;
    loop {
        std::thread::sleep(Duration::from_secs_f64(args.delay));
        let t = engine.tick();
        let mut s = String::new();
        if tty {
            s.push_str("\x1b[H\x1b[2J");
        }
        let st = render::Style::detect();
        let h = HealthSummary::new(&t.snapshot, t.interval.as_ref());
        let now = t
            .snapshot
            .host
            .unix_secs
            .map(karte_snapshot::time::format_utc)
            .unwrap_or_default();
        s.push_str(&format!(
            "karte top — {}  {now} UTC\n",
            t.snapshot.host.hostname.as_deref().unwrap_or("?")
        ));
        for f in t
            .diagnosis
            .findings
            .iter()
            .filter(|f| f.severity >= karte_rules::Severity::Warning)
        {
            s.push_str(&format!("  ! {} {}\n", f.rule, f.title));
        }
        render::summary(
            &mut s,
            &HealthSummary {
                top: Vec::new(),
                ..h
            },
            lang,
            &st,
        );
        s.push_str(&process_table(&t, args.processes, lang));
        let mut out = std::io::stdout().lock();
        out.write_all(s.as_bytes())?;
        out.flush()?;
        n += 1;
        if args.iterations.is_some_and(|max| n >= max) {
            return Ok(0);
        }
    }
}

fn process_table(t: &karte_engine::Tick, max: usize, lang: Lang) -> String {
    let mut s = String::new();
    let head = if lang == Lang::Ja {
        "     PID USER    NI STAT   CPU%  生涯%     RSS  コマンド"
    } else {
        "     PID UID     NI STAT   CPU%  LIFE%     RSS  COMMAND"
    };
    s.push_str(&format!("\n{head}\n"));
    let Some(iv) = &t.interval else { return s };
    let page = t.snapshot.host.page_size_bytes;
    for r in iv.processes.iter().take(max) {
        let Some(p) = t.snapshot.process(r.pid) else {
            continue;
        };
        let stat = karte_rules::rules::kernel_thread_runaway::ps_stat(p);
        let uid = p.uid().map(|u| u.to_string()).unwrap_or_else(|| "-".into());
        let life = r
            .lifetime_cpu_pct
            .map(|l| format!("{l:5.1}"))
            .unwrap_or_else(|| "    -".into());
        let name: String = p.display_name().chars().take(80).collect();
        s.push_str(&format!(
            "{:>8} {:<7} {:>3} {:<5} {:>5.1} {life} {:>8}  {name}\n",
            r.pid,
            uid,
            p.stat.nice,
            stat,
            r.cpu_pct,
            fmt::kb(p.rss_kb(page))
        ));
    }
    s
}
