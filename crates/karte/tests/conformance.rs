//! Conformance with a real peer: node_exporter v1.5.0's own fixture tree must give, through
//! `karte snapshot --root … --format prometheus`, every expected sample of the families karte
//! shares with node_exporter, with equal values and the same HELP and TYPE lines.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The families (by prefix) that karte implements from /proc and /sys files.
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

fn scrape() -> String {
    let tree = repo().join("testdata/conformance/node_exporter");
    let out = Command::new(env!("CARGO_BIN_EXE_karte"))
        .args(["snapshot", "--format", "prometheus", "--root"])
        .arg(&tree)
        .output()
        .expect("run karte");
    assert!(
        out.status.success(),
        "karte failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 exposition")
}

fn compare(expected: &str, prefixes: &[&str], scrape: &str) {
    let dir = std::env::temp_dir().join(format!(
        "karte-conformance-{}-{}",
        std::process::id(),
        prefixes[0]
    ));
    std::fs::create_dir_all(&dir).expect("tmp");
    let actual = dir.join("actual.prom");
    std::fs::write(&actual, scrape).expect("write scrape");
    let tool = repo().join("testdata/conformance/compare-exposition.py");
    let exp = repo()
        .join("testdata/conformance/node_exporter")
        .join(expected);
    let out = Command::new("python3")
        .arg(&tool)
        .arg("--strict-type")
        .arg(&exp)
        .arg(&actual)
        .args(prefixes)
        .output()
        .expect("python3 must be installed to run the conformance comparison");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "conformance failed against {expected}:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("RESULT: PASS"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `# HELP`/`# TYPE` lines by family name.
fn meta(text: &str) -> BTreeMap<String, (String, String)> {
    let mut m: BTreeMap<String, (String, String)> = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            m.entry(name.to_string()).or_default().0 = help.to_string();
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, t) = rest.split_once(' ').unwrap_or((rest, ""));
            m.entry(name.to_string()).or_default().1 = t.to_string();
        }
    }
    m
}

#[test]
fn node_exporter_samples_reproduced() {
    let s = scrape();
    compare("e2e-output.txt", &PREFIXES, &s);
}

#[test]
fn netdev_samples_reproduced() {
    let s = scrape();
    compare(
        "netdev-procfs-output.txt",
        &["node_network_receive_", "node_network_transmit_"],
        &s,
    );
}

#[test]
fn help_and_type_lines_match() {
    let s = scrape();
    let ours = meta(&s);
    let mut checked = 0;
    for (file, prefixes) in [
        ("e2e-output.txt", PREFIXES.to_vec()),
        (
            "netdev-procfs-output.txt",
            vec!["node_network_receive_", "node_network_transmit_"],
        ),
    ] {
        let text =
            std::fs::read_to_string(repo().join("testdata/conformance/node_exporter").join(file))
                .expect("expected file");
        for (name, (help, kind)) in meta(&text) {
            if !prefixes.iter().any(|p| name.starts_with(p)) {
                continue;
            }
            let (h, k) = ours
                .get(&name)
                .unwrap_or_else(|| panic!("family {name} missing"));
            assert_eq!(h, &help, "HELP of {name}");
            assert_eq!(k, &kind, "TYPE of {name}");
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} families checked");
}
