//! `overcommit-risk`: under strict overcommit, committed memory is near the commit limit.
//!
//! vm.overcommit_memory: 0 = heuristic (refuse only absurd requests), 1 = always allow, 2 =
//! never overcommit: Committed_AS may not exceed CommitLimit = swap + RAM × overcommit_ratio/100
//! (or + overcommit_kbytes). In mode 2 allocations fail — malloc returns NULL, fork fails with
//! ENOMEM — once the limit is reached, however much memory is actually free.

use crate::context::{Context, Outcome};
use crate::fmt;
use crate::{Finding, RuleInfo, Severity};

pub const ID: &str = "overcommit-risk";
pub const WARNING_SHARE: f64 = 0.90;
pub const CRITICAL_SHARE: f64 = 0.98;

pub const INFO: RuleInfo = RuleInfo {
    id: ID,
    title_en: "Memory allocations are about to fail (strict overcommit)",
    title_ja: "メモリ確保が失敗しかけている（厳格なオーバーコミット設定）",
    explain_en: "vm.overcommit_memory decides whether the kernel promises more memory than it has. 0 (the default) uses a heuristic and \
refuses only requests larger than RAM + swap; 1 always says yes (the OOM killer settles the bill later); 2 never overcommits: the \
sum of all promises (Committed_AS in /proc/meminfo) may not exceed CommitLimit = swap + RAM × vm.overcommit_ratio / 100 (or + \
vm.overcommit_kbytes). In mode 2, once Committed_AS reaches CommitLimit every new allocation fails — malloc returns NULL, fork and \
thread creation fail with ENOMEM — even if much of RAM is free (with the default ratio of 50 and no swap, half of RAM can never be \
promised). Fires in mode 2 at 90 % of CommitLimit (warning) and 98 % (critical). Remedies: raise vm.overcommit_ratio (or set \
vm.overcommit_kbytes), add swap (it counts fully towards the limit), or find the process that reserves much more than it uses \
(large Committed_AS with small RSS: JVM heaps, preforking servers).",
    explain_ja: "vm.overcommit_memory は、カーネルが持っている以上のメモリを約束するかどうかを決めます。0（既定）はヒューリスティックで、RAM + スワップより大きい要求だけを断ります。1 は常に許可します（あとで OOM キラーが精算します）。2 はオーバーコミットしません。\
約束の合計（/proc/meminfo の Committed_AS）は CommitLimit = スワップ + RAM × vm.overcommit_ratio / 100（または + vm.overcommit_kbytes）を超えられません。\
モード 2 で Committed_AS が CommitLimit に達すると、RAM に空きがあっても新しい確保はすべて失敗します（malloc が NULL を返し、fork やスレッド作成が ENOMEM で失敗）。既定の ratio 50 でスワップがなければ、RAM の半分は決して約束できません。\
モード 2 で CommitLimit の 90 % に達すると warning、98 % で critical です。対策: vm.overcommit_ratio を上げる（または vm.overcommit_kbytes を設定する）、スワップを追加する（上限に全量が加算されます）、使う量よりはるかに多く確保しているプロセス（RSS が小さいのに確保が大きいもの。JVM のヒープ、プリフォーク型サーバなど）を特定する。",
};

pub fn evaluate(cx: &Context) -> Outcome {
    let s = cx.now;
    let Some(mode) = s.sysctls.get("vm.overcommit_memory") else {
        return Outcome::skipped("vm.overcommit_memory not read");
    };
    if mode != 2 {
        return Outcome::quiet();
    }
    let (Some(committed), Some(limit)) = (s.mem_kb("Committed_AS"), s.mem_kb("CommitLimit")) else {
        return Outcome::skipped("no Committed_AS/CommitLimit in meminfo");
    };
    if limit == 0 {
        return Outcome::quiet();
    }
    let share = committed as f64 / limit as f64;
    if share < WARNING_SHARE {
        return Outcome::quiet();
    }
    let severity = if share >= CRITICAL_SHARE {
        Severity::Critical
    } else {
        Severity::Warning
    };
    let ja = cx.ja();
    let ratio = s
        .sysctls
        .get("vm.overcommit_ratio")
        .map(|v| v.to_string())
        .unwrap_or_else(|| "?".into());
    let kbytes = s
        .sysctls
        .get("vm.overcommit_kbytes")
        .map(|v| v.to_string())
        .unwrap_or_else(|| "?".into());
    let total = s.mem_kb("MemTotal").unwrap_or(0);
    let swap = s.mem_kb("SwapTotal").unwrap_or(0);
    let avail = s.mem_kb("MemAvailable");
    let pct = fmt::pct(share * 100.0);
    let evidence = vec![
        format!("vm.overcommit_memory=2 vm.overcommit_ratio={ratio} vm.overcommit_kbytes={kbytes}"),
        if ja {
            format!(
                "Committed_AS {} / CommitLimit {}（{pct}）。RAM {}、スワップ {}、利用可能 {}",
                fmt::kb(committed),
                fmt::kb(limit),
                fmt::kb(total),
                fmt::kb(swap),
                avail.map(fmt::kb).unwrap_or_else(|| "-".into())
            )
        } else {
            format!(
                "Committed_AS {} of CommitLimit {} ({pct}); RAM {}, swap {}, available {}",
                fmt::kb(committed),
                fmt::kb(limit),
                fmt::kb(total),
                fmt::kb(swap),
                avail.map(fmt::kb).unwrap_or_else(|| "-".into())
            )
        },
    ];
    Outcome::one(Finding {
        rule: ID,
        severity,
        title: if ja { format!("確保済みメモリが上限の {pct} に達しています（overcommit_memory=2）") } else { format!("Committed memory at {pct} of the commit limit (overcommit_memory=2)") },
        summary: cx
            .t(
                "This host never overcommits memory (vm.overcommit_memory=2), and the memory promised to programs is nearly at the limit. New allocations will fail — malloc returns NULL, fork fails — even though RAM may still be free.",
                "このホストはメモリをオーバーコミットしない設定（vm.overcommit_memory=2）で、プログラムに約束したメモリが上限に迫っています。RAM に空きがあっても、新しい確保は失敗します（malloc が NULL を返し、fork が失敗します）。",
            )
            .into(),
        subjects: vec!["vm.overcommit_memory".into()],
        evidence,
        remedy: if ja {
            vec![
                "上限を上げます: sysctl -w vm.overcommit_ratio=80（または vm.overcommit_kbytes を設定。/etc/sysctl.d/ で恒久化）。".into(),
                "スワップを追加すると、その全量が CommitLimit に加わります。".into(),
                "使う量よりはるかに多くを確保しているプロセス（/proc/PID/status の VmSize が RSS よりずっと大きいもの）を探してください。".into(),
                "厳格なモードが不要なら vm.overcommit_memory=0 に戻すこともできます（その代わり不足時は OOM キラーが動きます）。".into(),
            ]
        } else {
            vec![
                "Raise the limit: sysctl -w vm.overcommit_ratio=80 (or set vm.overcommit_kbytes; persist in /etc/sysctl.d/).".into(),
                "Adding swap raises CommitLimit by all of it.".into(),
                "Find the process that reserves much more than it uses (VmSize far above VmRSS in /proc/PID/status).".into(),
                "If strict accounting is not needed, vm.overcommit_memory=0 restores the default (then the OOM killer handles shortage instead).".into(),
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

    fn setup(mode: i64, committed: u64) -> karte_snapshot::Snapshot {
        let mut s = host(1000.0, 2, ticks(1, 0, 1, 1, 0, 0), 1.0, 1);
        s.sysctls.values = vec![
            ("vm.overcommit_memory".into(), mode),
            ("vm.overcommit_ratio".into(), 50),
        ];
        s.meminfo = Some(MemInfo {
            fields: [
                ("MemTotal", 8 << 20),
                ("CommitLimit", 4 << 20),
                ("Committed_AS", committed),
            ]
            .iter()
            .map(|(n, v)| MemField {
                name: n.to_string(),
                value: *v,
                in_kb: true,
            })
            .collect(),
            skipped_lines: 0,
        });
        s
    }

    #[test]
    fn strict_mode_near_limit() {
        let s = setup(2, 4_000_000);
        let o = evaluate(&Context::single(&s, Lang::En));
        assert_eq!(o.findings[0].severity, Severity::Warning);
        let s = setup(2, 4_190_000);
        assert_eq!(
            evaluate(&Context::single(&s, Lang::En)).findings[0].severity,
            Severity::Critical
        );
        // Far from the limit, or a permissive mode: quiet.
        assert!(
            evaluate(&Context::single(&setup(2, 1 << 20), Lang::En))
                .findings
                .is_empty()
        );
        assert!(
            evaluate(&Context::single(&setup(0, 9 << 20), Lang::En))
                .findings
                .is_empty()
        );
    }
}
