//! Finding CONFIG_HZ at run time (kernel-facts §1.6): the pure half. The caller reads the files
//! (through `karte_source::Root`) and the clock; these functions only parse and decide.
//!
//! `sysconf(_SC_CLK_TCK)` is USER_HZ (100 on x86 whatever CONFIG_HZ is), and /proc/stat and
//! /proc/uptime are in USER_HZ or seconds, so none of them tells HZ. What does:
//!
//! 1. `/proc/schedstat`'s `timestamp` line is raw jiffies (needs CONFIG_SCHEDSTATS; world
//!    readable): two readings a known time apart give HZ (`karte_procfs::schedstat::
//!    parse_jiffies` and `karte_snapshot::interval::estimate_hz` do that).
//! 2. `/proc/timer_list` (mode 0400 on modern kernels: root only) prints `now at N nsecs` and
//!    `jiffies: N`, so even one reading does, and two do robustly ([`parse_timer_list`]).
//! 3. `/proc/config.gz` (CONFIG_IKCONFIG_PROC) or `/boot/config-<release>` carry `CONFIG_HZ=`
//!    ([`parse_config_hz`]); the caller decompresses.

/// `CONFIG_HZ=N` from the text of a kernel config (the parser lives with the other kernel-file
/// parsers in karte-procfs).
pub use karte_procfs::kconfig::parse_hz as parse_config_hz;
/// `(now_ns, jiffies)` from `/proc/timer_list`.
pub use karte_procfs::timer_list::parse as parse_timer_list;

/// HZ from one `/proc/timer_list` reading: jiffies start at `INITIAL_JIFFIES` = 2^32 − 300·HZ
/// at boot while the monotonic clock starts at 0, so `(jiffies − INITIAL_JIFFIES)/HZ` ≈ uptime
/// for the right HZ only. Checks the usual values; `None` when none fits within 2 s (a host up
/// for less than a few seconds cannot be told).
pub fn hz_from_one_timer_list(now_ns: u64, jiffies: u64, known: &[u32]) -> Option<u32> {
    let up = now_ns as f64 / 1e9;
    if up < 10.0 {
        return None;
    }
    known.iter().copied().find(|&hz| {
        let init = crate::sim::initial_jiffies(hz);
        let since = jiffies.wrapping_sub(init);
        let secs = since as f64 / f64::from(hz);
        (secs - up).abs() < 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config() {
        assert_eq!(
            parse_config_hz("CONFIG_HZ_250=y\nCONFIG_HZ=250\nCONFIG_NO_HZ=y\n"),
            Some(250)
        );
        assert_eq!(parse_config_hz("# CONFIG_HZ is not set\n"), None);
        assert_eq!(parse_config_hz("CONFIG_HZ=0\n"), None);
    }

    #[test]
    fn timer_list() {
        // From this repository's 6.18 VM (HZ=250).
        let t = "Timer List Version: v0.10\nHRTIMER_MAX_CLOCK_BASES: 8\nnow at 550759491709 nsecs\n\
                 \ncpu: 0\n  .last_jiffies   : 4295029922\njiffies: 4295029922\n";
        let (now, j) = parse_timer_list(t).expect("parse");
        assert_eq!((now, j), (550_759_491_709, 4_295_029_922));
        assert_eq!(
            hz_from_one_timer_list(now, j, &[100, 250, 300, 1000]),
            Some(250)
        );
        assert_eq!(parse_timer_list("now at x nsecs\n"), None);
    }
}
