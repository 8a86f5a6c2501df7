//! `karte prometheus-rules`: Prometheus alerting rules for karte's findings (`karte_finding`)
//! and for the conditions Prometheus can judge from node_exporter's metrics alone, with the
//! thresholds of karte's own rules. The rules are written by `karte_serve::alerts`.

use super::CmdResult;
use std::io::Write;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_args: Args) -> CmdResult {
    let yaml = karte_serve::alerts::rules_yaml(env!("CARGO_PKG_VERSION"));
    std::io::stdout().lock().write_all(yaml.as_bytes())?;
    Ok(0)
}
