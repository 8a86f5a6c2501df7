//! Small per-process files: `cmdline` (NUL-separated argv), `wchan` (a symbol name or `0`),
//! `oom_score` and `oom_score_adj` (one integer each).

/// Joins a NUL-separated argv with spaces, dropping the trailing NUL. Empty for kernel threads and
/// zombies. Invalid UTF-8 is replaced, never rejected.
pub fn parse_cmdline(bytes: &[u8]) -> String {
    let trimmed = bytes.strip_suffix(b"\0").unwrap_or(bytes);
    let mut s = String::from_utf8_lossy(trimmed).into_owned();
    // Some programs rewrite argv with spaces and no NULs; either way NULs become spaces.
    if s.contains('\0') {
        s = s.replace('\0', " ");
    }
    s
}

/// The kernel function a sleeping task waits in; `None` for `0` (running, or hidden) or empty.
pub fn parse_wchan(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() || t == "0" {
        None
    } else {
        Some(t.to_string())
    }
}

/// One signed integer (oom_score: 0..=2000, oom_score_adj: -1000..=1000).
pub fn parse_int(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn cmdline() {
        assert_eq!(
            super::parse_cmdline(b"/usr/sbin/sshd\0-D\0"),
            "/usr/sbin/sshd -D"
        );
        assert_eq!(super::parse_cmdline(b""), "");
        assert_eq!(super::parse_cmdline(b"a\xffb\0"), "a\u{fffd}b");
    }

    #[test]
    fn wchan_and_ints() {
        assert_eq!(super::parse_wchan("0"), None);
        assert_eq!(
            super::parse_wchan("io_schedule"),
            Some("io_schedule".to_string())
        );
        assert_eq!(super::parse_int("-1000\n"), Some(-1000));
        assert_eq!(super::parse_int("x"), None);
    }
}
