//! Writes a synthetic history into a store, for the benchmark of `karte report --at`:
//! `gen_week DB [DAYS] [INTERVAL_S]` (default a week of 10 s readings).
//!
//! The readings are this host's own, read once and then moved forward in time: CPU counters
//! grow at a varying rate, the load wanders, a few processes use CPU and one forks a helper
//! every minute, so that chunks compress like real ones rather than like copies.

use karte_snapshot::{Parts, ReadOptions, read_snapshot};
use karte_source::Root;
use karte_store::{Extra, Store, WriterOptions};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(db) = args.next() else {
        eprintln!("usage: gen_week DB [DAYS] [INTERVAL_S]");
        std::process::exit(2);
    };
    let days: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(7.0);
    let step: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10.0);
    let mut o = ReadOptions::live();
    o.parts = Parts {
        udev: false,
        numa: false,
        ..Parts::ALL
    };
    let base = read_snapshot(&Root::live(), &o);
    let _ = std::fs::remove_file(&db);
    let mut store = match Store::open_writer(std::path::Path::new(&db), WriterOptions::default()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{db}: {e}");
            std::process::exit(1);
        }
    };
    let n = (days * 86400.0 / step) as u64;
    let start_wall = karte_store::now_ms() as f64 / 1000.0 - days * 86400.0;
    let up0 = base.uptime.map_or(1000.0, |u| u.up_secs);
    let extra = Extra {
        boot_id: "synthetic-boot".into(),
        events: Vec::new(),
        ..Default::default()
    };
    let t0 = Instant::now();
    let mut s = base.clone();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rnd = |m: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % m.max(1)
    };
    for i in 0..n {
        let t = i as f64 * step;
        s.host.unix_secs = Some(start_wall + t);
        if let Some(u) = &mut s.uptime {
            u.up_secs = up0 + t;
        }
        let ticks = (step * 100.0) as u64;
        if let Some(st) = &mut s.stat {
            let ncpu = st.cpus.len().max(1) as u64;
            let busy = rnd(ticks / 3 + 1);
            if let Some(c) = &mut st.cpu {
                c.user += busy * ncpu / 2;
                c.system += busy * ncpu / 6;
                c.iowait += rnd(3);
                c.idle += (ticks * ncpu).saturating_sub(busy * ncpu * 2 / 3);
            }
            for (_, c) in &mut st.cpus {
                let b = rnd(ticks / 3 + 1);
                c.user += b / 2;
                c.system += b / 6;
                c.idle += ticks.saturating_sub(b * 2 / 3);
            }
            if let Some(p) = &mut st.processes {
                *p += 1 + u64::from(i % 6 == 0) * 3 + rnd(2);
            }
            if let Some(c) = &mut st.ctxt {
                *c += 2000 + rnd(500);
            }
            if let Some(c) = &mut st.intr_total {
                *c += 1500 + rnd(300);
            }
        }
        if let Some(l) = &mut s.loadavg {
            l.load1 =
                ((0.3 + (t / 3600.0).sin().abs() + rnd(20) as f64 / 100.0) * 100.0).round() / 100.0;
            l.load5 = ((l.load5 * 0.9 + l.load1 * 0.1) * 100.0).round() / 100.0;
            l.load15 = ((l.load15 * 0.97 + l.load1 * 0.03) * 100.0).round() / 100.0;
        }
        if let Some(d) = &mut s.diskstats {
            for disk in &mut d.disks {
                let w = rnd(5);
                disk.counters.writes_completed += w;
                disk.counters.sectors_written += w * 16;
                disk.counters.io_ms += w * 2;
            }
        }
        if let Some(nd) = &mut s.netdev {
            for ifc in &mut nd.interfaces {
                let p = rnd(50);
                ifc.receive[0] += p * 600;
                ifc.receive[1] += p;
                ifc.transmit[0] += p * 300;
                ifc.transmit[1] += p;
            }
        }
        let len = s.processes.len().max(1);
        for k in 0..3 {
            let idx = (rnd(len as u64) as usize + k) % len;
            if let Some(p) = s.processes.get_mut(idx) {
                p.stat.utime_ticks += rnd(ticks / 10 + 1);
                p.stat.stime_ticks += rnd(ticks / 30 + 1);
            }
        }
        if let Err(e) = store.append(&s, &extra) {
            eprintln!("append {i}: {e}");
            std::process::exit(1);
        }
    }
    let _ = store.checkpoint();
    let el = t0.elapsed().as_secs_f64();
    match store.stats() {
        Ok(st) => println!(
            "{n} readings of {} processes in {el:.1} s ({:.2} ms each); file {} bytes ({:.0} bytes per reading); host chunks {} B, process chunks {} B",
            base.processes.len(),
            el * 1000.0 / n as f64,
            st.file_bytes,
            st.file_bytes as f64 / n as f64,
            st.host_chunk_bytes,
            st.proc_chunk_bytes
        ),
        Err(e) => eprintln!("stats: {e}"),
    }
}
