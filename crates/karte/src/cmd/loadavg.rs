//! `karte loadavg` (being built: see issue 6).

use super::CmdResult;

#[derive(clap::Subcommand, Debug)]
pub enum LoadavgCommand {
    /// Analyze a load series for periodic peaks
    Analyze,
}

pub fn run(_c: LoadavgCommand) -> CmdResult {
    Err(super::CliError::new("loadavg is being built"))
}
