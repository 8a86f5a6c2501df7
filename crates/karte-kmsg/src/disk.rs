//! Storage errors: the block layer's request errors and the filesystems' error reports.
//!
//! Block layer wordings by era: `end_request: I/O error, dev sda, sector N` (2.6–3.x),
//! `blk_update_request: I/O error, dev sda, sector N` (3.x–5.x, later with
//! `op 0x1:(WRITE) flags 0x800 phys_seg 1 prio class 0`), `print_req_error: ...` (4.17–5.x),
//! and plain `I/O error, dev sda, sector N op 0x0:(READ) ...` (5.16+). The error class can be
//! other than `I/O` (`critical medium error`, `critical target error`, `timeout error`, ...).
//! Page-cache writeback adds `Buffer I/O error on dev sda1, logical block N, ...`; filesystems
//! add their own (`EXT4-fs error (device sda1): ...`, `XFS (sda1): metadata I/O error ...`,
//! `BTRFS error (device sda1): ...`, `JBD2: Detected IO errors ...`). Each is one event: the
//! doctor groups them by device.

use crate::event::{Event, IoError};
use crate::util::{after, contains, find, find_ci, leading_u64, message, text, trim, u64_after};

pub(crate) fn io_error(msg: &[u8]) -> Option<Event> {
    let e = block(msg)
        .or_else(|| buffer(msg))
        .or_else(|| ext(msg))
        .or_else(|| xfs(msg))
        .or_else(|| btrfs(msg))
        .or_else(|| jbd2(msg))
        .or_else(|| nvme(msg))
        .or_else(|| md(msg))
        .or_else(|| generic(msg))?;
    Some(Event::IoError(e))
}

fn new(source: &str, device: Option<&[u8]>, error: Option<&[u8]>, msg: &[u8]) -> IoError {
    IoError {
        device: device.filter(|d| !d.is_empty()).map(text),
        source: source.to_string(),
        error: error.map(|e| text(trim(e))),
        message: message(msg),
        ..IoError::default()
    }
}

/// Up to `,`, space or `)`.
fn dev_token(s: &[u8]) -> &[u8] {
    let end = s
        .iter()
        .position(|b| matches!(b, b',' | b' ' | b')' | b':'))
        .unwrap_or(s.len());
    &s[..end]
}

fn block(msg: &[u8]) -> Option<IoError> {
    let p = find(msg, b" error, dev ").or_else(|| find(msg, b"error, dev "))?;
    let err_end = p + if msg[p] == b' ' { 6 } else { 5 };
    // the error class starts after the last ": " before it ("blk_update_request: I/O error")
    let head = &msg[..err_end];
    let start = crate::util::rfind(head, b": ").map_or(0, |i| i + 2);
    let dev = dev_token(&msg[p + if msg[p] == b' ' { 12 } else { 11 }..]);
    let mut e = new("block", Some(dev), Some(&head[start..]), msg);
    e.sector = u64_after(msg, b", sector ");
    if let Some(op) = after(msg, b" op 0x")
        && let Some(open) = find(op, b":(")
        && let Some(close) = memchr::memchr(b')', &op[open..])
    {
        e.op = Some(text(&op[open + 2..open + close]));
    }
    Some(e)
}

fn buffer(msg: &[u8]) -> Option<IoError> {
    if let Some(rest) = after(msg, b"Buffer I/O error on dev ")
        .or_else(|| after(msg, b"Buffer I/O error on device "))
    {
        return Some(new(
            "buffer",
            Some(dev_token(rest)),
            Some(b"I/O error"),
            msg,
        ));
    }
    if let Some(rest) = after(msg, b"lost page write due to I/O error on ") {
        let mut e = new("buffer", Some(dev_token(rest)), Some(b"I/O error"), msg);
        e.op = Some("WRITE".to_string());
        return Some(e);
    }
    None
}

/// Is there an error word that is not the `errors=` mount option?
fn has_error_word(s: &[u8]) -> bool {
    let mut from = 0;
    while let Some(i) = find_ci(&s[from..], b"error") {
        let at = from + i + 5;
        if !s[at..].starts_with(b"s=") {
            return true;
        }
        from = at;
    }
    false
}

/// `EXT4-fs error (device sda1): ...`, `EXT4-fs warning (device sda1): ... I/O error ...`,
/// `EXT4-fs (sda1): Remounting filesystem read-only`.
fn ext(msg: &[u8]) -> Option<IoError> {
    let pos = find(msg, b"EXT4-fs")
        .or_else(|| find(msg, b"EXT3-fs"))
        .or_else(|| find(msg, b"EXT2-fs"))?;
    let m = &msg[pos..];
    let source = match &m[..4] {
        b"EXT4" => "ext4",
        b"EXT3" => "ext3",
        _ => "ext2",
    };
    let rest = &m[7..];
    let device = after(rest, b"(device ")
        .or_else(|| trim(rest).strip_prefix(b"("))
        .map(dev_token);
    let error: &[u8] = if rest.starts_with(b" error") {
        b"error"
    } else if contains(rest, b"I/O error") {
        b"I/O error"
    } else if contains(rest, b"Remounting filesystem read-only") {
        b"remounted read-only"
    } else if contains(rest, b"Detected aborted journal") {
        b"journal aborted"
    } else if has_error_word(rest) {
        b"error"
    } else {
        return None;
    };
    Some(new(source, device, Some(error), msg))
}

/// `XFS (sda1): metadata I/O error ...`, `XFS (dm-0): Corruption detected ...`,
/// `XFS (sdb1): Log I/O Error Detected. Shutting down filesystem`.
fn xfs(msg: &[u8]) -> Option<IoError> {
    let rest = after(msg, b"XFS (")?;
    let close = memchr::memchr(b')', rest)?;
    let dev = &rest[..close];
    let body = &rest[close..];
    let error: &[u8] = if find_ci(body, b"i/o error").is_some() {
        b"I/O error"
    } else if contains(body, b"Corruption") || contains(body, b"corruption") {
        b"corruption"
    } else if contains(body, b"hutting down")
        || contains(body, b"shut down")
        || contains(body, b"force_shutdown")
    {
        b"filesystem shut down"
    } else if has_error_word(body) {
        b"error"
    } else {
        return None;
    };
    Some(new("xfs", Some(dev), Some(error), msg))
}

/// `BTRFS error (device sda1): ...`, `BTRFS: error (device sda1) in ...`, `BTRFS critical
/// (device sda1 state EA): ...`, `BTRFS warning (device sda1): csum failed ...`.
fn btrfs(msg: &[u8]) -> Option<IoError> {
    let rest = after(msg, b"BTRFS")?;
    let rest = rest.strip_prefix(b":").unwrap_or(rest);
    let level_ok = rest.starts_with(b" error")
        || rest.starts_with(b" critical")
        || (rest.starts_with(b" warning")
            && (contains(rest, b"csum failed") || has_error_word(&rest[8..])));
    if !level_ok {
        return None;
    }
    let device = after(rest, b"(device ").map(dev_token);
    let error: &[u8] = if contains(rest, b"csum failed") {
        b"checksum error"
    } else if contains(rest, b"IO failure") || find_ci(rest, b"i/o error").is_some() {
        b"I/O error"
    } else {
        b"error"
    };
    Some(new("btrfs", device, Some(error), msg))
}

/// `JBD2: Detected IO errors while flushing file data on sda1-8`, `Aborting journal on device
/// sda1-8.`
fn jbd2(msg: &[u8]) -> Option<IoError> {
    let (rest, error): (&[u8], &[u8]) = if let Some(r) = after(msg, b"Detected IO errors") {
        (after(r, b" on ").unwrap_or(b""), b"I/O error")
    } else if let Some(r) = after(msg, b"Aborting journal on device ") {
        (r, b"journal aborted")
    } else {
        return None;
    };
    let tok = dev_token(trim(rest));
    let tok = tok.strip_suffix(b".").unwrap_or(tok);
    // "sda1-8": the journal's inode number follows the device
    let dev = match tok.iter().rposition(|b| *b == b'-') {
        Some(i) if leading_u64(&tok[i + 1..]).is_some_and(|(_, n)| n == tok.len() - i - 1) => {
            &tok[..i]
        }
        _ => tok,
    };
    Some(new("jbd2", Some(dev), Some(error), msg))
}

/// `nvme0n1: I/O Cmd(0x2) @ LBA 1234, 8 blocks, I/O Error (sct 0x2 / sc 0x81) DNR`
fn nvme(msg: &[u8]) -> Option<IoError> {
    let p = find(msg, b"I/O Error")?;
    let head = &msg[..p];
    let colon = memchr::memchr(b':', head)?;
    let dev = trim(&head[..colon]);
    let dev = dev
        .iter()
        .rposition(|b| *b == b' ')
        .map_or(dev, |i| &dev[i + 1..]);
    if !dev.starts_with(b"nvme") {
        return None;
    }
    let mut e = new("nvme", Some(dev), Some(b"I/O error"), msg);
    e.sector = u64_after(msg, b"@ LBA ");
    if contains(head, b"Read(") || contains(head, b"Read ") {
        e.op = Some("READ".to_string());
    } else if contains(head, b"Write") {
        e.op = Some("WRITE".to_string());
    }
    Some(e)
}

/// `md/raid1:md0: Disk failure on sdb1, disabling device.`
fn md(msg: &[u8]) -> Option<IoError> {
    let rest = after(msg, b"Disk failure on ")?;
    Some(new("md", Some(dev_token(rest)), Some(b"disk failure"), msg))
}

/// Any other `I/O error` line, with the device if it names one (`dev sdb`, `[sdb]`).
fn generic(msg: &[u8]) -> Option<IoError> {
    let p = find(msg, b"I/O error").or_else(|| find(msg, b"I/O Error"))?;
    let device = after(msg, b"dev ")
        .map(dev_token)
        .or_else(|| {
            let o = memchr::memchr(b'[', &msg[..p])?;
            let c = memchr::memchr(b']', &msg[o..p])?;
            Some(&msg[o + 1..o + c])
        })
        .filter(|d| {
            d.iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/'))
        });
    Some(new("other", device, Some(b"I/O error"), msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(s: &str) -> Option<IoError> {
        match io_error(s.as_bytes()) {
            Some(Event::IoError(e)) => Some(e),
            _ => None,
        }
    }

    #[test]
    fn forms() {
        let e = io("blk_update_request: I/O error, dev sda, sector 12345 op 0x1:(WRITE) flags 0x800 phys_seg 1 prio class 0").expect("e");
        assert_eq!(
            (e.device.as_deref(), e.sector, e.op.as_deref()),
            (Some("sda"), Some(12345), Some("WRITE"))
        );
        assert_eq!(e.error.as_deref(), Some("I/O error"));
        let e = io("end_request: critical target error, dev sdb, sector 88").expect("e");
        assert_eq!(e.error.as_deref(), Some("critical target error"));
        let e = io("critical medium error, dev nvme0n1, sector 5 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 2").expect("e");
        assert_eq!(
            (e.device.as_deref(), e.op.as_deref()),
            (Some("nvme0n1"), Some("READ"))
        );
        let e =
            io("Buffer I/O error on dev sda1, logical block 7, lost async page write").expect("e");
        assert_eq!(
            (e.device.as_deref(), e.source.as_str()),
            (Some("sda1"), "buffer")
        );
        let e = io("EXT4-fs error (device dm-0): ext4_find_entry:1455: inode #2: comm ls: reading directory lblock 0").expect("e");
        assert_eq!(
            (e.device.as_deref(), e.source.as_str()),
            (Some("dm-0"), "ext4")
        );
        assert!(
            io(
                "EXT4-fs (sda1): mounted filesystem with ordered data mode. Opts: errors=remount-ro"
            )
            .is_none()
        );
        let e = io("XFS (sdb1): metadata I/O error in \"xfs_imap_to_bp+0x5c/0xb0 [xfs]\" at daddr 0x1 len 32 error 5").expect("e");
        assert_eq!(e.device.as_deref(), Some("sdb1"));
        assert!(io("XFS (sda1): Mounting V5 Filesystem").is_none());
        let e = io("JBD2: Detected IO errors while flushing file data on sda1-8").expect("e");
        assert_eq!(e.device.as_deref(), Some("sda1"));
        let e = io("BTRFS error (device sdc1 state EA): bdev /dev/sdc1 errs: wr 1, rd 0, flush 0, corrupt 0, gen 0").expect("e");
        assert_eq!(e.device.as_deref(), Some("sdc1"));
        let e = io("nvme0n1: I/O Cmd(0x2) @ LBA 1234, 8 blocks, I/O Error (sct 0x2 / sc 0x81) DNR")
            .expect("e");
        assert_eq!(
            (e.device.as_deref(), e.sector),
            (Some("nvme0n1"), Some(1234))
        );
    }
}
