//! `karte events`: the kernel log as events (OOM kills, hung tasks, link changes, hardware and
//! I/O errors), from this host's `/dev/kmsg` or from saved logs in any format.
//!
//! Files are streamed in chunks through [`karte_kmsg::Parser`] — a 5 GB log costs the same
//! memory as a small one — and gzip-compressed files (`kern.log.2.gz`) are read as they are.
//! Several `--input` files are read in the order given through one parser, so a report split
//! across a rotation (`kern.log.1` then `kern.log`) is still one report. The live log is read
//! without running `dmesg` or `journalctl`.

use super::{CliError, CmdResult};
use karte_kmsg::{Event, Options, Parser};
use karte_source::kmsg_device::{KmsgDevice, KmsgRead};
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Kernel log to read: dmesg, journalctl, syslog, kern.log, raw /dev/kmsg, vmcore-dmesg.txt,
    /// a pasted mail... (`-` for standard input; .gz is decompressed). Repeat for several files.
    /// Without it: this host's /dev/kmsg.
    #[arg(long, short = 'i', value_name = "FILE")]
    pub input: Vec<PathBuf>,
    /// Keep reading as the log grows (live: new kernel records; files: lines appended to the
    /// last one)
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Output format: text for people, json for one object a line
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Page size in bytes of the machine that wrote the log (OOM task tables count pages):
    /// default this host's for the live log, 4096 for files
    #[arg(long, value_name = "BYTES")]
    pub page_size: Option<u32>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// How long `--follow` waits before emitting what it holds for a possible continuation line.
const IDLE: Duration = Duration::from_millis(500);
/// Size of the reads from a file.
const CHUNK: usize = 1 << 20;

pub fn run(args: Args) -> CmdResult {
    if args
        .page_size
        .is_some_and(|p| p < 1024 || !p.is_power_of_two())
    {
        return Err(CliError::with_code(
            "--page-size: expected a power of two of at least 1024 (4096, 16384, 65536)",
            2,
        ));
    }
    let stdout = io::stdout();
    let mut out = Sink {
        w: BufWriter::with_capacity(64 * 1024, stdout.lock()),
        format: args.format,
        events: 0,
        live: args.follow || args.input.is_empty(),
    };
    let result = if args.input.is_empty() {
        live(&args, &mut out)
    } else {
        files(&args, &mut out)
    };
    let flushed = out.w.flush();
    match result {
        Err(e) if e.message == BROKEN_PIPE => return Ok(0),
        Err(e) => return Err(e),
        Ok(bytes) => {
            if let Err(e) = flushed {
                if e.kind() == io::ErrorKind::BrokenPipe {
                    return Ok(0);
                }
                return Err(e.into());
            }
            if out.events == 0 && args.format == Format::Text {
                eprintln!("karte: no kernel events found ({bytes} bytes read)");
            }
        }
    }
    Ok(0)
}

/// Marker message for "the reader went away" (`karte events | head`): not an error.
const BROKEN_PIPE: &str = "\u{0}broken pipe";

struct Sink<W: Write> {
    w: W,
    format: Format,
    events: u64,
    /// Flush after each batch so that a follower sees events as they come.
    live: bool,
}

impl<W: Write> Sink<W> {
    fn drain(&mut self, p: &mut Parser) -> Result<(), CliError> {
        let mut any = false;
        while let Some(e) = p.next_event() {
            self.write(&e).map_err(write_error)?;
            any = true;
        }
        if any && self.live {
            self.w.flush().map_err(write_error)?;
        }
        Ok(())
    }

    fn write(&mut self, e: &Event) -> io::Result<()> {
        self.events += 1;
        match self.format {
            Format::Json => {
                serde_json::to_writer(&mut self.w, e).map_err(io::Error::other)?;
                self.w.write_all(b"\n")
            }
            Format::Text => {
                let st = e.stamp();
                let when = match (&st.time, st.uptime_s) {
                    (Some(t), _) => t.clone(),
                    (None, Some(u)) => format!("[{u:>12.6}]"),
                    (None, None) => "-".to_string(),
                };
                writeln!(self.w, "{when:<26} {:<18} {}", e.kind(), e.summary())?;
                for d in e.details() {
                    writeln!(self.w, "{:<26} {:<18}   {d}", "", "")?;
                }
                Ok(())
            }
        }
    }
}

fn write_error(e: io::Error) -> CliError {
    if e.kind() == io::ErrorKind::BrokenPipe {
        CliError::new(BROKEN_PIPE)
    } else {
        CliError::new(format!("writing the output: {e}"))
    }
}

/// Saved logs, in the order given. Returns the bytes read.
fn files<W: Write>(args: &Args, out: &mut Sink<W>) -> Result<u64, CliError> {
    // Open everything first: an unreadable file is reported before any output.
    let mut inputs = Vec::with_capacity(args.input.len());
    for path in &args.input {
        inputs.push(open_input(path)?);
    }
    let opts = Options {
        page_size: args.page_size.unwrap_or(4096),
        ..Options::default()
    };
    let mut parser = Parser::new(opts);
    let mut buf = vec![0u8; CHUNK];
    let last = inputs.len().saturating_sub(1);
    for (i, input) in inputs.into_iter().enumerate() {
        let follow_this = args.follow && i == last;
        let mut last_byte = b'\n';
        let mut reader = input.reader;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(CliError::new(format!("reading {}: {e}", input.name)));
                }
            };
            if n == 0 {
                if follow_this && input.followable {
                    parser.flush();
                    out.drain(&mut parser)?;
                    std::thread::sleep(IDLE);
                    continue;
                }
                break;
            }
            last_byte = buf[n - 1];
            parser.feed(&buf[..n]);
            out.drain(&mut parser)?;
        }
        // A file's last line ends with the file, even without a line feed.
        if last_byte != b'\n' {
            parser.feed(b"\n");
        }
    }
    parser.finish();
    out.drain(&mut parser)?;
    Ok(parser.stats().bytes)
}

struct Input {
    name: String,
    reader: Box<dyn Read>,
    /// A regular file can grow (`--follow`); stdin is followed by reading it to its end.
    followable: bool,
}

fn open_input(path: &Path) -> Result<Input, CliError> {
    if path == Path::new("-") {
        return Ok(Input {
            name: "standard input".to_string(),
            reader: Box::new(io::stdin()),
            followable: false,
        });
    }
    let name = path.display().to_string();
    let cannot = |why: String| CliError::new(format!("cannot read {name}: {why}"));
    let mut file = File::open(path).map_err(|e| cannot(e.to_string()))?;
    let meta = file.metadata().map_err(|e| cannot(e.to_string()))?;
    if meta.is_dir() {
        return Err(cannot("it is a directory".to_string()));
    }
    // gzip (rotated logs): by content, not by name
    let mut magic = [0u8; 2];
    let got = read_full(&mut file, &mut magic).map_err(|e| cannot(e.to_string()))?;
    let head = io::Cursor::new(magic[..got].to_vec());
    let is_gzip = got == 2 && magic == [0x1f, 0x8b];
    let reader: Box<dyn Read> = if is_gzip {
        Box::new(flate2::read::MultiGzDecoder::new(head.chain(file)))
    } else {
        Box::new(head.chain(file))
    };
    Ok(Input {
        name,
        reader,
        followable: meta.is_file() && !is_gzip,
    })
}

fn read_full(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match f.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// This host's `/dev/kmsg`: every record there is, then (`--follow`) new ones as they come.
fn live<W: Write>(args: &Args, out: &mut Sink<W>) -> Result<u64, CliError> {
    let mut dev = KmsgDevice::open().map_err(|e| CliError::new(e.to_string()))?;
    let root = karte_source::Root::live();
    let boot_time_unix = root
        .read_string("proc/stat")
        .ok()
        .and_then(|t| karte_procfs::stat::parse(&t).btime_secs)
        .map(|s| s as f64);
    let page_size = args
        .page_size
        .or(karte_snapshot::ReadOptions::live().page_size_bytes)
        .unwrap_or(4096);
    let mut parser = Parser::new(Options {
        page_size,
        boot_time_unix,
        ..Options::default()
    });
    let mut lost_reported = 0;
    loop {
        // Everything available now.
        loop {
            match dev
                .read_record()
                .map_err(|e| CliError::new(e.to_string()))?
            {
                KmsgRead::Record(r) => parser.feed(r),
                KmsgRead::Gap => {}
                KmsgRead::Empty => break,
            }
            out.drain(&mut parser)?;
        }
        let lost = dev.lost_records();
        if lost > lost_reported {
            eprintln!(
                "karte: {} kernel log records were overwritten before they could be read",
                lost - lost_reported
            );
            lost_reported = lost;
        }
        if !args.follow {
            break;
        }
        // Quiet: emit what waits for a continuation line, then sleep until the kernel writes.
        parser.flush();
        out.drain(&mut parser)?;
        while !dev
            .wait(Duration::from_secs(3600))
            .map_err(|e| CliError::new(format!("waiting for the kernel log: {e}")))?
        {}
        // Let a multi-line report arrive whole before parsing it.
        std::thread::sleep(Duration::from_millis(20));
    }
    parser.finish();
    out.drain(&mut parser)?;
    Ok(parser.stats().bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_lines() {
        let events = karte_kmsg::parse_bytes(
            b"[  5.000001] e1000e: eth0 NIC Link is Down\n",
            &Options::default(),
        );
        let mut out = Sink {
            w: Vec::new(),
            format: Format::Text,
            events: 0,
            live: false,
        };
        for e in &events {
            out.write(e).expect("write");
        }
        let s = String::from_utf8(out.w).expect("utf8");
        assert!(s.starts_with("[    5.000001]"), "{s}");
        assert!(s.contains("link_down"), "{s}");
        assert!(s.contains("eth0 link down"), "{s}");
    }

    #[test]
    fn unreadable_file_is_a_clear_error() {
        let e = open_input(Path::new("/nonexistent/kern.log"))
            .err()
            .expect("error");
        assert!(
            e.message.contains("cannot read /nonexistent/kern.log"),
            "{}",
            e.message
        );
        let e = open_input(Path::new("/")).err().expect("error");
        assert!(e.message.contains("directory"), "{}", e.message);
    }
}
