//! `karte-bench-snapshot`: what a full reading of this host costs, side by side in one run.
//!
//! Measures, as medians over several runs:
//! 1. a full snapshot (host files + every process) against the *floor*: a minimal program that
//!    lists /proc and opens and reads exactly the same files (taken from a recording of the
//!    snapshot just before), with the normal process count and with extra sleeping processes;
//! 2. the CPU of reading and rendering the families node_exporter's cpu, meminfo, loadavg,
//!    diskstats, netdev, vmstat and stat collectors export, against the CPU node_exporter itself
//!    (Debian's `prometheus-node-exporter`) spends per scrape of those collectors;
//! 3. the wall time of `ps -eo pid,stat,ni,pcpu,comm` against the snapshot.
//!
//! Usage: karte-bench-snapshot [--runs N] [--extra-procs N] [--scrapes N] [--karte PATH]
//! It spawns `sleep` processes for the extra load and node_exporter on 127.0.0.1, and stops
//! them at the end. This is a benchmark, not a test: it prints figures and asserts nothing.

use karte_snapshot::{Parts, ReadOptions, read_snapshot};
use karte_source::Root;
use karte_source::root::MemTree;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn cpu_self_secs() -> f64 {
    // SAFETY: getrusage writes into the struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn tv(t: libc::timeval) -> f64 {
    t.tv_sec as f64 + t.tv_usec as f64 / 1e6
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Runs `f` `runs` times; returns median wall and median CPU seconds.
fn measure(runs: usize, mut f: impl FnMut()) -> (f64, f64) {
    let mut wall = Vec::new();
    let mut cpu = Vec::new();
    for _ in 0..runs {
        let c0 = cpu_self_secs();
        let t0 = Instant::now();
        f();
        wall.push(t0.elapsed().as_secs_f64());
        cpu.push(cpu_self_secs() - c0);
    }
    (median(&mut wall), median(&mut cpu))
}

/// Runs a command `runs` times (stdout to /dev/null); median wall and child CPU seconds.
fn measure_cmd(runs: usize, argv: &[&str]) -> Option<(f64, f64)> {
    let mut wall = Vec::new();
    let mut cpu = Vec::new();
    for _ in 0..runs {
        let t0 = Instant::now();
        let child = Command::new(argv[0])
            .args(&argv[1..])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let pid = child.id() as libc::pid_t;
        // SAFETY: wait4 on our own child; the rusage struct is written by the kernel.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        let mut status = 0;
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        if r != pid {
            return None;
        }
        wall.push(t0.elapsed().as_secs_f64());
        cpu.push(tv(ru.ru_utime) + tv(ru.ru_stime));
        std::mem::forget(child);
    }
    Some((median(&mut wall), median(&mut cpu)))
}

/// The floor: list /proc, then open and read each file of `paths` into one reused buffer.
fn floor_read(paths: &[String], buf: &mut Vec<u8>) -> usize {
    let mut n = 0;
    if let Ok(rd) = std::fs::read_dir("/proc") {
        n += rd.count();
    }
    for p in paths {
        buf.clear();
        if let Ok(mut f) = std::fs::File::open(p)
            && f.read_to_end(buf).is_ok()
        {
            n += buf.len();
        }
    }
    n
}

fn recorded_paths(opts: &ReadOptions) -> Vec<String> {
    let rec = Arc::new(Mutex::new(MemTree::default()));
    let _ = read_snapshot(&Root::live().recording(rec.clone()), opts);

    rec.lock()
        .map(|t| t.iter().map(|(p, _)| format!("/{p}")).collect())
        .unwrap_or_default()
}

struct Sleepers(Vec<Child>);

impl Drop for Sleepers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
        }
        for c in &mut self.0 {
            let _ = c.wait();
        }
    }
}

fn spawn_sleepers(n: usize) -> Sleepers {
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        match Command::new("sleep")
            .arg("3600")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
        {
            Ok(c) => v.push(c),
            Err(e) => {
                eprintln!("could only start {} sleepers: {e}", v.len());
                break;
            }
        }
    }
    Sleepers(v)
}

fn process_count() -> usize {
    std::fs::read_dir("/proc")
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .bytes()
                        .all(|b| b.is_ascii_digit())
                })
                .count()
        })
        .unwrap_or(0)
}

fn snapshot_vs_floor(runs: usize, karte: Option<&str>) {
    let opts = ReadOptions::live();
    let paths = recorded_paths(&opts);
    let mut buf = Vec::with_capacity(1 << 16);
    // Warm the dentry caches for both.
    let _ = read_snapshot(&Root::live(), &opts);
    let _ = floor_read(&paths, &mut buf);
    let mut snap_w = Vec::new();
    let mut snap_c = Vec::new();
    let mut floor_w = Vec::new();
    let mut floor_c = Vec::new();
    // Alternate the two so that background noise hits both alike.
    for _ in 0..runs {
        let (w, c) = measure(1, || {
            let s = read_snapshot(&Root::live(), &opts);
            std::hint::black_box(&s);
        });
        snap_w.push(w);
        snap_c.push(c);
        let (w, c) = measure(1, || {
            std::hint::black_box(floor_read(&paths, &mut buf));
        });
        floor_w.push(w);
        floor_c.push(c);
    }
    let (sw, sc, fw, fc) = (
        median(&mut snap_w),
        median(&mut snap_c),
        median(&mut floor_w),
        median(&mut floor_c),
    );
    println!(
        "  full snapshot     wall {:8.2} ms  cpu {:8.2} ms   ({} files)",
        sw * 1e3,
        sc * 1e3,
        paths.len()
    );
    println!(
        "  floor (same files) wall {:8.2} ms  cpu {:8.2} ms",
        fw * 1e3,
        fc * 1e3
    );
    println!(
        "  ratio snapshot/floor: wall {:.2}x  cpu {:.2}x   (target <= 1.5x)",
        sw / fw,
        sc / fc
    );
    if let Some((pw, pc)) = measure_cmd(runs, &["ps", "-eo", "pid,stat,ni,pcpu,comm"]) {
        println!(
            "  ps -eo pid,stat,ni,pcpu,comm  wall {:8.2} ms  cpu {:8.2} ms",
            pw * 1e3,
            pc * 1e3
        );
        println!("  ratio snapshot(in-process)/ps: wall {:.2}x", sw / pw);
        if let Some(k) = karte
            && let Some((kw, kc)) = measure_cmd(runs, &[k, "snapshot", "--format", "json"])
        {
            println!(
                "  karte snapshot --format json (whole command, JSON of everything) wall {:8.2} ms  cpu {:8.2} ms",
                kw * 1e3,
                kc * 1e3
            );
            println!("  ratio whole karte command/ps: wall {:.2}x", kw / pw);
        }
    }
}

fn http_get(port: u16) -> std::io::Result<usize> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut v = Vec::new();
    s.read_to_end(&mut v)?;
    Ok(v.len())
}

fn proc_cpu_secs(pid: u32) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let ut: f64 = f.get(11)?.parse().ok()?;
    let st: f64 = f.get(12)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some((ut + st) / hz)
}

fn vs_node_exporter(scrapes: usize) {
    let port = 19000 + (std::process::id() % 900) as u16;
    let child = Command::new("prometheus-node-exporter")
        .args([
            "--collector.disable-defaults",
            "--collector.cpu",
            "--collector.meminfo",
            "--collector.loadavg",
            "--collector.diskstats",
            "--collector.netdev",
            "--collector.vmstat",
            "--collector.stat",
            &format!("--web.listen-address=127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        println!(
            "  node_exporter: not installed (apt-get install prometheus-node-exporter); skipped"
        );
        return;
    };
    let mut up = false;
    for _ in 0..100 {
        if http_get(port).is_ok() {
            up = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if !up {
        println!("  node_exporter did not come up; skipped");
        let _ = child.kill();
        let _ = child.wait();
        return;
    }
    for _ in 0..20 {
        let _ = http_get(port);
    }
    let pid = child.id();
    // node_exporter's CPU per scrape: its own utime+stime over many scrapes (tick resolution is
    // 10 ms, so many scrapes are needed), repeated to take a median.
    let mut ne = Vec::new();
    let mut kt = Vec::new();
    let opts = ReadOptions {
        parts: Parts::EXPORTER,
        ..ReadOptions::live()
    };
    let mut bytes = 0;
    for _ in 0..5 {
        let c0 = proc_cpu_secs(pid).unwrap_or(0.0);
        for _ in 0..scrapes {
            bytes = http_get(port).unwrap_or(0);
        }
        let c1 = proc_cpu_secs(pid).unwrap_or(0.0);
        ne.push((c1 - c0) / scrapes as f64);
        let (_, c) = measure(1, || {
            for _ in 0..scrapes {
                let s = read_snapshot(
                    &Root::live(),
                    &ReadOptions {
                        unix_secs: None,
                        ..opts.clone()
                    },
                );
                let mut e = karte_expo::Exposition::new();
                karte_expo::node::write(&s, &mut e);
                std::hint::black_box(e.render());
            }
        });
        kt.push(c / scrapes as f64);
    }
    let _ = child.kill();
    let _ = child.wait();
    let (n, k) = (median(&mut ne), median(&mut kt));
    println!(
        "  node_exporter CPU per scrape (cpu,meminfo,loadavg,diskstats,netdev,vmstat,stat): {:.3} ms  ({bytes} bytes)",
        n * 1e3
    );
    println!(
        "  karte CPU per reading+render of the same families:                                {:.3} ms",
        k * 1e3
    );
    println!("  ratio karte/node_exporter: {:.3}  (target <= 0.2)", k / n);
}

fn main() {
    let mut runs = 21;
    let mut extra = 5000;
    let mut scrapes = 200;
    let mut karte: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_default();
        match a.as_str() {
            "--runs" => runs = val().parse().unwrap_or(runs),
            "--extra-procs" => extra = val().parse().unwrap_or(extra),
            "--scrapes" => scrapes = val().parse().unwrap_or(scrapes),
            "--karte" => karte = Some(val()),
            _ => {
                eprintln!(
                    "usage: karte-bench-snapshot [--runs N] [--extra-procs N] [--scrapes N] [--karte PATH]"
                );
                std::process::exit(2);
            }
        }
    }
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!("karte snapshot benchmark: {cpus} CPUs, medians of {runs} runs");
    println!("\n[1] normal process count ({} processes)", process_count());
    snapshot_vs_floor(runs, karte.as_deref());
    println!("\n[2] node_exporter, same families, {scrapes} scrapes x 5");
    vs_node_exporter(scrapes);
    if extra > 0 {
        let sleepers = spawn_sleepers(extra);
        std::thread::sleep(Duration::from_millis(500));
        println!(
            "\n[3] with {} extra sleeping processes ({} processes)",
            sleepers.0.len(),
            process_count()
        );
        snapshot_vs_floor(runs, karte.as_deref());
        drop(sleepers);
    }
}
