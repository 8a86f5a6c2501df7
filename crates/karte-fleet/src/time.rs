//! Times and durations as users write them on the command line, and as they are printed.
//!
//! A time is `now`, a duration before now (`-6h`, `6h`, `now-90m`, `1d12h`), Unix seconds
//! (`1700000000`, `1700000000.5`), or an RFC 3339 / ISO 8601 time in UTC or with an offset
//! (`2024-05-01T03:00:00Z`, `2024-05-01 03:00:00+09:00`, `2024-05-01`). Durations are
//! Prometheus-style: a sequence of number+unit with units `ms s m h d w y` (`1h30m`, `90s`, `5m`).

use karte_snapshot::time::{days_from_civil, utc_parts};

/// Parses a duration; `None` for anything else, zero, or more than 100 years.
pub fn parse_duration(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    // A plain number is seconds.
    if let Ok(v) = s.parse::<f64>() {
        return (v.is_finite() && v > 0.0 && v < 100.0 * 365.0 * 86_400.0).then_some(v);
    }
    let b = s.as_bytes();
    let mut i = 0;
    let mut total = 0.0;
    while i < b.len() {
        let start = i;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
            i += 1;
        }
        let num: f64 = s.get(start..i)?.parse().ok()?;
        let ustart = i;
        while i < b.len() && b[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit = match s.get(ustart..i)? {
            "ms" => 0.001,
            "s" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            "w" => 7.0 * 86_400.0,
            "y" => 365.0 * 86_400.0,
            _ => return None,
        };
        total += num * unit;
    }
    (total.is_finite() && total > 0.0 && total < 100.0 * 365.0 * 86_400.0).then_some(total)
}

/// Parses a time relative to `now` (Unix seconds). See the module documentation.
pub fn parse_time(s: &str, now: f64) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s == "now" {
        return Some(now);
    }
    if let Some(rest) = s.strip_prefix("now-").or_else(|| s.strip_prefix('-')) {
        return parse_duration(rest).map(|d| now - d);
    }
    if let Some(rest) = s.strip_prefix("now+").or_else(|| s.strip_prefix('+')) {
        return parse_duration(rest).map(|d| now + d);
    }
    // Unix seconds: all digits (and a dot), at least 9 of them (before 2001 nobody asks).
    if s.len() >= 9 && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return s.parse::<f64>().ok().filter(|v| v.is_finite());
    }
    if let Some(t) = parse_rfc3339(s) {
        return Some(t);
    }
    // A bare duration means "that long ago" (`--since 6h`).
    parse_duration(s).map(|d| now - d)
}

/// `YYYY-MM-DD[(T| )HH:MM[:SS[.frac]]][Z|±HH:MM]`; without an offset, UTC.
pub fn parse_rfc3339(s: &str) -> Option<f64> {
    let s = s.trim();
    let num = |a: usize, b: usize| -> Option<i64> {
        let t = s.get(a..b)?;
        if t.bytes().all(|c| c.is_ascii_digit()) && !t.is_empty() {
            t.parse().ok()
        } else {
            None
        }
    };
    if s.len() < 10 || s.as_bytes().get(4) != Some(&b'-') || s.as_bytes().get(7) != Some(&b'-') {
        return None;
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let mut t = days_from_civil(y, mo as u32, d as u32) as f64 * 86_400.0;
    let rest = &s[10..];
    if rest.is_empty() {
        return Some(t);
    }
    let rest = rest
        .strip_prefix('T')
        .or_else(|| rest.strip_prefix('t'))
        .or_else(|| rest.strip_prefix(' '))?;
    let b = rest.as_bytes();
    if b.len() < 5 || b[2] != b':' {
        return None;
    }
    let two = |i: usize| -> Option<i64> {
        rest.get(i..i + 2)
            .filter(|x| x.bytes().all(|c| c.is_ascii_digit()))?
            .parse()
            .ok()
    };
    let (h, mi) = (two(0)?, two(3)?);
    let mut i = 5;
    let mut sec = 0.0;
    if b.get(5) == Some(&b':') {
        sec = two(6)? as f64;
        i = 8;
        if b.get(8) == Some(&b'.') {
            let st = 9;
            let mut j = st;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            sec += format!("0.{}", rest.get(st..j)?).parse::<f64>().ok()?;
            i = j;
        }
    }
    if h > 23 || mi > 59 || sec >= 61.0 {
        return None;
    }
    t += (h * 3600 + mi * 60) as f64 + sec;
    let tz = &rest[i..];
    let off = match tz {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match tz.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let z = &tz[1..];
            let (oh, om) = match z.len() {
                5 if z.as_bytes()[2] == b':' => (
                    z.get(0..2)?.parse::<i64>().ok()?,
                    z.get(3..5)?.parse::<i64>().ok()?,
                ),
                4 => (
                    z.get(0..2)?.parse::<i64>().ok()?,
                    z.get(2..4)?.parse::<i64>().ok()?,
                ),
                2 => (z.parse::<i64>().ok()?, 0),
                _ => return None,
            };
            sign * (oh * 3600 + om * 60)
        }
    };
    Some(t - off as f64)
}

/// `2024-05-01T03:04:05Z` (whole seconds), what the JSON output carries.
pub fn rfc3339(t: f64) -> String {
    if !t.is_finite() {
        return "?".into();
    }
    let (y, mo, d, h, mi, s) = utc_parts(t.floor() as i64);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `05-01 03:04` UTC: short, for spans in text.
pub fn short(t: f64) -> String {
    if !t.is_finite() {
        return "?".into();
    }
    let (_, mo, d, h, mi, _) = utc_parts(t.floor() as i64);
    format!("{mo:02}-{d:02} {h:02}:{mi:02}")
}

/// A duration for people, without a trailing zero unit (`5 min`, `2 h 0 min` → `2 h`).
pub fn human(secs: f64, lang: karte_rules::Lang) -> String {
    let s = if secs.is_finite() {
        secs.max(0.0).round() as u64
    } else {
        0
    };
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    let ja = lang == karte_rules::Lang::Ja;
    let unit = |v: u64, en: &str, jp: &str| {
        if ja {
            format!("{v}{jp}")
        } else {
            format!("{v} {en}")
        }
    };
    let (a, b) = if d > 0 {
        (unit(d, "d", "日"), (h > 0).then(|| unit(h, "h", "時間")))
    } else if h > 0 {
        (unit(h, "h", "時間"), (m > 0).then(|| unit(m, "min", "分")))
    } else if m > 0 {
        (
            unit(m, "min", "分"),
            (sec > 0).then(|| unit(sec, "s", "秒")),
        )
    } else {
        (unit(sec, "s", "秒"), None)
    };
    match b {
        Some(b) if ja => format!("{a}{b}"),
        Some(b) => format!("{a} {b}"),
        None => a,
    }
}

/// [`short`], with seconds when `step` is under a minute.
pub fn short_for(t: f64, step: f64) -> String {
    if step >= 60.0 || !t.is_finite() {
        return short(t);
    }
    let (_, mo, d, h, mi, s) = utc_parts(t.floor() as i64);
    format!("{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
}

/// A Prometheus duration for a query (`300s`), whole seconds, at least 1.
pub fn prom_duration(secs: f64) -> String {
    format!("{}s", secs.round().max(1.0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5m"), Some(300.0));
        assert_eq!(parse_duration("1h30m"), Some(5400.0));
        assert_eq!(parse_duration("2d"), Some(172_800.0));
        assert_eq!(parse_duration("90"), Some(90.0));
        assert_eq!(parse_duration("1w"), Some(604_800.0));
        for bad in ["", "5x", "h", "-5m", "0s", "1e400", "m5", "５m"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn times() {
        let now = 1_700_000_000.0;
        assert_eq!(parse_time("now", now), Some(now));
        assert_eq!(parse_time("-6h", now), Some(now - 21_600.0));
        assert_eq!(parse_time("6h", now), Some(now - 21_600.0));
        assert_eq!(parse_time("now-1d", now), Some(now - 86_400.0));
        assert_eq!(parse_time("1699990000", now), Some(1_699_990_000.0));
        assert_eq!(parse_time("2023-11-14T22:13:20Z", now), Some(now));
        assert_eq!(parse_time("2023-11-15T07:13:20+09:00", now), Some(now));
        assert_eq!(parse_time("2023-11-14 22:13:20", now), Some(now));
        assert_eq!(parse_time("2023-11-14T22:13:20.5Z", now), Some(now + 0.5));
        assert_eq!(parse_time("2023-11-14", now), Some(1_699_920_000.0));
        for bad in [
            "yesterday",
            "2023-13-01",
            "2023-11-14T25:00",
            "2023-11-14Tab",
            "-",
            "2023-11-14T22:13:20+9",
        ] {
            assert_eq!(parse_time(bad, now), None, "{bad}");
        }
        assert_eq!(rfc3339(now), "2023-11-14T22:13:20Z");
        assert_eq!(short(now), "11-14 22:13");
        assert_eq!(human(300.0, karte_rules::Lang::En), "5 min");
        assert_eq!(human(7200.0, karte_rules::Lang::En), "2 h");
        assert_eq!(human(45.0, karte_rules::Lang::En), "45 s");
        assert_eq!(human(3.0 * 86_400.0, karte_rules::Lang::En), "3 d");
        assert_eq!(human(300.0, karte_rules::Lang::Ja), "5分");
        assert_eq!(human(3.0 * 86_400.0, karte_rules::Lang::Ja), "3日");
        assert_eq!(human(70.0, karte_rules::Lang::Ja), "1分10秒");
        assert_eq!(human(10.0, karte_rules::Lang::Ja), "10秒");
        assert_eq!(human(3725.0, karte_rules::Lang::En), "1 h 2 min");
    }
}
