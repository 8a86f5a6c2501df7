//! Every rule fires on its positive fixture and stays quiet on its negative one.
//!
//! The fixtures are bundles derived by testdata/bundles/derive.py from a real capture of a quiet
//! host (testdata/bundles/base-vm-6.18); testdata/bundles/expected.json says what each must give.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn doctor(bundle: &Path, lang: &str) -> (Value, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_karte"))
        .args(["doctor", "--format", "json", "--lang", lang, "--bundle"])
        .arg(bundle)
        .output()
        .expect("run karte doctor");
    let code = out.status.code().unwrap_or(-1);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: bad JSON ({e}): {}",
            bundle.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (v, code)
}

fn rank(sev: &str) -> u8 {
    match sev {
        "info" => 0,
        "warning" => 1,
        "critical" => 2,
        other => panic!("unknown severity {other}"),
    }
}

#[test]
fn fixtures_give_the_expected_findings() {
    let dir = repo().join("testdata/bundles");
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected.json")).expect("expected.json"),
    )
    .expect("json");
    let mut checked = 0;
    let mut failures = Vec::new();
    for (name, exp) in expected.as_object().expect("object") {
        if name.starts_with('_') {
            continue;
        }
        let bundle = dir.join("gen").join(format!("{name}.tar.gz"));
        let (v, code) = doctor(&bundle, "en");
        let findings = v["findings"].as_array().cloned().unwrap_or_default();
        let worst = findings
            .iter()
            .filter_map(|f| f["severity"].as_str())
            .map(rank)
            .max();
        for (rule, min) in exp["fires"].as_object().expect("fires") {
            let min = rank(min.as_str().expect("severity"));
            let got = findings
                .iter()
                .filter(|f| f["rule"] == rule.as_str())
                .filter_map(|f| f["severity"].as_str())
                .map(rank)
                .max();
            match got {
                Some(g) if g >= min => {}
                other => failures.push(format!(
                    "{name}: {rule} expected at least {min}, got {other:?}; findings: {}",
                    titles(&findings)
                )),
            }
        }
        for rule in exp["quiet"].as_array().cloned().unwrap_or_default() {
            let loud = findings
                .iter()
                .any(|f| f["rule"] == rule && f["severity"] != "info");
            if loud {
                failures.push(format!(
                    "{name}: {rule} should be quiet; findings: {}",
                    titles(&findings)
                ));
            }
        }
        if exp["no_warnings"].as_bool() == Some(true) && worst.is_some_and(|w| w >= 1) {
            failures.push(format!(
                "{name}: expected no warning; findings: {}",
                titles(&findings)
            ));
        }
        if let Some(m) = exp["summary_contains"].as_object() {
            for (rule, words) in m {
                let f = findings.iter().find(|f| f["rule"] == rule.as_str());
                for w in words.as_array().expect("words") {
                    let w = w.as_str().expect("word");
                    if !f.is_some_and(|f| f["summary"].as_str().is_some_and(|s| s.contains(w))) {
                        failures.push(format!("{name}: {rule} summary should mention {w:?}"));
                    }
                }
            }
        }
        // Exit status follows the worst finding (monitoring-plugin convention).
        let want = match worst {
            Some(2) => 2,
            Some(1) => 1,
            _ => 0,
        };
        if code != want {
            failures.push(format!("{name}: exit status {code}, expected {want}"));
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} bundles checked");
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn titles(findings: &[Value]) -> String {
    findings
        .iter()
        .map(|f| format!("[{} {}: {}]", f["severity"], f["rule"], f["title"]))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn japanese_findings_are_japanese() {
    let bundle = repo().join("testdata/bundles/gen/kipmi-spinning.tar.gz");
    let (v, _) = doctor(&bundle, "ja");
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "kernel-thread-runaway");
    let title = f["title"].as_str().expect("title");
    assert!(title.contains("カーネルスレッド"), "{title}");
    assert!(f["summary"].as_str().expect("summary").contains("nice 19"));
}

#[test]
fn committed_bundles_match_the_generator() {
    // The committed fixtures must be what derive.py makes from the base capture, so that the
    // script documents exactly how each incident was built.
    let dir = repo().join("testdata/bundles");
    let tmp = std::env::temp_dir().join(format!("karte-derive-{}", std::process::id()));
    let status = Command::new("python3")
        .arg(dir.join("derive.py"))
        .arg(dir.join("base-vm-6.18"))
        .arg(&tmp)
        .status()
        .expect("python3 must be installed");
    assert!(status.success());
    for entry in std::fs::read_dir(&tmp).expect("generated") {
        let entry = entry.expect("entry");
        let name = entry.file_name();
        let fresh = unpack(&entry.path());
        let committed = unpack(&dir.join("gen").join(&name));
        assert!(
            fresh == committed,
            "{name:?} differs from what derive.py generates; run testdata/bundles/derive.py testdata/bundles/base-vm-6.18 testdata/bundles/gen"
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

fn unpack(p: &Path) -> Vec<(String, Vec<u8>)> {
    let f = std::fs::File::open(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let (tree, _) = karte_source::bundle::unpack_tar_gz(f).expect("unpack");
    tree.iter()
        .map(|(k, v)| (k.to_string(), v.to_vec()))
        .collect()
}
