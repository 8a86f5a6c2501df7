//! The sysctls karte's rules need, each one integer in `/proc/sys/...`.

use serde::Serialize;

/// The file under `proc/sys/` for each sysctl karte reads, with its dotted name.
pub const KNOWN: [(&str, &str); 13] = [
    ("vm.overcommit_memory", "vm/overcommit_memory"),
    ("vm.overcommit_ratio", "vm/overcommit_ratio"),
    ("vm.overcommit_kbytes", "vm/overcommit_kbytes"),
    ("vm.panic_on_oom", "vm/panic_on_oom"),
    ("vm.swappiness", "vm/swappiness"),
    ("vm.dirty_ratio", "vm/dirty_ratio"),
    ("vm.dirty_bytes", "vm/dirty_bytes"),
    ("vm.dirty_background_ratio", "vm/dirty_background_ratio"),
    ("vm.dirty_background_bytes", "vm/dirty_background_bytes"),
    ("vm.dirty_expire_centisecs", "vm/dirty_expire_centisecs"),
    ("vm.oom_kill_allocating_task", "vm/oom_kill_allocating_task"),
    (
        "kernel.hung_task_timeout_secs",
        "kernel/hung_task_timeout_secs",
    ),
    ("kernel.pid_max", "kernel/pid_max"),
];

/// Values of the known sysctls that could be read, by dotted name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Sysctls {
    pub values: Vec<(String, i64)>,
}

impl Sysctls {
    pub fn get(&self, name: &str) -> Option<i64> {
        self.values.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
    }
}

pub fn parse_value(text: &str) -> Option<i64> {
    text.split_ascii_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn value() {
        assert_eq!(super::parse_value("120\n"), Some(120));
        assert_eq!(super::parse_value("x"), None);
    }
}
