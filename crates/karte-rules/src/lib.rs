//! Rules: pure functions from what was read to [`Finding`]s.
//!
//! Each rule has its own file under `rules/` with its id, thresholds, texts in English and
//! Japanese, an explanation for `karte explain`, and tests.

pub mod context;
pub mod finding;
pub mod fmt;
pub mod lang;
pub mod report;
pub mod rules;
#[cfg(test)]
mod testkit;

pub use context::{Context, Outcome};
pub use finding::{Finding, RuleInfo, Severity};
pub use lang::Lang;
