//! One module per rule, and the list of them all.

pub mod cpu_saturation;
pub mod cpu_steal;
pub mod dirty_writeback;
pub mod disk_saturation;
pub mod duplicate_ip;
pub mod hardware_errors;
pub mod hung_task;
pub mod io_errors;
pub mod kernel_lockup;
pub mod kernel_thread_runaway;
pub mod link_errors;
pub mod load_uninterruptible;
pub mod loadavg_periodic;
pub mod memory_pressure;
pub mod neighbour_flap;
pub mod oom_kill;
pub mod overcommit_risk;
pub mod swap_thrashing;

use crate::RuleInfo;
use crate::context::{Context, Outcome};

/// Why a rule that reads the kernel log did not judge.
pub const NEEDS_LOG: &str = "needs the kernel log (not readable here, or not in the bundle)";

/// A rule: its description and its pure evaluation.
pub struct Rule {
    pub info: &'static RuleInfo,
    pub evaluate: fn(&Context) -> Outcome,
}

/// Every rule that judges readings, in the order findings are listed for equal severity.
pub const READING_RULES: &[Rule] = &[
    Rule {
        info: &kernel_thread_runaway::INFO,
        evaluate: kernel_thread_runaway::evaluate,
    },
    Rule {
        info: &cpu_saturation::INFO,
        evaluate: cpu_saturation::evaluate,
    },
    Rule {
        info: &cpu_steal::INFO,
        evaluate: cpu_steal::evaluate,
    },
    Rule {
        info: &load_uninterruptible::INFO,
        evaluate: load_uninterruptible::evaluate,
    },
    Rule {
        info: &disk_saturation::INFO,
        evaluate: disk_saturation::evaluate,
    },
    Rule {
        info: &dirty_writeback::INFO,
        evaluate: dirty_writeback::evaluate,
    },
    Rule {
        info: &swap_thrashing::INFO,
        evaluate: swap_thrashing::evaluate,
    },
    Rule {
        info: &memory_pressure::INFO,
        evaluate: memory_pressure::evaluate,
    },
    Rule {
        info: &overcommit_risk::INFO,
        evaluate: overcommit_risk::evaluate,
    },
    Rule {
        info: &link_errors::INFO,
        evaluate: link_errors::evaluate,
    },
    Rule {
        info: &oom_kill::INFO,
        evaluate: oom_kill::evaluate,
    },
    Rule {
        info: &hung_task::INFO,
        evaluate: hung_task::evaluate,
    },
    Rule {
        info: &io_errors::INFO,
        evaluate: io_errors::evaluate,
    },
    Rule {
        info: &hardware_errors::INFO,
        evaluate: hardware_errors::evaluate,
    },
    Rule {
        info: &kernel_lockup::INFO,
        evaluate: kernel_lockup::evaluate,
    },
];

/// Every rule karte has, for `karte explain` and the rule list of the dashboard and alerting
/// rules. Rules fed by other sources (network probes, the kernel log, history) are here too.
pub const ALL: &[&RuleInfo] = &[
    &kernel_thread_runaway::INFO,
    &cpu_saturation::INFO,
    &cpu_steal::INFO,
    &load_uninterruptible::INFO,
    &disk_saturation::INFO,
    &dirty_writeback::INFO,
    &swap_thrashing::INFO,
    &memory_pressure::INFO,
    &overcommit_risk::INFO,
    &link_errors::INFO,
    &loadavg_periodic::INFO,
    &oom_kill::INFO,
    &hung_task::INFO,
    &io_errors::INFO,
    &hardware_errors::INFO,
    &kernel_lockup::INFO,
    &duplicate_ip::INFO,
    &neighbour_flap::INFO,
];

/// The rule with this id.
pub fn find(id: &str) -> Option<&'static RuleInfo> {
    ALL.iter().copied().find(|r| r.id == id)
}
