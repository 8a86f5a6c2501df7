//! Network events: link down/up from NIC drivers, bonding and IPv6 addrconf, and the kernel's
//! IPv6 duplicate address detection.
//!
//! NIC drivers each word the link message their own way (`e1000e: eth0 NIC Link is Down`,
//! `igb 0000:01:00.0 eno1: igb: eno1 NIC Link is Up 1000 Mbps Full Duplex`, `mlx5_core ...
//! ens1f0: Link down`, `mlx4_en: eth2: Link Up`, `tg3 ... eth0: Link is up at 1000 Mbps`, `bnx2
//! ... NIC Copper Link is Up`, phylib's `Link is Up - 1Gbps/Full`, MII's `link up, 100Mbps`), so
//! the matcher looks for the up/down phrase and takes the interface named just before it. Lines
//! that say "link" about something else (SATA ports, PCIe hotplug slots) are rejected because
//! the word before is not an interface name.

use crate::event::{DuplicateAddress, Event, Link};
use crate::util::{after, contains, find, find_ci, is_ifname, message, text, trim, trim_end};

/// Words between the interface and the phrase (`eth0 NIC Copper Link is Up`).
const ADJECTIVES: &[&[u8]] = &[
    b"NIC",
    b"Copper",
    b"SerDes",
    b"Remote",
    b"Fiber",
    b"Physical",
    b"PHY",
];

/// Names that precede "link up/down" but are not network interfaces.
const NOT_NET: &[&[u8]] = &[b"SATA", b"PCIe", b"PCI", b"USB", b"SAS", b"FC"];

pub(crate) fn link(msg: &[u8]) -> Option<Event> {
    if let Some(ev) = addrconf(msg).or_else(|| bonding(msg)) {
        return Some(ev);
    }
    // FreeBSD-style (also a few Linux drivers): "igb1: link state changed to DOWN"
    if let Some(pos) = find(msg, b": link state changed to ") {
        let iface = last_token(&msg[..pos]);
        if !is_ifname(iface) {
            return None;
        }
        let state = &msg[pos + 24..];
        let l = Link {
            iface: Some(text(iface)),
            message: message(msg),
            ..Link::default()
        };
        return if state.starts_with(b"UP") {
            Some(Event::LinkUp(l))
        } else if state.starts_with(b"DOWN") {
            Some(Event::LinkDown(l))
        } else {
            None
        };
    }
    generic(msg)
}

/// `IPv6: ADDRCONF(NETDEV_CHANGE): eth0: link becomes ready`
fn addrconf(msg: &[u8]) -> Option<Event> {
    let rest = after(msg, b"ADDRCONF(NETDEV_CHANGE): ")?;
    let i = find(rest, b": link becomes ready")?;
    let iface = trim(&rest[..i]);
    if !is_ifname(iface) {
        return None;
    }
    Some(Event::LinkUp(Link {
        iface: Some(text(iface)),
        driver: Some("ipv6".to_string()),
        message: message(msg),
        ..Link::default()
    }))
}

/// bonding: `bond0: link status definitely down for interface eth1, disabling it`,
/// `bond0: (slave eth1): link status definitely up, 1000 Mbps full duplex`.
fn bonding(msg: &[u8]) -> Option<Event> {
    let pos = find(msg, b"link status definitely ")?;
    let state = &msg[pos + 23..];
    let up = if state.starts_with(b"up") {
        true
    } else if state.starts_with(b"down") {
        false
    } else {
        return None;
    };
    let head = &msg[..pos];
    let (master, iface) = if let Some(s) = after(head, b"(slave ") {
        let end = memchr::memchr(b')', s).unwrap_or(s.len());
        let master = head
            .iter()
            .position(|b| *b == b':')
            .map(|c| trim(&head[..c]));
        (master, Some(&s[..end]))
    } else {
        let master = head
            .iter()
            .position(|b| *b == b':')
            .map(|c| trim(&head[..c]));
        let iface = after(state, b"for interface ").map(|s| {
            let end = s
                .iter()
                .position(|b| *b == b',' || *b == b' ')
                .unwrap_or(s.len());
            &s[..end]
        });
        (master, iface)
    };
    let iface = iface.filter(|i| is_ifname(i))?;
    let detail = state
        .iter()
        .position(|b| *b == b',')
        .map(|c| trim(&state[c + 1..]))
        .filter(|d| !d.is_empty() && !d.starts_with(b"disabling"));
    let l = Link {
        iface: Some(text(iface)),
        driver: Some("bonding".to_string()),
        master: master.filter(|m| is_ifname(m)).map(text),
        detail: detail.map(text),
        message: message(msg),
        ..Link::default()
    };
    Some(if up {
        Event::LinkUp(l)
    } else {
        Event::LinkDown(l)
    })
}

fn generic(msg: &[u8]) -> Option<Event> {
    // Phrases, lower case; the first that matches at word boundaries wins.
    const PHRASES: &[(&[u8], bool)] = &[
        (b"link is up", true),
        (b"link is down", false),
        (b"link up", true),
        (b"link down", false),
    ];
    let mut best: Option<(usize, usize, bool)> = None;
    for (p, up) in PHRASES {
        let mut from = 0;
        while let Some(i) = find_ci(&msg[from..], p) {
            let at = from + i;
            let end = at + p.len();
            let before_ok = at == 0 || !msg[at - 1].is_ascii_alphanumeric();
            let after_ok = msg.get(end).is_none_or(|b| !b.is_ascii_alphanumeric());
            if before_ok && after_ok {
                if best.is_none_or(|(b, _, _)| at < b) {
                    best = Some((at, end, *up));
                }
                break;
            }
            from = at + 1;
        }
    }
    let (at, end, up) = best?;
    // Walk back over "NIC", "Copper", ... to the interface.
    let mut head = trim_end(&msg[..at]);
    let mut after_adjective = false;
    loop {
        let tok = last_token(head);
        if ADJECTIVES.contains(&tok) {
            after_adjective = true;
            head = trim_end(&head[..head.len() - tok.len()]);
            continue;
        }
        break;
    }
    // The driver: the first word of the message.
    let first = msg
        .iter()
        .position(|b| *b == b' ')
        .map_or(msg, |sp| &msg[..sp]);
    let first = first.strip_suffix(b":").unwrap_or(first);
    // Old e1000 names its function too: "e1000: eth0: e1000_watchdog: NIC Link is Up".
    let mut tok = last_token(head);
    if !first.is_empty() && tok.starts_with(first) && tok.get(first.len()) == Some(&b'_') {
        head = trim_end(&head[..head.len() - tok.len()]);
        tok = last_token(head);
    }
    let (name, had_colon) = match tok.strip_suffix(b":") {
        Some(n) => (n, true),
        None => (tok, false),
    };
    if !(had_colon || after_adjective) || !is_ifname(name) || NOT_NET.contains(&name) {
        return None;
    }
    if name.starts_with(b"ata") && name[3..].iter().all(|b| b.is_ascii_digit() || *b == b'.') {
        return None;
    }
    // The driver, when it is not the interface itself.
    let driver = (first != name
        && !first.is_empty()
        && first
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-')))
    .then(|| text(first));
    let detail = trim(&msg[end..]);
    let detail = trim(
        detail
            .strip_prefix(b"-")
            .or_else(|| detail.strip_prefix(b","))
            .or_else(|| detail.strip_prefix(b":"))
            .unwrap_or(detail),
    );
    let l = Link {
        iface: Some(text(name)),
        driver,
        detail: (!detail.is_empty() && detail != b".").then(|| text(detail)),
        message: message(msg),
        ..Link::default()
    };
    Some(if up {
        Event::LinkUp(l)
    } else {
        Event::LinkDown(l)
    })
}

/// The last space-separated token of `s`.
fn last_token(s: &[u8]) -> &[u8] {
    let s = trim_end(s);
    match s.iter().rposition(|b| *b == b' ' || *b == b'\t') {
        Some(i) => &s[i + 1..],
        None => s,
    }
}

/// `IPv6: eth0: IPv6 duplicate address fe80::1 used by 52:54:00:12:34:56 detected!` (4.x+),
/// `eth0: IPv6 duplicate address 2001:db8::1 detected!` (3.x), `eth0: duplicate address
/// detected!` (2.6).
pub(crate) fn duplicate_address(msg: &[u8]) -> Option<Event> {
    let pos = find(msg, b"duplicate address")?;
    if !contains(&msg[pos..], b"detected") {
        return None;
    }
    let mut iface = None;
    let mut head = trim_end(&msg[..pos]);
    // tokens before, last first: "IPv6", "eth0:", "IPv6:"
    while !head.is_empty() {
        let tok = last_token(head);
        if let Some(n) = tok.strip_suffix(b":")
            && is_ifname(n)
            && n != b"IPv6"
        {
            iface = Some(text(n));
            break;
        }
        head = trim_end(&head[..head.len() - tok.len()]);
    }
    let rest = trim(&msg[pos + 17..]);
    let addr_tok = rest
        .iter()
        .position(|b| *b == b' ')
        .map_or(rest, |sp| &rest[..sp]);
    let address = (!addr_tok.starts_with(b"detected")
        && !addr_tok.is_empty()
        && addr_tok
            .iter()
            .all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.' | b'%')))
    .then(|| text(addr_tok));
    let mac = after(rest, b"used by ").map(|m| {
        let end = m.iter().position(|b| *b == b' ').unwrap_or(m.len());
        text(&m[..end])
    });
    Some(Event::DuplicateAddress(DuplicateAddress {
        iface,
        address,
        mac,
        message: message(msg),
        ..DuplicateAddress::default()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(s: &str) -> Option<(bool, String, Option<String>)> {
        link(s.as_bytes()).map(|e| match e {
            Event::LinkUp(l) => (true, l.iface.unwrap_or_default(), l.driver),
            Event::LinkDown(l) => (false, l.iface.unwrap_or_default(), l.driver),
            _ => unreachable!(),
        })
    }

    #[test]
    fn drivers() {
        assert_eq!(
            l("e1000e: eth0 NIC Link is Down"),
            Some((false, "eth0".into(), Some("e1000e".into())))
        );
        assert_eq!(
            l(
                "igb 0000:01:00.0 eno1: igb: eno1 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: RX/TX"
            ),
            Some((true, "eno1".into(), Some("igb".into())))
        );
        assert_eq!(
            l("mlx5_core 0000:3b:00.0 ens1f0: Link down"),
            Some((false, "ens1f0".into(), Some("mlx5_core".into())))
        );
        assert_eq!(
            l("mlx4_en: eth2: Link Up").map(|x| x.1),
            Some("eth2".into())
        );
        assert_eq!(
            l("bnx2 0000:01:00.0 eth0: NIC Copper Link is Up, 1000 Mbps full duplex").map(|x| x.1),
            Some("eth0".into())
        );
        assert_eq!(
            l("r8169 0000:02:00.0 enp2s0: Link is Up - 1Gbps/Full - flow control rx/tx")
                .map(|x| x.0),
            Some(true)
        );
        assert_eq!(
            l("IPv6: ADDRCONF(NETDEV_CHANGE): eth0: link becomes ready").map(|x| x.1),
            Some("eth0".into())
        );
        assert_eq!(
            l("bond0: link status definitely down for interface eno50, disabling it").map(|x| x.1),
            Some("eno50".into())
        );
        assert_eq!(l("ata1: SATA link down (SStatus 0 SControl 300)"), None);
        assert_eq!(
            l("ata1: SATA link up 6.0 Gbps (SStatus 133 SControl 300)"),
            None
        );
        assert_eq!(l("pcieport 0000:00:1c.0: pciehp: Slot(1): Link Down"), None);
        assert_eq!(
            l("IPv6: ADDRCONF(NETDEV_UP): eth0: link is not ready"),
            None
        );
        assert_eq!(l("e1000e 0000:00:19.0 eth0: Link Downshift occurred"), None);
        assert_eq!(
            l(
                "e1000: eth0: e1000_watchdog: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: RX/TX"
            ),
            Some((true, "eth0".into(), Some("e1000".into())))
        );
    }

    #[test]
    fn dad() {
        match duplicate_address(
            b"IPv6: eth0: IPv6 duplicate address fe80::5054:ff:fe12:3456 used by 52:54:00:12:34:56 detected!",
        ) {
            Some(Event::DuplicateAddress(d)) => {
                assert_eq!(d.iface.as_deref(), Some("eth0"));
                assert_eq!(d.address.as_deref(), Some("fe80::5054:ff:fe12:3456"));
                assert_eq!(d.mac.as_deref(), Some("52:54:00:12:34:56"));
            }
            other => panic!("{other:?}"),
        }
        match duplicate_address(b"eth1: duplicate address detected!") {
            Some(Event::DuplicateAddress(d)) => {
                assert_eq!(d.iface.as_deref(), Some("eth1"));
                assert_eq!(d.address, None);
            }
            other => panic!("{other:?}"),
        }
    }
}
