//! [`MacAddr`]: a 48-bit Ethernet address, written `aa:bb:cc:dd:ee:ff`.

use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// An Ethernet (EUI-48) address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    pub const ZERO: MacAddr = MacAddr([0; 6]);
    pub const BROADCAST: MacAddr = MacAddr([0xff; 6]);

    /// From the first six bytes of `b`; `None` when `b` is not exactly six bytes long
    /// (netlink carries 0-, 4-, 16- and 20-byte link addresses for other link types).
    pub fn from_slice(b: &[u8]) -> Option<MacAddr> {
        <[u8; 6]>::try_from(b).ok().map(MacAddr)
    }

    pub fn octets(self) -> [u8; 6] {
        self.0
    }

    /// The U/L bit (0x02 of the first octet): set when the address was not assigned by the IEEE
    /// but made up locally — a virtual machine, a container, a bridge, or a privacy-randomised
    /// address. Its first three octets then name no vendor.
    pub fn is_locally_administered(self) -> bool {
        self.0[0] & 0x02 != 0
    }

    /// The I/G bit (0x01 of the first octet): a group (multicast or broadcast) address.
    pub fn is_multicast(self) -> bool {
        self.0[0] & 0x01 != 0
    }

    pub fn is_zero(self) -> bool {
        self.0 == [0; 6]
    }

    /// A unicast, non-zero address: one that a station can really have.
    pub fn is_station(self) -> bool {
        !self.is_zero() && !self.is_multicast()
    }

    /// Cisco's notation, `3c22.fb12.3456`, as switches' `show mac address-table` takes it.
    pub fn dotted(self) -> String {
        let b = self.0;
        format!(
            "{:02x}{:02x}.{:02x}{:02x}.{:02x}{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }

    /// The first three octets as one number (the OUI).
    pub fn oui(self) -> u32 {
        u32::from(self.0[0]) << 16 | u32::from(self.0[1]) << 8 | u32::from(self.0[2])
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

impl fmt::Debug for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for MacAddr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Why a string is not a MAC address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadMac;

impl fmt::Display for BadMac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a MAC address (expected six hex octets such as 3c:22:fb:01:02:03)")
    }
}

impl std::error::Error for BadMac {}

impl FromStr for MacAddr {
    type Err = BadMac;

    /// Accepts `aa:bb:cc:dd:ee:ff`, `aa-bb-cc-dd-ee-ff`, and octets written with one digit
    /// (`0:1:2:3:4:5`, as old `/proc/net/arp` and `arp -n` print).
    fn from_str(s: &str) -> Result<MacAddr, BadMac> {
        let sep = if s.contains('-') { '-' } else { ':' };
        let mut out = [0u8; 6];
        let mut n = 0;
        for part in s.trim().split(sep) {
            if n == 6 || part.is_empty() || part.len() > 2 {
                return Err(BadMac);
            }
            out[n] = u8::from_str_radix(part, 16).map_err(|_| BadMac)?;
            n += 1;
        }
        if n == 6 {
            Ok(MacAddr(out))
        } else {
            Err(BadMac)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MacAddr;

    #[test]
    fn parse_and_print() {
        let m: MacAddr = "3C:22:FB:0a:0b:0c".parse().expect("valid");
        assert_eq!(m.to_string(), "3c:22:fb:0a:0b:0c");
        assert_eq!(m.oui(), 0x3c22fb);
        assert_eq!(m.dotted(), "3c22.fb0a.0b0c");
        assert!(!m.is_locally_administered());
        let m: MacAddr = "2-42-ac-11-0-2".parse().expect("valid");
        assert_eq!(m.to_string(), "02:42:ac:11:00:02");
        assert!(m.is_locally_administered());
        for bad in [
            "",
            "3c:22:fb",
            "3c:22:fb:0a:0b:0c:0d",
            "3c:22:fb:0a:0b:zz",
            "3c:22:fb:0a:0b:123",
            "::::::",
        ] {
            assert!(bad.parse::<MacAddr>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn bits() {
        assert!(MacAddr::BROADCAST.is_multicast());
        assert!(!MacAddr::BROADCAST.is_station());
        assert!(!MacAddr::ZERO.is_station());
        assert!(MacAddr([0x52, 0x54, 0, 1, 2, 3]).is_locally_administered());
        assert_eq!(MacAddr::from_slice(&[1, 2, 3]), None);
    }
}
