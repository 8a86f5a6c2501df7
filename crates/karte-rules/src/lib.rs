//! Rules: pure functions from what was read to [`Finding`]s.
//!
//! Each rule has its own file under `rules/` with its id, thresholds, texts in English and
//! Japanese, an explanation for `karte explain`, and tests.

pub mod finding;
pub mod lang;
pub mod rules;

pub use finding::{Finding, RuleInfo, Severity};
pub use lang::Lang;
