//! `/proc/diskstats` and `/sys/block/<dev>/stat` (kernel-facts §8, Documentation/admin-guide/iostats.rst).
//!
//! A diskstats line is major, minor, name and then 4 (partitions before 2.6.25), 11, 15 (4.18+)
//! or 17 (5.5+) counters: 14, 18 or 20 tokens in all. `/sys/block/<dev>/stat` holds the same
//! counters without the first three columns. Sectors are 512 bytes whatever the device's sector
//! size; times are in milliseconds.

use serde::Serialize;

/// The cumulative counters of one block device (field 9, `in_flight`, is an instant value).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DiskCounters {
    pub reads_completed: u64,
    pub reads_merged: u64,
    pub sectors_read: u64,
    pub read_ms: u64,
    pub writes_completed: u64,
    pub writes_merged: u64,
    pub sectors_written: u64,
    pub write_ms: u64,
    /// I/Os in progress right now (not cumulative).
    pub in_flight: u64,
    /// Time with at least one I/O in flight (`io_ticks`): the basis of %util.
    pub io_ms: u64,
    /// Weighted time in queue (`time_in_queue`): the basis of the average queue size.
    pub weighted_io_ms: u64,
    /// Discard counters, 4.18+.
    pub discard: Option<DiscardCounters>,
    /// Flush counters, 5.5+.
    pub flush: Option<FlushCounters>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DiscardCounters {
    pub completed: u64,
    pub merged: u64,
    pub sectors: u64,
    pub ms: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FlushCounters {
    pub completed: u64,
    pub ms: u64,
}

/// Bytes per diskstats sector, fixed by the block layer.
pub const SECTOR_BYTES: u64 = 512;

impl DiskCounters {
    /// Parses the counters alone (the /sys/block/<dev>/stat form, or a diskstats line's tail).
    pub fn parse_counters(text: &str) -> Option<DiskCounters> {
        let mut v = [0u64; 17];
        let mut n = 0;
        for tok in text.split_ascii_whitespace() {
            if n == 17 {
                break;
            }
            v[n] = tok.parse().ok()?;
            n += 1;
        }
        match n {
            4 => Some(DiskCounters {
                // 2.6.0–2.6.24 partitions: reads, sectors read, writes, sectors written.
                reads_completed: v[0],
                sectors_read: v[1],
                writes_completed: v[2],
                sectors_written: v[3],
                ..Default::default()
            }),
            11 | 15 | 17 => Some(DiskCounters {
                reads_completed: v[0],
                reads_merged: v[1],
                sectors_read: v[2],
                read_ms: v[3],
                writes_completed: v[4],
                writes_merged: v[5],
                sectors_written: v[6],
                write_ms: v[7],
                in_flight: v[8],
                io_ms: v[9],
                weighted_io_ms: v[10],
                discard: (n >= 15).then(|| DiscardCounters {
                    completed: v[11],
                    merged: v[12],
                    sectors: v[13],
                    ms: v[14],
                }),
                flush: (n >= 17).then(|| FlushCounters {
                    completed: v[15],
                    ms: v[16],
                }),
            }),
            _ => None,
        }
    }
}

/// One line of /proc/diskstats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiskStat {
    pub major: u32,
    pub minor: u32,
    pub name: String,
    pub counters: DiskCounters,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DiskStats {
    pub disks: Vec<DiskStat>,
    pub skipped_lines: usize,
}

pub fn parse(text: &str) -> DiskStats {
    let mut out = DiskStats::default();
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(line) {
            Some(d) => out.disks.push(d),
            None => out.skipped_lines += 1,
        }
    }
    out
}

fn parse_line(line: &str) -> Option<DiskStat> {
    let line = line.trim_start();
    let (major, rest) = line.split_once(|c: char| c.is_ascii_whitespace())?;
    let rest = rest.trim_start();
    let (minor, rest) = rest.split_once(|c: char| c.is_ascii_whitespace())?;
    let rest = rest.trim_start();
    let (name, rest) = rest.split_once(|c: char| c.is_ascii_whitespace())?;
    Some(DiskStat {
        major: major.parse().ok()?,
        minor: minor.parse().ok()?,
        name: name.to_string(),
        counters: DiskCounters::parse_counters(rest)?,
    })
}

/// Whether a device name is a partition of a common disk by the kernel's naming: `sda1`,
/// `vdb2`, `xvda1`, `hdc3`, `nvme0n1p2` (node_exporter's default exclusion uses the same
/// pattern). Other devices (`mmcblk0p1`, `dm-0`, `md0`) are not judged by name.
pub fn looks_like_partition(name: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    for p in ["hd", "sd", "vd", "xvd"] {
        if let Some(rest) = name.strip_prefix(p) {
            let mut it = rest.chars();
            if it.next().is_some_and(|c| c.is_ascii_lowercase()) && digits(it.as_str()) {
                return true;
            }
        }
    }
    // nvme<ctrl>n<ns>p<part>
    if let Some(rest) = name.strip_prefix("nvme")
        && let Some((ctrl, rest)) = rest.split_once('n')
        && let Some((ns, part)) = rest.split_once('p')
    {
        return digits(ctrl) && digits(ns) && digits(part);
    }
    false
}

/// RAM disks, loop devices and floppies: never worth judging or exporting.
pub fn is_virtual_noise(name: &str) -> bool {
    ["ram", "loop", "fd"].iter().any(|p| {
        name.strip_prefix(p)
            .is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_14_18_20() {
        let d = parse(
            "   8       0 sda 25354637 34367663 1003346126 18483989 28510629 5432427 986337736 206064720 0 27829580 224531624\n\
             259 0 nvme0n1 47114 4 4643973 21650 1078320 43950 39451633 1011053 0 222766 1032546 0 0 0 0\n\
             8 16 sdb 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n\
             8 1 sda1 100 200 300 400\n",
        );
        assert_eq!(d.skipped_lines, 0);
        assert_eq!(d.disks.len(), 4);
        assert_eq!(d.disks[0].counters.weighted_io_ms, 224531624);
        assert!(d.disks[0].counters.discard.is_none());
        assert_eq!(d.disks[1].name, "nvme0n1");
        assert!(d.disks[1].counters.discard.is_some());
        assert!(d.disks[1].counters.flush.is_none());
        let f = d.disks[2].counters.flush.expect("flush");
        assert_eq!((f.completed, f.ms), (16, 17));
        assert_eq!(d.disks[3].counters.sectors_written, 400);
    }

    #[test]
    fn odd_token_counts_are_skipped() {
        let d = parse("8 0 sda 1 2 3\n8 0 sdb 1 2 3 4 5 6 7 8 9 10 11 12\n");
        assert!(d.disks.is_empty());
        assert_eq!(d.skipped_lines, 2);
    }

    #[test]
    fn partition_names() {
        for d in ["sda1", "vda2", "xvdb3", "hda1", "nvme0n1p2"] {
            assert!(looks_like_partition(d), "{d}");
        }
        for d in [
            "sda",
            "nvme0n1",
            "mmcblk0p1",
            "dm-0",
            "vda",
            "sr0",
            "md0",
            "nvme0n1p",
        ] {
            assert!(!looks_like_partition(d), "{d}");
        }
        assert!(is_virtual_noise("loop7") && is_virtual_noise("ram0") && !is_virtual_noise("loop"));
    }

    #[test]
    fn sys_block_stat() {
        let c = DiskCounters::parse_counters("     511        0    20584      131      157       17     1048      119        0      584      320        0        0        0        0       16       12\n").expect("parse");
        assert_eq!(c.sectors_read, 20584);
        assert_eq!(c.flush.map(|f| f.ms), Some(12));
    }
}
