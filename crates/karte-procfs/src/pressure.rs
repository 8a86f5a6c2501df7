//! `/proc/pressure/{cpu,memory,io,irq}` and cgroup v2 `*.pressure` (kernel-facts §7).
//!
//! `some|full avg10=%f avg60=%f avg300=%f total=%llu`: averages are percent of wall time, `total`
//! is cumulative stall time in microseconds. CPU `full` is absent before 5.13 and zero at system
//! level after.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PsiLine {
    pub avg10_pct: f64,
    pub avg60_pct: f64,
    pub avg300_pct: f64,
    pub total_us: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Pressure {
    pub some: Option<PsiLine>,
    pub full: Option<PsiLine>,
}

pub fn parse(text: &str) -> Pressure {
    let mut p = Pressure::default();
    for line in text.lines() {
        let mut it = line.split_ascii_whitespace();
        let kind = it.next();
        let mut l = PsiLine {
            avg10_pct: f64::NAN,
            avg60_pct: f64::NAN,
            avg300_pct: f64::NAN,
            total_us: 0,
        };
        let mut have_total = false;
        for kv in it {
            let Some((k, v)) = kv.split_once('=') else {
                continue;
            };
            let pct = || v.parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0);
            match k {
                "avg10" => l.avg10_pct = pct().unwrap_or(f64::NAN),
                "avg60" => l.avg60_pct = pct().unwrap_or(f64::NAN),
                "avg300" => l.avg300_pct = pct().unwrap_or(f64::NAN),
                "total" => {
                    if let Ok(t) = v.parse() {
                        l.total_us = t;
                        have_total = true;
                    }
                }
                _ => {}
            }
        }
        if !have_total || l.avg10_pct.is_nan() || l.avg60_pct.is_nan() || l.avg300_pct.is_nan() {
            continue;
        }
        match kind {
            Some("some") => p.some = Some(l),
            Some("full") => p.full = Some(l),
            _ => {}
        }
    }
    p
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses() {
        let p = super::parse(
            "some avg10=0.18 avg60=0.34 avg300=0.10 total=159886802\nfull avg10=0.18 avg60=0.34 avg300=0.10 total=159229614\n",
        );
        let s = p.some.expect("some");
        assert_eq!(s.avg60_pct, 0.34);
        assert_eq!(s.total_us, 159886802);
        assert_eq!(p.full.map(|f| f.total_us), Some(159229614));
        let p = super::parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
        assert!(p.full.is_none());
        let p = super::parse("some avg10=x avg60=0.00 avg300=0.00 total=0\n");
        assert!(p.some.is_none());
    }
}
