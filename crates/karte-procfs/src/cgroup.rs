//! `/proc/<pid>/cgroup`: `hierarchy-ID:controller-list:cgroup-path` per line. On cgroup v2 the
//! single line is `0::/path`; on v1 the memory controller's line names the memory cgroup.

use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PidCgroup {
    /// The v2 (unified) path, from the `0::` line.
    pub unified: Option<String>,
    /// The v1 memory controller's path.
    pub memory_v1: Option<String>,
}

impl PidCgroup {
    /// The path that governs memory: v1 memory controller if mounted, else the unified one.
    pub fn memory_path(&self) -> Option<&str> {
        self.memory_v1.as_deref().or(self.unified.as_deref())
    }
}

pub fn parse(text: &str) -> PidCgroup {
    let mut c = PidCgroup::default();
    for line in text.lines() {
        let mut it = line.splitn(3, ':');
        let (Some(id), Some(ctrls), Some(path)) = (it.next(), it.next(), it.next()) else {
            continue;
        };
        if id == "0" && ctrls.is_empty() {
            c.unified = Some(path.to_string());
        } else if ctrls.split(',').any(|x| x == "memory") {
            c.memory_v1 = Some(path.to_string());
        }
    }
    c
}

/// Names the systemd unit or container a cgroup path belongs to, for people: the last path
/// component that ends in `.service`, `.scope` or `.slice`, or a container id after `docker-`,
/// `cri-containerd-`, `crio-` or `libpod-` (64 hex digits shortened to 12).
pub fn unit_of_path(path: &str) -> Option<String> {
    for comp in path.rsplit('/') {
        let c = comp.trim();
        for prefix in ["docker-", "cri-containerd-", "crio-", "libpod-"] {
            if let Some(id) = c.strip_prefix(prefix) {
                let id = id.strip_suffix(".scope").unwrap_or(id);
                let short: String = id.chars().take(12).collect();
                return Some(format!("container {short}"));
            }
        }
        if c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Some(format!("container {}", &c[..12]));
        }
        if c.ends_with(".service") || c.ends_with(".scope") {
            return Some(c.to_string());
        }
    }
    path.rsplit('/')
        .find(|c| c.ends_with(".slice"))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_and_v1() {
        let c = parse("0::/system.slice/sshd.service\n");
        assert_eq!(c.memory_path(), Some("/system.slice/sshd.service"));
        let c = parse("12:memory:/user.slice\n3:cpu,cpuacct:/user.slice\n0::/user.slice/x\n");
        assert_eq!(c.memory_path(), Some("/user.slice"));
    }

    #[test]
    fn units() {
        assert_eq!(
            unit_of_path("/system.slice/mysql.service").as_deref(),
            Some("mysql.service")
        );
        assert_eq!(
            unit_of_path("/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope").as_deref(),
            Some("container 0123456789ab")
        );
        assert_eq!(
            unit_of_path("/kubepods/burstable/pod1/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef").as_deref(),
            Some("container 0123456789ab")
        );
        assert_eq!(unit_of_path("/user.slice").as_deref(), Some("user.slice"));
        assert_eq!(unit_of_path("/"), None);
    }
}
