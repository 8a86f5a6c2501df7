//! No answer of a server makes karte panic: arbitrary bodies through the JSON parsers, and
//! arbitrary (well-formed) series through the conversion to snapshots and the whole diagnosis.

use karte_fleet::api::{Series, parse_label_values, parse_query, parse_series_list};
use karte_fleet::convert::{Grid, InstanceData};
use karte_fleet::diagnosis::{DiagnoseOptions, diagnose_instance};
use karte_fleet::fetch::Fetched;
use karte_rules::Lang;
use proptest::prelude::*;
use std::collections::BTreeMap;

const NAMES: [&str; 16] = [
    "node_cpu_seconds_total",
    "node_load1",
    "node_load5",
    "node_procs_running",
    "node_procs_blocked",
    "node_boot_time_seconds",
    "node_memory_MemAvailable_bytes",
    "node_memory_MemTotal_bytes",
    "node_memory_Dirty_bytes",
    "node_vmstat_pswpin",
    "node_vmstat_oom_kill",
    "node_disk_io_time_seconds_total",
    "node_disk_reads_completed_total",
    "node_network_receive_errs_total",
    "node_pressure_memory_waiting_seconds_total",
    "karte_finding",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        (0.0f64..1e12).prop_map(|v| v.to_string()),
        (-1e6f64..1e6).prop_map(|v| v.to_string()),
        Just("NaN".to_string()),
        Just("+Inf".to_string()),
        Just("-Inf".to_string()),
        Just("1e308".to_string()),
        Just("1e17".to_string()),
        Just("1.1e18".to_string()),
        Just("4e18".to_string()),
        Just("1.8e19".to_string()),
        Just("".to_string()),
        "[a-z0-9.]{0,6}",
    ]
}

fn series_json() -> impl Strategy<Value = String> {
    (
        prop::sample::select(NAMES.to_vec()),
        prop::option::of("[0-9]{1,2}"),
        prop::option::of(prop::sample::select(vec![
            "user", "idle", "steal", "iowait", "guest", "x",
        ])),
        prop::option::of(prop::sample::select(vec!["sda", "eth0", "lo", ""])),
        prop::collection::vec((0i64..40, -5i64..5, value()), 0..40),
    )
        .prop_map(|(name, cpu, mode, dev, pts)| {
            let mut labels = vec![format!("\"__name__\":\"{name}\"")];
            if let Some(c) = cpu {
                labels.push(format!("\"cpu\":\"{c}\""));
            }
            if let Some(m) = mode {
                labels.push(format!("\"mode\":\"{m}\""));
            }
            if let Some(d) = dev {
                labels.push(format!("\"device\":\"{d}\""));
                labels.push(
                    "\"rule\":\"hung-task\",\"severity\":\"warning\",\"subject\":\"x\"".into(),
                );
            }
            let values: Vec<String> = pts
                .iter()
                .map(|(k, off, v)| format!("[{},\"{v}\"]", 1_700_000_000 + k * 300 + off))
                .collect();
            format!(
                "{{\"metric\":{{{}}},\"values\":[{}]}}",
                labels.join(","),
                values.join(",")
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn any_time_or_duration_parses_or_not(s in any::<String>(), t in r"[0-9T:+Z.\- ]{0,30}") {
        let _ = karte_fleet::time::parse_time(&s, 1.7e9);
        let _ = karte_fleet::time::parse_time(&t, 1.7e9);
        let _ = karte_fleet::time::parse_duration(&s);
        let _ = karte_fleet::time::parse_duration(&t);
    }

    #[test]
    fn any_body_parses_or_errs(body in any::<String>()) {
        let _ = parse_query(&body);
        let _ = parse_label_values(&body);
        let _ = parse_series_list(&body);
    }

    #[test]
    fn json_like_bodies_parse_or_err(body in r#"\{"status":"(success|error)","data":\{"resultType":"(matrix|vector|scalar)","result":[\[\]{}0-9",.a-zNI+-]{0,80}\}\}"#) {
        let _ = parse_query(&body);
    }

    #[test]
    fn any_series_goes_through_the_diagnosis(series in prop::collection::vec(series_json(), 0..30), ja in any::<bool>()) {
        let body = format!("{{\"status\":\"success\",\"data\":{{\"resultType\":\"matrix\",\"result\":[{}]}}}}", series.join(","));
        let parsed = parse_query(&body);
        prop_assert!(parsed.is_ok(), "{:?}", parsed.err());
        let data = parsed.map(|a| a.data).unwrap_or_default();
        let grid = Grid::new(1_700_000_000.0, 1_700_000_000.0 + 39.0 * 300.0, 300.0);
        let mut d = InstanceData::new(grid);
        d.ingest(&data);
        d.ingest_sample_times(&data);
        let load1 = data.iter().find(|s| s.name() == Some("node_load1")).cloned();
        let f = Fetched { data: d, load1, notes: vec![] };
        let lang = if ja { Lang::Ja } else { Lang::En };
        let r = diagnose_instance("fuzz:9100", &f, &DiagnoseOptions { lang, loadavg: true });
        prop_assert!(r.status <= 3);
        prop_assert!(r.steps_judged <= r.steps);
        let _ = serde_json::to_string(&r.findings).map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
}

#[test]
fn empty_and_single_point_grids() {
    for len_end in [0.0, 300.0] {
        let g = Grid::new(1_700_000_000.0, 1_700_000_000.0 + len_end, 300.0);
        let mut d = InstanceData::new(g);
        d.ingest(&[Series {
            labels: BTreeMap::from([("__name__".to_string(), "node_load1".to_string())]),
            points: vec![(1_700_000_000.0, 1.0)],
        }]);
        let r = diagnose_instance(
            "x",
            &Fetched {
                data: d,
                load1: None,
                notes: vec![],
            },
            &DiagnoseOptions {
                lang: Lang::En,
                loadavg: false,
            },
        );
        assert_eq!(r.status, 3);
        assert!(r.error.is_some());
    }
}
