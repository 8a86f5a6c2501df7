//! `oom-kill`: processes killed by the OOM killer — which, when, how big, by which limit, and
//! the most likely reason memory ran out.
//!
//! The kernel log is the only witness of a vanished process. One report holds the victim, the
//! constraint (global, a memory cgroup's limit, a cpuset, a NUMA policy), the memory state
//! (free, dirty, writeback, slab, swap) and the task table; from those the rule picks the cause
//! whose evidence is strongest and says what to change. Choosing a different victim with
//! oom_score_adj fixes nothing: memory still runs out.

use crate::context::{Context, Outcome};
use crate::fmt;
use crate::{Finding, RuleInfo, Severity};
use karte_kmsg::{Constraint, Event, OomKill};

pub const ID: &str = "oom-kill";
/// A kill this recent (by the log's own clock against the reading's uptime) is critical: the
/// victim is probably still missing.
pub const RECENT_SECS: f64 = 3600.0;
/// Older than this, a kill is history (info): a monitoring check should not stay in warning for
/// the rest of the boot because of one kill days ago.
pub const STALE_SECS: f64 = 86_400.0;
/// Dirty + writeback at the time of the kill above this share of RAM: memory held hostage by
/// slow storage.
pub const DIRTY_SHARE: f64 = 0.10;
/// Unreclaimable slab above this share of RAM: the kernel itself holds the memory.
pub const SLAB_SHARE: f64 = 0.30;
/// One task holding this share of RAM: a leak or an undersized host for it.
pub const HOG_SHARE: f64 = 0.50;
/// Free swap below this share of total: swap was exhausted.
pub const SWAP_FREE_SHARE: f64 = 0.05;

pub const INFO: RuleInfo = RuleInfo {
    id: ID,
    title_en: "Processes were killed by the OOM killer",
    title_ja: "OOM キラーがプロセスを強制終了した",
    explain_en: "Reads every OOM report in the kernel log (any format: /dev/kmsg, dmesg, journalctl, syslog files) and says which process \
was killed, when, how large it was, and which limit ran out: the whole machine (global), a memory cgroup's limit (a systemd unit or \
container, named from the cgroup path), a cpuset, or a NUMA memory policy. It then names the most likely reason from the report's \
own memory figures: dirty and writeback pages at 10 % of RAM or more (memory held by data waiting for slow storage: see \
dirty-writeback), unreclaimable kernel slab at 30 % of RAM or more (a kernel-side leak), one task holding half of RAM or more (a \
leak, or the host is too small for it), swap exhausted or absent, or a cgroup limit below what the service needs. Critical when a \
kill happened within the last hour of the reading, warning within a day (or when its time is unknown), info when older. When the \
log is gone but /proc/vmstat's oom_kill counter is not zero, it says so (info). Remedies per cause: storage and vm.dirty_bytes, swap and vm.swappiness, MemoryMax= for the unit, more memory; \
to investigate, vm.panic_on_oom=1 with kdump captures the whole state. Lowering a process's oom_score_adj only makes the killer pick \
another victim: it fixes nothing.",
    explain_ja: "カーネルログ（/dev/kmsg、dmesg、journalctl、syslog など形式は問いません）にある OOM の報告をすべて読み、どのプロセスが、いつ、どれくらいの大きさで強制終了されたか、どの上限が尽きたか（マシン全体、メモリ cgroup の上限＝systemd ユニットやコンテナ、cpuset、NUMA メモリポリシー）を示します。\
さらに報告内のメモリの数値から最も可能性の高い原因を挙げます。RAM の 10 % 以上がダーティ・書き出し中のページ（遅いストレージを待つデータがメモリを占有。dirty-writeback 参照）、RAM の 30 % 以上が回収できないカーネルのスラブ（カーネル側のリーク）、1つのタスクが RAM の半分以上（リーク、またはホストが小さすぎる）、スワップの枯渇・未設定、サービスに必要な量より小さい cgroup の上限、などです。\
読み取り時点から1時間以内の強制終了は critical、1日以内（または時刻不明）は warning、それより古ければ info です。ログが残っていなくても /proc/vmstat の oom_kill が 0 でなければそのことを伝えます（info）。\
原因ごとの対策: ストレージと vm.dirty_bytes、スワップと vm.swappiness、ユニットの MemoryMax=、メモリの増設。調査には vm.panic_on_oom=1 と kdump で状態全体を保存できます。\
oom_score_adj を下げても別のプロセスが選ばれるだけで、何も解決しません。",
};

/// Why memory ran out, as far as the report shows.
#[derive(Debug, Clone, PartialEq)]
enum Cause {
    Cgroup {
        limit_kb: Option<u64>,
        usage_kb: Option<u64>,
    },
    Cpuset,
    Mempolicy,
    Dirty {
        dirty_kb: u64,
        writeback_kb: u64,
        ram_kb: u64,
    },
    Slab {
        slab_kb: u64,
        ram_kb: u64,
    },
    Hog {
        comm: String,
        rss_kb: u64,
        ram_kb: u64,
    },
    SwapExhausted {
        total_kb: u64,
    },
    NoSwap,
    Unknown,
}

fn ram_kb(k: &OomKill, cx: &Context) -> Option<u64> {
    k.mem
        .as_ref()
        .and_then(|m| m.ram_kb)
        .or_else(|| cx.now.mem_kb("MemTotal"))
        .filter(|v| *v > 0)
}

fn cause(k: &OomKill, cx: &Context) -> Cause {
    let memcg = k.constraint == Some(Constraint::Memcg)
        || k.reason.as_deref().is_some_and(|r| r.contains("cgroup"));
    if memcg {
        let m = k.memcg_mem.as_ref();
        return Cause::Cgroup {
            limit_kb: m.and_then(|m| m.limit_kb),
            usage_kb: m.and_then(|m| m.usage_kb),
        };
    }
    match k.constraint {
        Some(Constraint::Cpuset) => return Cause::Cpuset,
        Some(Constraint::Mempolicy) => return Cause::Mempolicy,
        _ => {}
    }
    let ram = ram_kb(k, cx);
    if let (Some(m), Some(ram)) = (&k.mem, ram) {
        let dirty = m.dirty_kb.unwrap_or(0);
        let wb = m.writeback_kb.unwrap_or(0);
        if (dirty + wb) as f64 >= DIRTY_SHARE * ram as f64 {
            return Cause::Dirty {
                dirty_kb: dirty,
                writeback_kb: wb,
                ram_kb: ram,
            };
        }
        if let Some(slab) = m
            .slab_unreclaimable_kb
            .filter(|s| *s as f64 >= SLAB_SHARE * ram as f64)
        {
            return Cause::Slab {
                slab_kb: slab,
                ram_kb: ram,
            };
        }
    }
    if let (Some(top), Some(ram)) = (k.largest_tasks.first(), ram)
        && let Some(rss) = top.rss_kb.filter(|r| *r as f64 >= HOG_SHARE * ram as f64)
    {
        return Cause::Hog {
            comm: top.comm.clone(),
            rss_kb: rss,
            ram_kb: ram,
        };
    }
    if let Some(ram) = ram {
        let victim =
            k.anon_rss_kb.unwrap_or(0) + k.file_rss_kb.unwrap_or(0) + k.shmem_rss_kb.unwrap_or(0);
        if victim as f64 >= HOG_SHARE * ram as f64 {
            return Cause::Hog {
                comm: k.comm.clone().unwrap_or_default(),
                rss_kb: victim,
                ram_kb: ram,
            };
        }
    }
    if let Some(m) = &k.mem {
        match (m.swap_total_kb, m.swap_free_kb) {
            (Some(0), _) => return Cause::NoSwap,
            (Some(t), Some(f)) if (f as f64) <= SWAP_FREE_SHARE * t as f64 => {
                return Cause::SwapExhausted { total_kb: t };
            }
            _ => {}
        }
    }
    Cause::Unknown
}

/// Seconds between the kill and the reading, when both clocks are known.
fn age_secs(k: &OomKill, cx: &Context) -> Option<f64> {
    if let (Some(u), Some(now)) = (k.at.uptime_s, cx.now.uptime)
        && now.up_secs >= u
    {
        return Some(now.up_secs - u);
    }
    match (k.at.unix_s, cx.now.host.unix_secs) {
        (Some(t), Some(now)) if now >= t => Some(now - t),
        _ => None,
    }
}

fn when(k: &OomKill, cx: &Context) -> String {
    let ja = cx.ja();
    let ago = age_secs(k, cx).map(|a| {
        if ja {
            format!("{}前", fmt::duration_ja(a))
        } else {
            format!("{} ago", fmt::duration(a))
        }
    });
    match (&k.at.time, ago) {
        (Some(t), Some(a)) => format!("{t} ({a})"),
        (Some(t), None) => t.clone(),
        (None, Some(a)) => a,
        (None, None) => match k.at.uptime_s {
            Some(u) => {
                if ja {
                    format!("起動 {u:.0} 秒後")
                } else {
                    format!("{u:.0} s after boot")
                }
            }
            None => {
                if ja {
                    "時刻不明".into()
                } else {
                    "time unknown".into()
                }
            }
        },
    }
}

fn scope(k: &OomKill, ja: bool) -> String {
    let cg = k.oom_memcg.as_deref().or(k.memcg.as_deref());
    let unit = cg.and_then(karte_procfs::cgroup::unit_of_path);
    match (k.constraint, ja) {
        (Some(Constraint::Memcg), false) => format!(
            "the memory limit of cgroup {}{}",
            cg.unwrap_or("?"),
            unit.map(|u| format!(" ({u})")).unwrap_or_default()
        ),
        (Some(Constraint::Memcg), true) => format!(
            "cgroup {}{} のメモリ上限",
            cg.unwrap_or("?"),
            unit.map(|u| format!("（{u}）")).unwrap_or_default()
        ),
        (Some(Constraint::Cpuset), false) => "the memory nodes of its cpuset".into(),
        (Some(Constraint::Cpuset), true) => "cpuset のメモリノード".into(),
        (Some(Constraint::Mempolicy), false) => "its NUMA memory policy".into(),
        (Some(Constraint::Mempolicy), true) => "NUMA メモリポリシー".into(),
        (Some(Constraint::None), false) => "the whole machine's memory (global)".into(),
        (Some(Constraint::None), true) => "マシン全体のメモリ（グローバル）".into(),
        (None, false) => "memory (constraint not in the log)".into(),
        (None, true) => "メモリ（制約の種類はログにありません）".into(),
    }
}

fn victim_size(k: &OomKill) -> u64 {
    k.anon_rss_kb.unwrap_or(0) + k.file_rss_kb.unwrap_or(0) + k.shmem_rss_kb.unwrap_or(0)
}

fn cause_texts(c: &Cause, k: &OomKill, ja: bool) -> (String, Vec<String>) {
    let unit = k
        .oom_memcg
        .as_deref()
        .or(k.memcg.as_deref())
        .and_then(karte_procfs::cgroup::unit_of_path);
    let cg_path = k.oom_memcg.as_deref().or(k.memcg.as_deref()).unwrap_or("/");
    let panic = if ja {
        "原因を調べるには vm.panic_on_oom=1 と kdump を組み合わせると、次の OOM 時のメモリ全体を保存できます（その代わりマシンは再起動します）。"
    } else {
        "To investigate, vm.panic_on_oom=1 together with kdump saves the whole memory state at the next OOM (at the price of a reboot)."
    };
    let adj = if ja {
        "oom_score_adj を下げて守っても、別のプロセスが選ばれるだけでメモリ不足は解決しません。"
    } else {
        "Protecting a process with a lower oom_score_adj only makes the killer choose another victim; memory still runs out."
    };
    let (why, mut fix): (String, Vec<String>) = match (c, ja) {
        (Cause::Cgroup { limit_kb, usage_kb }, false) => (
            format!(
                "The cgroup's own memory limit ran out{}: the host may have had memory to spare. The limit is below what the service needed at that moment.",
                limit_kb.map(|l| format!(" (limit {}, usage {})", fmt::kb(l), usage_kb.map(fmt::kb).unwrap_or_else(|| "?".into()))).unwrap_or_default()
            ),
            vec![
                match &unit {
                    Some(u) if u.ends_with(".service") || u.ends_with(".scope") || u.ends_with(".slice") => format!("If the service needs more, raise its limit: systemctl set-property {u} MemoryMax=…"),
                    Some(u) => format!("If it needs more, raise the memory limit of {u} (the container's memory limit)."),
                    None => format!("If it needs more, raise the cgroup's limit: /sys/fs/cgroup{cg_path}/memory.max (cgroup v2) or /sys/fs/cgroup/memory{cg_path}/memory.limit_in_bytes (v1), or the setting of whatever created that cgroup."),
                },
                "Otherwise find out why it grew: a leak, a cache without a bound, a traffic peak; MemoryHigh= below MemoryMax= makes it reclaim before it is killed.".into(),
            ],
        ),
        (Cause::Cgroup { limit_kb, usage_kb }, true) => (
            format!(
                "cgroup 自身のメモリ上限が尽きました{}。ホスト全体には余裕があった可能性があります。上限がその時点でサービスが必要とした量より小さかったということです。",
                limit_kb.map(|l| format!("（上限 {}、使用 {}）", fmt::kb(l), usage_kb.map(fmt::kb).unwrap_or_else(|| "?".into()))).unwrap_or_default()
            ),
            vec![
                match &unit {
                    Some(u) if u.ends_with(".service") || u.ends_with(".scope") || u.ends_with(".slice") => format!("サービスが本当に必要とするなら上限を上げます: systemctl set-property {u} MemoryMax=…"),
                    Some(u) => format!("本当に必要とするなら {u} のメモリ上限（コンテナのメモリ制限）を上げてください。"),
                    None => format!("本当に必要とするなら cgroup の上限を上げます: /sys/fs/cgroup{cg_path}/memory.max（cgroup v2）または /sys/fs/cgroup/memory{cg_path}/memory.limit_in_bytes（v1）、またはその cgroup を作った仕組みの設定。"),
                },
                "そうでなければ増えた理由（リーク、上限のないキャッシュ、アクセスの急増）を調べてください。MemoryMax= より低い MemoryHigh= を設定すると、強制終了の前に回収が働きます。".into(),
            ],
        ),
        (Cause::Cpuset, false) => (
            "The process was confined to some memory nodes (cpuset.mems) and those ran out, while other nodes may have had free memory.".into(),
            vec!["Check the cpuset's memory nodes (cat /sys/fs/cgroup/…/cpuset.mems.effective) and widen them, or size the workload to the nodes it is given.".into()],
        ),
        (Cause::Cpuset, true) => (
            "プロセスは一部のメモリノード（cpuset.mems）に閉じ込められており、そのノードが尽きました。他のノードには空きがあった可能性があります。".into(),
            vec!["cpuset のメモリノード（cat /sys/fs/cgroup/…/cpuset.mems.effective）を確認して広げるか、与えられたノードに収まるように処理を調整してください。".into()],
        ),
        (Cause::Mempolicy, false) => (
            "A NUMA memory policy (numactl --membind, mbind) bound the allocation to nodes that ran out, while others may have had free memory.".into(),
            vec!["Check how the program is started (numactl --membind); --preferred or --interleave does not fail when one node is full.".into()],
        ),
        (Cause::Mempolicy, true) => (
            "NUMA メモリポリシー（numactl --membind、mbind）で確保先のノードが固定されており、そのノードが尽きました。他のノードには空きがあった可能性があります。".into(),
            vec!["プログラムの起動方法（numactl --membind）を確認してください。--preferred や --interleave なら1つのノードが満杯でも失敗しません。".into()],
        ),
        (Cause::Dirty { dirty_kb, writeback_kb, ram_kb }, false) => (
            format!(
                "At the time of the kill {} of memory was dirty or under writeback ({} of RAM): data waiting for the storage held memory that could not be freed until the disk caught up. Slow storage, not the programs alone, ran the host out of memory (see dirty-writeback).",
                fmt::kb(dirty_kb + writeback_kb),
                fmt::pct((dirty_kb + writeback_kb) as f64 * 100.0 / *ram_kb as f64)
            ),
            vec![
                "Keep the dirty backlog short: sysctl -w vm.dirty_background_bytes=67108864 vm.dirty_bytes=268435456 (persist in /etc/sysctl.d/).".into(),
                "Check the storage's speed and health (iostat -x 1, smartctl -a); move heavy writers to faster storage.".into(),
            ],
        ),
        (Cause::Dirty { dirty_kb, writeback_kb, ram_kb }, true) => (
            format!(
                "強制終了の時点で {}（RAM の {}）がダーティまたは書き出し中でした。ストレージへの書き込みを待つデータがメモリを占め、ディスクが追いつくまで解放できませんでした。プログラムだけでなく、遅いストレージがメモリ不足を招いています（dirty-writeback 参照）。",
                fmt::kb(dirty_kb + writeback_kb),
                fmt::pct((dirty_kb + writeback_kb) as f64 * 100.0 / *ram_kb as f64)
            ),
            vec![
                "ダーティの溜まる量を抑えます: sysctl -w vm.dirty_background_bytes=67108864 vm.dirty_bytes=268435456（/etc/sysctl.d/ で恒久化）。".into(),
                "ストレージの速度と健全性（iostat -x 1、smartctl -a）を確認し、大量に書く処理は速いストレージへ移してください。".into(),
            ],
        ),
        (Cause::Slab { slab_kb, ram_kb }, false) => (
            format!("The kernel itself held {} of unreclaimable slab ({} of RAM): kernel memory, not a process, filled the host — a driver or kernel leak, or a huge number of kernel objects (dentries, sockets).", fmt::kb(*slab_kb), fmt::pct(*slab_kb as f64 * 100.0 / *ram_kb as f64)),
            vec!["See which slab cache grows: slabtop -s c, or sort /proc/slabinfo; update the kernel and the driver that owns it.".into()],
        ),
        (Cause::Slab { slab_kb, ram_kb }, true) => (
            format!("カーネル自身が回収できないスラブを {}（RAM の {}）持っていました。プロセスではなくカーネルのメモリが埋めています。ドライバやカーネルのリーク、または大量のカーネルオブジェクト（dentry、ソケットなど）が原因です。", fmt::kb(*slab_kb), fmt::pct(*slab_kb as f64 * 100.0 / *ram_kb as f64)),
            vec!["増えているスラブキャッシュを slabtop -s c か /proc/slabinfo で確認し、カーネルとそのドライバを更新してください。".into()],
        ),
        (Cause::Hog { comm, rss_kb, ram_kb }, false) => (
            format!("One task, {comm}, held {} ({} of RAM): a leak, or more data than this host can hold.", fmt::kb(*rss_kb), fmt::pct(*rss_kb as f64 * 100.0 / *ram_kb as f64)),
            vec![
                format!("Find out whether {comm} should be that large (its heap or cache settings, a leak); cap it with MemoryMax= in its unit so that it alone is killed, not its neighbours."),
                "If it legitimately needs that much, the host needs more memory.".into(),
            ],
        ),
        (Cause::Hog { comm, rss_kb, ram_kb }, true) => (
            format!("1つのタスク {comm} が {}（RAM の {}）を使っていました。リークか、このホストに収まらない量のデータです。", fmt::kb(*rss_kb), fmt::pct(*rss_kb as f64 * 100.0 / *ram_kb as f64)),
            vec![
                format!("{comm} がそれだけ大きくなるべきか（ヒープやキャッシュの設定、リーク）を確認し、ユニットの MemoryMax= で上限を設けて、周りを巻き込まずそれだけが止まるようにしてください。"),
                "本当にそれだけ必要なら、ホストのメモリを増やす必要があります。".into(),
            ],
        ),
        (Cause::SwapExhausted { total_kb }, false) => (
            format!("Swap ({}) was used up as well: the programs' memory exceeded RAM and swap together.", fmt::kb(*total_kb)),
            vec!["Find the largest processes in the report below and reduce them, or add RAM; more swap only delays this, with heavy slowdowns (see swap-thrashing).".into()],
        ),
        (Cause::SwapExhausted { total_kb }, true) => (
            format!("スワップ（{}）も使い切っていました。プログラムのメモリが RAM とスワップの合計を超えています。", fmt::kb(*total_kb)),
            vec!["下の報告にある大きなプロセスを減らすか RAM を増やしてください。スワップを増やしても大きな速度低下とともに先延ばしになるだけです（swap-thrashing 参照）。".into()],
        ),
        (Cause::NoSwap, false) => (
            "The host has no swap, so rarely used anonymous memory could not be moved out: memory demand exceeded RAM.".into(),
            vec!["Add RAM or reduce the largest processes; a small swap area lets the kernel move out memory that is rarely touched.".into()],
        ),
        (Cause::NoSwap, true) => (
            "このホストにはスワップがないため、あまり使われない無名メモリも追い出せませんでした。メモリの需要が RAM を超えています。".into(),
            vec!["RAM を増やすか大きなプロセスを減らしてください。小さなスワップ領域があれば、めったに使われないメモリを追い出せます。".into()],
        ),
        (Cause::Unknown, false) => (
            "The programs' memory demand exceeded what the host had; the report does not point at a single cause.".into(),
            vec!["Compare the largest tasks of the report with what they should use, and cap services with MemoryMax=/MemoryHigh=; add memory if the demand is legitimate.".into()],
        ),
        (Cause::Unknown, true) => (
            "プログラムのメモリ需要がホストの持つ量を超えました。報告からは単一の原因は特定できません。".into(),
            vec!["報告にある大きなタスクが本来どれくらい使うべきかを比べ、サービスを MemoryMax=/MemoryHigh= で制限してください。需要が正当ならメモリを増やします。".into()],
        ),
    };
    fix.push(panic.into());
    fix.push(adj.into());
    (why, fix)
}

fn kill_finding(group: &[&OomKill], cx: &Context) -> Finding {
    let ja = cx.ja();
    let last = group[group.len() - 1];
    let c = cause(last, cx);
    let comm = last.comm.clone().unwrap_or_else(|| "?".into());
    let ages: Vec<Option<f64>> = group.iter().map(|k| age_secs(k, cx)).collect();
    let severity = if ages.iter().any(|a| a.is_some_and(|a| a <= RECENT_SECS)) {
        Severity::Critical
    } else if ages.iter().all(|a| a.is_some_and(|a| a > STALE_SECS)) {
        Severity::Info
    } else {
        Severity::Warning
    };
    let size = victim_size(last);
    let mut evidence = Vec::new();
    for k in group.iter().rev().take(5) {
        let line = if ja {
            format!(
                "{}: pid {} {} を強制終了（無名 {}、ファイル {}、共有 {}、仮想 {}、oom_score_adj {}）。起動元 {}",
                when(k, cx),
                k.pid.map(|p| p.to_string()).unwrap_or_else(|| "?".into()),
                k.comm.as_deref().unwrap_or("?"),
                k.anon_rss_kb.map(fmt::kb).unwrap_or_else(|| "?".into()),
                k.file_rss_kb.map(fmt::kb).unwrap_or_else(|| "?".into()),
                k.shmem_rss_kb.map(fmt::kb).unwrap_or_else(|| "?".into()),
                k.total_vm_kb.map(fmt::kb).unwrap_or_else(|| "?".into()),
                k.oom_score_adj
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "?".into()),
                k.trigger.as_deref().unwrap_or("?")
            )
        } else {
            format!(
                "{}: killed pid {} {} (anon {}, file {}, shmem {}, virtual {}, oom_score_adj {}); invoked by {}",
                when(k, cx),
                k.pid.map(|p| p.to_string()).unwrap_or_else(|| "?".into()),
                k.comm.as_deref().unwrap_or("?"),
                k.anon_rss_kb.map(fmt::kb).unwrap_or_else(|| "?".into()),
                k.file_rss_kb.map(fmt::kb).unwrap_or_else(|| "?".into()),
                k.shmem_rss_kb.map(fmt::kb).unwrap_or_else(|| "?".into()),
                k.total_vm_kb.map(fmt::kb).unwrap_or_else(|| "?".into()),
                k.oom_score_adj
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "?".into()),
                k.trigger.as_deref().unwrap_or("?")
            )
        };
        evidence.push(line);
    }
    if group.len() > 5 {
        evidence.push(if ja {
            format!("ほか {} 回", group.len() - 5)
        } else {
            format!("and {} earlier kills", group.len() - 5)
        });
    }
    if let Some(sel) = &last.selected
        && sel.pid.is_some()
        && sel.pid != last.pid
    {
        evidence.push(if ja {
                format!("OOM キラーが選んだのは pid {} {} でしたが、実際に強制終了されたのはその子プロセスです", sel.pid.unwrap_or(0), sel.comm.as_deref().unwrap_or("?"))
            } else {
                format!("the killer selected pid {} {}, and killed its child instead", sel.pid.unwrap_or(0), sel.comm.as_deref().unwrap_or("?"))
            });
    }
    if let Some(m) = &last.mem {
        let p = |v: Option<u64>| v.map(fmt::kb).unwrap_or_else(|| "?".into());
        evidence.push(if ja {
            format!("その時のメモリ: 空き {}、ダーティ {}、書き出し中 {}、回収不能スラブ {}、スワップ空き {} / {}", p(m.free_kb), p(m.dirty_kb), p(m.writeback_kb), p(m.slab_unreclaimable_kb), p(m.swap_free_kb), p(m.swap_total_kb))
        } else {
            format!("memory then: free {}, dirty {}, writeback {}, unreclaimable slab {}, swap free {} of {}", p(m.free_kb), p(m.dirty_kb), p(m.writeback_kb), p(m.slab_unreclaimable_kb), p(m.swap_free_kb), p(m.swap_total_kb))
        });
    }
    if let Some(m) = &last.memcg_mem {
        let p = |v: Option<u64>| v.map(fmt::kb).unwrap_or_else(|| "?".into());
        evidence.push(if ja {
            format!(
                "cgroup: 使用 {} / 上限 {}、上限到達 {} 回",
                p(m.usage_kb),
                p(m.limit_kb),
                m.failcnt
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "?".into())
            )
        } else {
            format!(
                "cgroup: usage {} of limit {}, limit hit {} times",
                p(m.usage_kb),
                p(m.limit_kb),
                m.failcnt
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "?".into())
            )
        });
    }
    if !last.largest_tasks.is_empty() {
        let tops: Vec<String> = last
            .largest_tasks
            .iter()
            .take(3)
            .map(|t| {
                format!(
                    "{} {}",
                    t.comm,
                    t.rss_kb.map(fmt::kb).unwrap_or_else(|| "?".into())
                )
            })
            .collect();
        evidence.push(if ja {
            format!("その時の大きなタスク: {}", tops.join("、"))
        } else {
            format!("largest tasks then: {}", tops.join(", "))
        });
    }
    if !last.complete {
        evidence.push(if ja {
            format!("報告の一部がログにありません（{}）: 連続した OOM ではカーネルが報告の前半を省略します", last.missing.join(", "))
        } else {
            format!("parts of the report are missing ({}): the kernel rate-limits the report's header during bursts of kills", last.missing.join(", "))
        });
    }
    let (why, remedy) = cause_texts(&c, last, ja);
    let n = group.len();
    let title = match (ja, n) {
        (false, 1) => format!(
            "OOM killer killed {comm} ({}) — {}",
            fmt::kb(size),
            when(last, cx)
        ),
        (false, _) => format!(
            "OOM killer killed {comm} {n} times, last {}",
            when(last, cx)
        ),
        (true, 1) => format!(
            "OOM キラーが {comm}（{}）を強制終了しました — {}",
            fmt::kb(size),
            when(last, cx)
        ),
        (true, _) => format!(
            "OOM キラーが {comm} を {n} 回強制終了しました。最後は {}",
            when(last, cx)
        ),
    };
    let summary = if ja {
        format!(
            "{}が尽きたため、カーネルが {comm} を強制終了しました。{why}",
            scope(last, true)
        )
    } else {
        format!(
            "{} ran out, so the kernel killed {comm}. {why}",
            capitalize(&scope(last, false))
        )
    };
    let mut subjects = vec![comm.clone()];
    if let Some(p) = last.pid {
        subjects.push(format!("pid {p}"));
    }
    if let Some(cg) = last.oom_memcg.as_deref().or(last.memcg.as_deref()) {
        subjects.push(cg.to_string());
    }
    Finding {
        rule: ID,
        severity,
        title,
        summary,
        subjects,
        evidence,
        remedy,
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

pub fn evaluate(cx: &Context) -> Outcome {
    let kills: Vec<&OomKill> = cx
        .events
        .iter()
        .filter_map(|e| {
            if let Event::OomKill(k) = e {
                Some(k)
            } else {
                None
            }
        })
        .collect();
    let mut out = Vec::new();
    // Group kills of the same program under the same limit: a crash loop is one finding.
    let mut groups: Vec<(String, Vec<&OomKill>)> = Vec::new();
    for k in &kills {
        let key = format!(
            "{}|{:?}|{}",
            k.comm.as_deref().unwrap_or("?"),
            k.constraint,
            k.oom_memcg.as_deref().or(k.memcg.as_deref()).unwrap_or("")
        );
        match groups.iter_mut().find(|(g, _)| *g == key) {
            Some((_, v)) => v.push(k),
            None => groups.push((key, vec![k])),
        }
    }
    for (_, g) in &groups {
        out.push(kill_finding(g, cx));
    }
    for e in cx.events {
        if let Event::OomPanic(k) = e {
            out.push(Finding {
                rule: ID,
                severity: Severity::Critical,
                title: cx.t("The kernel panicked on out-of-memory", "メモリ不足でカーネルがパニックしました").into(),
                summary: cx
                    .t(
                        "Instead of killing a process the kernel stopped the machine (vm.panic_on_oom is set, or nothing could be killed). Every service on the host went down.",
                        "カーネルはプロセスを強制終了する代わりにマシンを停止しました（vm.panic_on_oom が設定されているか、強制終了できるものがありませんでした）。ホスト上のすべてのサービスが止まりました。",
                    )
                    .into(),
                subjects: vec!["kernel".into()],
                evidence: vec![format!("{}: {}", when(k, cx), k.message.as_deref().unwrap_or(""))],
                remedy: vec![cx
                    .t(
                        "If panicking is intended (with kdump), analyse the crash dump; otherwise set vm.panic_on_oom=0 so the killer picks a process, and find what used the memory.",
                        "パニックが意図的（kdump と併用）ならクラッシュダンプを解析してください。そうでなければ vm.panic_on_oom=0 にしてプロセスが選ばれるようにし、メモリを使ったものを特定してください。",
                    )
                    .into()],
            });
        }
        if let Event::UserspaceOomKill(u) = e {
            let target = u
                .cgroup
                .clone()
                .or_else(|| u.comm.clone())
                .unwrap_or_else(|| "?".into());
            let reason = u.reason.clone().unwrap_or_default();
            out.push(Finding {
                rule: ID,
                severity: Severity::Warning,
                title: if cx.ja() { format!("{} が {target} を強制終了しました", u.killer) } else { format!("{} killed {target}", u.killer) },
                summary: if cx.ja() {
                    format!("ユーザー空間の OOM デーモン {} が、カーネルの OOM キラーより先にメモリ不足を判断して強制終了しました。{reason}", u.killer)
                } else {
                    format!("The userspace OOM daemon {} judged memory to be short before the kernel's OOM killer did, and killed it. {reason}", u.killer)
                },
                subjects: vec![target.clone(), u.killer.clone()],
                evidence: vec![format!("{}: {}", u.at.time.as_deref().unwrap_or("?"), u.message)],
                remedy: vec![cx
                    .t(
                        "Find what used the memory under that cgroup; adjust the daemon's thresholds (systemd-oomd: ManagedOOMMemoryPressureLimit=; earlyoom: -m/-s) only if it kills too eagerly.",
                        "その cgroup 配下でメモリを使ったものを特定してください。デーモンのしきい値（systemd-oomd: ManagedOOMMemoryPressureLimit=、earlyoom: -m/-s）の調整は、強制終了が早すぎる場合だけにします。",
                    )
                    .into()],
            });
        }
    }
    let during = cx.interval.and_then(|iv| iv.oom_kills).unwrap_or(0);
    if kills.is_empty() && during > 0 {
        // Metrics without the log (Prometheus' node_vmstat_oom_kill): the kills happened, their
        // details are on the host.
        let secs = cx.interval.map(|iv| iv.elapsed_secs).unwrap_or(0.0);
        out.push(Finding {
            rule: ID,
            severity: Severity::Critical,
            title: if cx.ja() {
                format!("OOM キラーが {} の間に {during} 回プロセスを強制終了しました", fmt::duration_ja(secs))
            } else {
                format!("The OOM killer killed {during} process(es) in {}", fmt::duration(secs))
            },
            summary: cx
                .t(
                    "The kernel's OOM kill counter (/proc/vmstat oom_kill) grew: memory ran out and processes were killed. Which ones, and why, is in that host's kernel log: run karte doctor or karte events on it.",
                    "カーネルの OOM 強制終了カウンタ（/proc/vmstat の oom_kill）が増えました。メモリが尽きてプロセスが強制終了されています。どのプロセスがなぜ強制終了されたかはそのホストのカーネルログにあります。そのホストで karte doctor か karte events を実行してください。",
                )
                .into(),
            subjects: vec!["oom_kill".into()],
            evidence: vec![format!("oom_kill +{during}")],
            remedy: vec![cx.t("On the host: karte events (or journalctl -k | karte events --input -).", "そのホストで: karte events（または journalctl -k | karte events --input -）。").into()],
        });
    }
    if kills.is_empty()
        && during == 0
        && let Some(n) = cx.now.vm("oom_kill").filter(|n| *n > 0)
    {
        out.push(Finding {
                rule: ID,
                severity: Severity::Info,
                title: if cx.ja() { format!("起動以来 {n} 回の OOM 強制終了がありました（ログは残っていません）") } else { format!("{n} OOM kill(s) since boot; the kernel log no longer shows them") },
                summary: cx
                    .t(
                        "The kernel counted OOM kills since boot (/proc/vmstat oom_kill), but the kernel log that was read does not hold their reports (rotated, or not readable). Look in older logs: journalctl -k -b, /var/log/kern.log*.",
                        "カーネルは起動以来の OOM による強制終了を数えています（/proc/vmstat の oom_kill）が、読んだカーネルログには報告が残っていません（ローテーション済みか読めません）。古いログを確認してください: journalctl -k -b、/var/log/kern.log*。",
                    )
                    .into(),
                subjects: vec!["oom_kill".into()],
                evidence: vec![format!("/proc/vmstat oom_kill {n}")],
                remedy: vec![cx
                    .t("Read the older logs with karte events --input /var/log/kern.log (or journalctl -k -b | karte events --input -).", "古いログを karte events --input /var/log/kern.log（または journalctl -k -b | karte events --input -）で読んでください。")
                    .into()],
            });
    }
    // Without the log, the vmstat counter over the interval still judges whether kills happened.
    let counter_seen = cx.interval.is_some_and(|iv| iv.oom_kills.is_some());
    if !cx.kernel_log_read && !counter_seen && out.is_empty() {
        return Outcome::skipped(super::NEEDS_LOG);
    }
    Outcome::many(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;
    use crate::testkit::*;

    fn events(log: &str) -> Vec<Event> {
        karte_kmsg::parse_bytes(log.as_bytes(), &karte_kmsg::Options::default())
    }

    const GLOBAL_DIRTY: &str = "[ 9000.100000] java invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0
[ 9000.100001] Mem-Info:
[ 9000.100002] active_anon:700000 inactive_anon:20000 isolated_anon:0
[ 9000.100003]  active_file:30000 inactive_file:20000 isolated_file:0
[ 9000.100004]  unevictable:0 dirty:400000 writeback:100000
[ 9000.100005]  slab_reclaimable:12000 slab_unreclaimable:9000
[ 9000.100006]  mapped:3100 shmem:400 pagetables:2000
[ 9000.100007]  free:14000 free_pcp:0 free_cma:0
[ 9000.100008] Free swap  = 0kB
[ 9000.100009] Total swap = 0kB
[ 9000.100010] 2000000 pages RAM
[ 9000.100011] Tasks state (memory values in pages):
[ 9000.100012] [  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name
[ 9000.100013] [   7070]  1000  7070  2100000   700000  4200000        0             0 java
[ 9000.100014] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/system.slice/app.service,task=java,pid=7070,uid=1000
[ 9000.100015] Out of memory: Killed process 7070 (java) total-vm:8400000kB, anon-rss:2800000kB, file-rss:1024kB, shmem-rss:0kB, UID:1000 pgtables:4100kB oom_score_adj:0
";

    fn cx_at<'a>(s: &'a karte_snapshot::Snapshot, ev: &'a [Event]) -> Context<'a> {
        Context::single(s, Lang::En).with_events(ev)
    }

    #[test]
    fn recent_global_kill_with_dirty_pages() {
        let ev = events(GLOBAL_DIRTY);
        let s = host(9000.0 + 600.0, 2, ticks(1, 0, 1, 1, 0, 0), 0.5, 1);
        let o = evaluate(&cx_at(&s, &ev));
        assert_eq!(o.findings.len(), 1, "{o:?}");
        let f = &o.findings[0];
        assert_eq!(f.severity, Severity::Critical);
        assert!(f.title.contains("java"));
        assert!(f.summary.contains("dirty"), "{}", f.summary);
        assert!(f.remedy.iter().any(|r| r.contains("vm.dirty_bytes")));
        assert!(f.remedy.iter().any(|r| r.contains("oom_score_adj")));
    }

    #[test]
    fn old_kill_is_info_and_no_log_means_not_judged() {
        let ev = events(GLOBAL_DIRTY);
        let s = host(9000.0 + 3.0 * 86_400.0, 2, ticks(1, 0, 1, 1, 0, 0), 0.5, 1);
        assert_eq!(
            evaluate(&cx_at(&s, &ev)).findings[0].severity,
            Severity::Info
        );
        let o = evaluate(&Context::single(&s, Lang::En));
        assert!(o.findings.is_empty());
        assert!(o.skipped.is_some());
    }

    #[test]
    fn cgroup_kill_names_the_unit() {
        let log = "[ 100.0] node invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0
[ 100.1] memory: usage 524288kB, limit 524288kB, failcnt 9711
[ 100.2] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/system.slice/web.service,task_memcg=/system.slice/web.service,task=node,pid=9001,uid=33
[ 100.3] Memory cgroup out of memory: Killed process 9001 (node) total-vm:1200000kB, anon-rss:516000kB, file-rss:0kB, shmem-rss:0kB, UID:33 pgtables:1172kB oom_score_adj:0
";
        let ev = events(log);
        let s = host(200.0, 2, ticks(1, 0, 1, 1, 0, 0), 0.5, 1);
        let f = &evaluate(&cx_at(&s, &ev)).findings[0];
        assert!(f.summary.contains("web.service"), "{}", f.summary);
        assert!(
            f.remedy[0].contains("systemctl set-property web.service MemoryMax="),
            "{}",
            f.remedy[0]
        );
        let ja = evaluate(&Context::single(&s, Lang::Ja).with_events(&ev));
        assert!(ja.findings[0].summary.contains("cgroup 自身のメモリ上限"));
    }

    #[test]
    fn a_quiet_log_gives_nothing() {
        let ev = events("[ 1.0] usb 1-1: new high-speed USB device number 2 using xhci_hcd\n");
        let s = host(200.0, 2, ticks(1, 0, 1, 1, 0, 0), 0.5, 1);
        assert!(evaluate(&cx_at(&s, &ev)).findings.is_empty());
    }
}
