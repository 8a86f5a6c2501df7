//! `/sys/class/net/<if>/…`: one value per file.

/// `operstate`: `up`, `down`, `unknown`, `dormant`, `lowerlayerdown`, `notpresent`, `testing`.
pub fn parse_operstate(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty() && t.len() < 32).then(|| t.to_string())
}

/// `address`: a MAC, lower-case.
pub fn parse_address(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty() && t.len() < 64 && t.bytes().all(|b| b.is_ascii_hexdigit() || b == b':'))
        .then(|| t.to_ascii_lowercase())
}

/// `carrier` (0/1), `carrier_changes`, `mtu`, `statistics/*`: one unsigned integer. Reading
/// `carrier` of a down interface fails with EINVAL, which the source turns into "not known".
pub fn parse_u64(text: &str) -> Option<u64> {
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn values() {
        assert_eq!(super::parse_operstate("up\n").as_deref(), Some("up"));
        assert_eq!(
            super::parse_address("52:54:00:AB:cd:01\n").as_deref(),
            Some("52:54:00:ab:cd:01")
        );
        assert_eq!(super::parse_address("zz"), None);
        assert_eq!(super::parse_u64("1\n"), Some(1));
    }
}
