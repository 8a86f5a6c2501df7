//! Round trips, clock jumps, retention and schema versions.

mod common;

use common::*;
use karte_snapshot::{Interval, Snapshot};
use karte_store::{
    Extra, Retention, SampleInfo, SeriesName, Store, StoreError, Want, WriterOptions,
};
use std::time::Duration;

fn extra() -> Extra {
    Extra {
        boot_id: boot_id(),
        ..Default::default()
    }
}

fn all(store: &mut Store) -> Vec<karte_store::Reading> {
    let samples = store.samples_between(i64::MIN, i64::MAX).expect("samples");
    let mut out = Vec::new();
    store
        .scan(&samples, Want::ALL, |r| {
            out.push(r);
            Ok(())
        })
        .expect("scan");
    out
}

fn same_host(a: &Snapshot, b: &Snapshot) {
    assert_eq!(
        a.uptime.map(|u| (u.up_secs * 100.0).round()),
        b.uptime.map(|u| (u.up_secs * 100.0).round())
    );
    assert_eq!(
        a.stat
            .as_ref()
            .map(|s| (&s.cpu, &s.cpus, s.processes, s.ctxt, s.intr_total)),
        b.stat
            .as_ref()
            .map(|s| (&s.cpu, &s.cpus, s.processes, s.ctxt, s.intr_total))
    );
    assert_eq!(a.loadavg, b.loadavg);
    assert_eq!(
        a.meminfo.as_ref().map(|m| &m.fields),
        b.meminfo.as_ref().map(|m| &m.fields)
    );
    assert_eq!(
        a.vmstat.as_ref().map(|m| &m.fields),
        b.vmstat.as_ref().map(|m| &m.fields)
    );
    let disks = |s: &Snapshot| {
        s.diskstats.as_ref().map(|d| {
            d.disks
                .iter()
                .filter(|d| !d.name.starts_with("loop") && !d.name.starts_with("ram"))
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    assert_eq!(disks(a), disks(b));
    assert_eq!(
        a.netdev.as_ref().map(|n| &n.interfaces),
        b.netdev.as_ref().map(|n| &n.interfaces)
    );
    assert_eq!(a.pressure, b.pressure);
    assert_eq!(a.interfaces, b.interfaces);
    assert_eq!(a.sysctls, b.sysctls);
    assert_eq!(a.cgroups, b.cgroups);
    assert_eq!(a.arp, b.arp);
    assert_eq!(a.host.hostname, b.host.hostname);
    assert_eq!(a.host.user_hz, b.host.user_hz);
    assert_eq!(a.processes.len(), b.processes.len());
    for (p, q) in a.processes.iter().zip(&b.processes) {
        assert_eq!(p.pid(), q.pid());
        assert_eq!(p.stat.comm, q.stat.comm);
        assert_eq!(p.stat.state, q.stat.state);
        assert_eq!(p.stat.nice, q.stat.nice);
        assert_eq!(p.stat.cpu_ticks(), q.stat.cpu_ticks());
        assert_eq!(p.stat.starttime_ticks, q.stat.starttime_ticks);
        assert_eq!(p.stat.rss_pages, q.stat.rss_pages);
        assert_eq!(p.is_kernel_thread(), q.is_kernel_thread());
        assert_eq!(p.cmdline, q.cmdline);
        assert_eq!(p.uid(), q.uid());
        assert_eq!(p.rss_kb(4096), q.rss_kb(4096));
        assert_eq!(p.wchan, q.wchan);
        assert_eq!(p.oom_score_adj, q.oom_score_adj);
        assert_eq!(p.cgroup, q.cgroup);
    }
}

#[test]
fn live_readings_round_trip_through_chunks_and_head() {
    let dir = tempdir("roundtrip");
    let path = dir.join("k.db");
    let mut w = Store::open_writer(
        &path,
        WriterOptions {
            host_chunk: 4,
            proc_chunk: 3,
        },
    )
    .expect("open");
    let mut orig = Vec::new();
    for _ in 0..10 {
        let s = live();
        w.append(&s, &extra()).expect("append");
        orig.push(s);
        std::thread::sleep(Duration::from_millis(30));
    }
    // Some samples in sealed chunks, some still in head rows; a reader sees all of them.
    let mut r = Store::open_reader(&path).expect("reader");
    let back = all(&mut r);
    assert_eq!(back.len(), orig.len());
    for (o, b) in orig.iter().zip(&back) {
        same_host(o, &b.snapshot);
    }
    // Intervals computed from the stored readings are those of the originals.
    let i1 = Interval::new(&orig[0], &orig[9]).expect("interval");
    let i2 = Interval::new(&back[0].snapshot, &back[9].snapshot).expect("interval");
    assert_eq!(i1.cpu, i2.cpu);
    assert_eq!(i1.forks_per_sec, i2.forks_per_sec);
    assert_eq!(i1.processes.len(), i2.processes.len());
    // Readers and the writer agree after sealing everything, and nothing is lost.
    w.seal_all().expect("seal");
    let back2 = all(&mut r);
    assert_eq!(back2.len(), orig.len());
    for (o, b) in orig.iter().zip(&back2) {
        same_host(o, &b.snapshot);
    }
    assert_eq!(r.integrity_check().expect("check"), "ok");
    let st = r.stats().expect("stats");
    assert_eq!(st.samples, 10);
    assert!(st.host_chunks >= 2 && st.proc_chunks >= 3, "{st:?}");
    // The series API sees the same load.
    let samples = r.samples_between(i64::MIN, i64::MAX).expect("samples");
    let cols = r
        .series(
            &samples,
            &[SeriesName {
                family: "loadavg".into(),
                key: String::new(),
                field: "load1".into(),
            }],
        )
        .expect("series");
    let want: Vec<Option<u64>> = orig
        .iter()
        .map(|s| s.loadavg.map(|l| (l.load1 * 100.0).round() as u64))
        .collect();
    assert_eq!(cols[0], want);
    let _ = std::fs::remove_dir_all(&dir);
}

fn synthetic(i: u64, wall: f64, up: f64) -> Snapshot {
    let mut s = Snapshot::default();
    s.host.unix_secs = Some(wall);
    s.host.user_hz = 100;
    s.host.user_hz_known = true;
    s.uptime = Some(karte_procfs::uptime::Uptime {
        up_secs: up,
        idle_secs: None,
    });
    s.loadavg = Some(karte_procfs::loadavg::LoadAvg {
        load1: (i % 7) as f64 / 4.0,
        load5: 0.5,
        load15: 0.25,
        runnable: 1,
        threads: 100,
        last_pid: Some(1000 + i),
    });
    s.stat = Some(karte_procfs::stat::Stat {
        cpu: Some(karte_procfs::stat::CpuTicks {
            user: 100 * i,
            idle: 900 * i,
            fields: 10,
            ..Default::default()
        }),
        processes: Some(5000 + 3 * i),
        ..Default::default()
    });
    s
}

#[test]
fn clock_jumps_do_not_break_queries() {
    let dir = tempdir("clock");
    let path = dir.join("k.db");
    let mut w = Store::open_writer(
        &path,
        WriterOptions {
            host_chunk: 5,
            proc_chunk: 5,
        },
    )
    .expect("open");
    let base = 1_800_000_000.0;
    // 10 samples, then the clock goes back an hour, 10 more, then forward a day, 10 more; uptime
    // runs on regardless.
    let mut walls = Vec::new();
    for i in 0..30u64 {
        let offset = match i {
            0..10 => 0.0,
            10..20 => -3600.0,
            _ => 86400.0,
        };
        let wall = base + offset + i as f64 * 10.0;
        walls.push(wall);
        w.append(&synthetic(i, wall, 1000.0 + i as f64 * 10.0), &extra())
            .expect("append");
    }
    let mut r = Store::open_reader(&path).expect("reader");
    let everything = r.samples_between(i64::MIN, i64::MAX).expect("all");
    assert_eq!(everything.len(), 30);
    // Insertion order, whatever the wall times.
    assert!(everything.windows(2).all(|w| w[0].seq < w[1].seq));
    // Every consecutive pair gives a 10 s interval, because intervals use uptime.
    let mut snaps = Vec::new();
    r.scan(&everything, Want::ALL, |x| {
        snaps.push(x.snapshot);
        Ok(())
    })
    .expect("scan");
    for p in snaps.windows(2) {
        let iv = Interval::new(&p[0], &p[1]).expect("interval");
        assert!((iv.elapsed_secs - 10.0).abs() < 1e-6);
    }
    // --at finds the sample nearest in wall time; the jumped-back ones are found too.
    let at = |t: f64| {
        r.sample_near((t * 1000.0) as i64)
            .expect("near")
            .expect("some")
    };
    assert_eq!(at(walls[3]).seq, everything[3].seq);
    assert_eq!(at(walls[12]).seq, everything[12].seq);
    assert_eq!(at(walls[25] + 2.0).seq, everything[25].seq);
    // A range query over the overlapped hour returns samples of both timelines in order.
    let over = r
        .samples_between((walls[0] * 1000.0) as i64, (walls[9] * 1000.0) as i64)
        .expect("range");
    assert!(over.len() >= 10);
    assert!(over.windows(2).all(|w| w[0].seq < w[1].seq));
    // The last hour is counted back from the latest sample in insertion order.
    let last = r.last(Duration::from_secs(60)).expect("last");
    assert_eq!(last.last().map(|s| s.seq), everything.last().map(|s| s.seq));
    assert!(last.len() >= 6 && last.len() <= 7, "{}", last.len());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn retention_deletes_old_chunks_but_not_on_a_clock_jump() {
    let dir = tempdir("retention");
    let path = dir.join("k.db");
    let mut w = Store::open_writer(
        &path,
        WriterOptions {
            host_chunk: 10,
            proc_chunk: 10,
        },
    )
    .expect("open");
    let base = 1_800_000_000.0;
    for i in 0..100u64 {
        w.append(
            &synthetic(i, base + i as f64 * 10.0, 100.0 + i as f64 * 10.0),
            &extra(),
        )
        .expect("append");
    }
    // Keep 300 s: samples older than that go, in whole chunks.
    let now = ((base + 1000.0) * 1000.0) as i64;
    let ret = Retention {
        max_age: Some(Duration::from_secs(300)),
        max_bytes: None,
    };
    let deleted = w
        .apply_retention(ret, now, Duration::from_secs(10))
        .expect("retention");
    assert!(deleted >= 60, "{deleted}");
    let mut r = Store::open_reader(&path).expect("reader");
    let left = r.samples_between(i64::MIN, i64::MAX).expect("left");
    assert!(left.len() >= 30 && left.len() <= 40, "{}", left.len());
    let back = all(&mut r);
    assert_eq!(back.len(), left.len());
    assert!(back.iter().all(|b| b.snapshot.loadavg.is_some()));
    // A clock a year ahead must not wipe what is left: at least max_age/interval/2 samples stay.
    let far = now + 365 * 86_400_000;
    w.apply_retention(ret, far, Duration::from_secs(10))
        .expect("retention");
    let left2 = r.samples_between(i64::MIN, i64::MAX).expect("left");
    assert!(left2.len() >= 15, "{}", left2.len());
    assert_eq!(r.integrity_check().expect("check"), "ok");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn max_size_retention_shrinks_the_file() {
    let dir = tempdir("maxsize");
    let path = dir.join("k.db");
    let mut w = Store::open_writer(
        &path,
        WriterOptions {
            host_chunk: 5,
            proc_chunk: 5,
        },
    )
    .expect("open");
    for i in 0..120u64 {
        let mut s = live();
        s.host.unix_secs = Some(1_800_000_000.0 + i as f64 * 10.0);
        w.append(&s, &extra()).expect("append");
    }
    let before = w.stats().expect("stats");
    // Half of what the chunks take: the fixed overhead of tables and indexes stays.
    let limit =
        (before.used_bytes - (before.host_chunk_bytes + before.proc_chunk_bytes) / 2) as u64;
    w.apply_retention(
        Retention {
            max_age: None,
            max_bytes: Some(limit),
        },
        karte_store::now_ms(),
        Duration::from_secs(10),
    )
    .expect("retention");
    let after = w.stats().expect("stats");
    assert!(
        after.used_bytes as u64 <= limit,
        "{} > {limit}",
        after.used_bytes
    );
    assert!(
        after.samples > 0 && after.samples < 120,
        "{}",
        after.samples
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn schema_versions_are_checked() {
    let dir = tempdir("schema");
    let path = dir.join("k.db");
    drop(Store::open_writer(&path, WriterOptions::default()).expect("create"));
    // A newer karte's database is refused, by the writer and the reader, with a clear message.
    {
        let c = rusqlite::Connection::open(&path).expect("open");
        c.execute_batch("PRAGMA user_version = 99").expect("set");
    }
    let e = Store::open_writer(&path, WriterOptions::default())
        .err()
        .expect("refused");
    assert!(matches!(e, StoreError::Version(_)), "{e}");
    assert!(
        e.to_string().contains("newer karte") && e.to_string().contains("99"),
        "{e}"
    );
    let e = Store::open_reader(&path).err().expect("refused");
    assert!(e.to_string().contains("newer karte"), "{e}");
    // An older layout with no migration path is refused, saying what to do.
    {
        let c = rusqlite::Connection::open(&path).expect("open");
        c.execute_batch("PRAGMA user_version = 0").expect("set");
    }
    let e = Store::open_writer(&path, WriterOptions::default())
        .err()
        .expect("refused");
    assert!(e.to_string().contains("older than the oldest"), "{e}");
    // Another program's SQLite file is never touched.
    let other = dir.join("other.db");
    {
        let c = rusqlite::Connection::open(&other).expect("open");
        c.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .expect("create");
    }
    let e = Store::open_writer(&other, WriterOptions::default())
        .err()
        .expect("refused");
    assert!(matches!(e, StoreError::NotKarte(_)), "{e}");
    // Nor a file that is not SQLite at all.
    let junk = dir.join("junk.db");
    std::fs::write(&junk, vec![0x42u8; 8192]).expect("write");
    let e = Store::open_writer(&junk, WriterOptions::default())
        .err()
        .expect("refused");
    assert!(matches!(e, StoreError::NotKarte(_)), "{e}");
    assert_eq!(std::fs::read(&junk).expect("read"), vec![0x42u8; 8192]);
    // A missing file is a clear "nothing recorded" for readers.
    let e = Store::open_reader(&dir.join("none.db"))
        .err()
        .expect("missing");
    assert!(matches!(e, StoreError::NotFound(_)), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn corrupt_chunks_give_errors_not_panics() {
    let dir = tempdir("corrupt");
    let path = dir.join("k.db");
    let mut w = Store::open_writer(
        &path,
        WriterOptions {
            host_chunk: 3,
            proc_chunk: 3,
        },
    )
    .expect("open");
    for i in 0..7u64 {
        w.append(
            &synthetic(i, 1_800_000_000.0 + i as f64, 10.0 + i as f64),
            &extra(),
        )
        .expect("append");
    }
    drop(w);
    {
        let c = rusqlite::Connection::open(&path).expect("open");
        c.execute_batch(
            "UPDATE host_chunks SET data = x'01deadbeef' WHERE id = 1;
             UPDATE proc_chunks SET seqs = x'ffffffffffffffffffffff' WHERE id = 1;
             UPDATE host_head SET data = x'00a1ff' ;",
        )
        .expect("damage");
    }
    let mut r = Store::open_reader(&path).expect("reader");
    let samples: Vec<SampleInfo> = r.samples_between(i64::MIN, i64::MAX).expect("samples");
    let res = r.scan(&samples, Want::ALL, |_| Ok(()));
    assert!(matches!(res, Err(StoreError::Corrupt(_))), "{res:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn long_command_lines_round_trip_through_string_chunks() {
    let dir = tempdir("strings");
    let path = dir.join("k.db");
    let mut w = Store::open_writer(
        &path,
        WriterOptions {
            host_chunk: 4,
            proc_chunk: 3,
        },
    )
    .expect("open");
    let template = live();
    let mut want = Vec::new();
    for i in 0..10u64 {
        let mut s = synthetic(
            i,
            1_800_000_000.0 + i as f64 * 10.0,
            100.0 + i as f64 * 10.0,
        );
        let mut p = template
            .processes
            .iter()
            .find(|p| !p.is_kernel_thread())
            .cloned()
            .expect("a process");
        // A new long command line every reading (a build spawning compilers), and a repeated one.
        p.cmdline = Some(format!(
            "/usr/bin/rustc --crate-name c{i} {} é{}",
            "--extern x=/very/long/path.rlib ".repeat(20),
            i
        ));
        let mut q = p.clone();
        q.stat.pid += 1;
        q.cmdline = Some(format!("java -Xmx8g {}", "-Dprop=value ".repeat(30)));
        s.processes = vec![p, q];
        want.push(
            s.processes
                .iter()
                .map(|p| p.cmdline.clone())
                .collect::<Vec<_>>(),
        );
        w.append(&s, &extra()).expect("append");
    }
    let mut r = Store::open_reader(&path).expect("reader");
    let back = all(&mut r);
    let got: Vec<Vec<Option<String>>> = back
        .iter()
        .map(|b| {
            b.snapshot
                .processes
                .iter()
                .map(|p| p.cmdline.clone())
                .collect()
        })
        .collect();
    assert_eq!(got, want);
    let chunks: i64 = r
        .connection()
        .query_row("SELECT count(*) FROM string_chunks", [], |x| x.get(0))
        .expect("count");
    assert!(chunks >= 3, "{chunks}");
    let longs: i64 = r
        .connection()
        .query_row("SELECT count(*) FROM strings WHERE whole = 0", [], |x| {
            x.get(0)
        })
        .expect("count");
    assert_eq!(longs, 11, "one java line and ten rustc lines");
    let _ = std::fs::remove_dir_all(&dir);
}
