//! The model: a [`Snapshot`] is one reading of everything karte knows about a host (host files and
//! every process), and an [`Interval`] turns two snapshots into shares and rates.
//!
//! Snapshots are read through a [`karte_source::Root`], so the same code reads the live host, a
//! bundle and a test fixture. Nothing here prints; sinks format what this computes.

pub mod interval;
pub mod read;
pub mod snapshot;
pub mod summary;
pub mod time;

pub use interval::{CpuShares, DiskRate, Interval, NetRate, ProcessRate};
pub use read::{Parts, ReadOptions, read_snapshot, read_snapshot_reusing};
pub use snapshot::{CgroupMemory, HostFacts, NetInterface, Process, Snapshot};
