//! `/proc/schedstat`: the `timestamp` line is raw jiffies, so two readings a known time apart
//! give CONFIG_HZ without root (kernel-facts §1.6).

/// The jiffies counter from the `timestamp` line.
pub fn parse_jiffies(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("timestamp "))
        .and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn jiffies() {
        assert_eq!(
            super::parse_jiffies("version 15\ntimestamp 4294937296\ncpu0 0 0\n"),
            Some(4294937296)
        );
        assert_eq!(super::parse_jiffies("version 15\n"), None);
    }
}
