//! Database upkeep: `-cleanup-db` (key columns, orphan and deleted records, vacuum) and
//! `-rebuild-db` (schema, indexes and triggers brought back, statistics refreshed).

use super::schema;
use super::store::Store;
use crate::error::{Error, ErrorKind, Result};

/// What `-cleanup-db` removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanupReport {
    /// Key columns added to `runs`.
    pub added_keys: Vec<String>,
    /// Test records removed.
    pub tests: usize,
    /// Run records removed.
    pub runs: usize,
}

impl Store {
    /// Megatest's `-cleanup-db`: adds missing key columns, removes the tests of deleted runs,
    /// DELETED tests, tests of no run, deleted runs and runs without tests, then vacuums.
    pub fn cleanup(&self, keys: &[(String, String)], version: &str) -> Result<CleanupReport> {
        let report = self.write(|c| {
            let added_keys = schema::add_key_columns(c, keys)?;
            let mut tests = c.execute(
                "DELETE FROM tests WHERE run_id IN (SELECT id FROM runs WHERE state='deleted')",
                [],
            )?;
            tests += c.execute("DELETE FROM tests WHERE state='DELETED'", [])?;
            tests += c.execute(
                "DELETE FROM tests WHERE run_id NOT IN (SELECT id FROM runs)",
                [],
            )?;
            let mut runs = c.execute("DELETE FROM runs WHERE state='deleted'", [])?;
            runs += c.execute(
                "DELETE FROM runs WHERE id NOT IN (SELECT DISTINCT run_id FROM tests)",
                [],
            )?;
            c.execute(
                "DELETE FROM test_steps WHERE test_id NOT IN (SELECT id FROM tests)",
                [],
            )?;
            c.execute(
                "DELETE FROM test_data WHERE test_id NOT IN (SELECT id FROM tests)",
                [],
            )?;
            c.execute(
                "DELETE FROM test_jobs WHERE test_id NOT IN (SELECT id FROM tests)",
                [],
            )?;
            c.execute(
                "DELETE FROM run_stats WHERE run_id NOT IN (SELECT id FROM runs)",
                [],
            )?;
            c.execute(
                "INSERT OR REPLACE INTO metadat (var, val) VALUES ('MEGATEST_VERSION', ?1)",
                [version],
            )?;
            Ok(CleanupReport {
                added_keys,
                tests,
                runs,
            })
        })?;
        self.read(|c| c.execute_batch("VACUUM"))?;
        Ok(report)
    }

    /// `-rebuild-db`: every table, index and trigger of the current schema present again,
    /// indexes rebuilt, statistics refreshed, integrity checked.
    pub fn rebuild(&self, keys: &[(String, String)]) -> Result<()> {
        self.write(|c| {
            c.execute_batch("PRAGMA user_version = 0")?;
            schema::migrate(c, keys)?;
            schema::add_key_columns(c, keys)?;
            Ok(())
        })?;
        self.read(|c| c.execute_batch("REINDEX; ANALYZE;"))?;
        let check: String =
            self.read(|c| c.query_row("PRAGMA integrity_check", [], |r| r.get(0)))?;
        if check != "ok" {
            return Err(Error::of(
                ErrorKind::Database,
                format!(
                    "the database `{}` is damaged: {check}",
                    self.path().display()
                ),
            ));
        }
        Ok(())
    }

    /// Removes test records DELETED more than `days` ago (after a run's removal).
    pub fn purge_deleted_tests(&self, days: i64) -> Result<usize> {
        self.write(|c| {
            c.execute(
                "DELETE FROM tests WHERE state='DELETED' AND last_update < strftime('%s','now') - ?1",
                [days * 86400],
            )
        })
    }
}
