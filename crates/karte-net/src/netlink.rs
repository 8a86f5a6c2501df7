//! rtnetlink messages: building the dump requests karte sends, parsing what the kernel answers.
//!
//! Pure functions on bytes: links (`RTM_NEWLINK`), addresses (`RTM_NEWADDR`), routes
//! (`RTM_NEWROUTE`) and neighbours (`RTM_NEWNEIGH`/`RTM_DELNEIGH`). Netlink is in host byte
//! order. A malformed message or attribute ends the walk over that buffer or message — what
//! was parsed before it is kept — and never panics (fuzzed in `tests/fuzz.rs`).
//!
//! Constants are those of the kernel's uapi headers (`linux/netlink.h`, `linux/rtnetlink.h`,
//! `linux/if_link.h`, `linux/if_addr.h`, `linux/neighbour.h`); the tests compare them with the
//! `libc` crate's.

use crate::mac::MacAddr;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const NLMSG_HDRLEN: usize = 16;
pub const NLMSG_NOOP: u16 = 1;
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;
pub const NLMSG_OVERRUN: u16 = 4;

pub const NLM_F_REQUEST: u16 = 0x01;
pub const NLM_F_MULTI: u16 = 0x02;
pub const NLM_F_DUMP_INTR: u16 = 0x10;
pub const NLM_F_DUMP: u16 = 0x300;

pub const RTM_NEWLINK: u16 = 16;
pub const RTM_GETLINK: u16 = 18;
pub const RTM_NEWADDR: u16 = 20;
pub const RTM_GETADDR: u16 = 22;
pub const RTM_NEWROUTE: u16 = 24;
pub const RTM_GETROUTE: u16 = 26;
pub const RTM_NEWNEIGH: u16 = 28;
pub const RTM_DELNEIGH: u16 = 29;
pub const RTM_GETNEIGH: u16 = 30;

/// The multicast group of neighbour changes (`RTNLGRP_NEIGH`), and its legacy bind mask.
pub const RTNLGRP_NEIGH: u32 = 3;
pub const RTMGRP_NEIGH: u32 = 1 << (RTNLGRP_NEIGH - 1);

pub const AF_UNSPEC: u8 = 0;
pub const AF_INET: u8 = 2;
pub const AF_INET6: u8 = 10;

pub const IFF_UP: u32 = 0x1;
pub const IFF_LOOPBACK: u32 = 0x8;
pub const IFF_NOARP: u32 = 0x80;
pub const IFF_LOWER_UP: u32 = 0x1_0000;

/// `ARPHRD_ETHER`: the link type of Ethernet, and of veth, bridges, bonds and VLANs on it.
pub const ARPHRD_ETHER: u16 = 1;

const IFLA_ADDRESS: u16 = 1;
const IFLA_IFNAME: u16 = 3;
const IFLA_MASTER: u16 = 10;
const IFLA_LINKINFO: u16 = 18;
const IFLA_INFO_KIND: u16 = 1;
const IFLA_PERM_ADDRESS: u16 = 54;

const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const IFA_LABEL: u16 = 3;
const IFA_FLAGS: u16 = 8;

const RTA_DST: u16 = 1;
const RTA_OIF: u16 = 4;
const RTA_GATEWAY: u16 = 5;
const RTA_MULTIPATH: u16 = 9;
const RTA_TABLE: u16 = 15;
pub const RTN_UNICAST: u8 = 1;
pub const RT_TABLE_LOCAL: u32 = 255;

const NDA_DST: u16 = 1;
const NDA_LLADDR: u16 = 2;

pub const NUD_INCOMPLETE: u16 = 0x01;
pub const NUD_REACHABLE: u16 = 0x02;
pub const NUD_STALE: u16 = 0x04;
pub const NUD_DELAY: u16 = 0x08;
pub const NUD_PROBE: u16 = 0x10;
pub const NUD_FAILED: u16 = 0x20;
pub const NUD_NOARP: u16 = 0x40;
pub const NUD_PERMANENT: u16 = 0x80;
/// States in which the entry's link-layer address is known.
pub const NUD_VALID: u16 =
    NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY;
pub const NTF_ROUTER: u8 = 0x80;

/// The attribute type without the `NLA_F_NESTED` and `NLA_F_NET_BYTEORDER` bits.
const NLA_TYPE_MASK: u16 = 0x3fff;

fn align4(n: usize) -> usize {
    n.saturating_add(3) & !3
}

fn ne16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn ne32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// One netlink message: its header fields and payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NlMsg<'a> {
    pub kind: u16,
    pub flags: u16,
    pub seq: u32,
    pub pid: u32,
    pub payload: &'a [u8],
}

/// The messages of one datagram, in order; stops at the first malformed header.
pub fn messages(buf: &[u8]) -> impl Iterator<Item = NlMsg<'_>> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let len = ne32(buf, at)? as usize;
        if len < NLMSG_HDRLEN {
            return None;
        }
        let end = at.checked_add(len)?;
        let m = NlMsg {
            kind: ne16(buf, at + 4)?,
            flags: ne16(buf, at + 6)?,
            seq: ne32(buf, at + 8)?,
            pid: ne32(buf, at + 12)?,
            payload: buf.get(at + NLMSG_HDRLEN..end)?,
        };
        at = at.checked_add(align4(len))?;
        Some(m)
    })
}

/// The attributes (`struct rtattr`/`struct nlattr`) in `b`, as (type, payload); stops at the
/// first malformed one.
pub fn attrs(b: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let len = usize::from(ne16(b, at)?);
        if len < 4 {
            return None;
        }
        let kind = ne16(b, at + 2)? & NLA_TYPE_MASK;
        let payload = b.get(at + 4..at.checked_add(len)?)?;
        at = at.checked_add(align4(len))?;
        Some((kind, payload))
    })
}

/// The errno of an `NLMSG_ERROR` message: 0 for an acknowledgement, a positive errno for a
/// failure. `None` when the message is too short.
pub fn error_code(payload: &[u8]) -> Option<i32> {
    let raw = ne32(payload, 0)? as i32;
    Some(raw.checked_neg().unwrap_or(i32::MAX))
}

fn string(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

fn ip(family: u8, b: &[u8]) -> Option<IpAddr> {
    match (family, b.len()) {
        (AF_INET, 4) => <[u8; 4]>::try_from(b)
            .ok()
            .map(|o| IpAddr::V4(Ipv4Addr::from(o))),
        (AF_INET6, 16) => <[u8; 16]>::try_from(b)
            .ok()
            .map(|o| IpAddr::V6(Ipv6Addr::from(o))),
        _ => None,
    }
}

/// A dump request: the netlink header and a zeroed family header of `hdr_len` bytes whose
/// first byte is the address family.
fn dump_request(kind: u16, seq: u32, family: u8, hdr_len: usize) -> Vec<u8> {
    let len = NLMSG_HDRLEN + hdr_len;
    let mut b = Vec::with_capacity(len);
    b.extend((len as u32).to_ne_bytes());
    b.extend(kind.to_ne_bytes());
    b.extend((NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    b.extend(seq.to_ne_bytes());
    b.extend(0u32.to_ne_bytes());
    b.push(family);
    b.resize(len, 0);
    b
}

/// `RTM_GETLINK` dump of every interface (`struct ifinfomsg`, 16 bytes).
pub fn request_links(seq: u32) -> Vec<u8> {
    dump_request(RTM_GETLINK, seq, AF_UNSPEC, 16)
}

/// `RTM_GETADDR` dump of the addresses of `family` (`struct ifaddrmsg`, 8 bytes).
pub fn request_addrs(seq: u32, family: u8) -> Vec<u8> {
    dump_request(RTM_GETADDR, seq, family, 8)
}

/// `RTM_GETROUTE` dump of the routes of `family` (`struct rtmsg`, 12 bytes).
pub fn request_routes(seq: u32, family: u8) -> Vec<u8> {
    dump_request(RTM_GETROUTE, seq, family, 12)
}

/// `RTM_GETNEIGH` dump of the neighbour tables (`struct ndmsg`, 12 bytes).
pub fn request_neighbours(seq: u32, family: u8) -> Vec<u8> {
    dump_request(RTM_GETNEIGH, seq, family, 12)
}

/// An interface, from `RTM_NEWLINK`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub index: u32,
    pub name: String,
    /// `IFF_*` flags.
    pub flags: u32,
    /// `ARPHRD_*` link type.
    pub link_type: u16,
    /// The current link-layer address, when it is an Ethernet one.
    pub mac: Option<MacAddr>,
    /// The burnt-in address (differs from `mac` on bond slaves, or after a change).
    pub perm_mac: Option<MacAddr>,
    /// The bridge or bond this interface is a port of.
    pub master: Option<u32>,
    /// `bridge`, `bond`, `veth`, `vlan`, … (`IFLA_INFO_KIND`).
    pub kind: Option<String>,
}

impl Link {
    pub fn is_up(&self) -> bool {
        self.flags & IFF_UP != 0
    }
    pub fn has_carrier(&self) -> bool {
        self.flags & IFF_LOWER_UP != 0
    }
    pub fn is_loopback(&self) -> bool {
        self.flags & IFF_LOOPBACK != 0
    }
    /// Speaks ARP: Ethernet-like, with a MAC, and not `IFF_NOARP`.
    pub fn is_arpable(&self) -> bool {
        self.link_type == ARPHRD_ETHER
            && self.flags & IFF_NOARP == 0
            && self.mac.is_some_and(|m| m.is_station())
    }
}

/// Parses the payload of `RTM_NEWLINK`.
pub fn parse_link(p: &[u8]) -> Option<Link> {
    let link_type = ne16(p, 2)?;
    let index = ne32(p, 4)?;
    let flags = ne32(p, 8)?;
    let mut l = Link {
        index,
        name: String::new(),
        flags,
        link_type,
        mac: None,
        perm_mac: None,
        master: None,
        kind: None,
    };
    for (t, v) in attrs(p.get(16..)?) {
        match t {
            IFLA_IFNAME => l.name = string(v),
            IFLA_ADDRESS => l.mac = MacAddr::from_slice(v),
            IFLA_PERM_ADDRESS => l.perm_mac = MacAddr::from_slice(v),
            IFLA_MASTER => l.master = ne32(v, 0),
            IFLA_LINKINFO => {
                l.kind = attrs(v)
                    .find(|(t, _)| *t == IFLA_INFO_KIND)
                    .map(|(_, k)| string(k))
            }
            _ => {}
        }
    }
    Some(l)
}

/// An interface address, from `RTM_NEWADDR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addr {
    pub index: u32,
    pub family: u8,
    pub prefix_len: u8,
    pub scope: u8,
    /// `IFA_F_*` flags (the 32-bit `IFA_FLAGS` when present).
    pub flags: u32,
    /// The interface's own address: `IFA_LOCAL`, or `IFA_ADDRESS` when there is no local one.
    pub local: Option<IpAddr>,
    pub label: Option<String>,
}

/// Parses the payload of `RTM_NEWADDR`.
pub fn parse_addr(p: &[u8]) -> Option<Addr> {
    let family = *p.first()?;
    let mut a = Addr {
        family,
        prefix_len: *p.get(1)?,
        flags: u32::from(*p.get(2)?),
        scope: *p.get(3)?,
        index: ne32(p, 4)?,
        local: None,
        label: None,
    };
    let mut address = None;
    for (t, v) in attrs(p.get(8..)?) {
        match t {
            IFA_LOCAL => a.local = ip(family, v),
            IFA_ADDRESS => address = ip(family, v),
            IFA_LABEL => a.label = Some(string(v)),
            IFA_FLAGS => a.flags = ne32(v, 0).unwrap_or(a.flags),
            _ => {}
        }
    }
    a.local = a.local.or(address);
    Some(a)
}

/// One next hop of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextHop {
    pub oif: Option<u32>,
    pub gateway: Option<IpAddr>,
}

/// A route, from `RTM_NEWROUTE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub family: u8,
    pub dst_len: u8,
    pub table: u32,
    /// `RTN_*` route type.
    pub route_type: u8,
    pub dst: Option<IpAddr>,
    /// One entry, or several for a multipath route.
    pub hops: Vec<NextHop>,
}

impl Route {
    /// A default route through a gateway, outside the local table.
    pub fn is_default_unicast(&self) -> bool {
        self.dst_len == 0 && self.route_type == RTN_UNICAST && self.table != RT_TABLE_LOCAL
    }
}

/// Parses the payload of `RTM_NEWROUTE`.
pub fn parse_route(p: &[u8]) -> Option<Route> {
    let family = *p.first()?;
    let mut r = Route {
        family,
        dst_len: *p.get(1)?,
        table: u32::from(*p.get(4)?),
        route_type: *p.get(7)?,
        dst: None,
        hops: Vec::new(),
    };
    let mut single = NextHop {
        oif: None,
        gateway: None,
    };
    for (t, v) in attrs(p.get(12..)?) {
        match t {
            RTA_DST => r.dst = ip(family, v),
            RTA_OIF => single.oif = ne32(v, 0),
            RTA_GATEWAY => single.gateway = ip(family, v),
            RTA_TABLE => r.table = ne32(v, 0).unwrap_or(r.table),
            RTA_MULTIPATH => {
                // struct rtnexthop { u16 len; u8 flags; u8 hops; i32 ifindex; } + attributes.
                let mut at = 0usize;
                while let Some(len) = ne16(v, at).map(usize::from) {
                    if len < 8 {
                        break;
                    }
                    let Some(nh) = v.get(at..at + len) else { break };
                    let gateway = attrs(&nh[8..])
                        .find(|(t, _)| *t == RTA_GATEWAY)
                        .and_then(|(_, g)| ip(family, g));
                    r.hops.push(NextHop {
                        oif: ne32(nh, 4),
                        gateway,
                    });
                    at += align4(len);
                }
            }
            _ => {}
        }
    }
    if r.hops.is_empty() {
        r.hops.push(single);
    }
    Some(r)
}

/// A neighbour-table entry, from `RTM_NEWNEIGH` or `RTM_DELNEIGH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeighMsg {
    pub family: u8,
    pub ifindex: u32,
    /// `NUD_*` state bits.
    pub state: u16,
    /// `NTF_*` flags.
    pub flags: u8,
    pub dst: Option<IpAddr>,
    /// The link-layer address, when it is an Ethernet one.
    pub mac: Option<MacAddr>,
    /// From `RTM_DELNEIGH`: the entry was removed.
    pub deleted: bool,
}

/// Parses the payload of `RTM_NEWNEIGH`/`RTM_DELNEIGH`.
pub fn parse_neigh(p: &[u8], deleted: bool) -> Option<NeighMsg> {
    let family = *p.first()?;
    let mut n = NeighMsg {
        family,
        ifindex: ne32(p, 4)?,
        state: ne16(p, 8)?,
        flags: *p.get(10)?,
        dst: None,
        mac: None,
        deleted,
    };
    for (t, v) in attrs(p.get(12..)?) {
        match t {
            NDA_DST => n.dst = ip(family, v),
            NDA_LLADDR => n.mac = MacAddr::from_slice(v),
            _ => {}
        }
    }
    Some(n)
}

/// What one message is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Link(Link),
    Addr(Addr),
    Route(Route),
    Neigh(NeighMsg),
    /// End of a dump.
    Done,
    /// `NLMSG_ERROR`: 0 is an acknowledgement, otherwise a positive errno.
    Error(i32),
    /// The kernel dropped messages: a dump must be redone.
    Overrun,
    /// Anything else, or a message too short for its header.
    Other(u16),
}

/// Classifies and parses one message.
pub fn parse_message(m: &NlMsg<'_>) -> Message {
    let parsed = match m.kind {
        NLMSG_DONE => return Message::Done,
        NLMSG_OVERRUN => return Message::Overrun,
        NLMSG_ERROR => return error_code(m.payload).map_or(Message::Other(m.kind), Message::Error),
        RTM_NEWLINK => parse_link(m.payload).map(Message::Link),
        RTM_NEWADDR => parse_addr(m.payload).map(Message::Addr),
        RTM_NEWROUTE => parse_route(m.payload).map(Message::Route),
        RTM_NEWNEIGH => parse_neigh(m.payload, false).map(Message::Neigh),
        RTM_DELNEIGH => parse_neigh(m.payload, true).map(Message::Neigh),
        _ => None,
    };
    parsed.unwrap_or(Message::Other(m.kind))
}

/// Builders of kernel-like messages, for tests of this crate and of its users.
pub mod build {
    use super::*;

    /// One attribute, padded to 4 bytes.
    pub fn attr(kind: u16, payload: &[u8]) -> Vec<u8> {
        let len = 4 + payload.len();
        let mut b = Vec::with_capacity(align4(len));
        b.extend((len as u16).to_ne_bytes());
        b.extend(kind.to_ne_bytes());
        b.extend(payload);
        b.resize(align4(len), 0);
        b
    }

    /// A message with header fields and payload.
    pub fn message(kind: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
        let len = NLMSG_HDRLEN + payload.len();
        let mut b = Vec::with_capacity(align4(len));
        b.extend((len as u32).to_ne_bytes());
        b.extend(kind.to_ne_bytes());
        b.extend(flags.to_ne_bytes());
        b.extend(seq.to_ne_bytes());
        b.extend(0u32.to_ne_bytes());
        b.extend(payload);
        b.resize(align4(len), 0);
        b
    }

    /// An `RTM_NEWNEIGH` for an IPv4 neighbour.
    pub fn neigh(ifindex: u32, state: u16, dst: Ipv4Addr, mac: Option<MacAddr>) -> Vec<u8> {
        let mut p = vec![AF_INET, 0, 0, 0];
        p.extend(ifindex.to_ne_bytes());
        p.extend(state.to_ne_bytes());
        p.extend([0u8, 1]);
        p.extend(attr(NDA_DST, &dst.octets()));
        if let Some(m) = mac {
            p.extend(attr(NDA_LLADDR, &m.0));
        }
        message(RTM_NEWNEIGH, 0, 0, &p)
    }

    /// An `RTM_NEWLINK` for an Ethernet interface.
    pub fn link(index: u32, name: &str, flags: u32, mac: MacAddr) -> Vec<u8> {
        let mut p = vec![AF_UNSPEC, 0];
        p.extend(ARPHRD_ETHER.to_ne_bytes());
        p.extend(index.to_ne_bytes());
        p.extend(flags.to_ne_bytes());
        p.extend(0u32.to_ne_bytes());
        let mut n = name.as_bytes().to_vec();
        n.push(0);
        p.extend(attr(IFLA_IFNAME, &n));
        p.extend(attr(IFLA_ADDRESS, &mac.0));
        message(RTM_NEWLINK, NLM_F_MULTI, 1, &p)
    }

    /// An `RTM_NEWADDR` for an IPv4 address.
    pub fn addr(index: u32, a: Ipv4Addr, prefix_len: u8) -> Vec<u8> {
        let mut p = vec![AF_INET, prefix_len, 0, 0];
        p.extend(index.to_ne_bytes());
        p.extend(attr(IFA_ADDRESS, &a.octets()));
        p.extend(attr(IFA_LOCAL, &a.octets()));
        message(RTM_NEWADDR, NLM_F_MULTI, 1, &p)
    }

    /// An `RTM_NEWROUTE` for an IPv4 default route in the main table.
    pub fn default_route(oif: u32, gw: Ipv4Addr) -> Vec<u8> {
        let p0 = [AF_INET, 0, 0, 0, 254, 3, 0, RTN_UNICAST];
        let mut p = p0.to_vec();
        p.extend(0u32.to_ne_bytes());
        p.extend(attr(RTA_OIF, &oif.to_ne_bytes()));
        p.extend(attr(RTA_GATEWAY, &gw.octets()));
        message(RTM_NEWROUTE, NLM_F_MULTI, 1, &p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_libc() {
        assert_eq!(RTM_GETNEIGH, libc::RTM_GETNEIGH);
        assert_eq!(RTM_NEWNEIGH, libc::RTM_NEWNEIGH);
        assert_eq!(RTM_DELNEIGH, libc::RTM_DELNEIGH);
        assert_eq!(RTM_GETLINK, libc::RTM_GETLINK);
        assert_eq!(RTM_GETADDR, libc::RTM_GETADDR);
        assert_eq!(RTM_GETROUTE, libc::RTM_GETROUTE);
        assert_eq!(RTMGRP_NEIGH as i32, libc::RTMGRP_NEIGH);
        assert_eq!(NUD_PERMANENT, libc::NUD_PERMANENT);
        assert_eq!(NUD_FAILED, libc::NUD_FAILED);
        assert_eq!(RTA_MULTIPATH, libc::RTA_MULTIPATH);
        assert_eq!(IFLA_MASTER, libc::IFLA_MASTER);
        assert_eq!(IFLA_PERM_ADDRESS, libc::IFLA_PERM_ADDRESS);
        assert_eq!(IFA_FLAGS, libc::IFA_FLAGS);
        assert_eq!(NDA_LLADDR, libc::NDA_LLADDR);
        assert_eq!(IFF_LOWER_UP, libc::IFF_LOWER_UP as u32);
        assert_eq!(i32::from(AF_INET6), libc::AF_INET6);
        assert_eq!(NLM_F_DUMP as i32, libc::NLM_F_DUMP);
    }

    #[test]
    fn round_trips() {
        let me = MacAddr([0x02, 0, 0, 0, 0, 0x0a]);
        let mut buf = build::link(3, "eth0", IFF_UP | IFF_LOWER_UP, me);
        buf.extend(build::addr(3, Ipv4Addr::new(198, 51, 100, 10), 24));
        buf.extend(build::default_route(3, Ipv4Addr::new(198, 51, 100, 1)));
        buf.extend(build::neigh(
            3,
            NUD_REACHABLE,
            Ipv4Addr::new(198, 51, 100, 1),
            Some(me),
        ));
        buf.extend(build::message(NLMSG_DONE, NLM_F_MULTI, 1, &[0; 4]));
        let got: Vec<Message> = messages(&buf).map(|m| parse_message(&m)).collect();
        assert_eq!(got.len(), 5);
        let Message::Link(l) = &got[0] else {
            panic!("{got:?}")
        };
        assert_eq!((l.index, l.name.as_str(), l.mac), (3, "eth0", Some(me)));
        assert!(l.is_up() && l.has_carrier() && l.is_arpable() && !l.is_loopback());
        let Message::Addr(a) = &got[1] else {
            panic!("{got:?}")
        };
        assert_eq!(a.local, Some(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 10))));
        assert_eq!(a.prefix_len, 24);
        let Message::Route(r) = &got[2] else {
            panic!("{got:?}")
        };
        assert!(r.is_default_unicast());
        assert_eq!(
            r.hops,
            vec![NextHop {
                oif: Some(3),
                gateway: Some(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1)))
            }]
        );
        let Message::Neigh(n) = &got[3] else {
            panic!("{got:?}")
        };
        assert_eq!(n.mac, Some(me));
        assert_eq!(n.state, NUD_REACHABLE);
        assert_eq!(got[4], Message::Done);
    }

    #[test]
    fn truncation_keeps_what_came_before() {
        let mut buf = build::neigh(1, NUD_STALE, Ipv4Addr::new(203, 0, 113, 5), None);
        let first = buf.len();
        buf.extend(build::neigh(
            1,
            NUD_STALE,
            Ipv4Addr::new(203, 0, 113, 6),
            None,
        ));
        for cut in 0..buf.len() {
            let n = messages(&buf[..cut]).count();
            assert_eq!(n, usize::from(cut >= first) + usize::from(cut == buf.len()));
        }
        // A zero-length attribute ends the walk instead of looping.
        let zero = [0u8, 0, 1, 0, 8, 0, 2, 0];
        assert_eq!(attrs(&zero).count(), 0);
    }

    #[test]
    fn errors() {
        let mut p = (-1i32).to_ne_bytes().to_vec();
        p.extend([0; 16]);
        let m = build::message(NLMSG_ERROR, 0, 7, &p);
        let got: Vec<_> = messages(&m).map(|m| parse_message(&m)).collect();
        assert_eq!(got, vec![Message::Error(1)]);
        let m = build::message(NLMSG_ERROR, 0, 7, &i32::MIN.to_ne_bytes());
        assert_eq!(
            messages(&m).map(|m| parse_message(&m)).collect::<Vec<_>>(),
            vec![Message::Error(i32::MAX)]
        );
    }

    #[test]
    fn multipath() {
        let gw = |n| Ipv4Addr::new(203, 0, 113, n);
        let mut mp = Vec::new();
        for (ifx, n) in [(4u32, 1u8), (5, 2)] {
            let a = build::attr(RTA_GATEWAY, &gw(n).octets());
            let len = (8 + a.len()) as u16;
            mp.extend(len.to_ne_bytes());
            mp.extend([0u8, 0]);
            mp.extend(ifx.to_ne_bytes());
            mp.extend(a);
        }
        let mut p = vec![AF_INET, 0, 0, 0, 254, 3, 0, RTN_UNICAST];
        p.extend(0u32.to_ne_bytes());
        p.extend(build::attr(RTA_MULTIPATH, &mp));
        let r = parse_route(&p).expect("parses");
        assert_eq!(r.hops.len(), 2);
        assert_eq!(r.hops[1].oif, Some(5));
        assert_eq!(r.hops[1].gateway, Some(IpAddr::V4(gw(2))));
    }
}
