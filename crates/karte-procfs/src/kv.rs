//! Files of `key value` lines: /proc/vmstat, cgroup `memory.stat` and `memory.events`,
//! `memory.oom_control`, the per-node `numastat`.

/// Parses `key value` lines into pairs, in file order. Lines whose value is not an unsigned
/// integer are counted in the second element and otherwise skipped.
pub fn parse_u64_pairs(text: &str) -> (Vec<(String, u64)>, usize) {
    let mut out = Vec::new();
    let mut skipped = 0;
    for line in text.lines() {
        let mut it = line.split_ascii_whitespace();
        let (Some(k), Some(v)) = (it.next(), it.next()) else {
            if !line.trim().is_empty() {
                skipped += 1;
            }
            continue;
        };
        match v.parse::<u64>() {
            Ok(n) => out.push((k.to_string(), n)),
            Err(_) => skipped += 1,
        }
    }
    (out, skipped)
}

/// Looks a key up in pairs from [`parse_u64_pairs`].
pub fn get(pairs: &[(String, u64)], key: &str) -> Option<u64> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    #[test]
    fn pairs() {
        let (p, skipped) = super::parse_u64_pairs("a 1\nb 2\nc x\n\nd\n");
        assert_eq!(p, vec![("a".to_string(), 1), ("b".to_string(), 2)]);
        assert_eq!(skipped, 2);
        assert_eq!(super::get(&p, "b"), Some(2));
        assert_eq!(super::get(&p, "z"), None);
    }
}
