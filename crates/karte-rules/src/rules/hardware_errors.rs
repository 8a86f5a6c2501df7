//! `hardware-errors`: the CPU or the memory controller reported hardware errors (MCE, EDAC).
//!
//! Corrected memory errors are the runtime view of what a memtest would find: ECC fixed them this
//! time, but a DIMM that corrects errors often goes on to an uncorrectable one, which kills a
//! process or the machine.

use crate::context::{Context, Outcome};
use crate::fmt;
use crate::{Finding, RuleInfo, Severity};
use karte_kmsg::Event;

pub const ID: &str = "hardware-errors";

pub const INFO: RuleInfo = RuleInfo {
    id: ID,
    title_en: "The hardware reported machine-check or memory (ECC) errors",
    title_ja: "ハードウェアがマシンチェックやメモリ（ECC）のエラーを報告した",
    explain_en: "Reads the kernel log for machine-check events (MCE, including AMD and firmware GHES reports), EDAC memory-controller \
reports and memory-failure handling. Corrected errors (ECC fixed a flipped bit) are a warning: the hardware works, but a DIMM that \
keeps correcting errors often fails uncorrectably later. Uncorrected or fatal errors are critical: data was lost, a process was \
killed or the machine may crash. Remedies: find the DIMM (edac-util -v, ras-mc-ctl --errors, the BMC's event log: ipmitool sel \
list) and replace it; for CPU bank errors, the CPU or its cooling.",
    explain_ja: "カーネルログからマシンチェック（MCE。AMD やファームウェアの GHES の報告を含む）、EDAC によるメモリコントローラの報告、メモリ障害の処理を読みます。\
訂正済みのエラー（ECC がビット反転を直した）は warning です。ハードウェアは動いていますが、訂正を繰り返す DIMM はやがて訂正できないエラーを起こすことが多いからです。\
訂正不能・致命的なエラーは critical です。データが失われたか、プロセスが強制終了されたか、マシンが停止する恐れがあります。\
対策: 該当する DIMM を特定し（edac-util -v、ras-mc-ctl --errors、BMC のイベントログ: ipmitool sel list）交換する。CPU バンクのエラーなら CPU か冷却を確認する。",
};

pub fn evaluate(cx: &Context) -> Outcome {
    if !cx.kernel_log_read {
        return Outcome::skipped(super::NEEDS_LOG);
    }
    let mut lines = Vec::new();
    let mut uncorrected = false;
    for e in cx.events {
        let (sev, msg, time) = match e {
            Event::Mce(m) => (m.severity.clone(), m.message.clone(), &m.at),
            Event::Edac(m) => (m.severity.clone(), m.message.clone(), &m.at),
            _ => continue,
        };
        if sev
            .as_deref()
            .is_some_and(|s| s.contains("uncorrect") || s.contains("fatal"))
        {
            uncorrected = true;
        }
        lines.push(fmt::log_line(time, &msg));
    }
    if lines.is_empty() {
        return Outcome::quiet();
    }
    let n = lines.len();
    let evidence = fmt::newest_lines(lines, 5, cx.ja());
    Outcome::one(Finding {
        rule: ID,
        severity: if uncorrected { Severity::Critical } else { Severity::Warning },
        title: match (uncorrected, cx.ja()) {
            (true, false) => format!("Uncorrected hardware errors in the kernel log ({n} reports)"),
            (false, false) => format!("Corrected hardware errors in the kernel log ({n} reports)"),
            (true, true) => format!("訂正不能なハードウェアエラーがカーネルログにあります（{n} 件）"),
            (false, true) => format!("訂正済みのハードウェアエラーがカーネルログにあります（{n} 件）"),
        },
        summary: if uncorrected {
            cx.t(
                "The hardware reported errors it could not correct: data may have been lost, a process may have been killed, and the machine may crash.",
                "ハードウェアが訂正できないエラーを報告しました。データが失われたか、プロセスが強制終了された可能性があり、マシンが停止する恐れもあります。",
            )
            .into()
        } else {
            cx.t(
                "ECC or the CPU corrected these errors, so nothing was lost yet; but a component that keeps correcting errors is failing and often goes on to uncorrectable ones.",
                "ECC や CPU がエラーを訂正したので、まだ何も失われていません。ただし訂正を繰り返す部品は劣化しており、やがて訂正できないエラーを起こすことが多いです。",
            )
            .into()
        },
        subjects: vec!["hardware".into()],
        evidence,
        remedy: vec![cx
            .t(
                "Identify the component: edac-util -v or ras-mc-ctl --errors for the DIMM slot, the BMC event log (ipmitool sel list); replace the DIMM (or check the CPU and its cooling for CPU bank errors).",
                "部品を特定します: DIMM のスロットは edac-util -v や ras-mc-ctl --errors、BMC のイベントログは ipmitool sel list で確認し、DIMM を交換してください（CPU バンクのエラーなら CPU と冷却を確認）。",
            )
            .into()],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;
    use crate::testkit::*;

    #[test]
    fn corrected_is_warning() {
        let log = "[ 10.0] EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0 (channel:1 slot:0 page:0x12345 offset:0x0 grain:32 syndrome:0x0)\n";
        let ev = karte_kmsg::parse_bytes(log.as_bytes(), &karte_kmsg::Options::default());
        let s = host(100.0, 2, ticks(1, 0, 1, 1, 0, 0), 0.5, 1);
        let o = evaluate(&Context::single(&s, Lang::En).with_events(&ev));
        assert_eq!(o.findings.len(), 1, "{ev:?}");
        assert_eq!(o.findings[0].severity, Severity::Warning);
        assert!(
            evaluate(&Context::single(&s, Lang::En).with_events(&[]))
                .findings
                .is_empty()
        );
    }
}
