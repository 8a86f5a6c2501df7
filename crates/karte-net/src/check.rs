//! The active check: RFC 5227 probes for our addresses and the default gateways, and the
//! neighbour table watched meanwhile.

use crate::arp::{self, Claim};
use crate::mac::MacAddr;
use crate::neigh::{self, Neighbour, NeighbourChange, Tracker};
use crate::netlink::{self, Addr, Link, Message, NeighMsg, Route};
use crate::oui::MacInfo;
use crate::sys::{self, Netlink, PacketSocket, Received};
use crate::{NetError, unix_ms};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

/// What to check and how long.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Only this interface (by name); all by default.
    pub interface: Option<String>,
    /// How long to probe and listen. RFC 5227 takes 5–9 s per address; karte compresses the
    /// same probes into this window and probes every address at once.
    pub duration: Duration,
    /// Probes per address (RFC 5227 `PROBE_NUM`).
    pub probes: u32,
    /// Also probe the default gateways.
    pub gateways: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            interface: None,
            duration: Duration::from_secs(2),
            probes: 3,
            gateways: true,
        }
    }
}

/// A station that answered for (or probed) an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    #[serde(flatten)]
    pub station: MacInfo,
    /// How it showed it uses the address (reply, announcement, request, probe).
    pub claims: Vec<Claim>,
    /// Packets seen from it.
    pub count: u32,
    /// Milliseconds from the start of probing to its first packet.
    pub first_ms: u64,
    /// The Ethernet source, when it differs from the MAC inside the ARP packet (a proxy, a
    /// bridge rewriting addresses, or a forged packet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_source: Option<MacAddr>,
}

/// One of our addresses and who else answered for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddressReport {
    pub interface: String,
    pub address: Ipv4Addr,
    pub prefix_len: u8,
    /// Our MAC on that interface.
    pub mac: MacAddr,
    pub probes_sent: u32,
    /// Other stations claiming the address; empty when it is ours alone.
    pub answers: Vec<Answer>,
}

/// A default gateway and every station that answered for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GatewayReport {
    pub interface: String,
    pub address: Ipv4Addr,
    pub probes_sent: u32,
    /// One answer is normal; none means it did not answer (down, or it ignores probes); two or
    /// more is a conflict.
    pub answers: Vec<Answer>,
}

/// Why an interface was not probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Administratively down, though it has an address.
    Down,
    /// Up but without a link (no cable, no peer).
    NoCarrier,
    /// A link without ARP: a tunnel, WireGuard, PPP, `IFF_NOARP`.
    NotArpable,
    /// Up, but with no IPv4 address: nothing to check.
    NoIpv4Address,
    /// Sending a probe failed.
    SendFailed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub interface: String,
    pub reason: SkipReason,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Everything the check saw. Serialises as the `addresses`, `gateways`, `neighbours`, … of
/// `karte net check --format json`; the findings come from the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetReport {
    pub addresses: Vec<AddressReport>,
    pub gateways: Vec<GatewayReport>,
    /// The neighbour table at the end of the check.
    pub neighbours: Vec<Neighbour>,
    /// Entries that appeared or changed MAC during the check.
    pub neighbour_changes: Vec<NeighbourChange>,
    pub skipped: Vec<Skipped>,
    pub probes_sent: u32,
    pub elapsed_ms: u64,
}

/// What kind of address is claimed twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// One of this host's own addresses is also used by another station.
    Address,
    /// The default gateway is answered by two or more stations.
    Gateway,
}

/// An address claimed by more than one station: the observation behind `duplicate-ip`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub kind: ConflictKind,
    pub interface: String,
    pub address: Ipv4Addr,
    /// Our MAC on the interface (for [`ConflictKind::Address`]).
    pub our_mac: Option<MacAddr>,
    /// The other stations (for a gateway: all of them).
    pub others: Vec<Answer>,
    pub probes_sent: u32,
}

impl NetReport {
    /// The conflicts found: every address of ours that another station claims, and every
    /// gateway answered by more than one station.
    pub fn conflicts(&self) -> Vec<Conflict> {
        let own = self
            .addresses
            .iter()
            .filter(|a| !a.answers.is_empty())
            .map(|a| Conflict {
                kind: ConflictKind::Address,
                interface: a.interface.clone(),
                address: a.address,
                our_mac: Some(a.mac),
                others: a.answers.clone(),
                probes_sent: a.probes_sent,
            });
        let gw = self
            .gateways
            .iter()
            .filter(|g| g.answers.len() > 1)
            .map(|g| Conflict {
                kind: ConflictKind::Gateway,
                interface: g.interface.clone(),
                address: g.address,
                our_mac: None,
                others: g.answers.clone(),
                probes_sent: g.probes_sent,
            });
        own.chain(gw).collect()
    }
}

/// Interfaces, addresses and routes as rtnetlink gives them.
#[derive(Debug, Default, Clone)]
pub(crate) struct HostNet {
    pub links: BTreeMap<u32, Link>,
    pub addrs: Vec<Addr>,
    pub routes: Vec<Route>,
}

impl HostNet {
    pub fn read(nl: &mut Netlink) -> Result<HostNet, NetError> {
        let mut h = HostNet::default();
        let links = nl
            .dump(netlink::request_links)
            .map_err(NetError::io("reading interfaces (RTM_GETLINK)"))?;
        let addrs = nl
            .dump(|s| netlink::request_addrs(s, netlink::AF_INET))
            .map_err(NetError::io("reading addresses (RTM_GETADDR)"))?;
        let routes = nl
            .dump(|s| netlink::request_routes(s, netlink::AF_INET))
            .map_err(NetError::io("reading routes (RTM_GETROUTE)"))?;
        for m in links.into_iter().chain(addrs).chain(routes) {
            match m {
                Message::Link(l) => {
                    h.links.insert(l.index, l);
                }
                Message::Addr(a) => h.addrs.push(a),
                Message::Route(r) => h.routes.push(r),
                _ => {}
            }
        }
        Ok(h)
    }

    pub fn names(&self) -> HashMap<u32, String> {
        self.links
            .iter()
            .map(|(i, l)| (*i, l.name.clone()))
            .collect()
    }

    /// Every MAC of this host: current and burnt-in addresses of every interface (bond
    /// slaves, bridge ports and other NICs on the same segment answer too, and are not
    /// conflicts).
    pub fn local_macs(&self) -> HashSet<MacAddr> {
        self.links
            .values()
            .flat_map(|l| [l.mac, l.perm_mac])
            .flatten()
            .filter(|m| m.is_station())
            .collect()
    }

    fn local_v4(&self) -> HashSet<Ipv4Addr> {
        self.addrs
            .iter()
            .filter_map(|a| match a.local {
                Some(IpAddr::V4(v)) => Some(v),
                _ => None,
            })
            .collect()
    }
}

/// One address to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub kind: ConflictKind,
    pub ifindex: u32,
    pub interface: String,
    pub our_mac: MacAddr,
    pub address: Ipv4Addr,
    pub prefix_len: u8,
    pub sent: u32,
    pub answers: BTreeMap<MacAddr, Answer>,
}

/// Decides what to probe: pure, from what rtnetlink said.
pub(crate) fn plan(h: &HostNet, opts: &CheckOptions) -> (Vec<Target>, Vec<Skipped>) {
    let wanted = |l: &Link| opts.interface.as_ref().is_none_or(|i| *i == l.name);
    let mut targets = Vec::new();
    let mut skipped = Vec::new();
    let mut skip = |l: &Link, reason| {
        let s = Skipped {
            interface: l.name.clone(),
            reason,
            detail: None,
        };
        if !skipped.contains(&s) {
            skipped.push(s);
        }
    };
    // Whether the interface can be probed; notes why not.
    let usable = |l: &Link, skip: &mut dyn FnMut(&Link, SkipReason)| {
        if !l.is_up() {
            skip(l, SkipReason::Down);
        } else if !l.is_arpable() {
            skip(l, SkipReason::NotArpable);
        } else if !l.has_carrier() {
            skip(l, SkipReason::NoCarrier);
        } else {
            return true;
        }
        false
    };
    let mut with_v4 = HashSet::new();
    for a in &h.addrs {
        let Some(IpAddr::V4(addr)) = a.local else {
            continue;
        };
        let Some(l) = h.links.get(&a.index) else {
            continue;
        };
        if !wanted(l) || l.is_loopback() || addr.is_loopback() || addr.is_unspecified() {
            continue;
        }
        with_v4.insert(l.index);
        if !usable(l, &mut skip) {
            continue;
        }
        let Some(our_mac) = l.mac else { continue };
        let t = Target {
            kind: ConflictKind::Address,
            ifindex: l.index,
            interface: l.name.clone(),
            our_mac,
            address: addr,
            prefix_len: a.prefix_len,
            sent: 0,
            answers: BTreeMap::new(),
        };
        if !targets.contains(&t) {
            targets.push(t);
        }
    }
    for l in h.links.values() {
        if wanted(l)
            && l.is_up()
            && !l.is_loopback()
            && l.master.is_none()
            && !with_v4.contains(&l.index)
            && (l.is_arpable() || opts.interface.is_some())
        {
            skip(l, SkipReason::NoIpv4Address);
        }
    }
    if opts.gateways {
        let local = h.local_v4();
        let mut seen = HashSet::new();
        for r in h.routes.iter().filter(|r| r.is_default_unicast()) {
            for hop in &r.hops {
                let (Some(oif), Some(IpAddr::V4(gw))) = (hop.oif, hop.gateway) else {
                    continue;
                };
                let Some(l) = h.links.get(&oif) else { continue };
                if !wanted(l) || local.contains(&gw) || !seen.insert((oif, gw)) {
                    continue;
                }
                if !usable(l, &mut skip) {
                    continue;
                }
                let Some(our_mac) = l.mac else { continue };
                targets.push(Target {
                    kind: ConflictKind::Gateway,
                    ifindex: oif,
                    interface: l.name.clone(),
                    our_mac,
                    address: gw,
                    prefix_len: 32,
                    sent: 0,
                    answers: BTreeMap::new(),
                });
            }
        }
    }
    (targets, skipped)
}

/// Records what one received ARP packet says about the targets. Pure.
pub(crate) fn handle_packet(
    targets: &mut [Target],
    local: &HashSet<MacAddr>,
    rx: &Received,
    payload: &[u8],
    at_ms: u64,
) {
    if rx.pkttype == sys::PACKET_OUTGOING {
        return;
    }
    let Some(p) = arp::parse_arp(payload) else {
        return;
    };
    if local.contains(&p.sender_mac) || rx.src.is_some_and(|s| local.contains(&s)) {
        return;
    }
    for t in targets.iter_mut().filter(|t| t.ifindex == rx.ifindex) {
        let Some(claim) = arp::claim_of(&p, t.address) else {
            continue;
        };
        let a = t.answers.entry(p.sender_mac).or_insert_with(|| Answer {
            station: MacInfo::of(p.sender_mac),
            claims: Vec::new(),
            count: 0,
            first_ms: at_ms,
            link_source: rx.src.filter(|s| *s != p.sender_mac),
        });
        a.count = a.count.saturating_add(1);
        if !a.claims.contains(&claim) {
            a.claims.push(claim);
            a.claims.sort();
        }
    }
}

/// When each round of probes goes out: spread over the first ~35 % of the window with a
/// little random jitter (RFC 5227 randomises probe times so that hosts do not probe in step),
/// leaving the rest for late answers.
fn schedule(opts: &CheckOptions) -> Vec<Duration> {
    let n = opts.probes.clamp(1, 10);
    let step = opts.duration.mul_f64(0.35) / n.saturating_sub(1).max(1);
    let mut seed = u64::from(std::process::id()) ^ unix_ms().wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (0..n)
        .map(|i| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let jitter = if i == 0 {
                Duration::ZERO
            } else {
                step.mul_f64((seed % 1000) as f64 / 5000.0)
            };
            step * i + jitter
        })
        .collect()
}

fn neighbour_list(
    msgs: Vec<Message>,
    names: &HashMap<u32, String>,
    only: Option<&str>,
) -> Vec<Neighbour> {
    msgs.into_iter()
        .filter_map(|m| match m {
            Message::Neigh(n) if !n.deleted => neigh::from_netlink(&n, |i| names.get(&i).cloned()),
            _ => None,
        })
        .filter(|n| only.is_none_or(|i| n.interface == i))
        .collect()
}

/// Dumps the neighbour table (IPv4 and IPv6).
pub(crate) fn dump_neighbours(
    nl: &mut Netlink,
    names: &HashMap<u32, String>,
    only: Option<&str>,
) -> Result<Vec<Neighbour>, NetError> {
    let msgs = nl
        .dump(|s| netlink::request_neighbours(s, netlink::AF_UNSPEC))
        .map_err(NetError::io("reading the neighbour table (RTM_GETNEIGH)"))?;
    Ok(neighbour_list(msgs, names, only))
}

/// Reads the neighbour messages waiting on `monitor`. The flag is false when the kernel
/// dropped events (`ENOBUFS`): the caller then reads the whole table again.
pub(crate) fn recv_events(monitor: &mut Netlink) -> (Vec<NeighMsg>, bool) {
    let mut out = Vec::new();
    loop {
        match monitor.recv(libc::MSG_DONTWAIT) {
            Ok(Some(buf)) => out.extend(netlink::messages(buf).filter_map(|m| {
                match netlink::parse_message(&m) {
                    Message::Neigh(n) => Some(n),
                    _ => None,
                }
            })),
            Ok(None) => return (out, true),
            Err(_) => return (out, false),
        }
    }
}

/// Feeds neighbour messages to `tracker`, returning the changes they make.
pub(crate) fn observe_events(
    msgs: Vec<NeighMsg>,
    names: &HashMap<u32, String>,
    only: Option<&str>,
    tracker: &mut Tracker,
    at_ms: u64,
) -> Vec<NeighbourChange> {
    let msgs = msgs.into_iter().map(Message::Neigh).collect();
    neighbour_list(msgs, names, only)
        .iter()
        .filter_map(|n| tracker.observe(n, at_ms, unix_ms()))
        .collect()
}

/// The neighbour table, live, over rtnetlink. Needs no privilege.
pub fn neighbours() -> Result<Vec<Neighbour>, NetError> {
    let mut nl = Netlink::open(0).map_err(NetError::io("opening rtnetlink"))?;
    let h = HostNet::read(&mut nl)?;
    dump_neighbours(&mut nl, &h.names(), None)
}

/// Runs the check: see the crate documentation. Takes `opts.duration` (2 s) plus a few
/// milliseconds for the dumps.
pub fn check(opts: &CheckOptions) -> Result<NetReport, NetError> {
    let started = Instant::now();
    // First, so that an unprivileged run stops before doing anything else.
    let packet = PacketSocket::open().map_err(NetError::io("opening the ARP socket"))?;
    let mut nl = Netlink::open(0).map_err(NetError::io("opening rtnetlink"))?;
    // Subscribed before the first dump, so that no change falls between the two.
    let mut monitor = Netlink::open(netlink::RTMGRP_NEIGH)
        .map_err(NetError::io("subscribing to neighbour events"))?;
    let host = HostNet::read(&mut nl)?;
    if let Some(i) = &opts.interface
        && !host.links.values().any(|l| &l.name == i)
    {
        return Err(NetError::NoSuchInterface(i.clone()));
    }
    let only = opts.interface.as_deref();
    let names = host.names();
    let local = host.local_macs();
    let (mut targets, mut skipped) = plan(&host, opts);

    let mut tracker = Tracker::new();
    for n in dump_neighbours(&mut nl, &names, only)? {
        tracker.seed(&n);
    }
    let mut changes = Vec::new();

    let rounds = schedule(opts);
    // Nothing to probe: nothing to wait for either.
    let window = if targets.is_empty() {
        Duration::ZERO
    } else {
        opts.duration
    };
    let t0 = Instant::now();
    let ms = |t: Instant| t.duration_since(t0).as_millis() as u64;
    let mut next = 0;
    let mut buf = vec![0u8; 2048];
    let mut failed: HashSet<u32> = HashSet::new();
    loop {
        let now = t0.elapsed();
        while next < rounds.len() && rounds[next] <= now {
            for t in targets.iter_mut() {
                if failed.contains(&t.ifindex) {
                    continue;
                }
                let probe = arp::build_probe(t.our_mac, t.address);
                match packet.send(t.ifindex, MacAddr::BROADCAST, &probe) {
                    Ok(()) => t.sent += 1,
                    Err(e) => {
                        failed.insert(t.ifindex);
                        skipped.push(Skipped {
                            interface: t.interface.clone(),
                            reason: SkipReason::SendFailed,
                            detail: Some(e.to_string()),
                        });
                    }
                }
            }
            next += 1;
        }
        if now >= window {
            break;
        }
        let wake = rounds.get(next).copied().unwrap_or(window);
        let ready = sys::poll_readable(
            &[packet.raw_fd(), monitor.raw_fd()],
            wake.min(window).saturating_sub(now),
        )
        .map_err(NetError::io("waiting for packets"))?;
        if ready.first() == Some(&true) {
            while let Some(rx) = packet
                .recv(&mut buf)
                .map_err(NetError::io("receiving ARP"))?
            {
                let at = ms(Instant::now());
                handle_packet(&mut targets, &local, &rx, &buf[..rx.len], at);
            }
        }
        if ready.get(1) == Some(&true) {
            let at = ms(Instant::now());
            // A lost event is caught by the dump at the end.
            let (msgs, _) = recv_events(&mut monitor);
            changes.extend(observe_events(msgs, &names, only, &mut tracker, at));
        }
    }
    let at = ms(Instant::now());
    let (msgs, _) = recv_events(&mut monitor);
    changes.extend(observe_events(msgs, &names, only, &mut tracker, at));
    let neighbours = dump_neighbours(&mut nl, &names, only)?;
    for n in &neighbours {
        if let Some(c) = tracker.observe(n, at, unix_ms()) {
            changes.push(c);
        }
    }

    let probes_sent = targets.iter().map(|t| t.sent).sum();
    let mut addresses = Vec::new();
    let mut gateways = Vec::new();
    for t in targets {
        let answers: Vec<Answer> = t.answers.into_values().collect();
        match t.kind {
            ConflictKind::Address => addresses.push(AddressReport {
                interface: t.interface,
                address: t.address,
                prefix_len: t.prefix_len,
                mac: t.our_mac,
                probes_sent: t.sent,
                answers,
            }),
            ConflictKind::Gateway => gateways.push(GatewayReport {
                interface: t.interface,
                address: t.address,
                probes_sent: t.sent,
                answers,
            }),
        }
    }
    Ok(NetReport {
        addresses,
        gateways,
        neighbours,
        neighbour_changes: changes,
        skipped,
        probes_sent,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::{IFF_LOOPBACK, IFF_LOWER_UP, IFF_NOARP, IFF_UP, NextHop};

    fn link(index: u32, name: &str, flags: u32, mac: [u8; 6]) -> Link {
        Link {
            index,
            name: name.into(),
            flags,
            link_type: netlink::ARPHRD_ETHER,
            mac: Some(MacAddr(mac)),
            perm_mac: None,
            master: None,
            kind: None,
        }
    }

    fn addr(index: u32, a: [u8; 4]) -> Addr {
        Addr {
            index,
            family: netlink::AF_INET,
            prefix_len: 24,
            scope: 0,
            flags: 0,
            local: Some(IpAddr::V4(Ipv4Addr::from(a))),
            label: None,
        }
    }

    fn host() -> HostNet {
        let up = IFF_UP | IFF_LOWER_UP;
        let mut h = HostNet::default();
        for l in [
            link(1, "lo", up | IFF_LOOPBACK, [0; 6]),
            link(2, "eth0", up, [2, 0, 0, 0, 0, 2]),
            link(3, "eth1", IFF_UP, [2, 0, 0, 0, 0, 3]),
            link(4, "wg0", up | IFF_NOARP, [2, 0, 0, 0, 0, 4]),
            link(5, "eth2", up, [2, 0, 0, 0, 0, 5]),
            link(6, "eth3", 0, [2, 0, 0, 0, 0, 6]),
        ] {
            h.links.insert(l.index, l);
        }
        h.addrs = vec![
            addr(1, [127, 0, 0, 1]),
            addr(2, [198, 51, 100, 10]),
            addr(2, [198, 51, 100, 11]),
            addr(3, [203, 0, 113, 10]),
            addr(4, [203, 0, 113, 20]),
            addr(6, [203, 0, 113, 30]),
        ];
        h.routes = vec![Route {
            family: netlink::AF_INET,
            dst_len: 0,
            table: 254,
            route_type: netlink::RTN_UNICAST,
            dst: None,
            hops: vec![NextHop {
                oif: Some(2),
                gateway: Some(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1))),
            }],
        }];
        h
    }

    #[test]
    fn plans_every_usable_address_and_the_gateway() {
        let (t, s) = plan(&host(), &CheckOptions::default());
        let got: Vec<_> = t
            .iter()
            .map(|t| (t.kind, t.interface.as_str(), t.address.to_string()))
            .collect();
        assert_eq!(
            got,
            vec![
                (ConflictKind::Address, "eth0", "198.51.100.10".to_string()),
                (ConflictKind::Address, "eth0", "198.51.100.11".to_string()),
                (ConflictKind::Gateway, "eth0", "198.51.100.1".to_string()),
            ]
        );
        let reasons: Vec<_> = s.iter().map(|s| (s.interface.as_str(), s.reason)).collect();
        assert_eq!(
            reasons,
            vec![
                ("eth1", SkipReason::NoCarrier),
                ("wg0", SkipReason::NotArpable),
                ("eth3", SkipReason::Down),
                ("eth2", SkipReason::NoIpv4Address),
            ]
        );
        let only = CheckOptions {
            interface: Some("eth2".into()),
            ..CheckOptions::default()
        };
        let (t, s) = plan(&host(), &only);
        assert!(t.is_empty());
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn answers_from_others_only() {
        let h = host();
        let (mut t, _) = plan(&h, &CheckOptions::default());
        let local = h.local_macs();
        let a = Ipv4Addr::new(198, 51, 100, 10);
        let rx = |src: [u8; 6]| Received {
            len: 28,
            ifindex: 2,
            pkttype: 0,
            src: Some(MacAddr(src)),
        };
        let reply_from = |m: [u8; 6]| {
            let mut p = arp::build_probe(MacAddr(m), a);
            p[7] = 2;
            p[14..18].copy_from_slice(&a.octets());
            p
        };
        // Our own other NIC answering (ARP flux) is not a conflict.
        handle_packet(
            &mut t,
            &local,
            &rx([2, 0, 0, 0, 0, 5]),
            &reply_from([2, 0, 0, 0, 0, 5]),
            1,
        );
        assert!(t[0].answers.is_empty());
        let apple = [0x3c, 0x22, 0xfb, 1, 2, 3];
        for ms in [5, 400, 800] {
            handle_packet(&mut t, &local, &rx(apple), &reply_from(apple), ms);
        }
        let ans: Vec<_> = t[0].answers.values().collect();
        assert_eq!(ans.len(), 1);
        assert_eq!((ans[0].count, ans[0].first_ms), (3, 5));
        assert_eq!(ans[0].claims, vec![Claim::Reply]);
        assert!(t[1].answers.is_empty());
        // On another interface, or our own looped-back probe: ignored.
        let mut other_if = rx(apple);
        other_if.ifindex = 5;
        let mut t2 = t.clone();
        handle_packet(
            &mut t2,
            &local,
            &other_if,
            &reply_from([0x3c, 0x22, 0xfb, 9, 9, 9]),
            9,
        );
        assert_eq!(t2, t);
        let mut out = rx(apple);
        out.pkttype = sys::PACKET_OUTGOING;
        handle_packet(
            &mut t2,
            &local,
            &out,
            &reply_from([0x3c, 0x22, 0xfb, 9, 9, 9]),
            9,
        );
        assert_eq!(t2, t);
    }

    #[test]
    fn schedule_fits_the_window() {
        let o = CheckOptions::default();
        let s = schedule(&o);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0], Duration::ZERO);
        assert!(s.windows(2).all(|w| w[0] < w[1]));
        assert!(s[2] < Duration::from_millis(1000), "{s:?}");
    }

    #[test]
    fn conflicts_from_report() {
        let ans = |m: [u8; 6]| Answer {
            station: MacInfo::of(MacAddr(m)),
            claims: vec![Claim::Reply],
            count: 1,
            first_ms: 3,
            link_source: None,
        };
        let r = NetReport {
            addresses: vec![AddressReport {
                interface: "eth0".into(),
                address: Ipv4Addr::new(198, 51, 100, 10),
                prefix_len: 24,
                mac: MacAddr([2, 0, 0, 0, 0, 2]),
                probes_sent: 3,
                answers: vec![ans([0x3c, 0x22, 0xfb, 1, 2, 3])],
            }],
            gateways: vec![
                GatewayReport {
                    interface: "eth0".into(),
                    address: Ipv4Addr::new(198, 51, 100, 1),
                    probes_sent: 3,
                    answers: vec![ans([0, 0, 0x0c, 1, 2, 3])],
                },
                GatewayReport {
                    interface: "eth1".into(),
                    address: Ipv4Addr::new(203, 0, 113, 1),
                    probes_sent: 3,
                    answers: vec![ans([0, 0, 0x0c, 1, 2, 3]), ans([0x3c, 0x22, 0xfb, 1, 2, 4])],
                },
            ],
            neighbours: vec![],
            neighbour_changes: vec![],
            skipped: vec![],
            probes_sent: 9,
            elapsed_ms: 2001,
        };
        let c = r.conflicts();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].kind, ConflictKind::Address);
        assert_eq!(c[1].kind, ConflictKind::Gateway);
        assert_eq!(c[1].others.len(), 2);
        let j = serde_json::to_value(&r).expect("serialises");
        assert_eq!(j["addresses"][0]["answers"][0]["mac"], "3c:22:fb:01:02:03");
        assert_eq!(
            j["addresses"][0]["answers"][0]["locally_administered"],
            false
        );
        assert_eq!(j["addresses"][0]["answers"][0]["claims"][0], "reply");
    }
}
