//! Small byte-slice helpers shared by the matchers.
//!
//! Everything works on `&[u8]` because a kernel log is not guaranteed to be UTF-8 (comm names,
//! corrupted records, NULs). Numbers are parsed with overflow checks: a 40-digit "pid" is not a
//! pid, it is garbage, and yields `None`.

use memchr::memmem;

/// Longest string kept from a log line into an event field. Kernel comm names are 15 bytes and
/// cgroup paths rarely exceed a few hundred; anything longer is cut so a hostile log cannot make
/// events grow without bound.
pub(crate) const MAX_FIELD: usize = 512;

/// Position of `needle` in `hay`.
#[inline]
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memmem::find(hay, needle)
}

/// Position of the last `needle` in `hay`.
#[inline]
pub(crate) fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memmem::rfind(hay, needle)
}

#[inline]
pub(crate) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memmem::find(hay, needle).is_some()
}

/// The part of `hay` after the first `needle`.
#[inline]
pub(crate) fn after<'a>(hay: &'a [u8], needle: &[u8]) -> Option<&'a [u8]> {
    find(hay, needle).map(|i| &hay[i + needle.len()..])
}

/// ASCII case-insensitive search (the needle must be lower case).
pub(crate) fn find_ci(hay: &[u8], needle_lower: &[u8]) -> Option<usize> {
    if needle_lower.is_empty() || hay.len() < needle_lower.len() {
        return None;
    }
    (0..=hay.len() - needle_lower.len()).find(|&i| {
        hay[i..i + needle_lower.len()]
            .iter()
            .zip(needle_lower)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
    })
}

pub(crate) fn trim(s: &[u8]) -> &[u8] {
    trim_end(trim_start(s))
}

pub(crate) fn trim_start(s: &[u8]) -> &[u8] {
    let n = s
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c))
        .count();
    &s[n..]
}

pub(crate) fn trim_end(s: &[u8]) -> &[u8] {
    let n = s
        .iter()
        .rev()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c))
        .count();
    &s[..s.len() - n]
}

/// Leading decimal digits of `s` as a number, and how many bytes they took.
pub(crate) fn leading_u64(s: &[u8]) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    let mut n = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            break;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
        n += 1;
    }
    if n == 0 { None } else { Some((v, n)) }
}

/// Leading optionally signed decimal number.
pub(crate) fn leading_i64(s: &[u8]) -> Option<(i64, usize)> {
    let (neg, rest, skip) = match s.first() {
        Some(b'-') => (true, &s[1..], 1),
        Some(b'+') => (false, &s[1..], 1),
        _ => (false, s, 0),
    };
    let (v, n) = leading_u64(rest)?;
    let v = i64::try_from(v).ok()?;
    Some((if neg { -v } else { v }, n + skip))
}

/// Leading hexadecimal digits (an optional `0x` is skipped).
pub(crate) fn leading_hex(s: &[u8]) -> Option<(u64, usize)> {
    let (rest, skip) = match s {
        [b'0', b'x' | b'X', rest @ ..] => (rest, 2),
        _ => (s, 0),
    };
    let mut v: u64 = 0;
    let mut n = 0;
    for &b in rest {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => break,
        };
        v = v.checked_mul(16)?.checked_add(u64::from(d))?;
        n += 1;
    }
    if n == 0 { None } else { Some((v, n + skip)) }
}

/// The whole of `s` as a decimal number.
pub(crate) fn parse_u64(s: &[u8]) -> Option<u64> {
    match leading_u64(s) {
        Some((v, n)) if n == s.len() => Some(v),
        _ => None,
    }
}

pub(crate) fn to_u32(v: u64) -> Option<u32> {
    u32::try_from(v).ok()
}

/// A decimal number that follows `key` somewhere in `s`, spaces after the key skipped.
pub(crate) fn u64_after(s: &[u8], key: &[u8]) -> Option<u64> {
    let rest = after(s, key)?;
    leading_u64(trim_start(rest)).map(|(v, _)| v)
}

pub(crate) fn i64_after(s: &[u8], key: &[u8]) -> Option<i64> {
    let rest = after(s, key)?;
    leading_i64(trim_start(rest)).map(|(v, _)| v)
}

/// A decimal number with an optional fraction (`12.5`), as f64. Parsed by the standard
/// library so that `123.456789` comes back as the nearest double and prints as written.
pub(crate) fn leading_f64(s: &[u8]) -> Option<(f64, usize)> {
    let (_, n) = leading_u64(s)?;
    let mut len = n;
    if s.get(n) == Some(&b'.') {
        let digits = s[n + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits > 0 {
            len = n + 1 + digits;
        }
    }
    let v = std::str::from_utf8(&s[..len]).ok()?.parse::<f64>().ok()?;
    Some((v, len))
}

/// The token (up to a space, comma or one of `ends`) that starts `s`.
pub(crate) fn token<'a>(s: &'a [u8], ends: &[u8]) -> &'a [u8] {
    let n = s
        .iter()
        .position(|b| *b == b' ' || *b == b'\t' || ends.contains(b))
        .unwrap_or(s.len());
    &s[..n]
}

/// Lossy UTF-8 text of at most [`MAX_FIELD`] bytes, for an event field.
pub(crate) fn text(s: &[u8]) -> String {
    let s = if s.len() > MAX_FIELD {
        &s[..MAX_FIELD]
    } else {
        s
    };
    String::from_utf8_lossy(s).into_owned()
}

/// Like [`text`] but for a whole message (kept longer, still bounded).
pub(crate) fn message(s: &[u8]) -> String {
    const MAX_MESSAGE: usize = 2048;
    let s = trim(s);
    let s = if s.len() > MAX_MESSAGE {
        &s[..MAX_MESSAGE]
    } else {
        s
    };
    String::from_utf8_lossy(s).into_owned()
}

/// Is `name` shaped like a network interface name (`eth0`, `enp3s0f1`, `bond0.100`, `wlp2s0`)?
/// Linux allows almost any byte but these logs only ever show these.
pub(crate) fn is_ifname(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= 15
        && name[0].is_ascii_alphabetic()
        && name
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'@'))
}

/// Comm and pid from `comm:pid` (a comm may itself contain `:`, e.g. `kworker/u16:3:123`).
pub(crate) fn comm_colon_pid(s: &[u8]) -> Option<(&[u8], u32)> {
    let i = s.iter().rposition(|b| *b == b':')?;
    let pid = to_u32(parse_u64(&s[i + 1..])?)?;
    Some((&s[..i], pid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(leading_u64(b"123abc"), Some((123, 3)));
        assert_eq!(leading_u64(b"abc"), None);
        assert_eq!(leading_u64(b"99999999999999999999999"), None);
        assert_eq!(leading_i64(b"-1000 x"), Some((-1000, 5)));
        assert_eq!(leading_hex(b"0x1f:"), Some((31, 4)));
        assert_eq!(leading_f64(b"123.456789]"), Some((123.456789, 10)));
        assert_eq!(u64_after(b"total-vm:123kB", b"total-vm:"), Some(123));
    }

    #[test]
    fn comm_pid() {
        assert_eq!(
            comm_colon_pid(b"kworker/u16:3:123"),
            Some((&b"kworker/u16:3"[..], 123))
        );
        assert_eq!(comm_colon_pid(b"java"), None);
    }

    #[test]
    fn ci() {
        assert_eq!(find_ci(b"NIC Link is Up", b"link is up"), Some(4));
        assert_eq!(find_ci(b"", b"x"), None);
    }
}
