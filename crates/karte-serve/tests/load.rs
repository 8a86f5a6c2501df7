//! Load: Debian's `wrk` with 200 connections against /metrics. No errors, no non-2xx answers,
//! memory flat from one run to the next, and the server still answers (and still refuses a
//! slow client) afterwards. The run is short in CI (10 s in two parts); set KARTE_WRK_SECS=30
//! for the full run.

mod common;

use std::io::{Read, Write};
use std::process::Command;
use std::time::Duration;

struct WrkRun {
    requests: u64,
    per_sec: f64,
    socket_errors: String,
    non_2xx: u64,
    text: String,
}

fn wrk(bin: &std::path::Path, url: &str, secs: u64) -> WrkRun {
    let out = Command::new(bin)
        .args([
            "-t2",
            "-c200",
            &format!("-d{secs}s"),
            "--timeout",
            "30s",
            "--latency",
            url,
        ])
        .output()
        .expect("run wrk");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "wrk failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let requests = text
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let per_sec = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    let socket_errors = text
        .lines()
        .find(|l| l.contains("Socket errors"))
        .map(|l| l.trim().to_string())
        .unwrap_or_default();
    let non_2xx = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    WrkRun {
        requests,
        per_sec,
        socket_errors,
        non_2xx,
        text,
    }
}

#[test]
fn wrk_200_connections_on_metrics() {
    let Some(bin) = common::tool("wrk", "wrk") else {
        return;
    };
    let total: u64 = std::env::var("KARTE_WRK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
        .max(4);
    let mut o = common::options();
    o.limits.header_read_timeout = Duration::from_secs(2);
    let h = common::start_live(o);
    let a = h.addrs[0];
    let url = format!("http://{a}/metrics");
    // Warm up (allocator pools, connection buffers), then two measured runs.
    let _ = wrk(&bin, &url, 2);
    let rss0 = common::rss_kb();
    let first = wrk(&bin, &url, total / 2);
    let rss1 = common::rss_kb();
    let second = wrk(&bin, &url, total - total / 2);
    std::thread::sleep(Duration::from_secs(3));
    let rss2 = common::rss_kb();
    for (name, r) in [("first", &first), ("second", &second)] {
        eprintln!(
            "wrk {name}: {} requests, {:.0}/s, errors: {}, non-2xx: {}",
            r.requests,
            r.per_sec,
            if r.socket_errors.is_empty() {
                "none"
            } else {
                &r.socket_errors
            },
            r.non_2xx
        );
        assert!(r.requests > 0, "{}", r.text);
        assert!(r.socket_errors.is_empty(), "{}", r.text);
        assert_eq!(r.non_2xx, 0, "{}", r.text);
    }
    eprintln!(
        "RSS of the test process: {rss0} KiB before, {rss1} KiB after the first run, {rss2} KiB after the second"
    );
    // Flat: the second run does not add to what the first one settled at.
    assert!(
        rss2 <= rss1 + 4096,
        "memory grew from {rss1} KiB to {rss2} KiB"
    );
    common::assert_alive(a);
    // And a slow client is still cut off after the load.
    let mut s = std::net::TcpStream::connect(a).expect("connect");
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        .expect("write");
    s.set_read_timeout(Some(Duration::from_secs(6))).ok();
    let t0 = std::time::Instant::now();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert!(t0.elapsed() < Duration::from_secs(5), "slow client held");
    h.stop();
}
