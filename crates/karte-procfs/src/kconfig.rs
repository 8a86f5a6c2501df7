//! The kernel's build configuration (`/proc/config.gz` once decompressed, or
//! `/boot/config-<release>`): `CONFIG_X=value` lines.

/// `CONFIG_HZ=N`.
pub fn parse_hz(config: &str) -> Option<u32> {
    config
        .lines()
        .find_map(|l| l.trim().strip_prefix("CONFIG_HZ="))
        .and_then(|v| v.trim().parse().ok())
        .filter(|hz| *hz > 0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn hz() {
        assert_eq!(
            super::parse_hz("CONFIG_HZ_250=y\nCONFIG_HZ=250\nCONFIG_NO_HZ=y\n"),
            Some(250)
        );
        assert_eq!(super::parse_hz("# CONFIG_HZ is not set\n"), None);
        assert_eq!(super::parse_hz("CONFIG_HZ=0\n"), None);
    }
}
