//! Hardware errors: machine checks (x86 MCE, AMD's decoder, firmware GHES records, memory
//! failure handling) and EDAC memory-controller reports — the runtime view of what a memtest
//! would find.
//!
//! A machine check is printed as several `[Hardware Error]:` lines (`CPU 0: Machine Check: 0
//! Bank 5: be00000000800400`, `TSC ... ADDR ... MISC ...`, `PROCESSOR ... SOCKET 0 ...`); the
//! parser keeps one record open while such lines follow and emits it at the first other line.

use crate::event::{Edac, Event, Mce};
use crate::util::{
    after, comm_colon_pid, contains, find, leading_hex, leading_u64, message, text, to_u32, token,
    trim, u64_after,
};

/// What a line means for machine-check assembly.
pub(crate) enum McLine {
    /// Starts a record (more lines may follow).
    Start(Mce),
    /// A complete event on its own.
    Single(Mce),
}

fn hex_token(s: &[u8]) -> Option<String> {
    let s = crate::util::trim_start(s);
    let (_, n) = leading_hex(s)?;
    Some(text(&s[..n]))
}

fn body(msg: &[u8]) -> &[u8] {
    after(msg, b"[Hardware Error]: ").map_or(msg, trim)
}

/// A line that starts a machine-check record, or stands alone.
pub(crate) fn mce_line(msg: &[u8]) -> Option<McLine> {
    if msg.starts_with(b"EDAC ") {
        // EDAC drivers echo the MCE they decode; the EDAC line is the event.
        return None;
    }
    let b = body(msg);
    let ghes = msg.first() == Some(&b'{');
    if let Some(pos) = find(b, b"Machine Check") {
        // "CPU 0: Machine Check Exception: 5 Bank 4: b200000000070f0f" / "CPU 2: Machine
        // Check: 0 Bank 8: cc00008000010090" / 2.6 "CPU 0: Machine Check Exception: 4"
        let mut m = Mce {
            source: "mce".to_string(),
            cpu: u64_after(&b[..pos], b"CPU ").and_then(to_u32),
            message: message(msg),
            ..Mce::default()
        };
        if let Some(bank) = after(b, b"Bank ")
            && let Some((n, len)) = leading_u64(bank)
        {
            m.bank = to_u32(n);
            m.status = bank
                .get(len..)
                .and_then(|r| r.strip_prefix(b":"))
                .and_then(hex_token);
        }
        return Some(McLine::Start(m));
    }
    if b.starts_with(b"Machine check events logged") {
        return Some(McLine::Single(Mce {
            source: "summary".to_string(),
            message: message(msg),
            ..Mce::default()
        }));
    }
    for (prefix, sev) in [
        (&b"Corrected error"[..], "corrected"),
        (b"Uncorrected", "uncorrected"),
        (b"Deferred error", "deferred"),
    ] {
        if b.starts_with(prefix) {
            return Some(McLine::Start(Mce {
                source: "amd".to_string(),
                severity: Some(sev.to_string()),
                message: message(msg),
                ..Mce::default()
            }));
        }
    }
    if b.starts_with(b"CPU:") && contains(b, b"_STATUS[") {
        let mut m = Mce {
            source: "amd".to_string(),
            message: message(msg),
            ..Mce::default()
        };
        amd_status(&mut m, b);
        return Some(McLine::Start(m));
    }
    if contains(b, b"Hardware error from APEI Generic Hardware Error Source")
        || (ghes && contains(b, b"event severity:"))
    {
        let mut m = Mce {
            source: "ghes".to_string(),
            message: message(msg),
            ..Mce::default()
        };
        mce_cont(&mut m, msg);
        return Some(McLine::Start(m));
    }
    if let Some(rest) = after(msg, b"Memory failure: ") {
        // "Memory failure: 0x1234: recovery action for dirty LRU page: Recovered"
        // "Memory failure: 0x1234: Sending SIGBUS to java:4321 due to hardware memory corruption"
        let mut m = Mce {
            source: "memory_failure".to_string(),
            addr: hex_token(rest).map(|p| format!("pfn {p}")),
            message: message(msg),
            ..Mce::default()
        };
        if let Some(who) = after(rest, b"to ").or_else(|| after(rest, b"Killing ")) {
            let tok = token(who, b"");
            if let Some((comm, pid)) = comm_colon_pid(tok) {
                m.comm = Some(text(comm));
                m.pid = Some(pid);
            }
        }
        return Some(McLine::Single(m));
    }
    if let Some(rest) = after(msg, b"MCE: Killing ") {
        let mut m = Mce {
            source: "memory_failure".to_string(),
            message: message(msg),
            ..Mce::default()
        };
        if let Some((comm, pid)) = comm_colon_pid(token(rest, b"")) {
            m.comm = Some(text(comm));
            m.pid = Some(pid);
        }
        return Some(McLine::Single(m));
    }
    if contains(msg, b"Fatal machine check") || contains(msg, b"Fatal Machine check") {
        return Some(McLine::Single(Mce {
            source: "mce".to_string(),
            severity: Some("fatal".to_string()),
            message: message(msg),
            ..Mce::default()
        }));
    }
    None
}

fn amd_status(m: &mut Mce, b: &[u8]) {
    // "CPU:2 (17:31:0) MC22_STATUS[-|CE|MiscV|AddrV|-|-|-|-|-]: 0x9c2040000000011b"
    m.cpu = after(b, b"CPU:")
        .and_then(|r| leading_u64(crate::util::trim_start(r)))
        .and_then(|(v, _)| to_u32(v));
    if let Some(mc) = after(b, b" MC") {
        m.bank = leading_u64(mc).and_then(|(v, _)| to_u32(v));
    }
    if let Some(st) = after(b, b"]: ") {
        m.status = hex_token(st);
    }
    if m.severity.is_none() {
        if contains(b, b"|UC|") || contains(b, b"[UC") {
            m.severity = Some("uncorrected".to_string());
        } else if contains(b, b"|CE|") || contains(b, b"[CE") {
            m.severity = Some("corrected".to_string());
        }
    }
}

/// A further line of an open record. Returns whether it belonged to it.
pub(crate) fn mce_cont(m: &mut Mce, msg: &[u8]) -> bool {
    if contains(msg, b"Fatal machine check") || contains(msg, b"Fatal Machine check") {
        // "Kernel panic - not syncing: Fatal machine check": the end of this record
        m.severity = Some("fatal".to_string());
        return true;
    }
    if !contains(msg, b"[Hardware Error]") {
        // 2.6: "CPU 0: Bank 4: b200000000070f0f" or "Bank 4: ..." without the marker
        if m.source == "mce"
            && m.bank.is_none()
            && (msg.starts_with(b"CPU ") || msg.starts_with(b"Bank "))
            && let Some(bank) = after(msg, b"Bank ")
            && let Some((n, len)) = leading_u64(bank)
        {
            m.bank = to_u32(n);
            m.status = bank.get(len + 1..).and_then(hex_token);
            return true;
        }
        return false;
    }
    let b = body(msg);
    if b.starts_with(b"TSC ") {
        m.addr = m
            .addr
            .take()
            .or_else(|| after(b, b"ADDR ").and_then(hex_token));
        m.misc = m
            .misc
            .take()
            .or_else(|| after(b, b"MISC ").and_then(hex_token));
    } else if b.starts_with(b"PROCESSOR ") {
        m.socket = u64_after(b, b"SOCKET ").and_then(to_u32);
    } else if contains(b, b"Processor context corrupt") || contains(b, b"Fatal") {
        m.severity = Some("fatal".to_string());
    } else if b.starts_with(b"CPU:") && contains(b, b"_STATUS[") {
        if m.bank.is_some() {
            return false;
        }
        amd_status(m, b);
    } else if let Some(a) = after(b, b"Error Addr: ") {
        m.addr = hex_token(a);
    } else if let Some(s) = after(b, b"event severity: ") {
        m.severity = Some(text(trim(s)));
    } else if contains(b, b"It has been corrected by h/w") {
        m.severity.get_or_insert_with(|| "corrected".to_string());
    } else if let Some(s) = after(b, b"section_type: ") {
        if m.section.is_none() {
            m.section = Some(text(trim(s)));
        }
    } else if let Some(a) = after(b, b"physical_address: ") {
        m.addr = hex_token(a);
    } else if b.starts_with(b"Machine Check")
        || b.starts_with(b"Corrected error")
        || b.starts_with(b"Uncorrected")
        || b.starts_with(b"Deferred error")
        || contains(b, b"Hardware error from APEI")
    {
        // the next record
        return false;
    }
    true
}

/// `EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0 (channel:1 ...)`,
/// `EDAC MC0: CE page 0x1234, offset 0x0, grain 0, syndrome 0x0, row 1, channel 0, label
/// "DIMM_A1": i5000 CE`, `EDAC skx MC2: 1 UE ...`.
pub(crate) fn edac(msg: &[u8]) -> Option<Event> {
    let rest = after(msg, b"EDAC ")?;
    let head = &rest[..rest.len().min(32)];
    let mc_pos = find(head, b"MC")?;
    let (mc, n) = leading_u64(&rest[mc_pos + 2..])?;
    let after_mc = &rest[mc_pos + 2 + n..];
    let body = trim(after_mc.strip_prefix(b":")?);
    let (count, body) = match leading_u64(body) {
        Some((c, len)) if body.get(len) == Some(&b' ') => (Some(c), &body[len + 1..]),
        _ => (None, body),
    };
    let severity = if body.starts_with(b"CE") || body.starts_with(b"Corrected") {
        "corrected"
    } else if body.starts_with(b"UE") || body.starts_with(b"Uncorrected") {
        "uncorrected"
    } else {
        return None;
    };
    let location = if let Some(l) = after(body, b"label \"") {
        memchr::memchr(b'"', l).map(|e| text(&l[..e]))
    } else if let Some(on) = after(body, b" on ") {
        let end = find(on, b" (").unwrap_or(on.len());
        Some(text(trim(&on[..end])))
    } else {
        None
    }
    .filter(|l| !l.is_empty());
    Some(Event::Edac(Edac {
        mc: to_u32(mc),
        count: count.or(Some(1)),
        severity: Some(severity.to_string()),
        location,
        message: message(msg),
        ..Edac::default()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mce_record() {
        let Some(McLine::Start(mut m)) =
            mce_line(b"mce: [Hardware Error]: CPU 1: Machine Check: 0 Bank 7: cc00008000010090")
        else {
            panic!("start");
        };
        assert!(mce_cont(
            &mut m,
            b"mce: [Hardware Error]: TSC 0 ADDR 1ffe8b8c0 MISC 9001002040288c86"
        ));
        assert!(mce_cont(&mut m, b"mce: [Hardware Error]: PROCESSOR 0:50654 TIME 1607000000 SOCKET 1 APIC 20 microcode 2006906"));
        assert!(!mce_cont(&mut m, b"something else"));
        assert_eq!((m.cpu, m.bank, m.socket), (Some(1), Some(7), Some(1)));
        assert_eq!(m.status.as_deref(), Some("cc00008000010090"));
        assert_eq!(m.addr.as_deref(), Some("1ffe8b8c0"));
    }

    #[test]
    fn edac_lines() {
        let Some(Event::Edac(e)) = edac(b"EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0 (channel:1 slot:0 page:0x5d4bad offset:0x0 grain:32 syndrome:0x0)") else {
            panic!("edac");
        };
        assert_eq!(
            (e.mc, e.count, e.severity.as_deref()),
            (Some(0), Some(1), Some("corrected"))
        );
        assert_eq!(
            e.location.as_deref(),
            Some("CPU_SrcID#0_Ha#0_Chan#1_DIMM#0")
        );
        let Some(Event::Edac(e)) = edac(b"EDAC MC1: UE page 0x12, offset 0x0, grain 0, row 2, channel 1, label \"DIMM_B2\": i5000 UE") else {
            panic!("edac");
        };
        assert_eq!((e.mc, e.location.as_deref()), (Some(1), Some("DIMM_B2")));
        assert!(
            edac(
                b"EDAC MC0: Giving out device to module skx_edac controller Skylake Socket#0 IMC#0"
            )
            .is_none()
        );
        assert!(edac(b"EDAC MC: Ver: 3.0.0").is_none());
    }
}
