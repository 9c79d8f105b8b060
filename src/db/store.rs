//! The connection to `megatest.db`: where it is, WAL mode and a busy timeout so that runner,
//! executors and helpers write at the same time, the schema brought up to date on open, and
//! short immediate transactions for writes.

use super::schema;
use crate::area::Area;
use crate::error::{Error, ErrorKind, Result};
use crate::select::TestPatterns;
use rusqlite::config::DbConfig;
use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OpenFlags};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// How long a writer waits for another to finish before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(120);

/// Waits for a lock held by another process. SQLite's own handler sleeps whole milliseconds,
/// growing to 100 ms, which a run of short tests feels as lost time; transactions here last
/// microseconds, so retry soon at first, then back off. Gives up after [`BUSY_TIMEOUT`].
/// Runs `f` again while SQLite answers SQLITE_BUSY at once, for up to [`BUSY_TIMEOUT`].
fn retry_busy<T>(mut f: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let started = std::time::Instant::now();
    loop {
        match f() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            other => return other,
        }
    }
}

fn wait_for_lock(attempt: i32) -> bool {
    let (pause, spent) = match attempt {
        0..200 => (
            Duration::from_micros(50),
            Duration::from_micros(50) * attempt as u32,
        ),
        200..1000 => (
            Duration::from_micros(500),
            Duration::from_millis(10) + Duration::from_micros(500) * (attempt - 200) as u32,
        ),
        _ => (
            Duration::from_millis(10),
            Duration::from_millis(410) + Duration::from_millis(10) * (attempt - 1000) as u32,
        ),
    };
    if spent >= BUSY_TIMEOUT {
        return false;
    }
    std::thread::sleep(pause);
    true
}

/// Write transactions of this process take turns here: two connections of one process (the
/// runner's dispatcher and its recorder) then wait for each other on a mutex, woken the
/// moment the other commits, instead of polling SQLite's lock with sleeps.
static WRITE_TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn take_write_turn() -> std::sync::MutexGuard<'static, ()> {
    WRITE_TURN.lock().unwrap_or_else(|p| p.into_inner())
}

/// The area's database.
pub struct Store {
    conn: Connection,
    keys: Vec<String>,
    path: PathBuf,
    /// Inside [`Store::batch`]: writes are savepoints of its transaction.
    in_batch: std::cell::Cell<bool>,
    /// The schema version of a database made by a newer megatest: it is only read.
    newer_schema: Option<i64>,
}

/// Where an area's database is: `[setup] dbdir` (relative to the area) or the area itself.
pub fn db_path(area: &Area) -> PathBuf {
    match area
        .config
        .get("setup", "dbdir")
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        Some(dir) => area.top.join(dir).join("megatest.db"),
        None => area.top.join("megatest.db"),
    }
}

/// The `[fields]` keys with their SQL types.
pub fn typed_keys(area: &Area) -> Vec<(String, String)> {
    area.config
        .section("fields")
        .map(|s| {
            s.entries
                .iter()
                .map(|e| {
                    let kind = e.value.trim();
                    (
                        e.key.clone(),
                        if kind.is_empty() {
                            "TEXT".into()
                        } else {
                            kind.to_string()
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `mt_testpatt(patterns, testname, item_path)`: the in-memory test-pattern matcher, for SQL.
/// Each connection keeps the patterns it parsed.
fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    let parsed: Mutex<HashMap<String, Option<TestPatterns>>> = Mutex::new(HashMap::new());
    conn.create_scalar_function(
        "mt_testpatt",
        3,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        move |ctx| {
            let patterns: String = ctx.get(0)?;
            let test: String = ctx.get::<Option<String>>(1)?.unwrap_or_default();
            let item: String = ctx.get::<Option<String>>(2)?.unwrap_or_default();
            let mut parsed = parsed.lock().unwrap_or_else(|p| p.into_inner());
            Ok(parsed
                .entry(patterns.clone())
                .or_insert_with(|| TestPatterns::parse(&patterns).ok())
                .as_ref()
                .is_some_and(|p| p.matches(&test, &item)))
        },
    )
}

impl Store {
    /// Opens (creating or migrating) the area's database.
    pub fn open(area: &Area) -> Result<Store> {
        crate::area::validate_key_names(&area.config)?;
        Store::open_at(&db_path(area), &typed_keys(area))
    }

    /// Opens the area's database even when `[fields]` gained keys (for `-cleanup-db` and
    /// `-rebuild-db`, which add them).
    pub fn open_for_repair(area: &Area) -> Result<Store> {
        crate::area::validate_key_names(&area.config)?;
        Store::open_inner(&db_path(area), &typed_keys(area), false)
    }

    /// A database in `dir` with one key, `platform`, and a target of it (`linux`): for unit
    /// tests.
    #[cfg(test)]
    pub(crate) fn scratch(dir: &Path) -> (Store, crate::area::Target) {
        let keys = vec![("platform".to_string(), "TEXT".to_string())];
        let store = Store::open_at(&dir.join("megatest.db"), &keys).unwrap();
        let target =
            crate::area::Target::parse("linux", &["platform".to_string()], "-target").unwrap();
        (store, target)
    }

    /// Opens the database at `path` for these keys.
    pub fn open_at(path: &Path, keys: &[(String, String)]) -> Result<Store> {
        Store::open_inner(path, keys, true)
    }

    /// Opens a database a runner opened (and so created and migrated) before: no schema
    /// check, for the executor and its monitor, which start once per test.
    pub fn open_for_test(path: &Path, keys: &[(String, String)]) -> Result<Store> {
        let conn = Store::connect(path)?;
        Ok(Store {
            conn,
            keys: keys.iter().map(|(k, _)| k.clone()).collect(),
            path: path.to_path_buf(),
            in_batch: Default::default(),
            newer_schema: None,
        })
    }

    /// The connection with its settings and functions.
    fn connect(path: &Path) -> Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let fail = |e: rusqlite::Error| {
            Error::of(
                ErrorKind::Database,
                format!("cannot open the database `{}`: {e}", path.display()),
            )
        };
        let mut conn = Connection::open_with_flags(path, flags).map_err(fail)?;
        conn.busy_handler(Some(wait_for_lock)).map_err(fail)?;
        conn.execute_batch("PRAGMA synchronous=NORMAL")
            .map_err(fail)?;
        // Without the planner stability guarantee SQLite peeks at bound values while
        // planning and then re-prepares a cached statement at every new binding.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(fail)?;
        register_functions(&conn).map_err(fail)?;
        // The runner and its recorder use a few dozen statements; rusqlite keeps 16.
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }

    fn open_inner(path: &Path, keys: &[(String, String)], check_keys: bool) -> Result<Store> {
        if let Some(dir) = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty() && !d.exists())
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::of(
                    ErrorKind::Database,
                    format!(
                        "cannot create the database directory `{}`: {e}",
                        dir.display()
                    ),
                )
            })?;
        }
        let conn = Store::connect(path)?;
        let fail = |e: rusqlite::Error| {
            Error::of(
                ErrorKind::Database,
                format!("cannot open the database `{}`: {e}", path.display()),
            )
        };
        // WAL lets readers and one writer work at once; it stays set in the file. Two
        // processes making a new file at once can get SQLITE_BUSY here without the busy
        // handler being asked (SQLite avoids a deadlock that way): try again for a while.
        let mode = retry_busy(|| {
            let current: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
            if current.eq_ignore_ascii_case("wal") {
                return Ok(current);
            }
            conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        })
        .map_err(fail)?;
        if !mode.eq_ignore_ascii_case("wal") {
            crate::debug!(1, "database {} is in {mode} mode, not WAL", path.display());
        }
        let mut store = Store {
            conn,
            keys: keys.iter().map(|(k, _)| k.clone()).collect(),
            path: path.to_path_buf(),
            in_batch: Default::default(),
            newer_schema: None,
        };
        let version: i64 = store
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(fail)?;
        if version > schema::SCHEMA_VERSION {
            // Reading what a newer megatest wrote is safe; writing could corrupt it.
            store
                .conn
                .execute_batch("PRAGMA query_only = ON")
                .map_err(fail)?;
            store.newer_schema = Some(version);
            crate::warn!("{}", store.newer_schema_message(version));
            return Ok(store);
        }
        if version < schema::SCHEMA_VERSION {
            let found = store.write(|c| schema::migrate(c, keys))?;
            if found != schema::SCHEMA_VERSION {
                crate::debug!(
                    1,
                    "database {} migrated from schema version {found}",
                    path.display()
                );
            }
        }
        let missing = schema::missing_key_columns(&store.conn, keys).map_err(|e| store.error(e))?;
        if check_keys && !missing.is_empty() {
            return Err(Error::of(ErrorKind::Database, format!(
                "the database `{}` has no column for the [fields] key{} {}",
                path.display(),
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", ")
            ))
            .note("the [fields] keys changed since the database was made; run `megatest -cleanup-db` to add them"));
        }
        Ok(store)
    }

    /// The key names, in order.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for statements that outlive one call.
    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }

    fn newer_schema_message(&self, version: i64) -> String {
        format!(
            "the database `{}` has schema version {version}, newer than this megatest's {}: it is read, never written",
            self.path.display(),
            schema::SCHEMA_VERSION
        )
    }

    /// A user-facing error for a database failure.
    pub(crate) fn error(&self, e: rusqlite::Error) -> Error {
        let hint = match &e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ReadOnly => {
                Some("the database is read-only")
            }
            _ => None,
        };
        let mut err = Error::of(
            ErrorKind::Database,
            format!("database `{}`: {e}", self.path.display()),
        );
        if let Some(h) = hint {
            err = err.note(h);
        }
        err
    }

    /// Runs `f` in one immediate (write-locking) transaction, committed on success.
    /// Inside [`Store::batch`] the write is a savepoint of the batch's transaction, so that
    /// a failing write leaves nothing behind and the others still commit.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        if let Some(version) = self.newer_schema {
            return Err(
                Error::of(ErrorKind::Database, self.newer_schema_message(version))
                    .note("use the megatest that made it, or a copy of the database"),
            );
        }
        let (begin, commit, rollback) = if !self.in_batch.get() {
            ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")
        } else if self.conn.is_autocommit() {
            // SQLite rolled the batch back by itself (a full disk, say): nothing more of it.
            return Err(Error::of(
                ErrorKind::Database,
                format!(
                    "a write to `{}` failed and took its batch with it",
                    self.path.display()
                ),
            ));
        } else {
            (
                "SAVEPOINT write",
                "RELEASE write",
                "ROLLBACK TO write; RELEASE write",
            )
        };
        let _turn = (!self.in_batch.get()).then(take_write_turn);
        self.control(begin).map_err(|e| self.error(e))?;
        let value = f(&self.conn).and_then(|v| self.control(commit).map(|()| v));
        value.map_err(|e| {
            if !self.conn.is_autocommit() {
                let _ = self.conn.execute_batch(rollback);
            }
            self.error(e)
        })
    }

    /// Runs `f` (whose writes become savepoints) in one transaction: one commit for many
    /// small writes.
    pub fn batch<T>(&self, f: impl FnOnce() -> T) -> Result<T> {
        if self.in_batch.get() {
            return Ok(f());
        }
        let _turn = take_write_turn();
        self.control("BEGIN IMMEDIATE").map_err(|e| self.error(e))?;
        self.in_batch.set(true);
        let value = f();
        self.in_batch.set(false);
        if let Err(e) = self.control("COMMIT") {
            if !self.conn.is_autocommit() {
                let _ = self.conn.execute_batch("ROLLBACK");
            }
            return Err(self.error(e));
        }
        Ok(value)
    }

    /// Runs `f`'s writes as one transaction: committed when it returns `Ok`, rolled back
    /// (none of them kept) when it returns an error. Inside a batch, part of that batch.
    pub fn transaction<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        if self.in_batch.get() {
            return f();
        }
        let _turn = take_write_turn();
        self.control("BEGIN IMMEDIATE").map_err(|e| self.error(e))?;
        self.in_batch.set(true);
        let value = f();
        self.in_batch.set(false);
        let end = if value.is_ok() { "COMMIT" } else { "ROLLBACK" };
        if let Err(e) = self.control(end) {
            if !self.conn.is_autocommit() {
                let _ = self.conn.execute_batch("ROLLBACK");
            }
            return Err(self.error(e));
        }
        value
    }

    /// A transaction control statement, compiled once.
    fn control(&self, sql: &str) -> rusqlite::Result<()> {
        self.conn.prepare_cached(sql)?.execute([]).map(|_| ())
    }

    /// Runs `f` for reads, mapping errors.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        f(&self.conn).map_err(|e| self.error(e))
    }
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
