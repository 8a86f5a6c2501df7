//! Reading load series that users export: `unix_time,load1[,load5,load15]`.
//!
//! Exports differ in small ways, and a user who pastes one should not have to edit it first:
//!
//! * with or without a header line; a header names the columns, so their order may differ
//!   (`timestamp,node_load1`, Mackerel's `loadavg1`, sysstat's `ldavg-1`);
//! * comma, semicolon (`sadf -d`), tab or spaces between fields; quoted fields;
//! * times in Unix seconds (also milliseconds, microseconds or nanoseconds, told apart by
//!   size) or as `YYYY-MM-DD HH:MM[:SS[.fff]]` with an optional `T`, `Z`, `UTC` or `±hh:mm`
//!   (a time without a zone is taken as UTC, and a note says so);
//! * `#` comment lines (sysstat writes its header as one), blank lines, a byte-order mark;
//! * empty, `NaN`, `null` or `-` values (gaps in Prometheus exports) skip the row.
//!
//! Anything else that is not a number is an error naming the line, rather than a silently
//! shorter series.

use crate::analyze::LoadPoint;
use std::fmt;

/// A line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    /// 1-based line number.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for CsvError {}

/// The readings of a CSV file.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub points: Vec<LoadPoint>,
    /// Rows skipped because a value was marked missing.
    pub skipped_rows: usize,
    /// The header line's column names, if there was one.
    pub header: Option<Vec<String>>,
    /// Assumptions made (time zone, units).
    pub notes: Vec<String>,
}

const TIME_NAMES: &[&str] = &[
    "unix_time",
    "unixtime",
    "time",
    "timestamp",
    "ts",
    "t",
    "date",
    "datetime",
    "epoch",
    "unix",
    "seconds",
    "secs",
];
const LOAD1_NAMES: &[&str] = &[
    "load1",
    "ldavg-1",
    "load_1",
    "load1m",
    "loadavg1",
    "loadavg.loadavg1",
    "node_load1",
    "load_1m",
    "loadavg_1",
    "load_avg_1",
    "1min",
    "load",
];
const LOAD5_NAMES: &[&str] = &[
    "load5",
    "ldavg-5",
    "load_5",
    "load5m",
    "loadavg5",
    "loadavg.loadavg5",
    "node_load5",
    "load_5m",
    "loadavg_5",
    "load_avg_5",
    "5min",
];
const LOAD15_NAMES: &[&str] = &[
    "load15",
    "ldavg-15",
    "load_15",
    "load15m",
    "loadavg15",
    "loadavg.loadavg15",
    "node_load15",
    "load_15m",
    "loadavg_15",
    "load_avg_15",
    "15min",
];

#[derive(Debug, Clone, Copy)]
struct Columns {
    time: usize,
    load1: usize,
    load5: Option<usize>,
    load15: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Sep {
    Char(char),
    Space,
}

/// Splits a line at `sep`; a line without it is split at white space (a file that mixes both).
fn split(line: &str, sep: Sep) -> Vec<&str> {
    match sep {
        Sep::Char(c) if line.contains(c) => line.split(c).map(unquote).collect(),
        _ => line.split_whitespace().map(unquote).collect(),
    }
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    let s = s
        .strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(s);
    let s = s
        .strip_prefix('\'')
        .and_then(|x| x.strip_suffix('\''))
        .unwrap_or(s);
    s.trim()
}

fn detect_sep(line: &str) -> Sep {
    for c in [',', ';', '\t'] {
        if line.contains(c) {
            return Sep::Char(c);
        }
    }
    Sep::Space
}

fn is_missing(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "" | "nan" | "-nan" | "null" | "none" | "-" | "na" | "n/a"
    )
}

fn find(names: &[String], wanted: &[&str]) -> Option<usize> {
    wanted
        .iter()
        .find_map(|w| names.iter().position(|n| n == w))
}

fn columns_from_header(names: &[String]) -> Option<Columns> {
    let time = find(names, TIME_NAMES);
    let load1 = find(names, LOAD1_NAMES);
    let load5 = find(names, LOAD5_NAMES);
    let load15 = find(names, LOAD15_NAMES);
    match (time, load1) {
        (Some(t), Some(l)) => Some(Columns {
            time: t,
            load1: l,
            load5,
            load15,
        }),
        (Some(t), None) if names.len() >= 2 => {
            // Unnamed load columns: the ones after the time column.
            let l = if t == 0 { 1 } else { 0 };
            Some(Columns {
                time: t,
                load1: l,
                load5: load5.or_else(|| (t == 0 && names.len() > 2).then_some(2)),
                load15: load15.or_else(|| (t == 0 && names.len() > 3).then_some(3)),
            })
        }
        (None, Some(l)) => Some(Columns {
            time: if l == 0 { 1 } else { 0 },
            load1: l,
            load5,
            load15,
        }),
        _ => None,
    }
}

/// How a time was written, for the notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeKind {
    Seconds,
    Millis,
    Micros,
    Nanos,
    DateUtc,
    DateNoZone,
    DateOffset,
}

/// Parses one time: Unix seconds (or ms/µs/ns by size) or an ISO-like date.
fn parse_time(s: &str) -> Option<(f64, TimeKind)> {
    if let Ok(x) = s.parse::<f64>() {
        if !x.is_finite() {
            return None;
        }
        let a = x.abs();
        return Some(if a >= 1e17 {
            (x / 1e9, TimeKind::Nanos)
        } else if a >= 1e14 {
            (x / 1e6, TimeKind::Micros)
        } else if a >= 1e11 {
            (x / 1e3, TimeKind::Millis)
        } else {
            (x, TimeKind::Seconds)
        });
    }
    parse_date(s)
}

/// `YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z| UTC| GMT|±hh[:]mm]`.
fn parse_date(s: &str) -> Option<(f64, TimeKind)> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let year = num(0, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let month = num(5, 2)?;
    let day = num(8, 2)?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut secs = days_from_civil(year, month, day) as f64 * 86400.0;
    let mut i = 10;
    if matches!(b.get(i), Some(b'T') | Some(b't') | Some(b' ')) {
        i += 1;
        let h = num(i, 2)?;
        if b.get(i + 2) != Some(&b':') {
            return None;
        }
        let m = num(i + 3, 2)?;
        if h > 24 || m > 59 {
            return None;
        }
        secs += (h * 3600 + m * 60) as f64;
        i += 5;
        if b.get(i) == Some(&b':') {
            let sec = num(i + 1, 2)?;
            if sec > 60 {
                return None;
            }
            secs += sec as f64;
            i += 3;
            if matches!(b.get(i), Some(b'.') | Some(b',')) {
                let start = i + 1;
                let mut end = start;
                while end < b.len() && b[end].is_ascii_digit() {
                    end += 1;
                }
                if end == start {
                    return None;
                }
                let frac: f64 = format!("0.{}", std::str::from_utf8(&b[start..end]).ok()?)
                    .parse()
                    .ok()?;
                secs += frac;
                i = end;
            }
        }
    } else if i != b.len() {
        return None;
    }
    let rest = s.get(i..)?.trim();
    if rest.is_empty() {
        return Some((secs, TimeKind::DateNoZone));
    }
    if matches!(
        rest,
        "Z" | "z" | "UTC" | "GMT" | "+00:00" | "+0000" | "-00:00"
    ) {
        return Some((secs, TimeKind::DateUtc));
    }
    let (sign, r) = match rest.as_bytes().first()? {
        b'+' => (1i64, &rest[1..]),
        b'-' => (-1i64, &rest[1..]),
        _ => return None,
    };
    let digits: String = r.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let oh: i64 = digits[..2].parse().ok()?;
    let om: i64 = digits[2..].parse().ok()?;
    if oh > 23 || om > 59 {
        return None;
    }
    // Local time = UTC + offset.
    secs -= (sign * (oh * 3600 + om * 60)) as f64;
    Some((secs, TimeKind::DateOffset))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn parse_load(s: &str, what: &str, line: usize) -> Result<Option<f64>, CsvError> {
    if is_missing(s) {
        return Ok(None);
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
        Ok(v) if v.is_nan() => Ok(None),
        Ok(_) => Err(CsvError {
            line,
            message: format!("{what} {:?} is not a load (negative or infinite)", clip(s)),
        }),
        Err(_) => Err(CsvError {
            line,
            message: format!("{what} {:?} is not a number", clip(s)),
        }),
    }
}

fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Reads a load series. See the module documentation for what is accepted.
pub fn parse_load_csv(text: &str) -> Result<Series, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut cols: Option<Columns> = None;
    let mut sep: Option<Sep> = None;
    let mut header: Option<Vec<String>> = None;
    let mut points = Vec::new();
    let mut skipped = 0usize;
    let mut kinds: Vec<TimeKind> = Vec::new();
    let mut seen_data = false;
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            // sysstat's `sadf -d` header: "# hostname;interval;timestamp;...;ldavg-1;..."
            if header.is_none() && !seen_data {
                let s = detect_sep(comment);
                let names: Vec<String> = split(comment, s)
                    .iter()
                    .map(|x| x.to_ascii_lowercase())
                    .collect();
                // Only a comment that lists columns (a separator, a time and a load1 name)
                // counts; prose in comments must not.
                if let Some(c) = columns_from_header(&names)
                    && s != Sep::Space
                    && find(&names, TIME_NAMES).is_some()
                    && find(&names, LOAD1_NAMES).is_some()
                {
                    cols = Some(c);
                    sep = Some(s);
                    header = Some(names);
                }
            }
            continue;
        }
        let s = *sep.get_or_insert_with(|| detect_sep(line));
        let fields = split(line, s);
        if cols.is_none() {
            // Header or data? A first field that reads as a time (or any field as a number
            // in the first two) means data.
            let looks_data = fields.first().is_some_and(|f| parse_time(f).is_some());
            if !looks_data && header.is_none() && !seen_data {
                let names: Vec<String> = fields.iter().map(|x| x.to_ascii_lowercase()).collect();
                match columns_from_header(&names) {
                    Some(c) => {
                        cols = Some(c);
                        header = Some(names);
                        continue;
                    }
                    None if names.len() >= 2 => {
                        // Unknown names: positional, as without a header.
                        cols = Some(Columns {
                            time: 0,
                            load1: 1,
                            load5: (names.len() > 2).then_some(2),
                            load15: (names.len() > 3).then_some(3),
                        });
                        header = Some(names);
                        continue;
                    }
                    None => {
                        return Err(CsvError {
                            line: line_no,
                            message: format!(
                                "expected unix_time,load1[,load5,load15], got {:?}",
                                clip(line)
                            ),
                        });
                    }
                }
            }
            cols = Some(Columns {
                time: 0,
                load1: 1,
                load5: Some(2),
                load15: Some(3),
            });
        }
        let Some(c) = cols else { continue };
        seen_data = true;
        let get = |i: usize| fields.get(i).copied();
        let Some(tf) = get(c.time) else {
            return Err(CsvError {
                line: line_no,
                message: "no time column".into(),
            });
        };
        if is_missing(tf) {
            skipped += 1;
            continue;
        }
        let Some((t, kind)) = parse_time(tf) else {
            return Err(CsvError {
                line: line_no,
                message: format!(
                    "time {:?} is neither Unix seconds nor YYYY-MM-DD HH:MM:SS",
                    clip(tf)
                ),
            });
        };
        let Some(l1f) = get(c.load1) else {
            return Err(CsvError {
                line: line_no,
                message: "no load1 column (expected unix_time,load1[,load5,load15])".into(),
            });
        };
        let Some(load1) = parse_load(l1f, "load1", line_no)? else {
            skipped += 1;
            continue;
        };
        let load5 = match c.load5.and_then(get) {
            Some(f) => parse_load(f, "load5", line_no)?,
            None => None,
        };
        let load15 = match c.load15.and_then(get) {
            Some(f) => parse_load(f, "load15", line_no)?,
            None => None,
        };
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
        points.push(LoadPoint {
            t,
            load1,
            load5,
            load15,
        });
    }
    if points.is_empty() {
        return Err(CsvError {
            line: 0,
            message: if skipped > 0 {
                format!("no readings: all {skipped} rows have a missing value")
            } else {
                "no readings: expected lines of unix_time,load1[,load5,load15]".into()
            },
        });
    }
    let mut notes = Vec::new();
    for k in kinds {
        match k {
            TimeKind::Millis => notes.push("times read as Unix milliseconds".to_string()),
            TimeKind::Micros => notes.push("times read as Unix microseconds".to_string()),
            TimeKind::Nanos => notes.push("times read as Unix nanoseconds".to_string()),
            TimeKind::DateNoZone => {
                notes.push("dates without a time zone were read as UTC".to_string())
            }
            _ => {}
        }
    }
    if skipped > 0 {
        notes.push(format!("{skipped} rows with a missing value were skipped"));
    }
    Ok(Series {
        points,
        skipped_rows: skipped,
        header,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn times(s: &Series) -> Vec<f64> {
        s.points.iter().map(|p| p.t).collect()
    }

    #[test]
    fn plain_without_header() {
        let s = parse_load_csv("1700000000,0.5\n1700000060,0.75,0.4,0.2\n").expect("ok");
        assert_eq!(times(&s), vec![1.7e9, 1.7e9 + 60.0]);
        assert_eq!(s.points[1].load5, Some(0.4));
        assert_eq!(s.points[1].load15, Some(0.2));
        assert!(s.header.is_none());
    }

    #[test]
    fn header_in_any_order() {
        let s =
            parse_load_csv("load15,load5,load1,timestamp\n0.1,0.2,0.3,1700000000\n").expect("ok");
        assert_eq!(s.points[0].load1, 0.3);
        assert_eq!(s.points[0].load15, Some(0.1));
        assert_eq!(s.points[0].t, 1.7e9);
    }

    #[test]
    fn sadf_semicolons_with_comment_header() {
        let text = "# hostname;interval;timestamp;runq-sz;plist-sz;ldavg-1;ldavg-5;ldavg-15;blocked\n\
                    web1;600;2026-11-22 03:10:01 UTC;1;300;0.52;0.40;0.31;0\n";
        let s = parse_load_csv(text).expect("ok");
        assert_eq!(s.points[0].load1, 0.52);
        assert_eq!(s.points[0].load15, Some(0.31));
        assert_eq!(s.points[0].t, 1_795_317_001.0);
    }

    #[test]
    fn dates_and_units() {
        let s = parse_load_csv(
            "time,load1\n2026-11-22T03:12:00Z,1\n2026-11-22T12:12:00+09:00,2\n\"1795317120000\",3\n",
        )
        .expect("ok");
        assert_eq!(s.points[0].t, 1_795_317_120.0);
        assert_eq!(s.points[1].t, 1_795_317_120.0);
        assert_eq!(s.points[2].t, 1_795_317_120.0);
        assert!(s.notes.iter().any(|n| n.contains("milliseconds")));
        let s = parse_load_csv("2026-11-22 03:12,1\n").expect("ok");
        assert!(s.notes.iter().any(|n| n.contains("UTC")));
    }

    #[test]
    fn prose_comments_are_not_headers() {
        let s = parse_load_csv("# added load of their own; t is time\n# t load\nt,load1\n5,0.5\n")
            .expect("ok");
        assert_eq!(s.points.len(), 1);
        assert_eq!(s.points[0].t, 5.0);
    }

    #[test]
    fn gaps_and_comments() {
        let s = parse_load_csv("\u{feff}# exported\n\n1,NaN\n2,\n3 0.5 0.1 0.1\n").expect("ok");
        assert_eq!(s.points.len(), 1);
        assert_eq!(s.skipped_rows, 2);
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse_load_csv("unix_time,load1\n1,0.5\n2,abc\n").expect_err("bad");
        assert_eq!(e.line, 3);
        assert!(e.to_string().starts_with("line 3: load1"), "{e}");
        let e = parse_load_csv("1,0.5\nyesterday,0.4\n").expect_err("bad");
        assert_eq!(e.line, 2);
        let e = parse_load_csv("1,-0.5\n").expect_err("negative");
        assert_eq!(e.line, 1);
        let e = parse_load_csv("1\n").expect_err("no load");
        assert_eq!(e.line, 1);
        assert!(parse_load_csv("").is_err());
        assert!(parse_load_csv("hello\n").is_err());
    }

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(parse_date("2026-11-22").map(|x| x.0), Some(1_795_305_600.0));
        assert!(parse_date("2026-13-01").is_none());
        assert!(parse_date("2026-11-22 25:00").is_none());
        assert!(parse_date("2026-11-22T03:12:00+9").is_none());
    }
}
