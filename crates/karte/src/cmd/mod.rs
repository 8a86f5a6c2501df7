//! One module per subcommand, plus what they share.

pub mod collect;
pub mod common;
pub mod doctor;
pub mod events;
pub mod explain;
pub mod fleet;
pub mod loadavg;
pub mod net;
pub mod prometheus_rules;
pub mod record;
pub mod report;
pub mod serve;
pub mod snapshot;
pub mod top;

/// A failed command: what to tell the user and the exit status.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub code: u8,
}

impl CliError {
    /// A runtime failure (exit status 1).
    pub fn new(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            code: 1,
        }
    }

    pub fn with_code(message: impl Into<String>, code: u8) -> Self {
        CliError {
            message: message.into(),
            code,
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            // The reader went away (`karte snapshot | head`): nothing to say, as with SIGPIPE.
            return CliError {
                message: String::new(),
                code: 0,
            };
        }
        CliError::new(e.to_string())
    }
}

impl From<serde_json::Error> for CliError {
    fn from(e: serde_json::Error) -> Self {
        if e.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe) {
            return CliError {
                message: String::new(),
                code: 0,
            };
        }
        CliError::new(e.to_string())
    }
}

pub type CmdResult = Result<u8, CliError>;
