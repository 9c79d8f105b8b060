//! The `tests` table: registering tests and items, reading them, and setting state and
//! status with the toplevel rollup of itemized tests in the same transaction (spec §6.3).

use super::records::{TEST_FIELDS, TestRecord, TestView, text};
use super::rollup::refresh_run_stats;
use super::store::{Store, now};
use crate::error::{Error, Result};
use crate::model::{RunId, State, Status, TestId};
use crate::select::TestPatterns;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params_from_iter};

/// A state/status write, for the triggers that fire on it (spec §11).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StatusChange {
    /// The test record written.
    pub test_id: TestId,
    /// Its run.
    pub run_id: RunId,
    /// Its test name.
    pub testname: String,
    /// Its item path (`""` for the toplevel).
    pub item_path: String,
    /// The state after the write.
    pub state: State,
    /// The status after the write.
    pub status: Status,
}

/// Which tests of a run a query returns.
#[derive(Debug, Clone, Default)]
pub struct TestFilter {
    /// Test patterns (all tests when absent).
    pub patterns: Option<TestPatterns>,
    /// Only these states.
    pub states: Option<Vec<String>>,
    /// Only these statuses.
    pub statuses: Option<Vec<String>>,
    /// Include DELETED records.
    pub include_deleted: bool,
    /// Read only these fields (the others come back NULL); all when absent.
    pub only_fields: Option<Vec<&'static str>>,
}

impl TestFilter {
    fn sql(&self) -> (String, Vec<Value>) {
        let mut conditions = vec!["run_id=?".to_string()];
        let mut params = Vec::new();
        if let Some(p) = self.patterns.as_ref().filter(|p| !p.is_everything()) {
            conditions.push("mt_testpatt(?, testname, item_path)".into());
            params.push(Value::Text(p.text().to_string()));
        }
        for (column, list) in [("state", &self.states), ("status", &self.statuses)] {
            if let Some(list) = list.as_ref().filter(|l| !l.is_empty()) {
                let marks = vec!["?"; list.len()].join(",");
                conditions.push(format!("{column} IN ({marks})"));
                params.extend(list.iter().map(|s| Value::Text(s.clone())));
            }
        }
        if !self.include_deleted {
            conditions.push("state != 'DELETED'".into());
        }
        (conditions.join(" AND "), params)
    }
}

fn test_by_id(c: &Connection, id: TestId) -> rusqlite::Result<Option<TestRecord>> {
    c.prepare_cached(&format!(
        "SELECT {} FROM tests WHERE id=?1",
        TestRecord::columns()
    ))?
    .query_row([id], TestRecord::from_row)
    .optional()
}

/// A test's items (path, state, status, comment) in path order, for its rollup page.
const ITEM_ROWS: &str = "SELECT item_path, state, status, comment FROM tests WHERE run_id=?1 AND testname=?2 AND item_path != '' AND state != 'DELETED' ORDER BY item_path ASC";

impl Store {
    /// Registers a test or item (NOT_STARTED/n/a if new) and returns its id.
    pub fn register_test(&self, run_id: RunId, testname: &str, item_path: &str) -> Result<TestId> {
        self.write(|c| {
            c.execute(
                "INSERT OR IGNORE INTO tests (run_id, testname, item_path, state, status, event_time) VALUES (?1, ?2, ?3, 'NOT_STARTED', 'n/a', ?4)",
                (run_id, testname, item_path, now()),
            )?;
            c.prepare_cached("SELECT id FROM tests WHERE run_id=?1 AND testname=?2 AND item_path=?3")?.query_row(
                (run_id, testname, item_path),
                |r| r.get(0),
            )
        })
    }

    /// A test record.
    pub fn test(&self, id: TestId) -> Result<Option<TestRecord>> {
        self.read(|c| test_by_id(c, id))
    }

    /// The id of a test or item of a run.
    pub fn test_id(
        &self,
        run_id: RunId,
        testname: &str,
        item_path: &str,
    ) -> Result<Option<TestId>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT id FROM tests WHERE run_id=?1 AND testname=?2 AND item_path=?3",
            )?
            .query_row((run_id, testname, item_path), |r| r.get(0))
            .optional()
        })
    }

    /// The tests of a run, by test name then item path.
    pub fn tests_for_run(&self, run_id: RunId, filter: &TestFilter) -> Result<Vec<TestRecord>> {
        let (sql, params) = self.tests_query(run_id, filter);
        self.read(|c| {
            let mut stmt = c.prepare_cached(&sql)?;

            stmt.query_map(params_from_iter(params.iter()), TestRecord::from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
    }

    /// Calls `visit` with each test of a run (as [`Store::tests_for_run`] selects them),
    /// reading the row in place.
    pub fn for_each_test(
        &self,
        run_id: RunId,
        filter: &TestFilter,
        mut visit: impl FnMut(&TestView<'_, '_>) -> Result<()>,
    ) -> Result<()> {
        let (sql, params) = self.tests_query(run_id, filter);
        let mut stmt = self
            .connection()
            .prepare_cached(&sql)
            .map_err(|e| self.error(e))?;
        let mut rows = stmt
            .query(params_from_iter(params.iter()))
            .map_err(|e| self.error(e))?;
        while let Some(row) = rows.next().map_err(|e| self.error(e))? {
            visit(&TestView { row })?;
        }
        Ok(())
    }

    fn tests_query(&self, run_id: RunId, filter: &TestFilter) -> (String, Vec<Value>) {
        let (conditions, extra) = filter.sql();
        let columns = match &filter.only_fields {
            None => TestRecord::columns(),
            Some(only) => TEST_FIELDS
                .iter()
                .map(|f| if only.contains(f) { *f } else { "NULL" })
                .collect::<Vec<_>>()
                .join(","),
        };
        let sql = format!(
            "SELECT {columns} FROM tests WHERE {conditions} ORDER BY testname ASC, item_path ASC"
        );
        let mut params = vec![Value::from(run_id)];
        params.extend(extra);
        (sql, params)
    }

    /// Sets named columns of a test record (run directory, host, ...).
    pub fn set_test_fields(&self, test_id: TestId, fields: &[(&str, Value)]) -> Result<()> {
        for (name, _) in fields {
            if !TEST_FIELDS.contains(name) && !["logdat", "fail_count", "pass_count"].contains(name)
            {
                // Only megatest's own code names the fields: a bug, not bad input.
                return Err(crate::error::Error::of(
                    crate::error::ErrorKind::Internal,
                    format!("`{name}` is not a column of tests"),
                ));
            }
        }
        let counts_change = fields
            .iter()
            .any(|(name, _)| ["state", "status", "uname", "run_id"].contains(name));
        self.write(|c| {
            for (name, value) in fields {
                c.execute(
                    &format!("UPDATE tests SET {name}=?1 WHERE id=?2"),
                    (value, test_id),
                )?;
            }
            if counts_change {
                let run_id: RunId = c
                    .prepare_cached("SELECT run_id FROM tests WHERE id=?1")?
                    .query_row([test_id], |r| r.get(0))?;
                refresh_run_stats(c, run_id)?;
            }
            Ok(())
        })
    }

    /// Sets a test's final log file.
    pub fn set_test_log(&self, test_id: TestId, logfile: &str) -> Result<()> {
        self.set_test_fields(test_id, &[("final_logf", Value::Text(logfile.to_string()))])
    }

    /// The items of `testname` in a run (not DELETED ones), by item path: path, state,
    /// status and comment, read alone (a rollup page of 100,000 items reads only these).
    pub fn item_rows(&self, run_id: RunId, testname: &str) -> Result<Vec<[String; 4]>> {
        self.read(|c| {
            c.prepare_cached(ITEM_ROWS)?
                .query_map((run_id, testname), |r| {
                    Ok([text(r, 0)?, text(r, 1)?, text(r, 2)?, text(r, 3)?])
                })?
                .collect()
        })
    }

    /// Gives `row` each item of `testname` in `run_id` (path, state, status, comment) in
    /// path order, one at a time; stops at the first error `row` returns.
    pub fn for_each_item_row(
        &self,
        run_id: RunId,
        testname: &str,
        mut row: impl FnMut([&str; 4]) -> std::io::Result<()>,
    ) -> Result<()> {
        let mut failed = None;
        self.read(|c| {
            let mut stmt = c.prepare_cached(ITEM_ROWS)?;
            let mut rows = stmt.query((run_id, testname))?;
            while let Some(r) = rows.next()? {
                let field = |i| {
                    r.get_ref(i)
                        .map(|v| v.as_str_or_null().ok().flatten().unwrap_or(""))
                };
                if let Err(e) = row([field(0)?, field(1)?, field(2)?, field(3)?]) {
                    failed = Some(e);
                    break;
                }
            }
            Ok(())
        })?;
        match failed {
            Some(e) => Err(Error::new(format!(
                "cannot write the items of {testname}: {e}"
            ))),
            None => Ok(()),
        }
    }

    /// How many items (not DELETED) each test of a run has; tests without items are absent.
    pub fn item_counts(&self, run_id: RunId) -> Result<std::collections::HashMap<String, usize>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT testname, count(*) FROM tests WHERE run_id=?1 AND item_path != '' AND state != 'DELETED' GROUP BY testname",
            )?
            .query_map([run_id], |r| Ok((text(r, 0)?, r.get::<_, i64>(1)? as usize)))?
            .collect()
        })
    }

    /// Marks a test record DELETED (steps and data too).
    pub fn mark_test_deleted(&self, test_id: TestId) -> Result<()> {
        self.write(|c| {
            super::rollup::uncount(c, test_id)?;
            c.prepare_cached(
                "UPDATE tests SET state='DELETED', status='n/a', comment='' WHERE id=?1",
            )?
            .execute([test_id])?;
            c.prepare_cached("UPDATE test_steps SET status='DELETED' WHERE test_id=?1")?
                .execute([test_id])?;
            c.prepare_cached("UPDATE test_data SET status='DELETED' WHERE test_id=?1")?
                .execute([test_id])?;
            Ok(())
        })
    }

    /// [`Store::mark_test_deleted`] for many records, in one transaction (none marked when
    /// one fails).
    pub fn mark_tests_deleted(&self, test_ids: &[TestId]) -> Result<()> {
        if test_ids.is_empty() {
            return Ok(());
        }
        self.transaction(|| {
            test_ids
                .iter()
                .try_for_each(|&id| self.mark_test_deleted(id))
        })
    }

    /// Runs one of the rmt general-call statements; when it can change the status of the
    /// test `status_of`, that test's run is re-counted in `run_stats` with it.
    pub fn general_statement(
        &self,
        sql: &str,
        params: &[rusqlite::types::Value],
        status_of: Option<i64>,
    ) -> Result<()> {
        self.write(|c| {
            c.execute(sql, rusqlite::params_from_iter(params.iter()))?;
            if let Some(test_id) = status_of {
                let run_id: Option<RunId> = c
                    .prepare_cached("SELECT run_id FROM tests WHERE id=?1")?
                    .query_row([test_id], |r| r.get(0))
                    .optional()?;
                if let Some(run_id) = run_id {
                    refresh_run_stats(c, run_id)?;
                }
            }
            Ok(())
        })
    }

    /// How many of the tests `ids` are in a running state.
    pub fn count_running_of(&self, ids: &[TestId]) -> Result<i64> {
        let mut running = 0;
        for id in ids {
            running += i64::from(self.test(*id)?.is_some_and(|t| t.state().is_running()));
        }
        Ok(running)
    }

    /// Tests in a running state across all runs of the area (for `max_concurrent_jobs`); the
    /// toplevel records of itemized tests, which never run themselves, do not count.
    pub fn count_running(&self) -> Result<i64> {
        self.read(|c| {
            c.prepare_cached(&format!("SELECT count(*) FROM tests t WHERE state IN {} AND NOT (item_path='' AND uname='n/a' AND EXISTS (SELECT 1 FROM tests i WHERE i.run_id=t.run_id AND i.testname=t.testname AND i.item_path != ''))", crate::model::sql_list(State::RUNNING)))?.query_row(
                [],
                |r| r.get(0),
            )
        })
    }
}
