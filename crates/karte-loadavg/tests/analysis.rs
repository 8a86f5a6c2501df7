//! The analysis on simulated series: agent beats at different HZ, a real cron job, and series
//! that must not be called periodic (random bursts, white noise, a single spike, a trend).

use karte_loadavg::kernel::Avenrun;
use karte_loadavg::sim::{Activity, Kernel, PeriodicJob, Step, Window, Workload, simulate};
use karte_loadavg::{Analysis, Cause, LoadPoint, Options, RatePoint, analyze};

/// splitmix64: a small deterministic generator, so the tests need no extra crate.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn f(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let u = self.f().max(1e-12);
        let v = self.f();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// Reads the simulated /proc/loadavg every `every` seconds for `duration` seconds.
fn series(k: Kernel, w: &impl Activity, duration: f64, every: f64, t0: f64) -> Vec<LoadPoint> {
    let times: Vec<f64> = (0..=(duration / every) as usize)
        .map(|i| i as f64 * every)
        .collect();
    simulate(k, w, Avenrun::default(), k.load_freq, &times)
        .iter()
        .map(|r| {
            let [a, b, c] = r.display.as_f64();
            LoadPoint {
                t: t0 + r.t,
                load1: a,
                load5: Some(b),
                load15: Some(c),
            }
        })
        .collect()
}

fn agent(period: f64, run: f64, phase: f64, tasks: u64) -> Workload {
    Workload::default().with_job(PeriodicJob {
        period_s: period,
        run_s: run,
        phase_s: phase,
        tasks,
    })
}

const T0: f64 = 1_795_305_600.0;

fn assert_beat(a: &Analysis, hz: u32, period: f64) {
    assert!(a.periodic, "{a:#?}");
    assert_eq!(a.cause, Some(Cause::SamplingBeat), "{a:#?}");
    assert_eq!(a.hz, Some(hz), "{a:#?}");
    let p = a.period_s.unwrap_or(f64::NAN);
    assert!(
        (p - period).abs() / period < 0.005,
        "period {p} not near {period}"
    );
}

fn assert_not_periodic(a: &Analysis, what: &str) {
    assert!(!a.periodic, "{what}: {a:#?}");
    assert_eq!(a.cause, None);
    assert_eq!(a.period_s, None);
    assert_eq!(a.hz, None);
}

#[test]
fn agent_every_60s_on_hz_1000_is_a_sampling_beat_of_25005_s() {
    let k = Kernel::modern(1000);
    // Two tasks for 0.5 s every minute (an agent forking its plugins), read every minute by an
    // exporter for four days.
    let w = agent(60.0, 0.5, 55.0, 2);
    let s = series(k, &w, 4.0 * 86400.0, 60.0, T0);
    let a = analyze(&s, &[], &Options::default());
    assert_beat(&a, 1000, 25005.0);
    assert!(a.peaks.len() >= 10, "{}", a.peaks.len());
    assert!(a.explanation.contains("HZ=1000"), "{}", a.explanation);
    let json = serde_json::to_value(&a).expect("json");
    assert_eq!(json["cause"], "sampling-beat");
    assert_eq!(json["hz"], 1000);
    assert_eq!(json["periodic"], true);
    assert!(json["peaks"][0]["time"].is_number());
    assert!(json["peaks"][0]["height"].is_number());
}

#[test]
fn agent_every_10s_on_hz_250_beats_at_6255_s() {
    let k = Kernel::modern(250);
    let w = agent(10.0, 0.2, 3.0, 1);
    let s = series(k, &w, 2.0 * 86400.0, 60.0, T0);
    let a = analyze(&s, &[], &Options::default());
    assert_beat(&a, 250, 6255.0);
}

#[test]
fn one_second_collector_on_hz_250_beats_at_1251_s() {
    let k = Kernel::modern(250);
    let w = agent(1.0, 0.02, 0.5, 1);
    let s = series(k, &w, 86400.0, 15.0, T0);
    let a = analyze(&s, &[], &Options::default());
    assert_beat(&a, 250, 1251.0);
}

#[test]
fn beat_survives_unsorted_gappy_irregular_input() {
    let k = Kernel::modern(1000);
    let w = agent(60.0, 0.5, 55.0, 2);
    let mut s = series(k, &w, 4.0 * 86400.0, 60.0, T0);
    let mut rng = Rng(7);
    // Jitter the reading times by up to ±3 s, drop 10 % of readings and a 3-hour stretch,
    // duplicate some, and shuffle.
    for p in s.iter_mut() {
        p.t += (rng.f() - 0.5) * 6.0;
    }
    let gap = (T0 + 100_000.0, T0 + 110_800.0);
    s.retain(|p| !(p.t > gap.0 && p.t < gap.1));
    let mut s: Vec<LoadPoint> = s.into_iter().filter(|_| rng.f() > 0.1).collect();
    let dups: Vec<LoadPoint> = s.iter().step_by(17).copied().collect();
    s.extend(dups);
    for i in (1..s.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        s.swap(i, j);
    }
    let a = analyze(&s, &[], &Options::default());
    assert_beat(&a, 1000, 25005.0);
    assert!(
        a.notes.iter().any(|n| n.contains("averaged")),
        "{:?}",
        a.notes
    );
}

#[test]
fn beat_on_a_noisy_busy_host() {
    // The agent plus a background of about one task that comes and goes at random every few
    // minutes: the humps ride on a noisy baseline.
    let k = Kernel::modern(1000);
    let mut rng = Rng(11);
    let mut steps = Vec::new();
    let mut t = 0.0;
    while t < 4.0 * 86400.0 {
        steps.push(Step {
            at_s: t,
            tasks: u64::from(rng.f() < 0.1),
        });
        t += 30.0 + rng.f() * 300.0;
    }
    let w = agent(60.0, 1.0, 55.0, 3).with_steps(steps);
    let s = series(k, &w, 4.0 * 86400.0, 60.0, T0);
    let a = analyze(&s, &[], &Options::default());
    assert_beat(&a, 1000, 25005.0);
}

#[test]
fn cron_job_every_two_hours_is_a_periodic_workload() {
    let k = Kernel::modern(250);
    // A backup: 2 tasks for 10 minutes every 2 h, starting at 00:17.
    let w = agent(7200.0, 600.0, 1020.0, 2);
    let s = series(k, &w, 3.0 * 86400.0, 60.0, T0);
    let a = analyze(&s, &[], &Options::default());
    assert!(a.periodic, "{a:#?}");
    assert_eq!(a.cause, Some(Cause::PeriodicWorkload));
    assert_eq!(a.hz, None);
    let p = a.period_s.unwrap_or(f64::NAN);
    assert!((p - 7200.0).abs() < 20.0, "{p}");
    assert!(a.explanation.contains("cron"), "{}", a.explanation);
    let json = serde_json::to_value(&a).expect("json");
    assert_eq!(json["cause"], "periodic-workload");
    assert!(json["hz"].is_null());
}

#[test]
fn cron_job_every_105_minutes_is_not_mistaken_for_the_hz_250_beat() {
    // 6300 s is 0.7 % from the HZ=250 beat of 6255 s.
    let k = Kernel::modern(250);
    let w = agent(6300.0, 300.0, 100.0, 1);
    let s = series(k, &w, 4.0 * 86400.0, 60.0, T0);
    let a = analyze(&s, &[], &Options::default());
    assert!(a.periodic, "{a:#?}");
    assert_eq!(a.cause, Some(Cause::PeriodicWorkload), "{a:#?}");
}

#[test]
fn random_bursts_are_not_periodic() {
    let k = Kernel::modern(250);
    for seed in 0..12u64 {
        let mut rng = Rng(seed * 1000 + 3);
        let mut w = Workload::default();
        let n = 5 + (rng.next_u64() % 60) as usize;
        for _ in 0..n {
            w = w.with_window(Window {
                start_s: rng.f() * 3.0 * 86400.0,
                len_s: 60.0 + rng.f() * 1800.0,
                tasks: 1 + rng.next_u64() % 4,
            });
        }
        let s = series(k, &w, 3.0 * 86400.0, 60.0, T0);
        let a = analyze(&s, &[], &Options::default());
        assert_not_periodic(&a, &format!("random bursts, seed {seed}"));
    }
}

#[test]
fn white_noise_is_not_periodic() {
    for seed in 0..12u64 {
        let mut rng = Rng(seed + 99);
        let level = 0.2 + rng.f() * 4.0;
        let sd = 0.05 + rng.f() * 0.5;
        let s: Vec<LoadPoint> = (0..4320)
            .map(|i| {
                let v = (level + sd * rng.normal()).max(0.0);
                LoadPoint::new(T0 + i as f64 * 60.0, (v * 100.0).round() / 100.0)
            })
            .collect();
        let a = analyze(&s, &[], &Options::default());
        assert_not_periodic(&a, &format!("white noise, seed {seed}"));
    }
}

#[test]
fn smoothed_noise_is_not_periodic() {
    // An exponentially smoothed random walk around a level: a load1 of random work.
    for seed in 0..8u64 {
        let mut rng = Rng(seed + 555);
        let mut x: f64 = 1.0;
        let s: Vec<LoadPoint> = (0..5000)
            .map(|i| {
                x = (0.9 * x + 0.1 * (1.0 + 2.0 * rng.normal())).max(0.0);
                LoadPoint::new(T0 + i as f64 * 30.0, (x * 100.0).round() / 100.0)
            })
            .collect();
        let a = analyze(&s, &[], &Options::default());
        assert_not_periodic(&a, &format!("smoothed noise, seed {seed}"));
    }
}

#[test]
fn a_single_spike_is_not_periodic() {
    let k = Kernel::modern(1000);
    let w = Workload::default().with_window(Window {
        start_s: 40_000.0,
        len_s: 900.0,
        tasks: 8,
    });
    let s = series(k, &w, 2.0 * 86400.0, 60.0, T0);
    let a = analyze(&s, &[], &Options::default());
    assert_not_periodic(&a, "single spike");
    assert_eq!(a.peaks.len(), 1, "{:?}", a.peaks);
    assert!(a.peaks[0].height > 7.0);
}

#[test]
fn a_trend_is_not_periodic() {
    let mut rng = Rng(5);
    let s: Vec<LoadPoint> = (0..6000)
        .map(|i| {
            let v = 0.5 + i as f64 * 0.001 + 0.02 * rng.normal();
            LoadPoint::new(T0 + i as f64 * 60.0, (v.max(0.0) * 100.0).round() / 100.0)
        })
        .collect();
    let a = analyze(&s, &[], &Options::default());
    assert_not_periodic(&a, "trend");
    let smooth: Vec<LoadPoint> = (0..6000)
        .map(|i| LoadPoint::new(T0 + i as f64 * 60.0, i as f64 * 0.001))
        .collect();
    assert_not_periodic(&analyze(&smooth, &[], &Options::default()), "smooth trend");
}

#[test]
fn degenerate_inputs() {
    assert_not_periodic(&analyze(&[], &[], &Options::default()), "empty");
    let flat: Vec<LoadPoint> = (0..1000).map(|i| LoadPoint::new(i as f64, 0.0)).collect();
    assert_not_periodic(&analyze(&flat, &[], &Options::default()), "flat");
    let same_t: Vec<LoadPoint> = (0..1000).map(|i| LoadPoint::new(5.0, i as f64)).collect();
    assert_not_periodic(&analyze(&same_t, &[], &Options::default()), "one time");
    let bad: Vec<LoadPoint> = (0..100)
        .map(|i| LoadPoint::new(if i % 2 == 0 { f64::NAN } else { i as f64 }, f64::INFINITY))
        .collect();
    let a = analyze(&bad, &[], &Options::default());
    assert_not_periodic(&a, "non-finite");
    assert!(!a.notes.is_empty());
    let short = series(
        Kernel::modern(250),
        &agent(10.0, 0.2, 3.0, 1),
        3.0 * 3600.0,
        60.0,
        T0,
    );
    let a = analyze(&short, &[], &Options::default());
    assert_not_periodic(&a, "three hours of a 6255 s beat");
}

#[test]
fn known_hz_restricts_the_beat() {
    let k = Kernel::modern(1000);
    let w = agent(60.0, 0.5, 55.0, 2);
    let s = series(k, &w, 4.0 * 86400.0, 60.0, T0);
    let opts = Options {
        hz_candidates: vec![250],
        ..Options::default()
    };
    let a = analyze(&s, &[], &opts);
    assert!(a.periodic);
    assert_eq!(a.cause, Some(Cause::PeriodicWorkload), "{a:#?}");
}

#[test]
fn fork_series_names_the_forker() {
    let k = Kernel::modern(1000);
    let w = agent(60.0, 0.5, 55.0, 2);
    let s = series(k, &w, 4.0 * 86400.0, 60.0, T0);
    // Fork rates over 10 s intervals: a background of about 2 forks/s plus 6 forks each time
    // the agent runs (at 55 s past each minute).
    let mut rng = Rng(3);
    let forks: Vec<RatePoint> = (1..(4 * 8640))
        .map(|i| {
            let end = i as f64 * 10.0;
            let mut n = 0.0;
            for _ in 0..20 {
                n += f64::from(u8::from(rng.f() < 0.999)) * (rng.f() * 2.0).floor();
            }
            let agent_runs = ((end - 55.0) / 60.0).floor() > ((end - 10.0 - 55.0) / 60.0).floor();
            if agent_runs {
                n += 6.0;
            }
            RatePoint {
                t: T0 + end,
                per_s: n / 10.0,
            }
        })
        .collect();
    let a = analyze(&s, &forks, &Options::default());
    assert_beat(&a, 1000, 25005.0);
    assert_eq!(a.forker_period_s, Some(60.0), "{a:#?}");
    assert!(
        a.explanation.contains("forks every 60 s"),
        "{}",
        a.explanation
    );
}

#[test]
fn random_forks_show_no_forker() {
    let mut rng = Rng(8);
    let forks: Vec<(f64, f64)> = (0..8640)
        .map(|i| (i as f64 * 10.0, (rng.f() * 40.0).floor() / 10.0))
        .collect();
    assert_eq!(karte_loadavg::analyze::forker_period(&forks), None);
}

#[test]
fn long_series_stays_fast() {
    // 30 days of 10 s readings.
    let k = Kernel::modern(250);
    let w = agent(10.0, 0.2, 3.0, 1);
    let s = series(k, &w, 30.0 * 86400.0, 10.0, T0);
    let t = std::time::Instant::now();
    let a = analyze(&s, &[], &Options::default());
    let el = t.elapsed();
    assert_beat(&a, 250, 6255.0);
    assert!(el.as_secs_f64() < 20.0, "{el:?}");
}

/// Many random series of each kind that must not be called periodic, and many beats that must
/// be found. Slow: `cargo test --release -- --ignored stress --nocapture`.
#[test]
#[ignore]
fn stress_false_positives_and_sensitivity() {
    let mut fp = Vec::new();
    let k = Kernel::modern(250);
    let n_fp: u64 = std::env::var("STRESS_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150);
    for seed in 0..n_fp {
        let mut rng = Rng(seed * 7919 + 1);
        let kind = seed % 5;
        let every = [10.0, 15.0, 30.0, 60.0, 60.0][(seed / 5 % 5) as usize];
        let days = 1.0 + rng.f() * 4.0;
        let s: Vec<LoadPoint> = match kind {
            0 => {
                let mut w = Workload::default();
                for _ in 0..(3 + rng.next_u64() % 150) {
                    w = w.with_window(Window {
                        start_s: rng.f() * days * 86400.0,
                        len_s: 10.0 + rng.f() * 3600.0,
                        tasks: 1 + rng.next_u64() % 8,
                    });
                }
                series(k, &w, days * 86400.0, every, T0)
            }
            1 => {
                let (level, sd) = (rng.f() * 8.0, 0.01 + rng.f());
                (0..(days * 86400.0 / every) as usize)
                    .map(|i| {
                        LoadPoint::new(
                            T0 + i as f64 * every,
                            ((level + sd * rng.normal()).max(0.0) * 100.0).round() / 100.0,
                        )
                    })
                    .collect()
            }
            2 => {
                let mut x: f64 = 1.0;
                let a = 0.5 + rng.f() * 0.49;
                (0..(days * 86400.0 / every) as usize)
                    .map(|i| {
                        x = (a * x + (1.0 - a) * (1.0 + 3.0 * rng.normal())).max(0.0);
                        LoadPoint::new(T0 + i as f64 * every, (x * 100.0).round() / 100.0)
                    })
                    .collect()
            }
            3 => {
                let mut x: f64 = 2.0;
                (0..(days * 86400.0 / every) as usize)
                    .map(|i| {
                        x = (x + 0.05 * rng.normal()).max(0.0);
                        LoadPoint::new(T0 + i as f64 * every, (x * 100.0).round() / 100.0)
                    })
                    .collect()
            }
            _ => {
                // Random steps of background tasks: a busy host.
                let mut steps = Vec::new();
                let mut t = 0.0;
                while t < days * 86400.0 {
                    steps.push(Step {
                        at_s: t,
                        tasks: rng.next_u64() % 4,
                    });
                    t += rng.f() * 1200.0;
                }
                series(
                    k,
                    &Workload::default().with_steps(steps),
                    days * 86400.0,
                    every,
                    T0,
                )
            }
        };
        let a = analyze(&s, &[], &Options::default());
        if a.periodic {
            fp.push((seed, kind, a.period_s, a.score));
        }
    }
    println!("false positives: {} of {n_fp}: {fp:?}", fp.len());

    let mut missed = Vec::new();
    let mut scores = Vec::new();
    let mut n = 0;
    for (hz, period) in [
        (100u32, 60.0),
        (250, 10.0),
        (250, 60.0),
        (300, 30.0),
        (1000, 60.0),
        (1000, 15.0),
        (250, 1.0),
        (1000, 1.0),
    ] {
        for every in [15.0, 60.0] {
            for (run, tasks) in [(0.1, 1u64), (0.5, 2)] {
                n += 1;
                let k = Kernel::modern(hz);
                let w = agent(period, run, 2.5, tasks);
                let beat = karte_loadavg::beat::beat(hz, period)
                    .map(|b| b.period_s)
                    .unwrap_or(0.0);
                let dur = (5.0 * beat).max(86400.0);
                let s = series(k, &w, dur, every, T0);
                let a = analyze(&s, &[], &Options::default());
                let ok = a.cause == Some(Cause::SamplingBeat) && a.hz == Some(hz);
                scores.push(a.score);
                if !ok {
                    missed.push((hz, period, every, run, tasks, a.period_s, a.cause, a.hz));
                }
            }
        }
    }
    scores.sort_by(|a, b| a.total_cmp(b));
    println!(
        "beats missed: {} of {n}: {missed:#?}; scores {scores:?}",
        missed.len()
    );
}
