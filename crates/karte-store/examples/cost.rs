//! Where a recorder's CPU goes: `cost [N]` reads the live host N times (default 50) and reports
//! the CPU time of reading, of encoding, and of the whole append, per reading.

use karte_snapshot::{Parts, ReadOptions, read_snapshot};
use karte_source::Root;
use karte_store::{Extra, Store, WriterOptions};
use std::time::Duration;

fn cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    Duration::new(
        ts.tv_sec.max(0) as u64,
        ts.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50);
    let dir = std::env::temp_dir().join(format!("karte-cost-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let Ok(mut store) = Store::open_writer(&dir.join("k.db"), WriterOptions::default()) else {
        eprintln!("cannot open a store in {}", dir.display());
        std::process::exit(1);
    };
    let root = Root::live();
    let mut o = ReadOptions::live();
    o.parts = Parts {
        udev: false,
        numa: false,
        ..Parts::ALL
    };
    let variants = [
        ("all (recorder)", o.parts),
        (
            "no processes",
            Parts {
                processes: false,
                cgroups: false,
                ..o.parts
            },
        ),
        (
            "no interfaces",
            Parts {
                interfaces: false,
                ..o.parts
            },
        ),
        (
            "no cgroups",
            Parts {
                cgroups: false,
                ..o.parts
            },
        ),
        (
            "no misc",
            Parts {
                misc: false,
                ..o.parts
            },
        ),
    ];
    for (name, parts) in variants {
        o.parts = parts;
        let t0 = cpu();
        for _ in 0..n {
            std::hint::black_box(read_snapshot(&root, &o));
        }
        println!(
            "read_snapshot {name:<16} {:.2} ms CPU",
            (cpu() - t0).as_secs_f64() * 1000.0 / f64::from(n)
        );
    }
    // The recorder's light reading: details of known processes and the rarely changing parts
    // carried over from the previous reading, interfaces not read in full.
    o.parts = Parts { interfaces: false, misc: false, block_devices: false, ..variants[0].1 };
    let prev = read_snapshot(&root, &o);
    let t0 = cpu();
    for _ in 0..n {
        std::hint::black_box(karte_snapshot::read_snapshot_reusing(&root, &o, Some(&prev)));
    }
    println!(
        "light reading (reusing details)  {:.2} ms CPU",
        (cpu() - t0).as_secs_f64() * 1000.0 / f64::from(n)
    );
    let t0 = cpu();
    for _ in 0..n {
        std::hint::black_box(read_snapshot(&root, &ReadOptions { parts: Parts { processes: false, cgroups: false, ..o.parts }, ..o.clone() }));
    }
    println!(
        "light reading without processes  {:.2} ms CPU",
        (cpu() - t0).as_secs_f64() * 1000.0 / f64::from(n)
    );
    o.parts = variants[0].1;
    let snaps: Vec<_> = (0..n).map(|_| read_snapshot(&root, &o)).collect();
    let t0 = cpu();
    for s in &snaps {
        if let Err(e) = store.append(s, &Extra::default()) {
            eprintln!("{e}");
        }
    }
    println!(
        "append                         {:.2} ms CPU ({} processes)",
        (cpu() - t0).as_secs_f64() * 1000.0 / f64::from(n),
        snaps[0].processes.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
