//! `karte snapshot`: one reading of a host, as JSON or node_exporter-compatible Prometheus text.

use super::CmdResult;
use super::common::{HostArgs, read_first};
use std::io::Write;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub host: HostArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Prometheus,
}

pub fn run(args: Args) -> CmdResult {
    let host = args.host.open()?;
    let snap = read_first(&host);
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer(&mut out, &snap)?;
            writeln!(out)?;
        }
        Format::Prometheus => {
            let mut e = karte_expo::Exposition::new();
            karte_expo::node::write(&snap, &mut e);
            out.write_all(e.render().as_bytes())?;
        }
    }
    Ok(0)
}
