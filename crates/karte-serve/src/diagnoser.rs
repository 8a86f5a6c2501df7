//! What the server needs from the diagnosis loop.
//!
//! The command line drives karte's `Engine` (live host, kernel log); the server only sees
//! [`Diagnoser::tick`]. [`RootDiagnoser`] is a plain implementation over any [`Root`]: a fixture
//! tree (`karte serve --root DIR`), or a test's synthetic host.

use karte_kmsg::Event;
use karte_rules::report::{Diagnosis, Skipped, diagnose};
use karte_rules::{Context, Finding, Lang};
use karte_snapshot::{Interval, ReadOptions, Snapshot, read_snapshot};
use karte_source::Root;
use std::sync::Arc;

/// The findings of one diagnosis, in both languages the dashboard speaks.
#[derive(Debug, Clone, Default)]
pub struct LangFindings {
    pub en: Vec<Finding>,
    pub ja: Vec<Finding>,
}

impl LangFindings {
    pub fn get(&self, lang: Lang) -> &[Finding] {
        match lang {
            Lang::En => &self.en,
            Lang::Ja => &self.ja,
        }
    }
}

/// What one step of the loop produced.
pub struct TickOutput {
    pub snapshot: Arc<Snapshot>,
    /// Against the previous step (None on the first).
    pub interval: Option<Interval>,
    pub findings: LangFindings,
    pub skipped: Vec<Skipped>,
    pub rules_run: usize,
    /// Kernel-log events that appeared since the previous step.
    pub events: Vec<Event>,
}

/// One step of the diagnosis loop: read the host, compare with the previous reading, diagnose.
/// Called from one thread, every `--interval`.
pub trait Diagnoser: Send + 'static {
    fn tick(&mut self) -> TickOutput;
}

/// Diagnoses the same context in both languages (rules are pure and cheap). `events`: the
/// kernel-log events still relevant (oldest first), not only the new ones.
pub fn diagnose_both(
    now: &Snapshot,
    before: Option<&Snapshot>,
    interval: Option<&Interval>,
    events: &[Event],
) -> (LangFindings, Diagnosis) {
    let cx = |lang| Context {
        now,
        before,
        interval,
        events,
        kernel_log_read: true,
        lang,
    };
    let en = diagnose(&cx(Lang::En));
    let ja = diagnose(&cx(Lang::Ja));
    (
        LangFindings {
            en: en.findings.clone(),
            ja: ja.findings,
        },
        en,
    )
}

/// Reads a [`Root`] every tick and runs the reading rules on it. With a live root this is the
/// engine without the kernel log; with a fixed tree every reading is the same (so there is no
/// interval and only the rules that need one reading judge).
pub struct RootDiagnoser {
    root: Root,
    options: ReadOptions,
    prev: Option<Arc<Snapshot>>,
    live_clock: bool,
}

impl RootDiagnoser {
    /// `live_clock`: stamp each reading with the current time (a live host or a test's
    /// synthetic one); otherwise keep `options.unix_secs`.
    pub fn new(root: Root, options: ReadOptions, live_clock: bool) -> RootDiagnoser {
        RootDiagnoser {
            root,
            options,
            prev: None,
            live_clock,
        }
    }
}

impl Diagnoser for RootDiagnoser {
    fn tick(&mut self) -> TickOutput {
        let mut opts = self.options.clone();
        if self.live_clock {
            opts.unix_secs = ReadOptions::live().unix_secs;
        }
        let snapshot = Arc::new(read_snapshot(&self.root, &opts));
        let interval = self.prev.as_ref().and_then(|p| Interval::new(p, &snapshot));
        let (findings, d) = diagnose_both(&snapshot, self.prev.as_deref(), interval.as_ref(), &[]);
        self.prev = Some(snapshot.clone());
        TickOutput {
            snapshot,
            interval,
            findings,
            skipped: d.skipped,
            rules_run: d.rules_run,
            events: Vec::new(),
        }
    }
}
