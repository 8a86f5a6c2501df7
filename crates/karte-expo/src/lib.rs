//! Prometheus text exposition format 0.0.4, written by karte itself.
//!
//! No registry crate: they reword HELP lines or add `# EOF`, and node_exporter compatibility
//! means matching its names, labels, units, HELP and TYPE lines exactly, so that existing
//! Grafana dashboards work unchanged. [`Exposition`] gathers families and renders them sorted by
//! name with samples sorted by labels, as the Go client does.

pub mod karte;
pub mod node;

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The Content-Type of what [`Exposition::render`] returns.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    Counter,
    Gauge,
    Untyped,
}

impl MetricType {
    fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Untyped => "untyped",
        }
    }
}

#[derive(Debug)]
struct Family {
    help: String,
    kind: MetricType,
    /// Rendered label set (`{a="b"}` or empty) → value.
    samples: BTreeMap<String, f64>,
}

/// A set of metric families being built.
#[derive(Debug, Default)]
pub struct Exposition {
    families: BTreeMap<String, Family>,
}

impl Exposition {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one sample. The first sample of a family fixes its HELP and TYPE. A sample with the
    /// same labels as an earlier one replaces it (a family never repeats a label set).
    pub fn add(
        &mut self,
        name: &str,
        help: &str,
        kind: MetricType,
        labels: &[(&str, &str)],
        value: f64,
    ) {
        // Look up first: the name is allocated once per family, not once per sample.
        let fam = match self.families.get_mut(name) {
            Some(f) => f,
            None => self
                .families
                .entry(name.to_string())
                .or_insert_with(|| Family {
                    help: help.to_string(),
                    kind,
                    samples: BTreeMap::new(),
                }),
        };
        fam.samples.insert(render_labels(labels), value);
    }

    pub fn gauge(&mut self, name: &str, help: &str, labels: &[(&str, &str)], value: f64) {
        self.add(name, help, MetricType::Gauge, labels, value);
    }

    pub fn counter(&mut self, name: &str, help: &str, labels: &[(&str, &str)], value: f64) {
        self.add(name, help, MetricType::Counter, labels, value);
    }

    pub fn is_empty(&self) -> bool {
        self.families.is_empty()
    }

    /// Renders the text exposition.
    pub fn render(&self) -> String {
        let n: usize = self.families.values().map(|f| f.samples.len()).sum();
        let mut out = String::with_capacity(self.families.len() * 120 + n * 64);
        for (name, f) in &self.families {
            out.push_str("# HELP ");
            out.push_str(name);
            out.push(' ');
            push_help(&f.help, &mut out);
            out.push_str("\n# TYPE ");
            out.push_str(name);
            out.push(' ');
            out.push_str(f.kind.as_str());
            out.push('\n');
            for (labels, v) in &f.samples {
                out.push_str(name);
                out.push_str(labels);
                out.push(' ');
                format_value(*v, &mut out);
                out.push('\n');
            }
        }
        out
    }
}

fn render_labels(labels: &[(&str, &str)]) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let mut s = String::with_capacity(
        2 + labels
            .iter()
            .map(|(k, v)| k.len() + v.len() + 4)
            .sum::<usize>(),
    );
    s.push('{');
    let mut push = |i: usize, k: &str, v: &str| {
        if i > 0 {
            s.push(',');
        }
        s.push_str(k);
        s.push_str("=\"");
        if v.bytes().any(|b| matches!(b, b'\\' | b'"' | b'\n')) {
            for c in v.chars() {
                match c {
                    '\\' => s.push_str("\\\\"),
                    '"' => s.push_str("\\\""),
                    '\n' => s.push_str("\\n"),
                    c => s.push(c),
                }
            }
        } else {
            s.push_str(v);
        }
        s.push('"');
    };
    // Sorted by label name, as the Go client renders them (without a copy when already sorted).
    if labels.windows(2).all(|w| w[0].0 <= w[1].0) {
        for (i, (k, v)) in labels.iter().enumerate() {
            push(i, k, v);
        }
    } else {
        let mut ls: Vec<&(&str, &str)> = labels.iter().collect();
        ls.sort_by(|a, b| a.0.cmp(b.0));
        for (i, (k, v)) in ls.iter().enumerate() {
            push(i, k, v);
        }
    }
    s.push('}');
    s
}

fn push_help(h: &str, out: &mut String) {
    if h.bytes().any(|b| b == b'\\' || b == b'\n') {
        out.push_str(&h.replace('\\', "\\\\").replace('\n', "\\n"));
    } else {
        out.push_str(h);
    }
}

/// Formats a value as Go's `strconv.FormatFloat(v, 'g', -1, 64)` does, which is what
/// node_exporter prints: the shortest digits that round-trip, in exponent form when the decimal
/// exponent is below -4 or at least 6 (ftoa.go: "if shortest { eprec = 6 }"), with a sign and at
/// least two exponent digits (`8.885917e+06`).
pub fn format_value(v: f64, out: &mut String) {
    if v.is_nan() {
        out.push_str("NaN");
        return;
    }
    if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
        return;
    }
    if v == 0.0 {
        out.push_str(if v.is_sign_negative() { "-0" } else { "0" });
        return;
    }
    // Integers (most counters and gauges): digits without float formatting.
    if v.fract() == 0.0 && v.abs() < 9.007_199_254_740_992e15 {
        let mut n = v.abs() as u64;
        let mut digits = [0u8; 20];
        let mut len = 0;
        while n > 0 {
            digits[len] = b'0' + (n % 10) as u8;
            n /= 10;
            len += 1;
        }
        digits[..len].reverse();
        if v < 0.0 {
            out.push('-');
        }
        let d = &digits[..len];
        if len <= 6 {
            out.push_str(std::str::from_utf8(d).unwrap_or("0"));
        } else {
            let mut end = len;
            while end > 1 && d[end - 1] == b'0' {
                end -= 1;
            }
            out.push(d[0] as char);
            if end > 1 {
                out.push('.');
                out.push_str(std::str::from_utf8(&d[1..end]).unwrap_or(""));
            }
            let _ = write!(out, "e+{:02}", len - 1);
        }
        return;
    }
    // Rust's `{:e}` gives the same shortest round-trip digits, as `d.ddde<exp>`.
    let sci = format!("{v:e}");
    let (mant, exp) = match sci.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (sci.as_str(), 0),
    };
    if !(-4..6).contains(&exp) {
        out.push_str(mant);
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let _ = write!(out, "{:02}", exp.abs());
    } else {
        let _ = write!(out, "{v}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: f64) -> String {
        let mut s = String::new();
        format_value(v, &mut s);
        s
    }

    #[test]
    fn go_float_format() {
        // Values and their text as node_exporter's e2e output prints them.
        assert_eq!(f(26442.0), "26442");
        assert_eq!(f(8885917.0), "8.885917e+06");
        assert_eq!(f(38014093.0), "3.8014093e+07");
        assert_eq!(f(1418183276.0), "1.418183276e+09");
        assert_eq!(f(14.036781000000001), "14.036781000000001");
        assert_eq!(f(0.21), "0.21");
        assert_eq!(f(444.9), "444.9");
        assert_eq!(f(0.0), "0");
        assert_eq!(f(7200.0), "7200");
        assert_eq!(f(1e-5), "1e-05");
        assert_eq!(f(0.0001), "0.0001");
        assert_eq!(f(f64::NAN), "NaN");
        assert_eq!(f(f64::INFINITY), "+Inf");
        assert_eq!(f(123456.0), "123456");
        assert_eq!(f(1234567.0), "1.234567e+06");
    }

    #[test]
    fn renders_sorted_and_escaped() {
        let mut e = Exposition::new();
        e.counter("b_total", "B.", &[("x", "1")], 2.0);
        e.gauge(
            "a",
            "A with \\ and\nnewline.",
            &[("z", "q\"\n"), ("a", "\\")],
            1.0,
        );
        e.counter("b_total", "ignored", &[("x", "0")], 1.0);
        let t = e.render();
        assert_eq!(
            t,
            "# HELP a A with \\\\ and\\nnewline.\n# TYPE a gauge\na{a=\"\\\\\",z=\"q\\\"\\n\"} 1\n\
             # HELP b_total B.\n# TYPE b_total counter\nb_total{x=\"0\"} 1\nb_total{x=\"1\"} 2\n"
        );
    }
}
