//! `karte net` (being built: see issue 5).

use super::CmdResult;

#[derive(clap::Subcommand, Debug)]
pub enum NetCommand {
    /// Check for duplicate IPv4 addresses and neighbour-table anomalies
    Check,
}

pub fn run(_c: NetCommand) -> CmdResult {
    Err(super::CliError::new("net is being built"))
}
