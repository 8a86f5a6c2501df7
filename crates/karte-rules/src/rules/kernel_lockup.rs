//! `kernel-lockup`: a CPU was stuck in the kernel (soft or hard lockup) or RCU stalled.
//!
//! The lockup detectors fire when a CPU runs kernel code without scheduling for seconds (soft)
//! or without taking interrupts (hard); an RCU stall means a CPU did not pass a quiescent state
//! for tens of seconds. Each is a kernel or driver bug, a firmware problem (SMIs), or a
//! hypervisor that stopped the vCPU.

use crate::context::{Context, Outcome};
use crate::fmt;
use crate::{Finding, RuleInfo, Severity};
use karte_kmsg::Event;

pub const ID: &str = "kernel-lockup";

pub const INFO: RuleInfo = RuleInfo {
    id: ID,
    title_en: "A CPU was stuck in the kernel (lockup or RCU stall)",
    title_ja: "CPU がカーネル内で止まった（ロックアップ・RCU ストール）",
    explain_en: "Reads the kernel log for 'BUG: soft lockup - CPU#N stuck for Ns', 'Watchdog detected hard LOCKUP' and RCU CPU stall \
warnings. A soft lockup is a CPU running kernel code for seconds without scheduling; a hard lockup one not taking interrupts; an RCU \
stall a CPU that did not pass a quiescent state for tens of seconds. Causes: a kernel or driver bug (the stack after the message \
names it), firmware stealing the CPU (SMIs), or — in a VM — the hypervisor not running the vCPU (look at cpu-steal). Soft lockups \
and RCU stalls are warnings, hard lockups critical. Remedies: update the kernel and the driver named in the stack; in a VM, check the \
host; on hardware, the BIOS/firmware.",
    explain_ja: "カーネルログから 'BUG: soft lockup - CPU#N stuck for Ns'、'Watchdog detected hard LOCKUP'、RCU の CPU ストール警告を読みます。\
ソフトロックアップは CPU が数秒間スケジュールせずにカーネルのコードを実行し続けた状態、ハードロックアップは割り込みも受け付けなかった状態、RCU ストールは CPU が数十秒間休止状態を通過しなかった状態です。\
原因はカーネルやドライバのバグ（メッセージの後のスタックに名前が出ます）、ファームウェアによる CPU の横取り（SMI）、VM ならハイパーバイザーが vCPU を動かさなかったこと（cpu-steal を参照）です。\
ソフトロックアップと RCU ストールは warning、ハードロックアップは critical です。対策: スタックに出ているカーネルとドライバを更新する。VM ならホストを、物理マシンなら BIOS・ファームウェアを確認する。",
};

pub fn evaluate(cx: &Context) -> Outcome {
    if !cx.kernel_log_read {
        return Outcome::skipped(super::NEEDS_LOG);
    }
    let mut lines = Vec::new();
    let mut hard = false;
    for e in cx.events {
        let (msg, at) = match e {
            Event::SoftLockup(x) => (x.message.clone(), &x.at),
            Event::RcuStall(x) => (x.message.clone(), &x.at),
            Event::HardLockup(x) => {
                hard = true;
                (x.message.clone(), &x.at)
            }
            _ => continue,
        };
        lines.push(fmt::log_line(at, &msg));
    }
    if lines.is_empty() {
        return Outcome::quiet();
    }
    let n = lines.len();
    let evidence = fmt::newest_lines(lines, 5, cx.ja());
    let vm_hint = cx
        .interval
        .and_then(|iv| iv.cpu)
        .is_some_and(|c| c.steal_pct > 0.0);
    let mut remedy = vec![cx
        .t(
            "Read the stack after the message: it names the kernel function and driver; update the kernel and that driver.",
            "メッセージの後のスタックを確認してください。カーネルの関数とドライバの名前が出ています。カーネルとそのドライバを更新します。",
        )
        .to_string()];
    if vm_hint {
        remedy.push(
            cx.t(
                "This is a VM with steal time: the hypervisor may have stopped the vCPU; check the host's load.",
                "この VM にはスチール時間があります。ハイパーバイザーが vCPU を止めていた可能性があるので、ホストの負荷を確認してください。",
            )
            .to_string(),
        );
    }
    Outcome::one(Finding {
        rule: ID,
        severity: if hard { Severity::Critical } else { Severity::Warning },
        title: if cx.ja() { format!("CPU がカーネル内で止まっていました（{n} 件）") } else { format!("CPUs were stuck in the kernel ({n} reports)") },
        summary: cx
            .t(
                "The kernel's watchdogs saw CPUs that stopped scheduling (lockups) or stalled RCU. While it lasts, everything on those CPUs freezes; the cause is a kernel or driver bug, firmware, or a hypervisor that did not run the vCPU.",
                "カーネルの監視機構が、スケジュールを止めた CPU（ロックアップ）や RCU のストールを検出しました。その間、その CPU 上の処理はすべて固まります。原因はカーネルやドライバのバグ、ファームウェア、または vCPU を動かさなかったハイパーバイザーです。",
            )
            .into(),
        subjects: vec!["kernel".into()],
        evidence,
        remedy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;
    use crate::testkit::*;

    #[test]
    fn soft_lockup_is_warning() {
        let log = "[ 300.0] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [kworker/1:2:123]\n";
        let ev = karte_kmsg::parse_bytes(log.as_bytes(), &karte_kmsg::Options::default());
        let s = host(400.0, 2, ticks(1, 0, 1, 1, 0, 0), 0.5, 1);
        let o = evaluate(&Context::single(&s, Lang::En).with_events(&ev));
        assert_eq!(o.findings.len(), 1, "{ev:?}");
        assert_eq!(o.findings[0].severity, Severity::Warning);
        let none = evaluate(&Context::single(&s, Lang::En));
        assert!(none.findings.is_empty() && none.skipped.is_some());
    }
}
