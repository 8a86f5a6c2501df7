//! `/proc/vmstat`: VM event counters and page counts, `name value` per line.
//!
//! Counters of interest: `pswpin`/`pswpout` (pages swapped, cumulative), `oom_kill` (since 4.13),
//! `pgmajfault`, `pgpgin`/`pgpgout`, `nr_dirty`/`nr_writeback` (pages now).

use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VmStat {
    /// Every `name value` pair in file order.
    pub fields: Vec<(String, u64)>,
    pub skipped_lines: usize,
}

impl VmStat {
    pub fn get(&self, name: &str) -> Option<u64> {
        crate::kv::get(&self.fields, name)
    }
}

pub fn parse(text: &str) -> VmStat {
    let (fields, skipped_lines) = crate::kv::parse_u64_pairs(text);
    VmStat {
        fields,
        skipped_lines,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses() {
        let v = super::parse("nr_free_pages 100\npswpin 5\noom_kill 2\n");
        assert_eq!(v.get("pswpin"), Some(5));
        assert_eq!(v.get("oom_kill"), Some(2));
        assert_eq!(v.get("nope"), None);
    }
}
