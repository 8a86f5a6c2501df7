//! Property tests: no input makes the CSV reader, the analysis or the simulator panic.

use karte_loadavg::kernel::{Avenrun, Era, calc_load, calc_load_n};
use karte_loadavg::sim::{Kernel, PeriodicJob, Ticker, Window, Workload, simulate};
use karte_loadavg::{LoadPoint, Options, RatePoint, analyze, parse_load_csv};
use proptest::prelude::*;

fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        -10.0f64..1e10,
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(0.0),
        Just(-0.0),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn csv_never_panics_on_bytes(data in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let text = String::from_utf8_lossy(&data);
        let _ = parse_load_csv(&text);
    }

    #[test]
    fn csv_never_panics_on_csv_like_text(
        text in "([0-9T:Z+ .,;\t#eE\"-]{0,40}\n){0,40}",
        header in prop_oneof![Just(""), Just("unix_time,load1\n"), Just("# a;timestamp;ldavg-1\n"), Just("time load5 load1\n")],
    ) {
        let t = format!("{header}{text}");
        if let Ok(s) = parse_load_csv(&t) {
            for p in &s.points {
                prop_assert!(p.load1 >= 0.0 && p.load1.is_finite());
                prop_assert!(p.t.is_finite());
            }
        }
    }

    #[test]
    fn csv_errors_name_an_existing_line(text in "([0-9a-z.,]{0,12}\n){1,20}") {
        if let Err(e) = parse_load_csv(&text) {
            prop_assert!(e.line <= text.lines().count());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn analysis_never_panics(
        pts in proptest::collection::vec((any_f64(), any_f64()), 0..400),
        forks in proptest::collection::vec((any_f64(), any_f64()), 0..100),
        min_period in any_f64(),
    ) {
        let points: Vec<LoadPoint> = pts.iter().map(|&(t, l)| LoadPoint::new(t, l)).collect();
        let forks: Vec<RatePoint> = forks.iter().map(|&(t, per_s)| RatePoint { t, per_s }).collect();
        let opts = Options { min_period_s: min_period, ..Options::default() };
        let a = analyze(&points, &forks, &opts);
        prop_assert!(a.periodic == a.period_s.is_some());
        let _ = serde_json::to_string(&a);
    }

    #[test]
    fn analysis_of_plausible_series_never_panics(
        start in 0.0f64..2e9,
        step in 0.5f64..600.0,
        vals in proptest::collection::vec(0.0f64..50.0, 0..3000),
    ) {
        let points: Vec<LoadPoint> = vals
            .iter()
            .enumerate()
            .map(|(i, &v)| LoadPoint::new(start + i as f64 * step, v))
            .collect();
        let a = analyze(&points, &[], &Options::default());
        if let Some(p) = a.period_s {
            prop_assert!(p.is_finite() && p > 0.0);
        }
    }

    #[test]
    fn simulator_never_panics(
        hz in any::<u32>(),
        period in any_f64(), run in any_f64(), phase in any_f64(), tasks in any::<u64>(),
        ws in any_f64(), wl in any_f64(),
        times in proptest::collection::vec(prop_oneof![0.0f64..3000.0, any_f64()], 0..50),
        first in prop_oneof![0u64..10_000, any::<u64>()],
    ) {
        let k = Kernel::modern(hz);
        let w = Workload::busy(tasks % 1000)
            .with_job(PeriodicJob { period_s: period, run_s: run, phase_s: phase, tasks })
            .with_window(Window { start_s: ws, len_s: wl, tasks });
        let times: Vec<f64> = times.into_iter().map(|t| if t.is_finite() { t.clamp(-1.0, 3000.0) } else { t }).collect();
        let _ = simulate(k, &w, Avenrun::default(), first, &times);
        let mut t = Ticker::new(k, Avenrun([tasks; 3]), first % 20_000);
        for i in 0..100 {
            t.tick(i);
        }
        let _ = t.jump(tasks % 1_000_000, tasks);
    }

    #[test]
    fn calc_load_never_panics(load in any::<u64>(), exp in any::<u64>(), active in any::<u64>(), n in any::<u64>()) {
        for era in [Era::Truncate, Era::RoundHalfUp, Era::Modern] {
            let _ = calc_load(era, load, exp, active);
            let _ = calc_load_n(era, load, exp, active, n);
        }
    }
}
