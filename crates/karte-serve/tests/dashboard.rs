//! The dashboard in a real browser: Debian's headless Chromium loads the page from a server fed
//! with a synthetic VM (steal climbing to 35 %, one disk saturated) and an hour of history from
//! a store, and the rendered page must show the findings, with evidence and remedy, and the
//! charts. Screenshots are kept under the target directory (the test prints their paths).

mod common;

use common::synthetic::{FixedStore, Scenario, ScenarioDiagnoser};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn chromium(bin: &Path, profile: &Path, args: &[&str], url: &str) -> std::process::Output {
    Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--virtual-time-budget=8000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .expect("run chromium")
}

#[test]
fn dashboard_renders_findings_and_charts_in_chromium() {
    let Some(bin) = common::tool("chromium", "chromium") else {
        return;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();
    let step = 5.0;
    let hour = 720;
    let sc = Scenario {
        base_unix: now - hour as f64 * step,
        step,
    };
    let store = Arc::new(FixedStore(Mutex::new(sc.history(0, hour))));
    let mut o = common::options();
    o.tick = Duration::from_secs(5);
    o.store = Some(store);
    let h = karte_serve::start(o, ScenarioDiagnoser::new(sc, hour - 1)).expect("start");
    let addr = h.addrs[0];
    // The second reading (and with it the interval and the findings) comes two seconds in.
    std::thread::sleep(Duration::from_millis(2600));
    let f = common::get(addr, "/api/findings?lang=en").text();
    assert!(f.contains("\"rule\":\"cpu-steal\""), "{f}");
    assert!(f.contains("\"rule\":\"disk-saturation\""), "{f}");

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("karte-serve-dashboard");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");

    for lang in ["en", "ja"] {
        let url = format!("http://{addr}/?lang={lang}");
        let dom = chromium(
            &bin,
            &dir.join(format!("profile-dom-{lang}")),
            &["--dump-dom"],
            &url,
        );
        let html = String::from_utf8_lossy(&dom.stdout).into_owned();
        std::fs::write(dir.join(format!("dom-{lang}.html")), &html).expect("write dom");
        assert!(
            html.contains("data-ready=\"1\""),
            "the page did not finish loading:\n{html}"
        );
        // Findings first, with their severity, evidence and remedy.
        assert!(
            html.contains("class=\"finding critical\" data-rule=\"cpu-steal\""),
            "{html}"
        );
        assert!(html.contains("data-rule=\"disk-saturation\""), "{html}");
        let doc: serde_json::Value =
            serde_json::from_str(&common::get(addr, &format!("/api/findings?lang={lang}")).text())
                .expect("json");
        let title = doc["findings"][0]["title"]
            .as_str()
            .expect("title")
            .to_string();
        let remedy = doc["findings"][0]["remedy"][0]
            .as_str()
            .expect("remedy")
            .to_string();
        assert!(
            html.contains(&html_escape(&title)),
            "title {title:?} not rendered"
        );
        assert!(
            html.contains(&html_escape(&remedy)),
            "remedy {remedy:?} not rendered"
        );
        let findings_at = html.find("id=\"findings\"").expect("findings section");
        let charts_at = html.find("id=\"chart-load\"").expect("charts");
        assert!(findings_at < charts_at, "findings come first");
        // Every chart drew lines or areas from the hour of history.
        for chart in [
            "chart-load",
            "chart-cpu",
            "chart-mem",
            "chart-disk",
            "chart-net",
        ] {
            let at = html.find(&format!("id=\"{chart}\"")).expect("chart");
            let end = html[at..]
                .find("</figure>")
                .map(|e| at + e)
                .expect("figure end");
            let part = &html[at..end];
            let shapes = part.matches("<polyline").count() + part.matches("<polygon").count();
            assert!(shapes >= 2, "{chart} has {shapes} shapes:\n{part}");
        }
        // The CPU chart stacks steal; the load chart has the CPU-count line.
        assert!(html.contains("stroke-dasharray"), "dashed CPU-count line");
        // The process table.
        assert!(html.contains("java -Xmx6g"), "process table");
        if lang == "ja" {
            assert!(html.contains("lang=\"ja\""));
            assert!(html.contains("所見"), "Japanese headings");
            assert!(!title.is_ascii(), "Japanese finding title: {title}");
        }
        for (size, name) in [("1280,900", "laptop"), ("1280,2200", "full")] {
            let png = dir.join(format!("dashboard-{lang}-{name}.png"));
            let out = chromium(
                &bin,
                &dir.join(format!("profile-{lang}-{name}")),
                &[
                    &format!("--screenshot={}", png.display()),
                    &format!("--window-size={size}"),
                    "--hide-scrollbars",
                ],
                &url,
            );
            let len = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
            assert!(
                len > 20_000,
                "screenshot {} ({len} bytes): {}",
                png.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            eprintln!("screenshot: {}", png.display());
        }
    }
    h.stop();
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
