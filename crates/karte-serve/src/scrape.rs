//! Reading the node_exporter families' files at scrape time, cheaply.
//!
//! On the live host the files a scrape needs are opened once and read again from offset 0 on
//! every scrape, as top does with /proc/stat: the kernel regenerates a /proc file on each read
//! from the start, and an open and a close cost about as much as the read itself. Which files
//! those are is not listed here: one reading through a recording root at start says exactly
//! what `read_snapshot` opens, so the list follows karte-snapshot. The bytes are then handed to
//! `read_snapshot` through an in-memory root, so parsing and assembly are karte-snapshot's own.

use karte_snapshot::{Parts, ReadOptions, Snapshot, read_snapshot};
use karte_source::Root;
use karte_source::root::MemTree;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Largest file read per scrape (a /proc file is a few KiB).
const MAX_BYTES: usize = 4 << 20;

/// Where `/metrics` reads the node_exporter families from at scrape time.
pub struct ScrapeSource {
    pub root: Root,
    pub options: ReadOptions,
    pinned: Option<Vec<(String, File)>>,
}

impl ScrapeSource {
    /// Reads `root` with `options` at every scrape (a fixture tree, a bundle).
    pub fn new(root: Root, options: ReadOptions) -> ScrapeSource {
        ScrapeSource {
            root,
            options,
            pinned: None,
        }
    }

    /// The live host, reading what node_exporter's cpu, meminfo, loadavg, diskstats, netdev,
    /// vmstat, stat and pressure collectors read, with the files kept open.
    pub fn live() -> ScrapeSource {
        let options = ReadOptions {
            parts: Parts::EXPORTER,
            unix_secs: None,
            ..ReadOptions::live()
        };
        let mut s = ScrapeSource::new(Root::live(), options);
        s.pin();
        s
    }

    /// Opens the files one reading uses and keeps them open (live root only).
    fn pin(&mut self) {
        if !self.root.is_live() {
            return;
        }
        let rec = Arc::new(Mutex::new(MemTree::default()));
        let _ = read_snapshot(&self.root.recording(rec.clone()), &self.options);
        let Ok(tree) = rec.lock() else { return };
        let files: Vec<(String, File)> = tree
            .iter()
            .filter_map(|(name, _)| {
                File::open(Path::new("/").join(name))
                    .ok()
                    .map(|f| (name.to_string(), f))
            })
            .collect();
        if !files.is_empty() {
            self.pinned = Some(files);
        }
    }

    /// Whether the files are kept open between scrapes.
    pub fn is_pinned(&self) -> bool {
        self.pinned.is_some()
    }

    /// One reading for a scrape.
    pub fn read(&self, buf: &mut Vec<u8>) -> Snapshot {
        let Some(files) = &self.pinned else {
            return read_snapshot(&self.root, &self.options);
        };
        let mut tree = MemTree::default();
        for (name, f) in files {
            if read_from_start(f, buf).is_ok() {
                tree.insert(name, buf.clone());
            }
        }
        read_snapshot(&Root::mem(Arc::new(tree), ""), &self.options)
    }
}

/// The whole file, read again from offset 0.
fn read_from_start(f: &File, buf: &mut Vec<u8>) -> std::io::Result<()> {
    buf.clear();
    let mut off = 0u64;
    loop {
        if buf.len() == buf.capacity() {
            buf.reserve(8192);
        }
        let start = buf.len();
        let cap = buf.capacity();
        buf.resize(cap, 0);
        let n = match f.read_at(&mut buf[start..], off) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => 0,
            Err(e) => {
                buf.truncate(start);
                return Err(e);
            }
        };
        buf.truncate(start + n);
        if n == 0 || buf.len() > MAX_BYTES {
            return Ok(());
        }
        off += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_reading_equals_a_fresh_one() {
        let s = ScrapeSource::live();
        assert!(s.is_pinned());
        let mut buf = Vec::new();
        let a = s.read(&mut buf);
        let b = read_snapshot(&s.root, &s.options);
        // Same parts present, and the same CPUs, disks and interfaces (values move on).
        assert_eq!(a.stat.is_some(), b.stat.is_some());
        assert_eq!(a.meminfo.is_some(), b.meminfo.is_some());
        assert_eq!(a.vmstat.is_some(), b.vmstat.is_some());
        assert_eq!(a.pressure.cpu.is_some(), b.pressure.cpu.is_some());
        assert_eq!(
            a.stat.as_ref().map(|s| s.cpus.len()),
            b.stat.as_ref().map(|s| s.cpus.len())
        );
        let names = |s: &Snapshot| {
            s.netdev.as_ref().map(|n| {
                n.interfaces
                    .iter()
                    .map(|i| i.name.clone())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(names(&a), names(&b));
        // Counters move forward between two pinned reads (the kernel regenerates the file).
        let t0 = a.stat.as_ref().and_then(|s| s.ctxt);
        std::thread::sleep(std::time::Duration::from_millis(50));
        let c = s.read(&mut buf);
        let t1 = c.stat.as_ref().and_then(|s| s.ctxt);
        assert!(t1 > t0, "{t0:?} -> {t1:?}");
    }
}
