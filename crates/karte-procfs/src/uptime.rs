//! `/proc/uptime`: seconds since boot and summed idle seconds of all CPUs.
//!
//! The first field is CLOCK_BOOTTIME; a bundle's time between readings is the difference of it.

use crate::{ParseError, Result};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Uptime {
    pub up_secs: f64,
    /// Idle time summed over CPUs (so it can exceed `up_secs`).
    pub idle_secs: Option<f64>,
}

pub fn parse(text: &str) -> Result<Uptime> {
    let mut it = text.split_ascii_whitespace();
    let up_secs = it
        .next()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| ParseError::new("uptime: first field is not a number of seconds"))?;
    let idle_secs = it
        .next()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0);
    Ok(Uptime { up_secs, idle_secs })
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses() {
        let u = super::parse("3545.41 6772.87\n").expect("parse");
        assert_eq!(u.up_secs, 3545.41);
        assert_eq!(u.idle_secs, Some(6772.87));
        assert!(super::parse("x").is_err());
        assert!(super::parse("-1 2").is_err());
    }
}
