//! Text sink: findings and the health summary for people. Colour only on a terminal (and never
//! with NO_COLOR set); the wording follows the language of the findings.

use karte_rules::fmt;
use karte_rules::report::Diagnosis;
use karte_rules::{Finding, Lang, Severity};
use karte_snapshot::summary::HealthSummary;
use std::fmt::Write as _;

pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn detect() -> Style {
        use std::io::IsTerminal;
        Style {
            color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    fn severity(&self, sev: Severity) -> String {
        match sev {
            Severity::Critical => self.paint("1;31", "CRITICAL"),
            Severity::Warning => self.paint("1;33", "WARNING "),
            Severity::Info => self.paint("1;36", "INFO    "),
        }
    }

    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }

    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
}

fn sev_word(sev: Severity, lang: Lang) -> &'static str {
    match (sev, lang) {
        (Severity::Critical, Lang::En) => "critical",
        (Severity::Warning, Lang::En) => "warning",
        (Severity::Info, Lang::En) => "info",
        (Severity::Critical, Lang::Ja) => "重大",
        (Severity::Warning, Lang::Ja) => "警告",
        (Severity::Info, Lang::Ja) => "情報",
    }
}

/// The first line: how many problems and the worst.
pub fn headline(d: &Diagnosis, lang: Lang) -> String {
    let n = d.problems();
    let worst = d.findings.iter().find(|f| f.severity >= Severity::Warning);
    match (worst, lang) {
        (None, Lang::En) => {
            let infos = d.findings.len();
            if infos > 0 {
                format!("No problems found ({infos} note(s) below).")
            } else {
                "No problems found.".to_string()
            }
        }
        (None, Lang::Ja) => {
            let infos = d.findings.len();
            if infos > 0 {
                format!("問題は見つかりませんでした（補足 {infos} 件）。")
            } else {
                "問題は見つかりませんでした。".to_string()
            }
        }
        (Some(w), Lang::En) => format!(
            "{n} problem{} found; the worst is {} ({}): {}",
            if n == 1 { "" } else { "s" },
            sev_word(w.severity, lang),
            w.rule,
            w.title
        ),
        (Some(w), Lang::Ja) => format!(
            "{n} 件の問題が見つかりました。最も深刻なのは{}（{}）: {}",
            sev_word(w.severity, lang),
            w.rule,
            w.title
        ),
    }
}

pub fn finding(out: &mut String, f: &Finding, lang: Lang, st: &Style) {
    let _ = writeln!(
        out,
        "{} {}  {}",
        st.severity(f.severity),
        st.dim(f.rule),
        st.bold(&f.title)
    );
    // Japanese has no spaces to wrap at: the terminal wraps it.
    let width = if lang == Lang::Ja { usize::MAX } else { 96 };
    for line in wrap(&f.summary, width) {
        let _ = writeln!(out, "  {line}");
    }
    if !f.evidence.is_empty() {
        let _ = writeln!(
            out,
            "  {}",
            st.dim(if lang == Lang::Ja {
                "根拠:"
            } else {
                "evidence:"
            })
        );
        for e in &f.evidence {
            let _ = writeln!(out, "    - {e}");
        }
    }
    if !f.remedy.is_empty() {
        let _ = writeln!(
            out,
            "  {}",
            st.dim(if lang == Lang::Ja {
                "対処:"
            } else {
                "what to do:"
            })
        );
        for r in &f.remedy {
            let mut first = true;
            for line in wrap(r, if lang == Lang::Ja { usize::MAX } else { 92 }) {
                let _ = writeln!(out, "    {} {line}", if first { "-" } else { " " });
                first = false;
            }
        }
    }
    out.push('\n');
}

/// Wraps text at spaces (CJK text, which has none, is left to the terminal).
fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in s.split(' ') {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

pub fn summary(out: &mut String, h: &HealthSummary, lang: Lang, st: &Style) {
    let ja = lang == Lang::Ja;
    let _ = writeln!(
        out,
        "{}",
        st.bold(if ja {
            "ホストの状態"
        } else {
            "Host health"
        })
    );
    let na = || {
        if ja {
            "不明".to_string()
        } else {
            "n/a".to_string()
        }
    };
    if let Some([l1, l5, l15]) = h.load {
        let cpus = h.cpus.map(|c| c.to_string()).unwrap_or_else(na);
        let _ = if ja {
            writeln!(
                out,
                "  負荷    {l1:.2} {l5:.2} {l15:.2}（CPU {cpus} 個、実行中 {}、D 状態 {}）",
                h.runnable.unwrap_or(0),
                h.uninterruptible
            )
        } else {
            writeln!(
                out,
                "  load    {l1:.2} {l5:.2} {l15:.2}  ({cpus} CPUs; {} running, {} in D state)",
                h.runnable.unwrap_or(0),
                h.uninterruptible
            )
        };
    }
    if let Some(c) = h.cpu {
        let _ = writeln!(
            out,
            "  cpu     user {}  nice {}  system {}  iowait {}  irq {}  softirq {}  steal {}  idle {}",
            fmt::pct(c.user_pct),
            fmt::pct(c.nice_pct),
            fmt::pct(c.system_pct),
            fmt::pct(c.iowait_pct),
            fmt::pct(c.irq_pct),
            fmt::pct(c.softirq_pct),
            fmt::pct(c.steal_pct),
            fmt::pct(c.idle_pct)
        );
    }
    if let (Some(t), Some(a)) = (h.mem_total_kb, h.mem_available_kb) {
        let swap = match (h.swap_total_kb, h.swap_free_kb) {
            (Some(0), _) | (None, _) => {
                if ja {
                    "スワップなし".to_string()
                } else {
                    "no swap".to_string()
                }
            }
            (Some(st_), Some(sf)) => {
                if ja {
                    format!(
                        "スワップ {} 中 {} 使用",
                        fmt::kb(st_),
                        fmt::kb(st_.saturating_sub(sf))
                    )
                } else {
                    format!(
                        "swap {} of {} used",
                        fmt::kb(st_.saturating_sub(sf)),
                        fmt::kb(st_)
                    )
                }
            }
            (Some(st_), None) => format!("swap {}", fmt::kb(st_)),
        };
        let _ = if ja {
            writeln!(
                out,
                "  メモリ  {} 中 {} 使用、利用可能 {}、{swap}",
                fmt::kb(t),
                fmt::kb(t.saturating_sub(a)),
                fmt::kb(a)
            )
        } else {
            writeln!(
                out,
                "  memory  {} used of {}, {} available; {swap}",
                fmt::kb(t.saturating_sub(a)),
                fmt::kb(t),
                fmt::kb(a)
            )
        };
    }
    for d in &h.disks {
        let aw = d
            .await_ms
            .map(|a| format!("{a:.1} ms"))
            .unwrap_or_else(|| "-".into());
        let _ = if ja {
            writeln!(
                out,
                "  ディスク {} ビジー {}、読み {}/s 書き {}/s、await {aw}",
                d.name,
                fmt::pct(d.util_pct),
                fmt::rate(d.reads_per_sec),
                fmt::rate(d.writes_per_sec)
            )
        } else {
            writeln!(
                out,
                "  disk    {} {} busy, {} r/s {} w/s, await {aw}",
                d.name,
                fmt::pct(d.util_pct),
                fmt::rate(d.reads_per_sec),
                fmt::rate(d.writes_per_sec)
            )
        };
    }
    for n in &h.nets {
        let _ = if ja {
            writeln!(
                out,
                "  ネット  {} 受信 {}/s 送信 {}/s",
                n.name,
                fmt::bytes(n.rx_bytes_per_sec as u64),
                fmt::bytes(n.tx_bytes_per_sec as u64)
            )
        } else {
            writeln!(
                out,
                "  net     {} rx {}/s tx {}/s",
                n.name,
                fmt::bytes(n.rx_bytes_per_sec as u64),
                fmt::bytes(n.tx_bytes_per_sec as u64)
            )
        };
    }
    if !h.top.is_empty() {
        let _ = writeln!(
            out,
            "  {}",
            if ja {
                "上位のプロセス（PID、CPU、RSS、状態、名前）"
            } else {
                "top processes (pid, cpu, rss, state, name)"
            }
        );
        for p in &h.top {
            let cpu = p.cpu_pct.map(fmt::pct).unwrap_or_else(|| "-".into());
            let name: String = p.name.chars().take(70).collect();
            let _ = writeln!(
                out,
                "    {:>7} {:>6} {:>9} {}{} {name}",
                p.pid,
                cpu,
                fmt::kb(p.rss_kb),
                p.state,
                if p.nice > 0 {
                    "N"
                } else if p.nice < 0 {
                    "<"
                } else {
                    " "
                }
            );
        }
    }
}
