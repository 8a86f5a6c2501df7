//! `karte collect`: capture this host twice into a bundle for offline diagnosis.
//!
//! The readings are taken through a recording [`Root`], so the bundle holds exactly the files a
//! snapshot reads — no directory walk, hence no symbolic link can lead out of /proc and /sys —
//! and `karte doctor --bundle` later sees what live `doctor` saw.

use super::{CliError, CmdResult};
use karte_snapshot::{ReadOptions, read_snapshot};
use karte_source::Root;
use karte_source::bundle::{BundleMeta, write_tar_gz};
use karte_source::root::MemTree;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to write the bundle (`-` for standard output; default:
    /// karte-HOST-YYYYmmdd-HHMMSS.tar.gz in the current directory)
    #[arg(short, long, value_name = "FILE.tar.gz")]
    pub output: Option<PathBuf>,
    /// Seconds between the two readings
    #[arg(long, default_value_t = 2.0, value_name = "SECS")]
    pub interval: f64,
}

struct Progress {
    on: bool,
}

impl Progress {
    fn say(&self, msg: &str) {
        if self.on {
            eprint!("\r\x1b[2K{msg}");
            let _ = std::io::stderr().flush();
        }
    }
    fn done(&self) {
        if self.on {
            eprint!("\r\x1b[2K");
        }
    }
}

pub fn run(args: Args) -> CmdResult {
    if !(args.interval.is_finite() && (0.1..=3600.0).contains(&args.interval)) {
        return Err(CliError::with_code(
            "--interval must be between 0.1 and 3600 seconds",
            2,
        ));
    }
    let progress = Progress {
        on: std::io::stderr().is_terminal(),
    };
    let live = Root::live();
    let mut trees = Vec::new();
    let mut times = Vec::new();
    let mut first_opts = None;
    for i in 0..2 {
        if i == 1 {
            progress.say(&format!(
                "karte collect: waiting {} s for the second reading…",
                args.interval
            ));
            std::thread::sleep(Duration::from_secs_f64(args.interval));
        }
        progress.say(&format!("karte collect: reading {}/2…", i + 1));
        let rec = Arc::new(Mutex::new(MemTree::default()));
        let opts = ReadOptions::live();
        times.push(opts.unix_secs.unwrap_or(0.0));
        let _ = read_snapshot(&live.recording(rec.clone()), &opts);
        first_opts.get_or_insert(opts);
        let tree = Arc::try_unwrap(rec)
            .map_err(|_| CliError::new("internal error: reading still in use"))?
            .into_inner()
            .map_err(|_| CliError::new("internal error: reading poisoned"))?;
        trees.push(tree);
    }
    let opts = first_opts.unwrap_or_else(ReadOptions::live);
    let hostname = trees[0]
        .text("proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string());
    let kernel = trees[0]
        .text("proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string());
    let hz = match (
        trees[0].text("proc/schedstat"),
        trees[1].text("proc/schedstat"),
        trees[0].text("proc/uptime"),
        trees[1].text("proc/uptime"),
    ) {
        (Some(a), Some(b), Some(ua), Some(ub)) => {
            let j = (
                karte_procfs::schedstat::parse_jiffies(&a),
                karte_procfs::schedstat::parse_jiffies(&b),
            );
            let u = (
                karte_procfs::uptime::parse(&ua).ok(),
                karte_procfs::uptime::parse(&ub).ok(),
            );
            match (j, u) {
                ((Some(ja), Some(jb)), (Some(ua), Some(ub))) => {
                    karte_snapshot::interval::estimate_hz(ja, jb, ub.up_secs - ua.up_secs)
                }
                _ => None,
            }
        }
        _ => None,
    };
    let meta = BundleMeta {
        hostname: hostname.clone(),
        kernel,
        user_hz: opts.user_hz,
        page_size: opts.page_size_bytes,
        reading_unix_secs: times.clone(),
        karte_version: Some(env!("CARGO_PKG_VERSION").to_string()),
        // SAFETY: geteuid has no preconditions.
        privileged: Some(unsafe { libc::geteuid() } == 0),
        hz,
    };
    // The kernel log: raw /dev/kmsg records, as they are (doctor parses them from the bundle).
    let kmsg = match karte_engine::KernelLog::open(true) {
        Ok(mut k) => {
            let _ = k.read_all();
            k.captured().map(<[u8]>::to_vec)
        }
        Err(e) => {
            progress.done();
            eprintln!("karte collect: the bundle will have no kernel log: {e}");
            None
        }
    };
    progress.say("karte collect: writing…");
    let files: usize = trees.iter().map(|t| t.len()).sum();
    let readings: Vec<&MemTree> = trees.iter().collect();
    let mtime = times.first().copied().unwrap_or(0.0) as u64;
    let host = hostname.as_deref().unwrap_or("host");
    match &args.output {
        Some(p) if p.as_os_str() == "-" => {
            let mut out = std::io::stdout().lock();
            write_tar_gz(&mut out, &readings, kmsg.as_deref(), &meta, mtime)?;
            progress.done();
            eprintln!(
                "karte collect: wrote the bundle of {host} to standard output ({files} files)"
            );
        }
        _ => {
            let path = args
                .output
                .clone()
                .unwrap_or_else(|| default_name(host, mtime));
            let tmp = path.with_extension("partial");
            let f = std::fs::File::create(&tmp)
                .map_err(|e| CliError::new(format!("cannot write {}: {e}", tmp.display())))?;
            let mut w = std::io::BufWriter::new(f);
            let res = write_tar_gz(&mut w, &readings, kmsg.as_deref(), &meta, mtime)
                .and_then(|_| w.flush());
            if let Err(e) = res {
                let _ = std::fs::remove_file(&tmp);
                return Err(CliError::new(format!(
                    "cannot write {}: {e}",
                    path.display()
                )));
            }
            std::fs::rename(&tmp, &path)
                .map_err(|e| CliError::new(format!("cannot write {}: {e}", path.display())))?;
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            progress.done();
            eprintln!(
                "karte collect: wrote {} ({}, {files} files, readings {} s apart)",
                path.display(),
                human_bytes(size),
                args.interval
            );
            println!("{}", path.display());
        }
    }
    Ok(0)
}

fn human_bytes(n: u64) -> String {
    if n >= 10 << 20 {
        format!("{} MiB", n >> 20)
    } else if n >= 10 << 10 {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// `karte-HOST-YYYYmmdd-HHMMSS.tar.gz` in UTC; the host name is reduced to safe characters.
fn default_name(host: &str, unix: u64) -> PathBuf {
    let safe: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    let (y, mo, d, h, mi, s) = karte_snapshot::time::utc_parts(unix as i64);
    PathBuf::from(format!(
        "karte-{safe}-{y:04}{mo:02}{d:02}-{h:02}{mi:02}{s:02}.tar.gz"
    ))
}
