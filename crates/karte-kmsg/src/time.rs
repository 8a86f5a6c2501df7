//! Calendar arithmetic for the few timestamp forms that name an absolute instant.
//!
//! Most kernel logs carry either seconds since boot (`[  123.456789]`) or a wall-clock time
//! without a year or a zone (`Nov 23 03:12:01`); those are kept *as written* and never turned
//! into a guessed instant. Only ISO 8601 stamps with an offset (`2026-11-23T03:12:01+09:00`,
//! journalctl `short-iso`, RFC 5424) and Unix stamps (`short-unix`) name an instant, and on a
//! live host the boot time plus the record's uptime does. No dependency on a date crate: the
//! civil-from-days algorithm (H. Hinnant) is a dozen lines.

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let d = i64::from(d);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// Date of a day count since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// RFC 3339 UTC text of a Unix time, microsecond precision: `2026-11-23T03:12:01.123456Z`.
pub fn format_unix(secs: f64) -> String {
    if !secs.is_finite() {
        return String::from("?");
    }
    let micros_total = (secs * 1e6).round() as i64;
    let secs_i = micros_total.div_euclid(1_000_000);
    let micros = micros_total.rem_euclid(1_000_000);
    let days = secs_i.div_euclid(86400);
    let sod = secs_i.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

/// A parsed ISO 8601 date-time: where it ends in the input, and the instant when a zone was
/// given.
pub(crate) struct Iso {
    pub len: usize,
    pub unix_s: Option<f64>,
    /// Seconds within the day plus days, for ordering lines even without a zone.
    pub order_key: f64,
}

fn digits(s: &[u8], at: usize, n: usize) -> Option<u32> {
    let part = s.get(at..at + n)?;
    let mut v = 0u32;
    for &b in part {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(b - b'0');
    }
    Some(v)
}

/// Parses `YYYY-MM-DD[T ]HH:MM[:SS][.frac|,frac][Z|±HH[:]MM]` at the start of `s`.
pub(crate) fn parse_iso(s: &[u8]) -> Option<Iso> {
    let y = digits(s, 0, 4)?;
    if s.get(4) != Some(&b'-') || s.get(7) != Some(&b'-') {
        return None;
    }
    let mo = digits(s, 5, 2)?;
    let d = digits(s, 8, 2)?;
    if !matches!(s.get(10), Some(b'T' | b' ')) {
        return None;
    }
    let h = digits(s, 11, 2)?;
    if s.get(13) != Some(&b':') {
        return None;
    }
    let mi = digits(s, 14, 2)?;
    let mut i = 16;
    let mut sec = 0.0;
    if s.get(i) == Some(&b':') {
        sec = f64::from(digits(s, i + 1, 2)?);
        i += 3;
        if matches!(s.get(i), Some(b'.' | b',')) {
            let n = s[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
            if n > 0 {
                let mut scale = 0.1;
                for &b in &s[i + 1..i + 1 + n.min(9)] {
                    sec += f64::from(b - b'0') * scale;
                    scale /= 10.0;
                }
                i += 1 + n;
            }
        }
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 24 || mi > 59 || sec >= 62.0 {
        return None;
    }
    let days = days_from_civil(i64::from(y), mo, d);
    let local = days as f64 * 86400.0 + f64::from(h * 3600 + mi * 60) + sec;
    let mut offset: Option<i64> = None;
    match s.get(i) {
        Some(b'Z') => {
            offset = Some(0);
            i += 1;
        }
        Some(&sign @ (b'+' | b'-')) => {
            if let Some(oh) = digits(s, i + 1, 2) {
                let (om, len) = if s.get(i + 3) == Some(&b':') {
                    (digits(s, i + 4, 2), 6)
                } else {
                    (digits(s, i + 3, 2), 5)
                };
                if let Some(om) = om {
                    let off = i64::from(oh * 3600 + om * 60);
                    offset = Some(if sign == b'-' { -off } else { off });
                    i += len;
                } else if digits(s, i + 3, 1).is_none() {
                    // "+09" alone
                    offset = Some(i64::from(oh * 3600) * if sign == b'-' { -1 } else { 1 });
                    i += 3;
                }
            }
        }
        _ => {}
    }
    Some(Iso {
        len: i,
        unix_s: offset.map(|o| local - o as f64),
        order_key: local - offset.unwrap_or(0) as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso() {
        let t = parse_iso(b"2026-11-23T03:12:01+0900 host").expect("iso");
        assert_eq!(t.len, 24);
        assert_eq!(t.unix_s, Some(1_795_371_121.0));
        let t = parse_iso(b"2026-11-23T03:12:01.250000+09:00 x").expect("iso");
        assert_eq!(t.len, 32);
        let t = parse_iso(b"2026-11-23 03:12:01 host").expect("iso");
        assert_eq!(t.unix_s, None);
        assert!(parse_iso(b"2026-13-23T03:12:01").is_none());
    }

    #[test]
    fn round_trip() {
        for z in [-800_000i64, -1, 0, 1, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(format_unix(0.0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(format_unix(1_795_403_521.5), "2026-11-23T03:12:01.500000Z");
    }
}
