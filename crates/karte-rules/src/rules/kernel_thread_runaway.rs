//! `kernel-thread-runaway`: a kernel thread using most of a CPU over the interval.
//!
//! Kernel threads do housekeeping in short bursts; one that keeps a CPU busy is stuck in a loop
//! whose cause the thread's name usually tells: the IPMI poller `kipmiN` after a BMC reset, a
//! softirq storm in `ksoftirqd/N`, reclaim in `kswapdN`, an ACPI interrupt storm in a `kworker`
//! running `kacpi_notify`. The share is measured over the interval, as `top` does; `ps` shows a
//! lifetime average instead, which is why the two disagree and the evidence gives both.

use crate::context::{Context, Outcome};
use crate::fmt;
use crate::{Finding, RuleInfo, Severity};
use karte_snapshot::{Process, interval::ProcessRate};

pub const ID: &str = "kernel-thread-runaway";

/// Share of one CPU over the interval from which a kernel thread is "runaway": more than half a
/// CPU is far beyond housekeeping, and what makes operators look.
pub const CPU_PCT_MIN: f64 = 50.0;
/// An interval shorter than this is too short to call anything sustained.
pub const MIN_INTERVAL_SECS: f64 = 0.5;
/// A kernel thread whose lifetime average (what `ps` shows) is at least this, while idle now, is
/// worth an explanation (info), because people read ps %CPU as "now".
pub const LIFETIME_PCT_NOTE: f64 = 20.0;
/// ... and "idle now" means below this share over the interval.
pub const IDLE_NOW_PCT: f64 = 5.0;

pub const INFO: RuleInfo = RuleInfo {
    id: ID,
    title_en: "A kernel thread is using most of a CPU",
    title_ja: "カーネルスレッドが CPU を使い続けている",
    explain_en: "Detects a kernel thread (a task with PF_KTHREAD, shown as [name] by ps) that used at least 50 % of one CPU over the \
interval between two readings. Kernel threads normally run in short bursts; one that keeps a CPU busy is looping, and its name \
usually tells why:\n\
- kipmiN: the IPMI driver's KCS/SMIC poller. It spins when the driver believes a transaction with the BMC is in progress — after a \
BMC reset, or with a BMC that never answers — and on interfaces without an interrupt. It runs at nice 19, so it only uses idle \
time, but it is counted as runnable and keeps the load average near 1.0.\n\
- ksoftirqd/N: softirq work (mostly network receive) that could not be done at interrupt exit: a packet or interrupt storm.\n\
- kswapdN: page reclaim: the node is short of free memory.\n\
- kworker/…+queue: a workqueue worker; the queue name after '+' says what it does (kacpi_notify: an ACPI interrupt storm).\n\
- acpi_pad/N: the firmware asks to idle CPUs (power capping); the CPU time shown is forced idle.\n\
The share is measured over the interval, as top shows it. ps %CPU is the average over the thread's whole life (CPU time divided by \
time since it started), so a thread that started spinning an hour ago on a box up for a month shows 99 % in top and 1 % in ps, and \
a thread that spun last week shows a high ps figure while idle now; karte reports both figures, and notes the second case as info.\n\
Threshold: 50 % of one CPU over at least 0.5 s (warning).",
    explain_ja: "2回の読み取りの間に、カーネルスレッド（PF_KTHREAD を持つタスク。ps では [名前] と表示されます）が CPU 1個の 50 % 以上を使い続けた場合に検出します。\
カーネルスレッドは普段は短時間だけ動くものなので、CPU を使い続けているのは何かのループに入っているということで、原因はたいていスレッド名からわかります。\n\
- kipmiN: IPMI ドライバの KCS/SMIC ポーリング用スレッドです。BMC のリセット後や BMC が応答しないとき、ドライバが「BMC とのやり取りが続いている」と思い込んで回り続けます。割り込みのないインターフェースで起こります。nice 19 で動くため空き時間しか使いませんが、実行可能タスクとして数えられるのでロードアベレージが 1.0 前後に張り付きます。\n\
- ksoftirqd/N: 割り込み処理の後始末（主にネットワーク受信）が追いつかない状態、つまりパケットや割り込みの嵐です。\n\
- kswapdN: ページ回収です。メモリの空きが足りていません。\n\
- kworker/…+キュー名: ワークキューの処理スレッドです。'+' の後のキュー名が処理内容を表します（kacpi_notify なら ACPI 割り込みの嵐）。\n\
- acpi_pad/N: ファームウェアが電力制限のために CPU を強制的にアイドルにしています。\n\
使用率は top と同じく区間内の値です。ps の %CPU はスレッドの生涯平均（CPU 時間 ÷ 起動からの時間）なので、1か月稼働のマシンで1時間前から回り始めたスレッドは top で 99 %、ps で 1 % になります。逆に先週だけ回っていたスレッドは、今は止まっていても ps では高く見えます。karte は両方の数字を示し、後者は info として説明します。\n\
しきい値: 0.5 秒以上の区間で CPU 1個の 50 %（warning）。",
};

/// What karte knows about a kernel thread from its name.
struct Known {
    what_en: String,
    what_ja: String,
    why_en: String,
    why_ja: String,
    remedy_en: Vec<String>,
    remedy_ja: Vec<String>,
}

fn strip_num<'a>(comm: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = comm.strip_prefix(prefix)?;
    (!rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit())).then_some(rest)
}

fn describe(comm: &str, cx: &Context) -> Known {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    if strip_num(comm, "kipmi").is_some() {
        let busy = cx
            .now
            .ipmi
            .parameters
            .iter()
            .find(|(k, _)| k == "kipmid_max_busy_us")
            .map(|(_, v)| v.clone());
        let busy_note_en = match &busy {
            Some(v) if v.split(',').all(|x| x.trim() == "0" || x.trim().is_empty()) => {
                format!(" kipmid_max_busy_us is {v} (0 = busy-wait without limit).")
            }
            Some(v) => format!(" kipmid_max_busy_us is already {v}."),
            None => String::new(),
        };
        let busy_note_ja = match &busy {
            Some(v) if v.split(',').all(|x| x.trim() == "0" || x.trim().is_empty()) => {
                format!(" kipmid_max_busy_us は {v}（0 は無制限にビジーウェイト）です。")
            }
            Some(v) => format!(" kipmid_max_busy_us はすでに {v} です。"),
            None => String::new(),
        };
        return Known {
            what_en: "the IPMI driver's KCS poller (ipmi_si)".into(),
            what_ja: "IPMI ドライバ（ipmi_si）の KCS ポーリング用スレッド".into(),
            why_en: format!(
                "This is the known IPMI polling loop: the driver believes a transaction with the BMC is still in progress (typically after a \
BMC reset, or with a BMC that stopped answering) and polls it without pause. It runs at nice 19, so it only uses idle CPU time and \
slows nothing else down; the load average near 1.0 it causes is harmless to other work.{busy_note_en}"
            ),
            why_ja: format!(
                "よく知られた IPMI のポーリングループです。ドライバが BMC とのやり取りがまだ続いていると思い込み（BMC のリセット後や、BMC が応答しなくなったときによく起こります）、休まず問い合わせています。\
nice 19 で動くので空いている CPU 時間しか使わず、他の処理を遅くすることはありません。これによるロードアベレージ 1.0 前後の上昇も実害はありません。{busy_note_ja}"
            ),
            remedy_en: s(&[
                "Bound the busy-wait now: echo 100 > /sys/module/ipmi_si/parameters/kipmid_max_busy_us (values 100–500 are usual); persist it with \"options ipmi_si kipmid_max_busy_us=100\" in /etc/modprobe.d/ipmi.conf, or ipmi_si.kipmid_max_busy_us=100 on the kernel command line if ipmi_si is built in.",
                "Or reset the driver's state: systemctl stop ipmievd; modprobe -r ipmi_devintf ipmi_si; modprobe ipmi_si; modprobe ipmi_devintf; then query the BMC once with: ipmitool bmc info",
                "If it comes back, the BMC itself is at fault: reset it (ipmitool mc reset cold) or update its firmware; enabling the BMC interrupt in the BIOS removes the need for polling.",
            ]),
            remedy_ja: s(&[
                "まずビジーウェイトに上限を設けます: echo 100 > /sys/module/ipmi_si/parameters/kipmid_max_busy_us（100〜500 が一般的）。恒久化するには /etc/modprobe.d/ipmi.conf に \"options ipmi_si kipmid_max_busy_us=100\" を書くか、ipmi_si がカーネル組み込みならカーネルパラメータに ipmi_si.kipmid_max_busy_us=100 を加えます。",
                "またはドライバの状態をリセットします: systemctl stop ipmievd; modprobe -r ipmi_devintf ipmi_si; modprobe ipmi_si; modprobe ipmi_devintf のあと、ipmitool bmc info で BMC に一度問い合わせます。",
                "再発するなら BMC 自体の問題です。BMC をリセット（ipmitool mc reset cold）するかファームウェアを更新してください。BIOS で BMC の割り込みを有効にできればポーリング自体が不要になります。",
            ]),
        };
    }
    if let Some(rest) = comm.strip_prefix("ksoftirqd/") {
        let softirq = cx
            .interval
            .and_then(|iv| iv.per_cpu.iter().find(|(n, _)| n.to_string() == rest))
            .map(|(_, s)| s.softirq_pct);
        let si_en = softirq
            .map(|v| format!(" CPU {rest} spent {} of its time in softirq.", fmt::pct(v)))
            .unwrap_or_default();
        let si_ja = softirq
            .map(|v| {
                format!(
                    " CPU {rest} は時間の {} をソフト割り込み処理に使っています。",
                    fmt::pct(v)
                )
            })
            .unwrap_or_default();
        return Known {
            what_en: format!("the softirq thread of CPU {rest}"),
            what_ja: format!("CPU {rest} のソフト割り込み処理スレッド"),
            why_en: format!(
                "Softirq work (mostly network receive, also timers, block completions) arrives faster than it can be done at interrupt exit: a packet or interrupt storm on this CPU.{si_en}"
            ),
            why_ja: format!(
                "ソフト割り込み（主にネットワーク受信、ほかにタイマーやブロック I/O 完了）が割り込み処理の出口で処理しきれないほど来ています。この CPU でパケットか割り込みの嵐が起きています。{si_ja}"
            ),
            remedy_en: s(&[
                "See which softirq grows: watch -d cat /proc/softirqs (NET_RX is network receive); and which interrupt: watch -d cat /proc/interrupts.",
                "For network receive: spread it over CPUs (RSS queues, RPS: /sys/class/net/IF/queues/rx-*/rps_cpus, irqbalance), raise interrupt coalescing (ethtool -C IF rx-usecs 50), and look for a flood or a loop on the network.",
            ]),
            remedy_ja: s(&[
                "どのソフト割り込みが増えているかを watch -d cat /proc/softirqs で確認します（NET_RX はネットワーク受信）。割り込み元は watch -d cat /proc/interrupts で見られます。",
                "ネットワーク受信が原因なら、複数 CPU に分散させ（RSS キュー、RPS: /sys/class/net/IF/queues/rx-*/rps_cpus、irqbalance）、割り込みの間引きを強め（ethtool -C IF rx-usecs 50）、ネットワーク上のフラッドやループがないか調べてください。",
            ]),
        };
    }
    if strip_num(comm, "kswapd").is_some() {
        return Known {
            what_en: "the page reclaim thread of a memory node".into(),
            what_ja: "メモリノードのページ回収スレッド".into(),
            why_en: "kswapd reclaims memory when free pages fall below the low watermark; running continuously means the node keeps running short of memory (see memory-pressure and swap-thrashing).".into(),
            why_ja: "kswapd は空きページが下限（low watermark）を下回ると回収を行います。動き続けているのはメモリが足りない状態が続いているということです（memory-pressure、swap-thrashing も参照）。".into(),
            remedy_en: s(&[
                "Find what uses the memory (the largest processes and cgroups below) and limit or move it; add memory if the working set is simply larger than RAM.",
                "If reclaim fights with large page-cache users, consider vm.min_free_kbytes and vm.watermark_scale_factor only after the consumer is understood.",
            ]),
            remedy_ja: s(&[
                "メモリを使っているもの（下に示す大きなプロセスや cgroup）を特定し、制限するか別のマシンへ移してください。作業領域がそもそも RAM より大きいならメモリを増設します。",
                "ページキャッシュを大量に使う処理と回収がせめぎ合っている場合の vm.min_free_kbytes や vm.watermark_scale_factor の調整は、原因を把握してからにしてください。",
            ]),
        };
    }
    if let Some(rest) = comm.strip_prefix("kworker/") {
        let wq = rest.split_once(['+', '-']).map(|(_, q)| q);
        if let Some(q) = wq.filter(|q| q.starts_with("kacpi")) {
            return Known {
                what_en: format!("a workqueue worker running {q} (ACPI event handling)"),
                what_ja: format!("{q}（ACPI イベント処理）を実行中のワークキュー処理スレッド"),
                why_en: "The ACPI notify/event queue is kept busy: typically a GPE (general purpose event) interrupt storm from firmware.".into(),
                why_ja: "ACPI の通知・イベント処理が途切れず続いています。多くはファームウェアからの GPE（汎用イベント）割り込みの嵐です。".into(),
                remedy_en: s(&[
                    "Find the storming GPE: grep . /sys/firmware/acpi/interrupts/gpe* | sort -t: -k2 -n | tail (the count that grows fast).",
                    "Disable it: echo disable > /sys/firmware/acpi/interrupts/gpeXX; persist with the boot parameter acpi_mask_gpe=0xXX; update the BIOS.",
                ]),
                remedy_ja: s(&[
                    "嵐を起こしている GPE を探します: grep . /sys/firmware/acpi/interrupts/gpe* | sort -t: -k2 -n | tail（急に増えているものが原因です）。",
                    "echo disable > /sys/firmware/acpi/interrupts/gpeXX で止め、恒久的にはブートパラメータ acpi_mask_gpe=0xXX を使います。BIOS の更新も検討してください。",
                ]),
            };
        }
        let q_en = wq
            .map(|q| format!(" running the {q} workqueue"))
            .unwrap_or_default();
        let q_ja = wq
            .map(|q| format!("（ワークキュー {q} を実行中）"))
            .unwrap_or_default();
        return Known {
            what_en: format!("a kernel workqueue worker{q_en}"),
            what_ja: format!("カーネルのワークキュー処理スレッド{q_ja}"),
            why_en: "Some kernel subsystem keeps queueing work; the workqueue name (after '+' in the thread name on recent kernels) says which.".into(),
            why_ja: "カーネルのどこかが処理を投入し続けています。どのサブシステムかはワークキュー名（新しいカーネルではスレッド名の '+' の後）でわかります。".into(),
            remedy_en: s(&[
                "See what it runs: cat /proc/PID/stack (as root) a few times, or perf top -p PID; the workqueue tracepoints (workqueue:workqueue_execute_start) name the function.",
            ]),
            remedy_ja: s(&[
                "何を実行しているかを root で cat /proc/PID/stack を数回、または perf top -p PID で確認します。ワークキューのトレースポイント（workqueue:workqueue_execute_start）で関数名もわかります。",
            ]),
        };
    }
    if comm.starts_with("acpi_pad") {
        return Known {
            what_en: "ACPI processor aggregator idle injection".into(),
            what_ja: "ACPI プロセッサアグリゲータによる強制アイドル".into(),
            why_en: "The firmware asks the OS to idle CPUs to cap power; acpi_pad does it by running an idle loop, which shows as CPU use. The CPUs are not doing work: they are being held idle.".into(),
            why_ja: "ファームウェアが電力制限のため OS に CPU を休ませるよう求めており、acpi_pad がアイドルループを回すことで応じています。CPU 使用として見えますが、仕事をしているのではなく止められている状態です。".into(),
            remedy_en: s(&[
                "Check power capping in the BIOS/BMC (power limit, thermal policy) and the data-centre power budget.",
                "If capping is not wanted: rmmod acpi_pad (and blacklist it in /etc/modprobe.d/).",
            ]),
            remedy_ja: s(&[
                "BIOS や BMC の電力制限（パワーリミット、温度ポリシー）と、ラックの電力枠を確認してください。",
                "電力制限が不要なら rmmod acpi_pad で外し、/etc/modprobe.d/ でブラックリストに入れます。",
            ]),
        };
    }
    if let Some(dev) = comm.strip_prefix("irq/") {
        return Known {
            what_en: format!("the threaded interrupt handler irq/{dev}"),
            what_ja: format!("スレッド化された割り込みハンドラ irq/{dev}"),
            why_en: "An interrupt line fires continuously: a device (named after the IRQ number) or its driver is in an interrupt storm.".into(),
            why_ja: "割り込みが絶え間なく発生しています。IRQ 番号の後に示されたデバイスかそのドライバが割り込みの嵐を起こしています。".into(),
            remedy_en: s(&["Watch the count grow: watch -d grep -E 'IRQ_NUMBER:' /proc/interrupts; check the device's driver and firmware, and the kernel log for it."]),
            remedy_ja: s(&["watch -d grep -E 'IRQ番号:' /proc/interrupts で増え方を確認し、そのデバイスのドライバやファームウェア、カーネルログを調べてください。"]),
        };
    }
    let (what_en, what_ja, why_en, why_ja) = if comm.starts_with("jbd2/") {
        (
            "the ext4 journal thread",
            "ext4 のジャーナルスレッド",
            "Journal commits are continuous: a workload calling fsync very often, or slow storage.",
            "ジャーナルのコミットが続いています。fsync を非常に頻繁に呼ぶ処理か、遅いストレージが原因です。",
        )
    } else if comm.starts_with("kcompactd") {
        (
            "the memory compaction thread",
            "メモリコンパクションのスレッド",
            "Memory is fragmented and the kernel keeps compacting it, usually for transparent huge pages.",
            "メモリが断片化しており、主に透過的ヒュージページのためにカーネルが再配置を続けています。",
        )
    } else if comm == "khugepaged" {
        (
            "the transparent huge page collapser",
            "透過的ヒュージページの集約スレッド",
            "It collapses small pages into huge pages; sustained use points at THP settings and fragmentation.",
            "小さなページをヒュージページにまとめるスレッドです。使い続けているなら THP の設定と断片化が原因です。",
        )
    } else if comm.starts_with("md") && comm.contains("_raid") {
        (
            "a software RAID thread",
            "ソフトウェア RAID のスレッド",
            "RAID parity work or a resync/rebuild is running (see /proc/mdstat).",
            "RAID のパリティ計算か再同期・再構築が動いています（/proc/mdstat を参照）。",
        )
    } else if comm == "kauditd" {
        (
            "the audit daemon's kernel side",
            "監査ログのカーネル側スレッド",
            "The audit subsystem is producing records very fast: a noisy audit rule.",
            "監査サブシステムが大量の記録を出しています。監査ルールが多すぎる可能性があります。",
        )
    } else {
        (
            "a kernel thread",
            "カーネルスレッド",
            "What it does depends on the subsystem that owns it.",
            "処理内容は、このスレッドを持つサブシステムによります。",
        )
    };
    Known {
        what_en: what_en.into(),
        what_ja: what_ja.into(),
        why_en: why_en.into(),
        why_ja: why_ja.into(),
        remedy_en: s(&[
            "See what it does: cat /proc/PID/stack (as root) a few times, or perf top -p PID.",
        ]),
        remedy_ja: s(&[
            "何をしているかを root で cat /proc/PID/stack を数回、または perf top -p PID で確認してください。",
        ]),
    }
}

/// ps's STAT column for a task: state letter plus `N` for positive nice, `<` for negative.
pub fn ps_stat(p: &Process) -> String {
    let mut s = p.stat.state.letter().to_string();
    if p.stat.nice > 0 {
        s.push('N');
    } else if p.stat.nice < 0 {
        s.push('<');
    }
    s
}

fn runaway(cx: &Context, p: &Process, r: &ProcessRate, elapsed: f64) -> Finding {
    let k = describe(&p.stat.comm, cx);
    let name = &p.stat.comm;
    let pid = p.pid();
    let cpu_secs = p.stat.cpu_ticks() as f64 / f64::from(cx.now.host.user_hz);
    // If it ran at this rate ever since it started spinning, it started cpu_secs/rate ago:
    // an upper bound on how long it has been spinning.
    let frac = (r.cpu_pct / 100.0).max(0.01);
    let since_secs = cpu_secs / frac;
    let uptime = cx.now.uptime.map(|u| u.up_secs);
    let since_boot = uptime.is_some_and(|u| since_secs >= u * 0.95);
    let since_clock = cx
        .now
        .host
        .unix_secs
        .map(|t| karte_snapshot::time::format_utc(t - since_secs));
    let lifetime = r.lifetime_cpu_pct;
    let pct = fmt::pct(r.cpu_pct);
    let subjects = vec![name.clone(), format!("pid {pid}")];
    let stat = ps_stat(p);
    let (title, summary, evidence, remedy) = if cx.ja() {
        let since = if since_boot {
            "起動以来ずっと".to_string()
        } else {
            match &since_clock {
                Some(c) => format!(
                    "遅くとも {}前（{} UTC ごろ）から",
                    fmt::duration_ja(since_secs),
                    c
                ),
                None => format!("遅くとも {}前から", fmt::duration_ja(since_secs)),
            }
        };
        let mut ev = vec![
            format!(
                "{name}（pid {pid}、nice {}、ps の STAT は {stat}）が直近 {:.1} 秒間で CPU 1個の {pct} を使用（top で見える値）",
                p.stat.nice, elapsed
            ),
            format!(
                "累積 CPU 時間 {}: この使用率が続いていたとすると{since}回っています",
                fmt::duration_ja(cpu_secs)
            ),
        ];
        if let Some(l) = lifetime {
            ev.push(format!(
                "ps の %CPU は {}: これは起動からの平均で、今の値ではありません",
                fmt::pct(l)
            ));
        }
        (
            format!("カーネルスレッド {name} が CPU を {pct} 使い続けています"),
            format!("{name} は {}です。{}", k.what_ja, k.why_ja),
            ev,
            k.remedy_ja
                .iter()
                .map(|x| x.replace("PID", &pid.to_string()))
                .collect(),
        )
    } else {
        let since = if since_boot {
            "ever since boot".to_string()
        } else {
            match &since_clock {
                Some(c) => format!(
                    "for at most {} (since about {c} UTC)",
                    fmt::duration(since_secs)
                ),
                None => format!("for at most {}", fmt::duration(since_secs)),
            }
        };
        let mut ev = vec![
            format!(
                "{name} (pid {pid}, nice {}, ps STAT {stat}) used {pct} of one CPU over the last {:.1} s (what top shows)",
                p.stat.nice, elapsed
            ),
            format!(
                "total CPU time {}: at this rate it has been spinning {since}",
                fmt::duration(cpu_secs)
            ),
        ];
        if let Some(l) = lifetime {
            ev.push(format!(
                "ps shows {} %CPU: that is its average since it started, not its use now",
                fmt::rate(l)
            ));
        }
        (
            format!("Kernel thread {name} is using {pct} of a CPU"),
            format!("{name} is {}. {}", k.what_en, k.why_en),
            ev,
            k.remedy_en
                .iter()
                .map(|x| x.replace("PID", &pid.to_string()))
                .collect(),
        )
    };
    Finding {
        rule: ID,
        severity: Severity::Warning,
        title,
        summary,
        subjects,
        evidence,
        remedy,
    }
}

fn idle_now_note(cx: &Context, p: &Process, r: &ProcessRate, lifetime: f64) -> Finding {
    let name = &p.stat.comm;
    let pid = p.pid();
    let (title, summary, evidence) = if cx.ja() {
        (
            format!(
                "ps では {name} の %CPU が {} ですが、今は動いていません",
                fmt::pct(lifetime)
            ),
            format!(
                "ps の %CPU は起動からの平均です。{name} は過去に CPU を多く使いましたが、今は {} しか使っていません。今の負荷の原因ではありません。",
                fmt::pct(r.cpu_pct)
            ),
            vec![format!(
                "pid {pid}: 生涯平均 {}、直近 {}",
                fmt::pct(lifetime),
                fmt::pct(r.cpu_pct)
            )],
        )
    } else {
        (
            format!(
                "ps shows {name} at {} CPU, but it is idle now",
                fmt::pct(lifetime)
            ),
            format!(
                "ps %CPU is an average over the thread's whole life. {name} used a lot of CPU in the past but uses {} now: it is not the cause of the present load.",
                fmt::pct(r.cpu_pct)
            ),
            vec![format!(
                "pid {pid}: lifetime average {}, last interval {}",
                fmt::pct(lifetime),
                fmt::pct(r.cpu_pct)
            )],
        )
    };
    Finding {
        rule: ID,
        severity: Severity::Info,
        title,
        summary,
        subjects: vec![name.clone(), format!("pid {pid}")],
        evidence,
        remedy: Vec::new(),
    }
}

pub fn evaluate(cx: &Context) -> Outcome {
    let Some(iv) = cx.interval else {
        return Outcome::skipped("needs two readings (CPU use over an interval)");
    };
    if cx.now.processes.is_empty() {
        return Outcome::skipped("no process table");
    }
    if iv.elapsed_secs < MIN_INTERVAL_SECS {
        return Outcome::skipped("interval too short");
    }
    let mut out = Vec::new();
    for r in &iv.processes {
        let Some(p) = cx.now.process(r.pid) else {
            continue;
        };
        if !p.is_kernel_thread() || r.new {
            continue;
        }
        if r.cpu_pct >= CPU_PCT_MIN {
            out.push(runaway(cx, p, r, iv.elapsed_secs));
        } else if r.cpu_pct < IDLE_NOW_PCT
            && let Some(l) = r.lifetime_cpu_pct.filter(|l| *l >= LIFETIME_PCT_NOTE)
        {
            // Only for threads old enough that the average means something.
            if cx.now.uptime.is_some_and(|u| u.up_secs > 600.0) {
                out.push(idle_now_note(cx, p, r, l));
            }
        }
    }
    Outcome::many(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;
    use crate::testkit::*;

    /// A 4-CPU box up 30 days; kipmi0 started at boot and began spinning recently.
    fn kipmi_case(spin_ticks: u64) -> (karte_snapshot::Snapshot, karte_snapshot::Snapshot) {
        let up = 30.0 * 86_400.0;
        let mut a = host(up, 4, ticks(1000, 0, 500, 100_000, 0, 0), 1.02, 2);
        let mut b = host(up + 2.0, 4, ticks(1002, 198, 502, 100_598, 0, 0), 1.02, 2);
        a.processes = vec![
            process(141, "kipmi0", 'R', true, 19, 360_000, 220),
            process(900, "sshd", 'S', false, 0, 50, 5000),
        ];
        b.processes = vec![
            process(141, "kipmi0", 'R', true, 19, 360_000 + spin_ticks, 220),
            process(900, "sshd", 'S', false, 0, 50, 5000),
        ];
        (a, b)
    }

    #[test]
    fn spinning_kipmi0_is_named_with_both_figures() {
        let (a, b) = kipmi_case(198);
        let iv = interval(&a, &b);
        let o = evaluate(&Context::pair(&a, &b, Some(&iv), Lang::En));
        assert_eq!(o.findings.len(), 1, "{o:?}");
        let f = &o.findings[0];
        assert_eq!(f.rule, ID);
        assert_eq!(f.severity, Severity::Warning);
        assert!(
            f.title.contains("kipmi0") && f.title.contains("99 %"),
            "{}",
            f.title
        );
        assert!(
            f.summary.contains("nice 19") && f.summary.contains("harmless"),
            "{}",
            f.summary
        );
        assert!(
            f.evidence.iter().any(|e| e.contains("ps STAT RN")),
            "{:?}",
            f.evidence
        );
        // Lifetime average as ps computes it: 3600 s of CPU over 30 days ≈ 0.14 %.
        assert!(
            f.evidence.iter().any(|e| e.contains("ps shows 0.1 %CPU")),
            "{:?}",
            f.evidence
        );
        // 1 h of CPU at 99 %: spinning for about an hour, not since boot.
        assert!(
            f.evidence.iter().any(|e| e.contains("for at most 1 h")),
            "{:?}",
            f.evidence
        );
        assert!(f.remedy.iter().any(|r| r.contains("kipmid_max_busy_us")));
        let o = evaluate(&Context::pair(&a, &b, Some(&iv), Lang::Ja));
        assert!(o.findings[0].summary.contains("nice 19"));
    }

    #[test]
    fn idle_thread_is_quiet_and_busy_user_process_is_not_this_rule() {
        let (a, b) = kipmi_case(0);
        let iv = interval(&a, &b);
        assert!(
            evaluate(&Context::pair(&a, &b, Some(&iv), Lang::En))
                .findings
                .is_empty()
        );
        let (mut a, mut b) = kipmi_case(0);
        a.processes
            .push(process(777, "burn", 'R', false, 0, 100, 5000));
        b.processes
            .push(process(777, "burn", 'R', false, 0, 300, 5000));
        let iv = interval(&a, &b);
        assert!(
            evaluate(&Context::pair(&a, &b, Some(&iv), Lang::En))
                .findings
                .is_empty()
        );
    }

    #[test]
    fn high_lifetime_but_idle_now_is_explained_as_info() {
        let up = 10_000.0;
        let mut a = host(up, 2, ticks(1000, 0, 500, 10_000, 0, 0), 0.1, 1);
        let mut b = host(up + 2.0, 2, ticks(1001, 0, 501, 10_398, 0, 0), 0.1, 1);
        // 5000 s of CPU in 10000 s of life: ps shows 50 %.
        a.processes = vec![process(55, "ksoftirqd/0", 'S', true, 0, 500_000, 0)];
        b.processes = vec![process(55, "ksoftirqd/0", 'S', true, 0, 500_000, 0)];
        let iv = interval(&a, &b);
        let o = evaluate(&Context::pair(&a, &b, Some(&iv), Lang::En));
        assert_eq!(o.findings.len(), 1);
        assert_eq!(o.findings[0].severity, Severity::Info);
        assert!(o.findings[0].title.contains("idle now"));
    }

    #[test]
    fn kworker_acpi_storm_is_recognised() {
        let up = 5000.0;
        let mut a = host(up, 2, ticks(1000, 0, 500, 10_000, 0, 0), 1.0, 2);
        let mut b = host(up + 2.0, 2, ticks(1001, 0, 700, 10_200, 0, 0), 1.0, 2);
        a.processes = vec![process(
            88,
            "kworker/0:1+kacpi_notify",
            'R',
            true,
            0,
            1000,
            100,
        )];
        b.processes = vec![process(
            88,
            "kworker/0:1+kacpi_notify",
            'R',
            true,
            0,
            1190,
            100,
        )];
        let iv = interval(&a, &b);
        let o = evaluate(&Context::pair(&a, &b, Some(&iv), Lang::En));
        assert_eq!(o.findings.len(), 1);
        assert!(
            o.findings[0].summary.contains("ACPI"),
            "{}",
            o.findings[0].summary
        );
        assert!(o.findings[0].remedy.iter().any(|r| r.contains("gpe")));
    }
}
