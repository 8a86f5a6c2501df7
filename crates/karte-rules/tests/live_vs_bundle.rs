//! `karte collect` then `karte doctor --bundle` must give what live doctor gives: a bundle is the
//! exact files the live readings used, so the snapshots and the findings are the same.

use karte_rules::report::diagnose;
use karte_rules::{Context, Lang};
use karte_snapshot::{Interval, ReadOptions, read_snapshot};
use karte_source::Root;
use karte_source::bundle::{Bundle, BundleMeta, unpack_tar_gz, write_tar_gz};
use karte_source::root::MemTree;
use std::sync::{Arc, Mutex};

#[test]
fn bundle_reproduces_live_readings_and_findings() {
    let live = Root::live();
    let mut snaps = Vec::new();
    let mut trees = Vec::new();
    for i in 0..2 {
        if i == 1 {
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        let rec = Arc::new(Mutex::new(MemTree::default()));
        let opts = ReadOptions::live();
        snaps.push((read_snapshot(&live.recording(rec.clone()), &opts), opts));
        trees.push(
            Arc::try_unwrap(rec)
                .expect("one owner")
                .into_inner()
                .expect("lock"),
        );
    }
    let meta = BundleMeta {
        user_hz: snaps[0].1.user_hz,
        page_size: snaps[0].1.page_size_bytes,
        reading_unix_secs: snaps
            .iter()
            .map(|(_, o)| o.unix_secs.unwrap_or(0.0))
            .collect(),
        ..Default::default()
    };
    let mut bytes = Vec::new();
    write_tar_gz(&mut bytes, &[&trees[0], &trees[1]], None, &meta, 0).expect("write");
    let (tree, notes) = unpack_tar_gz(&bytes[..]).expect("unpack");
    assert!(notes.is_empty(), "{notes:?}");
    let top = Root::mem(Arc::new(tree), "");
    let bundle = Bundle {
        readings: vec![top.sub("0"), top.sub("1")],
        kmsg: None,
        meta: Some(meta.clone()),
        notes: vec![],
    };
    let from_bundle: Vec<_> = (0..2)
        .map(|i| {
            let opts = ReadOptions {
                user_hz: meta.user_hz,
                page_size_bytes: meta.page_size,
                unix_secs: meta.reading_unix_secs.get(i).copied(),
                ..ReadOptions::default()
            };
            read_snapshot(&bundle.readings[i], &opts)
        })
        .collect();
    for i in 0..2 {
        let (live_s, _) = &snaps[i];
        let b = &from_bundle[i];
        assert_eq!(live_s.stat, b.stat, "reading {i}: /proc/stat");
        assert_eq!(live_s.meminfo, b.meminfo);
        assert_eq!(live_s.diskstats, b.diskstats);
        assert_eq!(live_s.processes.len(), b.processes.len());
        assert_eq!(live_s.processes, b.processes);
        assert_eq!(live_s.interfaces, b.interfaces);
        assert_eq!(live_s.cgroups, b.cgroups);
    }
    let iv_live = Interval::new(&snaps[0].0, &snaps[1].0).expect("interval");
    let iv_bundle = Interval::new(&from_bundle[0], &from_bundle[1]).expect("interval");
    let d_live = diagnose(&Context::pair(
        &snaps[0].0,
        &snaps[1].0,
        Some(&iv_live),
        Lang::En,
    ));
    let d_bundle = diagnose(&Context::pair(
        &from_bundle[0],
        &from_bundle[1],
        Some(&iv_bundle),
        Lang::En,
    ));
    assert_eq!(d_live.findings, d_bundle.findings);
}
