//! `/proc/net/arp`: the IPv4 neighbour table (kernel-facts §6.3).
//!
//! `IP address  HW type  Flags  HW address  Mask  Device`; flags `0x2` (ATF_COM) complete,
//! `0x6` permanent, `0x0` incomplete (MAC all zeros).

use serde::Serialize;
use std::net::Ipv4Addr;

pub const ATF_COM: u32 = 0x02;
pub const ATF_PERM: u32 = 0x04;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArpEntry {
    pub ip: Ipv4Addr,
    pub hw_type: u32,
    pub flags: u32,
    /// Lower-case `aa:bb:cc:dd:ee:ff`.
    pub mac: String,
    pub device: String,
}

impl ArpEntry {
    pub fn is_complete(&self) -> bool {
        self.flags & ATF_COM != 0
    }
}

fn hex_u32(s: &str) -> Option<u32> {
    u32::from_str_radix(s.strip_prefix("0x").unwrap_or(s), 16).ok()
}

pub fn parse(text: &str) -> Vec<ArpEntry> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_ascii_whitespace().collect();
            if f.len() < 6 {
                return None;
            }
            let ip = f[0].parse().ok()?;
            let mac = f[3].to_ascii_lowercase();
            if mac.split(':').count() < 2 {
                return None;
            }
            Some(ArpEntry {
                ip,
                hw_type: hex_u32(f[1])?,
                flags: hex_u32(f[2])?,
                mac,
                device: f[5].to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses() {
        let t = "IP address       HW type     Flags       HW address            Mask     Device\n\
192.168.1.1      0x1         0x2         cc:aa:dd:ee:aa:bb     *        eth0\n\
192.168.1.2      0x1         0x0         00:00:00:00:00:00     *        eth0\n";
        let e = super::parse(t);
        assert_eq!(e.len(), 2);
        assert!(e[0].is_complete());
        assert!(!e[1].is_complete());
        assert_eq!(e[0].device, "eth0");
    }
}
