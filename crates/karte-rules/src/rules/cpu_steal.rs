//! `cpu-steal`: the hypervisor gives this VM's CPU time to others.
//!
//! Steal is time a virtual CPU wanted to run but the host ran something else (KVM: the vCPU
//! thread waiting on the host's run queue; Xen: runnable + offline time). A steal counter that
//! runs backwards or grows faster than the wall clock is a kernel accounting bug, not contention:
//! it is reported as such, never as steal.

use crate::context::{Context, Outcome};
use crate::fmt;
use crate::{Finding, RuleInfo, Severity};
use karte_snapshot::interval::AnomalyKind;

pub const ID: &str = "cpu-steal";
/// Steal share of all CPU time from which users feel it (a tenth of every CPU second gone).
pub const WARNING_PCT: f64 = 10.0;
/// From here the VM runs at well under three quarters of what it pays for.
pub const CRITICAL_PCT: f64 = 30.0;

pub const INFO: RuleInfo = RuleInfo {
    id: ID,
    title_en: "The hypervisor is taking this VM's CPU time",
    title_ja: "ハイパーバイザーがこの VM の CPU 時間を奪っている",
    explain_en: "Steal time (%st in top, 'steal' in /proc/stat) is time a virtual CPU was ready to run but the hypervisor ran something \
else: other VMs on an overcommitted host. The VM's own CPU use can look modest while everything is slow, because the missing time \
does not show up as use. Thresholds: steal at least 10 % of all CPU time over the interval is a warning, 30 % critical. The fix is on \
the host side: move the VM to a less loaded host, ask the provider, or buy dedicated vCPUs.\n\
A steal counter that goes backwards, or grows by more than the wall clock allows, is a known kernel accounting bug on some \
kernels and hypervisors, not real steal; karte reports it as info and does not count it.",
    explain_ja: "スチール時間（top の %st、/proc/stat の steal）は、仮想 CPU が動ける状態だったのにハイパーバイザーが別のもの（過剰に詰め込まれたホスト上の他の VM）を動かしていた時間です。\
失われた時間は使用率に表れないため、VM 自身の CPU 使用率は控えめなのに全体が遅い、という症状になります。\
しきい値: 区間内で全 CPU 時間の 10 % 以上なら warning、30 % 以上なら critical。対策はホスト側にあります。負荷の低いホストへの移動、事業者への問い合わせ、専有 vCPU への変更を検討してください。\n\
steal カウンタが減ったり、実時間以上に増えたりするのは一部のカーネルやハイパーバイザーで知られた計上バグで、本当のスチールではありません。karte はこれを info として報告し、数値には含めません。",
};

pub fn evaluate(cx: &Context) -> Outcome {
    let Some(iv) = cx.interval else {
        return Outcome::skipped("needs two readings (steal over an interval)");
    };
    let mut out = Vec::new();
    let bad: Vec<_> = iv
        .cpu_anomalies
        .iter()
        .filter(|a| a.mode == "steal")
        .collect();
    if !bad.is_empty() {
        let cpus: Vec<String> = bad
            .iter()
            .map(|a| {
                a.cpu
                    .map(|c| format!("cpu{c}"))
                    .unwrap_or_else(|| "cpu".into())
            })
            .collect();
        let what: Vec<String> = bad
            .iter()
            .map(|a| {
                let c = a
                    .cpu
                    .map(|c| format!("cpu{c}"))
                    .unwrap_or_else(|| "cpu (all)".into());
                match (&a.kind, cx.ja()) {
                    (AnomalyKind::Backwards { by_ticks }, false) => {
                        format!("{c}: steal went backwards by {by_ticks} ticks")
                    }
                    (AnomalyKind::Backwards { by_ticks }, true) => {
                        format!("{c}: steal が {by_ticks} tick 減少")
                    }
                    (
                        AnomalyKind::Jump {
                            by_ticks,
                            max_ticks,
                        },
                        false,
                    ) => format!(
                        "{c}: steal grew by {by_ticks} ticks where at most {max_ticks} can pass"
                    ),
                    (
                        AnomalyKind::Jump {
                            by_ticks,
                            max_ticks,
                        },
                        true,
                    ) => format!(
                        "{c}: steal が {by_ticks} tick 増加（実時間では最大 {max_ticks} tick）"
                    ),
                    (AnomalyKind::Reset, false) => format!("{c}: counters restarted"),
                    (AnomalyKind::Reset, true) => format!("{c}: カウンタがリセットされた"),
                }
            })
            .collect();
        out.push(Finding {
            rule: ID,
            severity: Severity::Info,
            title: cx.t("The steal counter is broken on this kernel (not real steal)", "steal カウンタが壊れています（本当のスチールではありません）").into(),
            summary: cx
                .t(
                    "The steal time reported by the kernel moved in a way no real CPU time can. This is a kernel or hypervisor accounting bug; it is left out of the shares, and monitoring that graphs %st on this host shows nonsense spikes.",
                    "カーネルが報告する steal 時間が、実際の CPU 時間ではありえない動きをしました。カーネルかハイパーバイザーの計上バグです。karte の集計からは除外しましたが、このホストで %st をグラフにしている監視では無意味な山が出ます。",
                )
                .into(),
            subjects: cpus,
            evidence: what,
            remedy: vec![cx
                .t(
                    "Update the kernel (several steal accounting fixes went into stable kernels); until then, ignore %st spikes on this host.",
                    "カーネルを更新してください（steal 計上の修正が安定版に何度か入っています）。それまではこのホストの %st の急上昇は無視してかまいません。",
                )
                .into()],
        });
    }
    let Some(cpu) = iv.cpu else {
        return Outcome::many(out);
    };
    let steal = cpu.steal_pct;
    if steal < WARNING_PCT {
        return Outcome::many(out);
    }
    let severity = if steal >= CRITICAL_PCT {
        Severity::Critical
    } else {
        Severity::Warning
    };
    let worst = iv
        .per_cpu
        .iter()
        .max_by(|a, b| a.1.steal_pct.total_cmp(&b.1.steal_pct));
    let own = 100.0 - cpu.idle_pct - cpu.iowait_pct - steal;
    let mut evidence = Vec::new();
    if cx.ja() {
        evidence.push(format!(
            "直近 {:.1} 秒: steal {}、この VM 自身の使用 {}、アイドル {}",
            iv.elapsed_secs,
            fmt::pct(steal),
            fmt::pct(own),
            fmt::pct(cpu.idle_pct)
        ));
        if let Some((n, s)) = worst {
            evidence.push(format!(
                "最も多い CPU: cpu{n} の steal {}",
                fmt::pct(s.steal_pct)
            ));
        }
    } else {
        evidence.push(format!(
            "last {:.1} s: steal {}, this VM's own use {}, idle {}",
            iv.elapsed_secs,
            fmt::pct(steal),
            fmt::pct(own),
            fmt::pct(cpu.idle_pct)
        ));
        if let Some((n, s)) = worst {
            evidence.push(format!(
                "worst CPU: cpu{n} with {} steal",
                fmt::pct(s.steal_pct)
            ));
        }
    }
    let p = fmt::pct(steal);
    out.push(Finding {
        rule: ID,
        severity,
        title: if cx.ja() { format!("CPU 時間の {p} がハイパーバイザーに奪われています") } else { format!("{p} of CPU time is stolen by the hypervisor") },
        summary: if cx.ja() {
            format!("この VM の CPU が動こうとした時間の {p} を、ホストが他の VM などに回しています。ホストが過剰に詰め込まれています。VM の中からは直せません。")
        } else {
            format!("The host gave {p} of this VM's CPU time to others while it wanted to run: the host is overcommitted. Nothing inside the VM fixes this.")
        },
        subjects: vec!["cpu".into()],
        evidence,
        remedy: if cx.ja() {
            vec![
                "事業者（またはホストの管理者）に連絡し、ホストの過負荷を伝えてください。別のホストへの移動（ライブマイグレーション）を依頼できます。".into(),
                "専有 vCPU（dedicated / CPU ピン留め）のプランに変えるか、vCPU 数を減らして待ち時間を減らすことを検討してください。".into(),
                "監視で %st（node_cpu_seconds_total{mode=\"steal\"}）を追い、時間帯による変化を事業者に示してください。".into(),
            ]
        } else {
            vec![
                "Tell the provider (or the host's admins) the host is overcommitted; ask to move the VM (live migration) to a less loaded host.".into(),
                "Consider dedicated vCPUs (CPU pinning) or fewer vCPUs, which wait less for a slot on the host.".into(),
                "Track %st (node_cpu_seconds_total{mode=\"steal\"}) over time to show the provider when it happens.".into(),
            ]
        },
    });
    Outcome::many(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;
    use crate::testkit::*;

    #[test]
    fn fires_at_thresholds() {
        let a = host(1000.0, 4, ticks(1000, 0, 500, 10_000, 0, 100), 1.0, 1);
        // 800 ticks pass (4 CPUs × 2 s): 280 steal = 35 %.
        let b = host(1002.0, 4, ticks(1150, 0, 550, 10_320, 0, 380), 1.0, 1);
        let iv = interval(&a, &b);
        let o = evaluate(&Context::pair(&a, &b, Some(&iv), Lang::En));
        assert_eq!(o.findings.len(), 1);
        assert_eq!(o.findings[0].severity, Severity::Critical);
        assert!(
            o.findings[0].title.contains("35 %"),
            "{}",
            o.findings[0].title
        );
        // 12.5 % → warning.
        let c = host(1002.0, 4, ticks(1300, 0, 600, 10_400, 0, 200), 1.0, 1);
        let iv = interval(&a, &c);
        let o = evaluate(&Context::pair(&a, &c, Some(&iv), Lang::Ja));
        assert_eq!(o.findings[0].severity, Severity::Warning);
        assert!(o.findings[0].title.contains("ハイパーバイザー"));
    }

    #[test]
    fn quiet_below_threshold_and_broken_counter_is_info() {
        let a = host(1000.0, 2, ticks(1000, 0, 500, 10_000, 0, 100), 0.1, 1);
        let b = host(1002.0, 2, ticks(1030, 0, 510, 10_355, 0, 105), 0.1, 1);
        let iv = interval(&a, &b);
        assert!(
            evaluate(&Context::pair(&a, &b, Some(&iv), Lang::En))
                .findings
                .is_empty()
        );
        // Steal jumps by far more than 2 s × 2 CPUs allows.
        let c = host(1002.0, 2, ticks(1030, 0, 510, 10_355, 0, 9_000_000), 0.1, 1);
        let iv = interval(&a, &c);
        let o = evaluate(&Context::pair(&a, &c, Some(&iv), Lang::En));
        assert_eq!(o.findings.len(), 1);
        assert_eq!(o.findings[0].severity, Severity::Info);
        assert!(o.findings[0].title.contains("broken"));
    }
}
