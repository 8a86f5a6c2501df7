//! `io-errors`: the block layer or a filesystem reported I/O errors.
//!
//! A healthy disk never returns an I/O error; every one of them is a read or write that failed
//! after the driver's own retries, and filesystems may remount read-only after one.

use crate::context::{Context, Outcome};
use crate::fmt;
use crate::{Finding, RuleInfo, Severity};
use karte_kmsg::{Event, IoError};

pub const ID: &str = "io-errors";
/// This many errors on one device make it critical: not a single bad sector any more.
pub const CRITICAL_COUNT: usize = 10;

pub const INFO: RuleInfo = RuleInfo {
    id: ID,
    title_en: "Disks or filesystems reported I/O errors",
    title_ja: "ディスクやファイルシステムが I/O エラーを報告した",
    explain_en: "Reads the kernel log for block-layer errors ('I/O error, dev sda, sector …', 'Buffer I/O error on dev …', 'critical \
medium error'), NVMe and SCSI failures, and filesystem errors (ext4, xfs, btrfs). A healthy device never reports one: each is an I/O \
that failed after the driver's retries. Warning per device; critical from 10 errors on a device, or when a filesystem reports an \
error (it may remount read-only or shut down). Remedies: check the device (smartctl -a, nvme smart-log), the cable and controller, \
replace the disk; fsck or xfs_repair after the hardware is fixed; restore from backup what cannot be read.",
    explain_ja: "カーネルログからブロック層のエラー（'I/O error, dev sda, sector …'、'Buffer I/O error on dev …'、'critical medium error'）、NVMe や SCSI の失敗、ファイルシステムのエラー（ext4、xfs、btrfs）を読みます。\
正常なデバイスは1つも報告しません。どれもドライバの再試行のあとで失敗した I/O です。デバイスごとに warning、1つのデバイスで 10 件以上か、ファイルシステムがエラーを報告した（読み取り専用での再マウントや停止の恐れ）なら critical です。\
対策: デバイス（smartctl -a、nvme smart-log）、ケーブル、コントローラを点検し、ディスクを交換する。ハードウェアを直してから fsck や xfs_repair を行い、読めないデータはバックアップから戻す。",
};

pub fn evaluate(cx: &Context) -> Outcome {
    if !cx.kernel_log_read {
        return Outcome::skipped(super::NEEDS_LOG);
    }
    let errs: Vec<&IoError> = cx
        .events
        .iter()
        .filter_map(|e| {
            if let Event::IoError(x) = e {
                Some(x)
            } else {
                None
            }
        })
        .collect();
    if errs.is_empty() {
        return Outcome::quiet();
    }
    let ja = cx.ja();
    let mut by_dev: Vec<(String, Vec<&IoError>)> = Vec::new();
    for e in errs {
        let d = e.device.clone().unwrap_or_else(|| "?".into());
        match by_dev.iter_mut().find(|(k, _)| *k == d) {
            Some((_, v)) => v.push(e),
            None => by_dev.push((d, vec![e])),
        }
    }
    let out = by_dev
        .into_iter()
        .map(|(dev, v)| {
            let fs = v.iter().any(|e| !matches!(e.source.as_str(), "block" | "buffer" | "scsi" | "nvme" | "ata"));
            let severity = if fs || v.len() >= CRITICAL_COUNT { Severity::Critical } else { Severity::Warning };
            let evidence = fmt::newest_lines(v.iter().map(|e| fmt::log_line(&e.at, &e.message)).collect(), 4, ja);
            Finding {
                rule: ID,
                severity,
                title: if ja { format!("{dev} で I/O エラーが {} 件あります", v.len()) } else { format!("{} I/O error(s) on {dev}", v.len()) },
                summary: cx
                    .t(
                        "Reads or writes failed even after the driver's retries. Data on this device may be unreadable or not written, and the filesystem may switch to read-only.",
                        "ドライバの再試行のあとでも読み書きが失敗しています。このデバイスのデータは読めない、または書かれていない可能性があり、ファイルシステムが読み取り専用に切り替わることがあります。",
                    )
                    .into(),
                subjects: vec![dev.clone()],
                evidence,
                remedy: if ja {
                    vec![
                        format!("デバイスの状態を確認します: smartctl -a /dev/{dev}（NVMe なら nvme smart-log）。ケーブルとコントローラも点検してください。"),
                        "ディスクを交換し、ハードウェアを直してから fsck や xfs_repair を実行してください。読めないデータはバックアップから戻します。".into(),
                    ]
                } else {
                    vec![
                        format!("Check the device: smartctl -a /dev/{dev} (nvme smart-log for NVMe); check the cable and the controller."),
                        "Replace the disk; run fsck or xfs_repair only once the hardware is fixed; restore unreadable data from backup.".into(),
                    ]
                },
            }
        })
        .collect();
    Outcome::many(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;
    use crate::testkit::*;

    #[test]
    fn block_errors_per_device() {
        let log = "[ 50.0] blk_update_request: I/O error, dev sdb, sector 123456 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0
[ 51.0] blk_update_request: I/O error, dev sdb, sector 123464 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0
";
        let ev = karte_kmsg::parse_bytes(log.as_bytes(), &karte_kmsg::Options::default());
        let s = host(100.0, 2, ticks(1, 0, 1, 1, 0, 0), 0.5, 1);
        let o = evaluate(&Context::single(&s, Lang::En).with_events(&ev));
        assert_eq!(o.findings.len(), 1, "{o:?}");
        assert_eq!(o.findings[0].subjects, vec!["sdb".to_string()]);
        assert!(
            evaluate(&Context::single(&s, Lang::En).with_events(&[]))
                .findings
                .is_empty()
        );
    }
}
