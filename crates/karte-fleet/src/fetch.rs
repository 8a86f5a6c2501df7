//! What is asked of Prometheus for one instance, and the instance list.
//!
//! Four range queries per instance (each split into chunks by the client): the CPU counters;
//! every scalar family in one `__name__=~` selector (load, procs, boot time, meminfo, vmstat,
//! PSI, uname, karte's own families); disks and interfaces; and `timestamp(node_load1)`, the
//! scrape time behind each step, so that rates divide by the time that really passed. For
//! `loadavg-periodic`, `node_load1` alone over days at a finer step.

use crate::api::Series;
use crate::client::{Client, FleetError, promql_string, regex_quote};
use crate::convert::{Grid, InstanceData, MEMINFO_FIELDS, SCALAR_FAMILIES, VMSTAT_FIELDS};

/// Which series belong to the instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub instance: String,
    pub job: Option<String>,
}

impl Selector {
    /// The label matchers, without braces: `instance="a:9100",job="node"`.
    pub fn matchers(&self) -> String {
        let mut m = format!("instance={}", promql_string(&self.instance));
        if let Some(j) = &self.job {
            m.push_str(&format!(",job={}", promql_string(j)));
        }
        m
    }
}

/// The families that make a host "node-like": an instance is listed when it has one of them.
pub const NODE_MATCH: &str = "{__name__=~\"node_load1|node_cpu_seconds_total\"}";

fn job_match(job: Option<&str>) -> String {
    match job {
        Some(j) => format!(
            "{{__name__=~\"node_load1|node_cpu_seconds_total\",job={}}}",
            promql_string(j)
        ),
        None => NODE_MATCH.to_string(),
    }
}

/// Instances that exported node_exporter (or karte) data between `start` and `end`.
pub fn list_instances(
    c: &Client,
    job: Option<&str>,
    start: f64,
    end: f64,
) -> Result<(Vec<String>, Vec<String>), FleetError> {
    let a = c.label_values("instance", Some(&job_match(job)), start, end)?;
    let mut v = a.data;
    v.sort();
    v.dedup();
    Ok((v, a.warnings))
}

/// Resolves what the user typed as `--instance`: the exact label value, or `HOST` for `HOST:port`
/// when exactly one such instance exists.
pub fn resolve_instance(known: &[String], wanted: &str) -> Result<String, String> {
    if known.iter().any(|k| k == wanted) {
        return Ok(wanted.to_string());
    }
    let prefix = format!("{wanted}:");
    let cands: Vec<&String> = known
        .iter()
        .filter(|k| k.starts_with(&prefix) && k[prefix.len()..].bytes().all(|b| b.is_ascii_digit()))
        .collect();
    match cands.as_slice() {
        [one] => Ok((*one).clone()),
        [] => {
            let mut msg =
                format!("no node_exporter or karte data for instance {wanted:?} in the period");
            if !known.is_empty() {
                let shown: Vec<&str> = known.iter().take(10).map(String::as_str).collect();
                msg.push_str(&format!(
                    "; instances with data: {}{}",
                    shown.join(", "),
                    if known.len() > 10 {
                        format!(" and {} more (see --all)", known.len() - 10)
                    } else {
                        String::new()
                    }
                ));
            }
            Err(msg)
        }
        many => Err(format!(
            "{wanted:?} matches several instances: {}; give one of them",
            many.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The scalar-family selector of one instance.
pub fn scalar_query(sel: &Selector) -> String {
    let mut names: Vec<String> = SCALAR_FAMILIES.iter().map(|s| regex_quote(s)).collect();
    names.push("node_uname_info".into());
    names.push("karte_finding".into());
    names.push(format!("node_memory_({})_bytes", MEMINFO_FIELDS.join("|")));
    names.push(format!("node_vmstat_({})", VMSTAT_FIELDS.join("|")));
    names.push("node_pressure_(cpu_waiting|memory_waiting|memory_stalled|io_waiting|io_stalled)_seconds_total".into());
    format!("{{__name__=~\"{}\",{}}}", names.join("|"), sel.matchers())
}

/// The device-family selector of one instance (disks and interfaces).
pub fn device_query(sel: &Selector) -> String {
    format!(
        "{{__name__=~\"node_disk_(reads_completed|reads_merged|read_bytes|read_time_seconds|writes_completed|writes_merged|written_bytes|write_time_seconds|io_time_seconds|io_time_weighted_seconds)_total|node_disk_io_now|node_network_(receive|transmit)_(bytes|packets|errs|drop)_total|node_network_carrier_changes_total\",{}}}",
        sel.matchers()
    )
}

/// Everything the step-by-step diagnosis needs for one instance.
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    pub data: InstanceData,
    /// `node_load1` over the loadavg window, when asked.
    pub load1: Option<Series>,
    /// The server's warnings and what was dropped.
    pub notes: Vec<String>,
}

/// Fetches one instance over `grid`, and `node_load1` over `[load_start, grid end]` at
/// `load_step` when given.
pub fn fetch(
    c: &Client,
    sel: &Selector,
    grid: Grid,
    load: Option<(f64, f64)>,
) -> Result<Fetched, FleetError> {
    let (start, end, step) = (grid.start, grid.end(), grid.step);
    let mut data = InstanceData::new(grid);
    let mut notes = Vec::new();
    fn warn(notes: &mut Vec<String>, w: Vec<String>, dropped: usize, what: &str) {
        for x in w {
            let n = format!("Prometheus warned: {x}");
            if !notes.contains(&n) {
                notes.push(n);
            }
        }
        if dropped > 0 {
            notes.push(format!(
                "{dropped} samples of {what} were not numbers (NaN, Inf) and were left out"
            ));
        }
    }
    let m = sel.matchers();
    let cpu = c.query_range(
        &format!("node_cpu_seconds_total{{{m}}}"),
        start,
        end,
        step,
        64,
    )?;
    warn(
        &mut notes,
        cpu.warnings,
        cpu.dropped,
        "node_cpu_seconds_total",
    );
    data.ingest(&cpu.data);
    let sc = c.query_range(&scalar_query(sel), start, end, step, 48)?;
    warn(&mut notes, sc.warnings, sc.dropped, "the scalar families");
    data.ingest(&sc.data);
    let dv = c.query_range(&device_query(sel), start, end, step, 64)?;
    warn(
        &mut notes,
        dv.warnings,
        dv.dropped,
        "node_disk/node_network",
    );
    data.ingest(&dv.data);
    let ts = c.query_range(
        &format!("timestamp(node_load1{{{m}}})"),
        start,
        end,
        step,
        1,
    )?;
    if ts.data.len() > 1 {
        notes.push(format!("{} series of node_load1 for this instance (several jobs scrape it?); the first was used for scrape times", ts.data.len()));
    }
    data.ingest_sample_times(&ts.data);
    if data.duplicates > 0 {
        notes.push(format!(
            "{} series had a twin with the same labels (several jobs scrape this instance?): the first value was used; --job picks one",
            data.duplicates
        ));
    }
    let load1 = match load {
        Some((ls, lstep)) if ls < end => {
            let ls = end - ((end - ls) / lstep).floor() * lstep;
            let a = c.query_range(&format!("node_load1{{{m}}}"), ls, end, lstep, 1)?;
            warn(&mut notes, a.warnings, a.dropped, "node_load1");
            a.data.into_iter().next()
        }
        _ => None,
    };
    Ok(Fetched { data, load1, notes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolving() {
        let known: Vec<String> = ["a:9100", "b:9100", "b:9464", "c"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(resolve_instance(&known, "a:9100"), Ok("a:9100".into()));
        assert_eq!(resolve_instance(&known, "a"), Ok("a:9100".into()));
        assert_eq!(resolve_instance(&known, "c"), Ok("c".into()));
        assert!(
            resolve_instance(&known, "b")
                .expect_err("two")
                .contains("several")
        );
        assert!(
            resolve_instance(&known, "d")
                .expect_err("none")
                .contains("a:9100, b:9100")
        );
    }

    #[test]
    fn selectors_escape() {
        let s = Selector {
            instance: "we\"ird".into(),
            job: Some("node".into()),
        };
        assert_eq!(s.matchers(), "instance=\"we\\\"ird\",job=\"node\"");
        assert!(scalar_query(&s).starts_with("{__name__=~\"node_load1|"));
        assert!(scalar_query(&s).contains("node_memory_(MemTotal|"));
    }
}
