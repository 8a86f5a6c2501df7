//! The streaming parser: bytes in, [`Event`]s out, no IO.

use crate::envelope::{Envelope, Line, classify};
use crate::event::{Event, HungTask, Mce, RcuStall, Stamp};
use crate::hw::{self, McLine};
use crate::oom::{Assembled, Assembler};
use crate::task::{self, Hung};
use crate::time::format_unix;
use crate::userspace::{self, EarlyoomState};
use crate::{disk, net, oom, prefilter};
use std::collections::{HashSet, VecDeque};

/// Longest line kept, in bytes. Kernel records are at most about 1 KiB (8 KiB with their
/// dictionary); anything longer is not a kernel line and is cut here so that a 1 GB line costs
/// no more memory than this.
pub const MAX_LINE: usize = 64 * 1024;

/// Lines a multi-line record (RCU stall, machine check, wrapped hung task) may stay open.
const PENDING_LINES: u32 = 300;

/// How many hung tasks are remembered per boot for removing repeats.
const HUNG_MEMORY: usize = 4096;

/// What the parser needs to know that the log does not say.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Page size of the machine that wrote the log, in bytes: OOM task tables and `Mem-Info`
    /// counters are in pages. 4096 on x86-64; 16384 or 65536 on some arm64 and ppc64 kernels.
    pub page_size: u32,
    /// Boot time of the machine, seconds since the epoch (`btime` of `/proc/stat`): set it when
    /// reading the live `/dev/kmsg`, whose records only carry seconds since boot, to get
    /// wall-clock times. Leave `None` for files: their boot time is not known.
    pub boot_time_unix: Option<f64>,
    /// Skip lines that contain none of the keywords of [`KEYWORDS`](crate::KEYWORDS) without
    /// parsing them (the fast path). Turning it off gives the same events, slower; the tests do
    /// that to check the keyword list.
    pub prefilter: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            page_size: 4096,
            boot_time_unix: None,
            prefilter: true,
        }
    }
}

/// Counters of what the parser has seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes fed.
    pub bytes: u64,
    /// Lines parsed on the slow path (the rest were skipped by the prefilter unseen).
    pub lines_parsed: u64,
    /// Lines longer than [`MAX_LINE`], cut.
    pub long_lines: u64,
    /// Events produced.
    pub events: u64,
}

/// A multi-line record waiting for its continuation lines.
#[derive(Debug)]
enum Pending {
    Hung(Hung, Stamp, String),
    Rcu(RcuStall),
    Mce(Mce),
}

/// What a line did to a pending record.
enum Cont {
    /// It belonged to it; the record is still pending (`Some`) or was emitted (`None`).
    Taken(Option<Pending>),
    /// It did not: the record is complete.
    Rejected(Pending),
}

/// Direction of the log (for `journalctl -r`), voted from the timestamps of parsed lines.
#[derive(Debug, Default)]
struct Order {
    last: Option<(u8, f64)>,
    backwards: u32,
    forwards: u32,
}

/// A push parser for kernel logs in any format (see the crate documentation).
///
/// Feed it bytes with [`Parser::feed`] (any chunking: it keeps the partial last line) or whole
/// lines with [`Parser::feed_line`], take events with [`Parser::next_event`], and call
/// [`Parser::finish`] at the end of the input so that reports still open (a truncated log) are
/// emitted. On a live source call [`Parser::flush`] when the input goes quiet.
///
/// Memory is bounded whatever the input: one partial line of at most [`MAX_LINE`] bytes, one
/// OOM report reduced to its largest task-table rows, and a few thousand remembered hung tasks.
#[derive(Debug)]
pub struct Parser {
    opts: Options,
    out: VecDeque<Event>,
    partial: Vec<u8>,
    partial_cut: bool,
    scratch: Vec<u8>,
    oom: Assembler,
    oom_out: Vec<Assembled>,
    pending: Option<Pending>,
    pending_lines: u32,
    hung_seen: HashSet<(String, u32)>,
    hung_order: VecDeque<(String, u32)>,
    earlyoom: EarlyoomState,
    order: Order,
    stats: Stats,
}

impl Default for Parser {
    fn default() -> Self {
        Parser::new(Options::default())
    }
}

impl Parser {
    pub fn new(opts: Options) -> Self {
        Parser {
            oom: Assembler::new(opts.page_size),
            opts,
            out: VecDeque::new(),
            partial: Vec::new(),
            partial_cut: false,
            scratch: Vec::new(),
            oom_out: Vec::new(),
            pending: None,
            pending_lines: 0,
            hung_seen: HashSet::new(),
            hung_order: VecDeque::new(),
            earlyoom: EarlyoomState::default(),
            order: Order::default(),
            stats: Stats::default(),
        }
    }

    pub fn options(&self) -> &Options {
        &self.opts
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Bytes held for an incomplete last line (at most [`MAX_LINE`]).
    pub fn buffered_bytes(&self) -> usize {
        self.partial.len()
    }

    /// Events produced and not yet taken.
    pub fn queued_events(&self) -> usize {
        self.out.len()
    }

    /// Feeds a chunk of the log. Chunks may split lines anywhere.
    pub fn feed(&mut self, data: &[u8]) {
        self.stats.bytes += data.len() as u64;
        let mut data = data;
        if !self.partial.is_empty() || self.partial_cut {
            match memchr::memchr(b'\n', data) {
                None => {
                    self.push_partial(data);
                    return;
                }
                Some(nl) => {
                    self.push_partial(&data[..nl]);
                    let line = std::mem::take(&mut self.partial);
                    self.partial_cut = false;
                    self.line_maybe(&line);
                    self.partial = line;
                    self.partial.clear();
                    data = &data[nl + 1..];
                }
            }
        }
        match memchr::memrchr(b'\n', data) {
            Some(last) => {
                self.scan(&data[..=last]);
                self.push_partial(&data[last + 1..]);
            }
            None => self.push_partial(data),
        }
    }

    /// Feeds one line (without its line feed; a trailing `\r` or `\n` is ignored).
    pub fn feed_line(&mut self, line: &[u8]) {
        self.stats.bytes += line.len() as u64 + 1;
        self.line_maybe(line);
    }

    /// The next event, oldest first.
    pub fn next_event(&mut self) -> Option<Event> {
        self.out.pop_front()
    }

    /// All events produced so far.
    pub fn drain(&mut self) -> impl Iterator<Item = Event> + '_ {
        self.out.drain(..)
    }

    /// The input went quiet (live source): emits what is complete but was kept waiting for a
    /// possible continuation line. Open reports stay open.
    pub fn flush(&mut self) {
        if let Some(p) = self.pending.take() {
            self.emit_pending(p);
        }
        self.oom.flush_held(&mut self.oom_out);
        self.drain_oom();
    }

    /// End of input: parses a last line without a line feed and emits everything still open,
    /// marked incomplete where parts are missing.
    pub fn finish(&mut self) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line_maybe(&line);
        }
        self.partial_cut = false;
        if let Some(p) = self.pending.take() {
            self.emit_pending(p);
        }
        self.oom.finish(&mut self.oom_out);
        self.drain_oom();
    }

    /// Whether every line must be parsed (a multi-line record is open).
    fn busy(&self) -> bool {
        self.pending.is_some() || self.oom.busy()
    }

    fn push_partial(&mut self, d: &[u8]) {
        if d.is_empty() {
            return;
        }
        let room = MAX_LINE.saturating_sub(self.partial.len());
        if d.len() > room {
            self.partial.extend_from_slice(&d[..room]);
            if !self.partial_cut {
                self.partial_cut = true;
                self.stats.long_lines += 1;
            }
        } else {
            self.partial.extend_from_slice(d);
        }
    }

    fn line_maybe(&mut self, line: &[u8]) {
        if !self.opts.prefilter || self.busy() || prefilter::is_candidate(line) {
            self.process_line(line);
        }
    }

    /// Complete lines (`buf` ends with a line feed): the prefilter jumps from keyword to
    /// keyword; while a record is open every line is parsed.
    fn scan(&mut self, buf: &[u8]) {
        let mut pos = 0;
        while pos < buf.len() {
            if !self.opts.prefilter || self.busy() {
                let end = memchr::memchr(b'\n', &buf[pos..]).map_or(buf.len(), |i| pos + i);
                self.process_line(&buf[pos..end]);
                pos = end + 1;
                continue;
            }
            let Some(off) = prefilter::find(&buf[pos..]) else {
                break;
            };
            let hit = pos + off;
            let start = memchr::memrchr(b'\n', &buf[pos..hit]).map_or(pos, |i| pos + i + 1);
            let end = memchr::memchr(b'\n', &buf[hit..]).map_or(buf.len(), |i| hit + i);
            self.process_line(&buf[start..end]);
            pos = end + 1;
        }
    }

    fn process_line(&mut self, raw: &[u8]) {
        let raw = if raw.len() > MAX_LINE {
            self.stats.long_lines += 1;
            &raw[..MAX_LINE]
        } else {
            raw
        };
        self.stats.lines_parsed += 1;
        if memchr::memchr(0x1b, raw).is_some() || memchr::memmem::find(raw, b"#01").is_some() {
            let mut buf = std::mem::take(&mut self.scratch);
            buf.clear();
            clean(raw, &mut buf);
            self.process_clean(&buf);
            self.scratch = buf;
        } else {
            self.process_clean(raw);
        }
    }

    fn process_clean(&mut self, line: &[u8]) {
        if line.first() == Some(&b'{') && self.journal_json(line) {
            return;
        }
        match classify(line) {
            Line::Skip => self.other_line(),
            Line::Boot => self.new_boot(),
            Line::Kernel(env) => {
                // A raw /dev/kmsg record keeps a multi-line printk (Mem-Info, memory.stat) in
                // one record with escaped line feeds: take its lines one by one, as dmesg does.
                if memchr::memmem::find(env.msg, b"\\x0a").is_some() {
                    let msg = env.msg;
                    let mut start = 0;
                    let finder = memchr::memmem::Finder::new(b"\\x0a");
                    for at in finder.find_iter(msg).chain(std::iter::once(msg.len())) {
                        let piece = crate::util::trim(&msg[start..at]);
                        start = (at + 4).min(msg.len());
                        if !piece.is_empty() {
                            let part = Envelope { msg: piece, ..env };
                            self.kernel(&part);
                        }
                    }
                } else {
                    self.kernel(&env);
                }
            }
            Line::User(env, tag) => {
                self.other_line();
                self.user(&env, tag);
            }
        }
    }

    /// `journalctl -o json` (one entry a line). Returns false when the line is not one.
    fn journal_json(&mut self, line: &[u8]) -> bool {
        use serde_json::Value;
        let Ok(Value::Object(v)) = serde_json::from_slice::<Value>(line) else {
            return false;
        };
        let message: Vec<u8> = match v.get("MESSAGE") {
            Some(Value::String(s)) => s.as_bytes().to_vec(),
            // binary messages are arrays of bytes
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|x| x.as_u64().and_then(|b| u8::try_from(b).ok()))
                .collect(),
            _ => return false,
        };
        let field = |k: &str| v.get(k).and_then(Value::as_str);
        let micros = |k: &str| field(k).and_then(|s| s.parse::<u64>().ok());
        let kernel =
            field("_TRANSPORT") == Some("kernel") || field("SYSLOG_IDENTIFIER") == Some("kernel");
        let unix_s = micros("__REALTIME_TIMESTAMP").map(|us| us as f64 / 1e6);
        // kernel records carry the kernel's own timestamp (µs since boot)
        let uptime_s = if kernel {
            micros("_SOURCE_MONOTONIC_TIMESTAMP").map(|us| us as f64 / 1e6)
        } else {
            None
        };
        let time = unix_s.map(format_unix);
        let env = Envelope {
            time: time.as_deref().map(str::as_bytes),
            uptime_s,
            unix_s,
            order_key: uptime_s.map(|u| (0, u)).or(unix_s.map(|u| (1, u))),
            msg: b"",
            prefixed: true,
        };
        for piece in message.split(|b| *b == b'\n') {
            let piece = crate::util::trim(piece);
            if piece.is_empty() {
                continue;
            }
            let e = Envelope { msg: piece, ..env };
            if kernel {
                self.kernel(&e);
            } else {
                let tag = field("SYSLOG_IDENTIFIER").unwrap_or("").as_bytes();
                if tag == b"systemd-oomd" || tag == b"earlyoom" {
                    self.user(&e, tag);
                }
                self.other_line();
            }
        }
        true
    }

    /// A line that is not the kernel's (another daemon in a journal).
    fn other_line(&mut self) {
        if self.pending.is_some() {
            self.pending_lines += 1;
            if self.pending_lines > PENDING_LINES
                && let Some(p) = self.pending.take()
            {
                self.emit_pending(p);
            }
        }
        if self.oom.busy() {
            self.oom.line(b"", true, &Stamp::default, &mut self.oom_out);
            self.drain_oom();
        }
    }

    fn new_boot(&mut self) {
        if let Some(p) = self.pending.take() {
            self.emit_pending(p);
        }
        self.oom.finish(&mut self.oom_out);
        self.drain_oom();
        self.oom.new_boot();
        self.hung_seen.clear();
        self.hung_order.clear();
        self.order.last = None;
    }

    fn kernel(&mut self, env: &Envelope<'_>) {
        let msg = env.msg;
        if let Some(p) = self.pending.take() {
            self.pending_lines += 1;
            match self.continue_pending(p, env) {
                Cont::Taken(next) => {
                    self.pending = next;
                    if self.pending_lines > PENDING_LINES
                        && let Some(p) = self.pending.take()
                    {
                        self.emit_pending(p);
                    }
                    return;
                }
                Cont::Rejected(p) => self.emit_pending(p),
            }
        }
        if msg.starts_with(b"Linux version ") {
            self.new_boot();
            return;
        }
        let opts = &self.opts;
        let consumed = self.oom.line(
            msg,
            env.prefixed,
            &|| make_stamp(opts, env),
            &mut self.oom_out,
        );
        if self.order_vote(env.order_key, consumed) {
            self.oom.set_reverse();
        }
        self.drain_oom();
        if consumed || !prefilter::is_candidate(msg) {
            return;
        }
        self.matchers(env);
    }

    fn matchers(&mut self, env: &Envelope<'_>) {
        let msg = env.msg;
        if let Some(r) = oom::reaper(msg) {
            self.emit(Event::OomReaper(r), env);
            return;
        }
        if let Some(h) = task::hung(msg) {
            if h.confirmed && h.secs.is_some() {
                let stamp = make_stamp(&self.opts, env);
                self.emit_hung(h, stamp, crate::util::message(msg));
            } else {
                self.start_pending(Pending::Hung(
                    h,
                    make_stamp(&self.opts, env),
                    crate::util::message(msg),
                ));
            }
            return;
        }
        if let Some(m) = hw::mce_line(msg) {
            match m {
                McLine::Start(mut m) => {
                    m.at = make_stamp(&self.opts, env);
                    self.start_pending(Pending::Mce(m));
                }
                McLine::Single(m) => self.emit(Event::Mce(m), env),
            }
            return;
        }
        if let Some(e) = hw::edac(msg) {
            self.emit(e, env);
            return;
        }
        if let Some(mut r) = task::rcu_stall(msg) {
            r.at = make_stamp(&self.opts, env);
            self.start_pending(Pending::Rcu(r));
            return;
        }
        let single = task::soft_lockup(msg)
            .or_else(|| task::hard_lockup(msg))
            .or_else(|| net::duplicate_address(msg))
            .or_else(|| net::link(msg))
            .or_else(|| disk::io_error(msg))
            .or_else(|| task::segfault(msg));
        if let Some(e) = single {
            self.emit(e, env);
        }
    }

    fn user(&mut self, env: &Envelope<'_>, tag: &[u8]) {
        let ev = match tag {
            b"systemd-oomd" => userspace::systemd_oomd(env.msg),
            b"earlyoom" => userspace::earlyoom(env.msg, &mut self.earlyoom),
            _ => None,
        };
        if let Some(e) = ev {
            self.emit(Event::UserspaceOomKill(e), env);
        }
    }

    fn start_pending(&mut self, p: Pending) {
        self.pending = Some(p);
        self.pending_lines = 0;
    }

    /// Whether the line belonged to the pending record.
    fn continue_pending(&mut self, p: Pending, env: &Envelope<'_>) -> Cont {
        let msg = env.msg;
        match p {
            Pending::Hung(mut h, st, text) => {
                let mut merged = task::hung_cont(&mut h, msg);
                if !merged
                    && let Some(h2) = task::hung(msg)
                    && h2.comm == h.comm
                    && h2.pid == h.pid
                {
                    // the same report again (an interleaved copy): keep what it adds
                    h.confirmed |= h2.confirmed;
                    h.secs = h.secs.or(h2.secs);
                    merged = true;
                }
                if !merged {
                    return Cont::Rejected(Pending::Hung(h, st, text));
                }
                if h.confirmed && h.secs.is_some() {
                    self.emit_hung(h, st, text);
                    Cont::Taken(None)
                } else {
                    Cont::Taken(Some(Pending::Hung(h, st, text)))
                }
            }
            Pending::Rcu(mut r) => {
                if task::rcu_cont(&mut r, msg) {
                    Cont::Taken(Some(Pending::Rcu(r)))
                } else {
                    Cont::Rejected(Pending::Rcu(r))
                }
            }
            Pending::Mce(mut m) => {
                if crate::util::contains(msg, b"Machine check events logged")
                    || hw::mce_cont(&mut m, msg)
                {
                    Cont::Taken(Some(Pending::Mce(m)))
                } else {
                    Cont::Rejected(Pending::Mce(m))
                }
            }
        }
    }

    fn emit_pending(&mut self, p: Pending) {
        match p {
            Pending::Hung(h, st, text) => {
                if h.confirmed {
                    self.emit_hung(h, st, text);
                }
            }
            Pending::Rcu(r) => self.push(Event::RcuStall(r)),
            Pending::Mce(m) => self.push(Event::Mce(m)),
        }
    }

    /// A hung task, once per task and boot: the kernel repeats the report every check
    /// interval while the task stays blocked, and copies of a log repeat it too.
    fn emit_hung(&mut self, h: Hung, at: Stamp, message: String) {
        let key = (h.comm.clone(), h.pid);
        if self.hung_seen.contains(&key) {
            return;
        }
        if self.hung_order.len() >= HUNG_MEMORY
            && let Some(old) = self.hung_order.pop_front()
        {
            self.hung_seen.remove(&old);
        }
        self.hung_seen.insert(key.clone());
        self.hung_order.push_back(key);
        self.push(Event::HungTask(HungTask {
            at,
            pid: Some(h.pid),
            comm: Some(h.comm),
            blocked_secs: h.secs,
            message,
        }));
    }

    fn emit(&mut self, mut e: Event, env: &Envelope<'_>) {
        *e.stamp_mut() = make_stamp(&self.opts, env);
        self.push(e);
    }

    fn push(&mut self, e: Event) {
        self.stats.events += 1;
        self.out.push_back(e);
    }

    fn drain_oom(&mut self) {
        if self.oom_out.is_empty() {
            return;
        }
        let done = std::mem::take(&mut self.oom_out);
        for a in done {
            let e = match a {
                Assembled::Kill(k) => Event::OomKill(*k),
                Assembled::Panic(k) => Event::OomPanic(*k),
            };
            self.push(e);
        }
    }

    /// Votes on the direction of the log from lines that mattered. Returns true once the log
    /// clearly runs backwards.
    fn order_vote(&mut self, key: Option<(u8, f64)>, mattered: bool) -> bool {
        let Some((kind, v)) = key else {
            return false;
        };
        if !mattered {
            return false;
        }
        if let Some((lk, lv)) = self.order.last
            && lk == kind
        {
            if v < lv - 1e-3 {
                self.order.backwards += 1;
            } else if v > lv + 1e-3 {
                self.order.forwards += 1;
            }
        }
        self.order.last = Some((kind, v));
        self.order.backwards >= 3 && self.order.backwards > 3 * self.order.forwards
    }
}

/// The event time from a line's envelope; on a live host (boot time known) a record with only
/// an uptime gets a wall-clock time.
fn make_stamp(opts: &Options, env: &Envelope<'_>) -> Stamp {
    let mut s = Stamp {
        time: env.time.map(|t| String::from_utf8_lossy(t).into_owned()),
        uptime_s: env.uptime_s,
        unix_s: env.unix_s,
    };
    if s.time.is_none()
        && s.unix_s.is_none()
        && let (Some(bt), Some(up)) = (opts.boot_time_unix, env.uptime_s)
    {
        let u = bt + up;
        s.unix_s = Some((u * 1e6).round() / 1e6);
        s.time = Some(format_unix(u));
    }
    s
}

/// Removes `ESC [ ... letter` sequences (`dmesg --color=always` pasted as is) and turns
/// rsyslog's escapes of control characters (`#011` tab, `#012` line feed, `#015` carriage
/// return, as in RHEL's `/var/log/messages`) into spaces.
fn clean(s: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < s.len() {
        if s[i] == 0x1b {
            if s.get(i + 1) == Some(&b'[') {
                let mut j = i + 2;
                while j < s.len() && !(s[j].is_ascii_alphabetic()) {
                    j += 1;
                }
                i = j + 1;
                continue;
            }
            i += 1;
            continue;
        }
        if s[i] == b'#' && matches!(s.get(i + 1..i + 4), Some(b"011" | b"012" | b"015")) {
            out.push(b' ');
            i += 4;
            continue;
        }
        out.push(s[i]);
        i += 1;
    }
}
