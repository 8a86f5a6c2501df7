//! The HTML sink of `karte report`: one self-contained page, inline CSS and SVG, no script and
//! nothing fetched, so it can be mailed, attached to a ticket or opened offline.

use super::{ChartPoint, Period, local};
use karte_rules::{Lang, Severity};
use std::fmt::Write as _;

const W: f64 = 960.0;
const H: f64 = 150.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 22.0;
/// Points per chart at most: finer than that is more than the pixels.
const MAX_POINTS: usize = 900;

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn sev_color(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "#d62728",
        Severity::Warning => "#ff9f1c",
        Severity::Info => "#1f77b4",
    }
}

/// Averages points into at most [`MAX_POINTS`] buckets of equal time (max for `peak` fields).
fn downsample(points: &[ChartPoint]) -> Vec<ChartPoint> {
    if points.len() <= MAX_POINTS {
        return points.to_vec();
    }
    let per = points.len().div_ceil(MAX_POINTS);
    points
        .chunks(per)
        .map(|c| {
            let n = c.len() as f64;
            let mean = |f: fn(&ChartPoint) -> f64| c.iter().map(f).sum::<f64>() / n;
            let max = |f: fn(&ChartPoint) -> f64| c.iter().map(f).fold(0.0, f64::max);
            ChartPoint {
                t_ms: c[c.len() / 2].t_ms,
                load1: max(|p| p.load1),
                cpus: max(|p| p.cpus),
                user: mean(|p| p.user),
                system: mean(|p| p.system),
                iowait: mean(|p| p.iowait),
                steal: mean(|p| p.steal),
                mem_used_pct: mean(|p| p.mem_used_pct),
                swap_used_pct: mean(|p| p.swap_used_pct),
                disk_util: max(|p| p.disk_util),
                net_rx: mean(|p| p.net_rx),
                net_tx: mean(|p| p.net_tx),
            }
        })
        .collect()
}

struct Axis {
    t0: i64,
    t1: i64,
}

impl Axis {
    fn x(&self, t: i64) -> f64 {
        let span = (self.t1 - self.t0).max(1) as f64;
        LEFT + (t - self.t0) as f64 / span * (W - LEFT - RIGHT)
    }
}

fn y(v: f64, max: f64) -> f64 {
    let max = if max > 0.0 { max } else { 1.0 };
    TOP + (1.0 - (v / max).clamp(0.0, 1.0)) * (H - TOP - BOTTOM)
}

struct Series<'a> {
    name: &'a str,
    color: &'a str,
    get: fn(&ChartPoint) -> f64,
}

fn nice_max(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.0) {
        return 1.0;
    }
    let e = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if v <= m * e {
            return m * e;
        }
    }
    10.0 * e
}

fn human_bytes(v: f64) -> String {
    karte_rules::fmt::bytes(v.max(0.0) as u64)
}

/// What every chart of the page shares.
struct Frame<'a> {
    pts: &'a [ChartPoint],
    ax: &'a Axis,
    p: &'a Period,
}

/// One chart: lines (or stacked areas), the y scale, time ticks, and the finding spans.
fn chart(
    out: &mut String,
    f: &Frame,
    title: &str,
    series: &[Series],
    stacked: bool,
    max: f64,
    unit: fn(f64) -> String,
) {
    let (pts, ax, p) = (f.pts, f.ax, f.p);
    let _ = writeln!(out, "<h3>{}</h3>", esc(title));
    let _ = writeln!(
        out,
        "<svg viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"{}\">",
        esc(title)
    );
    let _ = writeln!(
        out,
        "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{}\" height=\"{}\" fill=\"#fafafa\" stroke=\"#ddd\"/>",
        W - LEFT - RIGHT,
        H - TOP - BOTTOM
    );
    // The findings, as bands behind the lines (problems the full height, notes a strip on top).
    for s in &p.spans {
        let x0 = ax.x(s.first_ms);
        let x1 = ax.x(s.last_ms).max(x0 + 2.0);
        let (height, opacity) = if s.finding.severity >= Severity::Warning {
            (H - TOP - BOTTOM, 0.18)
        } else {
            (5.0, 0.6)
        };
        let _ = writeln!(
            out,
            "<rect x=\"{x0:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{height}\" fill=\"{}\" fill-opacity=\"{opacity}\"><title>{} {}: {}</title></rect>",
            x1 - x0,
            sev_color(s.finding.severity),
            esc(&local(s.first_ms)),
            esc(s.finding.rule),
            esc(&s.finding.title)
        );
    }
    for k in 0..=2 {
        let v = max * f64::from(k) / 2.0;
        let yy = y(v, max);
        let _ = writeln!(
            out,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#eee\"/><text x=\"{}\" y=\"{:.1}\" class=\"ax\" text-anchor=\"end\">{}</text>",
            W - RIGHT,
            LEFT - 4.0,
            yy + 4.0,
            esc(&unit(v))
        );
    }
    for k in 0..=4 {
        let t = ax.t0 + (ax.t1 - ax.t0) * k / 4;
        let xx = ax.x(t);
        let label = local(t);
        let _ = writeln!(
            out,
            "<text x=\"{xx:.1}\" y=\"{}\" class=\"ax\" text-anchor=\"{}\">{}</text>",
            H - 6.0,
            match k {
                0 => "start",
                4 => "end",
                _ => "middle",
            },
            esc(label.get(5..16).unwrap_or(&label))
        );
    }
    let mut base = vec![0.0f64; pts.len()];
    for s in series {
        let mut d = String::new();
        if stacked {
            let mut top = Vec::with_capacity(pts.len());
            for (i, pt) in pts.iter().enumerate() {
                top.push(base[i] + (s.get)(pt).max(0.0));
            }
            for (i, pt) in pts.iter().enumerate() {
                let _ = write!(
                    d,
                    "{}{:.1},{:.1} ",
                    if i == 0 { "M" } else { "L" },
                    ax.x(pt.t_ms),
                    y(top[i], max)
                );
            }
            for (i, pt) in pts.iter().enumerate().rev() {
                let _ = write!(d, "L{:.1},{:.1} ", ax.x(pt.t_ms), y(base[i], max));
            }
            if !pts.is_empty() {
                d.push('Z');
            }
            let _ = writeln!(
                out,
                "<path d=\"{d}\" fill=\"{}\" fill-opacity=\"0.75\" stroke=\"none\"><title>{}</title></path>",
                s.color,
                esc(s.name)
            );
            base = top;
        } else {
            for (i, pt) in pts.iter().enumerate() {
                let _ = write!(
                    d,
                    "{}{:.1},{:.1} ",
                    if i == 0 { "M" } else { "L" },
                    ax.x(pt.t_ms),
                    y((s.get)(pt), max)
                );
            }
            let _ = writeln!(
                out,
                "<path d=\"{d}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.4\"><title>{}</title></path>",
                s.color,
                esc(s.name)
            );
        }
    }
    out.push_str("</svg>\n<div class=\"legend\">");
    for s in series {
        let _ = write!(
            out,
            "<span><i style=\"background:{}\"></i>{}</span>",
            s.color,
            esc(s.name)
        );
    }
    out.push_str("</div>\n");
}

/// The page.
pub fn page(p: &Period, lang: Lang) -> String {
    let ja = lang == Lang::Ja;
    let pts = downsample(&p.chart);
    let ax = Axis {
        t0: p
            .chart
            .first()
            .map_or(p.since_ms, |c| c.t_ms.min(p.since_ms.max(c.t_ms))),
        t1: p.chart.last().map_or(p.until_ms, |c| c.t_ms),
    };
    let ax = if ax.t1 > ax.t0 {
        ax
    } else {
        Axis {
            t0: p.since_ms,
            t1: p.until_ms.max(p.since_ms + 1),
        }
    };
    let host = p.hostname.clone().unwrap_or_else(|| "?".into());
    let mut o = String::with_capacity(256 * 1024);
    let _ = writeln!(
        o,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>karte report: {} {} – {}</title>",
        if ja { "ja" } else { "en" },
        esc(&host),
        esc(&local(p.since_ms)),
        esc(&local(p.until_ms))
    );
    o.push_str(
        "<style>body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}h1{font-size:20px}h2{font-size:17px;margin-top:28px}\
h3{font-size:14px;margin:18px 0 4px}.ax{font-size:10px;fill:#666}.legend span{margin-right:14px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}\
.f{border-left:4px solid;padding:4px 10px;margin:10px 0;background:#f8f8f8}.f .t{font-weight:600}.f .w{color:#555;font-size:12px}ul{margin:4px 0}\
table{border-collapse:collapse;font-size:12px}td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left}</style></head><body>\n",
    );
    let _ = writeln!(
        o,
        "<h1>{} — {}</h1><p>{} – {} · {} {} · {} {}{}</p>",
        esc(&host),
        if ja {
            "karte レポート"
        } else {
            "karte report"
        },
        esc(&local(p.since_ms)),
        esc(&local(p.until_ms)),
        p.readings,
        if ja { "回の読み取り" } else { "readings" },
        p.diagnosed,
        if ja {
            "区間を診断"
        } else {
            "intervals diagnosed"
        },
        p.kernel
            .as_deref()
            .map(|k| format!(" · Linux {}", esc(k)))
            .unwrap_or_default()
    );
    // Findings lane.
    let _ = writeln!(o, "<h2>{}</h2>", if ja { "所見" } else { "Findings" });
    if p.spans.is_empty() {
        let _ = writeln!(
            o,
            "<p>{}</p>",
            if ja {
                "この期間に所見はありません。"
            } else {
                "No findings in the period."
            }
        );
    }
    for s in p.spans.iter().take(200) {
        let f = &s.finding;
        let _ = writeln!(
            o,
            "<div class=\"f\" style=\"border-color:{}\"><div class=\"w\">{} – {} · {} · {}</div><div class=\"t\">{}</div><div>{}</div>",
            sev_color(f.severity),
            esc(&local(s.first_ms)),
            esc(&local(s.last_ms)),
            esc(f.rule),
            match f.severity {
                Severity::Critical => "critical",
                Severity::Warning => "warning",
                Severity::Info => "info",
            },
            esc(&f.title),
            esc(&f.summary)
        );
        if !f.evidence.is_empty() {
            o.push_str("<ul>");
            for e in &f.evidence {
                let _ = write!(o, "<li>{}</li>", esc(e));
            }
            o.push_str("</ul>");
        }
        if !f.remedy.is_empty() {
            let _ = write!(
                o,
                "<div class=\"w\">{}</div><ul>",
                if ja { "対処" } else { "What to do" }
            );
            for r in &f.remedy {
                let _ = write!(o, "<li>{}</li>", esc(r));
            }
            o.push_str("</ul>");
        }
        o.push_str("</div>\n");
    }
    if p.spans.len() > 200 {
        let _ = writeln!(o, "<p>… {} more</p>", p.spans.len() - 200);
    }
    let _ = writeln!(o, "<h2>{}</h2>", if ja { "グラフ" } else { "Charts" });
    let frame = Frame {
        pts: &pts,
        ax: &ax,
        p,
    };
    let maxload = nice_max(pts.iter().map(|c| c.load1.max(c.cpus)).fold(0.0, f64::max) * 1.1);
    chart(
        &mut o,
        &frame,
        if ja {
            "ロードアベレージ（1 分）と CPU 数"
        } else {
            "Load average (1 min) and CPU count"
        },
        &[
            Series {
                name: "load1",
                color: "#1f77b4",
                get: |c| c.load1,
            },
            Series {
                name: "CPUs",
                color: "#999",
                get: |c| c.cpus,
            },
        ],
        false,
        maxload,
        |v| format!("{v:.1}"),
    );
    // Peaks of a periodic load, when found.
    if p.analysis.periodic {
        let _ = writeln!(o, "<p>{}</p>", esc(&p.analysis.explanation));
    }
    chart(
        &mut o,
        &frame,
        if ja {
            "CPU 使用率（user, system, iowait, steal）"
        } else {
            "CPU shares (user, system, iowait, steal)"
        },
        &[
            Series {
                name: "user+nice",
                color: "#2ca02c",
                get: |c| c.user,
            },
            Series {
                name: "system+irq",
                color: "#d62728",
                get: |c| c.system,
            },
            Series {
                name: "iowait",
                color: "#9467bd",
                get: |c| c.iowait,
            },
            Series {
                name: "steal",
                color: "#ff7f0e",
                get: |c| c.steal,
            },
        ],
        true,
        100.0,
        |v| format!("{v:.0} %"),
    );
    chart(
        &mut o,
        &frame,
        if ja {
            "メモリとスワップの使用率"
        } else {
            "Memory and swap used"
        },
        &[
            Series {
                name: "memory used (MemTotal − MemAvailable)",
                color: "#17becf",
                get: |c| c.mem_used_pct,
            },
            Series {
                name: "swap used",
                color: "#e377c2",
                get: |c| c.swap_used_pct,
            },
        ],
        false,
        100.0,
        |v| format!("{v:.0} %"),
    );
    chart(
        &mut o,
        &frame,
        if ja {
            "ディスクのビジー率（最も忙しいディスク）"
        } else {
            "Disk busy (busiest disk)"
        },
        &[Series {
            name: "util",
            color: "#8c564b",
            get: |c| c.disk_util,
        }],
        false,
        100.0,
        |v| format!("{v:.0} %"),
    );
    let maxnet = nice_max(
        pts.iter()
            .map(|c| c.net_rx.max(c.net_tx))
            .fold(0.0, f64::max)
            * 1.1,
    );
    chart(
        &mut o,
        &frame,
        if ja {
            "ネットワーク（ループバック以外の合計、バイト/秒）"
        } else {
            "Network (all but loopback, bytes/s)"
        },
        &[
            Series {
                name: "rx",
                color: "#1f77b4",
                get: |c| c.net_rx,
            },
            Series {
                name: "tx",
                color: "#ff7f0e",
                get: |c| c.net_tx,
            },
        ],
        false,
        maxnet,
        |v| format!("{}/s", human_bytes(v)),
    );
    if !p.events.is_empty() {
        let _ = writeln!(
            o,
            "<h2>{}</h2><table><tr><th>time</th><th>kind</th><th>event</th></tr>",
            if ja {
                "カーネルログのイベント"
            } else {
                "Kernel-log events"
            }
        );
        for e in p.events.iter().take(1000) {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&local(e.wall_ms.unwrap_or(0))),
                esc(&e.kind),
                esc(&super::event_line(e))
            );
        }
        o.push_str("</table>\n");
    }
    if !p.notes.is_empty() {
        o.push_str("<h2>Notes</h2><ul>");
        for n in &p.notes {
            let _ = write!(o, "<li>{}</li>", esc(n));
        }
        o.push_str("</ul>\n");
    }
    let _ = writeln!(
        o,
        "<p class=\"w\" style=\"color:#888;font-size:12px\">karte {}</p></body></html>",
        env!("CARGO_PKG_VERSION")
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_scales() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(3.3), 5.0);
        assert_eq!(nice_max(101.0), 200.0);
        let pts: Vec<ChartPoint> = (0..5000)
            .map(|i| ChartPoint {
                t_ms: i,
                load1: (i % 100) as f64,
                ..Default::default()
            })
            .collect();
        let d = downsample(&pts);
        assert!(d.len() <= MAX_POINTS);
        assert_eq!(d.iter().map(|c| c.load1).fold(0.0, f64::max), 99.0);
    }
}
