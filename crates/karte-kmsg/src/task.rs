//! Task and CPU trouble: hung tasks, soft and hard lockups, RCU stalls, user-space faults.

use crate::event::{Event, HardLockup, RcuStall, Segfault, SoftLockup};
use crate::util::{
    after, comm_colon_pid, contains, find, leading_hex, leading_u64, message, rfind, text, to_u32,
    token, trim, trim_start, u64_after,
};

/// A parsed `INFO: task X:N blocked for more than S seconds.` line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Hung {
    pub comm: String,
    pub pid: u32,
    pub secs: Option<u64>,
    /// False when the line was cut before "blocked" (a wrapped mail): the next line must
    /// confirm it.
    pub confirmed: bool,
}

/// `INFO: task kworker/u16:3:123 blocked for more than 122 seconds.` The comm may contain `:`
/// and spaces; the pid is after the last `:` before ` blocked`.
pub(crate) fn hung(msg: &[u8]) -> Option<Hung> {
    let rest = after(msg, b"INFO: task ")?;
    if let Some(b) = find(rest, b" blocked for") {
        let (comm, pid) = comm_colon_pid(trim(&rest[..b]))?;
        let tail = &rest[b..];
        return Some(Hung {
            comm: text(comm),
            pid,
            secs: u64_after(tail, b"more than "),
            confirmed: true,
        });
    }
    // "INFO: task java:1234" and nothing after: wrapped.
    let t = trim(rest);
    if !contains(t, b" ") || t.iter().rposition(|b| *b == b' ') < t.iter().rposition(|b| *b == b':')
    {
        let (comm, pid) = comm_colon_pid(t)?;
        if find(t, b" is blocked on").is_some() {
            return None;
        }
        return Some(Hung {
            comm: text(comm),
            pid,
            secs: None,
            confirmed: false,
        });
    }
    None
}

/// The rest of a wrapped hung-task line: `blocked for more than 120 seconds.`, `than 120
/// seconds.`, `120 seconds.`
pub(crate) fn hung_cont(h: &mut Hung, m: &[u8]) -> bool {
    let m = trim(m);
    if !h.confirmed {
        if m.starts_with(b"blocked for") {
            h.confirmed = true;
            h.secs = u64_after(m, b"more than ");
            return true;
        }
        return false;
    }
    if h.secs.is_none() {
        let s = if let Some(r) = m.strip_prefix(b"than ") {
            leading_u64(r).map(|(v, _)| v)
        } else if let Some(r) = m.strip_prefix(b"more than ") {
            leading_u64(r).map(|(v, _)| v)
        } else {
            match leading_u64(m) {
                Some((v, n)) if m[n..].starts_with(b" second") => Some(v),
                _ => None,
            }
        };
        if s.is_some() {
            h.secs = s;
            return true;
        }
    }
    false
}

/// `BUG: soft lockup - CPU#3 stuck for 22s! [java:1234]`
pub(crate) fn soft_lockup(msg: &[u8]) -> Option<Event> {
    let rest = after(msg, b"soft lockup")?;
    let cpu = u64_after(rest, b"CPU#").and_then(to_u32);
    cpu?;
    let stuck = u64_after(rest, b"stuck for ");
    let (comm, pid) = match (memchr::memrchr(b'[', rest), memchr::memrchr(b']', rest)) {
        (Some(o), Some(c)) if o < c => match comm_colon_pid(&rest[o + 1..c]) {
            Some((comm, pid)) => (Some(text(comm)), Some(pid)),
            None => (None, None),
        },
        _ => (None, None),
    };
    Some(Event::SoftLockup(SoftLockup {
        cpu,
        stuck_secs: stuck,
        pid,
        comm,
        message: message(msg),
        ..SoftLockup::default()
    }))
}

/// `Watchdog detected hard LOCKUP on cpu 3`
pub(crate) fn hard_lockup(msg: &[u8]) -> Option<Event> {
    let rest = after(msg, b"hard LOCKUP")?;
    Some(Event::HardLockup(HardLockup {
        cpu: u64_after(rest, b"cpu ").and_then(to_u32),
        message: message(msg),
        ..HardLockup::default()
    }))
}

/// `INFO: rcu_sched detected stalls on CPUs/tasks: { 3} (detected by 1, t=60002 jiffies, ...)`,
/// `rcu: INFO: rcu_preempt self-detected stall on CPU`, `INFO: rcu_tasks detected stalls on
/// tasks:`, `rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: { 3-.... }`.
pub(crate) fn rcu_stall(msg: &[u8]) -> Option<RcuStall> {
    let pos = find(msg, b"detected stall").or_else(|| find(msg, b"detected expedited stall"))?;
    let self_detected = pos >= 5 && &msg[pos - 5..pos] == b"self-";
    let head_end = if self_detected { pos - 5 } else { pos };
    let head = crate::util::trim_end(&msg[..head_end]);
    let flavor_tok = head
        .iter()
        .rposition(|b| *b == b' ')
        .map_or(head, |i| &head[i + 1..]);
    let flavor = (flavor_tok.starts_with(b"rcu") || flavor_tok.starts_with(b"RCU"))
        .then(|| text(flavor_tok));
    if flavor.is_none() && !contains(msg, b"rcu") && !contains(msg, b"RCU") {
        return None;
    }
    let mut r = RcuStall {
        flavor,
        self_detected,
        message: message(msg),
        ..RcuStall::default()
    };
    if let Some(o) = memchr::memchr(b'{', msg)
        && let Some(c) = memchr::memchr(b'}', &msg[o..])
    {
        for tok in msg[o + 1..o + c].split(|b| *b == b' ' || *b == b',') {
            if let Some((cpu, _)) = leading_u64(tok)
                && r.cpus.len() < 256
                && let Some(cpu) = to_u32(cpu)
            {
                r.cpus.push(cpu);
            }
        }
    }
    if r.cpus.is_empty()
        && let Some(cpu) = after(&msg[pos..], b"on CPU ")
            .and_then(leading_u64)
            .and_then(|(v, _)| to_u32(v))
    {
        // 2.6.3x: "INFO: rcu_sched_state detected stall on CPU 3 (t=60000 jiffies)"
        r.cpus.push(cpu);
    }
    rcu_fields(&mut r, msg);
    Some(r)
}

fn rcu_fields(r: &mut RcuStall, m: &[u8]) {
    if let Some(v) = u64_after(m, b"detected by ").and_then(to_u32) {
        r.detected_by = Some(v);
    }
    if let Some(t) = after(m, b"t=")
        && let Some((v, _)) = leading_u64(t)
    {
        r.stall_jiffies = Some(v);
    }
    if contains(m, b"kthread starved") {
        r.kthread_starved = true;
    }
}

/// A further line of an RCU stall report (CPU lines, the `detected by` line, the starvation
/// line, and the stack dumps in between). Returns whether it belonged to it.
pub(crate) fn rcu_cont(r: &mut RcuStall, msg: &[u8]) -> bool {
    let m = trim(msg);
    let m = trim_start(m.strip_prefix(b"rcu:").unwrap_or(m));
    // "3-....: (1 GPs behind) idle=..." / "3: (5249 ticks this GP) idle=..."
    if let Some((cpu, n)) = leading_u64(m)
        && matches!(m.get(n), Some(b'-' | b':'))
        && contains(m, b"idle=")
    {
        if r.cpus.len() < 256
            && let Some(cpu) = to_u32(cpu)
            && !r.cpus.contains(&cpu)
        {
            r.cpus.push(cpu);
        }
        return true;
    }
    if m.starts_with(b"(detected by") || m.starts_with(b"(t=") || contains(m, b"kthread starved") {
        rcu_fields(r, m);
        return true;
    }
    const RCU_TEXT: &[&[u8]] = &[
        b"Tasks blocked on",
        b"blocking rcu_node",
        b"Unless rcu_",
        b"RCU grace-period kthread",
        b"Stack dump where RCU",
        b"rcu_",
        b"All QSes seen",
        b"Possible timer handling issue",
        b"timer softirq",
        b"NMI backtrace",
        b"Sending NMI",
        b"Task dump for CPU",
    ];
    RCU_TEXT.iter().any(|p| m.starts_with(p)) || is_dump_line(m)
}

/// Lines of a stack/register dump (they follow hung-task, lockup and stall reports).
pub(crate) fn is_dump_line(m: &[u8]) -> bool {
    const PREFIXES: &[&[u8]] = &[
        b"Call Trace",
        b"<TASK>",
        b"</TASK>",
        b"<IRQ>",
        b"</IRQ>",
        b"<NMI>",
        b"</NMI>",
        b"CPU: ",
        b"Hardware name:",
        b"RIP: ",
        b"RSP: ",
        b"RAX: ",
        b"RDX: ",
        b"RBP: ",
        b"R10: ",
        b"R13: ",
        b"FS: ",
        b"CS: ",
        b"CR2: ",
        b"DR0: ",
        b"DR3: ",
        b"PKRU: ",
        b"Code: ",
        b"Modules linked in:",
        b"task:",
        b"? ",
        b"Workqueue:",
        b"Stack:",
        b"Pid: ",
        b"[<",
    ];
    PREFIXES.iter().any(|p| m.starts_with(p)) || (contains(m, b"+0x") && contains(m, b"/0x"))
}

/// User faults: `java[1234]: segfault at 0 ip 00007f.. sp 00007ff.. error 4 in
/// libjvm.so[7f..+1000000] likely on CPU 3 (core 3, socket 0)`, `traps: java[1234] general
/// protection fault ip:7f.. sp:7ff.. error:0 in libc.so.6[...]`, arm64 `a.out[1234]:
/// unhandled level 2 translation fault (11) at 0x0, esr 0x92000006, in a.out[...]`.
pub(crate) fn segfault(msg: &[u8]) -> Option<Event> {
    if let Some(p) = find(msg, b": segfault at ") {
        let (comm, pid) = comm_bracket_pid(&msg[..p])?;
        let rest = &msg[p + 14..];
        let mut e = Segfault {
            pid: Some(pid),
            comm: Some(comm),
            fault: "segfault".to_string(),
            address: Some(text(token(rest, b""))),
            ip: after(rest, b" ip ")
                .or_else(|| after(rest, b" rip "))
                .map(|v| text(token(v, b""))),
            sp: after(rest, b" sp ")
                .or_else(|| after(rest, b" rsp "))
                .map(|v| text(token(v, b""))),
            error_code: after(rest, b" error ").and_then(|v| leading_hex(v).map(|(x, _)| x)),
            message: message(msg),
            ..Segfault::default()
        };
        e.object = object(rest);
        e.cpu = u64_after(rest, b"likely on CPU ").and_then(to_u32);
        return Some(Event::Segfault(e));
    }
    if let Some(rest) = after(msg, b"traps: ") {
        // "comm[pid] general protection fault ip:..."
        let close = find(rest, b"] ")?;
        let (comm, pid) = comm_bracket_pid(&rest[..=close])?;
        let tail = &rest[close + 2..];
        let fault_end = find(tail, b" ip:")
            .or_else(|| find(tail, b" ip "))
            .unwrap_or(tail.len());
        let mut e = Segfault {
            pid: Some(pid),
            comm: Some(comm),
            fault: text(trim(&tail[..fault_end])),
            ip: after(tail, b"ip:").map(|v| text(token(v, b""))),
            sp: after(tail, b"sp:").map(|v| text(token(v, b""))),
            error_code: after(tail, b"error:").and_then(|v| leading_hex(v).map(|(x, _)| x)),
            message: message(msg),
            ..Segfault::default()
        };
        e.object = object(tail);
        return Some(Event::Segfault(e));
    }
    if let Some(p) = find(msg, b"]: unhandled ") {
        let rest = &msg[p + 13..];
        if !contains(rest, b"fault") {
            return None;
        }
        let (comm, pid) = comm_bracket_pid(&msg[..=p])?;
        let fault_end = find(rest, b" at ").unwrap_or(rest.len());
        let mut e = Segfault {
            pid: Some(pid),
            comm: Some(comm),
            fault: text(trim(&rest[..fault_end])),
            address: after(rest, b" at ").map(|v| text(token(v, b","))),
            message: message(msg),
            ..Segfault::default()
        };
        e.object = object(rest);
        return Some(Event::Segfault(e));
    }
    None
}

/// `... in libc.so.6[7f3a...+1e5000]` → `libc.so.6`.
fn object(s: &[u8]) -> Option<String> {
    let i = rfind(s, b" in ")?;
    let o = &s[i + 4..];
    // "libc.so.6[7f..+..]"; a program name may contain spaces ("my prog[55d1..+..]")
    let end = memchr::memchr(b'[', o)
        .or_else(|| o.iter().position(|b| *b == b' '))
        .unwrap_or(o.len());
    (end > 0).then(|| text(&o[..end]))
}

/// `comm[pid]` at the end of `s` (the comm may contain spaces; a prefix such as `traps: ` or
/// a `potentially unexpected fatal signal` text is not part of it).
fn comm_bracket_pid(s: &[u8]) -> Option<(String, u32)> {
    let s = crate::util::trim_end(s);
    let inner = s.strip_suffix(b"]")?;
    let open = memchr::memrchr(b'[', inner)?;
    let pid = to_u32(crate::util::parse_u64(&inner[open + 1..])?)?;
    let comm = trim(&inner[..open]);
    if comm.is_empty() {
        return None;
    }
    Some((text(comm), pid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hung_lines() {
        let h =
            hung(b"INFO: task kworker/u16:3:123 blocked for more than 122 seconds.").expect("h");
        assert_eq!(
            (h.comm.as_str(), h.pid, h.secs),
            ("kworker/u16:3", 123, Some(122))
        );
        let mut h = hung(b"INFO: task java:99 blocked for more").expect("h");
        assert_eq!(h.secs, None);
        assert!(hung_cont(&mut h, b"than 240 seconds."));
        assert_eq!(h.secs, Some(240));
    }

    #[test]
    fn faults() {
        let Some(Event::Segfault(s)) = segfault(b"my prog[4242]: segfault at 0 ip 00007f00deadbeef sp 00007ffc00000000 error 4 in libc.so.6[7f00de000000+1b0000] likely on CPU 3 (core 3, socket 0)") else {
            panic!("segfault");
        };
        assert_eq!(
            (s.comm.as_deref(), s.pid, s.error_code, s.cpu),
            (Some("my prog"), Some(4242), Some(4), Some(3))
        );
        assert_eq!(s.object.as_deref(), Some("libc.so.6"));
        let Some(Event::Segfault(s)) = segfault(
            b"traps: node[777] general protection fault ip:55d1 sp:7ffd error:0 in node[55d0+1000]",
        ) else {
            panic!("gpf");
        };
        assert_eq!(
            (s.fault.as_str(), s.pid),
            ("general protection fault", Some(777))
        );
        let Some(Event::SoftLockup(l)) =
            soft_lockup(b"watchdog: BUG: soft lockup - CPU#2 stuck for 23s! [kworker/2:1:1234]")
        else {
            panic!("lockup");
        };
        assert_eq!(
            (l.cpu, l.stuck_secs, l.pid, l.comm.as_deref()),
            (Some(2), Some(23), Some(1234), Some("kworker/2:1"))
        );
    }

    #[test]
    fn rcu() {
        let mut r = rcu_stall(b"rcu: INFO: rcu_sched detected stalls on CPUs/tasks:").expect("r");
        assert_eq!(r.flavor.as_deref(), Some("rcu_sched"));
        assert!(rcu_cont(
            &mut r,
            b"rcu: \t3-....: (1 GPs behind) idle=a3e/1/0x4000000000000000 softirq=1/2 fqs=2"
        ));
        assert!(rcu_cont(
            &mut r,
            b"\t(detected by 1, t=60002 jiffies, g=1234, q=5)"
        ));
        assert_eq!(
            (r.cpus.clone(), r.detected_by, r.stall_jiffies),
            (vec![3], Some(1), Some(60002))
        );
        let r = rcu_stall(
            b"INFO: rcu_sched self-detected stall on CPU { 3}  (t=60000 jiffies g=1 c=0 q=5)",
        )
        .expect("r");
        assert!(r.self_detected);
        assert_eq!(r.cpus, vec![3]);
    }
}
