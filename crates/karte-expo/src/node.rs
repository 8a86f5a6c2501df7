//! The node_exporter families karte shares with it (v1.5.0 names, labels, units, HELP, TYPE):
//! cpu, loadavg, meminfo, meminfo_numa, vmstat, diskstats, netdev, stat, pressure.
//!
//! Units follow node_exporter: CPU ticks / USER_HZ → seconds, kB × 1024 → bytes, sectors × 512
//! → bytes, ms → seconds, PSI µs → seconds. guest and guest_nice are exported raw (they are also
//! inside user and nice, as in node_exporter; karte's own shares never count them twice).

use crate::{Exposition, MetricType};
use karte_snapshot::Snapshot;

/// node_exporter's default `--collector.diskstats.ignored-devices` (v1.5.0):
/// `^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$` — partitions of common disks, RAM disks,
/// loops and floppies.
pub fn disk_ignored(name: &str) -> bool {
    use karte_procfs::diskstats::{is_virtual_noise, looks_like_partition};
    is_virtual_noise(name) || looks_like_partition(name)
}

/// node_exporter's vmstat default `--collector.vmstat.fields` (v1.5.0):
/// `^(oom_kill|pgpg|pswp|pg.*fault).*`.
pub fn vmstat_exported(name: &str) -> bool {
    name.starts_with("oom_kill")
        || name.starts_with("pgpg")
        || name.starts_with("pswp")
        || (name.starts_with("pg") && name[2..].contains("fault"))
}

/// `Active(anon)` → `Active_anon`, as node_exporter rewrites meminfo keys.
fn meminfo_key(name: &str) -> String {
    match (name.find('('), name.rfind(')')) {
        (Some(o), Some(c)) if c > o => {
            format!("{}_{}{}", &name[..o], &name[o + 1..c], &name[c + 1..])
        }
        _ => name.to_string(),
    }
}

/// Writes every shared family the snapshot has data for.
pub fn write(s: &Snapshot, e: &mut Exposition) {
    write_cpu(s, e);
    write_stat(s, e);
    write_load(s, e);
    write_meminfo(s, e);
    write_numa(s, e);
    write_vmstat(s, e);
    write_disks(s, e);
    write_netdev(s, e);
    write_pressure(s, e);
}

fn write_cpu(s: &Snapshot, e: &mut Exposition) {
    let Some(st) = &s.stat else { return };
    let hz = f64::from(s.host.user_hz);
    for (n, t) in &st.cpus {
        let cpu = n.to_string();
        let modes = [
            ("user", t.user),
            ("nice", t.nice),
            ("system", t.system),
            ("idle", t.idle),
            ("iowait", t.iowait),
            ("irq", t.irq),
            ("softirq", t.softirq),
            ("steal", t.steal),
        ];
        for (mode, v) in modes {
            e.counter(
                "node_cpu_seconds_total",
                "Seconds the CPUs spent in each mode.",
                &[("cpu", &cpu), ("mode", mode)],
                v as f64 / hz,
            );
        }
        for (mode, v) in [("user", t.guest), ("nice", t.guest_nice)] {
            e.counter(
                "node_cpu_guest_seconds_total",
                "Seconds the CPUs spent in guests (VMs) for each mode.",
                &[("cpu", &cpu), ("mode", mode)],
                v as f64 / hz,
            );
        }
    }
}

fn write_stat(s: &Snapshot, e: &mut Exposition) {
    let Some(st) = &s.stat else { return };
    let opt = |e: &mut Exposition, v: Option<u64>, name: &str, help: &str, kind: MetricType| {
        if let Some(v) = v {
            e.add(name, help, kind, &[], v as f64);
        }
    };
    opt(
        e,
        st.intr_total,
        "node_intr_total",
        "Total number of interrupts serviced.",
        MetricType::Counter,
    );
    opt(
        e,
        st.ctxt,
        "node_context_switches_total",
        "Total number of context switches.",
        MetricType::Counter,
    );
    opt(
        e,
        st.processes,
        "node_forks_total",
        "Total number of forks.",
        MetricType::Counter,
    );
    opt(
        e,
        st.btime_secs,
        "node_boot_time_seconds",
        "Node boot time, in unixtime.",
        MetricType::Gauge,
    );
    opt(
        e,
        st.procs_running,
        "node_procs_running",
        "Number of processes in runnable state.",
        MetricType::Gauge,
    );
    opt(
        e,
        st.procs_blocked,
        "node_procs_blocked",
        "Number of processes blocked waiting for I/O to complete.",
        MetricType::Gauge,
    );
    for (name, v) in karte_procfs::stat::SOFTIRQ_NAMES
        .iter()
        .zip(&st.softirq_by_type)
    {
        e.counter(
            "node_softirqs_total",
            "Number of softirq calls.",
            &[("vector", name)],
            *v as f64,
        );
    }
}

fn write_load(s: &Snapshot, e: &mut Exposition) {
    let Some(l) = &s.loadavg else { return };
    e.gauge("node_load1", "1m load average.", &[], l.load1);
    e.gauge("node_load5", "5m load average.", &[], l.load5);
    e.gauge("node_load15", "15m load average.", &[], l.load15);
}

fn write_meminfo(s: &Snapshot, e: &mut Exposition) {
    let Some(m) = &s.meminfo else { return };
    for f in &m.fields {
        let key = meminfo_key(&f.name);
        let (name, v) = if f.in_kb {
            (format!("node_memory_{key}_bytes"), f.value as f64 * 1024.0)
        } else {
            (format!("node_memory_{key}"), f.value as f64)
        };
        let help = format!(
            "Memory information field {}.",
            &name["node_memory_".len()..]
        );
        e.gauge(&name, &help, &[], v);
    }
}

fn write_numa(s: &Snapshot, e: &mut Exposition) {
    for n in &s.numa {
        let node = n.node.to_string();
        for f in &n.meminfo {
            let key = meminfo_key(&f.name);
            let v = if f.in_kb {
                f.value as f64 * 1024.0
            } else {
                f.value as f64
            };
            e.gauge(
                &format!("node_memory_numa_{key}"),
                &format!("Memory information field {key}."),
                &[("node", &node)],
                v,
            );
        }
        for (k, v) in &n.numastat {
            e.counter(
                &format!("node_memory_numa_{k}_total"),
                &format!("Memory information field {k}_total."),
                &[("node", &node)],
                *v as f64,
            );
        }
    }
}

fn write_vmstat(s: &Snapshot, e: &mut Exposition) {
    let Some(v) = &s.vmstat else { return };
    for (k, val) in &v.fields {
        if vmstat_exported(k) {
            e.add(
                &format!("node_vmstat_{k}"),
                &format!("/proc/vmstat information field {k}."),
                MetricType::Untyped,
                &[],
                *val as f64,
            );
        }
    }
}

fn write_disks(s: &Snapshot, e: &mut Exposition) {
    let Some(ds) = &s.diskstats else { return };
    const SECTOR: f64 = karte_procfs::diskstats::SECTOR_BYTES as f64;
    for d in &ds.disks {
        if disk_ignored(&d.name) {
            continue;
        }
        let dev = d.name.as_str();
        let lbl = [("device", dev)];
        let udev: &[(String, String)] = s
            .block_devices
            .iter()
            .find(|b| b.major_minor == Some((d.major, d.minor)) && b.name == d.name)
            .map(|b| b.udev.as_slice())
            .unwrap_or(&[]);
        let prop = |k: &str| udev.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let serial = prop("SCSI_IDENT_SERIAL")
            .or_else(|| prop("ID_SERIAL_SHORT"))
            .unwrap_or("");
        let (maj, min) = (d.major.to_string(), d.minor.to_string());
        e.gauge(
            "node_disk_info",
            "Info of /sys/block/<block_device>.",
            &[
                ("device", dev),
                ("major", &maj),
                ("minor", &min),
                ("path", prop("ID_PATH").unwrap_or("")),
                ("wwn", prop("ID_WWN").unwrap_or("")),
                ("model", prop("ID_MODEL").unwrap_or("")),
                ("serial", serial),
                ("revision", prop("ID_REVISION").unwrap_or("")),
            ],
            1.0,
        );
        let c = &d.counters;
        let ms = |v: u64| v as f64 / 1000.0;
        e.counter(
            "node_disk_reads_completed_total",
            "The total number of reads completed successfully.",
            &lbl,
            c.reads_completed as f64,
        );
        e.counter(
            "node_disk_reads_merged_total",
            "The total number of reads merged.",
            &lbl,
            c.reads_merged as f64,
        );
        e.counter(
            "node_disk_read_bytes_total",
            "The total number of bytes read successfully.",
            &lbl,
            c.sectors_read as f64 * SECTOR,
        );
        e.counter(
            "node_disk_read_time_seconds_total",
            "The total number of seconds spent by all reads.",
            &lbl,
            ms(c.read_ms),
        );
        e.counter(
            "node_disk_writes_completed_total",
            "The total number of writes completed successfully.",
            &lbl,
            c.writes_completed as f64,
        );
        e.counter(
            "node_disk_writes_merged_total",
            "The number of writes merged.",
            &lbl,
            c.writes_merged as f64,
        );
        e.counter(
            "node_disk_written_bytes_total",
            "The total number of bytes written successfully.",
            &lbl,
            c.sectors_written as f64 * SECTOR,
        );
        e.counter(
            "node_disk_write_time_seconds_total",
            "This is the total number of seconds spent by all writes.",
            &lbl,
            ms(c.write_ms),
        );
        e.gauge(
            "node_disk_io_now",
            "The number of I/Os currently in progress.",
            &lbl,
            c.in_flight as f64,
        );
        e.counter(
            "node_disk_io_time_seconds_total",
            "Total seconds spent doing I/Os.",
            &lbl,
            ms(c.io_ms),
        );
        e.counter(
            "node_disk_io_time_weighted_seconds_total",
            "The weighted # of seconds spent doing I/Os.",
            &lbl,
            ms(c.weighted_io_ms),
        );
        if let Some(dc) = c.discard {
            e.counter(
                "node_disk_discards_completed_total",
                "The total number of discards completed successfully.",
                &lbl,
                dc.completed as f64,
            );
            e.counter(
                "node_disk_discards_merged_total",
                "The total number of discards merged.",
                &lbl,
                dc.merged as f64,
            );
            e.counter(
                "node_disk_discarded_sectors_total",
                "The total number of sectors discarded successfully.",
                &lbl,
                dc.sectors as f64,
            );
            e.counter(
                "node_disk_discard_time_seconds_total",
                "This is the total number of seconds spent by all discards.",
                &lbl,
                ms(dc.ms),
            );
        }
        if let Some(fl) = c.flush {
            e.counter(
                "node_disk_flush_requests_total",
                "The total number of flush requests completed successfully",
                &lbl,
                fl.completed as f64,
            );
            e.counter(
                "node_disk_flush_requests_time_seconds_total",
                "This is the total number of seconds spent by all flush requests.",
                &lbl,
                ms(fl.ms),
            );
        }
        if let Some(fs_type) = prop("ID_FS_TYPE").filter(|t| !t.is_empty()) {
            e.gauge(
                "node_disk_filesystem_info",
                "Info about disk filesystem.",
                &[
                    ("device", dev),
                    ("type", fs_type),
                    ("usage", prop("ID_FS_USAGE").unwrap_or("")),
                    ("uuid", prop("ID_FS_UUID").unwrap_or("")),
                    ("version", prop("ID_FS_VERSION").unwrap_or("")),
                ],
                1.0,
            );
        }
        if let Some(dm) = prop("DM_NAME").filter(|t| !t.is_empty()) {
            e.gauge(
                "node_disk_device_mapper_info",
                "Info about disk device mapper.",
                &[
                    ("device", dev),
                    ("name", dm),
                    ("uuid", prop("DM_UUID").unwrap_or("")),
                    ("vg_name", prop("DM_VG_NAME").unwrap_or("")),
                    ("lv_name", prop("DM_LV_NAME").unwrap_or("")),
                    ("lv_layer", prop("DM_LV_LAYER").unwrap_or("")),
                ],
                1.0,
            );
        }
        if prop("ID_ATA").is_some_and(|v| !v.is_empty()) {
            for (key, name, help) in [
                (
                    "ID_ATA_WRITE_CACHE",
                    "node_disk_ata_write_cache",
                    "ATA disk has a write cache.",
                ),
                (
                    "ID_ATA_WRITE_CACHE_ENABLED",
                    "node_disk_ata_write_cache_enabled",
                    "ATA disk has its write cache enabled.",
                ),
                (
                    "ID_ATA_ROTATION_RATE_RPM",
                    "node_disk_ata_rotation_rate_rpm",
                    "ATA disk rotation rate in RPMs (0 for SSDs).",
                ),
            ] {
                if let Some(v) = prop(key).and_then(|v| v.parse::<f64>().ok()) {
                    e.gauge(name, help, &lbl, v);
                }
            }
        }
    }
}

fn write_netdev(s: &Snapshot, e: &mut Exposition) {
    use karte_procfs::net_dev::{RECEIVE_COLUMNS, TRANSMIT_COLUMNS};
    let Some(nd) = &s.netdev else { return };
    for i in &nd.interfaces {
        let lbl = [("device", i.name.as_str())];
        for (dir, cols, vals) in [
            ("receive", &RECEIVE_COLUMNS, &i.receive),
            ("transmit", &TRANSMIT_COLUMNS, &i.transmit),
        ] {
            for (col, v) in cols.iter().zip(vals.iter()) {
                e.counter(
                    &format!("node_network_{dir}_{col}_total"),
                    &format!("Network device statistic {dir}_{col}."),
                    &lbl,
                    *v as f64,
                );
            }
        }
    }
}

fn write_pressure(s: &Snapshot, e: &mut Exposition) {
    let secs = |us: u64| us as f64 / 1e6;
    if let Some(some) = s.pressure.cpu.and_then(|p| p.some) {
        e.counter(
            "node_pressure_cpu_waiting_seconds_total",
            "Total time in seconds that processes have waited for CPU time",
            &[],
            secs(some.total_us),
        );
    }
    if let Some(p) = s.pressure.io {
        if let Some(l) = p.some {
            e.counter(
                "node_pressure_io_waiting_seconds_total",
                "Total time in seconds that processes have waited due to IO congestion",
                &[],
                secs(l.total_us),
            );
        }
        if let Some(l) = p.full {
            e.counter(
                "node_pressure_io_stalled_seconds_total",
                "Total time in seconds no process could make progress due to IO congestion",
                &[],
                secs(l.total_us),
            );
        }
    }
    if let Some(p) = s.pressure.memory {
        if let Some(l) = p.some {
            e.counter(
                "node_pressure_memory_waiting_seconds_total",
                "Total time in seconds that processes have waited for memory",
                &[],
                secs(l.total_us),
            );
        }
        if let Some(l) = p.full {
            e.counter(
                "node_pressure_memory_stalled_seconds_total",
                "Total time in seconds no process could make progress due to memory congestion",
                &[],
                secs(l.total_us),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignored_devices() {
        for d in [
            "ram0",
            "loop7",
            "fd0",
            "sda1",
            "vda2",
            "xvdb3",
            "hda1",
            "nvme0n1p2",
        ] {
            assert!(disk_ignored(d), "{d}");
        }
        for d in [
            "sda",
            "nvme0n1",
            "mmcblk0p1",
            "dm-0",
            "vda",
            "sr0",
            "md0",
            "loop",
            "nvme0n1p",
        ] {
            assert!(!disk_ignored(d), "{d}");
        }
    }

    #[test]
    fn vmstat_filter() {
        for k in ["oom_kill", "pgpgin", "pswpout", "pgfault", "pgmajfault"] {
            assert!(vmstat_exported(k), "{k}");
        }
        for k in ["nr_dirty", "pgfree", "pgsteal_kswapd"] {
            assert!(!vmstat_exported(k), "{k}");
        }
    }

    #[test]
    fn meminfo_keys() {
        assert_eq!(meminfo_key("Active(anon)"), "Active_anon");
        assert_eq!(meminfo_key("MemTotal"), "MemTotal");
    }
}
