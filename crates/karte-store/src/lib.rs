//! karte's history: one SQLite file holding every reading `karte record` takes, compressed, so
//! that `karte report` (and `karte serve`) can replay a past moment or diagnose a past period with
//! the same rules as `karte doctor`.
//!
//! * [`Store::open_writer`] / [`Store::append`]: one transaction per reading (host numbers,
//!   process table, facts that changed, neighbour table if it changed, events). A reading is first
//!   stored on its own; every [`WriterOptions::host_chunk`] (resp. `proc_chunk`) readings are
//!   sealed into one compressed chunk (see [`codec`]). A `kill -9` loses at most the reading being
//!   written; a full disk fails the append with [`StoreError::DiskFull`] and nothing else.
//! * [`Store::open_reader`]: reads while a recorder writes (WAL mode).
//!   [`Store::samples_between`], [`Store::sample_near`], [`Store::last`] find samples by wall time
//!   (insertion order decides when the clock jumped); [`Store::scan`] rebuilds them as
//!   [`karte_snapshot::Snapshot`]s, ready for `Interval::new` and the rules; [`Store::series`]
//!   reads a few series cheaply, for charts.
//!
//! The layout is documented for `sqlite3` users in `docs/store.md`; [`schema`] has the DDL.
//!
//! ```no_run
//! use karte_store::{Store, Want};
//! use std::time::Duration;
//! // What a dashboard needs: the last hour, host numbers only.
//! let mut store = Store::open_reader(&karte_store::default_path())?;
//! let samples = store.last(Duration::from_secs(3600))?;
//! store.scan(&samples, Want::HOST, |r| {
//!     println!("{} load {:?}", r.info.wall_ms, r.snapshot.loadavg.map(|l| l.load1));
//!     Ok(())
//! })?;
//! # Ok::<(), karte_store::StoreError>(())
//! ```

pub mod codec;
pub mod flatten;
pub mod schema;
mod store;

pub use flatten::SeriesName;
pub use store::{
    Extra, Reading, Retention, SampleInfo, Stats, Store, StoredEvent, Want, WriterOptions,
    decode_strings, default_path,
};

use std::fmt;

/// Why the store could not do something.
#[derive(Debug)]
pub enum StoreError {
    /// The file system is full: nothing of this reading was written. Try again later.
    DiskFull(String),
    /// Reading or writing the file failed (permissions, I/O errors).
    Io(String),
    /// No database at the path, or an empty one.
    NotFound(String),
    /// The file is not a karte database.
    NotKarte(String),
    /// A karte database this karte cannot use (newer, or too old to migrate).
    Version(String),
    /// The data did not decode: a damaged or hostile file.
    Corrupt(String),
    /// Any other SQLite error.
    Sqlite(rusqlite::Error),
}

impl StoreError {
    /// Whether waiting may fix it (disk full, locked, I/O hiccup): the recorder keeps going.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::DiskFull(_) | StoreError::Io(_) => true,
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => {
                matches!(
                    f.code,
                    rusqlite::ErrorCode::DatabaseBusy
                        | rusqlite::ErrorCode::DatabaseLocked
                        | rusqlite::ErrorCode::SystemIoFailure
                        | rusqlite::ErrorCode::CannotOpen
                )
            }
            _ => false,
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::DiskFull(m) => write!(f, "disk full: {m}"),
            StoreError::Io(m)
            | StoreError::NotFound(m)
            | StoreError::NotKarte(m)
            | StoreError::Version(m) => f.write_str(m),
            StoreError::Corrupt(m) => write!(f, "damaged store: {m}"),
            StoreError::Sqlite(e) => write!(f, "sqlite: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match &e {
            rusqlite::Error::SqliteFailure(f, m) if f.code == rusqlite::ErrorCode::DiskFull => {
                StoreError::DiskFull(
                    m.clone()
                        .unwrap_or_else(|| "database or disk is full".into()),
                )
            }
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::DatabaseCorrupt =>
            {
                StoreError::Corrupt(e.to_string())
            }
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase => {
                StoreError::NotKarte(format!("not an SQLite database: {e}"))
            }
            _ => StoreError::Sqlite(e),
        }
    }
}

impl From<codec::DecodeError> for StoreError {
    fn from(e: codec::DecodeError) -> Self {
        StoreError::Corrupt(e.0)
    }
}

/// Wall-clock now, Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
