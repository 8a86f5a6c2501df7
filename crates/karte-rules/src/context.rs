//! What rules look at: one or two readings of a host, what they imply, and the kernel log.
//!
//! The same context is built from the live host, from a bundle, and (for the fleet) from
//! Prometheus series: a rule never knows which, and says what it lacks when data is missing.

use crate::Lang;
use karte_snapshot::{Interval, Snapshot};

/// Everything a rule may use. Only `now` is always there.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The latest reading.
    pub now: &'a Snapshot,
    /// The reading before it, when there are two.
    pub before: Option<&'a Snapshot>,
    /// Shares and rates between the two readings.
    pub interval: Option<&'a Interval>,
    /// Kernel-log events (live /dev/kmsg, a bundle's kmsg.txt), oldest first.
    pub events: &'a [karte_kmsg::Event],
    /// Whether a kernel log was read at all: without one, "no events" means "not known", and
    /// the rules that need the log say they could not judge.
    pub kernel_log_read: bool,
    pub lang: Lang,
}

impl<'a> Context<'a> {
    pub fn single(now: &'a Snapshot, lang: Lang) -> Self {
        Context {
            now,
            before: None,
            interval: None,
            events: &[],
            kernel_log_read: false,
            lang,
        }
    }

    pub fn pair(
        before: &'a Snapshot,
        now: &'a Snapshot,
        interval: Option<&'a Interval>,
        lang: Lang,
    ) -> Self {
        Context {
            now,
            before: Some(before),
            interval,
            events: &[],
            kernel_log_read: false,
            lang,
        }
    }

    /// The same context with kernel-log events.
    pub fn with_events(self, events: &'a [karte_kmsg::Event]) -> Self {
        Context {
            events,
            kernel_log_read: true,
            ..self
        }
    }

    /// Picks the English or Japanese text.
    pub fn t<'s>(&self, en: &'s str, ja: &'s str) -> &'s str {
        self.lang.pick(en, ja)
    }

    pub fn ja(&self) -> bool {
        self.lang == Lang::Ja
    }

    /// Online CPUs of the latest reading.
    pub fn cpus(&self) -> Option<usize> {
        self.now.online_cpus()
    }
}

/// What one rule concluded.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub findings: Vec<crate::Finding>,
    /// Set when the rule could not judge for lack of data; says what was missing.
    pub skipped: Option<String>,
}

impl Outcome {
    pub fn quiet() -> Self {
        Outcome::default()
    }

    pub fn skipped(why: impl Into<String>) -> Self {
        Outcome {
            findings: Vec::new(),
            skipped: Some(why.into()),
        }
    }

    pub fn one(f: crate::Finding) -> Self {
        Outcome {
            findings: vec![f],
            skipped: None,
        }
    }

    pub fn many(findings: Vec<crate::Finding>) -> Self {
        Outcome {
            findings,
            skipped: None,
        }
    }
}
