//! `karte serve`: Prometheus metrics (node_exporter's families and karte's findings), a JSON API
//! and a dashboard, from one small process that never forks. The server itself is the
//! `karte-serve` crate; this module chooses the host, the engine and the security settings.

use super::{CliError, CmdResult};
use karte_engine::{Engine, kernel_log_address_findings};
use karte_rules::Lang;
use karte_serve::diagnoser::diagnose_both;
use karte_serve::{Diagnoser, Options, RootDiagnoser, ScrapeSource, TickOutput, WebConfig};
use karte_snapshot::{Parts, ReadOptions};
use karte_source::Root;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to listen on: IP:PORT, [IPv6]:PORT, HOST:PORT, or :PORT for every address.
    /// Anything but loopback needs TLS or basic auth (--web-config) or --insecure
    #[arg(long, value_name = "ADDR", default_value = karte_serve::DEFAULT_LISTEN)]
    pub listen: String,
    /// History store written by `karte record`, for the dashboard's charts (until the store is
    /// connected, history is kept in memory for the last hour)
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// TLS certificate and key, and basic-auth users with bcrypt hashes, in node_exporter's
    /// web-config format (tls_server_config, basic_auth_users)
    #[arg(long, value_name = "FILE")]
    pub web_config: Option<PathBuf>,
    /// Allow listening beyond loopback without TLS or basic auth
    #[arg(long)]
    pub insecure: bool,
    /// Seconds between two diagnoses (readings of the whole host)
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub interval: f64,
    /// Serve a tree laid out like / (a fixture, a chroot) instead of this host
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

/// The dashboard's history from the store that `karte record` writes: host readings rebuilt and
/// turned into chart points, every recorded interval diagnosed for the problem count.
struct StoreHistory {
    store: Mutex<karte_store::Store>,
}

impl karte_serve::history::HistorySource for StoreHistory {
    fn points(
        &self,
        since: f64,
        until: f64,
        max: usize,
    ) -> Result<Vec<karte_serve::history::HistoryPoint>, String> {
        let mut store = self
            .store
            .lock()
            .map_err(|_| "history store unavailable".to_string())?;
        let samples = store
            .samples_between((since * 1000.0) as i64, (until * 1000.0) as i64)
            .map_err(|e| e.to_string())?;
        let mut points = Vec::with_capacity(samples.len());
        let mut prev: Option<karte_store::Reading> = None;
        store
            .scan(&samples, karte_store::Want::HOST, |r| {
                let iv = prev
                    .as_ref()
                    .filter(|p| p.info.boot == r.info.boot)
                    .and_then(|p| karte_snapshot::Interval::new(&p.snapshot, &r.snapshot));
                let problems = match (&prev, &iv) {
                    (Some(p), Some(iv)) => {
                        let cx = karte_rules::Context::pair(
                            &p.snapshot,
                            &r.snapshot,
                            Some(iv),
                            Lang::En,
                        );
                        karte_rules::report::diagnose(&cx).problems() as u32
                    }
                    _ => 0,
                };
                if let Some(pt) = karte_serve::history::HistoryPoint::from_tick(
                    &r.snapshot,
                    iv.as_ref(),
                    problems,
                ) {
                    points.push(pt);
                }
                prev = Some(r);
                Ok(())
            })
            .map_err(|e| e.to_string())?;
        // Evenly thinned to at most `max`, keeping the newest.
        if max > 0 && points.len() > max {
            let step = points.len() as f64 / max as f64;
            let n = points.len();
            points = (0..max)
                .map(|i| points[n - 1 - ((max - 1 - i) as f64 * step) as usize].clone())
                .collect();
        }
        Ok(points)
    }

    fn name(&self) -> &'static str {
        "store"
    }
}

/// The live host: karte's engine, which also follows the kernel log without blocking.
struct LiveDiagnoser {
    engine: Engine,
}

impl Diagnoser for LiveDiagnoser {
    fn tick(&mut self) -> TickOutput {
        // The server shows both languages, so it diagnoses the reading itself (the rules are
        // pure and cheap) rather than through `Engine::tick`.
        let r = self.engine.read();
        let events = self.engine.events();
        let (mut findings, d) = diagnose_both(
            &r.snapshot,
            r.before.as_deref(),
            r.interval.as_ref(),
            events,
        );
        findings
            .en
            .extend(kernel_log_address_findings(events, Lang::En));
        findings
            .ja
            .extend(kernel_log_address_findings(events, Lang::Ja));
        TickOutput {
            snapshot: r.snapshot,
            interval: r.interval,
            findings,
            skipped: d.skipped,
            rules_run: d.rules_run,
            events: r.new_events,
        }
    }
}

pub fn run(args: Args) -> CmdResult {
    if !(args.interval >= 0.5 && args.interval <= 3600.0) {
        return Err(CliError::with_code(
            "--interval: between 0.5 and 3600 seconds",
            2,
        ));
    }
    let addrs = karte_serve::parse_listen(&args.listen).map_err(|e| CliError::with_code(e, 2))?;
    let web = match &args.web_config {
        Some(p) => WebConfig::load(p).map_err(|e| CliError::with_code(e, 2))?,
        None => WebConfig::default(),
    };
    let warning = karte_serve::check_exposure(&addrs, web.has_tls(), web.has_auth(), args.insecure)
        .map_err(|e| CliError::with_code(e, 2))?;
    if let Some(w) = warning {
        eprintln!("karte serve: warning: {w}");
    }
    let mut opts = Options::new(addrs);
    opts.tick = Duration::from_secs_f64(args.interval);
    if let Some(t) = &web.tls_server_config {
        opts.tls = Some(karte_serve::tls::server_config(t).map_err(|e| CliError::with_code(e, 2))?);
    }
    opts.users = Some(web.basic_auth_users.clone());
    // History for the charts: the store written by `karte record` when there is one (given with
    // --db, or at the default place), else the last hour kept in memory.
    let db = args
        .db
        .clone()
        .or_else(|| Some(karte_store::default_path()).filter(|p| p.exists()));
    if let Some(db) = db {
        match karte_store::Store::open_reader(&db) {
            Ok(store) => {
                eprintln!("karte serve: history from {}", db.display());
                opts.store = Some(Arc::new(StoreHistory {
                    store: Mutex::new(store),
                }));
            }
            Err(e) => {
                let n = format!(
                    "history store {}: {e}; the charts show the last hour kept in memory",
                    db.display()
                );
                eprintln!("karte serve: {n}");
                opts.notes.push(n);
            }
        }
    }
    let scheme = if web.has_tls() { "https" } else { "http" };
    let started = |h: &karte_serve::Handle| {
        for a in &h.addrs {
            eprintln!("karte serve: listening on {scheme}://{a}/ (metrics at /metrics)");
        }
    };
    let handle = match &args.root {
        Some(dir) => {
            if !dir.is_dir() {
                return Err(CliError::with_code(
                    format!("--root {}: not a directory", dir.display()),
                    2,
                ));
            }
            let tree_parts = Parts {
                processes: false,
                cgroups: false,
                misc: false,
                interfaces: false,
                ..Parts::ALL
            };
            opts.scrape = ScrapeSource::new(
                Root::dir(dir),
                ReadOptions {
                    parts: tree_parts,
                    ..ReadOptions::default()
                },
            );
            let diag = RootDiagnoser::new(Root::dir(dir), ReadOptions::default(), true);
            karte_serve::start(opts, diag).map_err(CliError::new)?
        }
        None => {
            // The kernel log, followed from its start.
            let engine = Engine::live(Lang::En).with_kernel_log();
            opts.kernel_log = engine.kernel_log_read();
            if let Some(n) = &engine.kernel_log_note {
                eprintln!("karte serve: {n}");
                opts.notes.push(n.clone());
            }
            let diag = LiveDiagnoser { engine };
            karte_serve::start(opts, diag).map_err(CliError::new)?
        }
    };
    started(&handle);
    handle.wait();
    Ok(0)
}
