//! karte with the real Prometheus parts (Debian's `prometheus` package): promtool lints a scrape
//! and checks the alerting rules, and a Prometheus server started here on loopback scrapes karte
//! (plain, and over TLS with basic auth), loads the rules, and answers queries for karte's series.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn promtool(args: &[&str], stdin: &[u8]) -> (i32, String) {
    let Some(bin) = common::tool("promtool", "prometheus") else {
        return (-1, String::new());
    };
    let mut c = Command::new(bin)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool");
    {
        use std::io::Write;
        let mut i = c.stdin.take().expect("stdin");
        i.write_all(stdin).expect("write");
    }
    let out = c.wait_with_output().expect("promtool");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// promtool's lint of a karte scrape: karte's own families pass clean; the only remarks are on
/// node_exporter's meminfo names (camelCase like `node_memory_MemTotal_bytes`), which karte must
/// keep for dashboard compatibility and which node_exporter itself gets from promtool.
#[test]
fn promtool_check_metrics_on_a_scrape() {
    if common::tool("promtool", "prometheus").is_none() {
        return;
    }
    let h = common::start_live_default();
    std::thread::sleep(Duration::from_millis(2300));
    let scrape = common::get(h.addrs[0], "/metrics").body;
    assert!(String::from_utf8_lossy(&scrape).contains("karte_cpu_share_ratio{mode=\"steal\"}"));
    let (_, out) = promtool(&["check", "metrics"], &scrape);
    let remarks: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
    eprintln!("promtool check metrics: {} remark(s)", remarks.len());
    for r in &remarks {
        assert!(!r.contains("karte_"), "karte family flagged: {r}");
        assert!(
            r.starts_with("node_memory_")
                && r.ends_with("metric names should be written in 'snake_case' not 'camelCase'"),
            "unexpected remark: {r}"
        );
    }
    // The same remarks as for node_exporter's own scrape, when it is installed.
    if let Some(ne) = common::tool("prometheus-node-exporter", "prometheus-node-exporter") {
        let port = common::free_port();
        let mut child = Command::new(ne)
            .args([
                "--collector.disable-defaults",
                "--collector.meminfo",
                &format!("--web.listen-address=127.0.0.1:{port}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("node_exporter");
        let addr = format!("127.0.0.1:{port}").parse().expect("addr");
        let mut body = Vec::new();
        for _ in 0..100 {
            if std::net::TcpStream::connect(addr).is_ok() {
                body = common::get(addr, "/metrics").body;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        let (_, ne_out) = promtool(&["check", "metrics"], &body);
        let mut a: Vec<&str> = remarks.clone();
        let mut b: Vec<&str> = ne_out
            .lines()
            .filter(|l| l.starts_with("node_memory_"))
            .collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "karte's remarks differ from node_exporter's");
    }
    h.stop();
}

#[test]
fn promtool_check_rules() {
    let dir = common::tmpdir("rules");
    let file = dir.join("karte-rules.yml");
    std::fs::write(&file, karte_serve::alerts::rules_yaml("test")).expect("write");
    let (code, out) = promtool(&["check", "rules", &file.display().to_string()], b"");
    if code == -1 {
        return;
    }
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("SUCCESS"), "{out}");
    eprintln!("{}", out.trim());
    let _ = std::fs::remove_dir_all(&dir);
}

struct Prom {
    child: Child,
    port: u16,
}

impl Drop for Prom {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_prometheus(dir: &Path, config: &str) -> Option<Prom> {
    let bin = common::tool("prometheus", "prometheus")?;
    std::fs::write(dir.join("prometheus.yml"), config).expect("config");
    let port = common::free_port();
    let child = Command::new(bin)
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--log.level=warn")
        .stdout(Stdio::null())
        .stderr(
            std::fs::File::create(dir.join("prometheus.log"))
                .map(Stdio::from)
                .unwrap_or(Stdio::null()),
        )
        .spawn()
        .expect("start prometheus");
    Some(Prom { child, port })
}

fn api(port: u16, path: &str) -> serde_json::Value {
    let addr = format!("127.0.0.1:{port}").parse().expect("addr");
    common::try_get(addr, path)
        .and_then(|r| serde_json::from_slice(&r.body).ok())
        .unwrap_or(serde_json::Value::Null)
}

fn query(port: u16, q: &str) -> Vec<serde_json::Value> {
    let enc: String = q
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let v = api(port, &format!("/api/v1/query?query={enc}"));
    v["data"]["result"].as_array().cloned().unwrap_or_default()
}

#[test]
fn prometheus_scrapes_karte() {
    if common::tool("prometheus", "prometheus").is_none() {
        return;
    }
    let dir = common::tmpdir("prometheus");
    // karte over plain HTTP, and over TLS with basic auth.
    let plain = common::start_live_default();
    let secure = common::self_signed(&dir).map(|(cert, key)| {
        let mut o = common::options();
        o.tls = Some(
            karte_serve::tls::server_config(&karte_serve::config::TlsFiles {
                cert_file: cert,
                key_file: key,
                min_version: None,
            })
            .expect("tls"),
        );
        o.users = Some(
            [(
                "prom".to_string(),
                bcrypt::hash("scrape-pw", 4).expect("hash"),
            )]
            .into_iter()
            .collect(),
        );
        common::start_live(o)
    });
    // And a synthetic VM whose findings must turn into alerts.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();
    let sc = common::synthetic::Scenario {
        base_unix: now - 700.0 * 5.0,
        step: 5.0,
    };
    let mut o = common::options();
    o.tick = Duration::from_secs(1);
    let vm = karte_serve::start(o, common::synthetic::ScenarioDiagnoser::new(sc, 700))
        .expect("synthetic");
    std::fs::write(
        dir.join("rules.yml"),
        karte_serve::alerts::rules_yaml("test"),
    )
    .expect("rules");
    let mut config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {}\nscrape_configs:\n  - job_name: karte\n    static_configs:\n      - targets: ['{}']\n  - job_name: karte-vm\n    static_configs:\n      - targets: ['{}']\n",
        dir.join("rules.yml").display(),
        plain.addrs[0],
        vm.addrs[0]
    );
    if let Some(s) = &secure {
        config.push_str(&format!(
            "  - job_name: karte-tls\n    scheme: https\n    tls_config:\n      insecure_skip_verify: true\n    basic_auth:\n      username: prom\n      password: scrape-pw\n    static_configs:\n      - targets: ['{}']\n",
            s.addrs[0]
        ));
    }
    let Some(prom) = start_prometheus(&dir, &config) else {
        return;
    };
    let jobs = if secure.is_some() { 3 } else { 2 };
    // Both targets up.
    let t0 = Instant::now();
    let mut up = 0;
    while t0.elapsed() < Duration::from_secs(60) {
        let v = api(prom.port, "/api/v1/targets");
        let targets = v["data"]["activeTargets"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        up = targets.iter().filter(|t| t["health"] == "up").count();
        if up == jobs {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let log = std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default();
    assert_eq!(up, jobs, "targets up: {up} of {jobs}\n{log}");
    // karte's series are queryable, from every job.
    let t0 = Instant::now();
    loop {
        let f = query(prom.port, "karte_findings");
        let n = query(prom.port, "node_load1");
        let shares = query(prom.port, "sum by (job) (karte_cpu_share_ratio)");
        if f.len() == 3 * jobs && n.len() == jobs && shares.len() == jobs {
            for s in &shares {
                let v: f64 = s["value"][1]
                    .as_str()
                    .and_then(|x| x.parse().ok())
                    .unwrap_or(0.0);
                assert!((v - 1.0).abs() < 1e-6, "CPU shares sum to 1: {s}");
            }
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "series not queryable: {f:?} {n:?} {shares:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let rate = query(
        prom.port,
        "rate(node_cpu_seconds_total{job=\"karte\",mode=\"idle\"}[10s])",
    );
    eprintln!("node_cpu_seconds_total idle rate series: {}", rate.len());
    assert_eq!(query(prom.port, "karte_build_info").len(), jobs);
    // The alerting rules load and evaluate.
    let t0 = Instant::now();
    loop {
        let v = api(prom.port, "/api/v1/rules");
        let groups = v["data"]["groups"].as_array().cloned().unwrap_or_default();
        let rules: Vec<serde_json::Value> = groups
            .iter()
            .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
            .collect();
        let evaluated = rules.iter().filter(|r| r["health"] == "ok").count();
        if groups.len() == 2 && !rules.is_empty() && evaluated == rules.len() {
            eprintln!(
                "prometheus: {} rules in {} groups, all evaluated ok",
                rules.len(),
                groups.len()
            );
            break;
        }
        let bad: Vec<String> = rules
            .iter()
            .filter(|r| r["health"] == "err")
            .map(|r| format!("{}: {}", r["name"], r["lastError"]))
            .collect();
        assert!(bad.is_empty(), "rules with errors: {bad:?}");
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "rules not evaluated: {v}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    // The synthetic VM's critical steal finding is an alert (pending for its `for:`, then firing).
    let t0 = Instant::now();
    loop {
        let v = api(prom.port, "/api/v1/alerts");
        let alerts = v["data"]["alerts"].as_array().cloned().unwrap_or_default();
        let steal = alerts
            .iter()
            .find(|a| a["labels"]["alertname"] == "KarteCpuSteal");
        if let Some(a) = steal {
            assert_eq!(a["labels"]["severity"], "critical", "{a}");
            assert_eq!(a["labels"]["job"], "karte-vm", "{a}");
            eprintln!(
                "alert: {} {} ({})",
                a["labels"]["alertname"], a["state"], a["annotations"]["summary"]
            );
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "no KarteCpuSteal alert: {v}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    drop(prom);
    vm.stop();
    plain.stop();
    if let Some(s) = secure {
        s.stop();
    }
    let _ = std::fs::remove_dir_all(&dir);
}
