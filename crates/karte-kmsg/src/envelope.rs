//! The envelope of a log line: everything around the kernel's own text.
//!
//! Users paste kernel logs in many wrappers. This module recognises each form *per line* (a
//! file may mix them: a mail quoting `dmesg` output next to a journal excerpt) and returns the
//! kernel message with its timestamps:
//!
//! | form | example |
//! |---|---|
//! | raw `/dev/kmsg` record | `6,1234,5678901,-;text` (and ` KEY=value` continuation lines) |
//! | `dmesg`, kdump `vmcore-dmesg.txt` | `[  123.456789] text`, `<6>[  123.456789] text` |
//! | `dmesg` with caller id | `[  123.456789][  T123] text` |
//! | `dmesg -T` / `-e` / `-d` / `-x` | `[Mon Nov 23 03:12:01 2026] text`, `kern  :err   : [...] text` |
//! | syslog / journalctl `short`, `short-precise` | `Nov 23 03:12:01 host kernel: text` (any locale's month) |
//! | `short-iso`, rsyslog ISO | `2026-11-23T03:12:01+0900 host kernel: text` |
//! | `short-full`, `short-unix`, `short-monotonic` | `Mon 2026-11-23 03:12:01 JST host kernel: ...` |
//! | RFC 5424 | `<6>1 2026-11-23T03:12:01Z host kernel - - - text` |
//! | quoted mail | `> [  123.456789] text` |
//!
//! Lines of other programs (`host sshd[12]: ...`) are not kernel lines and are skipped, except
//! the userspace OOM killers (systemd-oomd, earlyoom), which are handed back with their tag.
//! A line with no recognisable envelope is taken as a bare kernel message (`dmesg -t`,
//! `journalctl -o cat`, a pasted fragment): the matchers are specific enough to tell.

use crate::time::parse_iso;
use crate::util::{contains, leading_f64, leading_u64, trim_start};

/// A kernel message and the timestamps its envelope gave.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Envelope<'a> {
    /// The timestamp as written (not including an uptime bracket).
    pub time: Option<&'a [u8]>,
    pub uptime_s: Option<f64>,
    pub unix_s: Option<f64>,
    /// A number that increases along the log when it is in chronological order: uptime, else
    /// a wall-clock reading (day of month and time of day for syslog stamps). Kind 0 = uptime,
    /// kind 1 = wall clock; only values of one kind are compared.
    pub order_key: Option<(u8, f64)>,
    /// The message, leading blanks removed.
    pub msg: &'a [u8],
    /// Whether any envelope was recognised (false for a bare line).
    pub prefixed: bool,
}

/// What a line is.
#[derive(Debug)]
pub(crate) enum Line<'a> {
    /// Nothing for us: blank, `/dev/kmsg` ` KEY=value` context, journal catalogue text, another
    /// program's line, a userspace record in the kernel buffer.
    Skip,
    /// A reboot marker of `journalctl` (`-- Reboot --`, `-- Boot 1a2b... --`).
    Boot,
    Kernel(Envelope<'a>),
    /// A userspace OOM killer's line; `tag` is the program name without `[pid]`.
    User(Envelope<'a>, &'a [u8]),
}

/// Programs whose lines are kept although they are not the kernel.
const USER_TAGS: &[&[u8]] = &[b"systemd-oomd", b"earlyoom"];

/// Classifies one line (without its line feed).
pub(crate) fn classify(line: &[u8]) -> Line<'_> {
    let mut s = line;
    while let [rest @ .., b'\r' | b'\n'] = s {
        s = rest;
    }
    if is_kv_continuation(s) {
        return Line::Skip;
    }
    // Mail quoting: "> ", ">> ", "> > ".
    let mut quoted = false;
    loop {
        let t = trim_start(s);
        if let Some(rest) = t.strip_prefix(b">") {
            s = rest.strip_prefix(b" ").unwrap_or(rest);
            quoted = true;
        } else {
            break;
        }
    }
    if quoted && is_kv_continuation(s) {
        return Line::Skip;
    }
    let s = trim_start(s);
    if s.is_empty() {
        return Line::Skip;
    }
    if s.starts_with("░░".as_bytes()) {
        // journalctl -x catalogue text (systemd 246+)
        return Line::Skip;
    }
    if let Some(rest) = s.strip_prefix(b"-- ") {
        // journalctl: "-- Reboot --", "-- Boot 0123abcd... --", "-- Logs begin at ...", and
        // every catalogue line of `-x`.
        if rest.starts_with(b"Reboot") || rest.starts_with(b"Boot ") {
            return Line::Boot;
        }
        return Line::Skip;
    }
    envelope(s, 0)
}

/// ` KEY=value` lines that follow a raw `/dev/kmsg` record.
fn is_kv_continuation(s: &[u8]) -> bool {
    let Some(rest) = s.strip_prefix(b" ") else {
        return false;
    };
    let key_len = rest
        .iter()
        .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || **b == b'_')
        .count();
    key_len > 0 && rest.get(key_len) == Some(&b'=')
}

fn envelope(s: &[u8], depth: u8) -> Line<'_> {
    let mut s = s;
    let mut pri: Option<u64> = None;
    if s.first() == Some(&b'<')
        && let Some((p, n)) = leading_u64(&s[1..])
        && n <= 4
        && s.get(1 + n) == Some(&b'>')
    {
        pri = Some(p);
        s = &s[n + 2..];
        if let Some(rest) = s.strip_prefix(b"1 ")
            && let Some(line) = rfc5424(rest, p)
        {
            return line;
        }
    }
    let user_pri = pri.is_some_and(|p| p >> 3 != 0);
    match s.first() {
        Some(b'0'..=b'9') => {
            if pri.is_none()
                && let Some(line) = kmsg_record(s)
            {
                return line;
            }
            if let Some(iso) = parse_iso(s)
                && s.get(iso.len) == Some(&b' ')
            {
                let env = Envelope {
                    time: Some(&s[..iso.len]),
                    unix_s: iso.unix_s,
                    order_key: Some((1, iso.order_key)),
                    prefixed: true,
                    ..Envelope::default()
                };
                if s.get(19) == Some(&b',') {
                    // dmesg --time-format iso ("2026-11-23T03:15:00,123456+09:00 text"): no
                    // host, no tag
                    return Line::Kernel(kernel_body(env, &s[iso.len + 1..]));
                }
                return after_wallclock(env, &s[iso.len + 1..]);
            }
            if let Some(line) = unix_stamp(s) {
                return line;
            }
        }
        Some(b'[') => {
            if let Some(line) = bracket(s, user_pri) {
                return line;
            }
        }
        _ => {}
    }
    if let Some(line) = bsd(s) {
        return line;
    }
    if let Some(line) = short_full(s) {
        return line;
    }
    if depth == 0
        && let Some(rest) = dmesg_x(s)
    {
        return match rest {
            Some(rest) => envelope(trim_start(rest), 1),
            None => Line::Skip,
        };
    }
    if user_pri {
        return Line::Skip;
    }
    // A bare kernel message.
    Line::Kernel(Envelope {
        msg: s,
        prefixed: pri.is_some(),
        ..Envelope::default()
    })
}

/// `prio,seq,usec,flag[,...];text`
fn kmsg_record(s: &[u8]) -> Option<Line<'_>> {
    let (prio, n1) = leading_u64(s)?;
    let mut i = n1;
    if s.get(i) != Some(&b',') {
        return None;
    }
    let (_seq, n2) = leading_u64(&s[i + 1..])?;
    i += 1 + n2;
    if s.get(i) != Some(&b',') {
        return None;
    }
    let (usec, n3) = leading_u64(&s[i + 1..])?;
    i += 1 + n3;
    if s.get(i) != Some(&b',') {
        return None;
    }
    // flag and optional further fields ("caller=T123"), up to ';'
    let limit = (i + 96).min(s.len());
    let semi = memchr::memchr(b';', &s[i..limit])? + i;
    if prio >> 3 != 0 {
        // A userspace write to /dev/kmsg (facility != kern): not the kernel's.
        return Some(Line::Skip);
    }
    let up = usec as f64 / 1e6;
    let env = Envelope {
        uptime_s: Some(up),
        order_key: Some((0, up)),
        prefixed: true,
        ..Envelope::default()
    };
    Some(Line::Kernel(kernel_body(env, &s[semi + 1..])))
}

/// `[...]` at the start: seconds since boot, a `dmesg -T`/`-e` wall clock, a `dmesg -e` delta,
/// or not a timestamp at all (`[ 1234]` task-table rows, `[Hardware Error]`).
fn bracket(s: &[u8], user_pri: bool) -> Option<Line<'_>> {
    let limit = s.len().min(72);
    let close = memchr::memchr(b']', &s[..limit])?;
    let inner = crate::util::trim(&s[1..close]);
    let rest = &s[close + 1..];
    if let Some(up) = uptime_inner(inner) {
        if user_pri {
            return Some(Line::Skip);
        }
        let rest = skip_caller(rest);
        let env = Envelope {
            uptime_s: Some(up),
            order_key: Some((0, up)),
            prefixed: true,
            ..Envelope::default()
        };
        // journalctl -o short-monotonic: "[  123.456789] host kernel: text"
        if let Some(line) = monotonic_host_tag(env, rest) {
            return Some(line);
        }
        return Some(Line::Kernel(kernel_body(env, rest)));
    }
    if let Some(delta) = inner.strip_prefix(b"+")
        && leading_f64(delta).is_some()
    {
        if user_pri {
            return Some(Line::Skip);
        }
        let env = Envelope {
            prefixed: true,
            ..Envelope::default()
        };
        return Some(Line::Kernel(kernel_body(env, skip_caller(rest))));
    }
    if has_clock(inner) {
        if user_pri {
            return Some(Line::Skip);
        }
        let env = Envelope {
            time: Some(inner),
            prefixed: true,
            ..Envelope::default()
        };
        return Some(Line::Kernel(kernel_body(env, skip_caller(rest))));
    }
    None
}

/// `123.456789` or `123.456789 <    0.000123>` (dmesg -d).
fn uptime_inner(inner: &[u8]) -> Option<f64> {
    let (v, n) = leading_f64(inner)?;
    if inner.get(..n).is_none_or(|p| !p.contains(&b'.')) {
        return None;
    }
    let tail = trim_start(&inner[n..]);
    if tail.is_empty() || tail.first() == Some(&b'<') {
        Some(v)
    } else {
        None
    }
}

/// A time of day `H:MM` somewhere in a bracket (dmesg -T in any locale, dmesg -e `[Nov23 03:12]`).
fn has_clock(inner: &[u8]) -> bool {
    inner.len() <= 64
        && inner.windows(4).any(|w| {
            w[0].is_ascii_digit() && w[1] == b':' && w[2].is_ascii_digit() && w[3].is_ascii_digit()
        })
}

/// `[  T123]` / `[    C0]` caller ids after the time (CONFIG_PRINTK_CALLER).
fn skip_caller(rest: &[u8]) -> &[u8] {
    if rest.first() == Some(&b'[') {
        let limit = rest.len().min(16);
        if let Some(close) = memchr::memchr(b']', &rest[..limit]) {
            let inner = trim_start(&rest[1..close]);
            if let Some((kind, num)) = inner.split_first()
                && matches!(kind, b'T' | b'C')
                && !num.is_empty()
                && num.iter().all(u8::is_ascii_digit)
            {
                return &rest[close + 1..];
            }
        }
    }
    rest
}

fn monotonic_host_tag<'a>(env: Envelope<'a>, rest: &'a [u8]) -> Option<Line<'a>> {
    let rest = trim_start(rest);
    let sp = memchr::memchr(b' ', rest)?;
    let host = &rest[..sp];
    if host.is_empty() || host.ends_with(b":") || host.contains(&b'[') {
        return None;
    }
    let after = &rest[sp + 1..];
    let tok_end = memchr::memchr(b' ', after).unwrap_or(after.len());
    let tag = &after[..tok_end];
    let body = after.get(tok_end + 1..).unwrap_or(b"");
    if tag == b"kernel:" {
        return Some(Line::Kernel(kernel_body(env, body)));
    }
    if let Some(name) = tag.strip_suffix(b":")
        && name.ends_with(b"]")
        && let Some(open) = memchr::memchr(b'[', name)
    {
        return Some(user_or_skip(env, &name[..open], body));
    }
    None
}

fn user_or_skip<'a>(mut env: Envelope<'a>, name: &'a [u8], body: &'a [u8]) -> Line<'a> {
    if USER_TAGS.contains(&name) {
        env.msg = trim_start(body);
        Line::User(env, name)
    } else {
        Line::Skip
    }
}

/// After a wall-clock stamp: `host [level] tag: text` (tag `kernel` for kernel lines); a line
/// without a recognisable tag is taken as a bare kernel message (dmesg `--time-format iso`).
fn after_wallclock<'a>(mut env: Envelope<'a>, rest: &'a [u8]) -> Line<'a> {
    let rest = trim_start(rest);
    let mut toks: [(usize, usize); 4] = [(0, 0); 4];
    let mut n = 0;
    let mut pos = 0;
    while n < 4 && pos < rest.len() {
        let tail = &rest[pos..];
        let len = memchr::memchr(b' ', tail).unwrap_or(tail.len());
        toks[n] = (pos, len);
        n += 1;
        pos += len + 1;
        while rest.get(pos) == Some(&b' ') {
            pos += 1;
        }
    }
    let tok = |i: usize| &rest[toks[i].0..toks[i].0 + toks[i].1];
    let body_after = |i: usize| rest.get(toks[i].0 + toks[i].1 + 1..).unwrap_or(b"");
    for i in 0..n {
        let t = tok(i);
        let Some(name_full) = t.strip_suffix(b":") else {
            continue;
        };
        let (name, has_pid) = match memchr::memchr(b'[', name_full) {
            Some(o) => (&name_full[..o], name_full.ends_with(b"]")),
            None => (name_full, false),
        };
        if !is_program(name) {
            continue;
        }
        let placed = match i {
            // no host: only the kernel's and our daemons' lines, or "prog[pid]:"
            0 => name == b"kernel" || USER_TAGS.contains(&name) || has_pid,
            1 => is_host(tok(0)),
            // host and a level or facility word (SONiC "INFO", BusyBox "kern.info")
            2 => is_host(tok(0)) && is_level(tok(1)),
            _ => false,
        };
        if !placed {
            continue;
        }
        let body = body_after(i);
        if name == b"kernel" {
            return Line::Kernel(kernel_body(env, body));
        }
        return user_or_skip(env, name, body);
    }
    env.msg = rest;
    Line::Kernel(kernel_body(env, rest))
}

fn is_program(name: &[u8]) -> bool {
    name.first().is_some_and(u8::is_ascii_alphabetic)
        && name.iter().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'@' | b'/' | b'#')
        })
}

fn is_host(t: &[u8]) -> bool {
    !t.is_empty()
        && !t.ends_with(b":")
        && t.iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_') || *b >= 0x80)
}

fn is_level(t: &[u8]) -> bool {
    (!t.is_empty() && t.iter().all(u8::is_ascii_uppercase))
        || (t.contains(&b'.') && t.iter().all(|b| b.is_ascii_lowercase() || *b == b'.'))
        || (t.starts_with(b"<") && t.ends_with(b">"))
}

/// The kernel text after the envelope; a kern.log line still carries `[  123.456789]`.
fn kernel_body<'a>(mut env: Envelope<'a>, body: &'a [u8]) -> Envelope<'a> {
    let mut m = trim_start(body);
    if m.first() == Some(&b'[') {
        let limit = m.len().min(40);
        if let Some(close) = memchr::memchr(b']', &m[..limit])
            && let Some(up) = uptime_inner(crate::util::trim(&m[1..close]))
        {
            env.uptime_s = Some(up);
            env.order_key = Some((0, up));
            m = trim_start(skip_caller(&m[close + 1..]));
        }
    }
    env.msg = m;
    env
}

/// BSD syslog / journalctl short: `<month> <day> <HH:MM:SS>[.frac] ` with the month in any
/// language (`Nov`, `11月`, `Dez`, `déc.`).
fn bsd(s: &[u8]) -> Option<Line<'_>> {
    let m_end = memchr::memchr(b' ', &s[..s.len().min(20)])?;
    let month = &s[..m_end];
    if month.is_empty()
        || month.iter().all(u8::is_ascii_digit)
        || month
            .iter()
            .any(|b| matches!(b, b':' | b'[' | b']' | b'(' | b'=' | b','))
    {
        return None;
    }
    let mut i = m_end;
    while s.get(i) == Some(&b' ') && i < m_end + 3 {
        i += 1;
    }
    let (day, dn) = leading_u64(&s[i..])?;
    if dn > 2 || day == 0 || day > 31 {
        return None;
    }
    i += dn;
    if s.get(i) != Some(&b' ') {
        return None;
    }
    i += 1;
    // optional year
    if let Some((_, 4)) = leading_u64(&s[i..])
        && s.get(i + 4) == Some(&b' ')
    {
        i += 5;
    }
    let (secs, tn) = clock(&s[i..])?;
    i += tn;
    if !matches!(s.get(i), Some(b' ') | None) {
        return None;
    }
    let env = Envelope {
        time: Some(&s[..i]),
        order_key: Some((1, day as f64 * 86400.0 + secs)),
        prefixed: true,
        ..Envelope::default()
    };
    Some(after_wallclock(env, s.get(i + 1..).unwrap_or(b"")))
}

/// `H:MM:SS[.frac]` → seconds of the day and length.
fn clock(s: &[u8]) -> Option<(f64, usize)> {
    let (h, hn) = leading_u64(s)?;
    if hn > 2 || s.get(hn) != Some(&b':') {
        return None;
    }
    let (m, mn) = leading_u64(&s[hn + 1..])?;
    if mn != 2 || s.get(hn + 3) != Some(&b':') {
        return None;
    }
    let (sec, sn) = leading_f64(&s[hn + 4..])?;
    if h > 24 || m > 59 || sec >= 62.0 {
        return None;
    }
    let mut len = hn + 4 + sn;
    // "03:12:01,123" (comma fraction)
    if s.get(len) == Some(&b',') {
        let n = s[len + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if n > 0 {
            len += 1 + n;
        }
    }
    Some(((h * 3600 + m * 60) as f64 + sec, len))
}

/// journalctl `short-full`: `Mon 2026-11-23 03:12:01 JST host kernel: ...`
fn short_full(s: &[u8]) -> Option<Line<'_>> {
    let sp = memchr::memchr(b' ', &s[..s.len().min(12)])?;
    if sp == 0
        || !s[..sp]
            .iter()
            .all(|b| b.is_ascii_alphabetic() || *b >= 0x80)
    {
        return None;
    }
    let rest = &s[sp + 1..];
    let iso = parse_iso(rest)?;
    let mut end = sp + 1 + iso.len;
    if s.get(end) != Some(&b' ') {
        return None;
    }
    // zone name or offset
    let zone = &s[end + 1..];
    let zl = memchr::memchr(b' ', zone).unwrap_or(zone.len());
    let z = &zone[..zl];
    if !z.is_empty()
        && z.len() <= 6
        && z.iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || matches!(b, b'+' | b'-'))
    {
        end += 1 + zl;
    }
    let env = Envelope {
        time: Some(&s[..end]),
        unix_s: iso.unix_s,
        order_key: Some((1, iso.order_key)),
        prefixed: true,
        ..Envelope::default()
    };
    Some(after_wallclock(env, s.get(end + 1..).unwrap_or(b"")))
}

/// journalctl `short-unix`: `1700000000.123456 host kernel: ...`
fn unix_stamp(s: &[u8]) -> Option<Line<'_>> {
    let (v, n) = leading_f64(s)?;
    let int_digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if !(9..=11).contains(&int_digits) || int_digits == n || s.get(n) != Some(&b' ') {
        return None;
    }
    let env = Envelope {
        time: Some(&s[..n]),
        unix_s: Some(v),
        order_key: Some((1, v)),
        prefixed: true,
        ..Envelope::default()
    };
    Some(after_wallclock(env, &s[n + 1..]))
}

/// `dmesg -x`: `kern  :err   : text`. `Some(Some(rest))` for the kernel facility,
/// `Some(None)` for another facility (a userspace line), `None` when not this form.
fn dmesg_x(s: &[u8]) -> Option<Option<&[u8]>> {
    let fac_len = s.iter().take_while(|b| b.is_ascii_lowercase()).count();
    if fac_len == 0 || fac_len > 8 {
        return None;
    }
    let mut i = fac_len;
    while s.get(i) == Some(&b' ') {
        i += 1;
    }
    if s.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    while s.get(i) == Some(&b' ') {
        i += 1;
    }
    let lvl_start = i;
    let lvl_len = s[i..].iter().take_while(|b| b.is_ascii_lowercase()).count();
    if lvl_len == 0 || lvl_len > 7 {
        return None;
    }
    i += lvl_len;
    while s.get(i) == Some(&b' ') {
        i += 1;
    }
    if s.get(i) != Some(&b':') {
        return None;
    }
    const LEVELS: &[&[u8]] = &[
        b"emerg", b"alert", b"crit", b"err", b"warn", b"notice", b"info", b"debug",
    ];
    if !LEVELS.contains(&&s[lvl_start..lvl_start + lvl_len]) {
        return None;
    }
    let rest = &s[i + 1..];
    if &s[..fac_len] == b"kern" {
        Some(Some(rest))
    } else {
        Some(None)
    }
}

/// RFC 5424 after `<pri>1 `: `TIMESTAMP HOST APP PROCID MSGID SD MSG`.
fn rfc5424(s: &[u8], pri: u64) -> Option<Line<'_>> {
    let mut fields: [&[u8]; 5] = [b""; 5];
    let mut pos = 0;
    for f in &mut fields {
        let tail = s.get(pos..)?;
        let n = memchr::memchr(b' ', tail)?;
        *f = &tail[..n];
        pos += n + 1;
    }
    let [ts, _host, app, _procid, _msgid] = fields;
    let mut rest = s.get(pos..)?;
    // structured data: "-" or one or more "[...]"
    if let Some(r) = rest.strip_prefix(b"-") {
        rest = r;
    } else {
        while rest.first() == Some(&b'[') {
            let close = memchr::memchr(b']', rest)?;
            rest = &rest[close + 1..];
        }
    }
    let mut msg = trim_start(rest);
    if let Some(m) = msg.strip_prefix(b"\xEF\xBB\xBF") {
        msg = m;
    }
    let mut env = Envelope {
        prefixed: true,
        ..Envelope::default()
    };
    if ts != b"-" {
        env.time = Some(ts);
        if let Some(iso) = parse_iso(ts) {
            env.unix_s = iso.unix_s;
            env.order_key = Some((1, iso.order_key));
        }
    }
    if app == b"kernel" || (pri >> 3 == 0 && !contains(app, b"[")) {
        return Some(Line::Kernel(kernel_body(env, msg)));
    }
    Some(user_or_skip(env, app, msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kernel(line: &str) -> (Option<String>, Option<f64>, String) {
        match classify(line.as_bytes()) {
            Line::Kernel(e) => (
                e.time.map(|t| String::from_utf8_lossy(t).into_owned()),
                e.uptime_s,
                String::from_utf8_lossy(e.msg).into_owned(),
            ),
            other => panic!("not a kernel line: {line:?}: {other:?}"),
        }
    }

    #[test]
    fn forms() {
        assert_eq!(
            kernel("6,1234,5678901,-;Out of memory"),
            (None, Some(5.678901), "Out of memory".into())
        );
        assert_eq!(
            kernel("[  123.456789] e1000e: eth0 NIC Link is Down"),
            (
                None,
                Some(123.456789),
                "e1000e: eth0 NIC Link is Down".into()
            )
        );
        assert_eq!(
            kernel("[  123.456789][  T123] x"),
            (None, Some(123.456789), "x".into())
        );
        assert_eq!(
            kernel("[Mon Nov 23 03:12:01 2026] x"),
            (Some("Mon Nov 23 03:12:01 2026".into()), None, "x".into())
        );
        assert_eq!(
            kernel("Nov 23 03:12:01 host kernel: [ 12.5] x"),
            (Some("Nov 23 03:12:01".into()), Some(12.5), "x".into())
        );
        assert_eq!(
            kernel("11月 23 03:12:01 host kernel: x"),
            (Some("11月 23 03:12:01".into()), None, "x".into())
        );
        assert_eq!(
            kernel("Nov  3 03:12:01.123456 host kernel: x"),
            (Some("Nov  3 03:12:01.123456".into()), None, "x".into())
        );
        assert_eq!(
            kernel("2026-11-23T03:12:01+0900 host kernel: x"),
            (Some("2026-11-23T03:12:01+0900".into()), None, "x".into())
        );
        assert_eq!(kernel("> > [  1.000000] x"), (None, Some(1.0), "x".into()));
        assert_eq!(
            kernel("kern  :err   : [  1.000000] x"),
            (None, Some(1.0), "x".into())
        );
        assert_eq!(
            kernel("<6>1 2026-11-23T03:12:01Z host kernel - - - x"),
            (Some("2026-11-23T03:12:01Z".into()), None, "x".into())
        );
        assert_eq!(
            kernel("[  1.500000] host kernel: x"),
            (None, Some(1.5), "x".into())
        );
        assert_eq!(
            kernel("Apr  9 21:05:38.106121 sw-1 INFO kernel: [10601.214044] y"),
            (
                Some("Apr  9 21:05:38.106121".into()),
                Some(10601.214044),
                "y".into()
            )
        );
        assert_eq!(
            kernel("[ 1234]     0  1234 x"),
            (None, None, "[ 1234]     0  1234 x".into())
        );
    }

    #[test]
    fn skipped() {
        for l in [
            "Nov 23 03:12:01 host sshd[123]: Accepted",
            " SUBSYSTEM=net",
            "-- Subject: A start job",
            "14,55,66,-;systemd[1]: hello",
            "user  :notice: [  1.0] x",
            "",
        ] {
            assert!(matches!(classify(l.as_bytes()), Line::Skip), "{l:?}");
        }
        assert!(matches!(classify(b"-- Reboot --"), Line::Boot));
        assert!(matches!(
            classify(b"Nov 23 03:12:01 host systemd-oomd[55]: Killed /x"),
            Line::User(_, b"systemd-oomd")
        ));
    }
}
