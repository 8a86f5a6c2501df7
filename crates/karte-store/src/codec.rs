//! The chunk codecs: host series and process tables, each a column transform followed by zstd.
//!
//! Every value karte records is an integer: counters and gauges as the kernel prints them, and
//! the few decimals it prints (load averages, PSI averages, uptime) scaled to integers exactly as
//! printed. So no floating-point trick (Gorilla's XOR) is needed; what matters is turning slowly
//! moving counters into small numbers and letting an entropy coder squeeze those:
//!
//! * **host chunk**: for each series, the values of the chunk's samples as one column; the column
//!   is stored as the values themselves, their deltas or their deltas of deltas (whichever has the
//!   smallest magnitudes — Gorilla's delta-of-delta where it helps, plain deltas for counters
//!   with irregular rates, raw values for gauges that jump), zigzag-mapped to unsigned varints.
//! * **process chunk**: one row per process per sample; every field of a row is stored as the
//!   difference to the same process (same pid) in the previous sample, so a process that did
//!   nothing costs zeros; rows are laid out column by column over the whole chunk.
//!
//! The byte stream is then compressed with zstd, which turns runs of zeros and repeated patterns
//! into almost nothing. Decoders never trust the input: every count and length is checked
//! against what is left, decompression is bounded, and any inconsistency is an error, never a
//! panic (fuzzed with proptest in `tests/fuzz.rs`).

use std::fmt;

/// Why stored bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "corrupt chunk: {}", self.0)
    }
}

impl std::error::Error for DecodeError {}

fn err<T>(what: &str) -> Result<T, DecodeError> {
    Err(DecodeError(what.to_string()))
}

/// Largest decompressed chunk accepted (a hostile file must not make karte allocate gigabytes).
pub const MAX_RAW_CHUNK: usize = 256 << 20;
/// Largest number of samples or rows a chunk may claim.
const MAX_SAMPLES: usize = 1 << 20;
const MAX_ROWS: usize = 1 << 26;

const HOST_MAGIC: u8 = 0xA1;
const PROC_MAGIC: u8 = 0xB1;

// ---------------------------------------------------------------- varints

pub(crate) fn put_uvar(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub(crate) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub(crate) fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// A bounds-checked reader over bytes.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub(crate) fn uvar(&mut self) -> Result<u64, DecodeError> {
        let mut v: u64 = 0;
        let mut shift = 0u32;
        loop {
            let Some(&b) = self.buf.get(self.pos) else {
                return err("truncated varint");
            };
            self.pos += 1;
            if shift == 63 && b > 1 {
                return err("varint overflows 64 bits");
            }
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
            if shift > 63 {
                return err("varint too long");
            }
        }
    }

    pub(crate) fn count(&mut self, max: usize, what: &str) -> Result<usize, DecodeError> {
        let v = self.uvar()?;
        usize::try_from(v)
            .ok()
            .filter(|n| *n <= max)
            .map_or_else(|| err(&format!("{what} count {v} out of range")), Ok)
    }

    pub(crate) fn byte(&mut self) -> Result<u8, DecodeError> {
        let Some(&b) = self.buf.get(self.pos) else {
            return err("truncated");
        };
        self.pos += 1;
        Ok(b)
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.buf.len());
        let Some(end) = end else {
            return err("truncated block");
        };
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn done(&self) -> bool {
        self.pos == self.buf.len()
    }
}

// ---------------------------------------------------------------- compression

/// zstd level for sealed chunks (written once an hour or so: worth a strong level) and for the
/// per-sample rows written before a chunk is sealed (written every interval: cheap level).
pub const SEALED_LEVEL: i32 = 12;
pub const HEAD_LEVEL: i32 = 3;

pub fn compress(raw: &[u8], level: i32) -> Vec<u8> {
    // zstd only fails on allocation failure or a bad level; keep the raw bytes with a marker
    // then rather than lose the sample.
    match zstd::bulk::compress(raw, level) {
        Ok(mut c) => {
            c.insert(0, 1);
            c
        }
        Err(_) => {
            let mut c = Vec::with_capacity(raw.len() + 1);
            c.push(0);
            c.extend_from_slice(raw);
            c
        }
    }
}

pub fn decompress(data: &[u8]) -> Result<Vec<u8>, DecodeError> {
    match data.split_first() {
        Some((0, raw)) => Ok(raw.to_vec()),
        Some((1, z)) => {
            // The frame header says how large the content is; refuse absurd claims before
            // allocating.
            let size = zstd::zstd_safe::get_frame_content_size(z)
                .map_err(|_| DecodeError("not a zstd frame".into()))?;
            let cap = match size {
                Some(s) if s as usize <= MAX_RAW_CHUNK => s as usize,
                Some(_) => return err("chunk claims to be too large"),
                None => MAX_RAW_CHUNK,
            };
            zstd::bulk::decompress(z, cap).map_err(|e| DecodeError(format!("zstd: {e}")))
        }
        Some(_) => err("unknown compression"),
        None => err("empty"),
    }
}

// ---------------------------------------------------------------- columns

/// How a column of integers is stored.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Order {
    Raw = 0,
    Delta = 1,
    DeltaOfDelta = 2,
}

fn residuals(vals: &[u64], order: Order) -> impl Iterator<Item = u64> + '_ {
    vals.iter().enumerate().map(move |(i, &v)| {
        let p1 = if i >= 1 { vals[i - 1] } else { 0 };
        let p2 = if i >= 2 { vals[i - 2] } else { 0 };
        let pred = match order {
            Order::Raw => 0,
            Order::Delta => p1,
            // Predict the same step as last time.
            Order::DeltaOfDelta if i >= 2 => p1.wrapping_add(p1.wrapping_sub(p2)),
            Order::DeltaOfDelta => p1,
        };
        zigzag(v.wrapping_sub(pred) as i64)
    })
}

fn cost(vals: &[u64], order: Order) -> u64 {
    residuals(vals, order)
        .map(|r| u64::from(64 - r.leading_zeros()))
        .sum()
}

fn put_column(out: &mut Vec<u8>, vals: &[u64]) {
    let mut best = Order::Raw;
    let mut best_cost = cost(vals, Order::Raw);
    for o in [Order::Delta, Order::DeltaOfDelta] {
        let c = cost(vals, o);
        if c < best_cost {
            best = o;
            best_cost = c;
        }
    }
    out.push(best as u8);
    for r in residuals(vals, best) {
        put_uvar(out, r);
    }
}

fn get_column(r: &mut Reader, n: usize, out: &mut Vec<u64>) -> Result<(), DecodeError> {
    let order = match r.byte()? {
        0 => Order::Raw,
        1 => Order::Delta,
        2 => Order::DeltaOfDelta,
        _ => return err("unknown column order"),
    };
    let start = out.len();
    for i in 0..n {
        let res = unzigzag(r.uvar()?) as u64;
        let p1 = if i >= 1 { out[start + i - 1] } else { 0 };
        let p2 = if i >= 2 { out[start + i - 2] } else { 0 };
        let pred = match order {
            Order::Raw => 0,
            Order::Delta => p1,
            Order::DeltaOfDelta if i >= 2 => p1.wrapping_add(p1.wrapping_sub(p2)),
            Order::DeltaOfDelta => p1,
        };
        out.push(pred.wrapping_add(res));
    }
    Ok(())
}

// ---------------------------------------------------------------- host chunks

/// One sample's host values: `(series id, value)`, sorted by series id, ids unique.
pub type HostValues = Vec<(u32, u64)>;

/// Encodes the host values of consecutive samples (uncompressed; see [`compress`]).
///
/// Layout: magic, samples, series; then per series (ascending id): id delta, a presence flag
/// (0: in every sample; 1: a bitmap follows), the bitmap, and the column of present values.
pub fn encode_host(samples: &[HostValues]) -> Vec<u8> {
    let mut ids: Vec<u32> = samples
        .iter()
        .flat_map(|s| s.iter().map(|(id, _)| *id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::with_capacity(16 + ids.len() * (samples.len() + 4));
    out.push(HOST_MAGIC);
    put_uvar(&mut out, samples.len() as u64);
    put_uvar(&mut out, ids.len() as u64);
    // A cursor into each sample (values are sorted by id).
    let mut cur = vec![0usize; samples.len()];
    let mut prev_id = 0u32;
    let mut vals = Vec::with_capacity(samples.len());
    let mut present = vec![false; samples.len()];
    for (k, &id) in ids.iter().enumerate() {
        vals.clear();
        for (i, s) in samples.iter().enumerate() {
            while cur[i] < s.len() && s[cur[i]].0 < id {
                cur[i] += 1;
            }
            present[i] = cur[i] < s.len() && s[cur[i]].0 == id;
            if present[i] {
                vals.push(s[cur[i]].1);
            }
        }
        put_uvar(&mut out, u64::from(if k == 0 { id } else { id - prev_id }));
        prev_id = id;
        if vals.len() == samples.len() {
            out.push(0);
        } else {
            out.push(1);
            let mut byte = 0u8;
            for (i, p) in present.iter().enumerate() {
                if *p {
                    byte |= 1 << (i % 8);
                }
                if i % 8 == 7 {
                    out.push(byte);
                    byte = 0;
                }
            }
            if !samples.len().is_multiple_of(8) {
                out.push(byte);
            }
        }
        put_column(&mut out, &vals);
    }
    out
}

/// Decodes [`encode_host`]'s bytes. With `only`, keeps just those series (sorted ids).
pub fn decode_host(raw: &[u8], only: Option<&[u32]>) -> Result<Vec<HostValues>, DecodeError> {
    let mut r = Reader::new(raw);
    if r.byte()? != HOST_MAGIC {
        return err("not a host chunk");
    }
    let n = r.count(MAX_SAMPLES, "sample")?;
    // Each series needs at least 3 bytes, which bounds the count by the input.
    let nser = r.count(r.remaining() / 3 + 1, "series")?;
    let mut out: Vec<HostValues> = vec![Vec::new(); n];
    let mut id: u64 = 0;
    let mut vals = Vec::with_capacity(n);
    let mut present = vec![true; n];
    for k in 0..nser {
        let d = r.uvar()?;
        if k > 0 && d == 0 {
            return err("series ids not increasing");
        }
        id = id
            .checked_add(d)
            .filter(|v| *v <= u64::from(u32::MAX))
            .map_or_else(|| err("series id out of range"), Ok)?;
        let count = match r.byte()? {
            0 => {
                present.iter_mut().for_each(|p| *p = true);
                n
            }
            1 => {
                let bm = r.bytes(n.div_ceil(8))?;
                let mut c = 0;
                for (i, p) in present.iter_mut().enumerate() {
                    *p = bm[i / 8] & (1 << (i % 8)) != 0;
                    c += usize::from(*p);
                }
                c
            }
            _ => return err("bad presence flag"),
        };
        if count > r.remaining() {
            return err("column longer than the chunk");
        }
        vals.clear();
        get_column(&mut r, count, &mut vals)?;
        let keep = only.is_none_or(|o| o.binary_search(&(id as u32)).is_ok());
        if keep {
            let mut it = vals.iter();
            for (i, p) in present.iter().enumerate() {
                if *p && let Some(v) = it.next() {
                    out[i].push((id as u32, *v));
                }
            }
        }
    }
    if !r.done() {
        return err("trailing bytes");
    }
    Ok(out)
}

// ---------------------------------------------------------------- process chunks

/// One process in one sample, as stored. Optional fields use the `present` bit mask.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcRow {
    pub pid: u32,
    pub ppid: u32,
    /// The state letter as a char code.
    pub state: u32,
    pub nice: i64,
    pub priority: i64,
    pub flags: u64,
    pub starttime_ticks: u64,
    pub utime_ticks: u64,
    pub stime_ticks: u64,
    pub minflt: u64,
    pub majflt: u64,
    pub num_threads: u64,
    pub vsize_bytes: u64,
    pub rss_pages: u64,
    /// String ids (see the `strings` table); 0 means none.
    pub comm: u64,
    pub cmdline: u64,
    pub wchan: u64,
    pub cgroup: u64,
    pub cgroup_v1: u64,
    /// Bits of [`OPT_FIELDS`]: which optional fields below are known.
    pub present: u64,
    pub processor: u64,
    pub uid: u64,
    pub vm_rss_kb: u64,
    pub vm_swap_kb: u64,
    pub rss_anon_kb: u64,
    pub oom_score: i64,
    pub oom_score_adj: i64,
    pub blkio_ticks: u64,
}

/// Bits of [`ProcRow::present`].
pub mod opt {
    pub const PROCESSOR: u64 = 1;
    pub const UID: u64 = 1 << 1;
    pub const VM_RSS: u64 = 1 << 2;
    pub const VM_SWAP: u64 = 1 << 3;
    pub const RSS_ANON: u64 = 1 << 4;
    pub const OOM_SCORE: u64 = 1 << 5;
    pub const OOM_SCORE_ADJ: u64 = 1 << 6;
    pub const BLKIO: u64 = 1 << 7;
    /// The status file was read (kernel threads and unreadable processes have none).
    pub const STATUS: u64 = 1 << 8;
    /// The cmdline was read (`cmdline` 0 then means an empty one).
    pub const CMDLINE: u64 = 1 << 9;
    /// The cgroup file was read.
    pub const CGROUP: u64 = 1 << 10;
}

/// The fields after `pid`, in column order, as getters and setters over u64 (signed fields are
/// stored as their two's complement; deltas wrap, so any value round-trips).
type Get = fn(&ProcRow) -> u64;
type Set = fn(&mut ProcRow, u64);
const FIELDS: [(Get, Set); 27] = [
    (|r| u64::from(r.ppid), |r, v| r.ppid = v as u32),
    (|r| u64::from(r.state), |r, v| r.state = v as u32),
    (|r| r.nice as u64, |r, v| r.nice = v as i64),
    (|r| r.priority as u64, |r, v| r.priority = v as i64),
    (|r| r.flags, |r, v| r.flags = v),
    (|r| r.starttime_ticks, |r, v| r.starttime_ticks = v),
    (|r| r.utime_ticks, |r, v| r.utime_ticks = v),
    (|r| r.stime_ticks, |r, v| r.stime_ticks = v),
    (|r| r.minflt, |r, v| r.minflt = v),
    (|r| r.majflt, |r, v| r.majflt = v),
    (|r| r.num_threads, |r, v| r.num_threads = v),
    (|r| r.vsize_bytes, |r, v| r.vsize_bytes = v),
    (|r| r.rss_pages, |r, v| r.rss_pages = v),
    (|r| r.comm, |r, v| r.comm = v),
    (|r| r.cmdline, |r, v| r.cmdline = v),
    (|r| r.wchan, |r, v| r.wchan = v),
    (|r| r.cgroup, |r, v| r.cgroup = v),
    (|r| r.cgroup_v1, |r, v| r.cgroup_v1 = v),
    (|r| r.present, |r, v| r.present = v),
    (|r| r.processor, |r, v| r.processor = v),
    (|r| r.uid, |r, v| r.uid = v),
    (|r| r.vm_rss_kb, |r, v| r.vm_rss_kb = v),
    (|r| r.vm_swap_kb, |r, v| r.vm_swap_kb = v),
    (|r| r.rss_anon_kb, |r, v| r.rss_anon_kb = v),
    (|r| r.oom_score as u64, |r, v| r.oom_score = v as i64),
    (
        |r| r.oom_score_adj as u64,
        |r, v| r.oom_score_adj = v as i64,
    ),
    (|r| r.blkio_ticks, |r, v| r.blkio_ticks = v),
];

/// Encodes the process tables of consecutive samples (each sorted by pid, pids unique).
///
/// Layout: magic, samples, rows per sample; the pid column (difference to the previous row of the
/// same sample); then for every other field a length-prefixed column of the difference to the
/// same pid in the previous sample (to zero when the pid is new).
pub fn encode_procs(samples: &[Vec<ProcRow>]) -> Vec<u8> {
    let rows: usize = samples.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(16 + rows * 8);
    out.push(PROC_MAGIC);
    put_uvar(&mut out, samples.len() as u64);
    for s in samples {
        put_uvar(&mut out, s.len() as u64);
    }
    for s in samples {
        let mut prev = 0u32;
        for r in s {
            put_uvar(&mut out, u64::from(r.pid.wrapping_sub(prev)));
            prev = r.pid;
        }
    }
    // The predecessor of each row: its index in the previous sample.
    let mut preds: Vec<Option<&ProcRow>> = Vec::with_capacity(rows);
    for (i, s) in samples.iter().enumerate() {
        for r in s {
            let p = if i == 0 {
                None
            } else {
                let ps = &samples[i - 1];
                ps.binary_search_by_key(&r.pid, |x| x.pid)
                    .ok()
                    .map(|k| &ps[k])
            };
            preds.push(p);
        }
    }
    let mut col = Vec::new();
    for (get, _) in FIELDS {
        col.clear();
        for (r, p) in samples.iter().flatten().zip(&preds) {
            let base = p.map_or(0, get);
            put_uvar(&mut col, zigzag(get(r).wrapping_sub(base) as i64));
        }
        put_uvar(&mut out, col.len() as u64);
        out.extend_from_slice(&col);
    }
    out
}

/// Decodes [`encode_procs`]'s bytes.
pub fn decode_procs(raw: &[u8]) -> Result<Vec<Vec<ProcRow>>, DecodeError> {
    let mut r = Reader::new(raw);
    if r.byte()? != PROC_MAGIC {
        return err("not a process chunk");
    }
    let n = r.count(MAX_SAMPLES.min(r.remaining()), "sample")?;
    let mut counts = Vec::with_capacity(n);
    let mut total = 0usize;
    for _ in 0..n {
        let c = r.count(MAX_ROWS, "row")?;
        total = total
            .checked_add(c)
            .filter(|t| *t <= MAX_ROWS)
            .map_or_else(|| err("too many rows"), Ok)?;
        counts.push(c);
    }
    // Every row needs at least one byte per column.
    if total > r.remaining() {
        return err("more rows than bytes");
    }
    let mut samples: Vec<Vec<ProcRow>> = Vec::with_capacity(n);
    for &c in &counts {
        let mut s = Vec::with_capacity(c);
        let mut pid = 0u32;
        for k in 0..c {
            let d = u32::try_from(r.uvar()?)
                .map_err(|_| DecodeError("pid delta out of range".into()))?;
            if k > 0 && d == 0 {
                return err("pids not increasing");
            }
            pid = pid
                .checked_add(d)
                .map_or_else(|| err("pid out of range"), Ok)?;
            s.push(ProcRow {
                pid,
                ..ProcRow::default()
            });
        }
        samples.push(s);
    }
    // Predecessor indexes, as the encoder chose them.
    let mut preds: Vec<Option<(usize, usize)>> = Vec::with_capacity(total);
    for i in 0..samples.len() {
        for k in 0..samples[i].len() {
            let p = if i == 0 {
                None
            } else {
                let pid = samples[i][k].pid;
                samples[i - 1]
                    .binary_search_by_key(&pid, |x| x.pid)
                    .ok()
                    .map(|j| (i - 1, j))
            };
            preds.push(p);
        }
    }
    for (get, set) in FIELDS {
        let len = r.count(r.remaining(), "column length")?;
        let mut c = Reader::new(r.bytes(len)?);
        let mut idx = 0usize;
        for i in 0..samples.len() {
            for k in 0..samples[i].len() {
                let res = unzigzag(c.uvar()?) as u64;
                let base = match preds[idx] {
                    Some((pi, pk)) => get(&samples[pi][pk]),
                    None => 0,
                };
                set(&mut samples[i][k], base.wrapping_add(res));
                idx += 1;
            }
        }
        if !c.done() {
            return err("column has trailing bytes");
        }
    }
    if !r.done() {
        return err("trailing bytes");
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_zigzag() {
        for v in [0u64, 1, 127, 128, 300, u64::MAX, u64::MAX - 1, 1 << 63] {
            let mut b = Vec::new();
            put_uvar(&mut b, v);
            assert_eq!(Reader::new(&b).uvar(), Ok(v));
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
        assert!(Reader::new(&[0xff; 11]).uvar().is_err());
        assert!(Reader::new(&[0x80]).uvar().is_err());
    }

    #[test]
    fn host_roundtrip_with_gaps() {
        let s = vec![
            vec![(1, 10), (2, 100), (7, u64::MAX)],
            vec![(1, 20), (7, 0)],
            vec![(1, 30), (2, 90), (9, 5)],
        ];
        let raw = encode_host(&s);
        assert_eq!(decode_host(&raw, None).expect("decode"), s);
        let only = decode_host(&raw, Some(&[2])).expect("decode");
        assert_eq!(only, vec![vec![(2, 100)], vec![], vec![(2, 90)]]);
        let z = compress(&raw, SEALED_LEVEL);
        assert_eq!(decompress(&z).expect("unzstd"), raw);
    }

    #[test]
    fn counters_cost_little() {
        // A counter growing by ~1000 a sample and a constant: both tiny after zstd.
        let s: Vec<HostValues> = (0..360u64)
            .map(|i| vec![(1, 1_000_000 + i * 1000 + (i * 7919) % 13), (2, 42)])
            .collect();
        let z = compress(&encode_host(&s), SEALED_LEVEL);
        assert!(z.len() < 360, "{} bytes", z.len());
    }

    #[test]
    fn procs_roundtrip() {
        let row = |pid: u32, t: u64| ProcRow {
            pid,
            utime_ticks: t,
            nice: -5,
            comm: 3,
            oom_score_adj: -1000,
            ..Default::default()
        };
        let s = vec![
            vec![row(1, 5), row(10, 7)],
            vec![row(1, 6), row(11, 1)],
            vec![],
            vec![row(u32::MAX, 1)],
        ];
        let raw = encode_procs(&s);
        assert_eq!(decode_procs(&raw).expect("decode"), s);
    }
}
