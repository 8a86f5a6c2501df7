//! Reading a [`Snapshot`] from a [`Root`].

use crate::snapshot::*;
use karte_procfs as p;
use karte_source::{ReadError, Root};
use std::collections::BTreeSet;

/// Which parts of a host to read. Everything by default; an exporter scrape or a benchmark
/// against a peer reads only what it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts {
    /// /proc/{stat,uptime,loadavg,meminfo,vmstat} and the host names (always cheap).
    pub core: bool,
    pub diskstats: bool,
    pub net_dev: bool,
    pub pressure: bool,
    /// /sys/class/net/*: addresses, link state, error counters.
    pub interfaces: bool,
    /// /sys/block/*/queue/rotational.
    pub block_devices: bool,
    /// udev properties of disks (only the Prometheus output uses them).
    pub udev: bool,
    pub numa: bool,
    /// /proc/net/arp, /proc/modules, sysctls, ipmi_si parameters, /proc/schedstat.
    pub misc: bool,
    /// Every process under /proc.
    pub processes: bool,
    /// Per-cgroup memory files for the cgroups that processes are in.
    pub cgroups: bool,
}

impl Parts {
    pub const ALL: Parts = Parts {
        core: true,
        diskstats: true,
        net_dev: true,
        pressure: true,
        interfaces: true,
        block_devices: true,
        udev: true,
        numa: true,
        misc: true,
        processes: true,
        cgroups: true,
    };

    /// What node_exporter's cpu, meminfo, loadavg, diskstats, netdev, vmstat and stat
    /// collectors read (plus pressure), for the exporter and for a fair benchmark against it.
    pub const EXPORTER: Parts = Parts {
        core: true,
        diskstats: true,
        net_dev: true,
        pressure: true,
        interfaces: false,
        block_devices: false,
        udev: false,
        numa: false,
        misc: false,
        processes: false,
        cgroups: false,
    };
}

/// What to read, and facts the caller knows better than the files (live: from sysconf; a
/// bundle: from meta.json).
#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub parts: Parts,
    pub user_hz: Option<u32>,
    pub page_size_bytes: Option<u32>,
    pub unix_secs: Option<f64>,
    pub hostname: Option<String>,
    pub kernel: Option<String>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            parts: Parts::ALL,
            user_hz: None,
            page_size_bytes: None,
            unix_secs: None,
            hostname: None,
            kernel: None,
        }
    }
}

impl ReadOptions {
    /// Options for the live host: USER_HZ, page size and time from the running system.
    pub fn live() -> ReadOptions {
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        // SAFETY: as above.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        ReadOptions {
            user_hz: u32::try_from(hz).ok().filter(|v| *v > 0),
            page_size_bytes: u32::try_from(page).ok().filter(|v| *v > 0),
            unix_secs: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .ok()
                .map(|d| d.as_secs_f64()),
            ..ReadOptions::default()
        }
    }
}

/// USER_HZ on every architecture Linux runs servers on; assumed when a bundle does not say.
pub const DEFAULT_USER_HZ: u32 = 100;
const DEFAULT_PAGE_SIZE: u32 = 4096;
/// More distinct memory cgroups than this are not read one by one (a container host can have
/// thousands); the note says so.
const MAX_CGROUPS: usize = 1024;

struct Reader<'a> {
    root: &'a Root,
    buf: Vec<u8>,
    notes: Vec<String>,
    page_size_bytes: u32,
}

impl Reader<'_> {
    /// Reads a text file; `None` when it is not known.
    fn text(&mut self, rel: &str) -> Option<&str> {
        match self.root.read_into(rel, &mut self.buf) {
            Ok(()) => Some(as_text(&mut self.buf)),
            Err(_) => None,
        }
    }

    /// Reads and parses a text file every Linux has; a note when it cannot be read.
    fn required<T>(&mut self, rel: &str, parse: impl FnOnce(&str) -> T) -> Option<T> {
        match self.root.read_into(rel, &mut self.buf) {
            Ok(()) => Some(parse(as_text(&mut self.buf))),
            Err(e) => {
                self.notes.push(format!("{rel}: {e}"));
                None
            }
        }
    }
}

/// Makes a read buffer into text without copying when it is valid UTF-8.
fn as_text(buf: &mut Vec<u8>) -> &str {
    if std::str::from_utf8(buf).is_err() {
        let fixed = String::from_utf8_lossy(buf).into_owned();
        *buf = fixed.into_bytes();
    }
    std::str::from_utf8(buf).unwrap_or("")
}

fn skipped_note(notes: &mut Vec<String>, rel: &str, n: usize) {
    if n > 0 {
        notes.push(format!("{rel}: {n} malformed line(s) skipped"));
    }
}

/// Reads one snapshot. Never fails: what cannot be read is absent, with a note.
pub fn read_snapshot(root: &Root, opts: &ReadOptions) -> Snapshot {
    read_snapshot_reusing(root, opts, None)
}

/// Reads one snapshot, taking the slow-changing details of processes already in `prev` (same
/// pid and start time) from there instead of reading them again: `status` (except what `stat`
/// gives anew: resident memory and threads), the command line, the OOM scores and the cgroup,
/// and the cgroups' memory files. `stat` — CPU time, state, memory — and `wchan` of D tasks are
/// always read. `status` is the costliest file of a process, so a recorder that refreshes the
/// details only every minute reads a busy host at about half the cost; the details are then at
/// most that old.
pub fn read_snapshot_reusing(root: &Root, opts: &ReadOptions, prev: Option<&Snapshot>) -> Snapshot {
    let mut r = Reader {
        root,
        buf: Vec::with_capacity(8192),
        notes: Vec::new(),
        page_size_bytes: opts.page_size_bytes.unwrap_or(DEFAULT_PAGE_SIZE),
    };
    let mut s = Snapshot::default();

    let parts = opts.parts;
    let mut name = |file: &str, given: &Option<String>| {
        given.clone().or_else(|| {
            if parts.misc {
                r.text(file).map(|t| t.trim().to_string())
            } else {
                None
            }
        })
    };
    s.host = HostFacts {
        hostname: name("proc/sys/kernel/hostname", &opts.hostname),
        kernel: name("proc/sys/kernel/osrelease", &opts.kernel),
        user_hz: opts.user_hz.unwrap_or(DEFAULT_USER_HZ),
        user_hz_known: opts.user_hz.is_some(),
        page_size_bytes: opts.page_size_bytes.unwrap_or(DEFAULT_PAGE_SIZE),
        unix_secs: opts.unix_secs,
    };

    if parts.core {
        read_core(&mut r, &mut s);
    }
    if parts.diskstats
        && let Some(t) = r.text("proc/diskstats")
    {
        let d = p::diskstats::parse(t);
        skipped_note(&mut r.notes, "proc/diskstats", d.skipped_lines);
        s.diskstats = Some(d);
    }
    if parts.net_dev
        && let Some(t) = r.text("proc/net/dev")
    {
        let d = p::net_dev::parse(t);
        skipped_note(&mut r.notes, "proc/net/dev", d.skipped_lines);
        s.netdev = Some(d);
    }
    if parts.pressure {
        s.pressure.cpu = r.text("proc/pressure/cpu").map(p::pressure::parse);
        s.pressure.memory = r.text("proc/pressure/memory").map(p::pressure::parse);
        s.pressure.io = r.text("proc/pressure/io").map(p::pressure::parse);
        s.pressure.irq = r.text("proc/pressure/irq").map(p::pressure::parse);
        if s.pressure.cpu.is_none() && s.pressure.memory.is_none() {
            r.notes.push("pressure stall information (PSI) is not available (kernel before 4.20, or booted without psi=1)".into());
        }
    }
    if parts.misc {
        s.arp = r
            .text("proc/net/arp")
            .map(p::net_arp::parse)
            .unwrap_or_default();
        s.modules = r
            .text("proc/modules")
            .map(p::modules::parse)
            .unwrap_or_default();
        s.schedstat_jiffies = r
            .text("proc/schedstat")
            .and_then(p::schedstat::parse_jiffies);
        for (name, rel) in p::sysctl::KNOWN {
            if let Some(v) = r
                .text(&format!("proc/sys/{rel}"))
                .and_then(p::sysctl::parse_value)
            {
                s.sysctls.values.push((name.to_string(), v));
            }
        }
        s.ipmi = read_ipmi(&mut r, &s.modules);
    }
    if parts.interfaces {
        s.interfaces = read_interfaces(&mut r);
    }
    if parts.block_devices || parts.udev {
        s.block_devices = read_block_devices(&mut r, s.diskstats.as_ref(), parts);
    }
    if parts.numa {
        s.numa = read_numa(&mut r);
    }
    if parts.processes {
        s.processes = read_processes(&mut r, prev);
    }
    if parts.cgroups {
        s.cgroups = match prev {
            Some(p) if parts.processes => p.cgroups.clone(),
            _ => read_cgroups(&mut r, &s.processes),
        };
    }
    s.notes = r.notes;
    s
}

fn read_core(r: &mut Reader, s: &mut Snapshot) {
    match r.required("proc/uptime", p::uptime::parse) {
        Some(Ok(u)) => s.uptime = Some(u),
        Some(Err(e)) => r.notes.push(format!("proc/uptime: {e}")),
        None => {}
    }
    if let Some(st) = r.required("proc/stat", p::stat::parse) {
        skipped_note(&mut r.notes, "proc/stat", st.skipped_lines);
        s.stat = Some(st);
    }
    match r.required("proc/loadavg", p::loadavg::parse) {
        Some(Ok(l)) => s.loadavg = Some(l),
        Some(Err(e)) => r.notes.push(format!("proc/loadavg: {e}")),
        None => {}
    }
    if let Some(m) = r.required("proc/meminfo", p::meminfo::parse) {
        skipped_note(&mut r.notes, "proc/meminfo", m.skipped_lines);
        s.meminfo = Some(m);
    }
    if let Some(v) = r.required("proc/vmstat", p::vmstat::parse) {
        skipped_note(&mut r.notes, "proc/vmstat", v.skipped_lines);
        s.vmstat = Some(v);
    }
}

fn read_interfaces(r: &mut Reader) -> Vec<NetInterface> {
    let Ok(mut names) = r.root.list("sys/class/net") else {
        return Vec::new();
    };
    names.sort();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        if name.starts_with('.') || name == "bonding_masters" {
            continue;
        }
        let base = format!("sys/class/net/{name}");
        let mut ifc = NetInterface {
            name: name.clone(),
            ..Default::default()
        };
        ifc.mac = r
            .text(&format!("{base}/address"))
            .and_then(p::netclass::parse_address);
        ifc.operstate = r
            .text(&format!("{base}/operstate"))
            .and_then(p::netclass::parse_operstate);
        ifc.carrier = r
            .text(&format!("{base}/carrier"))
            .and_then(p::netclass::parse_u64);
        ifc.carrier_changes = r
            .text(&format!("{base}/carrier_changes"))
            .and_then(p::netclass::parse_u64);
        ifc.mtu = r
            .text(&format!("{base}/mtu"))
            .and_then(p::netclass::parse_u64);
        ifc.speed_mbps = r
            .text(&format!("{base}/speed"))
            .and_then(p::netclass::parse_u64);
        ifc.arp_type = r
            .text(&format!("{base}/type"))
            .and_then(p::netclass::parse_u64);
        if let Ok(mut stats) = r.root.list(&format!("{base}/statistics")) {
            stats.sort();
            for st in stats {
                if let Some(v) = r
                    .text(&format!("{base}/statistics/{st}"))
                    .and_then(p::netclass::parse_u64)
                {
                    ifc.statistics.push((st, v));
                }
            }
        }
        out.push(ifc);
    }
    out
}

fn read_block_devices(
    r: &mut Reader,
    disks: Option<&p::diskstats::DiskStats>,
    parts: Parts,
) -> Vec<BlockDevice> {
    let Some(disks) = disks else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for d in &disks.disks {
        // Whole disks only: partitions have no queue/ directory.
        let rot = if parts.block_devices {
            r.text(&format!("sys/block/{}/queue/rotational", d.name))
                .and_then(p::netclass::parse_u64)
        } else {
            None
        };
        let mut props = Vec::new();
        if parts.udev {
            let id = format!("b{}:{}", d.major, d.minor);
            // run/udev/data on a live host; udev/data in node_exporter's fixture layout.
            let live = r
                .text(&format!("run/udev/data/{id}"))
                .map(p::udev::parse_properties);
            props = live
                .or_else(|| {
                    r.text(&format!("udev/data/{id}"))
                        .map(p::udev::parse_properties)
                })
                .unwrap_or_default();
        }
        if rot.is_some() || !props.is_empty() {
            out.push(BlockDevice {
                name: d.name.clone(),
                rotational: rot,
                udev: props,
                major_minor: Some((d.major, d.minor)),
            });
        }
    }
    out
}

fn read_numa(r: &mut Reader) -> Vec<NumaNode> {
    let Ok(names) = r.root.list("sys/devices/system/node") else {
        return Vec::new();
    };
    let mut nodes: Vec<u32> = names
        .iter()
        .filter_map(|n| n.strip_prefix("node")?.parse().ok())
        .collect();
    nodes.sort_unstable();
    let mut out = Vec::new();
    for n in nodes {
        let base = format!("sys/devices/system/node/node{n}");
        let meminfo = r
            .text(&format!("{base}/meminfo"))
            .map(p::numa::parse_node_meminfo)
            .unwrap_or_default();
        let numastat = r
            .text(&format!("{base}/numastat"))
            .map(|t| p::kv::parse_u64_pairs(t).0)
            .unwrap_or_default();
        out.push(NumaNode {
            node: n,
            meminfo,
            numastat,
        });
    }
    out
}

fn read_ipmi(r: &mut Reader, modules: &[p::modules::Module]) -> IpmiState {
    let mut st = IpmiState {
        si_present: modules.iter().any(|m| m.name == "ipmi_si"),
        parameters: Vec::new(),
    };
    if let Ok(mut params) = r.root.list("sys/module/ipmi_si/parameters") {
        st.si_present = true;
        params.sort();
        for name in params {
            if let Some(v) = r.text(&format!("sys/module/ipmi_si/parameters/{name}")) {
                st.parameters.push((name, v.trim().to_string()));
            }
        }
    }
    st
}

/// Processes whose OOM score and cgroup are read: the largest by resident memory (the OOM
/// killer's candidates and the usual suspects of memory pressure) plus every D-state task. Reading
/// them for all processes would double the cost of a snapshot on a busy host for facts that
/// matter only for these.
pub const DETAIL_TOP_RSS: usize = 32;

fn read_processes(r: &mut Reader, prev: Option<&Snapshot>) -> Vec<Process> {
    let names = match r.root.list("proc") {
        Ok(n) => n,
        Err(e) => {
            r.notes.push(format!("proc: cannot list processes: {e}"));
            return Vec::new();
        }
    };
    let mut pids: Vec<u32> = names.iter().filter_map(|n| n.parse().ok()).collect();
    pids.sort_unstable();
    let mut out = Vec::with_capacity(pids.len());
    let mut denied = 0usize;
    let mut malformed = 0usize;
    let mut reused: Vec<usize> = Vec::new();
    let mut buf = std::mem::take(&mut r.buf);
    for pid in pids {
        let Ok(dir) = r.root.open_dir(&format!("proc/{pid}")) else {
            continue;
        };
        // A process that exits between the listing and this read is normal: skip it quietly.
        match dir.read_into("stat", &mut buf) {
            Ok(()) => {}
            Err(ReadError::NotFound) => continue,
            Err(_) => {
                denied += 1;
                continue;
            }
        }
        let stat = match p::pid_stat::parse(as_text(&mut buf)) {
            Ok(s) => s,
            Err(_) => {
                malformed += 1;
                continue;
            }
        };
        let known = prev
            .and_then(|p| p.process(pid))
            .filter(|k| k.stat.starttime_ticks == stat.starttime_ticks);
        if let Some(k) = known {
            let page_kb = u64::from(r.page_size_bytes / 1024).max(1);
            let mut proc_ = Process {
                stat,
                wchan: None,
                ..k.clone()
            };
            if let Some(st) = &mut proc_.status {
                st.vm_rss_kb = Some(proc_.stat.rss_pages.saturating_mul(page_kb));
                st.threads = Some(proc_.stat.num_threads);
            }
            if proc_.stat.state == p::pid_stat::TaskState::DiskSleep
                && dir.read_into("wchan", &mut buf).is_ok()
            {
                proc_.wchan = p::cmdline::parse_wchan(as_text(&mut buf));
            }
            reused.push(out.len());
            out.push(proc_);
            continue;
        }
        let mut proc_ = Process {
            stat,
            status: None,
            cmdline: None,
            wchan: None,
            oom_score: None,
            oom_score_adj: None,
            cgroup: None,
        };
        if proc_.stat.state == p::pid_stat::TaskState::DiskSleep
            && dir.read_into("wchan", &mut buf).is_ok()
        {
            proc_.wchan = p::cmdline::parse_wchan(as_text(&mut buf));
        }
        if proc_.is_kernel_thread() {
            // Kernel threads have no argv, no user cgroup and are never OOM victims: their
            // stat says all karte needs, and hosts have hundreds of them.
            proc_.cmdline = Some(String::new());
        } else {
            if dir.read_into("status", &mut buf).is_ok() {
                proc_.status = Some(p::pid_status::parse(as_text(&mut buf)));
            }
            if dir.read_into("cmdline", &mut buf).is_ok() {
                proc_.cmdline = Some(p::cmdline::parse_cmdline(&buf));
            }
        }
        out.push(proc_);
    }
    // Details for the processes that matter (see DETAIL_TOP_RSS).
    let mut by_rss: Vec<usize> = (0..out.len())
        .filter(|i| !out[*i].is_kernel_thread())
        .collect();
    by_rss.sort_by_key(|i| std::cmp::Reverse(out[*i].stat.rss_pages));
    let mut detail: Vec<usize> = by_rss.into_iter().take(DETAIL_TOP_RSS).collect();
    detail.extend((0..out.len()).filter(|i| {
        out[*i].stat.state == p::pid_stat::TaskState::DiskSleep && !out[*i].is_kernel_thread()
    }));
    detail.sort_unstable();
    detail.dedup();
    // Details already taken from the previous reading are not read again.
    detail.retain(|i| reused.binary_search(i).is_err());
    for i in detail {
        // Opened again rather than kept open: thousands of open directories would run into the
        // file-descriptor limit.
        let proc_ = &mut out[i];
        let Ok(dir) = r.root.open_dir(&format!("proc/{}", proc_.pid())) else {
            continue;
        };
        if dir.read_into("oom_score", &mut buf).is_ok() {
            proc_.oom_score = p::cmdline::parse_int(as_text(&mut buf));
        }
        if dir.read_into("oom_score_adj", &mut buf).is_ok() {
            proc_.oom_score_adj = p::cmdline::parse_int(as_text(&mut buf));
        }
        if dir.read_into("cgroup", &mut buf).is_ok() {
            proc_.cgroup = Some(p::cgroup::parse(as_text(&mut buf)));
        }
    }
    r.buf = buf;
    if denied > 0 {
        r.notes.push(format!(
            "{denied} process(es) could not be read (permission denied)"
        ));
    }
    if malformed > 0 {
        r.notes.push(format!(
            "{malformed} process(es) had a malformed stat file and were skipped"
        ));
    }
    out
}

fn read_cgroups(r: &mut Reader, processes: &[Process]) -> Vec<CgroupMemory> {
    let v2 = r
        .root
        .read_into("sys/fs/cgroup/cgroup.controllers", &mut r.buf)
        .is_ok();
    let v1 = !v2 && r.root.list("sys/fs/cgroup/memory").is_ok();
    if !v2 && !v1 {
        return Vec::new();
    }
    let mut paths: BTreeSet<&str> = BTreeSet::new();
    for pr in processes {
        let Some(cg) = &pr.cgroup else { continue };
        let path = if v2 {
            cg.unified.as_deref()
        } else {
            cg.memory_v1.as_deref()
        };
        if let Some(path) = path {
            if path.contains("..") {
                continue;
            }
            // The limit that bites may be set on an ancestor (a slice): read them all.
            let mut p = path;
            while p != "/" && !p.is_empty() {
                paths.insert(p);
                p = match p.rfind('/') {
                    Some(0) | None => "/",
                    Some(i) => &p[..i],
                };
            }
        }
    }
    if paths.len() > MAX_CGROUPS {
        r.notes.push(format!(
            "{} memory cgroups; only the first {MAX_CGROUPS} were read",
            paths.len()
        ));
    }
    let mut out = Vec::new();
    for path in paths.into_iter().take(MAX_CGROUPS) {
        let cg = if v2 {
            read_cgroup_v2(r, path)
        } else {
            read_cgroup_v1(r, path)
        };
        if let Some(cg) = cg {
            out.push(cg);
        }
    }
    out
}

/// memory.stat keys worth keeping (bytes in v2; v1 uses `total_*` for hierarchical values).
const CGROUP_STAT_KEYS: [&str; 10] = [
    "anon",
    "file",
    "shmem",
    "kernel",
    "sock",
    "file_dirty",
    "file_writeback",
    "slab",
    "pgmajfault",
    "workingset_refault_file",
];

fn read_cgroup_v2(r: &mut Reader, path: &str) -> Option<CgroupMemory> {
    let base = format!("sys/fs/cgroup{path}");
    let limit = r
        .text(&format!("{base}/memory.max"))
        .and_then(p::cgroup_memory::parse_v2_limit);
    // A cgroup without the memory controller enabled has no memory.max: nothing to say.
    let limit = limit?;
    let mut cg = CgroupMemory {
        path: path.to_string(),
        version: 2,
        limit_bytes: limit,
        ..Default::default()
    };
    cg.usage_bytes = r
        .text(&format!("{base}/memory.current"))
        .and_then(p::cgroup_memory::parse_u64);
    cg.swap_limit_bytes = r
        .text(&format!("{base}/memory.swap.max"))
        .and_then(p::cgroup_memory::parse_v2_limit)
        .flatten();
    cg.events = r
        .text(&format!("{base}/memory.events"))
        .map(p::cgroup_memory::parse_events)
        .unwrap_or_default();
    if let Some(t) = r.text(&format!("{base}/memory.stat")) {
        cg.stat = p::kv::parse_u64_pairs(t)
            .0
            .into_iter()
            .filter(|(k, _)| CGROUP_STAT_KEYS.contains(&k.as_str()))
            .collect();
    }
    Some(cg)
}

fn read_cgroup_v1(r: &mut Reader, path: &str) -> Option<CgroupMemory> {
    let base = format!("sys/fs/cgroup/memory{path}");
    let limit = r
        .text(&format!("{base}/memory.limit_in_bytes"))
        .and_then(p::cgroup_memory::parse_v1_limit)?;
    let mut cg = CgroupMemory {
        path: path.to_string(),
        version: 1,
        limit_bytes: limit,
        ..Default::default()
    };
    cg.usage_bytes = r
        .text(&format!("{base}/memory.usage_in_bytes"))
        .and_then(p::cgroup_memory::parse_u64);
    cg.failcnt = r
        .text(&format!("{base}/memory.failcnt"))
        .and_then(p::cgroup_memory::parse_u64);
    cg.events = r
        .text(&format!("{base}/memory.oom_control"))
        .map(p::cgroup_memory::parse_events)
        .unwrap_or_default();
    if let Some(t) = r.text(&format!("{base}/memory.stat")) {
        cg.stat = p::kv::parse_u64_pairs(t)
            .0
            .into_iter()
            .filter_map(|(k, v)| {
                let k = match k.as_str() {
                    "total_rss" => "anon",
                    "total_cache" => "file",
                    "total_shmem" => "shmem",
                    "total_dirty" => "file_dirty",
                    "total_writeback" => "file_writeback",
                    _ => return None,
                };
                Some((k.to_string(), v))
            })
            .collect();
    }
    Some(cg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reusing_keeps_details_and_rereads_stat() {
        let root = Root::live();
        let opts = ReadOptions::live();
        let first = read_snapshot(&root, &opts);
        let again = read_snapshot_reusing(&root, &opts, Some(&first));
        let me = std::process::id();
        let a = first.process(me).expect("this process, first reading");
        let b = again.process(me).expect("this process, second reading");
        assert_eq!(a.cmdline, b.cmdline);
        assert_eq!(
            a.status.as_ref().and_then(|s| s.uids),
            b.status.as_ref().and_then(|s| s.uids)
        );
        // stat is read anew: CPU time never goes backwards, and it is this reading's.
        assert!(b.stat.cpu_ticks() >= a.stat.cpu_ticks());
        // A process unknown to the previous reading is read in full.
        let empty = Snapshot::default();
        let fresh = read_snapshot_reusing(&root, &opts, Some(&empty));
        assert!(fresh.process(me).and_then(|p| p.status.as_ref()).is_some());
    }
}
