//! `/sys/devices/system/node/node<N>/meminfo` (`Node N Name: value kB`) and `numastat`
//! (`name value`).

use crate::meminfo::MemField;

pub fn parse_node_meminfo(text: &str) -> Vec<MemField> {
    text.lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix("Node")?.trim_start();
            let (_node, rest) = rest.split_once(|c: char| c.is_ascii_whitespace())?;
            crate::meminfo::parse_line(rest)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses() {
        let f = super::parse_node_meminfo(
            "Node 1 MemTotal:       134217728 kB\nNode 1 HugePages_Total:     0\n",
        );
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].name, "MemTotal");
        assert!(f[0].in_kb);
        assert!(!f[1].in_kb);
    }
}
