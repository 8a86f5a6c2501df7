//! The data of one reading.

pub use karte_procfs::cgroup_memory::CgroupMemory;
use karte_procfs::{
    cgroup::PidCgroup,
    diskstats::DiskStats,
    loadavg::LoadAvg,
    meminfo::{MemField, MemInfo},
    modules::Module,
    net_arp::ArpEntry,
    net_dev::NetDev,
    pid_stat::PidStat,
    pid_status::PidStatus,
    pressure::Pressure,
    stat::Stat,
    sysctl::Sysctls,
    uptime::Uptime,
    vmstat::VmStat,
};
use serde::Serialize;

/// Facts about the host that do not change between readings.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HostFacts {
    pub hostname: Option<String>,
    /// `kernel.osrelease`, e.g. `6.1.0-18-amd64`.
    pub kernel: Option<String>,
    /// Ticks per second of /proc/stat and /proc/<pid>/stat (USER_HZ; 100 on x86).
    pub user_hz: u32,
    /// Whether `user_hz` was read from the host or assumed.
    pub user_hz_known: bool,
    pub page_size_bytes: u32,
    /// Wall-clock time of the reading, when known (live, or a bundle's meta.json).
    pub unix_secs: Option<f64>,
}

/// One process (thread group) as read from `/proc/<pid>/`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Process {
    pub stat: PidStat,
    pub status: Option<PidStatus>,
    /// argv joined by spaces; empty for kernel threads.
    pub cmdline: Option<String>,
    /// What a D-state task waits in (read only for D tasks: it is only meaningful then).
    pub wchan: Option<String>,
    /// OOM score and cgroup are read for the largest processes and D-state tasks only
    /// (`read::DETAIL_TOP_RSS`); `None` elsewhere means "not read".
    pub oom_score: Option<i64>,
    pub oom_score_adj: Option<i64>,
    pub cgroup: Option<PidCgroup>,
}

impl Process {
    pub fn pid(&self) -> u32 {
        self.stat.pid
    }

    pub fn is_kernel_thread(&self) -> bool {
        self.stat.is_kernel_thread()
    }

    pub fn uid(&self) -> Option<u32> {
        self.status.as_ref().and_then(|s| s.uids).map(|u| u[0])
    }

    /// Resident memory in kB: from status when read, else from stat's page count.
    pub fn rss_kb(&self, page_size_bytes: u32) -> u64 {
        self.status
            .as_ref()
            .and_then(|s| s.vm_rss_kb)
            .unwrap_or_else(|| {
                self.stat
                    .rss_pages
                    .saturating_mul(u64::from(page_size_bytes))
                    / 1024
            })
    }

    /// How people name it: the command line if any, else `[comm]` as ps shows kernel threads.
    pub fn display_name(&self) -> String {
        match &self.cmdline {
            Some(c) if !c.is_empty() => c.clone(),
            _ => format!("[{}]", self.stat.comm),
        }
    }

    /// [`Process::display_name`] cut to `max` characters (with `…`), for one-line evidence.
    pub fn short_name(&self, max: usize) -> String {
        let full = self.display_name();
        if full.chars().count() <= max {
            full
        } else {
            let mut s: String = full.chars().take(max.saturating_sub(1)).collect();
            s.push('…');
            s
        }
    }
}

/// One network interface from /sys/class/net.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NetInterface {
    pub name: String,
    pub mac: Option<String>,
    pub operstate: Option<String>,
    pub carrier: Option<u64>,
    pub carrier_changes: Option<u64>,
    pub mtu: Option<u64>,
    pub speed_mbps: Option<u64>,
    /// `type` (1 = Ethernet, 772 = loopback, …).
    pub arp_type: Option<u64>,
    /// statistics/*: name → value.
    pub statistics: Vec<(String, u64)>,
}

impl NetInterface {
    pub fn stat(&self, name: &str) -> Option<u64> {
        karte_procfs::kv::get(&self.statistics, name)
    }
}

/// A whole disk's static facts from /sys/block and udev.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BlockDevice {
    pub name: String,
    /// `queue/rotational`: 1 for spinning disks.
    pub rotational: Option<u64>,
    /// udev properties (`E:` lines) for node_disk_info and friends.
    pub udev: Vec<(String, String)>,
    pub major_minor: Option<(u32, u32)>,
}

/// One NUMA node's meminfo and numastat.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NumaNode {
    pub node: u32,
    pub meminfo: Vec<MemField>,
    pub numastat: Vec<(String, u64)>,
}

/// PSI for each resource.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Pressures {
    pub cpu: Option<Pressure>,
    pub memory: Option<Pressure>,
    pub io: Option<Pressure>,
    pub irq: Option<Pressure>,
}

/// The IPMI system interface driver's state, for the kipmi0 rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IpmiState {
    /// Whether the `ipmi_si` module (or built-in driver) is present.
    pub si_present: bool,
    /// `/sys/module/ipmi_si/parameters/*` that are readable, as text.
    pub parameters: Vec<(String, String)>,
}

/// One reading of a host.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Snapshot {
    pub host: HostFacts,
    pub uptime: Option<Uptime>,
    pub stat: Option<Stat>,
    pub loadavg: Option<LoadAvg>,
    pub meminfo: Option<MemInfo>,
    pub vmstat: Option<VmStat>,
    pub diskstats: Option<DiskStats>,
    pub netdev: Option<NetDev>,
    pub pressure: Pressures,
    pub interfaces: Vec<NetInterface>,
    pub block_devices: Vec<BlockDevice>,
    pub numa: Vec<NumaNode>,
    pub arp: Vec<ArpEntry>,
    pub modules: Vec<Module>,
    pub sysctls: Sysctls,
    /// Memory cgroups of the processes seen (and the root), by path.
    pub cgroups: Vec<CgroupMemory>,
    pub ipmi: IpmiState,
    /// Raw jiffies from /proc/schedstat, to measure CONFIG_HZ across two readings.
    pub schedstat_jiffies: Option<u64>,
    pub processes: Vec<Process>,
    /// What could not be read or parsed, for people.
    pub notes: Vec<String>,
}

impl Snapshot {
    /// Online CPUs: the `cpuN` lines of /proc/stat.
    pub fn online_cpus(&self) -> Option<usize> {
        self.stat.as_ref().map(|s| s.cpus.len()).filter(|n| *n > 0)
    }

    pub fn process(&self, pid: u32) -> Option<&Process> {
        self.processes
            .binary_search_by_key(&pid, |p| p.stat.pid)
            .ok()
            .map(|i| &self.processes[i])
    }

    pub fn mem_kb(&self, field: &str) -> Option<u64> {
        self.meminfo.as_ref().and_then(|m| m.kb(field))
    }

    pub fn vm(&self, field: &str) -> Option<u64> {
        self.vmstat.as_ref().and_then(|v| v.get(field))
    }

    pub fn cgroup(&self, path: &str) -> Option<&CgroupMemory> {
        self.cgroups.iter().find(|c| c.path == path)
    }
}
