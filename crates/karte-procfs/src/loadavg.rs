//! `/proc/loadavg`: `"%lu.%02lu %lu.%02lu %lu.%02lu %ld/%d %d\n"` (kernel-facts §1.4).
//!
//! The fourth field counts runnable tasks (R) only, not D tasks, although the averages include
//! both: so a high average with few runnable tasks points at uninterruptible sleep.

use crate::{ParseError, Result, parse_u64};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LoadAvg {
    pub load1: f64,
    pub load5: f64,
    pub load15: f64,
    /// `nr_running()`: runnable tasks at the moment of reading.
    pub runnable: u64,
    /// All threads on the host.
    pub threads: u64,
    /// The last PID allocated in the reader's PID namespace.
    pub last_pid: Option<u64>,
}

fn parse_load(s: &str) -> Result<f64> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(ParseError::new(format!(
            "loadavg: bad average {:?}",
            crate::truncate(s, 20)
        ))),
    }
}

pub fn parse(text: &str) -> Result<LoadAvg> {
    let mut it = text.split_ascii_whitespace();
    let mut next = |what: &str| {
        it.next()
            .ok_or_else(|| ParseError::new(format!("loadavg: missing {what}")))
    };
    let load1 = parse_load(next("load1")?)?;
    let load5 = parse_load(next("load5")?)?;
    let load15 = parse_load(next("load15")?)?;
    let (r, t) = next("running/threads")?
        .split_once('/')
        .ok_or_else(|| ParseError::new("loadavg: field 4 is not running/threads"))?;
    let runnable = parse_u64(r, "loadavg running")?;
    let threads = parse_u64(t, "loadavg threads")?;
    let last_pid = next("last pid").ok().and_then(|s| s.parse().ok());
    Ok(LoadAvg {
        load1,
        load5,
        load15,
        runnable,
        threads,
        last_pid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        let l = parse("0.21 0.37 0.39 1/719 19737\n").expect("parse");
        assert_eq!(l.load1, 0.21);
        assert_eq!(l.load15, 0.39);
        assert_eq!(l.runnable, 1);
        assert_eq!(l.threads, 719);
        assert_eq!(l.last_pid, Some(19737));
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse("").is_err());
        assert!(parse("0.1 0.2 nan 1/2 3").is_err());
        assert!(parse("0.1 0.2 0.3 12").is_err());
    }
}
