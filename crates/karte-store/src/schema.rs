//! The database layout, its version, and what to do with databases of other versions.

use crate::StoreError;
use rusqlite::Connection;

/// `PRAGMA application_id` of a karte database: "KRTE". Lets `file(1)` and karte itself tell a
/// karte database from any other SQLite file.
pub const APPLICATION_ID: i32 = 0x4B52_5445;

/// `PRAGMA user_version`: the layout version this karte writes. Bump it with every change of
/// layout and add the step from the previous version to [`MIGRATIONS`].
pub const SCHEMA_VERSION: i32 = 1;

/// The oldest layout this karte can bring up to date. Older karte databases are refused with a
/// message saying so (there are none yet: version 1 is the first released layout).
pub const OLDEST_MIGRATABLE: i32 = 1;

/// Steps from version `n` to `n + 1`, as (n, SQL). Each runs in the transaction that sets the new
/// `user_version`, so an interrupted migration leaves the old version intact.
pub const MIGRATIONS: &[(i32, &str)] = &[];

/// The layout of version 1. Documented for users in docs/store.md.
pub const SCHEMA: &str = r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE boots (id INTEGER PRIMARY KEY, boot_id TEXT NOT NULL UNIQUE);
CREATE TABLE samples (
    seq INTEGER PRIMARY KEY,
    wall_ms INTEGER NOT NULL,
    boot INTEGER NOT NULL,
    uptime_ms INTEGER NOT NULL,
    load1_x100 INTEGER,
    nprocs INTEGER,
    forks INTEGER
);
CREATE INDEX samples_wall ON samples (wall_ms);
CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    family TEXT NOT NULL,
    key TEXT NOT NULL,
    field TEXT NOT NULL,
    UNIQUE (family, key, field)
);
CREATE TABLE host_chunks (
    id INTEGER PRIMARY KEY,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    first_wall_ms INTEGER NOT NULL,
    last_wall_ms INTEGER NOT NULL,
    samples INTEGER NOT NULL,
    seqs BLOB NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX host_chunks_last ON host_chunks (last_seq);
CREATE TABLE host_head (seq INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE proc_chunks (
    id INTEGER PRIMARY KEY,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    first_wall_ms INTEGER NOT NULL,
    last_wall_ms INTEGER NOT NULL,
    samples INTEGER NOT NULL,
    seqs BLOB NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX proc_chunks_last ON proc_chunks (last_seq);
CREATE TABLE proc_head (seq INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE strings (
    id INTEGER PRIMARY KEY,
    hash INTEGER NOT NULL,
    whole INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX strings_hash ON strings (hash);
CREATE TABLE string_head (id INTEGER PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE string_chunks (
    first_id INTEGER PRIMARY KEY,
    last_id INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE facts (
    key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (key, seq)
) WITHOUT ROWID;
CREATE INDEX facts_seq ON facts (seq);
CREATE TABLE neighbours (seq INTEGER PRIMARY KEY, entries TEXT NOT NULL);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    wall_ms INTEGER,
    kind TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX events_seq ON events (seq);
"#;

fn pragma_i32(c: &Connection, name: &str) -> Result<i32, StoreError> {
    Ok(c.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))?)
}

fn table_count(c: &Connection) -> Result<i64, StoreError> {
    Ok(c.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
        [],
        |r| r.get(0),
    )?)
}

/// What [`check`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// No tables: a new file.
    Empty,
    /// A karte database of this layout.
    Current,
    /// A karte database of an older layout that can be migrated.
    Older(i32),
}

/// Reads the file's identity and version and decides whether karte may use it.
pub fn check(c: &Connection, path: &str) -> Result<State, StoreError> {
    // The first read of a file that is not SQLite at all fails here.
    let tables = table_count(c).map_err(|e| match e {
        StoreError::NotKarte(_) => {
            StoreError::NotKarte(format!("{path} is not an SQLite database (nor a karte store); move it aside or choose another --db"))
        }
        other => other,
    })?;
    let app = pragma_i32(c, "application_id")?;
    let version = pragma_i32(c, "user_version")?;
    if tables == 0 && app == 0 {
        return Ok(State::Empty);
    }
    if app != APPLICATION_ID {
        return Err(StoreError::NotKarte(format!(
            "{path} is an SQLite database of another program (application_id {app:#x}, {tables} tables), not a karte store; refusing to touch it"
        )));
    }
    if version == SCHEMA_VERSION {
        Ok(State::Current)
    } else if version > SCHEMA_VERSION {
        Err(StoreError::Version(format!(
            "{path} was written by a newer karte (store layout version {version}); this karte reads layouts up to version {SCHEMA_VERSION}: upgrade karte to read it"
        )))
    } else if version >= OLDEST_MIGRATABLE {
        Ok(State::Older(version))
    } else {
        Err(StoreError::Version(format!(
            "{path} has store layout version {version}, older than the oldest this karte can migrate ({OLDEST_MIGRATABLE}); move it aside (karte record will start a new one) or read it with the karte that wrote it"
        )))
    }
}

/// Creates the layout in an empty file.
pub fn create(c: &mut Connection) -> Result<(), StoreError> {
    // auto_vacuum must be chosen before the first table exists; it lets retention give space
    // back to the file system.
    c.execute_batch("PRAGMA auto_vacuum = INCREMENTAL;")?;
    c.pragma_update(None, "journal_mode", "WAL")?;
    let tx = c.transaction()?;
    tx.execute_batch(SCHEMA)?;
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('created_by', ?1)",
        [concat!("karte ", env!("CARGO_PKG_VERSION"))],
    )?;
    tx.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION};"
    ))?;
    tx.commit()?;
    Ok(())
}

/// Brings an older karte database up to [`SCHEMA_VERSION`], one version at a time.
pub fn migrate(c: &mut Connection, from: i32, path: &str) -> Result<(), StoreError> {
    let mut v = from;
    while v < SCHEMA_VERSION {
        let Some((_, sql)) = MIGRATIONS.iter().find(|(n, _)| *n == v) else {
            return Err(StoreError::Version(format!(
                "{path}: no migration from store layout version {v}; move the file aside"
            )));
        };
        let tx = c.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {};", v + 1))?;
        tx.commit()?;
        v += 1;
    }
    Ok(())
}
