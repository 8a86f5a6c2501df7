//! `swap-thrashing`: pages are read back from swap steadily while tasks stall on memory.
//!
//! Swap-out alone is housekeeping (cold pages leave RAM). Steady swap-*in* means the pages were
//! needed again: the working set does not fit, and every touch of a swapped page is a disk read
//! that the task waits for. PSI memory says how much of the time tasks actually stalled.

use crate::context::{Context, Outcome};
use crate::fmt;
use crate::{Finding, RuleInfo, Severity};

pub const ID: &str = "swap-thrashing";
/// Pages swapped in per second from which it is steady work (about 400 KiB/s with 4 KiB pages).
pub const SWAP_IN_PAGES_PER_SEC: f64 = 100.0;
/// Share of time tasks stalled on memory (PSI memory some) that users feel.
pub const PSI_SOME_PCT: f64 = 10.0;
/// Critical: a thousand pages a second, or all tasks stalled a fifth of the time.
pub const CRITICAL_SWAP_IN_PAGES_PER_SEC: f64 = 1000.0;
pub const CRITICAL_PSI_FULL_PCT: f64 = 20.0;

pub const INFO: RuleInfo = RuleInfo {
    id: ID,
    title_en: "Memory is thrashing: steady swap-in",
    title_ja: "スワップインが続き、メモリがスラッシングしている",
    explain_en: "Swap-out alone is normal: the kernel moves cold pages out of RAM. Swap-in (pswpin in /proc/vmstat) means pages that \
were moved out are needed again; when it is steady, the working set does not fit in RAM and programs wait for the disk on ordinary \
memory accesses. Fires when at least 100 pages per second were swapped in over the interval and, where the kernel has PSI, tasks \
stalled on memory at least 10 % of the time (without PSI, swap-out must be happening too). Critical from 1000 pages per second or \
when all tasks stalled together (PSI memory full) 20 % of the time. Remedies: reduce the working set (find the largest processes), \
add RAM, cap the culprit with MemoryMax=/MemoryHigh=; vm.swappiness only shifts what is evicted, it does not create memory.",
    explain_ja: "スワップアウトだけなら正常で、カーネルが使われないページを RAM から追い出しているだけです。スワップイン（/proc/vmstat の pswpin）は、追い出したページが再び必要になったということです。\
これが続くなら作業領域が RAM に収まっておらず、普通のメモリアクセスのたびにディスクを待っています。区間内で毎秒 100 ページ以上のスワップインがあり、PSI のあるカーネルではタスクが時間の 10 % 以上メモリ待ちで止まっていた（PSI がなければスワップアウトも同時に起きていた）ときに検出します。\
毎秒 1000 ページ以上、または全タスクが同時に止まった時間（PSI memory full）が 20 % 以上なら critical です。\
対策: 作業領域を減らす（大きなプロセスを特定する）、RAM を増やす、原因のプロセスを MemoryMax=/MemoryHigh= で制限する。vm.swappiness は何を追い出すかを変えるだけで、メモリを増やすわけではありません。",
};

pub fn evaluate(cx: &Context) -> Outcome {
    let Some(iv) = cx.interval else {
        return Outcome::skipped("needs two readings (swap counters over an interval)");
    };
    let Some(sin) = iv.swap_in_pages_per_sec else {
        return Outcome::skipped("no pswpin in /proc/vmstat");
    };
    let sout = iv.swap_out_pages_per_sec.unwrap_or(0.0);
    if sin < SWAP_IN_PAGES_PER_SEC {
        return Outcome::quiet();
    }
    let psi_some = iv.psi_memory.some_pct.or_else(|| {
        cx.now
            .pressure
            .memory
            .and_then(|p| p.some)
            .map(|l| l.avg10_pct)
    });
    let psi_full = iv.psi_memory.full_pct.or_else(|| {
        cx.now
            .pressure
            .memory
            .and_then(|p| p.full)
            .map(|l| l.avg10_pct)
    });
    match psi_some {
        Some(p) if p < PSI_SOME_PCT => return Outcome::quiet(),
        None if sout <= 0.0 => return Outcome::quiet(),
        _ => {}
    }
    let severity = if sin >= CRITICAL_SWAP_IN_PAGES_PER_SEC
        || psi_full.is_some_and(|f| f >= CRITICAL_PSI_FULL_PCT)
    {
        Severity::Critical
    } else {
        Severity::Warning
    };
    let page = u64::from(cx.now.host.page_size_bytes);
    let ja = cx.ja();
    let mut evidence = vec![if ja {
        format!(
            "スワップイン 毎秒 {} ページ（{}/s）、スワップアウト 毎秒 {} ページ",
            fmt::rate(sin),
            fmt::bytes((sin * page as f64) as u64),
            fmt::rate(sout)
        )
    } else {
        format!(
            "swap-in {} pages/s ({}/s), swap-out {} pages/s",
            fmt::rate(sin),
            fmt::bytes((sin * page as f64) as u64),
            fmt::rate(sout)
        )
    }];
    if let Some(p) = psi_some {
        evidence.push(if ja {
            format!(
                "メモリ待ちで止まったタスク（PSI memory some）: 時間の {}、全タスク（full）: {}",
                fmt::pct(p),
                psi_full.map(fmt::pct).unwrap_or_else(|| "-".into())
            )
        } else {
            format!(
                "tasks stalled on memory (PSI memory some) {} of the time, all tasks (full) {}",
                fmt::pct(p),
                psi_full.map(fmt::pct).unwrap_or_else(|| "-".into())
            )
        });
    }
    if let (Some(avail), Some(total)) = (cx.now.mem_kb("MemAvailable"), cx.now.mem_kb("MemTotal")) {
        let swap_used = cx
            .now
            .mem_kb("SwapTotal")
            .zip(cx.now.mem_kb("SwapFree"))
            .map(|(t, f)| t.saturating_sub(f));
        evidence.push(if ja {
            format!(
                "利用可能メモリ {} / {}、使用中のスワップ {}",
                fmt::kb(avail),
                fmt::kb(total),
                swap_used.map(fmt::kb).unwrap_or_else(|| "-".into())
            )
        } else {
            format!(
                "MemAvailable {} of {}, swap in use {}",
                fmt::kb(avail),
                fmt::kb(total),
                swap_used.map(fmt::kb).unwrap_or_else(|| "-".into())
            )
        });
    }
    let mut swappers: Vec<_> = cx
        .now
        .processes
        .iter()
        .filter_map(|p| {
            p.status
                .as_ref()
                .and_then(|s| s.vm_swap_kb)
                .filter(|v| *v > 0)
                .map(|v| (v, p))
        })
        .collect();
    swappers.sort_by_key(|(v, _)| std::cmp::Reverse(*v));
    for (v, p) in swappers.iter().take(5) {
        evidence.push(if ja {
            format!(
                "pid {} {}: スワップ上 {}",
                p.pid(),
                p.short_name(crate::fmt::NAME_MAX),
                fmt::kb(*v)
            )
        } else {
            format!(
                "pid {} {}: {} in swap",
                p.pid(),
                p.short_name(crate::fmt::NAME_MAX),
                fmt::kb(*v)
            )
        });
    }
    Outcome::one(Finding {
        rule: ID,
        severity,
        title: if ja {
            format!("スラッシング: 毎秒 {} ページをスワップから読み戻しています", fmt::rate(sin))
        } else {
            format!("Thrashing: {} pages/s read back from swap", fmt::rate(sin))
        },
        summary: cx
            .t(
                "Pages that were swapped out are needed again, steadily: the programs' working set does not fit in RAM, and they wait for the disk on ordinary memory accesses. Everything on the host slows down.",
                "スワップに追い出したページが繰り返し必要になっています。プログラムの作業領域が RAM に収まらず、普通のメモリアクセスのたびにディスクを待っているため、ホスト全体が遅くなっています。",
            )
            .into(),
        subjects: swappers.iter().take(5).map(|(_, p)| p.stat.comm.clone()).collect(),
        evidence,
        remedy: if ja {
            vec![
                "メモリを多く使っているプロセスを特定し、減らすか別のマシンへ移してください。".into(),
                "原因のサービスには systemd の MemoryHigh=（回収を促す）や MemoryMax=（上限）を設定できます。".into(),
                "恒常的なら RAM を増やしてください。vm.swappiness の変更は何を追い出すかを変えるだけで、足りないメモリは増えません。".into(),
            ]
        } else {
            vec![
                "Find the processes with the largest memory and reduce or move them.".into(),
                "Cap the culprit service with systemd MemoryHigh= (reclaim pressure) or MemoryMax= (hard limit).".into(),
                "If this is the normal load, add RAM. Changing vm.swappiness only shifts what is evicted; it does not make the memory fit.".into(),
            ]
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;
    use crate::testkit::*;
    use karte_procfs::vmstat::VmStat;

    fn vm(s: &mut karte_snapshot::Snapshot, pswpin: u64, pswpout: u64) {
        s.vmstat = Some(VmStat {
            fields: vec![("pswpin".into(), pswpin), ("pswpout".into(), pswpout)],
            skipped_lines: 0,
        });
    }

    #[test]
    fn steady_swap_in_fires_and_swap_out_alone_does_not() {
        let mut a = host(1000.0, 2, ticks(100, 0, 100, 10_000, 0, 0), 1.0, 1);
        let mut b = host(1002.0, 2, ticks(102, 0, 102, 10_396, 0, 0), 1.0, 1);
        vm(&mut a, 1000, 1000);
        vm(&mut b, 1600, 1400);
        let iv = interval(&a, &b);
        let o = evaluate(&Context::pair(&a, &b, Some(&iv), Lang::En));
        assert_eq!(o.findings.len(), 1, "{o:?}");
        vm(&mut b, 1010, 9000);
        let iv = interval(&a, &b);
        assert!(
            evaluate(&Context::pair(&a, &b, Some(&iv), Lang::En))
                .findings
                .is_empty()
        );
    }
}
