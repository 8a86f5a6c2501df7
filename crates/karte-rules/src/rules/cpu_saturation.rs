//! `cpu-saturation`: more tasks want to run than there are CPUs, and the CPUs are busy.
//!
//! Busy CPUs alone are fine (a batch job should use them); a run queue longer than the CPUs alone
//! is fine when they are idle (tasks just woke). Both together mean tasks wait for a CPU. Time
//! spent on nice > 0 tasks is left out of "busy": such work yields to normal work, so it delays
//! nobody (the kipmi0 case runs at nice 19).

use crate::context::{Context, Outcome};
use crate::fmt;
use crate::{Finding, RuleInfo, Severity};

pub const ID: &str = "cpu-saturation";
/// CPU busy share (all CPUs, without niced work) from which there is no spare capacity.
pub const BUSY_PCT: f64 = 90.0;
/// Runnable tasks per CPU from which tasks wait: more than one each.
pub const RUNNABLE_PER_CPU: f64 = 1.0;
/// Critical: everything busy and twice as many tasks wanting to run as CPUs.
pub const CRITICAL_BUSY_PCT: f64 = 97.0;
pub const CRITICAL_RUNNABLE_PER_CPU: f64 = 2.0;

pub const INFO: RuleInfo = RuleInfo {
    id: ID,
    title_en: "The CPUs are saturated",
    title_ja: "CPU が飽和している",
    explain_en: "Fires when, over the interval, the CPUs were busy at least 90 % of the time with normal-priority work (user, system, irq, \
softirq; time on nice > 0 tasks is left out because it yields to everything else) AND more tasks were runnable than there are CPUs \
(runnable tasks from /proc/stat at both readings and the 1-minute load average). Then tasks wait in the run queue and everything \
is slower. Critical from 97 % busy with twice as many runnable tasks as CPUs. The finding names the processes that used the most CPU \
over the interval (as top computes it). Remedies: find why those processes need the CPU, limit them (CPUQuota= in their systemd \
unit, nice, cgroup cpu.max), spread the work, or add CPUs.",
    explain_ja: "区間内で CPU が通常優先度の処理（user、system、irq、softirq。nice > 0 のタスクは他に譲るので除外）で 90 % 以上埋まり、かつ実行可能なタスクが CPU 数より多い（両方の読み取り時点の /proc/stat の実行可能数と1分ロードアベレージで判断）ときに検出します。\
このときタスクは実行待ちの列に並び、すべてが遅くなります。97 % 以上埋まり、実行可能タスクが CPU 数の2倍以上なら critical です。区間内で CPU を最も使ったプロセス（top と同じ計算）を示します。\
対策: そのプロセスがなぜ CPU を必要としているかを調べ、制限する（systemd ユニットの CPUQuota=、nice、cgroup の cpu.max）、処理を分散する、CPU を増やす。",
};

pub fn evaluate(cx: &Context) -> Outcome {
    let Some(iv) = cx.interval else {
        return Outcome::skipped("needs two readings (CPU use over an interval)");
    };
    let (Some(cpu), Some(ncpu)) = (iv.cpu, cx.cpus()) else {
        return Outcome::skipped("no CPU counters");
    };
    let ncpu_f = ncpu as f64;
    let busy = cpu.user_pct + cpu.system_pct + cpu.irq_pct + cpu.softirq_pct;
    let running = |s: &karte_snapshot::Snapshot| s.stat.as_ref().and_then(|st| st.procs_running);
    // The reader itself is one of the runnable tasks at each reading.
    let runnable: Vec<f64> = [cx.before.and_then(running), running(cx.now)]
        .iter()
        .flatten()
        .map(|r| (*r as f64 - 1.0).max(0.0))
        .collect();
    if runnable.is_empty() {
        return Outcome::skipped("no runnable-task count");
    }
    let min_runnable = runnable.iter().copied().fold(f64::INFINITY, f64::min);
    let load1 = cx.now.loadavg.map(|l| l.load1);
    let queue = match load1 {
        Some(l) => min_runnable.min(l),
        None => min_runnable,
    };
    if busy < BUSY_PCT || queue <= RUNNABLE_PER_CPU * ncpu_f {
        return Outcome::quiet();
    }
    let severity = if busy >= CRITICAL_BUSY_PCT && queue >= CRITICAL_RUNNABLE_PER_CPU * ncpu_f {
        Severity::Critical
    } else {
        Severity::Warning
    };
    let top: Vec<_> = iv
        .processes
        .iter()
        .filter(|p| p.cpu_pct >= 1.0)
        .take(5)
        .collect();
    let names = |p: &karte_snapshot::ProcessRate| {
        cx.now
            .process(p.pid)
            .map(|pr| pr.short_name(crate::fmt::NAME_MAX))
            .unwrap_or_else(|| p.comm.clone())
    };
    let load_txt = load1
        .map(|l| format!("{l:.2}"))
        .unwrap_or_else(|| "?".into());
    let psi = iv.psi_cpu.some_pct;
    let mut evidence = Vec::new();
    if cx.ja() {
        evidence.push(format!(
            "直近 {:.1} 秒: CPU {} 個の使用率 {}（nice を除く）、アイドル {}",
            iv.elapsed_secs,
            ncpu,
            fmt::pct(busy),
            fmt::pct(cpu.idle_pct)
        ));
        evidence.push(format!(
            "実行可能タスク {} 個以上（CPU {} 個）、1分ロードアベレージ {load_txt}",
            queue.round(),
            ncpu
        ));
        if let Some(p) = psi {
            evidence.push(format!("CPU 待ち（PSI cpu some）: 時間の {}", fmt::pct(p)));
        }
        for p in &top {
            evidence.push(format!(
                "pid {} {}: CPU {}",
                p.pid,
                names(p),
                fmt::pct(p.cpu_pct)
            ));
        }
    } else {
        evidence.push(format!(
            "last {:.1} s: {} CPUs busy {} (niced work excluded), idle {}",
            iv.elapsed_secs,
            ncpu,
            fmt::pct(busy),
            fmt::pct(cpu.idle_pct)
        ));
        evidence.push(format!(
            "at least {} runnable tasks for {} CPUs; 1-minute load average {load_txt}",
            queue.round(),
            ncpu
        ));
        if let Some(p) = psi {
            evidence.push(format!(
                "tasks waiting for a CPU (PSI cpu some) {} of the time",
                fmt::pct(p)
            ));
        }
        for p in &top {
            evidence.push(format!(
                "pid {} {}: {} CPU",
                p.pid,
                names(p),
                fmt::pct(p.cpu_pct)
            ));
        }
    }
    let subjects = top.iter().map(|p| p.comm.clone()).collect();
    Outcome::one(Finding {
        rule: ID,
        severity,
        title: if cx.ja() {
            format!("CPU が飽和しています（{ncpu} 個に対して実行待ち {} 個）", queue.round())
        } else {
            format!("CPUs saturated: {} runnable tasks for {ncpu} CPUs", queue.round())
        },
        summary: cx
            .t(
                "Every CPU is busy and more tasks want to run than there are CPUs, so tasks wait for their turn and everything responds slower. The processes below used the most CPU during the check.",
                "すべての CPU が埋まっており、CPU の数より多いタスクが実行を待っています。そのため順番待ちが生じ、全体の応答が遅くなっています。下のプロセスがこの間に最も CPU を使いました。",
            )
            .into(),
        subjects,
        evidence,
        remedy: if cx.ja() {
            vec![
                "上位のプロセスがなぜ CPU を必要としているか（想定内の処理か、暴走か）を確認してください。".into(),
                "優先度の低い処理は nice を上げるか、systemd ユニットに CPUQuota=（cgroup の cpu.max）を設定して制限します。".into(),
                "恒常的に足りないなら、処理を他のマシンに分散するか CPU を増やしてください。".into(),
            ]
        } else {
            vec![
                "Check why the top processes need the CPU (expected work, or a runaway).".into(),
                "Limit less important work: renice it, or set CPUQuota= in its systemd unit (cgroup cpu.max).".into(),
                "If it is the normal load, spread the work over more machines or add CPUs.".into(),
            ]
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;
    use crate::testkit::*;

    #[test]
    fn busy_and_queued_fires() {
        let mut a = host(1000.0, 2, ticks(1000, 0, 500, 10_000, 0, 0), 5.0, 6);
        let mut b = host(1002.0, 2, ticks(1350, 0, 545, 10_005, 0, 0), 5.0, 6);
        a.processes = vec![process(100, "burn", 'R', false, 0, 1000, 50)];
        b.processes = vec![process(100, "burn", 'R', false, 0, 1380, 50)];
        let iv = interval(&a, &b);
        let o = evaluate(&Context::pair(&a, &b, Some(&iv), Lang::En));
        assert_eq!(o.findings.len(), 1, "{o:?}");
        assert_eq!(o.findings[0].severity, Severity::Critical);
        assert!(o.findings[0].evidence.iter().any(|e| e.contains("burn")));
    }

    #[test]
    fn busy_with_niced_work_or_short_queue_is_quiet() {
        // Busy with nice 19 work: no one waits.
        let a = host(1000.0, 2, ticks(1000, 0, 500, 10_000, 0, 0), 3.0, 4);
        let b = host(1002.0, 2, ticks(1010, 380, 505, 10_005, 0, 0), 3.0, 4);
        let iv = interval(&a, &b);
        assert!(
            evaluate(&Context::pair(&a, &b, Some(&iv), Lang::En))
                .findings
                .is_empty()
        );
        // Busy but only as many runnable tasks as CPUs.
        let a = host(1000.0, 2, ticks(1000, 0, 500, 10_000, 0, 0), 2.0, 3);
        let b = host(1002.0, 2, ticks(1390, 0, 505, 10_005, 0, 0), 2.0, 3);
        let iv = interval(&a, &b);
        assert!(
            evaluate(&Context::pair(&a, &b, Some(&iv), Lang::En))
                .findings
                .is_empty()
        );
    }
}
