//! node_exporter v1.5.0's own fixture tree (testdata/conformance/node_exporter) served over HTTP
//! gives node_exporter's samples: every expected sample of the shared families, with equal
//! values and the same HELP and TYPE lines, compared by testdata/conformance/compare-exposition.py
//! as crates/karte/tests/conformance.rs does for `karte snapshot`.

mod common;

use karte_serve::{RootDiagnoser, ScrapeSource};
use karte_snapshot::{Parts, ReadOptions};
use karte_source::Root;
use std::io::Read;
use std::process::Command;

/// The families (by prefix) karte shares with node_exporter.
const PREFIXES: [&str; 13] = [
    "node_cpu_seconds_total",
    "node_cpu_guest_seconds_total",
    "node_load",
    "node_memory_",
    "node_vmstat_",
    "node_disk_",
    "node_pressure_",
    "node_context_switches_total",
    "node_forks_total",
    "node_intr_total",
    "node_procs_",
    "node_boot_time_seconds",
    "node_softirqs_total",
];

fn compare(expected: &str, prefixes: &[&str], scrape: &str, name: &str) {
    let Some(python) = common::tool("python3", "python3") else {
        return;
    };
    let dir = common::tmpdir(&format!("conformance-{name}"));
    let actual = dir.join("actual.prom");
    std::fs::write(&actual, scrape).expect("write scrape");
    let tool = common::repo().join("testdata/conformance/compare-exposition.py");
    let exp = common::repo()
        .join("testdata/conformance/node_exporter")
        .join(expected);
    let out = Command::new(python)
        .arg(&tool)
        .arg("--strict-type")
        .arg(&exp)
        .arg(&actual)
        .args(prefixes)
        .output()
        .expect("run compare-exposition.py");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("RESULT: PASS"),
        "conformance failed against {expected}:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for l in text
        .lines()
        .filter(|l| l.starts_with("RESULT") || l.contains("expected"))
    {
        eprintln!("{expected}: {l}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fixture_tree_over_http_gives_node_exporters_samples() {
    let tree = common::repo().join("testdata/conformance/node_exporter");
    let mut o = common::options();
    // What `karte serve --root DIR` reads at scrape time.
    o.scrape = ScrapeSource::new(
        Root::dir(&tree),
        ReadOptions {
            parts: Parts {
                processes: false,
                cgroups: false,
                misc: false,
                interfaces: false,
                ..Parts::ALL
            },
            ..ReadOptions::default()
        },
    );
    let d = RootDiagnoser::new(Root::dir(&tree), ReadOptions::default(), true);
    let h = karte_serve::start(o, d).expect("start");
    let a = h.addrs[0];
    let plain = common::get(a, "/metrics").text();
    // The same through gzip, as Prometheus asks for it.
    let z = common::get_with(a, "/metrics", &[("Accept-Encoding", "gzip")]);
    assert_eq!(z.header("content-encoding"), Some("gzip"));
    let mut unz = String::new();
    flate2::read::GzDecoder::new(&z.body[..])
        .read_to_string(&mut unz)
        .expect("gzip");
    let strip = |t: &str| {
        t.lines()
            .filter(|l| {
                l.starts_with("node_")
                    || l.starts_with("# HELP node_")
                    || l.starts_with("# TYPE node_")
            })
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&plain), strip(&unz));
    compare("e2e-output.txt", &PREFIXES, &plain, "e2e");
    compare(
        "netdev-procfs-output.txt",
        &["node_network_receive_", "node_network_transmit_"],
        &unz,
        "netdev",
    );
    h.stop();
}
