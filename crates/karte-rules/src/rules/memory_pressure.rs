//! `memory-pressure`: the host, or a cgroup, is short of memory.
//!
//! MemAvailable is the kernel's own estimate of what can be given to programs without swapping
//! (free memory plus reclaimable cache); PSI memory says how much of the time tasks stalled
//! waiting for memory. A cgroup can be short of memory on a host that is not: then its own limit
//! (memory.max) is what bites, and the kernel's memory.events count it.

use crate::context::{Context, Outcome};
use crate::fmt;
use crate::{Finding, RuleInfo, Severity};
use karte_snapshot::CgroupMemory;

pub const ID: &str = "memory-pressure";
/// MemAvailable below this share of RAM, with tasks stalling, is a warning.
pub const AVAILABLE_PCT: f64 = 10.0;
/// Below this share a warning even without stall figures (kernels without PSI).
pub const AVAILABLE_PCT_ALONE: f64 = 5.0;
/// Critical below this share.
pub const CRITICAL_AVAILABLE_PCT: f64 = 2.0;
/// PSI memory some (60 s average) from which tasks noticeably wait for memory.
pub const PSI_SOME_PCT: f64 = 10.0;
/// PSI memory full (60 s average): everything stalled together.
pub const PSI_FULL_PCT: f64 = 5.0;
pub const CRITICAL_PSI_FULL_PCT: f64 = 20.0;
/// A cgroup whose anonymous memory fills this share of its limit while it hits the limit.
pub const CGROUP_ANON_SHARE: f64 = 0.9;

pub const INFO: RuleInfo = RuleInfo {
    id: ID,
    title_en: "Memory is short",
    title_ja: "メモリが不足している",
    explain_en: "Host: fires when MemAvailable (the kernel's estimate of memory available to programs without swapping) is below 10 % of \
RAM and tasks stall on memory (PSI memory some, 60-second average, at least 10 %), or when tasks all stall together (PSI memory full \
at least 5 %), or when MemAvailable is below 5 % on a kernel without PSI. Critical below 2 % available or at 20 % full stall. Page \
cache is not counted as used: it is what MemAvailable adds back.\n\
cgroups: fires for a memory cgroup (a systemd unit, a container) whose usage hit its memory.max during the check (memory.events \
'max' grew) while anonymous memory fills at least 90 % of the limit — reclaim cannot help, the next step is the OOM killer inside \
that cgroup — or whose OOM counters grew during the check. Remedies: find the consumer; raise MemoryMax= for the unit if the \
service needs it; add RAM.",
    explain_ja: "ホスト全体: MemAvailable（スワップせずにプログラムへ渡せるメモリのカーネルによる推定値）が RAM の 10 % 未満で、かつタスクがメモリ待ちで止まっている（PSI memory some の60秒平均が 10 % 以上）とき、全タスクが同時に止まっている（PSI memory full が 5 % 以上）とき、PSI のないカーネルで MemAvailable が 5 % 未満のときに検出します。\
利用可能 2 % 未満、または full が 20 % 以上なら critical です。ページキャッシュは使用中とはみなしません（MemAvailable が足し戻している分です）。\n\
cgroup: メモリ cgroup（systemd のユニットやコンテナ）が確認中に memory.max に達し（memory.events の max が増加）、かつ無名メモリが上限の 90 % 以上を占めているとき（回収では解決できず、次はその cgroup 内で OOM キラーが動きます）、または OOM のカウンタが増えたときに検出します。\
対策: 消費しているものを特定する、サービスが本当に必要とするならユニットの MemoryMax= を上げる、RAM を増やす。",
};

fn unit(path: &str) -> String {
    karte_procfs::cgroup::unit_of_path(path).unwrap_or_else(|| path.to_string())
}

fn cgroup_finding(
    cx: &Context,
    cg: &CgroupMemory,
    before: Option<&CgroupMemory>,
) -> Option<Finding> {
    let limit = cg.limit_bytes?;
    let usage = cg.usage_bytes?;
    let grew = |k: &str| match (before.and_then(|b| b.event(k)), cg.event(k)) {
        (Some(b), Some(a)) => a.saturating_sub(b),
        _ => 0,
    };
    let failcnt_grew = match (before.and_then(|b| b.failcnt), cg.failcnt) {
        (Some(b), Some(a)) => a.saturating_sub(b),
        _ => 0,
    };
    let hits = grew("max") + failcnt_grew;
    let ooms = grew("oom") + grew("oom_kill");
    let anon = karte_procfs::kv::get(&cg.stat, "anon").unwrap_or(0);
    let anon_full = anon as f64 >= CGROUP_ANON_SHARE * limit as f64;
    if !(ooms > 0 || (hits > 0 && anon_full)) {
        return None;
    }
    let name = unit(&cg.path);
    let ja = cx.ja();
    let evidence = vec![
        if ja {
            format!(
                "{}: 使用 {} / 上限 {}（無名メモリ {}）",
                cg.path,
                fmt::bytes(usage),
                fmt::bytes(limit),
                fmt::bytes(anon)
            )
        } else {
            format!(
                "{}: usage {} of limit {} ({} anonymous)",
                cg.path,
                fmt::bytes(usage),
                fmt::bytes(limit),
                fmt::bytes(anon)
            )
        },
        if ja {
            format!("確認中に上限到達 {hits} 回、OOM {ooms} 回（memory.events / failcnt）")
        } else {
            format!(
                "during the check: limit reached {hits} times, OOM {ooms} times (memory.events / failcnt)"
            )
        },
    ];
    Some(Finding {
        rule: ID,
        severity: if ooms > 0 {
            Severity::Critical
        } else {
            Severity::Warning
        },
        title: if ja {
            format!("{name} がメモリ上限に達しています")
        } else {
            format!("{name} is at its memory limit")
        },
        summary: if ja {
            format!(
                "{name} の cgroup は memory.max（{}）に達しており、中身はほとんど回収できない無名メモリです。ホストに空きがあっても、この cgroup の中では次に OOM キラーが動きます。",
                fmt::bytes(limit)
            )
        } else {
            format!(
                "The cgroup of {name} has reached its memory.max ({}) and holds mostly anonymous memory, which reclaim cannot free: even with memory free on the host, the OOM killer is next inside this cgroup.",
                fmt::bytes(limit)
            )
        },
        subjects: vec![name.clone(), cg.path.clone()],
        evidence,
        remedy: if ja {
            vec![
                format!("サービスが本当にそれだけ必要なら上限を上げます: systemctl set-property {name} MemoryMax=…（コンテナならそのメモリ制限）。"),
                "そうでなければ、そのサービスのメモリ使用（リークや設定、キャッシュの上限）を見直してください。".into(),
            ]
        } else {
            vec![
                format!(
                    "If the service needs that much, raise the limit: systemctl set-property {name} MemoryMax=… (for a container, its memory limit)."
                ),
                "Otherwise look at why the service uses it (a leak, its cache settings).".into(),
            ]
        },
    })
}

pub fn evaluate(cx: &Context) -> Outcome {
    let s = cx.now;
    let (Some(avail), Some(total)) = (s.mem_kb("MemAvailable"), s.mem_kb("MemTotal")) else {
        return Outcome::skipped("no MemAvailable in meminfo (kernel before 3.14)");
    };
    let mut out = Vec::new();
    let avail_pct = if total > 0 {
        avail as f64 * 100.0 / total as f64
    } else {
        100.0
    };
    let psi = s.pressure.memory;
    // The kernel's own 60 s averages when read from /proc; over the interval from the stall
    // totals otherwise (metrics from Prometheus carry only the totals).
    let iv_psi = cx.interval.map(|iv| iv.psi_memory);
    let some60 = psi
        .and_then(|p| p.some)
        .map(|l| l.avg60_pct)
        .or_else(|| iv_psi.and_then(|p| p.some_pct));
    let full60 = psi
        .and_then(|p| p.full)
        .map(|l| l.avg60_pct)
        .or_else(|| iv_psi.and_then(|p| p.full_pct));
    let full10 = psi
        .and_then(|p| p.full)
        .map(|l| l.avg10_pct)
        .or_else(|| iv_psi.and_then(|p| p.full_pct));
    let host_short = match some60 {
        Some(some) => {
            (avail_pct < AVAILABLE_PCT && some >= PSI_SOME_PCT)
                || full60.is_some_and(|f| f >= PSI_FULL_PCT)
        }
        None => avail_pct < AVAILABLE_PCT_ALONE,
    };
    if host_short {
        let severity = if avail_pct < CRITICAL_AVAILABLE_PCT
            || full10.is_some_and(|f| f >= CRITICAL_PSI_FULL_PCT)
        {
            Severity::Critical
        } else {
            Severity::Warning
        };
        let ja = cx.ja();
        let mut evidence = vec![if ja {
            format!(
                "利用可能メモリ {}（RAM {} の {}）",
                fmt::kb(avail),
                fmt::kb(total),
                fmt::pct(avail_pct)
            )
        } else {
            format!(
                "MemAvailable {} ({} of {} RAM)",
                fmt::kb(avail),
                fmt::pct(avail_pct),
                fmt::kb(total)
            )
        }];
        if let Some(some) = some60 {
            evidence.push(if ja {
                format!(
                    "メモリ待ちの時間（PSI、60秒平均）: some {}、full {}",
                    fmt::pct(some),
                    full60.map(fmt::pct).unwrap_or_else(|| "-".into())
                )
            } else {
                format!(
                    "time stalled on memory (PSI, 60 s average): some {}, full {}",
                    fmt::pct(some),
                    full60.map(fmt::pct).unwrap_or_else(|| "-".into())
                )
            });
        }
        let mut big: Vec<_> = s
            .processes
            .iter()
            .filter(|p| !p.is_kernel_thread())
            .map(|p| (p.rss_kb(s.host.page_size_bytes), p))
            .collect();
        big.sort_by_key(|(r, _)| std::cmp::Reverse(*r));
        for (rss, p) in big.iter().take(5) {
            evidence.push(format!(
                "pid {} {}: RSS {}",
                p.pid(),
                p.short_name(crate::fmt::NAME_MAX),
                fmt::kb(*rss)
            ));
        }
        out.push(Finding {
            rule: ID,
            severity,
            title: if ja {
                format!("メモリ不足: 利用可能なメモリは {}（{}）です", fmt::kb(avail), fmt::pct(avail_pct))
            } else {
                format!("Memory is short: {} available ({})", fmt::kb(avail), fmt::pct(avail_pct))
            },
            summary: cx
                .t(
                    "Little memory is left for programs and tasks are waiting for memory to be reclaimed. Next come heavy swapping and the OOM killer. The largest processes are listed below.",
                    "プログラムに渡せるメモリがほとんど残っておらず、タスクがメモリの回収を待っています。この先は激しいスワップと OOM キラーです。大きなプロセスを下に示します。",
                )
                .into(),
            subjects: big.iter().take(5).map(|(_, p)| p.stat.comm.clone()).collect(),
            evidence,
            remedy: if ja {
                vec![
                    "大きなプロセスが想定どおりの大きさか確認し、リークや設定ミス（キャッシュの上限など）を調べてください。".into(),
                    "サービスごとに systemd の MemoryHigh= / MemoryMax= を設定して、1つのサービスがホスト全体を巻き込まないようにします。".into(),
                    "恒常的なら RAM を増やしてください。".into(),
                ]
            } else {
                vec![
                    "Check that the largest processes are as large as they should be: a leak, or a cache without a limit.".into(),
                    "Give services systemd MemoryHigh=/MemoryMax= so that one service cannot take the whole host down.".into(),
                    "If this is the normal load, add RAM.".into(),
                ]
            },
        });
    }
    for cg in &s.cgroups {
        let before = cx.before.and_then(|b| b.cgroup(&cg.path));
        if let Some(f) = cgroup_finding(cx, cg, before) {
            out.push(f);
        }
    }
    Outcome::many(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;
    use crate::testkit::*;
    use karte_procfs::meminfo::{MemField, MemInfo};
    use karte_procfs::pressure::{Pressure, PsiLine};

    fn mem(s: &mut karte_snapshot::Snapshot, total: u64, avail: u64, some: f64, full: f64) {
        s.meminfo = Some(MemInfo {
            fields: vec![
                MemField {
                    name: "MemTotal".into(),
                    value: total,
                    in_kb: true,
                },
                MemField {
                    name: "MemAvailable".into(),
                    value: avail,
                    in_kb: true,
                },
            ],
            skipped_lines: 0,
        });
        let l = |v: f64| PsiLine {
            avg10_pct: v,
            avg60_pct: v,
            avg300_pct: v,
            total_us: 0,
        };
        s.pressure.memory = Some(Pressure {
            some: Some(l(some)),
            full: Some(l(full)),
        });
    }

    #[test]
    fn host_short_of_memory() {
        let mut s = host(1000.0, 2, ticks(1, 0, 1, 1, 0, 0), 1.0, 1);
        mem(&mut s, 8 << 20, 400 << 10, 25.0, 3.0);
        let o = evaluate(&Context::single(&s, Lang::En));
        assert_eq!(o.findings.len(), 1);
        assert_eq!(o.findings[0].severity, Severity::Warning);
        // Plenty available, no stall: quiet. Low available without stall: quiet.
        mem(&mut s, 8 << 20, 4 << 20, 0.0, 0.0);
        assert!(evaluate(&Context::single(&s, Lang::En)).findings.is_empty());
        mem(&mut s, 8 << 20, 600 << 10, 0.5, 0.0);
        assert!(evaluate(&Context::single(&s, Lang::En)).findings.is_empty());
    }

    #[test]
    fn cgroup_at_limit() {
        let mut a = host(1000.0, 2, ticks(1, 0, 1, 1, 0, 0), 1.0, 1);
        mem(&mut a, 8 << 20, 6 << 20, 0.0, 0.0);
        let mut b = a.clone();
        let cg = |max: u64| CgroupMemory {
            path: "/system.slice/app.service".into(),
            version: 2,
            limit_bytes: Some(1 << 30),
            usage_bytes: Some(1 << 30),
            events: vec![
                ("max".into(), max),
                ("oom".into(), 0),
                ("oom_kill".into(), 0),
            ],
            stat: vec![("anon".into(), 1000 << 20)],
            ..Default::default()
        };
        a.cgroups = vec![cg(10)];
        b.cgroups = vec![cg(50)];
        let o = evaluate(&Context::pair(&a, &b, None, Lang::En));
        assert_eq!(o.findings.len(), 1);
        assert!(o.findings[0].title.contains("app.service"));
        b.cgroups = vec![cg(10)];
        assert!(
            evaluate(&Context::pair(&a, &b, None, Lang::En))
                .findings
                .is_empty()
        );
    }
}
