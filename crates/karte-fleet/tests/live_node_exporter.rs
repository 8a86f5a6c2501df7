//! SLOW (about 90 s): a real `prometheus-node-exporter` on loopback, scraped every 5 s by a real
//! Prometheus for 75 s, then `karte doctor --prometheus` over what Prometheus holds: on this
//! healthy machine it must be quiet, and the figures must be this machine's.
//!
//! Needs: Debian packages `prometheus` and `prometheus-node-exporter`. Set
//! `KARTE_SKIP_SLOW_TESTS=1` to skip it.
//!
//! The one thing a shared build machine can really have is CPU saturation (other builds): if
//! cpu-saturation is found, the test checks that /proc/loadavg agrees that the machine was
//! loaded rather than failing.

mod common;

use common::*;
use karte_fleet::{Auth, Client, ClientConfig, FleetOptions, Limits, Period};
use karte_rules::{Lang, Severity};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SCRAPE_SECS: u64 = 5;
const RUN_SECS: u64 = 75;

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn load1_and_cpus() -> (f64, usize) {
    let l = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load1 = l
        .split_whitespace()
        .next()
        .and_then(|x| x.parse().ok())
        .unwrap_or(0.0);
    let st = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let cpus = st
        .lines()
        .filter(|x| x.starts_with("cpu") && x.as_bytes().get(3).is_some_and(|b| b.is_ascii_digit()))
        .count();
    (load1, cpus)
}

#[test]
fn live_node_exporter_scraped_by_prometheus_is_quiet() {
    const NAME: &str = "live_node_exporter_scraped_by_prometheus_is_quiet";
    if std::env::var_os("KARTE_SKIP_SLOW_TESTS").is_some() {
        skip(NAME, "KARTE_SKIP_SLOW_TESTS is set");
        return;
    }
    let (Some(prom), Some(ne)) = (which("prometheus"), which("prometheus-node-exporter")) else {
        skip(
            NAME,
            "Debian packages `prometheus` and `prometheus-node-exporter` are needed",
        );
        return;
    };
    let dir = TempDir::new("live");
    let ne_port = free_port();
    let log = dir.0.join("node_exporter.log");
    let logf = std::fs::File::create(&log).expect("log");
    let child = Command::new(&ne)
        .arg(format!("--web.listen-address=127.0.0.1:{ne_port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::from(logf.try_clone().expect("log")))
        .stderr(Stdio::from(logf))
        .spawn()
        .expect("start node_exporter");
    let exporter = Proc {
        child,
        name: "node_exporter",
        log,
    };
    let t0 = Instant::now();
    while http_get(ne_port, "/metrics").is_none_or(|(s, _)| s != 200) {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "node_exporter did not start:\n{}",
            exporter.log_tail()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let config = format!(
        "global:\n  scrape_interval: {SCRAPE_SECS}s\n  scrape_timeout: 4s\nscrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ['127.0.0.1:{ne_port}']\n"
    );
    let data = dir.0.join("data");
    let server = Prometheus::start(&prom, &dir.0, &data, &config, &[]);
    let start = now();
    let (load_start, cpus) = load1_and_cpus();
    std::thread::sleep(Duration::from_secs(RUN_SECS));
    let end = now();
    let (load_end, _) = load1_and_cpus();
    let instance = format!("127.0.0.1:{ne_port}");

    let client = Client::new(&ClientConfig {
        url: server.url(),
        auth: Auth::None,
        headers: vec![],
        ca_pem: None,
        timeout: Duration::from_secs(30),
        limits: Limits::default(),
    })
    .expect("client");
    let opts = FleetOptions {
        period: Period {
            start,
            end,
            step: 15.0,
        },
        job: Some("node".into()),
        loadavg: Some((4.0 * 86_400.0, 60.0)),
        lang: Lang::En,
        parallel: 1,
    };
    let r = karte_fleet::diagnose_one(&client, "127.0.0.1", &opts)
        .unwrap_or_else(|e| panic!("diagnose: {e}\n{}", server.proc.log_tail()));
    eprintln!(
        "live: {} status {} judged {}/{} cpus {:?} kernel {:?}\nfindings {:#?}\nnot run {:?}\npartly {:?}\nnotes {:?}",
        r.instance,
        r.status,
        r.steps_judged,
        r.steps,
        r.cpus,
        r.kernel,
        r.findings,
        r.not_run,
        r.partly_run,
        r.notes
    );
    assert_eq!(r.instance, instance);
    assert!(
        r.steps_judged >= 3,
        "judged {} of {}: {:?}",
        r.steps_judged,
        r.steps,
        r.notes
    );
    assert_eq!(
        r.cpus,
        Some(cpus),
        "the CPUs node_exporter reports are this machine's"
    );
    let uname = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    assert_eq!(r.kernel.as_deref(), Some(uname.trim()));
    // Every rule that node_exporter's metrics can feed did run (oom-kill needs the vmstat counter,
    // which node_exporter's default fields include).
    for rule in karte_fleet::diagnosis::METRIC_RULES {
        assert!(
            !r.not_run.iter().any(|n| n.rule == rule),
            "{rule} did not run: {:?}",
            r.not_run
        );
    }
    let problems: Vec<_> = r
        .problems()
        .map(|s| (s.finding.rule, s.finding.severity, s.finding.title.clone()))
        .collect();
    let busy = load_start.max(load_end) > cpus as f64;
    for (rule, sev, title) in &problems {
        assert!(
            *rule == "cpu-saturation" && busy,
            "a healthy machine must be quiet; found {rule} ({sev:?}): {title} (load1 {load_start:.2} → {load_end:.2} on {cpus} CPUs)"
        );
        eprintln!(
            "NOTE: {rule} found while this shared machine was loaded (load1 {load_start:.2} → {load_end:.2} on {cpus} CPUs): accepted"
        );
    }
    if problems.is_empty() {
        assert_eq!(r.status, 0);
    } else {
        assert!(r.status == 1 || r.status == 2);
        assert!(problems.iter().all(|p| p.1 >= Severity::Warning));
    }

    if let Some(karte) = karte_bin() {
        let url = server.url();
        let (s, e) = (format!("{start:.0}"), format!("{end:.0}"));
        let (code, out, err) = run_karte(
            &karte,
            &[
                "doctor",
                "--prometheus",
                &url,
                "--instance",
                &instance,
                "--since",
                &s,
                "--until",
                &e,
                "--step",
                "15s",
            ],
        );
        eprintln!("--- karte doctor --prometheus URL --instance {instance} --step 15s\n{out}{err}");
        assert_eq!(i32::from(r.status), code, "{err}");
        let (code, out, err) = run_karte(
            &karte,
            &[
                "doctor",
                "--prometheus",
                &url,
                "--all",
                "--since",
                &s,
                "--until",
                &e,
                "--step",
                "15s",
            ],
        );
        eprintln!("--- --all\n{out}{err}");
        assert_eq!(i32::from(r.status), code);
        assert!(out.starts_with("1 instances ("), "{out}");
        // A step shorter than the scrape interval: said plainly.
        let (_, out, _) = run_karte(
            &karte,
            &[
                "doctor",
                "--prometheus",
                &url,
                "--instance",
                &instance,
                "--since",
                &s,
                "--until",
                &e,
                "--step",
                "10s",
            ],
        );
        eprintln!(
            "--- --step 10s (scrapes every 5 s, so fine) notes:\n{}",
            out.lines()
                .skip_while(|l| !l.starts_with("notes:"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    } else {
        skip(NAME, "karte binary not built: command-line part not run");
    }
    drop(server);
    drop(exporter);
}
