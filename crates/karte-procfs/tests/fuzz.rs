//! No input may make a parser panic: arbitrary bytes, and mutations of real file contents
//! (truncated, with fields replaced by garbage, huge numbers, odd whitespace).

use karte_procfs as p;
use proptest::prelude::*;

const SAMPLES: &[&str] = &[
    "cpu  301854 612 111922 8979004 3552 2 3944 0 44 36\ncpu0 44490 19 21045 1087069 220 1 3410 0 2 1\nintr 8885917 17 0\nctxt 38014093\nbtime 1418183276\nprocesses 26442\nprocs_running 2\nprocs_blocked 0\nsoftirq 5057579 250191 1481983 1647 211099 186066 0 1783454 622196 12499 508444\n",
    "0.21 0.37 0.39 1/719 19737\n",
    "3545.41 6772.87\n",
    "MemTotal:        3742148 kB\nMemFree:          225472 kB\nHugePages_Total:       0\nActive(anon):  5 kB\n",
    "nr_free_pages 100\npswpin 5\noom_kill 2\n",
    "   8       0 sda 25354637 34367663 1003346126 18483989 28510629 5432427 986337736 206064720 0 27829580 224531624 1 2 3 4 5 6\n",
    "Inter-|   Receive |  Transmit\n face |bytes packets|bytes\n  eth0:68210035552 520993275 0 0 0 0 0 0 9315587528 43451486 0 0 0 0 0 0\n",
    "some avg10=0.18 avg60=0.34 avg300=0.10 total=159886802\nfull avg10=0.18 avg60=0.34 avg300=0.10 total=159229614\n",
    "4242 (my) (evil prog) S 1 4242 4242 0 -1 4194560 10 0 0 0 7 3 0 0 20 0 3 0 9999 123456 789 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
    "Name:\tsshd\nTgid:\t812\nUid:\t0\t0\t0\t0\nVmRSS:\t    7048 kB\nThreads:\t1\n",
    "0::/system.slice/sshd.service\n12:memory:/user.slice\n",
    "IP address       HW type     Flags       HW address            Mask     Device\n192.168.1.1      0x1         0x2         cc:aa:dd:ee:aa:bb     *        eth0\n",
    "ipmi_si 77824 0 - Live 0x0000000000000000\n",
    "Node 1 MemTotal:       134217728 kB\n",
    "version 15\ntimestamp 4294937296\n",
    "E:ID_ATA=1\nE:ID_MODEL=X\n",
    "low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\n",
];

fn run_all(s: &str, bytes: &[u8]) {
    let _ = p::stat::parse(s);
    let _ = p::loadavg::parse(s);
    let _ = p::uptime::parse(s);
    let _ = p::meminfo::parse(s);
    let _ = p::vmstat::parse(s);
    let _ = p::diskstats::parse(s);
    let _ = p::diskstats::DiskCounters::parse_counters(s);
    let _ = p::net_dev::parse(s);
    let _ = p::pressure::parse(s);
    let _ = p::pid_stat::parse(s);
    let _ = p::pid_status::parse(s);
    let _ = p::cgroup::parse(s);
    let _ = p::cgroup::unit_of_path(s);
    let _ = p::cgroup_memory::parse_v2_limit(s);
    let _ = p::cgroup_memory::parse_v1_limit(s);
    let _ = p::cgroup_memory::parse_events(s);
    let _ = p::net_arp::parse(s);
    let _ = p::modules::parse(s);
    let _ = p::numa::parse_node_meminfo(s);
    let _ = p::schedstat::parse_jiffies(s);
    let _ = p::sysctl::parse_value(s);
    let _ = p::udev::parse_properties(s);
    let _ = p::netclass::parse_address(s);
    let _ = p::netclass::parse_operstate(s);
    let _ = p::cmdline::parse_cmdline(bytes);
    let _ = p::cmdline::parse_wchan(s);
    let _ = p::kv::parse_u64_pairs(s);
}

/// A real-looking file with one edit: truncation, a token replaced, a byte inserted.
fn mutated() -> impl Strategy<Value = String> {
    (0..SAMPLES.len(), any::<usize>(), 0u8..4, ".{0,12}").prop_map(|(i, pos, op, junk)| {
        let base = SAMPLES[i];
        let mut cut = pos % (base.len() + 1);
        while !base.is_char_boundary(cut) {
            cut -= 1;
        }
        match op {
            0 => base[..cut].to_string(),
            1 => format!("{}{}{}", &base[..cut], junk, &base[cut..]),
            2 => base.replace(|c: char| c.is_ascii_digit() && cut.is_multiple_of(3), "9"),
            _ => format!("{}18446744073709551616{}", &base[..cut], &base[cut..]),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let s = String::from_utf8_lossy(&bytes);
        run_all(&s, &bytes);
    }

    #[test]
    fn mutated_real_files_never_panic(s in mutated()) {
        run_all(&s, s.as_bytes());
    }

    #[test]
    fn cpu_shares_are_never_out_of_range(v in proptest::collection::vec(0u64..u64::MAX / 16, 20)) {
        // Any two cpu lines: parse, and the totals must not overflow.
        let a = format!("cpu  {}\n", v[..10].iter().map(|x| x.to_string()).collect::<Vec<_>>().join(" "));
        let st = p::stat::parse(&a);
        if let Some(c) = st.cpu { let _ = c.total(); }
    }
}
