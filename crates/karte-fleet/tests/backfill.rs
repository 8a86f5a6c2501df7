//! `karte doctor --prometheus` over a real Prometheus (Debian's `prometheus` package) whose TSDB
//! the test fills with known history through `promtool tsdb create-blocks-from openmetrics`:
//!
//! | instance | what happens in the 8-hour window | expected |
//! |---|---|---|
//! | `steal-1:9100` | steal 1 %, 7 % for 30 min at 1 h, 35 % from 3 h to 5 h | cpu-steal critical (fixed thresholds) and cpu-steal above the host's baseline (warning) |
//! | `dstate-1:9100` | from 2 h to 5 h load 9.5 on 4 idle CPUs, 9 tasks blocked | load-uninterruptible critical, no cpu-saturation |
//! | `mem-1:9100` | from 4 h to 5 h 3 % available, PSI memory 30 %, 600 pages/s swapped in, one OOM kill | memory-pressure, swap-thrashing, oom-kill (critical) |
//! | `io-1:9100` | from 6 h to 7 h sda 100 % busy at 80 ms per I/O, 750 MiB dirty; eth0 errors from 6.5 h | disk-saturation, dirty-writeback, link-errors (warnings) |
//! | `beat-1:9100` | 4 days of node_load1 from the kernel's own arithmetic: a 60 s agent at HZ=1000 | loadavg-periodic info, sampling beat, 25005 s |
//! | `healthy-1:9100` | nothing | no finding at all |
//!
//! Needs: Debian packages `prometheus` (server and promtool). Takes about 20 s.

mod common;

use common::*;
use karte_fleet::diagnosis::InstanceReport;
use karte_fleet::{Auth, Client, ClientConfig, FleetOptions, Limits, Period};
use karte_loadavg::kernel::Avenrun;
use karte_loadavg::sim::{Kernel, PeriodicJob, Workload, simulate};
use karte_rules::{Lang, Severity};
use std::time::Duration;

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
const HOURS: f64 = 8.0;

fn steal(h: f64, r: &mut Rng) -> Minute {
    let mut m = Minute::calm(r);
    let st = if (1.0..1.5).contains(&h) {
        0.07
    } else if (3.0..5.0).contains(&h) {
        0.35
    } else {
        0.01
    };
    m.cpu(0.15 * r.jitter(0.2), 0.04, 0.002, st * r.jitter(0.05));
    m.load = [0.8 * r.jitter(0.3), 0.7, 0.6];
    m
}

fn dstate(h: f64, r: &mut Rng) -> Minute {
    let mut m = Minute::calm(r);
    if (2.0..5.0).contains(&h) {
        m.cpu(0.03, 0.01, 0.08, 0.0);
        m.load = [9.5 * r.jitter(0.03), 8.5, 5.0];
        m.running = 1;
        m.blocked = 9;
        m.psi_io = [0.4, 0.3];
    }
    m
}

fn mem(h: f64, r: &mut Rng) -> Minute {
    let mut m = Minute::calm(r);
    if (4.0..5.0).contains(&h) {
        m.cpu(0.2, 0.15, 0.3, 0.0);
        m.mem_avail = 0.03 * m.mem_total;
        m.mem_free = 0.1 * GIB;
        m.cached = 0.3 * GIB;
        m.active_file = 0.1 * GIB;
        m.inactive_file = 0.1 * GIB;
        m.swap_free = 0.5 * GIB;
        m.pswpin_s = 600.0 * r.jitter(0.1);
        m.pswpout_s = 400.0 * r.jitter(0.1);
        m.majflt_s = 700.0;
        m.psi_mem = [0.30, 0.12];
        m.load = [3.0, 2.5, 1.5];
        m.running = 2;
    }
    if (h - 4.5).abs() < 1e-9 {
        m.oom_kills = 1;
    }
    m
}

fn io(h: f64, r: &mut Rng) -> Minute {
    let mut m = Minute::calm(r);
    if (6.0..7.0).contains(&h) {
        m.cpu(0.05, 0.05, 0.2, 0.0);
        m.util = 1.0;
        m.writes_s = 200.0 * r.jitter(0.05);
        m.reads_s = 5.0;
        m.write_kb_s = 12_800.0;
        m.await_ms = 80.0;
        m.mem_free = 1.0 * GIB;
        m.active_file = 1.5 * GIB;
        m.inactive_file = 1.5 * GIB;
        m.dirty = 700.0 * 1024.0 * 1024.0;
        m.writeback = 50.0 * 1024.0 * 1024.0;
        m.load = [1.0, 0.9, 0.6];
        m.psi_io = [0.5, 0.3];
    }
    if (6.5..7.0).contains(&h) {
        m.rx_errs_min = 5;
    }
    m
}

fn calm(_h: f64, r: &mut Rng) -> Minute {
    Minute::calm(r)
}

/// node_load1 of an idle HZ=1000 host with an agent busy 0.3 s every 60 s, read every minute for
/// four days: the kernel's own arithmetic (karte-loadavg's simulator).
fn beat_load1(end: i64) -> Vec<(i64, f64)> {
    let k = Kernel::modern(1000);
    let agent = Workload::default().with_job(PeriodicJob {
        period_s: 60.0,
        run_s: 0.3,
        phase_s: 7.0,
        tasks: 1,
    });
    let n = 4 * 1440;
    let start = end - n * 60;
    let times: Vec<f64> = (0..=n).map(|i| i as f64 * 60.0).collect();
    simulate(k, &agent, Avenrun::default(), k.load_freq, &times)
        .iter()
        .map(|r| (start + r.t.round() as i64, r.display.as_f64()[0]))
        .collect()
}

fn find<'a>(rs: &'a [InstanceReport], inst: &str) -> &'a InstanceReport {
    rs.iter()
        .find(|r| r.instance == inst)
        .unwrap_or_else(|| panic!("no report for {inst}"))
}

fn rules_at_least(r: &InstanceReport, sev: Severity) -> Vec<(&'static str, &'static str)> {
    r.findings
        .iter()
        .filter(|s| s.finding.severity >= sev)
        .map(|s| (s.finding.rule, s.source))
        .collect()
}

#[test]
fn backfilled_scenarios_through_a_real_prometheus() {
    let (Some(prom), Some(promtool)) = (which("prometheus"), which("promtool")) else {
        skip(
            "backfilled_scenarios_through_a_real_prometheus",
            "Debian package `prometheus` (prometheus, promtool) is not installed",
        );
        return;
    };
    let dir = TempDir::new("backfill");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let end = now / 300 * 300 - 600;
    let t0 = end - (HOURS * 3600.0) as i64;
    let hosts = [
        Host {
            instance: "steal-1:9100",
            ncpu: 4,
            scenario: steal,
        },
        Host {
            instance: "dstate-1:9100",
            ncpu: 4,
            scenario: dstate,
        },
        Host {
            instance: "mem-1:9100",
            ncpu: 2,
            scenario: mem,
        },
        Host {
            instance: "io-1:9100",
            ncpu: 2,
            scenario: io,
        },
        Host {
            instance: "beat-1:9100",
            ncpu: 2,
            scenario: calm,
        },
        Host {
            instance: "healthy-1:9100",
            ncpu: 2,
            scenario: calm,
        },
    ];
    let beat = beat_load1(end);
    let text = openmetrics(&hosts, t0, HOURS, 60, &[("beat-1:9100", beat)]);
    let data = backfill(&promtool, &dir.0, &text);
    drop(text);
    let server = Prometheus::start(
        &prom,
        &dir.0,
        &data,
        "global:\n  scrape_interval: 1m\n",
        &[],
    );

    // The library, as `doctor --prometheus --all` runs it.
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
            start: t0 as f64,
            end: end as f64,
            step: 300.0,
        },
        job: None,
        loadavg: Some((4.0 * 86_400.0, 60.0)),
        lang: Lang::En,
        parallel: 3,
    };
    let all = karte_fleet::diagnose_all(&client, &opts).expect("diagnose all");
    assert_eq!(
        all.instances.len(),
        6,
        "{:?}",
        all.instances
            .iter()
            .map(|r| &r.instance)
            .collect::<Vec<_>>()
    );
    for r in &all.instances {
        eprintln!(
            "{}: status {} judged {}/{}; findings {:?}",
            r.instance,
            r.status,
            r.steps_judged,
            r.steps,
            r.findings
                .iter()
                .map(|s| (
                    s.finding.rule,
                    s.finding.severity,
                    s.source,
                    s.first.as_str(),
                    s.last.as_str()
                ))
                .collect::<Vec<_>>()
        );
        assert!(
            r.steps_judged >= r.steps - 1,
            "{}: judged {} of {}; notes {:?}",
            r.instance,
            r.steps_judged,
            r.steps,
            r.notes
        );
    }

    let st = find(&all.instances, "steal-1:9100");
    assert_eq!(st.status, 2);
    assert_eq!(st.cpus, Some(4));
    let crit: Vec<_> = st
        .findings
        .iter()
        .filter(|s| s.finding.rule == "cpu-steal" && s.source == "rules")
        .collect();
    assert_eq!(crit.len(), 1, "one span of fixed-threshold steal: {crit:?}");
    assert_eq!(crit[0].finding.severity, Severity::Critical);
    assert!(
        crit[0].finding.title.contains("stolen"),
        "{}",
        crit[0].finding.title
    );
    // 3 h to 5 h, give or take the steps that straddle the edges.
    assert!(
        (crit[0].first_t - (t0 as f64 + 3.0 * 3600.0)).abs() <= 600.0,
        "{}",
        crit[0].first
    );
    assert!(
        (crit[0].last_t - (t0 as f64 + 5.0 * 3600.0)).abs() <= 600.0,
        "{}",
        crit[0].last
    );
    assert!(
        crit[0]
            .finding
            .evidence
            .iter()
            .any(|e| e.contains("steal over the period: median"))
    );
    let base: Vec<_> = st
        .findings
        .iter()
        .filter(|s| s.source == "baseline")
        .collect();
    assert_eq!(base.len(), 1, "one span above the baseline: {base:?}");
    assert_eq!(base[0].finding.rule, "cpu-steal");
    assert_eq!(base[0].finding.severity, Severity::Warning);
    assert!(
        (base[0].first_t - (t0 as f64 + 3600.0)).abs() <= 600.0,
        "{}",
        base[0].first
    );
    let b = st.steal_baseline.expect("baseline");
    assert!(b.median_pct > 0.5 && b.median_pct < 2.0, "{b:?}");
    assert_eq!(
        rules_at_least(st, Severity::Warning).len(),
        2,
        "{:?}",
        rules_at_least(st, Severity::Warning)
    );

    let ds = find(&all.instances, "dstate-1:9100");
    assert_eq!(ds.status, 2);
    assert_eq!(
        rules_at_least(ds, Severity::Warning),
        vec![("load-uninterruptible", "rules")]
    );
    let f = &ds.findings[0];
    assert_eq!(f.finding.severity, Severity::Critical);
    assert!(
        f.finding
            .evidence
            .iter()
            .any(|e| e.contains("blocked on I/O") && e.contains("procs_blocked")),
        "{:?}",
        f.finding.evidence
    );
    assert!(
        (f.first_t - (t0 as f64 + 2.0 * 3600.0)).abs() <= 600.0
            && (f.last_t - (t0 as f64 + 5.0 * 3600.0)).abs() <= 600.0,
        "{} {}",
        f.first,
        f.last
    );

    let me = find(&all.instances, "mem-1:9100");
    assert_eq!(me.status, 2);
    let mut rules: Vec<_> = rules_at_least(me, Severity::Warning)
        .into_iter()
        .map(|x| x.0)
        .collect();
    rules.sort();
    rules.dedup();
    assert_eq!(rules, vec!["memory-pressure", "oom-kill", "swap-thrashing"]);
    let oom = me
        .findings
        .iter()
        .find(|s| s.finding.rule == "oom-kill")
        .expect("oom");
    assert_eq!(oom.finding.severity, Severity::Critical);
    assert_eq!(oom.steps, 1);
    assert!(
        oom.finding.title.contains("killed 1 process"),
        "{}",
        oom.finding.title
    );
    let sw = me
        .findings
        .iter()
        .find(|s| s.finding.rule == "swap-thrashing")
        .expect("swap");
    assert!(sw.finding.title.contains("pages/s"), "{}", sw.finding.title);
    let mp = me
        .findings
        .iter()
        .find(|s| s.finding.rule == "memory-pressure")
        .expect("memory");
    assert!(
        mp.finding.evidence.iter().any(|e| e.contains("PSI")),
        "{:?}",
        mp.finding.evidence
    );

    let io = find(&all.instances, "io-1:9100");
    assert_eq!(io.status, 1);
    let mut rules: Vec<_> = rules_at_least(io, Severity::Warning)
        .into_iter()
        .map(|x| x.0)
        .collect();
    rules.sort();
    assert_eq!(
        rules,
        vec!["dirty-writeback", "disk-saturation", "link-errors"]
    );
    let dk = io
        .findings
        .iter()
        .find(|s| s.finding.rule == "disk-saturation")
        .expect("disk");
    assert_eq!(dk.finding.subjects, vec!["sda".to_string()]);
    // Units back to the kernel's: 80 ms per I/O and 100 % busy, as generated.
    assert!(
        dk.finding.evidence[0].contains("await 80.0 ms"),
        "{}",
        dk.finding.evidence[0]
    );
    assert!(
        dk.finding.evidence[0].contains("%util 100 %"),
        "{}",
        dk.finding.evidence[0]
    );
    let le = io
        .findings
        .iter()
        .find(|s| s.finding.rule == "link-errors")
        .expect("link");
    assert_eq!(le.finding.subjects, vec!["eth0".to_string()]);

    let bt = find(&all.instances, "beat-1:9100");
    assert_eq!(bt.status, 0, "{:?}", bt.findings);
    assert_eq!(bt.findings.len(), 1, "{:?}", bt.findings);
    let lp = &bt.findings[0];
    assert_eq!(
        (lp.finding.rule, lp.finding.severity, lp.source),
        ("loadavg-periodic", Severity::Info, "loadavg")
    );
    let la = bt.loadavg.as_ref().expect("loadavg summary");
    assert_eq!(la.cause, Some("sampling-beat"));
    assert_eq!(la.hz, Some(1000));
    let p = la.period_s.expect("period");
    assert!((p - 25_005.0).abs() < 250.0, "period {p}");
    assert!(
        lp.finding.title.contains("6 h 56 m"),
        "{}",
        lp.finding.title
    );

    let he = find(&all.instances, "healthy-1:9100");
    assert_eq!(he.status, 0);
    assert!(he.findings.is_empty(), "{:?}", he.findings);
    for r in ["hung-task", "kernel-thread-runaway", "duplicate-ip"] {
        assert!(
            he.not_run
                .iter()
                .any(|n| n.rule == r && n.reason.contains("karte on the host")),
            "{r}: {:?}",
            he.not_run
        );
    }
    assert!(
        !he.not_run
            .iter()
            .any(|n| karte_fleet::diagnosis::METRIC_RULES.contains(&n.rule.as_str())),
        "{:?}",
        he.not_run
    );
    assert_eq!(karte_fleet::fleet_status(&all.instances), 2);
    // Worst first: the critical hosts, then the warning one, then the OK ones.
    let order: Vec<&str> = all.instances.iter().map(|r| r.instance.as_str()).collect();
    assert_eq!(
        &order[3..],
        &["io-1:9100", "beat-1:9100", "healthy-1:9100"],
        "{order:?}"
    );

    // The command line.
    let Some(karte) = karte_bin() else {
        skip(
            "backfilled_scenarios (karte command line)",
            "the karte binary was not built (run cargo test --workspace)",
        );
        return;
    };
    let url = server.url();
    let (since, until) = (t0.to_string(), end.to_string());
    let base = [
        "doctor",
        "--prometheus",
        url.as_str(),
        "--since",
        since.as_str(),
        "--until",
        until.as_str(),
    ];
    let run = |extra: &[&str]| {
        let mut a: Vec<&str> = base.to_vec();
        a.extend_from_slice(extra);
        run_karte(&karte, &a)
    };
    let (code, out, err) = run(&["--all"]);
    eprintln!("--- karte doctor --prometheus URL --all\n{out}{err}");
    assert_eq!(code, 2, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("6 instances ("), "{out}");
    assert_eq!(lines[1], "3 critical, 1 warning, 0 unknown, 2 OK");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("CRITICAL  steal-1:9100") && l.contains("cpu-steal")),
        "{out}"
    );
    assert!(lines.iter().any(|l| l.starts_with("CRITICAL  dstate-1:9100") && l.contains("load-uninterruptible")), "{out}");
    assert!(
        lines.iter().any(|l| l.starts_with("WARNING   io-1:9100")),
        "{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("OK        beat-1:9100") && l.contains("info loadavg-periodic")),
        "{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("OK") && l.contains("1 with nothing found: healthy-1:9100")),
        "{out}"
    );
    assert!(out.contains("could not run for lack of data:"), "{out}");
    let crit_pos = lines
        .iter()
        .position(|l| l.starts_with("CRITICAL"))
        .unwrap_or(usize::MAX);
    let ok_pos = lines.iter().position(|l| l.starts_with("OK")).unwrap_or(0);
    assert!(crit_pos < ok_pos, "worst first:\n{out}");

    let (code, out, err) = run(&["--instance", "steal-1"]);
    eprintln!("--- karte doctor --prometheus URL --instance steal-1\n{out}{err}");
    assert_eq!(code, 2, "{err}");
    assert!(out.contains("cpu-steal"), "{out}");
    assert!(out.contains("could not run for lack of data:"), "{out}");
    assert!(
        out.contains("hung-task") && out.contains("needs the kernel log (karte on the host)"),
        "{out}"
    );

    let (code, out, err) = run(&["--instance", "io-1:9100", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(j["status"], 1);
    assert_eq!(j["host"]["instance"], "io-1:9100");
    assert_eq!(j["host"]["source"], "prometheus");
    let rules: Vec<&str> = j["findings"]
        .as_array()
        .map(|a| a.iter().filter_map(|f| f["rule"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        rules.contains(&"disk-saturation") && rules.contains(&"link-errors"),
        "{rules:?}"
    );
    assert!(
        j["findings"][0]["first"]
            .as_str()
            .is_some_and(|s| s.ends_with('Z'))
    );
    assert!(
        j["skipped"]
            .as_array()
            .is_some_and(|a| a.iter().any(|s| s["rule"] == "hung-task"))
    );

    let (code, _, _) = run(&["--instance", "healthy-1:9100"]);
    assert_eq!(code, 0);
    let (code, out, err) = run(&["--instance", "healthy-1:9100", "--lang", "ja"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("問題は見つかりませんでした"), "{out}");
    let (code, _, err) = run(&["--instance", "nosuch"]);
    assert_eq!(code, 3);
    assert!(
        err.contains("no node_exporter or karte data for instance \"nosuch\""),
        "{err}"
    );
    let (code, _, err) = run_karte(
        &karte,
        &["doctor", "--prometheus", "http://127.0.0.1:9", "--all"],
    );
    assert_eq!(code, 3);
    assert!(err.contains("cannot reach Prometheus"), "{err}");
    let (code, _, err) = run(&["--all", "--job", "other"]);
    eprintln!("--- --job other: {err}");
    assert_eq!(code, 3, "no instance of that job: could not tell");

    // The same server behind basic auth (Prometheus' own web config, bcrypt of
    // "karte-test-secret").
    drop(server);
    let web = dir.0.join("web.yml");
    std::fs::write(&web, "basic_auth_users:\n  karte: $2b$04$nMKAukBFfQ4eOfp//47t.uziwudH/bxSDZLhdlxBsX8EqTpki2Uh6\n").expect("web config");
    let server = Prometheus::start(
        &prom,
        &dir.0,
        &data,
        "global:\n  scrape_interval: 1m\n",
        &[format!("--web.config.file={}", web.display())],
    );
    let url = server.url();
    let args = [
        "doctor",
        "--prometheus",
        url.as_str(),
        "--since",
        since.as_str(),
        "--until",
        until.as_str(),
        "--instance",
        "healthy-1",
    ];
    let (code, _, err) = run_karte(&karte, &args);
    assert_eq!(code, 3);
    assert!(err.contains("HTTP 401"), "{err}");
    let pw = dir.0.join("pw");
    std::fs::write(&pw, "karte-test-secret\n").expect("password file");
    let pws = pw.display().to_string();
    let mut a = args.to_vec();
    a.extend_from_slice(&[
        "--prometheus-user",
        "karte",
        "--prometheus-password-file",
        pws.as_str(),
    ]);
    let (code, out, err) = run_karte(&karte, &a);
    assert_eq!(code, 0, "{out}{err}");
    let out2 = std::process::Command::new(&karte)
        .args(args)
        .args(["--prometheus-user", "karte"])
        .env("KARTE_PROMETHEUS_PASSWORD", "wrong")
        .output()
        .expect("karte");
    assert_eq!(out2.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out2.stderr)
            .contains("refused the request (HTTP 401 Unauthorized)")
    );
}

/// Not run by default (about a minute): 50 instances, most of them calm, to see how the `--all`
/// summary reads for a fleet. `cargo test -p karte-fleet --test backfill -- --ignored --nocapture`
#[test]
#[ignore]
fn fleet_of_fifty_summary() {
    let (Some(prom), Some(promtool), Some(karte)) =
        (which("prometheus"), which("promtool"), karte_bin())
    else {
        skip(
            "fleet_of_fifty_summary",
            "needs prometheus, promtool and the karte binary",
        );
        return;
    };
    let dir = TempDir::new("fifty");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let end = now / 300 * 300 - 600;
    let hours = 6.0;
    let t0 = end - (hours * 3600.0) as i64;
    let names: Vec<&'static str> = (0..50)
        .map(|i| {
            let kind = match i {
                3 | 17 => "db",
                8 => "vm",
                21 | 33 => "batch",
                40 => "nfs",
                _ => "web",
            };
            &*Box::leak(format!("{kind}-{i:02}.example.net:9100").into_boxed_str())
        })
        .collect();
    let hosts: Vec<Host> = names
        .iter()
        .enumerate()
        .map(|(i, n)| Host {
            instance: n,
            ncpu: 2,
            scenario: match i {
                8 => steal,
                40 => dstate,
                3 => mem,
                17 | 21 => io,
                _ => calm,
            },
        })
        .collect();
    let beat = beat_load1(end);
    let text = openmetrics(&hosts, t0, hours, 60, &[(names[33], beat)]);
    let data = backfill(&promtool, &dir.0, &text);
    drop(text);
    let server = Prometheus::start(
        &prom,
        &dir.0,
        &data,
        "global:\n  scrape_interval: 1m\n",
        &[],
    );
    let url = server.url();
    let (since, until) = (t0.to_string(), end.to_string());
    let t = std::time::Instant::now();
    let (code, out, err) = run_karte(
        &karte,
        &[
            "doctor",
            "--prometheus",
            &url,
            "--all",
            "--since",
            &since,
            "--until",
            &until,
        ],
    );
    eprintln!(
        "--- 50 instances in {:.1} s, exit {code}\n{out}{err}",
        t.elapsed().as_secs_f64()
    );
    assert_eq!(code, 2);
    assert!(out.starts_with("50 instances ("), "{out}");
}
