//! Userspace OOM killers, from their journal/syslog lines.
//!
//! * systemd-oomd kills whole cgroups: `Killed /system.slice/x.service due to memory pressure
//!   for /system.slice being 72.81% > 50.00% for > 20s with reclaim activity`, or `... due to
//!   swap used (2000000) / total (2097148) being more than 90.00%`.
//! * earlyoom kills one process: `sending SIGTERM to process 1234 uid 1000 "firefox":
//!   oom_score 900, VmRSS 3000 MiB, cmdline "..."` (older: `badness 900, VmRSS ...`; oldest:
//!   `Killing process 1234 firefox`), after a `mem avail: 21 of 7800 MiB ( 0.27%), swap free:
//!   0 of 0 MiB ( 0.00%)` status line whose figures the event carries.

use crate::event::UserspaceOomKill;
use crate::util::{
    after, find, leading_f64, leading_u64, message, rfind, text, to_u32, trim, trim_start,
};

fn pct_after(s: &[u8], key: &[u8]) -> Option<f64> {
    let r = trim_start(after(s, key)?);
    leading_f64(r).map(|(v, _)| v)
}

pub(crate) fn systemd_oomd(msg: &[u8]) -> Option<UserspaceOomKill> {
    let rest = msg.strip_prefix(b"Killed ")?;
    let due = find(rest, b" due to ")?;
    let cgroup = trim(&rest[..due]);
    let reason = trim(&rest[due + 8..]);
    let mut e = UserspaceOomKill {
        killer: "systemd-oomd".to_string(),
        cgroup: Some(text(cgroup)),
        signal: Some("SIGKILL".to_string()),
        reason: Some(text(reason)),
        message: message(msg),
        ..UserspaceOomKill::default()
    };
    if reason.starts_with(b"memory pressure") {
        e.pressure_pct = pct_after(reason, b" being ");
        e.pressure_limit_pct = pct_after(reason, b"% > ");
    } else if let Some(s) = after(reason, b"swap used (") {
        let used = leading_u64(s).map(|(v, _)| v);
        let total = after(s, b"total (").and_then(|t| leading_u64(t).map(|(v, _)| v));
        if let (Some(u), Some(t)) = (used, total)
            && t > 0
        {
            e.swap_used_pct = Some((u as f64 * 10000.0 / t as f64).round() / 100.0);
        }
        e.pressure_limit_pct = pct_after(reason, b"more than ");
    }
    Some(e)
}

/// earlyoom's figures from its last status line.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct EarlyoomState {
    pub mem_avail_pct: Option<f64>,
    pub swap_free_pct: Option<f64>,
}

/// One earlyoom line: updates the status, or returns a kill.
pub(crate) fn earlyoom(msg: &[u8], st: &mut EarlyoomState) -> Option<UserspaceOomKill> {
    if let Some(rest) = after(msg, b"mem avail:") {
        // "mem avail: 21 of 7800 MiB ( 0.27%), swap free: 0 of 0 MiB ( 0.00%)"
        st.mem_avail_pct = pct_after(rest, b"(");
        st.swap_free_pct = after(rest, b"swap free:").and_then(|s| pct_after(s, b"("));
        return None;
    }
    let mut e = UserspaceOomKill {
        killer: "earlyoom".to_string(),
        mem_avail_pct: st.mem_avail_pct,
        swap_free_pct: st.swap_free_pct,
        message: message(msg),
        ..UserspaceOomKill::default()
    };
    if let Some(rest) = after(msg, b"sending ") {
        let sig_end = rest.iter().position(|b| *b == b' ').unwrap_or(rest.len());
        let sig = &rest[..sig_end];
        if !sig.starts_with(b"SIG") {
            return None;
        }
        e.signal = Some(text(sig));
        let p = after(rest, b"to process ")?;
        e.pid = leading_u64(p).and_then(|(v, _)| to_u32(v));
        e.uid = after(p, b" uid ").and_then(|u| leading_u64(u).and_then(|(v, _)| to_u32(v)));
        // the name is quoted and may itself contain quotes: up to the last `": `
        if let Some(q) = memchr::memchr(b'"', p) {
            let name = &p[q + 1..];
            let end = find(name, b"\": oom_score")
                .or_else(|| find(name, b"\": badness"))
                .or_else(|| rfind(name, b"\": "));
            if let Some(end) = end {
                e.comm = Some(text(&name[..end]));
            }
        }
        if let Some(v) = after(p, b"VmRSS ") {
            e.rss_kb = leading_u64(v).map(|(mib, _)| mib.saturating_mul(1024));
        }
        // the status line belongs to this kill only
        *st = EarlyoomState::default();
        return Some(e);
    }
    if let Some(rest) = after(msg, b"Killing process ") {
        let (pid, n) = leading_u64(rest)?;
        e.pid = to_u32(pid);
        let name = trim(&rest[n..]);
        if !name.is_empty() {
            e.comm = Some(text(name));
        }
        e.signal = Some("SIGTERM".to_string());
        *st = EarlyoomState::default();
        return Some(e);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oomd() {
        let e = systemd_oomd(b"Killed /user.slice/user-1000.slice/user@1000.service/app.slice/app-firefox.scope due to memory pressure for /user.slice/user-1000.slice/user@1000.service being 56.71% > 50.00% for > 20s with reclaim activity").expect("e");
        assert_eq!(
            (e.pressure_pct, e.pressure_limit_pct),
            (Some(56.71), Some(50.0))
        );
        let e = systemd_oomd(b"Killed /system.slice/leaky.service due to swap used (2000000) / total (2097148) being more than 90.00%").expect("e");
        assert_eq!(e.swap_used_pct, Some(95.37));
    }

    #[test]
    fn early() {
        let mut st = EarlyoomState::default();
        assert!(
            earlyoom(
                b"mem avail:    21 of  7800 MiB ( 0.27%), swap free:    0 of    0 MiB ( 0.00%)",
                &mut st
            )
            .is_none()
        );
        let e = earlyoom(b"sending SIGTERM to process 4321 uid 1000 \"Web \"Content\"\": oom_score 900, VmRSS 3000 MiB, cmdline \"x\"", &mut st).expect("e");
        assert_eq!(
            (e.pid, e.uid, e.comm.as_deref(), e.rss_kb),
            (
                Some(4321),
                Some(1000),
                Some("Web \"Content\""),
                Some(3_072_000)
            )
        );
        assert_eq!(e.mem_avail_pct, Some(0.27));
    }
}
