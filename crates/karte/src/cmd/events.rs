//! `karte events` (being built: see issue 3).

use super::CmdResult;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_args: Args) -> CmdResult {
    Err(super::CliError::new("events is being built"))
}
