//! The neighbour table (the kernel's ARP and NDP cache) and what changes in it: new stations,
//! changed addresses and flip-flops, judged as arpwatch judges them (kernel-facts §6.4) but from
//! the kernel's table instead of captured packets.

use crate::mac::MacAddr;
use crate::netlink::{self, NeighMsg};
use crate::oui::MacInfo;
use karte_procfs::net_arp::{ATF_COM, ATF_PERM, ArpEntry};
use serde::Serialize;
use std::collections::HashMap;
use std::net::IpAddr;

/// One entry of the neighbour table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Neighbour {
    pub ip: IpAddr,
    pub interface: String,
    /// `null` while the entry is incomplete or failed.
    pub mac: Option<MacAddr>,
    pub vendor: Option<&'static str>,
    pub locally_administered: bool,
    #[serde(rename = "virtual")]
    pub virtual_kind: Option<&'static str>,
    /// `reachable`, `stale`, `delay`, `probe`, `incomplete`, `failed`, `noarp`, `permanent`,
    /// `none`; from /proc/net/arp only `complete`, `permanent` or `incomplete`.
    pub state: &'static str,
    /// The neighbour said it is a router (`NTF_ROUTER`, IPv6 only).
    pub router: bool,
}

impl Neighbour {
    fn new(ip: IpAddr, interface: String, mac: Option<MacAddr>, state: &'static str) -> Self {
        let info = mac.map(MacInfo::of);
        Neighbour {
            ip,
            interface,
            mac,
            vendor: info.as_ref().and_then(|i| i.vendor),
            locally_administered: info.as_ref().is_some_and(|i| i.locally_administered),
            virtual_kind: info.as_ref().and_then(|i| i.virtual_kind),
            state,
            router: false,
        }
    }

    /// The entry has a usable link-layer address.
    pub fn is_complete(&self) -> bool {
        self.mac.is_some_and(|m| !m.is_zero())
            && !matches!(self.state, "incomplete" | "failed" | "none")
    }
}

/// The name of a `NUD_*` state (the most significant bit set wins).
pub fn state_name(state: u16) -> &'static str {
    const NAMES: [(u16, &str); 8] = [
        (netlink::NUD_PERMANENT, "permanent"),
        (netlink::NUD_NOARP, "noarp"),
        (netlink::NUD_FAILED, "failed"),
        (netlink::NUD_PROBE, "probe"),
        (netlink::NUD_DELAY, "delay"),
        (netlink::NUD_STALE, "stale"),
        (netlink::NUD_REACHABLE, "reachable"),
        (netlink::NUD_INCOMPLETE, "incomplete"),
    ];
    NAMES
        .iter()
        .find(|(bit, _)| state & bit != 0)
        .map_or("none", |(_, n)| n)
}

/// A neighbour from an `RTM_NEWNEIGH` message; `name_of` turns an interface index into a name.
/// `None` for messages of other families, without an address, or for a multicast group.
pub fn from_netlink(m: &NeighMsg, name_of: impl Fn(u32) -> Option<String>) -> Option<Neighbour> {
    if m.family != netlink::AF_INET && m.family != netlink::AF_INET6 {
        return None;
    }
    let ip = m.dst?;
    // Multicast groups sit in the table as NOARP pseudo-entries: no station behind them.
    if ip.is_multicast() {
        return None;
    }
    let interface = name_of(m.ifindex).unwrap_or_else(|| format!("if{}", m.ifindex));
    let mac = if m.state & netlink::NUD_VALID != 0 {
        m.mac
    } else {
        None
    };
    let mut n = Neighbour::new(ip, interface, mac, state_name(m.state));
    n.router = m.flags & netlink::NTF_ROUTER != 0;
    Some(n)
}

/// Neighbours from `/proc/net/arp` (a capture bundle, or a host without rtnetlink), already
/// parsed by `karte_procfs::net_arp`.
pub fn from_arp(entries: &[ArpEntry]) -> Vec<Neighbour> {
    entries
        .iter()
        .map(|e| {
            let state = if e.flags & ATF_PERM != 0 {
                "permanent"
            } else if e.flags & ATF_COM != 0 {
                "complete"
            } else {
                "incomplete"
            };
            let mac = e
                .mac
                .parse::<MacAddr>()
                .ok()
                .filter(|m| !m.is_zero() && e.flags & ATF_COM != 0);
            Neighbour::new(IpAddr::V4(e.ip), e.device.clone(), mac, state)
        })
        .collect()
}

/// Neighbours from the text of `/proc/net/arp`.
pub fn from_proc_net_arp(text: &str) -> Vec<Neighbour> {
    from_arp(&karte_procfs::net_arp::parse(text))
}

/// What happened to an address in the neighbour table, in arpwatch's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// An address not seen before ("new station").
    NewStation,
    /// A MAC never seen for this address ("changed ethernet address").
    ChangedAddress,
    /// Back to the MAC before the current one ("flip flop"): two stations answering in turn.
    FlipFlop,
    /// Back to an older MAC ("reused old ethernet address").
    ReusedOld,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::NewStation => "new station",
            ChangeKind::ChangedAddress => "changed ethernet address",
            ChangeKind::FlipFlop => "flip flop",
            ChangeKind::ReusedOld => "reused old ethernet address",
        }
    }
}

/// One change of the neighbour table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeighbourChange {
    pub kind: ChangeKind,
    pub ip: IpAddr,
    pub interface: String,
    /// The MAC the address has now.
    pub mac: MacInfo,
    /// The MAC it had just before (`null` for a new station).
    pub previous: Option<MacInfo>,
    /// Every MAC the address was seen with while watching, in the order they appeared, the
    /// current one last; a MAC seen again appears again (`a, b, a`).
    pub history: Vec<MacAddr>,
    /// Milliseconds since the observation started.
    pub at_ms: u64,
    /// Wall-clock time, milliseconds since the Unix epoch (0 when not known).
    pub unix_ms: u64,
}

impl NeighbourChange {
    /// A change that may mean two stations share the address (all but a new station).
    pub fn is_mac_change(&self) -> bool {
        self.kind != ChangeKind::NewStation
    }
}

#[derive(Debug, Default)]
struct Station {
    /// Distinct MACs, most recent first (arpwatch's list).
    macs: Vec<MacAddr>,
    /// The sequence of MACs as observed.
    history: Vec<MacAddr>,
}

/// Follows the neighbour table and tells what changed: arpwatch's `ent_add()` logic.
#[derive(Debug, Default)]
pub struct Tracker {
    stations: HashMap<(String, IpAddr), Station>,
}

/// Keeps the history bounded when a watch runs for days.
const MAX_HISTORY: usize = 32;

impl Tracker {
    pub fn new() -> Tracker {
        Tracker::default()
    }

    /// Records what the table held when watching began: no change is reported for it.
    pub fn seed(&mut self, n: &Neighbour) {
        if let (true, Some(mac)) = (n.is_complete(), n.mac) {
            let s = self
                .stations
                .entry((n.interface.clone(), n.ip))
                .or_default();
            if s.macs.is_empty() {
                s.macs.push(mac);
                s.history.push(mac);
            }
        }
    }

    /// Records one observation and returns the change it makes, if any. Entries without a
    /// MAC (incomplete, failed, deleted) change nothing.
    pub fn observe(&mut self, n: &Neighbour, at_ms: u64, unix_ms: u64) -> Option<NeighbourChange> {
        let mac = n.mac.filter(|_| n.is_complete())?;
        let s = self
            .stations
            .entry((n.interface.clone(), n.ip))
            .or_default();
        let current = s.macs.first().copied();
        if current == Some(mac) {
            return None;
        }
        let kind = match s.macs.iter().position(|&m| m == mac) {
            None if current.is_none() => ChangeKind::NewStation,
            None => ChangeKind::ChangedAddress,
            Some(1) => ChangeKind::FlipFlop,
            Some(_) => ChangeKind::ReusedOld,
        };
        s.macs.retain(|&m| m != mac);
        s.macs.insert(0, mac);
        s.macs.truncate(MAX_HISTORY);
        s.history.push(mac);
        if s.history.len() > MAX_HISTORY {
            s.history.remove(0);
        }
        Some(NeighbourChange {
            kind,
            ip: n.ip,
            interface: n.interface.clone(),
            mac: MacInfo::of(mac),
            previous: current.map(MacInfo::of),
            history: s.history.clone(),
            at_ms,
            unix_ms,
        })
    }
}

/// The changes between two readings of the table (a bundle's `0/` and `1/`): MACs that differ
/// for the same interface and address. New and vanished entries are not changes.
pub fn changes_between(before: &[Neighbour], after: &[Neighbour]) -> Vec<NeighbourChange> {
    let mut t = Tracker::new();
    before.iter().for_each(|n| t.seed(n));
    after
        .iter()
        .filter_map(|n| t.observe(n, 0, 0))
        .filter(NeighbourChange::is_mac_change)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn n(ip: u8, mac: &str) -> Neighbour {
        Neighbour::new(
            IpAddr::V4(Ipv4Addr::new(198, 51, 100, ip)),
            "eth0".into(),
            mac.parse().ok(),
            "reachable",
        )
    }

    #[test]
    fn arpwatch_logic() {
        let mut t = Tracker::new();
        t.seed(&n(1, "00:00:0c:00:00:01"));
        assert_eq!(t.observe(&n(1, "00:00:0c:00:00:01"), 0, 0), None);
        let c = t.observe(&n(2, "3c:22:fb:00:00:02"), 1, 0).expect("new");
        assert_eq!(c.kind, ChangeKind::NewStation);
        assert_eq!(
            c.mac.vendor,
            Some("Apple, Inc.").filter(|_| cfg!(feature = "oui-table"))
        );
        let c = t
            .observe(&n(1, "3c:22:fb:00:00:09"), 2, 0)
            .expect("changed");
        assert_eq!(c.kind, ChangeKind::ChangedAddress);
        assert_eq!(
            c.previous.map(|p| p.mac.to_string()).as_deref(),
            Some("00:00:0c:00:00:01")
        );
        let c = t.observe(&n(1, "00:00:0c:00:00:01"), 3, 0).expect("flip");
        assert_eq!(c.kind, ChangeKind::FlipFlop);
        assert_eq!(c.history.len(), 3);
        let c = t
            .observe(&n(1, "02:00:00:00:00:03"), 4, 0)
            .expect("changed");
        assert_eq!(c.kind, ChangeKind::ChangedAddress);
        let c = t.observe(&n(1, "3c:22:fb:00:00:09"), 5, 0).expect("reused");
        assert_eq!(c.kind, ChangeKind::ReusedOld);
        // Incomplete entries change nothing.
        let mut inc = n(1, "00:00:00:00:00:00");
        inc.state = "incomplete";
        assert_eq!(t.observe(&inc, 6, 0), None);
    }

    #[test]
    fn bundle_changes() {
        let before = [n(1, "00:00:0c:00:00:01"), n(2, "00:00:0c:00:00:02")];
        let after = [
            n(1, "00:00:0c:00:00:01"),
            n(2, "3c:22:fb:00:00:02"),
            n(3, "3c:22:fb:00:00:03"),
        ];
        let c = changes_between(&before, &after);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].ip, IpAddr::V4(Ipv4Addr::new(198, 51, 100, 2)));
    }

    #[test]
    fn proc_net_arp() {
        let t = "IP address       HW type     Flags       HW address            Mask     Device\n\
198.51.100.1     0x1         0x2         3c:22:fb:00:00:01     *        eth0\n\
198.51.100.2     0x1         0x0         00:00:00:00:00:00     *        eth0\n\
198.51.100.3     0x1         0x6         52:54:00:00:00:03     *        eth0\n";
        let v = from_proc_net_arp(t);
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].state, "complete");
        assert!(v[0].is_complete());
        assert_eq!(v[1].mac, None);
        assert!(!v[1].is_complete());
        assert_eq!(v[2].state, "permanent");
        assert!(v[2].locally_administered);
        assert_eq!(v[2].virtual_kind, Some("QEMU/KVM virtual NIC"));
    }

    #[test]
    fn multicast_groups_are_not_neighbours() {
        let m = NeighMsg {
            family: netlink::AF_INET6,
            ifindex: 2,
            state: netlink::NUD_NOARP,
            flags: 0,
            dst: "ff02::1".parse().ok(),
            mac: "33:33:00:00:00:01".parse().ok(),
            deleted: false,
        };
        assert_eq!(from_netlink(&m, |_| None), None);
        let m = NeighMsg {
            dst: "2001:db8::1".parse().ok(),
            mac: "3c:22:fb:00:00:01".parse().ok(),
            state: netlink::NUD_STALE,
            ..m
        };
        let n = from_netlink(&m, |_| Some("eth0".into())).expect("a neighbour");
        assert_eq!((n.interface.as_str(), n.state), ("eth0", "stale"));
    }

    #[test]
    fn states() {
        assert_eq!(state_name(netlink::NUD_REACHABLE), "reachable");
        assert_eq!(state_name(netlink::NUD_STALE), "stale");
        assert_eq!(state_name(0), "none");
        assert_eq!(state_name(0xffff), "permanent");
    }
}
