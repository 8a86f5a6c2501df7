//! The `karte` command: a thin layer that parses arguments and wires sources, model, rules and
//! sinks together. Each subcommand lives in its own module under `cmd/`.

mod cmd;
mod render;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// karte (カルテ): reads what the Linux kernel publishes, names the cause of an incident, shows
/// the evidence and says how to fix it.
#[derive(Parser)]
#[command(name = "karte", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Diagnose a host: what is wrong, the evidence, and the fix (exit 0 OK, 1 warning, 2 critical, 3 unknown)
    Doctor(cmd::doctor::Args),
    /// Explain what a rule detects, why, and how to fix it
    Explain(cmd::explain::Args),
    /// Capture this host twice into a bundle for offline diagnosis
    Collect(cmd::collect::Args),
    /// Print one reading of a host as JSON or Prometheus text
    Snapshot(cmd::snapshot::Args),
    /// Kernel log events: OOM kills, hung tasks, link changes, hardware errors
    Events(cmd::events::Args),
    /// Network checks: duplicate IPv4 addresses, neighbour-table anomalies
    #[command(subcommand)]
    Net(cmd::net::NetCommand),
    /// Load average: simulate the kernel's computation, or analyze a series for periodic peaks
    #[command(subcommand)]
    Loadavg(cmd::loadavg::LoadavgCommand),
    /// Record this host's history into the embedded store (a daemon; never forks)
    Record(cmd::record::Args),
    /// Replay or diagnose recorded history: a past moment, a period's findings, an HTML report
    Report(cmd::report::Args),
    /// Serve Prometheus metrics (node_exporter-compatible), findings, an API and a web dashboard
    Serve(cmd::serve::Args),
    /// Print Prometheus alerting rules for karte's findings and for node_exporter metrics
    PrometheusRules(cmd::prometheus_rules::Args),
    /// Live terminal view: findings, host health and the busiest processes
    Top(cmd::top::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(usage_exit_code(&e));
        }
    };
    let result = match cli.command {
        Command::Doctor(a) => cmd::doctor::run(a),
        Command::Explain(a) => cmd::explain::run(a),
        Command::Collect(a) => cmd::collect::run(a),
        Command::Snapshot(a) => cmd::snapshot::run(a),
        Command::Events(a) => cmd::events::run(a),
        Command::Net(c) => cmd::net::run(c),
        Command::Loadavg(c) => cmd::loadavg::run(c),
        Command::Record(a) => cmd::record::run(a),
        Command::Report(a) => cmd::report::run(a),
        Command::Serve(a) => cmd::serve::run(a),
        Command::PrometheusRules(a) => cmd::prometheus_rules::run(a),
        Command::Top(a) => cmd::top::run(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if !e.message.is_empty() {
                eprintln!("karte: {}", e.message);
            }
            ExitCode::from(e.code)
        }
    }
}

/// Exit status for a command line that could not be parsed: 0 for --help/--version, 2 as usual,
/// but 3 for `doctor`, whose exit status a monitoring system reads (2 would mean CRITICAL).
fn usage_exit_code(e: &clap::Error) -> u8 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => 0,
        _ if std::env::args().nth(1).as_deref() == Some("doctor") => cmd::doctor::EXIT_UNKNOWN,
        _ => 2,
    }
}
