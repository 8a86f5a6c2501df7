//! Helpers shared by the store's integration tests.
#![allow(dead_code)]

use karte_snapshot::{Parts, ReadOptions, Snapshot, read_snapshot};
use karte_source::Root;
use std::path::PathBuf;

/// What the recorder reads.
pub const PARTS: Parts = Parts {
    core: true,
    diskstats: true,
    net_dev: true,
    pressure: true,
    interfaces: true,
    block_devices: true,
    udev: false,
    numa: false,
    misc: true,
    processes: true,
    cgroups: true,
};

pub fn live() -> Snapshot {
    let mut o = ReadOptions::live();
    o.parts = PARTS;
    read_snapshot(&Root::live(), &o)
}

pub fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("karte-store-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

pub fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}
