//! The output of a rule, in the form DESIGN.md fixes for `doctor --format json`.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    /// The monitoring-plugin exit status this severity implies (0 OK, 1 warning, 2 critical).
    pub fn exit_status(self) -> u8 {
        match self {
            Severity::Info => 0,
            Severity::Warning => 1,
            Severity::Critical => 2,
        }
    }
}

/// One diagnosis: what is wrong, the evidence, and the fix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// A stable rule id (`kernel-thread-runaway`, `duplicate-ip`, …).
    pub rule: &'static str,
    pub severity: Severity,
    /// One line.
    pub title: String,
    /// A few sentences a tired operator understands.
    pub summary: String,
    /// What the finding is about: process names, `pid 141`, addresses, devices.
    pub subjects: Vec<String>,
    /// The numbers and lines it rests on.
    pub evidence: Vec<String>,
    /// What to do, with why.
    pub remedy: Vec<String>,
}

/// What `karte explain RULE` prints: what the rule detects, why it matters, how it decides
/// (thresholds and their reasons), and how to fix the cause. Every rule module has one, named
/// `INFO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleInfo {
    /// The stable id, as in findings.
    pub id: &'static str,
    pub title_en: &'static str,
    pub title_ja: &'static str,
    /// Several paragraphs, plain text.
    pub explain_en: &'static str,
    pub explain_ja: &'static str,
}

impl RuleInfo {
    pub fn title(&self, lang: crate::Lang) -> &'static str {
        match lang {
            crate::Lang::En => self.title_en,
            crate::Lang::Ja => self.title_ja,
        }
    }

    pub fn explain(&self, lang: crate::Lang) -> &'static str {
        match lang {
            crate::Lang::En => self.explain_en,
            crate::Lang::Ja => self.explain_ja,
        }
    }
}
