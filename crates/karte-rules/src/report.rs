//! Running every rule over a context, and the summary of a host that goes with the findings.

use crate::context::Context;
use crate::rules::READING_RULES;
use crate::{Finding, Severity};
use serde::Serialize;

/// A rule that could not judge, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub rule: &'static str,
    pub reason: String,
}

/// The result of a diagnosis.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Diagnosis {
    /// Worst first.
    pub findings: Vec<Finding>,
    pub skipped: Vec<Skipped>,
    pub rules_run: usize,
}

impl Diagnosis {
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Findings that are problems (warning or critical), not explanations.
    pub fn problems(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity >= Severity::Warning)
            .count()
    }

    /// Adds findings from rules that run outside this crate's readings (network check, kernel
    /// log), keeping the order worst first.
    pub fn extend(&mut self, more: Vec<Finding>) {
        self.findings.extend(more);
        self.sort();
    }

    fn sort(&mut self) {
        // Stable: rules keep their order within a severity.
        self.findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    }
}

/// Runs every reading rule.
pub fn diagnose(cx: &Context) -> Diagnosis {
    let mut d = Diagnosis::default();
    for rule in READING_RULES {
        let o = (rule.evaluate)(cx);
        d.rules_run += 1;
        d.findings.extend(o.findings);
        if let Some(reason) = o.skipped {
            d.skipped.push(Skipped {
                rule: rule.info.id,
                reason,
            });
        }
    }
    d.sort();
    d
}
