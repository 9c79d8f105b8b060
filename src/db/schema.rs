//! The schema of `megatest.db` (spec §14.2), with Megatest's table and column names so that
//! users' SQL keeps working, and its migrations keyed on `PRAGMA user_version`:
//! version 1 is Megatest 1.65's layout; versions 2 and 3 add the indexes this port's queries
//! use, version 4 the run owners.

use rusqlite::{Connection, OptionalExtension};

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 5;

/// Megatest 1.65's tables, apart from `runs`, whose columns depend on the `[fields]` keys.
const V1_TABLES: &str = "
CREATE TABLE IF NOT EXISTS keys (id INTEGER PRIMARY KEY, fieldname TEXT, fieldtype TEXT, CONSTRAINT keyconstraint UNIQUE (fieldname));
CREATE TABLE IF NOT EXISTS run_stats (id INTEGER PRIMARY KEY, run_id INTEGER, state TEXT, status TEXT, count INTEGER, last_update INTEGER DEFAULT (strftime('%s','now')));
CREATE TABLE IF NOT EXISTS test_meta (id INTEGER PRIMARY KEY, testname TEXT DEFAULT '', author TEXT DEFAULT '', owner TEXT DEFAULT '', description TEXT DEFAULT '', reviewed TIMESTAMP, iterated TEXT DEFAULT '', avg_runtime REAL, avg_disk REAL, tags TEXT DEFAULT '', jobgroup TEXT DEFAULT 'default', CONSTRAINT test_meta_constraint UNIQUE (testname));
CREATE TABLE IF NOT EXISTS tasks_queue (id INTEGER PRIMARY KEY, action TEXT DEFAULT '', owner TEXT, state TEXT DEFAULT 'new', target TEXT DEFAULT '', name TEXT DEFAULT '', testpatt TEXT DEFAULT '', keylock TEXT, params TEXT, creation_time TIMESTAMP DEFAULT (strftime('%s','now')), execution_time TIMESTAMP);
CREATE TABLE IF NOT EXISTS archive_disks (id INTEGER PRIMARY KEY, archive_area_name TEXT, disk_path TEXT, last_df INTEGER DEFAULT -1, last_df_time TIMESTAMP DEFAULT (strftime('%s','now')), creation_time TIMESTAMP DEFAULT (strftime('%s','now')));
CREATE TABLE IF NOT EXISTS archive_blocks (id INTEGER PRIMARY KEY, archive_disk_id INTEGER, disk_path TEXT, last_du INTEGER DEFAULT -1, last_du_time TIMESTAMP DEFAULT (strftime('%s','now')), creation_time TIMESTAMP DEFAULT (strftime('%s','now')));
CREATE TABLE IF NOT EXISTS archive_allocations (id INTEGER PRIMARY KEY, archive_block_id INTEGER, testname TEXT, item_path TEXT, creation_time TIMESTAMP DEFAULT (strftime('%s','now')));
CREATE TABLE IF NOT EXISTS extradat (id INTEGER PRIMARY KEY, run_id INTEGER, key TEXT, val TEXT);
CREATE TABLE IF NOT EXISTS metadat (id INTEGER PRIMARY KEY, var TEXT, val TEXT, CONSTRAINT metadat_constraint UNIQUE (var));
CREATE TABLE IF NOT EXISTS access_log (id INTEGER PRIMARY KEY, user TEXT, accessed TIMESTAMP, args TEXT);
CREATE TABLE IF NOT EXISTS tests (
    id INTEGER PRIMARY KEY,
    run_id       INTEGER   DEFAULT -1,
    testname     TEXT      DEFAULT 'noname',
    host         TEXT      DEFAULT 'n/a',
    cpuload      REAL      DEFAULT -1,
    diskfree     INTEGER   DEFAULT -1,
    uname        TEXT      DEFAULT 'n/a',
    rundir       TEXT      DEFAULT '/tmp/badname',
    shortdir     TEXT      DEFAULT '/tmp/badname',
    item_path    TEXT      DEFAULT '',
    state        TEXT      DEFAULT 'NOT_STARTED',
    status       TEXT      DEFAULT 'FAIL',
    attemptnum   INTEGER   DEFAULT 0,
    final_logf   TEXT      DEFAULT 'logs/final.log',
    logdat       TEXT      DEFAULT '',
    run_duration INTEGER   DEFAULT 0,
    comment      TEXT      DEFAULT '',
    event_time   TIMESTAMP DEFAULT (strftime('%s','now')),
    fail_count   INTEGER   DEFAULT 0,
    pass_count   INTEGER   DEFAULT 0,
    archived     INTEGER   DEFAULT 0,
    last_update  INTEGER   DEFAULT (strftime('%s','now')),
    CONSTRAINT testsconstraint UNIQUE (run_id, testname, item_path));
CREATE INDEX IF NOT EXISTS tests_index ON tests (run_id, testname, item_path, uname);
CREATE INDEX IF NOT EXISTS teststeps_index ON tests (run_id, testname, item_path);
CREATE TABLE IF NOT EXISTS test_steps (id INTEGER PRIMARY KEY, test_id INTEGER, stepname TEXT, state TEXT DEFAULT 'NOT_STARTED', status TEXT DEFAULT 'n/a', event_time TIMESTAMP, comment TEXT DEFAULT '', logfile TEXT DEFAULT '', last_update INTEGER DEFAULT (strftime('%s','now')), CONSTRAINT test_steps_constraint UNIQUE (test_id, stepname, state));
CREATE TABLE IF NOT EXISTS test_data (id INTEGER PRIMARY KEY, test_id INTEGER, category TEXT DEFAULT '', variable TEXT, value REAL, expected REAL, tol REAL, units TEXT, comment TEXT DEFAULT '', status TEXT DEFAULT 'n/a', type TEXT DEFAULT '', last_update INTEGER DEFAULT (strftime('%s','now')), CONSTRAINT test_data_constraint UNIQUE (test_id, category, variable));
CREATE INDEX IF NOT EXISTS test_data_index ON test_data (test_id);
CREATE TABLE IF NOT EXISTS test_rundat (id INTEGER PRIMARY KEY, test_id INTEGER, update_time TIMESTAMP, cpuload INTEGER DEFAULT -1, diskfree INTEGER DEFAULT -1, diskusage INTEGER DEFAULT -1, run_duration INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS archives (id INTEGER PRIMARY KEY, test_id INTEGER, state TEXT DEFAULT 'new', status TEXT DEFAULT 'n/a', archive_type TEXT DEFAULT 'bup', du INTEGER, archive_path TEXT);
";

/// Tables whose rows keep a `last_update` time.
const TIMESTAMPED: &[&str] = &["runs", "run_stats", "tests", "test_steps", "test_data"];

/// Version 2: indexes for this port's queries (counting running tests area-wide, steps of a
/// test, job groups, runs by state).
const V2_INDEXES: &str = "
CREATE INDEX IF NOT EXISTS tests_state_index ON tests (state);
CREATE INDEX IF NOT EXISTS test_steps_test_index ON test_steps (test_id);
CREATE INDEX IF NOT EXISTS test_meta_jobgroup_index ON test_meta (jobgroup);
CREATE INDEX IF NOT EXISTS run_stats_run_index ON run_stats (run_id);
";

/// Version 3: the toplevel rollup reads the distinct (state, status) of a test's items on
/// every item write; this covering index makes that a short index walk with no sort.
const V3_INDEXES: &str = "
CREATE INDEX IF NOT EXISTS tests_rollup_index ON tests (run_id, testname, state, status, item_path);
";

/// Version 4: who runs a run (one runner per run; see `runner::lease`). Not in Megatest's
/// schema: an added table, so Megatest's own SQL is unaffected.
const V4_RUN_OWNERS: &str = "
CREATE TABLE IF NOT EXISTS run_owners (
    run_id INTEGER PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    pid_start TEXT NOT NULL DEFAULT '',
    since INTEGER NOT NULL,
    heartbeat INTEGER NOT NULL
);
";

/// Version 5: the batch job or remote host carrying each launched test (see
/// `db::test_jobs`). An added table, as `run_owners`.
const V5_TEST_JOBS: &str = "
CREATE TABLE IF NOT EXISTS test_jobs (
    test_id INTEGER PRIMARY KEY,
    launcher TEXT NOT NULL,
    job TEXT NOT NULL,
    submitted INTEGER NOT NULL
);
";

/// The `runs` table for these keys (name, SQL type).
fn runs_ddl(keys: &[(String, String)]) -> String {
    let key_columns: String = keys
        .iter()
        .map(|(name, kind)| format!("\"{name}\" {kind}, "))
        .collect();
    let key_names: String = keys
        .iter()
        .map(|(name, _)| format!(", \"{name}\""))
        .collect();
    format!(
        "CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, {key_columns}runname TEXT DEFAULT 'norun', contour TEXT DEFAULT '', state TEXT DEFAULT '', status TEXT DEFAULT '', owner TEXT DEFAULT '', event_time TIMESTAMP DEFAULT (strftime('%s','now')), comment TEXT DEFAULT '', fail_count INTEGER DEFAULT 0, pass_count INTEGER DEFAULT 0, last_update INTEGER DEFAULT (strftime('%s','now')), CONSTRAINT runsconstraint UNIQUE (runname{key_names}));
         CREATE INDEX IF NOT EXISTS runs_index ON runs (runname{key_names});"
    )
}

/// Megatest 1.65's schema (version 1), for a new file or tests of the migration.
pub(super) fn create_v1(conn: &Connection, keys: &[(String, String)]) -> rusqlite::Result<()> {
    conn.execute_batch(V1_TABLES)?;
    conn.execute_batch(&runs_ddl(keys))?;
    for table in TIMESTAMPED {
        conn.execute_batch(&format!(
            "CREATE TRIGGER IF NOT EXISTS update_{table}_trigger AFTER UPDATE ON {table} FOR EACH ROW WHEN NEW.last_update = OLD.last_update BEGIN UPDATE {table} SET last_update=(strftime('%s','now')) WHERE id=old.id; END;"
        ))?;
    }
    for (name, kind) in keys {
        conn.execute(
            "INSERT OR IGNORE INTO keys (fieldname, fieldtype) VALUES (?1, ?2)",
            (name, kind),
        )?;
    }
    Ok(())
}

fn columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info({table})"))?;

    stmt.query_map([], |r| r.get::<_, String>(1))?.collect()
}

/// Brings the schema to [`SCHEMA_VERSION`]; runs inside the caller's write transaction.
/// Returns the version found.
pub(super) fn migrate(conn: &Connection, keys: &[(String, String)]) -> rusqlite::Result<i64> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found >= SCHEMA_VERSION {
        return Ok(found);
    }
    let has_tests: bool = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='tests'",
            [],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    // A new file, or one Megatest 1.65 made (user_version 0 with tables): both become v1.
    create_v1(conn, keys)?;
    if has_tests {
        // Megatest databases older than 1.65 may lack these columns.
        for (table, column, ddl) in [
            ("runs", "contour", "TEXT DEFAULT ''"),
            ("runs", "last_update", "INTEGER DEFAULT 0"),
            ("tests", "last_update", "INTEGER DEFAULT 0"),
            ("tests", "archived", "INTEGER DEFAULT 0"),
        ] {
            if !columns(conn, table)?.iter().any(|c| c == column) {
                conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {ddl}"))?;
            }
        }
    }
    conn.execute_batch(V2_INDEXES)?;
    conn.execute_batch(V3_INDEXES)?;
    conn.execute_batch(V4_RUN_OWNERS)?;
    conn.execute_batch(V5_TEST_JOBS)?;
    conn.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
    Ok(found)
}

/// The key columns `runs` lacks (keys added to `[fields]` since the database was made).
pub(super) fn missing_key_columns(
    conn: &Connection,
    keys: &[(String, String)],
) -> rusqlite::Result<Vec<String>> {
    let present = columns(conn, "runs")?;
    Ok(keys
        .iter()
        .filter(|(k, _)| !present.iter().any(|c| c == k))
        .map(|(k, _)| k.clone())
        .collect())
}

/// Adds missing key columns (existing runs get `x`, as Megatest's `-cleanup-db` does) and
/// refreshes the `keys` table.
pub(super) fn add_key_columns(
    conn: &Connection,
    keys: &[(String, String)],
) -> rusqlite::Result<Vec<String>> {
    let missing = missing_key_columns(conn, keys)?;
    for name in &missing {
        let kind = &keys
            .iter()
            .find(|(k, _)| k == name)
            .expect("listed above")
            .1;
        conn.execute_batch(&format!("ALTER TABLE runs ADD COLUMN \"{name}\" {kind}"))?;
        conn.execute(
            &format!("UPDATE runs SET \"{name}\"='x' WHERE \"{name}\" IS NULL OR \"{name}\"=''"),
            [],
        )?;
    }
    conn.execute("DELETE FROM keys", [])?;
    for (name, kind) in keys {
        conn.execute(
            "INSERT INTO keys (fieldname, fieldtype) VALUES (?1, ?2)",
            (name, kind),
        )?;
    }
    Ok(missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<(String, String)> {
        vec![
            ("sysname".into(), "TEXT".into()),
            ("fsname".into(), "TEXT".into()),
        ]
    }

    fn version(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    }

    fn has_index(conn: &Connection, name: &str) -> bool {
        conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type='index' AND name=?1",
            [name],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
            == 1
    }

    #[test]
    fn empty_file_gets_the_current_schema() {
        let conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&conn, &keys()).unwrap(), 0);
        assert_eq!(version(&conn), SCHEMA_VERSION);
        assert!(has_index(&conn, "tests_state_index"));
        let cols = columns(&conn, "runs").unwrap();
        assert!(cols.contains(&"sysname".to_string()) && cols.contains(&"runname".to_string()));
        let n: i64 = conn
            .query_row("SELECT count(*) FROM keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
    }

    #[test]
    fn previous_version_is_migrated_keeping_rows() {
        let conn = Connection::open_in_memory().unwrap();
        create_v1(&conn, &keys()).unwrap();
        conn.execute_batch("PRAGMA user_version = 1; INSERT INTO runs (sysname, fsname, runname) VALUES ('a','b','r1');").unwrap();
        assert!(!has_index(&conn, "tests_state_index"));
        assert_eq!(migrate(&conn, &keys()).unwrap(), 1);
        assert_eq!(version(&conn), SCHEMA_VERSION);
        assert!(has_index(&conn, "tests_state_index"));
        let n: i64 = conn
            .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn a_megatest_database_without_user_version_is_adopted() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE runs (id INTEGER PRIMARY KEY, sysname TEXT, fsname TEXT, runname TEXT, state TEXT, status TEXT, owner TEXT, event_time TIMESTAMP, comment TEXT, fail_count INTEGER, pass_count INTEGER);
            CREATE TABLE tests (id INTEGER PRIMARY KEY, run_id INTEGER, testname TEXT, host TEXT, cpuload REAL, diskfree INTEGER, uname TEXT, rundir TEXT, shortdir TEXT, item_path TEXT, state TEXT, status TEXT, attemptnum INTEGER, final_logf TEXT, logdat TEXT, run_duration INTEGER, comment TEXT, event_time TIMESTAMP, fail_count INTEGER, pass_count INTEGER);").unwrap();
        migrate(&conn, &keys()).unwrap();
        assert!(
            columns(&conn, "runs")
                .unwrap()
                .contains(&"contour".to_string())
        );
        assert!(
            columns(&conn, "tests")
                .unwrap()
                .contains(&"archived".to_string())
        );
    }

    #[test]
    fn new_keys_become_columns() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn, &keys()).unwrap();
        conn.execute(
            "INSERT INTO runs (sysname, fsname, runname) VALUES ('a','b','r')",
            [],
        )
        .unwrap();
        let mut more = keys();
        more.push(("datapath".into(), "TEXT".into()));
        assert_eq!(missing_key_columns(&conn, &more).unwrap(), ["datapath"]);
        add_key_columns(&conn, &more).unwrap();
        let v: String = conn
            .query_row("SELECT datapath FROM runs", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, "x");
    }
}
