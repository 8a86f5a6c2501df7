//! The store: appending readings, sealing chunks, retention, and reading history back.

use crate::StoreError;
use crate::codec::{self, HostValues, ProcRow};
use crate::flatten::{self, SeriesName, Sink};
use crate::schema::{self, State};
use karte_snapshot::Snapshot;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where karte keeps its history by default: `/var/lib/karte/karte.db` for root,
/// `$XDG_STATE_HOME/karte/karte.db` (default `~/.local/state/karte/karte.db`) otherwise.
pub fn default_path() -> PathBuf {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        return PathBuf::from("/var/lib/karte/karte.db");
    }
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("."));
    state.join("karte").join("karte.db")
}

/// How the writer groups samples into chunks.
#[derive(Debug, Clone, Copy)]
pub struct WriterOptions {
    /// Samples per host chunk (360 = one hour at 10 s).
    pub host_chunk: usize,
    /// Samples per process chunk: shorter, because replaying one moment decodes its chunk from
    /// the start (90 = 15 minutes at 10 s).
    pub proc_chunk: usize,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            host_chunk: 360,
            proc_chunk: 90,
        }
    }
}

/// What the store keeps, and for how long.
#[derive(Debug, Clone, Copy, Default)]
pub struct Retention {
    pub max_age: Option<Duration>,
    pub max_bytes: Option<u64>,
}

/// One recorded sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SampleInfo {
    /// Insertion order: the only order that never jumps.
    pub seq: i64,
    /// Wall-clock time of the reading (Unix ms); may jump with the clock.
    pub wall_ms: i64,
    /// Boot (row of `boots`): intervals are only computed within one boot.
    pub boot: i64,
    /// CLOCK_BOOTTIME of the reading (`/proc/uptime`), ms: monotonic within a boot.
    pub uptime_ms: i64,
}

impl SampleInfo {
    pub fn unix_secs(&self) -> f64 {
        self.wall_ms as f64 / 1000.0
    }
}

/// A kernel-log (or other) event, stored as JSON next to the sample during which it was seen.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoredEvent {
    pub seq: i64,
    /// Wall time of the event when known (else the sample's).
    pub wall_ms: Option<i64>,
    /// `oom_kill`, `hung_task`, `link_down`…, as in `karte events`.
    pub kind: String,
    /// The event as `karte events --format json` prints it.
    pub json: String,
}

/// What the recorder gives besides the snapshot.
#[derive(Debug, Clone, Default)]
pub struct Extra {
    /// `/proc/sys/kernel/random/boot_id`; empty when unknown.
    pub boot_id: String,
    /// New events since the previous sample: (kind, wall ms if known, JSON).
    pub events: Vec<(String, Option<i64>, String)>,
    /// Recorder state to keep with the reading, atomically (`meta` table): e.g. how far the
    /// kernel log was read, so that a restart does not record its events twice.
    pub meta: Vec<(String, String)>,
}

/// One sample rebuilt.
#[derive(Debug, Clone)]
pub struct Reading {
    pub info: SampleInfo,
    /// The reading as `read_snapshot` gave it (less what is not recorded: udev, NUMA, notes).
    pub snapshot: Snapshot,
    pub events: Vec<StoredEvent>,
}

/// What to rebuild.
#[derive(Debug, Clone, Copy)]
pub struct Want {
    pub processes: bool,
    pub neighbours: bool,
    pub events: bool,
}

impl Want {
    pub const ALL: Want = Want {
        processes: true,
        neighbours: true,
        events: true,
    };
    pub const HOST: Want = Want {
        processes: false,
        neighbours: false,
        events: false,
    };
}

/// Sizes and counts, for `karte report` and the benchmark.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Stats {
    pub samples: i64,
    pub first_wall_ms: Option<i64>,
    pub last_wall_ms: Option<i64>,
    pub series: i64,
    pub host_chunks: i64,
    pub proc_chunks: i64,
    pub host_chunk_bytes: i64,
    pub proc_chunk_bytes: i64,
    pub head_bytes: i64,
    pub strings_bytes: i64,
    /// Pages in use times page size (the file may be larger until vacuumed).
    pub used_bytes: i64,
    pub file_bytes: i64,
}

/// Writer-side caches, changed only after a commit.
#[derive(Default)]
struct Caches {
    series: HashMap<String, u32>,
    /// String hash → id (64-bit FNV-1a: collisions are not a practical concern).
    strings: HashMap<u64, u64>,
    facts: HashMap<String, String>,
    neighbours: Option<String>,
    boots: HashMap<String, i64>,
    host_head: usize,
    proc_head: usize,
    last_forks: Option<u64>,
}

/// A karte history database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    writer: Option<WriterOptions>,
    caches: Caches,
    /// Reader-side: series names by id, strings by id.
    names: HashMap<u32, SeriesName>,
    texts: std::cell::RefCell<HashMap<u64, String>>,
    /// See [`Store::take_deferred_error`].
    deferred: Option<StoreError>,
}

fn series_key(family: &str, key: &str, field: &str, buf: &mut String) {
    buf.clear();
    buf.push_str(family);
    buf.push('\u{1f}');
    buf.push_str(key);
    buf.push('\u{1f}');
    buf.push_str(field);
}

fn seqs_blob(seqs: &[i64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(seqs.len() + 4);
    let mut prev = 0i64;
    for s in seqs {
        codec::put_uvar(&mut out, codec::zigzag(s.wrapping_sub(prev)));
        prev = *s;
    }
    out
}

fn parse_seqs(b: &[u8], n: usize) -> Result<Vec<i64>, StoreError> {
    let mut r = codec::Reader::new(b);
    let mut out = Vec::with_capacity(n.min(b.len()));
    let mut prev = 0i64;
    for _ in 0..n {
        prev = prev.wrapping_add(codec::unzigzag(r.uvar()?));
        out.push(prev);
    }
    if !r.done() {
        return Err(StoreError::Corrupt(
            "chunk sample list has trailing bytes".into(),
        ));
    }
    Ok(out)
}

impl Store {
    /// Opens (creating if needed) a store to append to. Creates the parent directory.
    pub fn open_writer(path: &Path, opts: WriterOptions) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Io(format!("cannot create {}: {e}", dir.display())))?;
        }
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let shown = path.display().to_string();
        match schema::check(&conn, &shown)? {
            State::Empty => schema::create(&mut conn)?,
            State::Current => {}
            State::Older(v) => schema::migrate(&mut conn, v, &shown)?,
        }
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA cache_size = -512;
             PRAGMA journal_size_limit = 4194304;
             PRAGMA temp_store = MEMORY;",
        )?;
        let mut s = Store::new(conn, path, Some(opts));
        s.load_writer_caches()?;
        Ok(s)
    }

    /// Opens a store to read, while a recorder may be writing to it.
    pub fn open_reader(path: &Path) -> Result<Store, StoreError> {
        if !path.exists() {
            return Err(StoreError::NotFound(format!(
                "no recording at {}: start `karte record` (or give --db PATH)",
                path.display()
            )));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let shown = path.display().to_string();
        match schema::check(&conn, &shown)? {
            State::Current => {}
            State::Empty => {
                return Err(StoreError::NotFound(format!(
                    "{shown} is empty: nothing recorded yet"
                )));
            }
            State::Older(v) => {
                return Err(StoreError::Version(format!(
                    "{shown} has the older store layout version {v}; run `karte record --db {shown}` once to migrate it"
                )));
            }
        }
        conn.execute_batch("PRAGMA cache_size = -8192;")?;
        let mut s = Store::new(conn, path, None);
        s.load_names()?;
        Ok(s)
    }

    fn new(conn: Connection, path: &Path, writer: Option<WriterOptions>) -> Store {
        Store {
            conn,
            path: path.to_path_buf(),
            writer,
            caches: Caches::default(),
            names: HashMap::new(),
            texts: Default::default(),
            deferred: None,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A value of the `meta` table.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// The underlying connection, for queries this API does not offer.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn load_writer_caches(&mut self) -> Result<(), StoreError> {
        let c = &mut self.caches;
        let mut st = self
            .conn
            .prepare("SELECT id, family, key, field FROM series")?;
        let mut buf = String::new();
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        for row in rows {
            let (id, f, k, fl) = row?;
            series_key(&f, &k, &fl, &mut buf);
            c.series.insert(
                buf.clone(),
                u32::try_from(id)
                    .map_err(|_| StoreError::Corrupt("series id out of range".into()))?,
            );
        }
        drop(st);
        let mut st = self.conn.prepare("SELECT key, value FROM facts f WHERE seq = (SELECT max(seq) FROM facts g WHERE g.key = f.key)")?;
        for row in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
            let (k, v) = row?;
            c.facts.insert(k, v);
        }
        drop(st);
        c.neighbours = self
            .conn
            .query_row(
                "SELECT entries FROM neighbours ORDER BY seq DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        c.host_head = self
            .conn
            .query_row("SELECT count(*) FROM host_head", [], |r| r.get::<_, i64>(0))?
            as usize;
        c.proc_head = self
            .conn
            .query_row("SELECT count(*) FROM proc_head", [], |r| r.get::<_, i64>(0))?
            as usize;
        Ok(())
    }

    fn load_names(&mut self) -> Result<(), StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT id, family, key, field FROM series")?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        for row in rows {
            let (id, family, key, field) = row?;
            if let Ok(id) = u32::try_from(id) {
                self.names.insert(id, SeriesName { family, key, field });
            }
        }
        Ok(())
    }

    // ------------------------------------------------------------------ writing

    /// Appends one reading, in one transaction: either all of it is stored or nothing. Returns
    /// its sequence number.
    pub fn append(&mut self, snap: &Snapshot, extra: &Extra) -> Result<i64, StoreError> {
        let opts = self
            .writer
            .ok_or_else(|| StoreError::Io("store opened read-only".into()))?;
        let wall_ms = snap
            .host
            .unix_secs
            .map(|t| (t * 1000.0).round() as i64)
            .unwrap_or_else(crate::now_ms);
        let uptime_ms = snap
            .uptime
            .map(|u| (u.up_secs * 1000.0).round() as i64)
            .unwrap_or(0);
        let forks = snap.stat.as_ref().and_then(|s| s.processes);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // What this transaction adds to the caches, applied only once it commits.
        let mut new_series: Vec<(String, u32)> = Vec::new();
        let mut new_strings: Vec<(u64, u64)> = Vec::new();
        let mut new_facts: Vec<(String, String)> = Vec::new();

        let boot = match self.caches.boots.get(&extra.boot_id) {
            Some(b) => *b,
            None => {
                tx.prepare_cached("INSERT OR IGNORE INTO boots (boot_id) VALUES (?1)")?.execute(
                    [&extra.boot_id],
                )?;
                tx.query_row(
                    "SELECT id FROM boots WHERE boot_id = ?1",
                    [&extra.boot_id],
                    |r| r.get(0),
                )?
            }
        };
        let fork_delta = match (forks, self.caches.last_forks) {
            (Some(a), Some(b)) if a >= b => Some((a - b) as i64),
            _ => None,
        };
        tx.prepare_cached("INSERT INTO samples (wall_ms, boot, uptime_ms, load1_x100, nprocs, forks) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?.execute(
            params![wall_ms, boot, uptime_ms, snap.loadavg.map(|l| (l.load1 * 100.0).round() as i64), snap.processes.len() as i64, fork_delta],
        )?;
        let seq = tx.last_insert_rowid();

        // Host numbers and facts.
        struct Collect<'a> {
            tx: &'a rusqlite::Transaction<'a>,
            known: &'a HashMap<String, u32>,
            new_series: &'a mut Vec<(String, u32)>,
            values: HostValues,
            facts: Vec<(String, String)>,
            buf: String,
            err: Option<StoreError>,
        }
        impl Sink for Collect<'_> {
            fn num(&mut self, family: &str, key: &str, field: &str, value: u64) {
                if self.err.is_some() {
                    return;
                }
                series_key(family, key, field, &mut self.buf);
                let id = match self.known.get(&self.buf) {
                    Some(id) => *id,
                    None => match self.new_series.iter().find(|(k, _)| *k == self.buf) {
                        Some((_, id)) => *id,
                        None => {
                            let r = self
                                .tx
                                .prepare_cached("INSERT INTO series (family, key, field) VALUES (?1, ?2, ?3)")
                                .and_then(|mut st| st.execute(params![family, key, field]));
                            if let Err(e) = r {
                                self.err = Some(e.into());
                                return;
                            }
                            let Ok(id) = u32::try_from(self.tx.last_insert_rowid()) else {
                                self.err = Some(StoreError::Corrupt("too many series".into()));
                                return;
                            };
                            self.new_series.push((self.buf.clone(), id));
                            id
                        }
                    },
                };
                self.values.push((id, value));
            }
            fn fact(&mut self, key: &str, value: String) {
                self.facts.push((key.to_string(), value));
            }
        }
        let mut col = Collect {
            tx: &tx,
            known: &self.caches.series,
            new_series: &mut new_series,
            values: Vec::with_capacity(512),
            facts: Vec::new(),
            buf: String::new(),
            err: None,
        };
        flatten::flatten_host(snap, &mut col);
        if let Some(e) = col.err.take() {
            return Err(e);
        }
        let mut values = std::mem::take(&mut col.values);
        let facts = std::mem::take(&mut col.facts);
        drop(col);
        values.sort_unstable_by_key(|(id, _)| *id);
        values.dedup_by_key(|(id, _)| *id);
        let blob = codec::compress(
            &codec::encode_host(std::slice::from_ref(&values)),
            codec::HEAD_LEVEL,
        );
        tx.prepare_cached("INSERT INTO host_head (seq, data) VALUES (?1, ?2)")?.execute(
            params![seq, blob],
        )?;

        // Facts: only changes; keys that disappeared become empty.
        let emitted: HashSet<&str> = facts.iter().map(|(k, _)| k.as_str()).collect();
        for (k, old) in &self.caches.facts {
            if !old.is_empty() && !emitted.contains(k.as_str()) {
                new_facts.push((k.clone(), String::new()));
            }
        }
        for (k, v) in facts {
            if self.caches.facts.get(&k) != Some(&v) {
                new_facts.push((k, v));
            }
        }
        for (k, v) in &new_facts {
            tx.prepare_cached("INSERT OR REPLACE INTO facts (key, seq, value) VALUES (?1, ?2, ?3)")?.execute(
                params![k, seq, v],
            )?;
        }

        // Processes.
        let mut rows: Vec<ProcRow> = Vec::with_capacity(snap.processes.len());
        {
            let mut err = None;
            let strings = &self.caches.strings;
            let mut intern = |s: &str| -> u64 {
                let h = string_hash(s);
                if let Some(id) = strings.get(&h) {
                    return *id;
                }
                if let Some((_, id)) = new_strings.iter().find(|(k, _)| *k == h) {
                    return *id;
                }
                match intern_string(&tx, s, h) {
                    Ok(id) => {
                        new_strings.push((h, id));
                        id
                    }
                    Err(e) => {
                        err.get_or_insert(e);
                        0
                    }
                }
            };
            for p in &snap.processes {
                rows.push(flatten::to_row(p, &mut intern));
            }
            if let Some(e) = err {
                return Err(e.into());
            }
        }
        rows.sort_unstable_by_key(|r| r.pid);
        rows.dedup_by_key(|r| r.pid);
        let blob = codec::compress(
            &codec::encode_procs(std::slice::from_ref(&rows)),
            codec::HEAD_LEVEL,
        );
        tx.prepare_cached("INSERT INTO proc_head (seq, data) VALUES (?1, ?2)")?.execute(
            params![seq, blob],
        )?;

        // Neighbours: only when the table changed.
        let neigh: String = snap
            .arp
            .iter()
            .map(|a| {
                format!(
                    "{} {} {:#x} {:#x} {}\n",
                    a.ip, a.mac, a.flags, a.hw_type, a.device
                )
            })
            .collect();
        let neigh_changed = self.caches.neighbours.as_deref() != Some(neigh.as_str());
        if neigh_changed {
            tx.prepare_cached("INSERT INTO neighbours (seq, entries) VALUES (?1, ?2)")?.execute(
                params![seq, neigh],
            )?;
        }
        for (kind, at, json) in &extra.events {
            tx.prepare_cached("INSERT INTO events (seq, wall_ms, kind, data) VALUES (?1, ?2, ?3, ?4)")?.execute(
                params![seq, at.unwrap_or(wall_ms), kind, json],
            )?;
        }
        for (k, v) in &extra.meta {
            tx.prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")?.execute(
                params![k, v],
            )?;
        }
        tx.commit()?;

        // Committed: now the caches may learn.
        let c = &mut self.caches;
        c.boots.insert(extra.boot_id.clone(), boot);
        c.series.extend(new_series);
        if c.strings.len() > 20_000 {
            c.strings.clear();
        }
        c.strings.extend(new_strings);
        for (k, v) in new_facts {
            c.facts.insert(k, v);
        }
        if neigh_changed {
            c.neighbours = Some(neigh);
        }
        c.last_forks = forks;
        c.host_head += 1;
        c.proc_head += 1;
        // The reading is stored: a chunk that cannot be sealed now (disk full) is tried again
        // at the next reading, and the readings stay readable from the head rows meanwhile.
        if c.host_head >= opts.host_chunk
            && let Err(e) = self.seal(Kind::Host)
        {
            self.deferred = Some(e);
        }
        if self.caches.proc_head >= opts.proc_chunk
            && let Err(e) = self.seal(Kind::Proc)
        {
            self.deferred = Some(e);
        }
        Ok(seq)
    }

    /// An error of the housekeeping after the last successful [`Store::append`] (sealing a chunk),
    /// which will be retried: for the log.
    pub fn take_deferred_error(&mut self) -> Option<StoreError> {
        self.deferred.take()
    }

    /// Turns the per-sample rows written since the last chunk into one compressed chunk.
    fn seal(&mut self, kind: Kind) -> Result<(), StoreError> {
        let (head, chunks) = kind.tables();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut seqs = Vec::new();
        let mut walls = Vec::new();
        let mut host: Vec<HostValues> = Vec::new();
        let mut procs: Vec<Vec<ProcRow>> = Vec::new();
        {
            let mut st = tx.prepare(&format!("SELECT h.seq, h.data, s.wall_ms FROM {head} h LEFT JOIN samples s ON s.seq = h.seq ORDER BY h.seq"))?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let seq: i64 = r.get(0)?;
                let data: Vec<u8> = r.get(1)?;
                let wall: Option<i64> = r.get(2)?;
                let raw = codec::decompress(&data)?;
                // A head row that does not decode is dropped rather than blocking every later
                // chunk; it cannot be read anyway.
                let ok = match kind {
                    Kind::Host => codec::decode_host(&raw, None)
                        .ok()
                        .and_then(|mut v| v.pop())
                        .map(|v| host.push(v)),
                    Kind::Proc => codec::decode_procs(&raw)
                        .ok()
                        .and_then(|mut v| v.pop())
                        .map(|v| procs.push(v)),
                };
                if ok.is_some() {
                    seqs.push(seq);
                    walls.push(wall.unwrap_or(0));
                }
            }
        }
        if let (Some(first), Some(last)) = (seqs.first().copied(), seqs.last().copied()) {
            let raw = match kind {
                Kind::Host => codec::encode_host(&host),
                Kind::Proc => codec::encode_procs(&procs),
            };
            let data = codec::compress(&raw, codec::SEALED_LEVEL);
            let fw = walls.iter().copied().min().unwrap_or(0);
            let lw = walls.iter().copied().max().unwrap_or(0);
            tx.execute(
                &format!("INSERT INTO {chunks} (first_seq, last_seq, first_wall_ms, last_wall_ms, samples, seqs, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
                params![first, last, fw, lw, seqs.len() as i64, seqs_blob(&seqs), data],
            )?;
        }
        tx.execute(&format!("DELETE FROM {head}"), [])?;
        if matches!(kind, Kind::Proc) {
            seal_strings(&tx)?;
        }
        tx.commit()?;
        match kind {
            Kind::Host => self.caches.host_head = 0,
            Kind::Proc => self.caches.proc_head = 0,
        }
        Ok(())
    }

    /// Seals whatever is pending (used at shutdown by tests and tools; the recorder leaves the
    /// rows and goes on filling the chunk after a restart).
    pub fn seal_all(&mut self) -> Result<(), StoreError> {
        self.seal(Kind::Host)?;
        self.seal(Kind::Proc)
    }

    /// Deletes what is older than the retention allows. Time-based retention also keeps at least
    /// `max_age / interval / 2` samples, so that the wall clock jumping forward never wipes the
    /// history. Returns the number of samples deleted.
    pub fn apply_retention(
        &mut self,
        ret: Retention,
        now_ms: i64,
        interval: Duration,
    ) -> Result<i64, StoreError> {
        let mut deleted = 0;
        let max_seq: i64 =
            self.conn
                .query_row("SELECT coalesce(max(seq), 0) FROM samples", [], |r| {
                    r.get(0)
                })?;
        if let Some(age) = ret.max_age {
            let cutoff = now_ms.saturating_sub(i64::try_from(age.as_millis()).unwrap_or(i64::MAX));
            let keep = (age.as_secs_f64() / interval.as_secs_f64().max(0.001) / 2.0) as i64;
            // The first sample to keep: newer than the cutoff in insertion order.
            let first_keep: Option<i64> = self.conn.query_row(
                "SELECT min(seq) FROM samples WHERE seq > (SELECT coalesce(max(seq), 0) FROM samples WHERE wall_ms < ?1)",
                [cutoff],
                |r| r.get(0),
            )?;
            let mut cut = first_keep.unwrap_or(max_seq + 1);
            cut = cut.min(max_seq.saturating_sub(keep) + 1);
            deleted += self.delete_before(cut)?;
        }
        if let Some(max) = ret.max_bytes {
            loop {
                let used = self.used_bytes()?;
                if used <= max as i64 {
                    break;
                }
                // Drop the oldest host chunk's worth of samples (or, without chunks, nothing).
                let next: Option<i64> =
                    self.conn
                        .query_row("SELECT min(last_seq) FROM host_chunks", [], |r| r.get(0))?;
                let Some(last) = next else { break };
                deleted += self.delete_before(last + 1)?;
            }
        }
        if deleted > 0 {
            self.conn.execute_batch("PRAGMA incremental_vacuum;")?;
        }
        Ok(deleted)
    }

    fn used_bytes(&self) -> Result<i64, StoreError> {
        let pages: i64 = self.conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        let free: i64 = self
            .conn
            .query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
        let size: i64 = self.conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        Ok((pages - free) * size)
    }

    /// Deletes every sample before `cut` and the chunks that only hold such samples.
    fn delete_before(&mut self, cut: i64) -> Result<i64, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let n = tx.execute("DELETE FROM samples WHERE seq < ?1", [cut])? as i64;
        if n > 0 {
            tx.execute("DELETE FROM host_chunks WHERE last_seq < ?1", [cut])?;
            tx.execute("DELETE FROM proc_chunks WHERE last_seq < ?1", [cut])?;
            tx.execute("DELETE FROM host_head WHERE seq < ?1", [cut])?;
            tx.execute("DELETE FROM proc_head WHERE seq < ?1", [cut])?;
            tx.execute("DELETE FROM events WHERE seq < ?1", [cut])?;
            // Keep the last value of each fact and the neighbour table in force at the cut.
            tx.execute("DELETE FROM facts WHERE seq < ?1 AND seq < (SELECT max(seq) FROM facts g WHERE g.key = facts.key AND g.seq < ?1)", [cut])?;
            tx.execute("DELETE FROM neighbours WHERE seq < (SELECT max(seq) FROM neighbours WHERE seq < ?1)", [cut])?;
        }
        tx.commit()?;
        if n > 0 {
            self.caches.host_head =
                self.conn
                    .query_row("SELECT count(*) FROM host_head", [], |r| r.get::<_, i64>(0))?
                    as usize;
            self.caches.proc_head =
                self.conn
                    .query_row("SELECT count(*) FROM proc_head", [], |r| r.get::<_, i64>(0))?
                    as usize;
        }
        Ok(n)
    }

    /// Writes the WAL back into the database file (at shutdown).
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    // ------------------------------------------------------------------ reading

    fn sample_row(r: &rusqlite::Row) -> rusqlite::Result<SampleInfo> {
        Ok(SampleInfo {
            seq: r.get(0)?,
            wall_ms: r.get(1)?,
            boot: r.get(2)?,
            uptime_ms: r.get(3)?,
        })
    }

    /// Samples whose wall time is within `[from_ms, to_ms]`, in insertion order.
    pub fn samples_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<SampleInfo>, StoreError> {
        let mut st = self.conn.prepare_cached("SELECT seq, wall_ms, boot, uptime_ms FROM samples WHERE wall_ms BETWEEN ?1 AND ?2 ORDER BY seq")?;
        let v = st
            .query_map([from_ms, to_ms], Self::sample_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(v)
    }

    /// The sample nearest in wall time to `t_ms` (the latest recorded when the clock went back
    /// and two samples are as near).
    pub fn sample_near(&self, t_ms: i64) -> Result<Option<SampleInfo>, StoreError> {
        let before = self
            .conn
            .prepare_cached("SELECT seq, wall_ms, boot, uptime_ms FROM samples WHERE wall_ms <= ?1 ORDER BY wall_ms DESC, seq DESC LIMIT 1")?
            .query_row([t_ms], Self::sample_row)
            .optional()?;
        let after = self
            .conn
            .prepare_cached("SELECT seq, wall_ms, boot, uptime_ms FROM samples WHERE wall_ms >= ?1 ORDER BY wall_ms ASC, seq DESC LIMIT 1")?
            .query_row([t_ms], Self::sample_row)
            .optional()?;
        Ok(match (before, after) {
            (Some(b), Some(a)) => Some(if (t_ms - b.wall_ms) <= (a.wall_ms - t_ms) {
                b
            } else {
                a
            }),
            (b, a) => b.or(a),
        })
    }

    /// The sample recorded just before `seq`, if it belongs to the same boot.
    pub fn previous(&self, s: &SampleInfo) -> Result<Option<SampleInfo>, StoreError> {
        let p = self
            .conn
            .prepare_cached("SELECT seq, wall_ms, boot, uptime_ms FROM samples WHERE seq < ?1 ORDER BY seq DESC LIMIT 1")?
            .query_row([s.seq], Self::sample_row)
            .optional()?;
        Ok(p.filter(|p| p.boot == s.boot))
    }

    /// The latest sample.
    pub fn latest(&self) -> Result<Option<SampleInfo>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT seq, wall_ms, boot, uptime_ms FROM samples ORDER BY seq DESC LIMIT 1",
                [],
                Self::sample_row,
            )
            .optional()?)
    }

    /// The samples of the last `d` of recording (by insertion order back from the latest sample,
    /// so a clock jump does not hide them): what a dashboard shows.
    pub fn last(&self, d: Duration) -> Result<Vec<SampleInfo>, StoreError> {
        let Some(l) = self.latest()? else {
            return Ok(Vec::new());
        };
        let from = l
            .wall_ms
            .saturating_sub(i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let mut st = self.conn.prepare_cached(
            "SELECT seq, wall_ms, boot, uptime_ms FROM samples WHERE seq > coalesce((SELECT max(seq) FROM samples WHERE wall_ms < ?1), 0) ORDER BY seq",
        )?;
        let v = st
            .query_map([from], Self::sample_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(v)
    }

    fn text(&self, id: u64) -> Option<String> {
        if let Some(t) = self.texts.borrow().get(&id) {
            return Some(t.clone());
        }
        let row: Option<(bool, String)> = self
            .conn
            .prepare_cached("SELECT whole, text FROM strings WHERE id = ?1")
            .and_then(|mut st| {
                st.query_row([id as i64], |r| Ok((r.get::<_, i64>(0)? != 0, r.get(1)?)))
                    .optional()
            })
            .ok()
            .flatten();
        let (whole, prefix) = row?;
        let t = if whole {
            prefix
        } else {
            // A long string: in string_head until its chunk is sealed, then in string_chunks.
            let head: Option<String> = self
                .conn
                .prepare_cached("SELECT text FROM string_head WHERE id = ?1")
                .and_then(|mut st| st.query_row([id as i64], |r| r.get(0)).optional())
                .ok()
                .flatten();
            match head {
                Some(t) => t,
                None => self.long_string(id).unwrap_or(prefix),
            }
        };
        let mut m = self.texts.borrow_mut();
        if m.len() > 100_000 {
            m.clear();
        }
        m.insert(id, t.clone());
        Some(t)
    }

    /// Decompresses the string chunk holding `id`, caching all its strings.
    fn long_string(&self, id: u64) -> Option<String> {
        let data: Vec<u8> = self
            .conn
            .prepare_cached("SELECT data FROM string_chunks WHERE first_id <= ?1 AND last_id >= ?1")
            .and_then(|mut st| st.query_row([id as i64], |r| r.get(0)).optional())
            .ok()
            .flatten()?;
        let strings = decode_strings(&data).ok()?;
        let mut found = None;
        let mut m = self.texts.borrow_mut();
        for (k, t) in strings {
            if k == id {
                found = Some(t.clone());
            }
            m.insert(k, t);
        }
        found
    }

    /// Decoded chunk data covering some samples: seq → values.
    fn host_for(
        &self,
        seqs: &[i64],
        only: Option<&[u32]>,
        out: &mut HashMap<i64, HostValues>,
    ) -> Result<(), StoreError> {
        self.load(
            Kind::Host,
            seqs,
            |raw, chunk_seqs, out: &mut HashMap<i64, HostValues>| {
                let v = codec::decode_host(raw, only)?;
                if v.len() != chunk_seqs.len() {
                    return Err(StoreError::Corrupt(
                        "host chunk sample count mismatch".into(),
                    ));
                }
                for (s, vals) in chunk_seqs.iter().zip(v) {
                    out.insert(*s, vals);
                }
                Ok(())
            },
            out,
        )
    }

    fn procs_for(
        &self,
        seqs: &[i64],
        out: &mut HashMap<i64, Vec<ProcRow>>,
    ) -> Result<(), StoreError> {
        self.load(
            Kind::Proc,
            seqs,
            |raw, chunk_seqs, out: &mut HashMap<i64, Vec<ProcRow>>| {
                let v = codec::decode_procs(raw)?;
                if v.len() != chunk_seqs.len() {
                    return Err(StoreError::Corrupt(
                        "process chunk sample count mismatch".into(),
                    ));
                }
                for (s, rows) in chunk_seqs.iter().zip(v) {
                    out.insert(*s, rows);
                }
                Ok(())
            },
            out,
        )
    }

    /// Finds the chunks and head rows that hold `seqs` (sorted) and decodes each once.
    fn load<T>(
        &self,
        kind: Kind,
        seqs: &[i64],
        mut decode: impl FnMut(&[u8], &[i64], &mut HashMap<i64, T>) -> Result<(), StoreError>,
        out: &mut HashMap<i64, T>,
    ) -> Result<(), StoreError> {
        let (head, chunks) = kind.tables();
        let (Some(&lo), Some(&hi)) = (seqs.first(), seqs.last()) else {
            return Ok(());
        };
        let mut st = self.conn.prepare_cached(&format!("SELECT samples, seqs, data FROM {chunks} WHERE last_seq >= ?1 AND first_seq <= ?2 ORDER BY first_seq"))?;
        let mut rows = st.query([lo, hi])?;
        while let Some(r) = rows.next()? {
            let n: i64 = r.get(0)?;
            let n = usize::try_from(n)
                .map_err(|_| StoreError::Corrupt("negative sample count".into()))?;
            let sb: Vec<u8> = r.get(1)?;
            let chunk_seqs = parse_seqs(&sb, n)?;
            // Only decode chunks that hold a wanted sample.
            if !chunk_seqs.iter().any(|s| seqs.binary_search(s).is_ok()) {
                continue;
            }
            let data: Vec<u8> = r.get(2)?;
            let raw = codec::decompress(&data)?;
            decode(&raw, &chunk_seqs, out)?;
        }
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT seq, data FROM {head} WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq"
        ))?;
        let mut rows = st.query([lo, hi])?;
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            if seqs.binary_search(&seq).is_err() {
                continue;
            }
            let data: Vec<u8> = r.get(1)?;
            let raw = codec::decompress(&data)?;
            decode(&raw, &[seq], out)?;
        }
        Ok(())
    }

    fn facts_upto(&self, hi: i64) -> Result<Vec<(i64, String, String)>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT seq, key, value FROM facts WHERE seq <= ?1 ORDER BY seq")?;
        let v = st
            .query_map([hi], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(v)
    }

    /// Whether the recorder followed the kernel log during this boot (row of `boots`): it keeps
    /// its position in the log under the `meta` key `kmsg_seq:<boot_id>` once it has read any.
    pub fn kmsg_followed(&self, boot: i64) -> bool {
        let boot_id: Option<String> = self
            .connection()
            .query_row("SELECT boot_id FROM boots WHERE id = ?1", [boot], |r| {
                r.get(0)
            })
            .ok();
        match boot_id {
            Some(id) => matches!(self.meta(&format!("kmsg_seq:{id}")), Ok(Some(_))),
            None => false,
        }
    }

    /// Wall time (Unix ms) of the first reading of this boot, if any is kept.
    pub fn boot_start_ms(&self, boot: i64) -> Result<Option<i64>, StoreError> {
        self.connection()
            .query_row(
                "SELECT MIN(wall_ms) FROM samples WHERE boot = ?1",
                [boot],
                |r| r.get::<_, Option<i64>>(0),
            )
            .map_err(StoreError::from)
    }

    /// Events recorded with samples `lo..=hi` (by sequence).
    pub fn events(&self, lo: i64, hi: i64) -> Result<Vec<StoredEvent>, StoreError> {
        let mut st = self.conn.prepare_cached(
            "SELECT seq, wall_ms, kind, data FROM events WHERE seq BETWEEN ?1 AND ?2 ORDER BY id",
        )?;
        let v = st
            .query_map([lo, hi], |r| {
                Ok(StoredEvent {
                    seq: r.get(0)?,
                    wall_ms: r.get(1)?,
                    kind: r.get(2)?,
                    json: r.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(v)
    }

    /// Rebuilds the readings of `samples` (sorted by seq) one by one and hands each to `f`, in
    /// order; memory stays bounded by a batch of chunks however long the range.
    pub fn scan(
        &mut self,
        samples: &[SampleInfo],
        want: Want,
        mut f: impl FnMut(Reading) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        if samples.is_empty() {
            return Ok(());
        }
        self.refresh_names()?;
        let hi = samples.iter().map(|s| s.seq).max().unwrap_or(0);
        let facts = self.facts_upto(hi)?;
        let mut fact_i = 0usize;
        let mut in_force: BTreeMap<String, String> = BTreeMap::new();
        let neigh: Vec<(i64, String)> = if want.neighbours {
            let mut st = self.conn.prepare_cached(
                "SELECT seq, entries FROM neighbours WHERE seq <= ?1 ORDER BY seq",
            )?;
            st.query_map([hi], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?
        } else {
            Vec::new()
        };
        let mut neigh_i = 0usize;
        let mut neigh_now: Option<&str> = None;
        // Batches of about 720 samples: a few chunks decoded at a time.
        for batch in samples.chunks(720) {
            let mut seqs: Vec<i64> = batch.iter().map(|s| s.seq).collect();
            seqs.sort_unstable();
            let mut host = HashMap::new();
            self.host_for(&seqs, None, &mut host)?;
            let mut procs = HashMap::new();
            if want.processes {
                self.procs_for(&seqs, &mut procs)?;
            }
            let events = if want.events {
                self.events(seqs[0], seqs[seqs.len() - 1])?
            } else {
                Vec::new()
            };
            for info in batch {
                while fact_i < facts.len() && facts[fact_i].0 <= info.seq {
                    let (_, k, v) = &facts[fact_i];
                    in_force.insert(k.clone(), v.clone());
                    fact_i += 1;
                }
                while neigh_i < neigh.len() && neigh[neigh_i].0 <= info.seq {
                    neigh_now = Some(neigh[neigh_i].1.as_str());
                    neigh_i += 1;
                }
                let mut snap = Snapshot::default();
                snap.host.unix_secs = Some(info.unix_secs());
                if let Some(vals) = host.remove(&info.seq) {
                    let names = &self.names;
                    let it = vals
                        .iter()
                        .filter_map(|(id, v)| names.get(id).map(|n| (n, *v)));
                    flatten::rebuild_host(it, &in_force, &mut snap);
                    snap.host.unix_secs = Some(info.unix_secs());
                } else {
                    snap.notes
                        .push(format!("sample {}: host data missing", info.seq));
                }
                if let Some(rows) = procs.remove(&info.seq) {
                    let text = |id: u64| self.text(id);
                    snap.processes = rows.iter().map(|r| flatten::from_row(r, &text)).collect();
                }
                if let Some(n) = neigh_now {
                    snap.arp = parse_neighbours(n);
                }
                let evs = events
                    .iter()
                    .filter(|e| e.seq == info.seq)
                    .cloned()
                    .collect();
                f(Reading {
                    info: *info,
                    snapshot: snap,
                    events: evs,
                })?;
            }
        }
        Ok(())
    }

    /// Rebuilds one sample.
    pub fn reading(&mut self, s: &SampleInfo, want: Want) -> Result<Reading, StoreError> {
        let mut out = None;
        self.scan(std::slice::from_ref(s), want, |r| {
            out = Some(r);
            Ok(())
        })?;
        out.ok_or_else(|| StoreError::Corrupt(format!("sample {} could not be read", s.seq)))
    }

    /// The values of some series over samples (sorted by seq): one column per name, `None` where
    /// a sample lacks the series. Cheaper than [`Store::scan`] for charts.
    pub fn series(
        &mut self,
        samples: &[SampleInfo],
        names: &[SeriesName],
    ) -> Result<Vec<Vec<Option<u64>>>, StoreError> {
        self.refresh_names()?;
        let ids: Vec<Option<u32>> = names
            .iter()
            .map(|n| self.names.iter().find(|(_, m)| *m == n).map(|(id, _)| *id))
            .collect();
        let mut only: Vec<u32> = ids.iter().flatten().copied().collect();
        only.sort_unstable();
        let mut cols = vec![Vec::with_capacity(samples.len()); names.len()];
        for batch in samples.chunks(4096) {
            let mut seqs: Vec<i64> = batch.iter().map(|s| s.seq).collect();
            seqs.sort_unstable();
            let mut host = HashMap::new();
            self.host_for(&seqs, Some(&only), &mut host)?;
            for info in batch {
                let vals = host.get(&info.seq);
                for (c, id) in cols.iter_mut().zip(&ids) {
                    let v = match (vals, id) {
                        (Some(vals), Some(id)) => vals
                            .binary_search_by_key(id, |(i, _)| *i)
                            .ok()
                            .map(|k| vals[k].1),
                        _ => None,
                    };
                    c.push(v);
                }
            }
        }
        Ok(cols)
    }

    /// The series recorded, by name.
    pub fn series_names(&mut self) -> Result<Vec<SeriesName>, StoreError> {
        self.refresh_names()?;
        let mut v: Vec<(u32, SeriesName)> =
            self.names.iter().map(|(k, v)| (*k, v.clone())).collect();
        v.sort_by_key(|(k, _)| *k);
        Ok(v.into_iter().map(|(_, n)| n).collect())
    }

    fn refresh_names(&mut self) -> Result<(), StoreError> {
        let max: Option<i64> = self
            .conn
            .query_row("SELECT max(id) FROM series", [], |r| r.get(0))?;
        if max
            .and_then(|m| u32::try_from(m).ok())
            .is_some_and(|m| !self.names.contains_key(&m))
            || self.names.is_empty()
        {
            self.names.clear();
            self.load_names()?;
        }
        Ok(())
    }

    /// Sizes and counts.
    pub fn stats(&self) -> Result<Stats, StoreError> {
        let c = &self.conn;
        let q = |sql: &str| -> Result<i64, StoreError> {
            Ok(c.query_row(sql, [], |r| r.get::<_, Option<i64>>(0))?
                .unwrap_or(0))
        };
        let (first, last): (Option<i64>, Option<i64>) =
            c.query_row("SELECT (SELECT wall_ms FROM samples ORDER BY seq LIMIT 1), (SELECT wall_ms FROM samples ORDER BY seq DESC LIMIT 1)", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(Stats {
            samples: q("SELECT count(*) FROM samples")?,
            first_wall_ms: first,
            last_wall_ms: last,
            series: q("SELECT count(*) FROM series")?,
            host_chunks: q("SELECT count(*) FROM host_chunks")?,
            proc_chunks: q("SELECT count(*) FROM proc_chunks")?,
            host_chunk_bytes: q("SELECT sum(length(data) + length(seqs)) FROM host_chunks")?,
            proc_chunk_bytes: q("SELECT sum(length(data) + length(seqs)) FROM proc_chunks")?,
            head_bytes: q(
                "SELECT (SELECT coalesce(sum(length(data)), 0) FROM host_head) + (SELECT coalesce(sum(length(data)), 0) FROM proc_head)",
            )?,
            strings_bytes: q(
                "SELECT (SELECT coalesce(sum(length(text)), 0) FROM strings) + (SELECT coalesce(sum(length(text)), 0) FROM string_head) + (SELECT coalesce(sum(length(data)), 0) FROM string_chunks)",
            )?,
            used_bytes: self.used_bytes()?,
            file_bytes: std::fs::metadata(&self.path)
                .map(|m| m.len() as i64)
                .unwrap_or(0),
        })
    }

    /// `PRAGMA integrity_check`: "ok" or the problems found.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        let mut st = self.conn.prepare("PRAGMA integrity_check")?;
        let v: Vec<String> = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(v.join("\n"))
    }
}

/// Strings longer than this keep only their first bytes in `strings.text` (for `LIKE` queries
/// in sqlite3); the whole text goes to `string_head`, then compressed with its neighbours into
/// `string_chunks` when the process chunk is sealed. Command lines of build tools and JVMs run
/// to kilobytes, and the new ones of a quarter of an hour compress far better together.
const LONG_STRING: usize = 128;

/// 64-bit FNV-1a.
fn string_hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The id of a string, adding it if new.
fn intern_string(tx: &rusqlite::Transaction, s: &str, h: u64) -> rusqlite::Result<u64> {
    let mut prefix_end = s.len().min(LONG_STRING);
    while !s.is_char_boundary(prefix_end) {
        prefix_end -= 1;
    }
    let prefix = &s[..prefix_end];
    let whole = prefix_end == s.len();
    let found: Option<i64> = tx
        .prepare_cached("SELECT id FROM strings WHERE hash = ?1 AND whole = ?2 AND text = ?3")?
        .query_row(params![h as i64, whole, prefix], |r| r.get(0))
        .optional()?;
    if let Some(id) = found {
        return Ok(id as u64);
    }
    tx.prepare_cached("INSERT INTO strings (hash, whole, text) VALUES (?1, ?2, ?3)")?
        .execute(params![h as i64, whole, prefix])?;
    let id = tx.last_insert_rowid();
    if !whole {
        tx.prepare_cached("INSERT INTO string_head (id, text) VALUES (?1, ?2)")?
            .execute(params![id, s])?;
    }
    Ok(id as u64)
}

/// Moves the long strings waiting in `string_head` into one compressed chunk.
fn seal_strings(tx: &rusqlite::Transaction) -> Result<(), StoreError> {
    let mut raw = Vec::new();
    let (mut first, mut last, mut n) = (0i64, 0i64, 0u64);
    {
        let mut st = tx.prepare("SELECT id, text FROM string_head ORDER BY id")?;
        let mut rows = st.query([])?;
        let mut body = Vec::new();
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let t: String = r.get(1)?;
            if n == 0 {
                first = id;
            }
            codec::put_uvar(&mut body, (id - last.max(first - 1)) as u64);
            codec::put_uvar(&mut body, t.len() as u64);
            body.extend_from_slice(t.as_bytes());
            last = id;
            n += 1;
        }
        codec::put_uvar(&mut raw, n);
        codec::put_uvar(&mut raw, first as u64);
        raw.extend_from_slice(&body);
    }
    if n == 0 {
        return Ok(());
    }
    let data = codec::compress(&raw, codec::SEALED_LEVEL);
    tx.execute(
        "INSERT INTO string_chunks (first_id, last_id, data) VALUES (?1, ?2, ?3)",
        params![first, last, data],
    )?;
    tx.execute("DELETE FROM string_head", [])?;
    Ok(())
}

/// Reads a string chunk back: (id, text) pairs.
pub fn decode_strings(data: &[u8]) -> Result<Vec<(u64, String)>, StoreError> {
    let raw = codec::decompress(data)?;
    let mut r = codec::Reader::new(&raw);
    let n = r.count(raw.len(), "string")?;
    let first = r.uvar()?;
    let mut out = Vec::with_capacity(n);
    let mut id = first.wrapping_sub(1);
    for _ in 0..n {
        id = id.wrapping_add(r.uvar()?);
        let len = r.count(r.remaining(), "string length")?;
        let t = String::from_utf8_lossy(r.bytes(len)?).into_owned();
        out.push((id, t));
    }
    Ok(out)
}

fn parse_neighbours(text: &str) -> Vec<karte_procfs::net_arp::ArpEntry> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            if f.len() != 5 {
                return None;
            }
            let hex = |s: &str| u32::from_str_radix(s.trim_start_matches("0x"), 16).ok();
            Some(karte_procfs::net_arp::ArpEntry {
                ip: f[0].parse().ok()?,
                mac: f[1].to_string(),
                flags: hex(f[2])?,
                hw_type: hex(f[3])?,
                device: f[4].to_string(),
            })
        })
        .collect()
}

#[derive(Clone, Copy)]
enum Kind {
    Host,
    Proc,
}

impl Kind {
    fn tables(self) -> (&'static str, &'static str) {
        match self {
            Kind::Host => ("host_head", "host_chunks"),
            Kind::Proc => ("proc_head", "proc_chunks"),
        }
    }
}
