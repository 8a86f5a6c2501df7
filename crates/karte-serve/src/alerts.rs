//! Prometheus alerting rules: one per karte rule (from `karte_finding`), and the conditions
//! Prometheus can judge from node_exporter's metrics alone, for hosts that run no karte.
//!
//! Every threshold is the rule module's own constant, so one fact lives in one place; the
//! titles are the rules' own. The node_exporter expressions follow the rules' definitions
//! (shares of all CPU time as `karte` computes them, PSI as the share of time stalled).

use karte_rules::rules;
use std::fmt::Write as _;

/// Range of `rate()` in the node_exporter expressions.
pub const RATE_WINDOW: &str = "5m";

/// One alerting rule.
struct Alert {
    name: String,
    expr: String,
    for_: &'static str,
    severity: Option<&'static str>,
    summary: String,
    description: String,
}

/// YAML single-quoted scalar.
fn sq(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''").replace('\n', " "))
}

fn camel(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// A number as PromQL reads it (`10`, `0.75`).
fn num(v: f64) -> String {
    format!("{v}")
}

/// Share of all CPU time (percent) spent in the modes matching `re`, per instance.
fn cpu_share(re: &str) -> String {
    format!(
        "(sum by (instance) (rate(node_cpu_seconds_total{{mode=~\"{re}\"}}[{RATE_WINDOW}])) / sum by (instance) (rate(node_cpu_seconds_total[{RATE_WINDOW}])) * 100)"
    )
}

fn cpu_count() -> String {
    "count by (instance) (node_cpu_seconds_total{mode=\"idle\"})".to_string()
}

fn load1() -> String {
    "max by (instance) (node_load1)".to_string()
}

fn mem_available_pct() -> String {
    "(max by (instance) (node_memory_MemAvailable_bytes) / max by (instance) (node_memory_MemTotal_bytes) * 100)".to_string()
}

fn psi_memory(which: &str) -> String {
    format!(
        "(max by (instance) (rate(node_pressure_memory_{which}_seconds_total[{RATE_WINDOW}])) * 100)"
    )
}

fn finding_alerts() -> Vec<Alert> {
    let mut v: Vec<Alert> = rules::ALL
        .iter()
        .map(|r| Alert {
            name: format!("Karte{}", camel(r.id)),
            // By rule, not by subject: some rules name the busiest processes first, and a
            // subject that changes between diagnoses must not restart the alert's `for`.
            expr: format!(
                "max by (job, instance, rule, severity) (karte_finding{{rule=\"{}\",severity=~\"warning|critical\"}}) == 1",
                r.id
            ),
            for_: "1m",
            severity: None,
            summary: format!("{} on {{{{ $labels.instance }}}}", r.title_en),
            description: format!(
                "karte's rule {} has a {{{{ $labels.severity }}}} finding on {{{{ $labels.instance }}}}; its subjects are the subject labels of karte_finding{{rule=\"{}\"}}. The evidence and the remedy are on the host's karte dashboard and in `karte doctor`; `karte explain {}` says how the rule decides.",
                r.id, r.id, r.id
            ),
        })
        .collect();
    v.push(Alert {
        name: "KarteOomKill".into(),
        expr: format!(
            "increase(karte_oom_kills_total[{}s]) > 0",
            num(rules::oom_kill::RECENT_SECS)
        ),
        for_: "0s",
        severity: Some("critical"),
        summary: "The OOM killer killed {{ $labels.comm }} on {{ $labels.instance }}".into(),
        description: "The kernel log of {{ $labels.instance }} shows {{ $value | humanize }} OOM kill(s) of {{ $labels.comm }} within the last hour. `karte doctor` names the limit that ran out and why.".into(),
    });
    v.push(Alert {
        name: "KarteDiagnosisStale".into(),
        expr: "time() - karte_diagnosis_timestamp_seconds > 300".into(),
        for_: "5m",
        severity: Some("warning"),
        summary: "karte on {{ $labels.instance }} has not diagnosed for more than 5 minutes".into(),
        description: "karte serve answers but its diagnosis loop is stuck: findings are stale."
            .into(),
    });
    v
}

fn node_alerts() -> Vec<Alert> {
    use rules::{
        cpu_saturation as sat, cpu_steal as st, load_uninterruptible as lu, memory_pressure as mp,
        swap_thrashing as sw,
    };
    let steal = cpu_share("steal");
    let busy = cpu_share("user|system|irq|softirq");
    let idle = cpu_share("idle|iowait");
    let per_cpu = format!("({} / {})", load1(), cpu_count());
    let avail = mem_available_pct();
    let (some, full) = (psi_memory("waiting"), psi_memory("stalled"));
    let swapin = format!("max by (instance) (rate(node_vmstat_pswpin[{RATE_WINDOW}]))");
    vec![
        Alert {
            name: "NodeCpuSteal".into(),
            expr: format!("{steal} >= {} < {}", num(st::WARNING_PCT), num(st::CRITICAL_PCT)),
            for_: "5m",
            severity: Some("warning"),
            summary: format!("{} ({{{{ $value | humanize }}}} % steal on {{{{ $labels.instance }}}})", st::INFO.title_en),
            description: "The hypervisor gives this VM's CPU time to others: the host is overcommitted. Move the VM or ask the provider (karte explain cpu-steal).".into(),
        },
        Alert {
            name: "NodeCpuStealCritical".into(),
            expr: format!("{steal} >= {}", num(st::CRITICAL_PCT)),
            for_: "5m",
            severity: Some("critical"),
            summary: format!("{} ({{{{ $value | humanize }}}} % steal on {{{{ $labels.instance }}}})", st::INFO.title_en),
            description: "The VM runs at well under three quarters of what it pays for (karte explain cpu-steal).".into(),
        },
        Alert {
            name: "NodeCpuSaturated".into(),
            expr: format!(
                "{busy} >= {} and on (instance) {per_cpu} > {}",
                num(sat::BUSY_PCT),
                num(sat::RUNNABLE_PER_CPU)
            ),
            for_: "10m",
            severity: Some("warning"),
            summary: format!("{} on {{{{ $labels.instance }}}}: load above the CPU count with busy CPUs", sat::INFO.title_en),
            description: "The CPUs are busy with normal-priority work and the load average exceeds the number of CPUs: tasks wait for a CPU (karte explain cpu-saturation).".into(),
        },
        Alert {
            name: "NodeCpuSaturatedCritical".into(),
            expr: format!(
                "{busy} >= {} and on (instance) {per_cpu} >= {}",
                num(sat::CRITICAL_BUSY_PCT),
                num(sat::CRITICAL_RUNNABLE_PER_CPU)
            ),
            for_: "10m",
            severity: Some("critical"),
            summary: format!("{} on {{{{ $labels.instance }}}}: load at least twice the CPU count", sat::INFO.title_en),
            description: "Everything is busy and twice as many tasks want to run as there are CPUs (karte explain cpu-saturation).".into(),
        },
        Alert {
            name: "NodeLoadUninterruptible".into(),
            expr: format!(
                "{} >= on (instance) clamp_min({} * {}, 1) and on (instance) {idle} >= {} and on (instance) max by (instance) (max_over_time(node_procs_blocked[{RATE_WINDOW}])) > 0",
                load1(),
                cpu_count(),
                num(lu::LOAD_PER_CPU),
                num(lu::IDLE_PCT)
            ),
            for_: "10m",
            severity: Some("warning"),
            summary: format!("{} on {{{{ $labels.instance }}}}", lu::INFO.title_en),
            description: "The load average is high while the CPUs are idle and tasks are blocked: tasks wait in D state, usually for a slow disk or an NFS server (karte explain load-uninterruptible).".into(),
        },
        Alert {
            name: "NodeLoadUninterruptibleCritical".into(),
            expr: format!(
                "{} >= on (instance) ({} * {}) and on (instance) {idle} >= {} and on (instance) max by (instance) (max_over_time(node_procs_blocked[{RATE_WINDOW}])) > 0",
                load1(),
                cpu_count(),
                num(lu::CRITICAL_LOAD_PER_CPU),
                num(lu::IDLE_PCT)
            ),
            for_: "10m",
            severity: Some("critical"),
            summary: format!("{} on {{{{ $labels.instance }}}}: load at least twice the CPU count", lu::INFO.title_en),
            description: "Tasks in D state hold the load at twice the CPU count on idle CPUs (karte explain load-uninterruptible).".into(),
        },
        Alert {
            name: "NodeOomKill".into(),
            expr: format!(
                "increase(node_vmstat_oom_kill[{}s]) > 0",
                num(rules::oom_kill::RECENT_SECS)
            ),
            for_: "0s",
            severity: Some("critical"),
            summary: format!("{} on {{{{ $labels.instance }}}}", rules::oom_kill::INFO.title_en),
            description: "The kernel's OOM killer killed {{ $value | humanize }} process(es) within the last hour (node_vmstat_oom_kill). `karte doctor` or `karte events` on the host names the victim and the limit that ran out.".into(),
        },
        Alert {
            name: "NodeMemoryPressure".into(),
            expr: format!(
                "({avail} < {} and on (instance) {some} >= {}) or on (instance) {full} >= {} or on (instance) ({avail} < {} unless on (instance) node_pressure_memory_waiting_seconds_total)",
                num(mp::AVAILABLE_PCT),
                num(mp::PSI_SOME_PCT),
                num(mp::PSI_FULL_PCT),
                num(mp::AVAILABLE_PCT_ALONE)
            ),
            for_: "5m",
            severity: Some("warning"),
            summary: format!("{} on {{{{ $labels.instance }}}}", mp::INFO.title_en),
            description: "MemAvailable is low and tasks stall waiting for memory (PSI), or all tasks stall together (karte explain memory-pressure).".into(),
        },
        Alert {
            name: "NodeMemoryPressureCritical".into(),
            expr: format!(
                "{avail} < {} or on (instance) {full} >= {}",
                num(mp::CRITICAL_AVAILABLE_PCT),
                num(mp::CRITICAL_PSI_FULL_PCT)
            ),
            for_: "5m",
            severity: Some("critical"),
            summary: format!("{} on {{{{ $labels.instance }}}}: critical", mp::INFO.title_en),
            description: "Almost no memory is available, or all tasks stall on memory a fifth of the time (karte explain memory-pressure).".into(),
        },
        Alert {
            name: "NodeSwapThrashing".into(),
            expr: format!(
                "{swapin} >= {} and on (instance) ({some} >= {} or on (instance) (max by (instance) (rate(node_vmstat_pswpout[{RATE_WINDOW}])) > 0 unless on (instance) node_pressure_memory_waiting_seconds_total))",
                num(sw::SWAP_IN_PAGES_PER_SEC),
                num(sw::PSI_SOME_PCT)
            ),
            for_: "10m",
            severity: Some("warning"),
            summary: format!("{} on {{{{ $labels.instance }}}}", sw::INFO.title_en),
            description: "Pages are read back from swap steadily while tasks stall on memory: the working set does not fit in RAM (karte explain swap-thrashing).".into(),
        },
    ]
}

fn write_group(out: &mut String, name: &str, alerts: &[Alert]) {
    let _ = writeln!(out, "  - name: {name}\n    rules:");
    for a in alerts {
        let _ = writeln!(out, "      - alert: {}", a.name);
        let _ = writeln!(out, "        expr: {}", sq(&a.expr));
        if a.for_ != "0s" {
            let _ = writeln!(out, "        for: {}", a.for_);
        }
        if let Some(s) = a.severity {
            let _ = writeln!(out, "        labels:\n          severity: {s}");
        }
        let _ = writeln!(out, "        annotations:");
        let _ = writeln!(out, "          summary: {}", sq(&a.summary));
        let _ = writeln!(out, "          description: {}", sq(&a.description));
    }
}

/// The rule file, as YAML.
pub fn rules_yaml(version: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Prometheus alerting rules generated by `karte prometheus-rules` (karte {version}).\n\
         # karte-findings: one alert per karte rule, from karte_finding (hosts running `karte serve`);\n\
         #   the alert keeps the finding's severity and rule labels.\n\
         # karte-node: the conditions Prometheus can judge from node_exporter's metrics alone, with\n\
         #   the thresholds of karte's rules (rates over {RATE_WINDOW}).\n\
         groups:"
    );
    write_group(&mut out, "karte-findings", &finding_alerts());
    write_group(&mut out, "karte-node", &node_alerts());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_thresholds() {
        let y = rules_yaml("0.0.0");
        assert!(y.contains("alert: KarteCpuSteal\n"));
        assert!(y.contains("alert: KarteKernelThreadRunaway\n"));
        assert!(y.contains("alert: NodeCpuSteal\n"));
        assert!(y.contains(&format!(
            ">= {} < {}",
            rules::cpu_steal::WARNING_PCT,
            rules::cpu_steal::CRITICAL_PCT
        )));
        assert!(y.contains("increase(node_vmstat_oom_kill[3600s]) > 0"));
        // Single quotes in titles are doubled in YAML.
        assert!(y.contains("VM''s"));
        assert_eq!(camel("load-uninterruptible"), "LoadUninterruptible");
    }
}
