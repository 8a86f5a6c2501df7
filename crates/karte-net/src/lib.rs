//! Duplicate IPv4 addresses and neighbour-table anomalies, found from the host itself.
//!
//! * [`check`]: for every IPv4 address on every up, non-loopback interface, send RFC 5227 ARP
//!   probes (sender 0.0.0.0) on a raw `AF_PACKET` socket and listen for every station that
//!   answers for the address or probes it too; probe the default gateways the same way (two
//!   MACs answering for a gateway is a conflict as well); and read the neighbour table before,
//!   during and after, reporting entries that changed MAC. About two seconds; needs
//!   `CAP_NET_RAW` ([`NetError::NoPermission`] otherwise).
//! * [`watch`]: follow the neighbour table's changes (`RTM_NEWNEIGH` on `RTNLGRP_NEIGH`) for a
//!   while, reporting new stations, changed addresses and flip-flops as they happen — arpwatch
//!   without packet capture. Needs no privilege.
//! * [`neighbours`], [`neigh::from_arp`]: the neighbour table, live over rtnetlink or from a
//!   bundle's `/proc/net/arp`; [`neigh::changes_between`] compares two readings.
//! * [`oui`]: MAC → vendor, offline, from the IEEE MA-L registry; locally administered and
//!   well-known virtual prefixes.
//!
//! Interfaces, addresses and routes are read over rtnetlink (`RTM_GETLINK`, `RTM_GETADDR`,
//! `RTM_GETROUTE`); karte never runs `ip`. The only packets sent are ARP probes.
//!
//! The diagnosis itself (the `duplicate-ip` and `neighbour-flap` findings) is made by the rules
//! in `karte-rules` from what this crate observes.
//!
//! ```no_run
//! let report = karte_net::check(&karte_net::CheckOptions::default())?;
//! for c in report.conflicts() {
//!     println!("{} on {} also answered by {:?}", c.address, c.interface, c.others);
//! }
//! # Ok::<(), karte_net::NetError>(())
//! ```

pub mod arp;
mod check;
pub mod mac;
pub mod neigh;
pub mod netlink;
pub mod oui;
pub mod sys;
#[cfg(feature = "netns-testing")]
#[doc(hidden)]
pub mod testing;
mod watch;

pub use check::{
    AddressReport, Answer, CheckOptions, Conflict, ConflictKind, GatewayReport, NetReport,
    SkipReason, Skipped, check, neighbours,
};
pub use mac::MacAddr;
pub use neigh::{ChangeKind, Neighbour, NeighbourChange};
pub use oui::MacInfo;
pub use watch::{WatchOptions, WatchReport, watch};

use std::fmt;
use std::io;

/// Why a check could not be made.
#[derive(Debug)]
pub enum NetError {
    /// The raw ARP socket needs `CAP_NET_RAW` (root, or the capability on the binary).
    NoPermission,
    /// `--interface` names no interface of this host.
    NoSuchInterface(String),
    /// A socket call failed: what was being done, and the error.
    Io {
        what: &'static str,
        error: io::Error,
    },
}

impl NetError {
    /// "Could not tell for lack of privilege": skip with a note rather than fail.
    pub fn is_permission(&self) -> bool {
        matches!(self, NetError::NoPermission)
    }

    fn io(what: &'static str) -> impl FnOnce(io::Error) -> NetError {
        move |error| match error.raw_os_error() {
            Some(libc::EPERM) | Some(libc::EACCES) => NetError::NoPermission,
            _ => NetError::Io { what, error },
        }
    }
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetError::NoPermission => f.write_str(
                "sending ARP probes needs CAP_NET_RAW: run as root, or grant the capability \
                 (setcap cap_net_raw+ep on the karte binary)",
            ),
            NetError::NoSuchInterface(i) => write!(f, "no interface named {i:?}"),
            NetError::Io { what, error } => write!(f, "{what}: {error}"),
        }
    }
}

impl std::error::Error for NetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NetError::Io { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Milliseconds since the Unix epoch, 0 if the clock is before it.
pub(crate) fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
