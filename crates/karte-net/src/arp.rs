//! ARP for IPv4 over Ethernet: parsing what arrives, building the one packet karte sends
//! (an RFC 5227 probe), and deciding what an arriving packet says about an address.
//!
//! Pure functions on bytes. Any input — truncated, padded, another hardware or protocol type —
//! is data: the parsers answer `None` and never panic (fuzzed in `tests/fuzz.rs`).

use crate::mac::MacAddr;
use serde::Serialize;
use std::net::Ipv4Addr;

/// EtherType of ARP.
pub const ETH_P_ARP: u16 = 0x0806;
/// EtherType of IPv4 (ARP's protocol type).
pub const ETH_P_IP: u16 = 0x0800;
/// 802.1Q and 802.1ad VLAN tags.
const ETH_P_8021Q: u16 = 0x8100;
const ETH_P_8021AD: u16 = 0x88a8;
/// ARP hardware type Ethernet.
pub const ARPHRD_ETHER: u16 = 1;
pub const ARPOP_REQUEST: u16 = 1;
pub const ARPOP_REPLY: u16 = 2;
/// The length of an Ethernet/IPv4 ARP packet (without the Ethernet header or padding).
pub const ARP_LEN: usize = 28;

/// An Ethernet/IPv4 ARP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArpPacket {
    pub op: u16,
    pub sender_mac: MacAddr,
    pub sender_ip: Ipv4Addr,
    pub target_mac: MacAddr,
    pub target_ip: Ipv4Addr,
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn ip4(b: &[u8], at: usize) -> Option<Ipv4Addr> {
    let o: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(Ipv4Addr::from(o))
}

fn mac(b: &[u8], at: usize) -> Option<MacAddr> {
    MacAddr::from_slice(b.get(at..at + 6)?)
}

/// Parses an ARP packet as an `AF_PACKET`/`SOCK_DGRAM` socket delivers it (no Ethernet
/// header). Trailing bytes (Ethernet padding) are ignored. `None` for anything that is not
/// Ethernet/IPv4 ARP.
pub fn parse_arp(b: &[u8]) -> Option<ArpPacket> {
    if be16(b, 0)? != ARPHRD_ETHER || be16(b, 2)? != ETH_P_IP {
        return None;
    }
    if *b.get(4)? != 6 || *b.get(5)? != 4 {
        return None;
    }
    Some(ArpPacket {
        op: be16(b, 6)?,
        sender_mac: mac(b, 8)?,
        sender_ip: ip4(b, 14)?,
        target_mac: mac(b, 18)?,
        target_ip: ip4(b, 24)?,
    })
}

/// An Ethernet frame carrying ARP: its link-layer source and the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArpFrame {
    pub eth_dst: MacAddr,
    pub eth_src: MacAddr,
    /// The innermost VLAN id, when the frame was tagged.
    pub vlan: Option<u16>,
    pub arp: ArpPacket,
}

/// Parses a whole Ethernet frame (as `SOCK_RAW` or a capture gives it), skipping up to two
/// VLAN tags. `None` for anything that is not ARP.
pub fn parse_ethernet(b: &[u8]) -> Option<ArpFrame> {
    let eth_dst = mac(b, 0)?;
    let eth_src = mac(b, 6)?;
    let mut at = 12;
    let mut vlan = None;
    for _ in 0..2 {
        let t = be16(b, at)?;
        if t != ETH_P_8021Q && t != ETH_P_8021AD {
            break;
        }
        vlan = Some(be16(b, at + 2)? & 0x0fff);
        at += 4;
    }
    if be16(b, at)? != ETH_P_ARP {
        return None;
    }
    Some(ArpFrame {
        eth_dst,
        eth_src,
        vlan,
        arp: parse_arp(b.get(at + 2..)?)?,
    })
}

/// An RFC 5227 ARP probe: a request from `our_mac` with sender address 0.0.0.0, target
/// hardware address zero and `target` as the address asked about. Sent to the broadcast
/// address, it makes every holder of `target` answer without touching anyone's ARP cache.
pub fn build_probe(our_mac: MacAddr, target: Ipv4Addr) -> [u8; ARP_LEN] {
    let mut p = [0u8; ARP_LEN];
    p[0..2].copy_from_slice(&ARPHRD_ETHER.to_be_bytes());
    p[2..4].copy_from_slice(&ETH_P_IP.to_be_bytes());
    p[4] = 6;
    p[5] = 4;
    p[6..8].copy_from_slice(&ARPOP_REQUEST.to_be_bytes());
    p[8..14].copy_from_slice(&our_mac.0);
    // 14..18 sender IP 0.0.0.0, 18..24 target MAC zero.
    p[24..28].copy_from_slice(&target.octets());
    p
}

/// How another station showed that it uses (or wants) an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Claim {
    /// It answered a probe or a request with the address as its own.
    Reply,
    /// It announced the address (gratuitous ARP: sender = target = the address).
    Announcement,
    /// It asked for another address, giving this one as its own.
    Request,
    /// It probed for the address itself (sender 0.0.0.0): it is about to take it.
    Probe,
}

impl Claim {
    pub fn as_str(self) -> &'static str {
        match self {
            Claim::Reply => "reply",
            Claim::Announcement => "announcement",
            Claim::Request => "request",
            Claim::Probe => "probe",
        }
    }
}

/// What `p` says about `addr`, as RFC 5227 §2.1.1 and `arping -D` judge it: any ARP packet
/// whose sender address is `addr`, or a probe for `addr` from a station other than us. The
/// caller drops packets whose sender MAC is one of ours.
pub fn claim_of(p: &ArpPacket, addr: Ipv4Addr) -> Option<Claim> {
    if !p.sender_mac.is_station() {
        return None;
    }
    if p.sender_ip == addr {
        return Some(match p.op {
            ARPOP_REPLY => Claim::Reply,
            ARPOP_REQUEST if p.target_ip == addr => Claim::Announcement,
            _ => Claim::Request,
        });
    }
    if p.sender_ip.is_unspecified() && p.op == ARPOP_REQUEST && p.target_ip == addr {
        return Some(Claim::Probe);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 1]);
    const APPLE: MacAddr = MacAddr([0x3c, 0x22, 0xfb, 1, 2, 3]);

    fn reply(from: MacAddr, ip: Ipv4Addr) -> Vec<u8> {
        let mut p = build_probe(from, Ipv4Addr::UNSPECIFIED).to_vec();
        p[6..8].copy_from_slice(&ARPOP_REPLY.to_be_bytes());
        p[14..18].copy_from_slice(&ip.octets());
        p[18..24].copy_from_slice(&ME.0);
        p
    }

    #[test]
    fn probe_round_trip() {
        let a = Ipv4Addr::new(198, 51, 100, 10);
        let p = parse_arp(&build_probe(ME, a)).expect("parses");
        assert_eq!(p.op, ARPOP_REQUEST);
        assert_eq!(p.sender_mac, ME);
        assert!(p.sender_ip.is_unspecified());
        assert_eq!(p.target_mac, MacAddr::ZERO);
        assert_eq!(p.target_ip, a);
        // Another host's probe for the same address is a claim; for another address, none.
        let other = parse_arp(&build_probe(APPLE, a)).expect("parses");
        assert_eq!(claim_of(&other, a), Some(Claim::Probe));
        assert_eq!(claim_of(&other, Ipv4Addr::new(198, 51, 100, 11)), None);
    }

    #[test]
    fn claims() {
        let a = Ipv4Addr::new(198, 51, 100, 10);
        let mut r = reply(APPLE, a);
        r.extend([0u8; 18]); // Ethernet padding
        let p = parse_arp(&r).expect("parses");
        assert_eq!(claim_of(&p, a), Some(Claim::Reply));
        // Gratuitous announcement.
        let mut g = build_probe(APPLE, a);
        g[14..18].copy_from_slice(&a.octets());
        let p = parse_arp(&g).expect("parses");
        assert_eq!(claim_of(&p, a), Some(Claim::Announcement));
        // A request from someone else asking for `a` is normal traffic, not a claim.
        let mut q = build_probe(APPLE, a);
        q[14..18].copy_from_slice(&[198, 51, 100, 20]);
        let p = parse_arp(&q).expect("parses");
        assert_eq!(claim_of(&p, a), None);
        // A broadcast or zero sender MAC names no station.
        let p = parse_arp(&reply(MacAddr::ZERO, a)).expect("parses");
        assert_eq!(claim_of(&p, a), None);
    }

    #[test]
    fn rejects_other_packets() {
        let good = build_probe(ME, Ipv4Addr::new(203, 0, 113, 1));
        for n in 0..ARP_LEN {
            assert_eq!(parse_arp(&good[..n]), None, "truncated at {n}");
        }
        let mut ipv6ish = good;
        ipv6ish[5] = 16;
        assert_eq!(parse_arp(&ipv6ish), None);
        let mut tr = good;
        tr[1] = 6; // IEEE 802 hardware type
        assert_eq!(parse_arp(&tr), None);
    }

    #[test]
    fn ethernet_frames() {
        let arp = build_probe(APPLE, Ipv4Addr::new(203, 0, 113, 1));
        let mut f = vec![0xff; 6];
        f.extend(APPLE.0);
        f.extend([0x81, 0x00, 0x00, 0x2a]); // VLAN 42
        f.extend(ETH_P_ARP.to_be_bytes());
        f.extend(arp);
        let fr = parse_ethernet(&f).expect("parses");
        assert_eq!(fr.eth_src, APPLE);
        assert_eq!(fr.vlan, Some(42));
        assert_eq!(fr.arp.target_ip, Ipv4Addr::new(203, 0, 113, 1));
        f[17] = 0x00; // IPv4 instead of ARP
        assert_eq!(parse_ethernet(&f), None);
    }
}
