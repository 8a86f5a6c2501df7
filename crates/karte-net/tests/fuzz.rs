//! Fuzzing the parsers of wire data: whatever bytes arrive, they return a value or `None`,
//! never panic. A short run (proptest's default case count, kept small here) is part of the
//! normal tests; raise it with `PROPTEST_CASES=100000 cargo test -p karte-net --test fuzz`.

use karte_net::arp::{self, ArpPacket};
use karte_net::netlink::{self, build};
use karte_net::oui::OuiTable;
use karte_net::{MacAddr, neigh};
use proptest::prelude::*;
use std::net::Ipv4Addr;

fn walk_netlink(b: &[u8]) -> usize {
    let mut n = 0;
    for m in netlink::messages(b) {
        n += 1;
        let _ = netlink::parse_message(&m);
        // Every family header parser on every payload, whatever the message type says.
        let _ = netlink::parse_link(m.payload);
        let _ = netlink::parse_addr(m.payload);
        let _ = netlink::parse_route(m.payload);
        let _ = netlink::parse_neigh(m.payload, false);
        for start in [0usize, 8, 12, 16] {
            if let Some(rest) = m.payload.get(start..) {
                n += netlink::attrs(rest).count();
            }
        }
    }
    n
}

/// A realistic dump: link, address, route, neighbours, done.
fn sample_dump() -> Vec<u8> {
    let mac = MacAddr([0x3c, 0x22, 0xfb, 1, 2, 3]);
    let mut b = build::link(2, "eth0", netlink::IFF_UP | netlink::IFF_LOWER_UP, mac);
    b.extend(build::addr(2, Ipv4Addr::new(198, 51, 100, 10), 24));
    b.extend(build::default_route(2, Ipv4Addr::new(198, 51, 100, 1)));
    b.extend(build::neigh(
        2,
        netlink::NUD_REACHABLE,
        Ipv4Addr::new(198, 51, 100, 1),
        Some(mac),
    ));
    b.extend(build::neigh(
        2,
        netlink::NUD_INCOMPLETE,
        Ipv4Addr::new(198, 51, 100, 2),
        None,
    ));
    b.extend(build::message(netlink::NLMSG_DONE, 0, 1, &[0; 4]));
    b
}

fn sample_arp() -> Vec<u8> {
    let mut f = vec![0xff; 6];
    f.extend([0x3c, 0x22, 0xfb, 1, 2, 3]);
    f.extend(arp::ETH_P_ARP.to_be_bytes());
    f.extend(arp::build_probe(
        MacAddr([0x3c, 0x22, 0xfb, 1, 2, 3]),
        Ipv4Addr::new(203, 0, 113, 7),
    ));
    f
}

fn check_arp(p: &ArpPacket) {
    for a in [p.target_ip, p.sender_ip, Ipv4Addr::new(198, 51, 100, 10)] {
        let _ = arp::claim_of(p, a);
    }
}

/// 512 cases a test in the normal run; `PROPTEST_CASES` for a longer one.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn arp_any_bytes(b in proptest::collection::vec(any::<u8>(), 0..80)) {
        if let Some(p) = arp::parse_arp(&b) {
            check_arp(&p);
        }
        if let Some(f) = arp::parse_ethernet(&b) {
            check_arp(&f.arp);
        }
    }

    #[test]
    fn arp_mutated(flips in proptest::collection::vec((0usize..64, any::<u8>()), 0..6),
                   cut in 0usize..64) {
        let mut f = sample_arp();
        for (at, v) in flips {
            if let Some(x) = f.get_mut(at) {
                *x = v;
            }
        }
        f.truncate(cut.max(1));
        if let Some(fr) = arp::parse_ethernet(&f) {
            check_arp(&fr.arp);
        }
        if let Some(p) = f.get(14..).and_then(arp::parse_arp) {
            check_arp(&p);
        }
    }

    #[test]
    fn netlink_any_bytes(b in proptest::collection::vec(any::<u8>(), 0..512)) {
        walk_netlink(&b);
    }

    #[test]
    fn netlink_mutated(flips in proptest::collection::vec((0usize..400, any::<u8>()), 0..10),
                       cut in 0usize..400) {
        let mut b = sample_dump();
        for (at, v) in flips {
            if let Some(x) = b.get_mut(at) {
                *x = v;
            }
        }
        b.truncate(cut);
        walk_netlink(&b);
        for m in netlink::messages(&b) {
            if let netlink::Message::Neigh(n) = netlink::parse_message(&m) {
                let _ = neigh::from_netlink(&n, |i| Some(format!("if{i}")));
            }
        }
    }

    #[test]
    fn oui_table_any_bytes(b in proptest::collection::vec(any::<u8>(), 0..200), oui in 0u32..(1 << 24)) {
        let mut t = b"KOUI\x01".to_vec();
        t.extend(&b);
        for bytes in [&b[..], &t[..]] {
            if let Some(tab) = OuiTable::new(bytes) {
                let _ = tab.lookup(oui);
                let _ = tab.iter().count();
            }
        }
    }

    #[test]
    fn text_inputs(s in "\\PC{0,200}") {
        let _ = s.parse::<MacAddr>();
        let _ = neigh::from_proc_net_arp(&s);
    }
}
