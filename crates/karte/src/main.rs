//! The `karte` command: a thin layer that parses arguments and wires sources, model, rules and
//! sinks together. Each subcommand lives in its own module under `cmd/`.

mod cmd;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Collect(a) => cmd::collect::run(a),
        Command::Snapshot(a) => cmd::snapshot::run(a),
        Command::Events(a) => cmd::events::run(a),
        Command::Net(c) => cmd::net::run(c),
        Command::Loadavg(c) => cmd::loadavg::run(c),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("karte: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}
