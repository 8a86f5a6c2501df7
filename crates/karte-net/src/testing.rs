//! Test networks in network namespaces, for the tests of this crate and of `karte net`
//! (feature `netns-testing`; never used by karte itself).
//!
//! A [`Lab`] makes a "switch" namespace holding a bridge, and hosts: each its own namespace with
//! an `eth0` (and more if asked) cabled to the bridge by a veth pair created inside the
//! namespaces. The machine's own interfaces are never touched. Tests use only the
//! documentation ranges 198.51.100.0/24 and 203.0.113.0/24. Everything is deleted when the
//! `Lab` is dropped, also when a test fails (panics unwind through the drop).
//!
//! Building namespaces needs root and `ip` (iproute2); [`Lab::new`] returns `None` and prints
//! why when either is missing, so that tests pass, clearly marked as skipped.

use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);
const PREFIX: &str = "ktnet-";

/// Why namespace tests cannot run here, if they cannot.
pub fn skip_reason() -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("needs root to create network namespaces (CI runs as root)".into());
    }
    match Command::new("ip").arg("-V").output() {
        Ok(o) if o.status.success() => None,
        _ => Some("needs `ip` from iproute2 (apt-get install iproute2)".into()),
    }
}

/// Namespaces made for one test.
pub struct Lab {
    prefix: String,
    namespaces: Vec<String>,
    switch: Option<String>,
}

fn run(args: &[&str]) -> Result<(), String> {
    let o = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip {}: {e}", args.join(" ")))?;
    if o.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr).trim()
        ))
    }
}

/// Deletes namespaces left by test processes that no longer exist (killed before cleanup).
fn remove_stale() {
    let Ok(dir) = std::fs::read_dir("/run/netns") else {
        return;
    };
    for e in dir.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(PREFIX)
            .and_then(|r| r.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = run(&["netns", "del", &name]);
        }
    }
}

impl Lab {
    /// A new, empty lab; `None` (after printing why) when namespaces cannot be made here.
    pub fn new(test: &str) -> Option<Lab> {
        if let Some(why) = skip_reason() {
            // Straight to the process's stderr: the test harness captures `println!`, and a
            // skip must be visible in a normal run.
            let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
            return None;
        }
        remove_stale();
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let mut lab = Lab {
            prefix: format!("{PREFIX}{}-{n}-", std::process::id()),
            namespaces: Vec::new(),
            switch: None,
        };
        // Root in a container may still be refused namespaces (no CAP_SYS_ADMIN, seccomp).
        if let Err(e) = lab.switch() {
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: cannot create network namespaces here: {e}"
            );
            return None;
        }
        Some(lab)
    }

    /// Runs `ip ARGS`, failing the test with its error output.
    pub fn ip(&self, args: &[&str]) -> Result<(), String> {
        run(args)
    }

    /// Runs `ip -n NS ARGS`.
    pub fn ipn(&self, ns: &str, args: &[&str]) -> Result<(), String> {
        let mut a = vec!["-n", ns];
        a.extend_from_slice(args);
        run(&a)
    }

    /// Creates a namespace named after `name`, with `lo` up; returns its full name.
    pub fn namespace(&mut self, name: &str) -> Result<String, String> {
        let ns = format!("{}{name}", self.prefix);
        run(&["netns", "add", &ns])?;
        self.namespaces.push(ns.clone());
        self.ipn(&ns, &["link", "set", "lo", "up"])?;
        Ok(ns)
    }

    fn switch(&mut self) -> Result<String, String> {
        if let Some(s) = &self.switch {
            return Ok(s.clone());
        }
        let sw = self.namespace("sw")?;
        self.ipn(&sw, &["link", "add", "br0", "type", "bridge"])?;
        self.ipn(&sw, &["link", "set", "br0", "up"])?;
        self.switch = Some(sw.clone());
        Ok(sw)
    }

    /// Cables interface `ifname` of namespace `ns` to the switch, with `mac` if given, up,
    /// without an address.
    pub fn cable(&mut self, ns: &str, ifname: &str, mac: Option<&str>) -> Result<(), String> {
        let sw = self.switch()?;
        let port = format!("p{}", COUNTER.fetch_add(1, Ordering::SeqCst));
        self.ipn(
            &sw,
            &[
                "link", "add", &port, "type", "veth", "peer", "name", ifname, "netns", ns,
            ],
        )?;
        self.ipn(&sw, &["link", "set", &port, "master", "br0", "up"])?;
        if let Some(m) = mac {
            self.ipn(ns, &["link", "set", ifname, "address", m])?;
        }
        self.ipn(ns, &["link", "set", ifname, "up"])
    }

    /// A host: a namespace with `eth0` on the switch, `mac` on it if given, and `addrs`
    /// (`198.51.100.10/24`, …) on `eth0`.
    pub fn host(
        &mut self,
        name: &str,
        mac: Option<&str>,
        addrs: &[&str],
    ) -> Result<String, String> {
        let ns = self.namespace(name)?;
        self.cable(&ns, "eth0", mac)?;
        for a in addrs {
            self.ipn(&ns, &["addr", "add", a, "dev", "eth0"])?;
        }
        Ok(ns)
    }

    /// Sets a sysctl inside `ns` (e.g. `net/ipv4/conf/eth0/arp_notify`).
    pub fn sysctl(&self, ns: &str, key: &str, value: &str) -> Result<(), String> {
        let path = format!("/proc/sys/{key}");
        in_namespace(ns, || std::fs::write(&path, value))
            .and_then(|r| r.map_err(|e| format!("{path}: {e}")))
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for ns in self.namespaces.iter().rev() {
            if let Err(e) = run(&["netns", "del", ns]) {
                eprintln!("cleanup: {e}");
            }
        }
    }
}

/// Runs `f` on a new thread that has entered network namespace `ns` (network namespaces are
/// per thread: the rest of the process stays where it is).
pub fn in_namespace<T: Send>(ns: &str, f: impl FnOnce() -> T + Send) -> Result<T, String> {
    let path = format!("/run/netns/{ns}");
    std::thread::scope(|s| {
        s.spawn(|| {
            let file = File::open(&path).map_err(|e| format!("{path}: {e}"))?;
            // SAFETY: a valid descriptor of a network namespace; affects this thread only.
            if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
                return Err(format!("setns {path}: {}", std::io::Error::last_os_error()));
            }
            Ok(f())
        })
        .join()
        .map_err(|_| format!("the thread in {ns} panicked"))?
    })
}

/// Makes the calling thread (only) the unprivileged user nobody (uid and gid 65534), which
/// also drops its capabilities. Raw system calls: the C library would change every thread.
pub fn become_nobody_this_thread() -> Result<(), String> {
    // SAFETY: plain system calls with integer arguments; they affect this thread only.
    unsafe {
        if libc::syscall(libc::SYS_setgroups, 0, std::ptr::null::<libc::gid_t>()) != 0
            || libc::syscall(libc::SYS_setresgid, 65534, 65534, 65534) != 0
            || libc::syscall(libc::SYS_setresuid, 65534, 65534, 65534) != 0
        {
            return Err(format!(
                "dropping privileges: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(())
}
