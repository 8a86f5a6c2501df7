//! karte's diagnosis over the history a Prometheus server already holds.
//!
//! The rules are the live doctor's, unchanged: for each instance and each step of the period
//! (5 minutes by default), the series' values at the step's two ends become two
//! [`karte_snapshot::Snapshot`]s (see [`convert`] for how each family maps back to the kernel's
//! files, and what is approximated), [`karte_snapshot::Interval::new`] turns them into shares and
//! rates, and [`karte_rules::report::diagnose`] judges them. Consecutive steps with the same
//! finding become one span ([`diagnosis::Span`]) with its first and last time. On top of that,
//! what only a period shows: steal against the host's own baseline, and periodic peaks of
//! `node_load1` over days (`karte-loadavg`).
//!
//! Layout, in the order data flows: [`client`] (the only IO: the HTTP API), [`api`] (its JSON,
//! parsed without trusting it), [`fetch`] (what is asked), [`convert`] (series → snapshots),
//! [`diagnosis`] (steps → spans → a report per instance).

pub mod api;
pub mod client;
pub mod convert;
pub mod diagnosis;
pub mod fetch;
pub mod time;

pub use client::{Auth, Client, ClientConfig, FleetError, Limits};
pub use diagnosis::{DiagnoseOptions, InstanceReport, Span, fleet_status};
pub use fetch::Selector;

use convert::Grid;
use karte_rules::Lang;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The period and how finely it is cut.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Period {
    pub start: f64,
    pub end: f64,
    /// Seconds between the two readings of a step.
    pub step: f64,
}

impl Period {
    /// The grid of step ends, aligned to whole multiples of the step (so that repeated runs
    /// and chunks see the same instants).
    pub fn grid(&self) -> Grid {
        let end = (self.end / self.step).floor() * self.step;
        let start = (self.start / self.step).ceil() * self.step;
        Grid::new(start.min(end), end, self.step)
    }
}

/// What the fleet diagnosis is asked.
#[derive(Debug, Clone)]
pub struct FleetOptions {
    pub period: Period,
    pub job: Option<String>,
    /// Window of `node_load1` for `loadavg-periodic` (ending at the period's end) and its step;
    /// `None` skips the analysis.
    pub loadavg: Option<(f64, f64)>,
    pub lang: Lang,
    /// Instances diagnosed at the same time by `--all`.
    pub parallel: usize,
}

impl FleetOptions {
    fn diagnose_options(&self) -> DiagnoseOptions {
        DiagnoseOptions {
            lang: self.lang,
            loadavg: self.loadavg.is_some(),
        }
    }

    fn load_window(&self) -> Option<(f64, f64)> {
        let end = self.period.grid().end();
        self.loadavg.map(|(w, step)| (end - w, step))
    }
}

/// Fetches and diagnoses one instance (its exact label value).
pub fn diagnose_instance(
    c: &Client,
    instance: &str,
    o: &FleetOptions,
) -> Result<InstanceReport, FleetError> {
    let sel = Selector {
        instance: instance.to_string(),
        job: o.job.clone(),
    };
    let f = fetch::fetch(c, &sel, o.period.grid(), o.load_window())?;
    Ok(diagnosis::diagnose_instance(
        instance,
        &f,
        &o.diagnose_options(),
    ))
}

/// Error of `--instance` that is not the server's fault: the instance is unknown or ambiguous.
#[derive(Debug)]
pub enum OneError {
    Fleet(FleetError),
    Instance(String),
}

impl std::fmt::Display for OneError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OneError::Fleet(e) => write!(f, "{e}"),
            OneError::Instance(m) => write!(f, "{m}"),
        }
    }
}

/// Resolves `wanted` (exact, or `HOST` for `HOST:port`) and diagnoses it.
pub fn diagnose_one(
    c: &Client,
    wanted: &str,
    o: &FleetOptions,
) -> Result<InstanceReport, OneError> {
    let (known, _) = fetch::list_instances(c, o.job.as_deref(), o.period.start, o.period.end)
        .map_err(OneError::Fleet)?;
    let instance = fetch::resolve_instance(&known, wanted).map_err(OneError::Instance)?;
    diagnose_instance(c, &instance, o).map_err(OneError::Fleet)
}

/// The diagnosis of every instance.
#[derive(Debug, Clone)]
pub struct FleetReport {
    /// Worst first (status 2, 1, 3, 0), then by instance.
    pub instances: Vec<InstanceReport>,
    pub warnings: Vec<String>,
}

/// Lists every instance with node_exporter (or karte) data in the period and diagnoses each,
/// `o.parallel` at a time. An instance that cannot be read is reported as such (status 3); the
/// listing itself failing is an error.
pub fn diagnose_all(c: &Client, o: &FleetOptions) -> Result<FleetReport, FleetError> {
    let (known, warnings) =
        fetch::list_instances(c, o.job.as_deref(), o.period.start, o.period.end)?;
    let results: Mutex<Vec<Option<InstanceReport>>> = Mutex::new(vec![None; known.len()]);
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..o.parallel.clamp(1, 32).min(known.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(inst) = known.get(i) else { break };
                    let r = diagnose_instance(c, inst, o)
                        .unwrap_or_else(|e| InstanceReport::failed(inst, e.to_string()));
                    if let Ok(mut v) = results.lock() {
                        v[i] = Some(r);
                    }
                }
            });
        }
    });
    let mut instances: Vec<InstanceReport> = results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect();
    let rank = |s: u8| match s {
        2 => 0,
        1 => 1,
        3 => 2,
        _ => 3,
    };
    instances.sort_by(|a, b| {
        rank(a.status)
            .cmp(&rank(b.status))
            .then(b.problems().count().cmp(&a.problems().count()))
            .then(b.findings.len().cmp(&a.findings.len()))
            .then(a.instance.cmp(&b.instance))
    });
    Ok(FleetReport {
        instances,
        warnings,
    })
}
