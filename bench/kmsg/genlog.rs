//! Writes a large syslog-style kernel log for `bench/kmsg/run.sh`: ordinary lines of the kernel
//! and of daemons (audit, firewall, sshd, cron, systemd, dockerd, postfix, ...), with a
//! complete OOM-killer report (header, stack, Mem-Info, task table, summary, kill line) every
//! `--oom-every-mb` megabytes. Deterministic (fixed seed), std only:
//! `rustc -O bench/kmsg/genlog.rs -o genlog && ./genlog --size-mb 1024 --out /tmp/big.log`.
//! Prints the number of OOM kills written, which `karte events` must find.

use std::io::{BufWriter, Write};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn main() {
    let mut size_mb: u64 = 1024;
    let mut out = String::from("/tmp/karte-kmsg-bench.log");
    let mut oom_every_mb: u64 = 20;
    let args: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < args.len() {
        let v = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--size-mb" => size_mb = v.parse().expect("--size-mb N"),
            "--out" => out = v,
            "--oom-every-mb" => oom_every_mb = v.parse().expect("--oom-every-mb N"),
            other => panic!("unknown argument {}", other),
        }
        i += 2;
    }
    let target = size_mb * 1024 * 1024;
    let every = oom_every_mb.max(1) * 1024 * 1024;
    let f = std::fs::File::create(&out).expect("create output");
    let mut w = BufWriter::with_capacity(1 << 20, f);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut written: u64 = 0;
    let mut next_oom = every / 2;
    let mut kills = 0u64;
    let mut up: f64 = 1000.0;
    let mut secs: u64 = 0;
    let mut line = String::with_capacity(512);
    while written < target {
        up += (rng.below(2000) as f64) / 1e6;
        secs += rng.below(3);
        let day = 1 + (secs / 86400) % 28;
        let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
        let stamp = format!("{} {:2} {h:02}:{m:02}:{s:02} web1", MONTHS[((secs / 2_419_200) % 12) as usize], day);
        line.clear();
        if written >= next_oom {
            next_oom += every;
            kills += 1;
            let pid = 1000 + rng.below(60000);
            let r = oom_report(&stamp, up, pid, &mut rng);
            w.write_all(r.as_bytes()).expect("write");
            written += r.len() as u64;
            continue;
        }
        let n = rng.next();
        let pid = 100 + n % 30000;
        match n % 11 {
            0 => line.push_str(&format!(
                "{stamp} kernel: [{up:12.6}] audit: type=1400 audit({}.{:03}:{}): apparmor=\"ALLOWED\" operation=\"open\" profile=\"/usr/sbin/cupsd\" name=\"/etc/ssl/openssl.cnf\" pid={pid} comm=\"cupsd\" requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=0",
                1_700_000_000 + secs, n % 1000, n % 100_000
            )),
            1 => line.push_str(&format!(
                "{stamp} kernel: [{up:12.6}] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:00:16:3e:aa:bb:cc:08:00 SRC=203.0.113.{} DST=198.51.100.10 LEN=40 TOS=0x00 PREC=0x00 TTL=244 ID={} PROTO=TCP SPT={} DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0",
                n % 250, n % 65536, 1024 + n % 60000
            )),
            2 => line.push_str(&format!(
                "{stamp} sshd[{pid}]: Accepted publickey for deploy from 10.0.{}.{} port {} ssh2: ED25519 SHA256:Qm9vZ2xlR28gYXdheSBjdXJpb3VzIHJlYWRlcg",
                n % 200, n % 250, 30000 + n % 30000
            )),
            3 => line.push_str(&format!(
                "{stamp} CRON[{pid}]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)"
            )),
            4 => line.push_str(&format!(
                "{stamp} systemd[1]: Started Session {} of User deploy.",
                n % 100_000
            )),
            5 => line.push_str(&format!(
                "{stamp} dockerd[812]: time=\"2026-11-23T{h:02}:{m:02}:{s:02}.{:09}Z\" level=info msg=\"ignoring event\" container={:016x} module=libcontainerd namespace=moby topic=/tasks/delete type=\"*events.TaskDelete\"",
                n % 1_000_000_000, n
            )),
            6 => line.push_str(&format!(
                "{stamp} postfix/smtpd[{pid}]: connect from unknown[192.0.2.{}]",
                n % 250
            )),
            7 => line.push_str(&format!(
                "{stamp} kernel: [{up:12.6}] TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies.  Check SNMP counters."
            )),
            8 => line.push_str(&format!(
                "{stamp} kernel: [{up:12.6}] IPv4: martian source 10.1.{}.{} from 10.1.2.4, on dev eth0",
                n % 200, n % 250
            )),
            9 => line.push_str(&format!(
                "{stamp} systemd-resolved[601]: Using degraded feature set UDP instead of UDP+EDNS0 for DNS server 10.0.0.2."
            )),
            _ => line.push_str(&format!(
                "{stamp} nginx[{pid}]: 10.0.{}.{} - - \"GET /api/v1/items?page={} HTTP/1.1\" 200 {} \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"",
                n % 200, n % 250, n % 500, n % 100_000
            )),
        }
        line.push('\n');
        w.write_all(line.as_bytes()).expect("write");
        written += line.len() as u64;
    }
    w.flush().expect("flush");
    println!("{kills}");
}

/// A 5.x global OOM report as rsyslog writes it to kern.log.
fn oom_report(stamp: &str, up: f64, pid: u64, rng: &mut Rng) -> String {
    let k = |msg: &str| format!("{stamp} kernel: [{up:12.6}] {msg}\n");
    let mut r = String::new();
    r += &k("java invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0");
    r += &k(&format!("CPU: 3 PID: {pid} Comm: java Not tainted 5.15.0-91-generic #101-Ubuntu"));
    r += &k("Hardware name: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.15.0-1 04/01/2014");
    r += &k("Call Trace:");
    for f in ["dump_stack_lvl+0x4a/0x63", "dump_header+0x4f/0x1f6", "oom_kill_process.cold+0xb/0x10", "out_of_memory+0x1bd/0x4e0", "__alloc_pages_slowpath.constprop.0+0xc6e/0xd40"] {
        r += &k(&format!(" {f}"));
    }
    r += &k("Mem-Info:");
    r += &k("active_anon:1230 inactive_anon:941206 isolated_anon:0");
    r += &k(" active_file:18 inactive_file:62 isolated_file:0");
    r += &k(" unevictable:0 dirty:7 writeback:2");
    r += &k(" free:21001 free_pcp:310 free_cma:0");
    r += &k("Free swap  = 0kB");
    r += &k("Total swap = 0kB");
    r += &k("1048413 pages RAM");
    r += &k("Tasks state (memory values in pages):");
    r += &k("[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name");
    for t in 0..40 {
        let p = 300 + t * 37;
        r += &k(&format!("[{p:>7}]     0 {p:>5}    12030  {:>7}   102400        0             0 daemon{t}", rng.below(5000)));
    }
    r += &k(&format!("[{pid:>7}]  1000 {pid:>5}   950123   930044  7600128        0             0 java"));
    r += &k(&format!("oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/system.slice/app.service,task=java,pid={pid},uid=1000"));
    r += &k(&format!("Out of memory: Killed process {pid} (java) total-vm:3800492kB, anon-rss:3720176kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:7422kB oom_score_adj:0"));
    r
}
