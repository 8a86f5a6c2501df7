//! `/proc/timer_list` (root only on modern kernels): the `now at N nsecs` header
//! (CLOCK_MONOTONIC) and per-CPU `jiffies: N` lines — one reading pairs the two clocks, which
//! gives CONFIG_HZ (kernel-facts §1.6).

/// `(now_ns, jiffies)`: the header's monotonic time and the first `jiffies:` line.
pub fn parse(text: &str) -> Option<(u64, u64)> {
    let mut now = None;
    let mut jiffies = None;
    for l in text.lines() {
        let l = l.trim();
        if now.is_none()
            && let Some(r) = l.strip_prefix("now at ")
        {
            now = r.split_whitespace().next().and_then(|v| v.parse().ok());
        }
        if jiffies.is_none()
            && let Some(r) = l.strip_prefix("jiffies:")
        {
            jiffies = r.trim().parse().ok();
        }
        if now.is_some() && jiffies.is_some() {
            break;
        }
    }
    Some((now?, jiffies?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses() {
        // From a 6.18 VM (HZ=250).
        let t = "Timer List Version: v0.10\nHRTIMER_MAX_CLOCK_BASES: 8\nnow at 550759491709 nsecs\n\
                 \ncpu: 0\n  .last_jiffies   : 4295029922\njiffies: 4295029922\n";
        assert_eq!(super::parse(t), Some((550_759_491_709, 4_295_029_922)));
        assert_eq!(super::parse("now at x nsecs\n"), None);
    }
}
