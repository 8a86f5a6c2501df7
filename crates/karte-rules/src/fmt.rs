//! Numbers for people, the same way in every rule.

/// Longest process name (command line) shown in one line of evidence.
pub const NAME_MAX: usize = 100;

/// `12.3 %` style with one decimal below 10, none above.
pub fn pct(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.1} %")
    } else {
        format!("{v:.0} %")
    }
}

/// A size in kB as KiB/MiB/GiB.
pub fn kb(v: u64) -> String {
    bytes(v.saturating_mul(1024))
}

/// A size in bytes as B/KiB/MiB/GiB/TiB.
pub fn bytes(v: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut x = v as f64;
    let mut u = 0;
    while x >= 1024.0 && u < UNITS.len() - 1 {
        x /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{v} B")
    } else if x < 10.0 {
        format!("{x:.1} {}", UNITS[u])
    } else {
        format!("{x:.0} {}", UNITS[u])
    }
}

/// A duration in seconds as `3 h 12 min`, `45 s`, `2 d 4 h`.
pub fn duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    if d > 0 {
        format!("{d} d {h} h")
    } else if h > 0 {
        format!("{h} h {m} min")
    } else if m > 0 {
        format!("{m} min {sec} s")
    } else {
        format!("{sec} s")
    }
}

/// The same in Japanese (`3時間12分`).
pub fn duration_ja(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    if d > 0 {
        format!("{d}日{h}時間")
    } else if h > 0 {
        format!("{h}時間{m}分")
    } else if m > 0 {
        format!("{m}分{sec}秒")
    } else {
        format!("{sec}秒")
    }
}

/// One line of evidence for a kernel-log event: its time as the log wrote it (or seconds since
/// boot in brackets, as dmesg prints them) and the message.
pub fn log_line(at: &karte_kmsg::Stamp, message: &str) -> String {
    let when = at
        .time
        .clone()
        .or_else(|| at.uptime_s.map(|u| format!("[{u:.3}]")))
        .unwrap_or_else(|| "?".into());
    format!("{when}: {message}")
}

/// The newest `max` of `lines` (given oldest first), newest first, and how many more there were.
pub fn newest_lines(lines: Vec<String>, max: usize, ja: bool) -> Vec<String> {
    let n = lines.len();
    let mut out: Vec<String> = lines.into_iter().rev().take(max).collect();
    if n > max {
        out.push(if ja {
            format!("ほか {} 件", n - max)
        } else {
            format!("and {} more", n - max)
        });
    }
    out
}

/// A rate with one or no decimals.
pub fn rate(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(pct(3.125), "3.1 %");
        assert_eq!(pct(35.4), "35 %");
        assert_eq!(kb(2048), "2.0 MiB");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(5 << 30), "5.0 GiB");
        assert_eq!(duration(3725.0), "1 h 2 min");
        assert_eq!(duration(45.0), "45 s");
        assert_eq!(duration_ja(3725.0), "1時間2分");
        assert_eq!(duration(200_000.0), "2 d 7 h");
    }
}
