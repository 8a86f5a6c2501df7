//! `dirty-writeback`: dirty pages pile up behind storage that cannot take them fast enough.
//!
//! Written data first sits in memory as dirty pages. Past `vm.dirty_background_ratio` of the
//! dirtyable memory the flusher starts writing; past `vm.dirty_ratio` every writer is made to
//! wait (balance_dirty_pages). When the storage is slow, dirty and writeback pages hold a large
//! part of memory that cannot be freed until the disk catches up — the way slow storage turns
//! into stalls and, in the worst case, the OOM killer.

use crate::context::{Context, Outcome};
use crate::fmt;
use crate::{Finding, RuleInfo, Severity};

pub const ID: &str = "dirty-writeback";
/// Dirty + writeback at this share of the dirty limit: writers are being throttled.
pub const LIMIT_SHARE: f64 = 0.8;
/// Below this amount nothing is worth saying, whatever the limit (tiny VMs).
pub const MIN_DIRTY_KB: u64 = 64 * 1024;
/// Time to drain the backlog at the present write rate beyond which it is "stuck".
pub const DRAIN_SECS_CRITICAL: f64 = 60.0;

pub const INFO: RuleInfo = RuleInfo {
    id: ID,
    title_en: "Dirty pages are piling up behind slow storage",
    title_ja: "書き込み待ちのページが遅いストレージの前に溜まっている",
    explain_en: "Data written by programs first sits in memory as dirty pages (Dirty in /proc/meminfo), then is written out (Writeback). \
The kernel starts background writeback at vm.dirty_background_ratio (or _bytes) of the dirtyable memory (free + page cache) and makes \
every writing process wait at vm.dirty_ratio (or _bytes). Fires when Dirty + Writeback reach 80 % of that limit (and at least 64 MiB): \
writers are being throttled. Critical when the limit is reached and, at the write rate measured over the interval, draining the \
backlog would take more than a minute. Slow storage then stalls every writer, and memory held by dirty pages cannot be freed — a \
common road to the OOM killer. Remedies: faster or less loaded storage; smaller dirty limits (vm.dirty_bytes / \
vm.dirty_background_bytes, e.g. 256 MiB / 64 MiB) so the backlog stays short; find the writer (iotop -o).",
    explain_ja: "プログラムが書いたデータは、まずダーティページ（/proc/meminfo の Dirty）としてメモリに置かれ、その後ディスクへ書き出されます（Writeback）。\
カーネルは書き込み可能なメモリ（空き + ページキャッシュ）の vm.dirty_background_ratio（または _bytes）でバックグラウンド書き出しを始め、vm.dirty_ratio（または _bytes）に達すると書き込むプロセスすべてを待たせます。\
Dirty + Writeback がこの上限の 80 % 以上（かつ 64 MiB 以上）になると検出します。書き込み側が待たされている状態です。上限に達し、区間内で測った書き込み速度では溜まった分を書き出すのに1分以上かかるなら critical です。\
ストレージが遅いと書き込み処理がすべて止まり、ダーティページが占めるメモリは解放できないため、OOM キラーにつながる典型的な経路になります。\
対策: 速い・空いているストレージに移す、ダーティの上限を小さくして溜まる量を抑える（vm.dirty_bytes / vm.dirty_background_bytes を例えば 256 MiB / 64 MiB に）、書いているプロセスを特定する（iotop -o）。",
};

/// The kernel's dirty limits for a reading, in kB: (background, throttle).
pub fn limits_kb(s: &karte_snapshot::Snapshot) -> Option<(u64, u64)> {
    let free = s.mem_kb("MemFree")?;
    let file = s
        .mem_kb("Active(file)")?
        .saturating_add(s.mem_kb("Inactive(file)")?);
    let dirtyable = free.saturating_add(file);
    let get = |n: &str| s.sysctls.get(n).filter(|v| *v > 0).map(|v| v as u64);
    let limit = |bytes: &str, ratio: &str, default_ratio: u64| match get(bytes) {
        Some(b) => b / 1024,
        None => dirtyable * get(ratio).unwrap_or(default_ratio) / 100,
    };
    // Kernel defaults: dirty_background_ratio 10, dirty_ratio 20.
    Some((
        limit("vm.dirty_background_bytes", "vm.dirty_background_ratio", 10),
        limit("vm.dirty_bytes", "vm.dirty_ratio", 20),
    ))
}

pub fn evaluate(cx: &Context) -> Outcome {
    let s = cx.now;
    let (Some(dirty), Some(wb)) = (s.mem_kb("Dirty"), s.mem_kb("Writeback")) else {
        return Outcome::skipped("no Dirty/Writeback in meminfo");
    };
    let Some((bg, limit)) = limits_kb(s) else {
        return Outcome::skipped("no free/file memory figures");
    };
    let backlog = dirty.saturating_add(wb);
    if backlog < MIN_DIRTY_KB || limit == 0 || (backlog as f64) < LIMIT_SHARE * limit as f64 {
        return Outcome::quiet();
    }
    let write_kb_s: Option<f64> = cx
        .interval
        .map(|iv| iv.disks.iter().map(|d| d.write_kb_per_sec).sum());
    let drain = write_kb_s.filter(|r| *r > 0.0).map(|r| backlog as f64 / r);
    let stalled = write_kb_s.is_some_and(|r| r < 1.0);
    let severity =
        if backlog >= limit && (stalled || drain.is_some_and(|d| d >= DRAIN_SECS_CRITICAL)) {
            Severity::Critical
        } else {
            Severity::Warning
        };
    let total = s.mem_kb("MemTotal").unwrap_or(0);
    let share = if total > 0 {
        backlog as f64 * 100.0 / total as f64
    } else {
        0.0
    };
    let ja = cx.ja();
    let setting = |n: &str| {
        s.sysctls
            .get(n)
            .map(|v| v.to_string())
            .unwrap_or_else(|| "?".into())
    };
    let mut evidence = vec![if ja {
        format!(
            "Dirty {} + Writeback {} = {}（メモリの {}）、書き込みを待たせる上限 {}、バックグラウンド書き出し開始 {}",
            fmt::kb(dirty),
            fmt::kb(wb),
            fmt::kb(backlog),
            fmt::pct(share),
            fmt::kb(limit),
            fmt::kb(bg)
        )
    } else {
        format!(
            "Dirty {} + Writeback {} = {} ({} of memory); writers throttled at {}, background writeback from {}",
            fmt::kb(dirty),
            fmt::kb(wb),
            fmt::kb(backlog),
            fmt::pct(share),
            fmt::kb(limit),
            fmt::kb(bg)
        )
    }];
    evidence.push(format!(
        "vm.dirty_ratio={} vm.dirty_bytes={} vm.dirty_background_ratio={} vm.dirty_background_bytes={}",
        setting("vm.dirty_ratio"),
        setting("vm.dirty_bytes"),
        setting("vm.dirty_background_ratio"),
        setting("vm.dirty_background_bytes")
    ));
    if let Some(r) = write_kb_s {
        evidence.push(match (drain, ja) {
            (Some(d), false) => format!(
                "disks write {} KiB/s in all: the backlog takes {} to drain",
                fmt::rate(r),
                fmt::duration(d)
            ),
            (Some(d), true) => format!(
                "ディスク全体の書き込み {} KiB/s: 溜まった分の書き出しに {} かかります",
                fmt::rate(r),
                fmt::duration_ja(d)
            ),
            (None, false) => {
                "the disks wrote nothing during the check: writeback is stalled".into()
            }
            (None, true) => {
                "確認中にディスクへの書き込みがありませんでした: 書き出しが止まっています".into()
            }
        });
        if let Some(iv) = cx.interval {
            for d in iv.disks.iter().filter(|d| d.util_pct >= 90.0) {
                evidence.push(if ja {
                    format!(
                        "{}: ビジー {}、await {}",
                        d.name,
                        fmt::pct(d.util_pct),
                        d.await_ms
                            .map(|a| format!("{a:.1} ms"))
                            .unwrap_or_else(|| "-".into())
                    )
                } else {
                    format!(
                        "{}: busy {}, await {}",
                        d.name,
                        fmt::pct(d.util_pct),
                        d.await_ms
                            .map(|a| format!("{a:.1} ms"))
                            .unwrap_or_else(|| "-".into())
                    )
                });
            }
        }
    }
    Outcome::one(Finding {
        rule: ID,
        severity,
        title: if ja {
            format!("書き込み待ちのデータ {} がストレージの前に溜まっています", fmt::kb(backlog))
        } else {
            format!("{} of written data is waiting for the storage", fmt::kb(backlog))
        },
        summary: cx
            .t(
                "Programs write faster than the storage can take the data. The dirty pages are near the kernel's limit, so every writing process is being made to wait, and the memory they hold cannot be freed until the disk catches up — this is how slow storage leads to stalls and to the OOM killer.",
                "プログラムの書き込みにストレージが追いついていません。ダーティページがカーネルの上限近くまで溜まっているため、書き込むプロセスはすべて待たされ、ディスクが追いつくまでそのメモリは解放できません。遅いストレージが処理の停止や OOM キラーにつながる典型的な経路です。",
            )
            .into(),
        subjects: vec!["Dirty".into(), "Writeback".into()],
        evidence,
        remedy: if ja {
            vec![
                "書いているプロセスを特定します: iotop -o、pidstat -d 1。".into(),
                "溜まる量を抑えます: sysctl -w vm.dirty_background_bytes=67108864 vm.dirty_bytes=268435456（64 MiB / 256 MiB。/etc/sysctl.d/ で恒久化）。上限が小さいほど、ディスクが遅くても溜まるメモリと待ち時間が短くなります。".into(),
                "ストレージの速度と健全性（iostat -x 1、smartctl -a）を確認し、必要なら速いストレージに移してください。".into(),
            ]
        } else {
            vec![
                "Find the writer: iotop -o, or pidstat -d 1.".into(),
                "Keep the backlog short: sysctl -w vm.dirty_background_bytes=67108864 vm.dirty_bytes=268435456 (64 MiB / 256 MiB; persist in /etc/sysctl.d/). Smaller limits mean less memory held and shorter stalls when the disk is slow.".into(),
                "Check the storage's speed and health (iostat -x 1, smartctl -a) and move the writes to faster storage if needed.".into(),
            ]
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;
    use crate::testkit::*;
    use karte_procfs::meminfo::{MemField, MemInfo};

    fn mem(s: &mut karte_snapshot::Snapshot, fields: &[(&str, u64)]) {
        s.meminfo = Some(MemInfo {
            fields: fields
                .iter()
                .map(|(n, v)| MemField {
                    name: n.to_string(),
                    value: *v,
                    in_kb: true,
                })
                .collect(),
            skipped_lines: 0,
        });
    }

    #[test]
    fn backlog_near_limit_fires() {
        let mut s = host(1000.0, 2, ticks(1, 0, 1, 1, 0, 0), 1.0, 1);
        // dirtyable = 1 GiB free + 3 GiB file = 4 GiB; limit 20 % = 819 MiB.
        mem(
            &mut s,
            &[
                ("MemTotal", 8 << 20),
                ("MemFree", 1 << 20),
                ("Active(file)", 2 << 20),
                ("Inactive(file)", 1 << 20),
                ("Dirty", 700 << 10),
                ("Writeback", 100 << 10),
            ],
        );
        let o = evaluate(&Context::single(&s, Lang::En));
        assert_eq!(o.findings.len(), 1);
        assert_eq!(o.findings[0].severity, Severity::Warning);
    }

    #[test]
    fn normal_dirty_levels_are_quiet() {
        let mut s = host(1000.0, 2, ticks(1, 0, 1, 1, 0, 0), 1.0, 1);
        mem(
            &mut s,
            &[
                ("MemTotal", 8 << 20),
                ("MemFree", 1 << 20),
                ("Active(file)", 2 << 20),
                ("Inactive(file)", 1 << 20),
                ("Dirty", 100 << 10),
                ("Writeback", 0),
            ],
        );
        assert!(evaluate(&Context::single(&s, Lang::En)).findings.is_empty());
    }
}
