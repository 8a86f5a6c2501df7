//! `load-uninterruptible`: the load average is high while the CPUs idle — tasks in D state.
//!
//! Linux's load average counts runnable tasks *and* tasks in uninterruptible sleep (D), which
//! usually wait for I/O (a slow or failing disk, a hung NFS server). So a high load on idle CPUs
//! is not a CPU problem: the D tasks, and what they wait in (wchan), say where to look.

use crate::context::{Context, Outcome};
use crate::fmt;
use crate::{Finding, RuleInfo, Severity};
use karte_procfs::pid_stat::TaskState;
use karte_snapshot::Process;

pub const ID: &str = "load-uninterruptible";
/// The CPUs count as idle when idle + iowait is at least this share.
pub const IDLE_PCT: f64 = 50.0;
/// The load is "high" from this many per CPU (and at least 1.0): where people start to worry.
pub const LOAD_PER_CPU: f64 = 0.75;
/// Critical from twice the CPU count.
pub const CRITICAL_LOAD_PER_CPU: f64 = 2.0;

pub const INFO: RuleInfo = RuleInfo {
    id: ID,
    title_en: "High load average from tasks waiting in uninterruptible sleep",
    title_ja: "割り込み不能な待ち状態のタスクによるロードアベレージ上昇",
    explain_en: "Linux's load average counts tasks that are runnable AND tasks in uninterruptible sleep (state D), which almost always \
wait for I/O: a slow or failing disk, an overloaded or unreachable NFS/iSCSI server, a stuck device. Fires when the 1-minute load is \
at least 0.75 per CPU (and at least 1), the CPUs were mostly idle over the interval (idle + iowait at least 50 %), and tasks stayed \
in D state across both readings; critical from twice the CPU count. The finding names the D tasks and the kernel function they wait \
in (/proc/PID/wchan): io_schedule, blk_mq_get_tag and folio_wait_bit point at block I/O; nfs_*/rpc_* at NFS; \
jbd2/xlog at filesystem journals. See also disk-saturation and hung-task.",
    explain_ja: "Linux のロードアベレージは、実行可能なタスクに加えて割り込み不能な待ち状態（D 状態）のタスクも数えます。D 状態はほとんどが I/O 待ちで、遅い・故障しかけのディスク、過負荷や応答しない NFS/iSCSI サーバ、止まったデバイスが原因です。\
1分ロードアベレージが CPU 1個あたり 0.75 以上（かつ 1 以上）、区間内で CPU がほぼ空いており（idle + iowait が 50 % 以上）、D 状態のタスクが2回の読み取りの両方に残っているときに検出します。CPU 数の2倍以上なら critical です。\
D 状態のタスクと、待っているカーネル関数（/proc/PID/wchan）を示します。io_schedule、blk_mq_get_tag、folio_wait_bit はブロック I/O、nfs_*・rpc_* は NFS、jbd2・xlog はファイルシステムのジャーナルです。disk-saturation と hung-task も参照してください。",
};

fn d_tasks(s: &karte_snapshot::Snapshot) -> Vec<&Process> {
    s.processes
        .iter()
        .filter(|p| p.stat.state == TaskState::DiskSleep)
        .collect()
}

/// What a wchan points at, for people.
fn wchan_hint(w: &str, ja: bool) -> &'static str {
    let io = [
        "io_schedule",
        "blk_mq_get_tag",
        "folio_wait",
        "wait_on_page",
        "bit_wait_io",
        "__lock_page",
        "submit_bio_wait",
        "blkdev_",
    ];
    let nfs = ["nfs", "rpc_", "xprt"];
    let journal = ["jbd2", "xlog", "xfs_log", "btrfs_"];
    if io.iter().any(|k| w.contains(k)) {
        if ja {
            "ブロック I/O 待ち"
        } else {
            "block I/O"
        }
    } else if nfs.iter().any(|k| w.contains(k)) {
        if ja {
            "NFS サーバ待ち"
        } else {
            "the NFS server"
        }
    } else if journal.iter().any(|k| w.contains(k)) {
        if ja {
            "ファイルシステムのジャーナル待ち"
        } else {
            "the filesystem journal"
        }
    } else if w.contains("mutex") || w.contains("rwsem") || w.contains("down_") {
        if ja {
            "カーネル内のロック待ち"
        } else {
            "a kernel lock"
        }
    } else {
        ""
    }
}

pub fn evaluate(cx: &Context) -> Outcome {
    let Some(load) = cx.now.loadavg else {
        return Outcome::skipped("no load average");
    };
    let Some(ncpu) = cx.cpus() else {
        return Outcome::skipped("no CPU count");
    };
    let ncpu_f = ncpu as f64;
    let threshold = (LOAD_PER_CPU * ncpu_f).max(1.0);
    if load.load1 < threshold {
        return Outcome::quiet();
    }
    let idle = cx
        .interval
        .and_then(|iv| iv.cpu)
        .map(|c| c.idle_pct + c.iowait_pct);
    if idle.is_some_and(|i| i < IDLE_PCT) {
        return Outcome::quiet();
    }
    let now_d = d_tasks(cx.now);
    // Tasks in D at both readings (same pid and start time): not a passing I/O.
    let stuck: Vec<&Process> = match cx.before {
        Some(b) => now_d
            .iter()
            .copied()
            .filter(|p| {
                b.process(p.pid()).is_some_and(|q| {
                    q.stat.state == TaskState::DiskSleep
                        && q.stat.starttime_ticks == p.stat.starttime_ticks
                })
            })
            .collect(),
        None => now_d.clone(),
    };
    // Without a process table (metrics from Prometheus), the kernel's count of tasks blocked on
    // I/O at both readings stands in for the D tasks; they cannot be named then.
    let blocked = |s: &karte_snapshot::Snapshot| s.stat.as_ref().and_then(|st| st.procs_blocked);
    let stuck_count = if cx.now.processes.is_empty() {
        match (cx.before.map(blocked), blocked(cx.now)) {
            (Some(Some(b)), Some(n)) => b.min(n) as usize,
            (None, Some(n)) => n as usize,
            _ => return Outcome::skipped("no process table and no blocked-task count"),
        }
    } else {
        stuck.len()
    };
    if stuck_count == 0 {
        return Outcome::quiet();
    }
    // The load must come mostly from D tasks, not from runnable ones.
    if (load.load1 - load.runnable as f64) < 0.5 * load.load1
        && (stuck_count as f64) < 0.5 * load.load1
    {
        return Outcome::quiet();
    }
    let severity = if load.load1 >= CRITICAL_LOAD_PER_CPU * ncpu_f {
        Severity::Critical
    } else {
        Severity::Warning
    };
    let busy_disks: Vec<String> = cx
        .interval
        .map(|iv| {
            iv.disks
                .iter()
                .filter(|d| d.util_pct >= 90.0)
                .map(|d| format!("{} {}", d.name, fmt::pct(d.util_pct)))
                .collect()
        })
        .unwrap_or_default();
    let ja = cx.ja();
    let mut evidence = Vec::new();
    if ja {
        evidence.push(format!(
            "1分ロードアベレージ {:.2}（CPU {} 個）、実行中 {}、CPU の空き {}",
            load.load1,
            ncpu,
            load.runnable,
            idle.map(fmt::pct).unwrap_or_else(|| "不明".into())
        ));
    } else {
        evidence.push(format!(
            "1-minute load {:.2} on {} CPUs, {} running, CPUs idle {}",
            load.load1,
            ncpu,
            load.runnable,
            idle.map(fmt::pct).unwrap_or_else(|| "unknown".into())
        ));
    }
    if stuck.is_empty() {
        evidence.push(if ja {
            format!(
                "I/O 待ちでブロックされたタスク {stuck_count} 個（procs_blocked、両方の読み取りで）"
            )
        } else {
            format!("{stuck_count} task(s) blocked on I/O at both readings (procs_blocked)")
        });
    }
    for p in stuck.iter().take(10) {
        let w = p.wchan.as_deref().unwrap_or("?");
        let hint = wchan_hint(w, ja);
        let hint = if hint.is_empty() {
            String::new()
        } else {
            format!(" ({hint})")
        };
        if ja {
            evidence.push(format!(
                "pid {} {}: D 状態、待ち関数 {w}{hint}",
                p.pid(),
                p.short_name(crate::fmt::NAME_MAX)
            ));
        } else {
            evidence.push(format!(
                "pid {} {}: D state, waiting in {w}{hint}",
                p.pid(),
                p.short_name(crate::fmt::NAME_MAX)
            ));
        }
    }
    if stuck.len() > 10 {
        evidence.push(if ja {
            format!("ほか {} 個", stuck.len() - 10)
        } else {
            format!("and {} more", stuck.len() - 10)
        });
    }
    if !busy_disks.is_empty() {
        evidence.push(if ja {
            format!("高負荷のディスク: {}", busy_disks.join(", "))
        } else {
            format!("busy disks: {}", busy_disks.join(", "))
        });
    }
    Outcome::one(Finding {
        rule: ID,
        severity,
        title: if ja {
            format!("ロードアベレージ {:.2} の原因は D 状態（I/O 待ちなど）の {} 個のタスクです", load.load1, stuck_count)
        } else {
            format!("Load {:.2} comes from {} task(s) stuck in uninterruptible sleep", load.load1, stuck_count)
        },
        summary: cx
            .t(
                "The CPUs are mostly idle: the load average is high because tasks wait in uninterruptible sleep (D state), almost always for I/O. Adding CPUs would not help; the device or server they wait for is the problem.",
                "CPU はほとんど空いています。ロードアベレージが高いのは、タスクが割り込み不能な待ち（D 状態、ほぼ I/O 待ち）に入っているためです。CPU を増やしても解決しません。待っている先のデバイスやサーバに問題があります。",
            )
            .into(),
        subjects: stuck.iter().take(10).map(|p| p.stat.comm.clone()).collect(),
        evidence,
        remedy: if ja {
            vec![
                "待ち関数がブロック I/O なら、ディスクの状態（iostat -x 1、SMART: smartctl -a、カーネルログの I/O エラー）を確認してください。".into(),
                "NFS なら、サーバの応答とネットワークを確認します（nfsstat、マウントオプション hard/soft、timeo）。".into(),
                "root で cat /proc/PID/stack を見ると、どこで止まっているかがわかります。".into(),
            ]
        } else {
            vec![
                "If they wait on block I/O, check the disk (iostat -x 1, SMART: smartctl -a, I/O errors in the kernel log: karte events).".into(),
                "If they wait on NFS, check the server and the network (nfsstat; mount options hard/soft, timeo).".into(),
                "cat /proc/PID/stack (as root) shows where each task is stuck.".into(),
            ]
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;
    use crate::testkit::*;

    fn stuck(mut p: Process) -> Process {
        p.wchan = Some("io_schedule".into());
        p
    }

    #[test]
    fn d_tasks_on_idle_cpus_fire() {
        let mut a = host(1000.0, 4, ticks(100, 0, 100, 10_000, 500, 0), 4.1, 1);
        let mut b = host(1002.0, 4, ticks(104, 0, 104, 10_500, 792, 0), 4.2, 1);
        for s in [&mut a, &mut b] {
            s.processes = (0..4)
                .map(|i| stuck(process(200 + i, "postgres", 'D', false, 0, 10, 100)))
                .collect();
        }
        let iv = interval(&a, &b);
        let o = evaluate(&Context::pair(&a, &b, Some(&iv), Lang::En));
        assert_eq!(o.findings.len(), 1);
        assert_eq!(o.findings[0].severity, Severity::Warning);
        assert!(
            o.findings[0]
                .evidence
                .iter()
                .any(|e| e.contains("io_schedule (block I/O)")),
            "{:?}",
            o.findings[0].evidence
        );
    }

    #[test]
    fn passing_io_or_busy_cpus_are_quiet() {
        // D only at the second reading.
        let mut a = host(1000.0, 2, ticks(100, 0, 100, 10_000, 0, 0), 2.0, 1);
        let mut b = host(1002.0, 2, ticks(102, 0, 102, 10_396, 0, 0), 2.0, 1);
        a.processes = vec![process(300, "cp", 'S', false, 0, 10, 100)];
        b.processes = vec![stuck(process(300, "cp", 'D', false, 0, 10, 100))];
        let iv = interval(&a, &b);
        assert!(
            evaluate(&Context::pair(&a, &b, Some(&iv), Lang::En))
                .findings
                .is_empty()
        );
        // Low load.
        let mut c = host(1002.0, 2, ticks(102, 0, 102, 10_396, 0, 0), 0.5, 1);
        c.processes = vec![stuck(process(300, "cp", 'D', false, 0, 10, 100))];
        a.processes = c.processes.clone();
        let iv = interval(&a, &c);
        assert!(
            evaluate(&Context::pair(&a, &c, Some(&iv), Lang::En))
                .findings
                .is_empty()
        );
    }
}
