//! `hung-task`: the kernel reported tasks blocked in uninterruptible sleep for minutes.
//!
//! The hung-task detector (kernel.hung_task_timeout_secs, usually 120 s) prints "task X:N blocked
//! for more than S seconds" for a task in D state that has not been scheduled for that long.
//! A task stuck that long is not waiting for a busy disk: the device, the NFS server or a kernel
//! lock it waits for is not answering.

use crate::context::{Context, Outcome};
use crate::fmt;
use crate::{Finding, RuleInfo, Severity};
use karte_kmsg::{Event, HungTask};

pub const ID: &str = "hung-task";

pub const INFO: RuleInfo = RuleInfo {
    id: ID,
    title_en: "Tasks hung in uninterruptible sleep",
    title_ja: "タスクが割り込み不能な待ちのまま止まっている",
    explain_en: "The kernel's hung-task detector prints 'INFO: task NAME:PID blocked for more than N seconds' when a task stays in \
uninterruptible sleep (D state) without being scheduled for kernel.hung_task_timeout_secs (usually 120 s); older kernels print the \
configured timeout, newer ones the measured time. A task stuck that long waits for something that does not answer: a failed or \
hung disk or controller, an unreachable NFS/iSCSI server, a stuck filesystem journal, a kernel lock held by another stuck task. \
Fires for every such report in the kernel log (one finding per program, however often it was printed); warning. The stack printed \
after the message, and /proc/PID/stack if the task is still stuck, show what it waits for. Setting hung_task_timeout_secs to 0 only \
silences the message.",
    explain_ja: "カーネルのハングタスク検出は、タスクが割り込み不能な待ち（D 状態）のまま kernel.hung_task_timeout_secs（通常 120 秒）の間スケジュールされないと 'INFO: task 名前:PID blocked for more than N seconds' と出力します。古いカーネルは設定値を、新しいカーネルは実測時間を出します。\
これほど長く止まっているタスクは、応答しないものを待っています。故障・停止したディスクやコントローラ、到達できない NFS/iSCSI サーバ、止まったファイルシステムのジャーナル、別の止まったタスクが持つカーネルのロックなどです。\
カーネルログにあるこの報告を検出します（何度出力されていてもプログラムごとに1件）。warning です。メッセージに続くスタック、まだ止まっていれば /proc/PID/stack が待っている先を示します。hung_task_timeout_secs を 0 にしてもメッセージが消えるだけです。",
};

pub fn evaluate(cx: &Context) -> Outcome {
    if !cx.kernel_log_read {
        return Outcome::skipped(super::NEEDS_LOG);
    }
    let hung: Vec<&HungTask> = cx
        .events
        .iter()
        .filter_map(|e| {
            if let Event::HungTask(h) = e {
                Some(h)
            } else {
                None
            }
        })
        .collect();
    if hung.is_empty() {
        return Outcome::quiet();
    }
    let ja = cx.ja();
    let mut by_comm: Vec<(String, Vec<&HungTask>)> = Vec::new();
    for h in hung {
        let c = h.comm.clone().unwrap_or_else(|| "?".into());
        match by_comm.iter_mut().find(|(k, _)| *k == c) {
            Some((_, v)) => v.push(h),
            None => by_comm.push((c, vec![h])),
        }
    }
    let timeout = cx.now.sysctls.get("kernel.hung_task_timeout_secs");
    let mut out = Vec::new();
    for (comm, hs) in by_comm {
        let pids: Vec<String> = {
            let mut v: Vec<u32> = hs.iter().filter_map(|h| h.pid).collect();
            v.sort_unstable();
            v.dedup();
            v.iter().map(|p| p.to_string()).collect()
        };
        let longest = hs.iter().filter_map(|h| h.blocked_secs).max();
        let mut evidence = fmt::newest_lines(
            hs.iter()
                .map(|h| fmt::log_line(&h.at, &h.message))
                .collect(),
            3,
            ja,
        );
        // Still stuck now?
        for pid in hs.iter().filter_map(|h| h.pid) {
            if let Some(p) = cx.now.process(pid).filter(|p| {
                p.stat.state == karte_procfs::pid_stat::TaskState::DiskSleep && p.stat.comm == comm
            }) {
                evidence.push(if ja {
                    format!(
                        "pid {pid} は今も D 状態です（待ち関数 {}）",
                        p.wchan.as_deref().unwrap_or("?")
                    )
                } else {
                    format!(
                        "pid {pid} is still in D state now (waiting in {})",
                        p.wchan.as_deref().unwrap_or("?")
                    )
                });
            }
        }
        if let Some(t) = timeout {
            evidence.push(format!("kernel.hung_task_timeout_secs = {t}"));
        }
        let secs = longest
            .map(|s| {
                if ja {
                    fmt::duration_ja(s as f64)
                } else {
                    fmt::duration(s as f64)
                }
            })
            .unwrap_or_else(|| "?".into());
        out.push(Finding {
            rule: ID,
            severity: Severity::Warning,
            title: if ja {
                format!("{comm}（pid {}）が {secs} 以上止まっていました", pids.join(", "))
            } else {
                format!("{comm} (pid {}) hung for more than {secs}", pids.join(", "))
            },
            summary: cx
                .t(
                    "The kernel saw this task blocked in uninterruptible sleep for minutes. It waits for something that does not answer — a failing disk or controller, an unreachable NFS server, a stuck journal or lock — and cannot even be killed until that returns.",
                    "カーネルは、このタスクが割り込み不能な待ちのまま数分間止まっているのを検出しました。応答しないもの（故障しかけのディスクやコントローラ、到達できない NFS サーバ、止まったジャーナルやロック）を待っており、それが戻るまで強制終了すらできません。",
                )
                .into(),
            subjects: std::iter::once(comm.clone()).chain(pids.iter().map(|p| format!("pid {p}"))).collect(),
            evidence,
            remedy: if ja {
                vec![
                    "ログでメッセージの後に続くスタック（Call Trace）を確認してください。nfs_/rpc_ なら NFS、blk_/io_schedule ならディスク、jbd2/xfs_log ならジャーナルです。".into(),
                    "同じ時刻の I/O エラーやデバイスのリセットを karte events で確認し、ディスクやコントローラ（smartctl -a）、ストレージサーバを点検してください。".into(),
                    "hung_task_timeout_secs を 0 にするとメッセージが消えるだけで、止まっている原因は残ります。".into(),
                ]
            } else {
                vec![
                    "Read the stack printed after the message (Call Trace): nfs_/rpc_ means NFS, blk_/io_schedule a disk, jbd2/xfs_log a journal.".into(),
                    "Look for I/O errors and device resets at the same time (karte events), and check the disk or controller (smartctl -a) or the storage server.".into(),
                    "Setting hung_task_timeout_secs to 0 only hides the message; the cause stays.".into(),
                ]
            },
        });
    }
    Outcome::many(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;
    use crate::testkit::*;

    #[test]
    fn one_finding_per_program_however_often_printed() {
        let log = "[  600.0] INFO: task nfsd:1234 blocked for more than 120 seconds.
[  720.0] INFO: task nfsd:1234 blocked for more than 241 seconds.
[  725.0] INFO: task rsync:4321 blocked for more than 122 seconds.
";
        let ev = karte_kmsg::parse_bytes(log.as_bytes(), &karte_kmsg::Options::default());
        let s = host(1000.0, 2, ticks(1, 0, 1, 1, 0, 0), 0.5, 1);
        let o = evaluate(&Context::single(&s, Lang::En).with_events(&ev));
        assert_eq!(o.findings.len(), 2, "{o:?}");
        assert!(o.findings.iter().all(|f| f.severity == Severity::Warning));
        let quiet = karte_kmsg::parse_bytes(
            b"[ 1.0] EXT4-fs (sda1): mounted filesystem\n",
            &karte_kmsg::Options::default(),
        );
        assert!(
            evaluate(&Context::single(&s, Lang::En).with_events(&quiet))
                .findings
                .is_empty()
        );
    }
}
