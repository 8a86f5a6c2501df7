//! `/proc/meminfo`: `Name:   value kB` lines, most in kB, a few (HugePages_*) plain counts.

use serde::Serialize;

/// One line of meminfo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemField {
    pub name: String,
    pub value: u64,
    /// True when the kernel printed a `kB` unit (value is in KiB), false for counts.
    pub in_kb: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MemInfo {
    /// Every line in file order.
    pub fields: Vec<MemField>,
    pub skipped_lines: usize,
}

impl MemInfo {
    /// A field in kB, or None when absent (or not a kB field).
    pub fn kb(&self, name: &str) -> Option<u64> {
        self.fields
            .iter()
            .find(|f| f.name == name && f.in_kb)
            .map(|f| f.value)
    }

    /// A field as printed, whatever its unit.
    pub fn raw(&self, name: &str) -> Option<u64> {
        self.fields.iter().find(|f| f.name == name).map(|f| f.value)
    }
}

/// Parses one `Name: value [kB]` line (also used for the per-node meminfo after its prefix).
pub(crate) fn parse_line(line: &str) -> Option<MemField> {
    let (name, rest) = line.split_once(':')?;
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let mut it = rest.split_ascii_whitespace();
    let value = it.next()?.parse::<u64>().ok()?;
    let in_kb = match it.next() {
        None => false,
        Some(u) if u.eq_ignore_ascii_case("kb") => true,
        Some(_) => return None,
    };
    Some(MemField {
        name: name.to_string(),
        value,
        in_kb,
    })
}

pub fn parse(text: &str) -> MemInfo {
    let mut m = MemInfo::default();
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(line) {
            Some(f) => m.fields.push(f),
            None => m.skipped_lines += 1,
        }
    }
    m
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_units() {
        let m = super::parse(
            "MemTotal:        3742148 kB\nHugePages_Total:       0\nActive(anon):  5 kB\nbroken\n",
        );
        assert_eq!(m.kb("MemTotal"), Some(3742148));
        assert_eq!(m.kb("HugePages_Total"), None);
        assert_eq!(m.raw("HugePages_Total"), Some(0));
        assert_eq!(m.kb("Active(anon)"), Some(5));
        assert_eq!(m.skipped_lines, 1);
    }
}
