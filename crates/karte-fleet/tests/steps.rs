//! The step loop on hand-made series: gaps, a reboot, steps shorter than the scrape interval,
//! and a CPU that disappears, each said plainly and none judged on half the data.

use karte_fleet::api::Series;
use karte_fleet::convert::{Grid, InstanceData};
use karte_fleet::diagnosis::{DiagnoseOptions, diagnose_instance};
use karte_fleet::fetch::Fetched;
use karte_rules::Lang;
use std::collections::BTreeMap;

const T0: f64 = 1_700_000_100.0;

fn s(name: &str, labels: &[(&str, &str)], pts: Vec<(f64, f64)>) -> Series {
    let mut l: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    l.insert("__name__".into(), name.into());
    Series {
        labels: l,
        points: pts,
    }
}

/// A 2-CPU idle host scraped at every grid point `k` for which `present(k)`, with boot time
/// `boot(k)` and scrape time `scrape(k)`.
fn host(
    n: usize,
    present: impl Fn(usize) -> bool,
    boot: impl Fn(usize) -> f64,
    scrape: impl Fn(usize) -> f64,
) -> Fetched {
    let g = Grid::new(T0, T0 + 300.0 * (n - 1) as f64, 300.0);
    let mut d = InstanceData::new(g);
    let ks: Vec<usize> = (0..n).filter(|k| present(*k)).collect();
    let mut ss = Vec::new();
    for cpu in ["0", "1"] {
        for (m, share) in [
            ("user", 0.02),
            ("nice", 0.0),
            ("system", 0.01),
            ("idle", 0.97),
            ("iowait", 0.0),
            ("irq", 0.0),
            ("softirq", 0.0),
            ("steal", 0.0),
        ] {
            // Counters restart with the host: seconds since boot × share.
            ss.push(s(
                "node_cpu_seconds_total",
                &[("cpu", cpu), ("mode", m)],
                ks.iter()
                    .map(|k| {
                        (
                            g.time(*k),
                            ((scrape(*k) - boot(*k)) * share * 100.0).round() / 100.0,
                        )
                    })
                    .collect(),
            ));
        }
    }
    ss.push(s(
        "node_load1",
        &[],
        ks.iter().map(|k| (g.time(*k), 0.1)).collect(),
    ));
    ss.push(s(
        "node_boot_time_seconds",
        &[],
        ks.iter().map(|k| (g.time(*k), boot(*k))).collect(),
    ));
    ss.push(s(
        "node_memory_MemTotal_bytes",
        &[],
        ks.iter().map(|k| (g.time(*k), 8e9)).collect(),
    ));
    ss.push(s(
        "node_memory_MemAvailable_bytes",
        &[],
        ks.iter().map(|k| (g.time(*k), 6e9)).collect(),
    ));
    d.ingest(&ss);
    let ts = vec![s(
        "",
        &[],
        ks.iter().map(|k| (g.time(*k), scrape(*k))).collect(),
    )];
    d.ingest_sample_times(&ts);
    Fetched {
        data: d,
        load1: None,
        notes: vec![],
    }
}

fn opts() -> DiagnoseOptions {
    DiagnoseOptions {
        lang: Lang::En,
        loadavg: false,
    }
}

#[test]
fn gaps_and_reboots_are_noted_and_not_judged() {
    let boot = |k: usize| {
        if k < 8 {
            T0 - 86_400.0
        } else {
            T0 + 300.0 * 7.0 + 100.0
        }
    };
    let f = host(
        13,
        |k| !(3..=4).contains(&k),
        boot,
        |k| T0 + 300.0 * k as f64 - 7.0,
    );
    let r = diagnose_instance("x:9100", &f, &opts());
    // 12 steps: 3 touch the gap (2→3, 3→4, 4→5), 1 crosses the reboot (7→8).
    assert_eq!(r.steps, 12);
    assert_eq!(r.steps_judged, 8, "{:?}", r.notes);
    assert_eq!(r.status, 0, "{:?}", r.findings);
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert!(
        r.notes
            .iter()
            .any(|n| n.starts_with("3 of 12 steps had no data")),
        "{:?}",
        r.notes
    );
    assert!(
        r.notes.iter().any(|n| n.contains("rebooted")),
        "{:?}",
        r.notes
    );
}

#[test]
fn steps_shorter_than_the_scrape_interval_are_said() {
    // Scraped every 10 minutes, asked every 5: every other step sees the same scrape.
    let f = host(
        13,
        |_| true,
        |_| T0 - 86_400.0,
        |k| T0 + 600.0 * (k / 2) as f64,
    );
    let r = diagnose_instance("x:9100", &f, &opts());
    assert_eq!(r.steps_judged, 6, "{:?}", r.notes);
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("shorter than the scrape interval")),
        "{:?}",
        r.notes
    );
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}

#[test]
fn nothing_at_all_is_unknown() {
    let f = host(13, |_| false, |_| 0.0, |_| 0.0);
    let r = diagnose_instance("x:9100", &f, &opts());
    assert_eq!(r.status, 3);
    assert!(r.error.as_deref().is_some_and(|e| e.contains("no step")));
    assert!(
        r.not_run
            .iter()
            .any(|n| n.rule == "cpu-steal" && n.reason.contains("no usable data"))
    );
}
