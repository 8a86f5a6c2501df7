//! Building snapshots for rule tests, through the same types the readers produce.

use karte_procfs::loadavg::LoadAvg;
use karte_procfs::pid_stat::{PidStat, TaskState};
use karte_procfs::stat::{CpuTicks, Stat};
use karte_procfs::uptime::Uptime;
use karte_snapshot::{Interval, Process, Snapshot};

pub fn ticks(user: u64, nice: u64, system: u64, idle: u64, iowait: u64, steal: u64) -> CpuTicks {
    CpuTicks {
        user,
        nice,
        system,
        idle,
        iowait,
        irq: 0,
        softirq: 0,
        steal,
        guest: 0,
        guest_nice: 0,
        fields: 10,
    }
}

/// A host with `cpus` identical CPUs whose aggregate is `total` (per-CPU = total / cpus).
pub fn host(up_secs: f64, cpus: u32, total: CpuTicks, load1: f64, runnable: u64) -> Snapshot {
    let n = u64::from(cpus);
    let per = CpuTicks {
        user: total.user / n,
        nice: total.nice / n,
        system: total.system / n,
        idle: total.idle / n,
        iowait: total.iowait / n,
        irq: total.irq / n,
        softirq: total.softirq / n,
        steal: total.steal / n,
        ..total
    };
    let mut s = Snapshot::default();
    s.host.user_hz = 100;
    s.host.user_hz_known = true;
    s.host.page_size_bytes = 4096;
    s.host.unix_secs = Some(1_795_000_000.0 + up_secs);
    s.uptime = Some(Uptime {
        up_secs,
        idle_secs: None,
    });
    s.stat = Some(Stat {
        cpu: Some(total),
        cpus: (0..cpus).map(|i| (i, per)).collect(),
        procs_running: Some(runnable),
        procs_blocked: Some(0),
        ..Default::default()
    });
    s.loadavg = Some(LoadAvg {
        load1,
        load5: load1,
        load15: load1,
        runnable,
        threads: 100,
        last_pid: Some(1000),
    });
    s
}

pub fn process(
    pid: u32,
    comm: &str,
    state: char,
    kthread: bool,
    nice: i64,
    cpu_ticks: u64,
    start_ticks: u64,
) -> Process {
    Process {
        stat: PidStat {
            pid,
            comm: comm.to_string(),
            state: TaskState::from_letter(state),
            ppid: if kthread { 2 } else { 1 },
            pgrp: 0,
            session: 0,
            tpgid: -1,
            flags: if kthread {
                karte_procfs::pid_stat::PF_KTHREAD
            } else {
                0x400000
            },
            minflt: 0,
            majflt: 0,
            utime_ticks: 0,
            stime_ticks: cpu_ticks,
            priority: 20 + nice,
            nice,
            num_threads: 1,
            starttime_ticks: start_ticks,
            vsize_bytes: 0,
            rss_pages: if kthread { 0 } else { 1000 },
            processor: Some(0),
            rt_priority: None,
            policy: None,
            blkio_ticks: None,
        },
        status: None,
        cmdline: Some(if kthread {
            String::new()
        } else {
            format!("/usr/bin/{comm}")
        }),
        wchan: None,
        oom_score: None,
        oom_score_adj: None,
        cgroup: None,
    }
}

pub fn interval(a: &Snapshot, b: &Snapshot) -> Interval {
    Interval::new(a, b).expect("interval")
}
