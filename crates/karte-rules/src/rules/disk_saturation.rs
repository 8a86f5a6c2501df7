//! `disk-saturation`: a device busy nearly all the time with long waits, or I/O not completing.
//!
//! iostat's %util is the share of time with at least one request in flight. For a single
//! spinning disk 100 % means saturated; for SSDs, NVMe and RAID, which serve many requests at
//! once, 100 % only means "never idle". So saturation needs long waits as well, judged against
//! what the device type can do: a fast NVMe device at 100 % util with sub-millisecond waits is
//! not saturated.

use crate::context::{Context, Outcome};
use crate::fmt;
use crate::{Finding, RuleInfo, Severity};
use karte_snapshot::DiskRate;

pub const ID: &str = "disk-saturation";
/// Busy at least this share of the interval.
pub const UTIL_PCT: f64 = 90.0;
/// Mean wait per I/O beyond which a device is the bottleneck: a spinning disk seeks in ~10 ms, so
/// 50 ms means deep queueing; flash answers in well under a millisecond, so 10 ms is queueing.
pub const AWAIT_MS_ROTATIONAL: f64 = 50.0;
pub const AWAIT_MS_FLASH: f64 = 10.0;
/// When the device type is unknown.
pub const AWAIT_MS_UNKNOWN: f64 = 20.0;
/// Half a second per I/O: users notice every file access.
pub const CRITICAL_AWAIT_MS: f64 = 500.0;

pub const INFO: RuleInfo = RuleInfo {
    id: ID,
    title_en: "A disk is saturated",
    title_ja: "ディスクが飽和している",
    explain_en: "Computed as iostat -x does from /proc/diskstats over the interval. Fires when a device was busy (%util: time with at \
least one I/O in flight) at least 90 % of the interval AND its mean wait per I/O (await) is long for its kind: 50 ms for a spinning \
disk, 10 ms for flash (queue/rotational = 0), 20 ms when unknown. Critical from 500 ms per I/O, or when I/Os are in flight but none \
completed during the interval (a stuck or failing device). %util alone is not saturation: SSDs, NVMe and RAID serve many requests \
in parallel, so a fast device can show 100 % with sub-millisecond waits and still have room. Partitions are not judged apart from \
their disk.",
    explain_ja: "iostat -x と同じ計算を /proc/diskstats の区間差分で行います。デバイスが区間の 90 % 以上ビジー（%util: I/O が1つ以上処理中の時間）で、かつ I/O 1回あたりの平均待ち時間（await）がデバイスの種類に対して長いときに検出します。\
回転ディスクは 50 ms、フラッシュ（queue/rotational = 0）は 10 ms、不明なら 20 ms が基準です。I/O 1回 500 ms 以上、または処理中の I/O があるのに区間内に1つも完了しない（止まった・故障しかけのデバイス）なら critical です。\
%util だけでは飽和とは言えません。SSD、NVMe、RAID は多くの要求を並列に処理するため、速いデバイスは 1 ms 未満の待ちで 100 % と表示されても余裕があります。パーティションはディスク本体と別には判定しません。",
};

/// Partitions are judged with their disk. Whole disks have /sys/block/NAME (read as
/// `rotational`); without that information (a bundle without /sys), the kernel's naming decides.
fn is_partition(name: &str, cx: &Context) -> bool {
    let sysfs_known = cx.now.block_devices.iter().any(|b| b.rotational.is_some());
    if sysfs_known {
        !cx.now
            .block_devices
            .iter()
            .any(|b| b.name == name && b.rotational.is_some())
    } else {
        karte_procfs::diskstats::looks_like_partition(name)
    }
}

fn ignored(name: &str) -> bool {
    karte_procfs::diskstats::is_virtual_noise(name)
        || name.starts_with("zram")
        || name.starts_with("sr")
}

fn threshold(d: &DiskRate) -> f64 {
    match d.rotational {
        Some(true) => AWAIT_MS_ROTATIONAL,
        Some(false) => AWAIT_MS_FLASH,
        None => AWAIT_MS_UNKNOWN,
    }
}

pub fn evaluate(cx: &Context) -> Outcome {
    let Some(iv) = cx.interval else {
        return Outcome::skipped("needs two readings (disk counters over an interval)");
    };
    if cx.now.diskstats.is_none() {
        return Outcome::skipped("no /proc/diskstats");
    }
    let ja = cx.ja();
    let mut out = Vec::new();
    for d in &iv.disks {
        if ignored(&d.name) || is_partition(&d.name, cx) || d.util_pct < UTIL_PCT {
            continue;
        }
        let ios = (d.reads_per_sec + d.writes_per_sec) * iv.elapsed_secs;
        let stuck = ios < 0.5 && d.in_flight > 0;
        let slow = d.await_ms.is_some_and(|a| a >= threshold(d));
        if !stuck && !slow {
            continue;
        }
        let severity = if stuck || d.await_ms.is_some_and(|a| a >= CRITICAL_AWAIT_MS) {
            Severity::Critical
        } else {
            Severity::Warning
        };
        let kind = match (d.rotational, ja) {
            (Some(true), false) => "spinning disk",
            (Some(false), false) => "flash device",
            (None, false) => "device",
            (Some(true), true) => "回転ディスク",
            (Some(false), true) => "フラッシュデバイス",
            (None, true) => "デバイス",
        };
        let aw = d
            .await_ms
            .map(|a| format!("{a:.1} ms"))
            .unwrap_or_else(|| "-".into());
        let line = if ja {
            format!(
                "{}（{kind}）: %util {}、await {aw}（r {} / w {} ms）、平均キュー長 {:.1}、処理中 {}、読み {} 回/秒 {} KiB/s、書き {} 回/秒 {} KiB/s",
                d.name,
                fmt::pct(d.util_pct),
                d.r_await_ms
                    .map(|a| format!("{a:.1}"))
                    .unwrap_or_else(|| "-".into()),
                d.w_await_ms
                    .map(|a| format!("{a:.1}"))
                    .unwrap_or_else(|| "-".into()),
                d.avg_queue,
                d.in_flight,
                fmt::rate(d.reads_per_sec),
                fmt::rate(d.read_kb_per_sec),
                fmt::rate(d.writes_per_sec),
                fmt::rate(d.write_kb_per_sec)
            )
        } else {
            format!(
                "{} ({kind}): %util {}, await {aw} (r {} / w {} ms), avg queue {:.1}, in flight {}, {} reads/s {} KiB/s, {} writes/s {} KiB/s",
                d.name,
                fmt::pct(d.util_pct),
                d.r_await_ms
                    .map(|a| format!("{a:.1}"))
                    .unwrap_or_else(|| "-".into()),
                d.w_await_ms
                    .map(|a| format!("{a:.1}"))
                    .unwrap_or_else(|| "-".into()),
                d.avg_queue,
                d.in_flight,
                fmt::rate(d.reads_per_sec),
                fmt::rate(d.read_kb_per_sec),
                fmt::rate(d.writes_per_sec),
                fmt::rate(d.write_kb_per_sec)
            )
        };
        let (title, summary) = match (stuck, ja) {
            (true, false) => (
                format!("Disk {} is not completing I/O", d.name),
                format!(
                    "{} had {} I/O requests in flight and completed none in {:.1} s. The device, its path or its driver is stuck or failing; every process touching it will hang in D state.",
                    d.name, d.in_flight, iv.elapsed_secs
                ),
            ),
            (true, true) => (
                format!("ディスク {} の I/O が完了していません", d.name),
                format!(
                    "{} には処理中の I/O が {} 個あるのに、{:.1} 秒間1つも完了していません。デバイスか経路、ドライバが止まっているか故障しかけています。触れるプロセスはすべて D 状態で止まります。",
                    d.name, d.in_flight, iv.elapsed_secs
                ),
            ),
            (false, false) => (
                format!(
                    "Disk {} is saturated: {aw} per I/O at {} busy",
                    d.name,
                    fmt::pct(d.util_pct)
                ),
                format!(
                    "{} was busy nearly all the time and each I/O waited {aw} on average, long for a {kind}: requests queue up and everything that reads or writes there is slow.",
                    d.name
                ),
            ),
            (false, true) => (
                format!(
                    "ディスク {} が飽和しています（ビジー {}、I/O 1回 {aw}）",
                    d.name,
                    fmt::pct(d.util_pct)
                ),
                format!(
                    "{} はほぼ常にビジーで、I/O 1回あたり平均 {aw} 待っています。{kind}としては長く、要求が列をなして、そこを読み書きする処理がすべて遅くなっています。",
                    d.name
                ),
            ),
        };
        out.push(Finding {
            rule: ID,
            severity,
            title,
            summary,
            subjects: vec![d.name.clone()],
            evidence: vec![line],
            remedy: if ja {
                vec![
                    "誰が I/O しているかを確認します: iotop -o、または pidstat -d 1。".into(),
                    "エラーや遅延がないか、カーネルログ（karte events）と SMART（smartctl -a）を確認してください。".into(),
                    "処理の時間帯をずらす、I/O を制限する（systemd の IOReadBandwidthMax= / IOWriteBandwidthMax=、cgroup io.max）、より速いストレージに移すことを検討してください。".into(),
                ]
            } else {
                vec![
                    "See who does the I/O: iotop -o, or pidstat -d 1.".into(),
                    "Check for errors and timeouts in the kernel log (karte events) and the device's health (smartctl -a).".into(),
                    "Reschedule or throttle the heavy work (systemd IOReadBandwidthMax=/IOWriteBandwidthMax=, cgroup io.max), or move it to faster storage.".into(),
                ]
            },
        });
    }
    Outcome::many(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;
    use crate::testkit::*;
    use karte_procfs::diskstats::{DiskCounters, DiskStat, DiskStats};
    use karte_snapshot::snapshot::BlockDevice;

    fn disk(s: &mut karte_snapshot::Snapshot, name: &str, rot: u64, c: DiskCounters) {
        s.diskstats
            .get_or_insert_with(DiskStats::default)
            .disks
            .push(DiskStat {
                major: 8,
                minor: 0,
                name: name.into(),
                counters: c,
            });
        s.block_devices.push(BlockDevice {
            name: name.into(),
            rotational: Some(rot),
            udev: vec![],
            major_minor: Some((8, 0)),
        });
    }

    fn pair(
        rot: u64,
        ios: u64,
        ms_per_io: u64,
        io_ms: u64,
        in_flight: u64,
    ) -> (karte_snapshot::Snapshot, karte_snapshot::Snapshot) {
        let mut a = host(1000.0, 2, ticks(100, 0, 100, 10_000, 0, 0), 0.1, 1);
        let mut b = host(1002.0, 2, ticks(102, 0, 102, 10_396, 0, 0), 0.1, 1);
        disk(&mut a, "sda", rot, DiskCounters::default());
        disk(
            &mut b,
            "sda",
            rot,
            DiskCounters {
                reads_completed: ios,
                read_ms: ios * ms_per_io,
                io_ms,
                weighted_io_ms: ios * ms_per_io,
                in_flight,
                ..Default::default()
            },
        );
        (a, b)
    }

    #[test]
    fn slow_spinning_disk_fires() {
        let (a, b) = pair(1, 100, 80, 1990, 4);
        let iv = interval(&a, &b);
        let o = evaluate(&Context::pair(&a, &b, Some(&iv), Lang::En));
        assert_eq!(o.findings.len(), 1);
        assert_eq!(o.findings[0].severity, Severity::Warning);
    }

    #[test]
    fn fast_nvme_at_full_util_is_quiet() {
        let (a, b) = pair(0, 20_000, 0, 2000, 8);
        let iv = interval(&a, &b);
        assert!(
            evaluate(&Context::pair(&a, &b, Some(&iv), Lang::En))
                .findings
                .is_empty()
        );
    }

    #[test]
    fn stuck_device_is_critical() {
        let (a, b) = pair(1, 0, 0, 2000, 3);
        let iv = interval(&a, &b);
        let o = evaluate(&Context::pair(&a, &b, Some(&iv), Lang::Ja));
        assert_eq!(o.findings[0].severity, Severity::Critical);
        assert!(o.findings[0].title.contains("完了していません"));
    }
}
