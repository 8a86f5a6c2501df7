//! A bundle can hold anything. Whole pipeline over garbage trees: reading a snapshot, computing
//! an interval and writing the exposition must never panic, whatever the files contain.

use karte_snapshot::{Interval, ReadOptions, read_snapshot};
use karte_source::Root;
use karte_source::root::MemTree;
use proptest::prelude::*;
use std::sync::Arc;

const PATHS: &[&str] = &[
    "proc/stat",
    "proc/uptime",
    "proc/loadavg",
    "proc/meminfo",
    "proc/vmstat",
    "proc/diskstats",
    "proc/net/dev",
    "proc/net/arp",
    "proc/pressure/cpu",
    "proc/pressure/memory",
    "proc/pressure/io",
    "proc/modules",
    "proc/schedstat",
    "proc/sys/vm/overcommit_memory",
    "proc/1/stat",
    "proc/1/status",
    "proc/1/cmdline",
    "proc/1/cgroup",
    "proc/1/oom_score_adj",
    "proc/2/stat",
    "proc/2/wchan",
    "sys/class/net/eth0/address",
    "sys/class/net/eth0/statistics/rx_bytes",
    "sys/block/sda/queue/rotational",
    "sys/fs/cgroup/cgroup.controllers",
    "sys/fs/cgroup/system.slice/memory.max",
    "sys/fs/cgroup/system.slice/memory.events",
    "sys/devices/system/node/node0/meminfo",
    "run/udev/data/b8:0",
];

const GOOD: &[&str] = &[
    "cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 2 3 4 5 6 7 8 9 10\nprocesses 5\n",
    "100.5 200.1\n",
    "1.00 2.00 3.00 1/100 555\n",
    "MemTotal: 1000 kB\nDirty: 5 kB\n",
    "pswpin 1\n",
    "8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n",
    "eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
    "1 (init) D 0 1 1 0 -1 4194560 0 0 0 0 1 1 0 0 20 0 1 0 5 100 10\n",
    "0::/system.slice\n",
    "max\n",
];

fn tree() -> impl Strategy<Value = Vec<(usize, Vec<u8>)>> {
    let content = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        (0..GOOD.len(), any::<u16>()).prop_map(|(i, cut)| {
            let g = GOOD[i].as_bytes();
            g[..(cut as usize % (g.len() + 1))].to_vec()
        }),
        (0..GOOD.len()).prop_map(|i| GOOD[i].as_bytes().to_vec()),
    ];
    proptest::collection::vec((0..PATHS.len(), content), 0..25)
}

fn build(files: &[(usize, Vec<u8>)]) -> Root {
    let mut t = MemTree::default();
    for (i, data) in files {
        t.insert(PATHS[*i], data.clone());
    }
    Root::mem(Arc::new(t), "")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn garbage_never_panics(a in tree(), b in tree()) {
        let opts = ReadOptions::default();
        let s0 = read_snapshot(&build(&a), &opts);
        let s1 = read_snapshot(&build(&b), &opts);
        if let Some(iv) = Interval::new(&s0, &s1) {
            if let Some(c) = iv.cpu {
                let sum: f64 = c.by_mode().iter().sum();
                prop_assert!((sum - 100.0).abs() < 1e-6, "shares sum to {sum}");
                prop_assert!(c.by_mode().iter().all(|x| (0.0..=100.0).contains(x)));
            }
            for d in &iv.disks {
                prop_assert!(d.util_pct >= 0.0 && d.util_pct <= 100.0);
            }
        }
        let mut e = karte_expo::Exposition::new();
        karte_expo::node::write(&s1, &mut e);
        let _ = e.render();
    }
}
