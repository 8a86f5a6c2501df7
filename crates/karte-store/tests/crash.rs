//! `kill -9` of a writer at random moments, many times: the database stays intact and every
//! reading the writer reported as committed is there.

mod common;

use common::*;
use karte_store::{Extra, Store, Want, WriterOptions};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

const CHILD_ENV: &str = "KARTE_STORE_CRASH_CHILD_DB";

/// Not a test: the writer the crash test starts and kills. Appends live readings as fast as it
/// can, with small chunks so that it is often killed while sealing one, and prints each
/// committed sequence number.
#[test]
#[ignore]
fn crash_child_writer() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let mut w = Store::open_writer(
        std::path::Path::new(&path),
        WriterOptions {
            host_chunk: 7,
            proc_chunk: 4,
        },
    )
    .expect("open");
    let extra = Extra {
        boot_id: boot_id(),
        events: vec![("test".into(), None, "{\"x\":1}".into())],
        ..Default::default()
    };
    loop {
        let seq = w.append(&live(), &extra).expect("append");
        println!("committed {seq}");
    }
}

/// A small pseudo-random generator (no dependency needed for this).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn kill_9_at_random_moments_loses_nothing_committed() {
    let dir = tempdir("crash");
    let db = dir.join("k.db");
    let exe = std::env::current_exe().expect("exe");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    let mut rng = Lcg(seed);
    let mut committed: Vec<i64> = Vec::new();
    let rounds = 30;
    for _ in 0..rounds {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_child_writer",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &db)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let out = child.stdout.take().expect("stdout");
        let reader = std::thread::spawn(move || {
            BufReader::new(out)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| {
                    l.strip_prefix("committed ")
                        .and_then(|s| s.parse::<i64>().ok())
                })
                .collect::<Vec<_>>()
        });
        std::thread::sleep(Duration::from_millis(40 + rng.next(400)));
        // SAFETY: kill has no memory-safety preconditions; the pid is our own child's.
        let rc = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGKILL) };
        assert_eq!(rc, 0);
        let _ = child.wait();
        committed.extend(reader.join().expect("reader"));
    }
    assert!(
        committed.len() > rounds,
        "the writer committed only {} readings",
        committed.len()
    );
    let mut r = Store::open_reader(&db).expect("reader");
    assert_eq!(r.integrity_check().expect("check"), "ok");
    let samples = r.samples_between(i64::MIN, i64::MAX).expect("samples");
    let have: std::collections::HashSet<i64> = samples.iter().map(|s| s.seq).collect();
    for s in &committed {
        assert!(have.contains(s), "committed reading {s} is missing");
    }
    // Everything reads back: host numbers, processes, events.
    let mut n = 0;
    let mut with_procs = 0;
    r.scan(&samples, Want::ALL, |x| {
        n += 1;
        assert!(
            x.snapshot.stat.is_some() && x.snapshot.meminfo.is_some(),
            "sample {} lacks host data",
            x.info.seq
        );
        if !x.snapshot.processes.is_empty() {
            with_procs += 1;
        }
        assert_eq!(x.events.len(), 1);
        Ok(())
    })
    .expect("scan");
    assert_eq!(n, samples.len());
    assert_eq!(with_procs, samples.len());
    eprintln!(
        "{rounds} kills, {} readings committed and read back",
        samples.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
