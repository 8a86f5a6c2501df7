//! cgroup memory controller files (kernel-facts §4.5).
//!
//! v2: `memory.max` (`max` or bytes), `memory.current`, `memory.swap.max`, `memory.events`
//! (`low high max oom oom_kill oom_group_kill`), `memory.stat`.
//! v1: `memory.limit_in_bytes` (a huge number means unlimited), `memory.usage_in_bytes`,
//! `memory.failcnt`, `memory.oom_control` (`oom_kill_disable`, `under_oom`, `oom_kill` since 4.13).

use serde::Serialize;

/// A limit: `None` is "no limit".
pub type LimitBytes = Option<u64>;

/// v1 prints "unlimited" as PAGE_COUNTER_MAX × page size, rounded to a page; anything this large
/// is no limit in practice.
const V1_UNLIMITED_FLOOR: u64 = 1 << 62;

/// Parses v2 `memory.max`-style files: `max` or a byte count.
pub fn parse_v2_limit(text: &str) -> Option<LimitBytes> {
    let t = text.trim();
    if t == "max" {
        Some(None)
    } else {
        t.parse::<u64>().ok().map(Some)
    }
}

/// Parses v1 `memory.limit_in_bytes`.
pub fn parse_v1_limit(text: &str) -> Option<LimitBytes> {
    let v = text.trim().parse::<u64>().ok()?;
    Some(if v >= V1_UNLIMITED_FLOOR {
        None
    } else {
        Some(v)
    })
}

/// Parses a one-number file (`memory.current`, `usage_in_bytes`, `failcnt`).
pub fn parse_u64(text: &str) -> Option<u64> {
    text.trim().parse().ok()
}

/// `memory.events` (v2) or `memory.oom_control` (v1): `key value` pairs.
pub fn parse_events(text: &str) -> Vec<(String, u64)> {
    crate::kv::parse_u64_pairs(text).0
}

/// The memory state of one cgroup, whichever version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CgroupMemory {
    pub path: String,
    /// 2 or 1.
    pub version: u8,
    pub limit_bytes: LimitBytes,
    pub usage_bytes: Option<u64>,
    pub swap_limit_bytes: LimitBytes,
    /// v2 memory.events or v1 oom_control, as printed.
    pub events: Vec<(String, u64)>,
    /// v1 failcnt.
    pub failcnt: Option<u64>,
    /// Selected memory.stat fields (anon, file, shmem, kernel, sock…) in bytes.
    pub stat: Vec<(String, u64)>,
}

impl CgroupMemory {
    pub fn event(&self, key: &str) -> Option<u64> {
        crate::kv::get(&self.events, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert_eq!(parse_v2_limit("max\n"), Some(None));
        assert_eq!(parse_v2_limit("536870912\n"), Some(Some(536870912)));
        assert_eq!(parse_v2_limit("x"), None);
        assert_eq!(parse_v1_limit("9223372036854771712\n"), Some(None));
        assert_eq!(parse_v1_limit("1073741824"), Some(Some(1073741824)));
    }

    #[test]
    fn events() {
        let e = parse_events("low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n");
        let c = CgroupMemory {
            events: e,
            ..Default::default()
        };
        assert_eq!(c.event("oom_kill"), Some(2));
        let e = parse_events("oom_kill_disable 0\nunder_oom 0\noom_kill 4\n");
        assert_eq!(crate::kv::get(&e, "oom_kill"), Some(4));
    }
}
