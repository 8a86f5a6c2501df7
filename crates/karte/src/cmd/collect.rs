//! `karte collect`: capture this host twice into a bundle.

use super::CmdResult;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to write the bundle (default: karte-HOST-YYYYmmdd-HHMMSS.tar.gz here)
    #[arg(short, long, value_name = "FILE.tar.gz")]
    pub output: Option<PathBuf>,
    /// Seconds between the two readings
    #[arg(long, default_value_t = 2.0, value_name = "SECS")]
    pub interval: f64,
}

pub fn run(_args: Args) -> CmdResult {
    Err(super::CliError::new("collect is not built yet"))
}
