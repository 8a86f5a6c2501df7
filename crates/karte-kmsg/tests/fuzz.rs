//! Property tests: any bytes, any chunking — no panic, bounded buffering, and the same events
//! whether the input comes in one piece, in chunks, line by line, or without the prefilter.
//!
//! The case counts are modest so that `cargo test` stays quick; raise `PROPTEST_CASES` for a
//! longer run.

use karte_kmsg::{Event, MAX_LINE, Options, Parser, parse_bytes};
use proptest::prelude::*;

/// Fragments of real kernel lines, so that random combinations reach deep parser states (open
/// OOM reports, pending MCE and RCU records, wrapped lines) rather than being skipped at once.
const FRAGMENTS: &[&str] = &[
    "[  123.456789] ",
    "6,1234,5678901,-;",
    "Nov 23 03:12:01 host kernel: ",
    "2026-11-23T03:12:01+0900 host kernel: ",
    "> ",
    "java invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0",
    "Mem-Info:",
    "active_anon:1 inactive_anon:2 isolated_anon:0 dirty:3 writeback:4 free:5",
    "Free swap  = 0kB",
    "Tasks state (memory values in pages):",
    "[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name",
    "[   8123]  1000  8123  1250000   260101  2457600        0             0 java",
    "[ 1]",
    "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/a,task_memcg=/a,task=java,pid=8123,uid=1000",
    ",task_memcg=/x,task=y,pid=1,uid=0",
    "Out of memory: Killed process 8123 (java) total-vm:1kB, anon-rss:2kB, file-rss:3kB, shmem-rss:0kB, UID:1000 pgtables:4kB oom_score_adj:0",
    "Out of memory: Kill process 8123 (java) score 900 or sacrifice child",
    "Killed process 8124, UID 0, (sh) total-vm:1kB",
    "anon-rss:7608440kB, file-rss:0kB",
    "Memory cgroup out of memory: Killed process 1 (x)",
    "Tasks in /a are going to be killed due to memory.oom.group set",
    "memory: usage 1kB, limit 2kB, failcnt 3",
    "Memory cgroup stats for /a:",
    "anon 4096",
    "Kernel panic - not syncing: Out of memory: system-wide panic_on_oom is enabled",
    "oom_reaper: reaped process 8123 (java), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB",
    "INFO: task java:8123 blocked for more",
    " than 120 seconds.",
    "INFO: task kworker/u16:3:412 blocked for more than 122 seconds.",
    "BUG: soft lockup - CPU#3 stuck for 22s! [java:1]",
    "rcu: INFO: rcu_sched detected stalls on CPUs/tasks:",
    "rcu: \t3-....: (1 GPs behind) idle=1",
    "\t(detected by 1, t=60002 jiffies, g=1, q=2)",
    "mce: [Hardware Error]: CPU 1: Machine Check: 0 Bank 7: cc00008000010090",
    "mce: [Hardware Error]: TSC 0 ADDR 1ffe8b8c0 MISC 9",
    "[Hardware Error]: Corrected error, no action required.",
    "EDAC MC0: 1 CE memory read error on DIMM_A1 (channel:1)",
    "e1000e: eth0 NIC Link is Down",
    "igb 0000:01:00.0 eno1: igb: eno1 NIC Link is Up 1000 Mbps Full Duplex",
    "IPv6: eth0: IPv6 duplicate address fe80::1 used by 52:54:00:12:34:56 detected!",
    "blk_update_request: I/O error, dev sda, sector 1 op 0x1:(WRITE)",
    "EXT4-fs error (device sda1): x",
    "java[1]: segfault at 0 ip 1 sp 2 error 4 in libc.so.6[1+2]",
    "traps: a[1] trap invalid opcode ip:1 sp:2 error:0 in a[1+2]",
    "Linux version 6.1",
    "-- Reboot --",
    "\\x0a",
    "#012",
    "\u{1b}[32m",
    "systemd-oomd[1]: Killed /a due to memory pressure for /a being 5.00% > 1.00%",
    "Nov 23 03:12:01 h earlyoom[1]: sending SIGTERM to process 1 uid 0 \"x\": badness 1, VmRSS 2 MiB",
    "\u{0}",
    "\u{ff}",
    "(",
    ")",
    ":",
    "\r",
    " ",
];

/// 192 cases unless `PROPTEST_CASES` says otherwise.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(192)
}

fn all_events(p: &mut Parser) -> Vec<Event> {
    p.drain().collect()
}

fn one_shot(data: &[u8], opts: &Options) -> Vec<Event> {
    parse_bytes(data, opts)
}

fn chunked(data: &[u8], opts: &Options, cuts: &[usize]) -> (Vec<Event>, usize) {
    let mut p = Parser::new(opts.clone());
    let mut max_buffered = 0;
    let mut at = 0;
    for &c in cuts {
        let end = (at + c).min(data.len());
        p.feed(&data[at..end]);
        max_buffered = max_buffered.max(p.buffered_bytes());
        at = end;
    }
    p.feed(&data[at..]);
    max_buffered = max_buffered.max(p.buffered_bytes());
    p.finish();
    (all_events(&mut p), max_buffered)
}

fn vocab_log() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        4 => proptest::sample::select(FRAGMENTS).prop_map(|s| s.as_bytes().to_vec()),
        1 => proptest::collection::vec(any::<u8>(), 0..12),
    ];
    let line = proptest::collection::vec(piece, 1..4).prop_map(|ps| ps.concat());
    proptest::collection::vec(line, 0..60).prop_map(|lines| {
        let mut out = Vec::new();
        for l in lines {
            out.extend_from_slice(&l);
            out.push(b'\n');
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn any_bytes_any_chunks(data in proptest::collection::vec(any::<u8>(), 0..4096),
                            cuts in proptest::collection::vec(1usize..700, 0..12)) {
        let opts = Options::default();
        let whole = one_shot(&data, &opts);
        let (parts, buffered) = chunked(&data, &opts, &cuts);
        prop_assert_eq!(&whole, &parts);
        prop_assert!(buffered <= MAX_LINE);
    }

    #[test]
    fn kernel_like_lines(data in vocab_log(),
                         cuts in proptest::collection::vec(1usize..300, 0..12)) {
        let opts = Options::default();
        let whole = one_shot(&data, &opts);
        let (parts, _) = chunked(&data, &opts, &cuts);
        prop_assert_eq!(&whole, &parts);
        let mut every = opts.clone();
        every.prefilter = false;
        prop_assert_eq!(&whole, &one_shot(&data, &every));
        // serializing never fails
        for e in &whole {
            prop_assert!(serde_json::to_string(e).is_ok());
        }
    }
}

/// A 3 MB line and then a normal one: the long line is cut, buffering stays bounded, the
/// normal line still counts.
#[test]
fn huge_line_is_bounded() {
    let mut p = Parser::default();
    let chunk = vec![b'x'; 64 * 1024];
    for _ in 0..48 {
        p.feed(&chunk);
        assert!(p.buffered_bytes() <= MAX_LINE);
    }
    p.feed(b" Killed process 1 (init)\n[ 1.0] e1000e: eth0 NIC Link is Down\n");
    p.finish();
    let kinds: Vec<&str> = p.drain().map(|e| e.kind()).collect();
    assert_eq!(kinds, vec!["link_down"]);
    assert_eq!(p.stats().long_lines, 1);
}

/// Many OOM reports with huge task tables: the assembler keeps only the largest rows, so the
/// queued event stays small whatever the table size.
#[test]
fn huge_task_table_is_bounded() {
    let mut p = Parser::default();
    p.feed(
        b"[ 1.0] java invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0\n",
    );
    p.feed(b"[ 1.0] [  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name\n");
    let mut buf = Vec::new();
    for pid in 1..200_000u32 {
        buf.extend_from_slice(
            format!("[ 1.0] [{pid:>7}]  1000 {pid:>5}  1250000 {:>8}  2457600        0             0 task{pid}\n", pid % 9973)
                .as_bytes(),
        );
        if buf.len() > 1 << 20 {
            p.feed(&buf);
            buf.clear();
        }
    }
    p.feed(&buf);
    p.feed(b"[ 1.0] Out of memory: Killed process 9972 (task9972) total-vm:1kB, anon-rss:2kB, file-rss:3kB, shmem-rss:0kB, UID:1000 pgtables:4kB oom_score_adj:0\n");
    p.finish();
    let events: Vec<Event> = p.drain().collect();
    assert_eq!(events.len(), 1);
    match &events[0] {
        Event::OomKill(k) => {
            assert_eq!(k.task_count, Some(199_999));
            assert_eq!(k.largest_tasks.len(), 5);
            assert_eq!(k.largest_tasks[0].rss_kb, Some(9972 * 4));
            assert_eq!(k.missing, vec!["mem_info"]);
        }
        other => panic!("{other:?}"),
    }
}
