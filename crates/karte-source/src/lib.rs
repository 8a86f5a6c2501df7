//! Sources: the only part of karte that reads the outside world.
//!
//! A [`Root`] reads files below a directory — `/` on the live host, a bundle's `0/` or `1/`, or a
//! tree unpacked in memory from a `.tar.gz` — so every collector runs the same on a real host and
//! on a fixture. A file that is missing, unreadable or too large is "not known"
//! ([`ReadError`]), never a crash.

pub mod bundle;
pub mod kmsg_device;
pub mod root;

pub use bundle::{Bundle, BundleMeta};
pub use root::{ReadError, Root};
