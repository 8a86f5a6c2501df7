//! What several commands share: choosing the host to read (live, `--bundle`, `--root`).

use karte_snapshot::{ReadOptions, Snapshot, read_snapshot};
use karte_source::{Bundle, Root};
use std::path::PathBuf;

/// Which host to read.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct HostArgs {
    /// Read a capture bundle (directory or .tar.gz from `karte collect`) instead of this host
    #[arg(long, value_name = "PATH", conflicts_with = "root")]
    pub bundle: Option<PathBuf>,
    /// Read one tree laid out like / (a chroot, a container's root, a fixture) instead of this host
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

/// A host to read: the live one, or the readings of a bundle or tree.
pub enum Host {
    Live,
    Captured(Bundle),
}

impl HostArgs {
    pub fn open(&self) -> Result<Host, super::CliError> {
        if let Some(b) = &self.bundle {
            return Bundle::open(b)
                .map(Host::Captured)
                .map_err(super::CliError::new);
        }
        if let Some(r) = &self.root {
            if !r.is_dir() {
                return Err(super::CliError::new(format!(
                    "--root {}: not a directory",
                    r.display()
                )));
            }
            return Ok(Host::Captured(Bundle::single(Root::dir(r))));
        }
        Ok(Host::Live)
    }
}

/// Read options for reading `n` of a bundle, from its meta.json.
pub fn bundle_options(b: &Bundle, n: usize) -> ReadOptions {
    let mut o = ReadOptions::default();
    if let Some(m) = &b.meta {
        o.user_hz = m.user_hz;
        o.page_size_bytes = m.page_size;
        o.unix_secs = m.reading_unix_secs.get(n).copied();
        o.hostname = m.hostname.clone();
        o.kernel = m.kernel.clone();
    }
    o
}

/// The first reading of a host (live: now).
pub fn read_first(host: &Host) -> Snapshot {
    match host {
        Host::Live => read_snapshot(&Root::live(), &ReadOptions::live()),
        Host::Captured(b) => read_snapshot(&b.readings[0], &bundle_options(b, 0)),
    }
}
