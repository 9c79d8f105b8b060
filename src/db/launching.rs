//! The writes of a test's life cycle outside the helpers: bulk registration, LAUNCHED by the
//! runner, REMOTEHOSTSTART and the heartbeat by the executor, and dead tests (spec §8.2, §8.4,
//! §9.7). Each is one transaction with its rollup, so a killed process leaves no half state.

use super::rollup::refresh_run_stats;
use super::store::{Store, now};
use super::test_records::StatusChange;
use crate::error::Result;
use crate::model::{RunId, State, Status, TestId};

/// One record of a run as the dispatcher tracks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordState {
    /// The record's id.
    pub id: TestId,
    /// The test name.
    pub testname: String,
    /// The item path (`""` for the toplevel).
    pub item_path: String,
    /// The state.
    pub state: State,
    /// The status.
    pub status: Status,
    /// The host the test ran on (`n/a` before it started).
    pub host: String,
    /// The process id the runner or executor recorded (0 when none).
    pub pid: i64,
    /// When the state last started (launch, start).
    pub event_time: i64,
    /// Seconds the test has run (the executor's heartbeat).
    pub run_duration: i64,
}

const RECORD_COLUMNS: &str = "id, testname, item_path, coalesce(state,''), coalesce(status,''), coalesce(host,'n/a'), coalesce(attemptnum,0), coalesce(event_time,0), coalesce(run_duration,0)";

fn record_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecordState> {
    Ok(RecordState {
        id: r.get(0)?,
        testname: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        item_path: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
        state: r.get(3)?,
        status: r.get(4)?,
        host: r.get(5)?,
        pid: r.get::<_, Option<i64>>(6)?.unwrap_or(0),
        event_time: r.get::<_, Option<i64>>(7)?.unwrap_or(0),
        run_duration: r.get::<_, Option<i64>>(8)?.unwrap_or(0),
    })
}

impl Store {
    /// Registers tests and items (NOT_STARTED/n/a when new) in one transaction; returns their
    /// ids in the order given.
    pub fn register_tests(&self, run_id: RunId, names: &[(&str, &str)]) -> Result<Vec<TestId>> {
        self.write(|c| {
            let mut insert = c.prepare_cached(
                "INSERT OR IGNORE INTO tests (run_id, testname, item_path, state, status, event_time) VALUES (?1, ?2, ?3, 'NOT_STARTED', 'n/a', ?4)",
            )?;
            let mut find = c.prepare_cached(
                "SELECT id FROM tests WHERE run_id=?1 AND testname=?2 AND item_path=?3",
            )?;
            let time = now();
            let mut ids = Vec::with_capacity(names.len());
            for (name, item) in names {
                insert.execute((run_id, name, item, time))?;
                ids.push(find.query_row((run_id, name, item), |r| r.get(0))?);
            }
            Ok(ids)
        })
    }

    /// Gives `each` every record of a run, DELETED ones included, by test name and item
    /// path. The records are read a few thousand at a time along the `(run_id, testname,
    /// item_path)` index, so a run of 100,000 is never all in memory twice, and `each` may
    /// use the store.
    pub fn for_each_run_record(
        &self,
        run_id: RunId,
        mut each: impl FnMut(RecordState),
    ) -> Result<()> {
        const CHUNK: i64 = 4096;
        let mut after: Option<(String, String)> = None;
        loop {
            let chunk = self.read(|c| match &after {
                    None => c
                        .prepare_cached(&format!(
                            "SELECT {RECORD_COLUMNS} FROM tests WHERE run_id=?1 ORDER BY testname, item_path LIMIT ?2"
                        ))?
                        .query_map((run_id, CHUNK), record_from_row)?
                        .collect::<rusqlite::Result<Vec<_>>>(),
                    Some((name, item)) => c
                        .prepare_cached(&format!(
                            "SELECT {RECORD_COLUMNS} FROM tests WHERE run_id=?1 AND (testname, item_path) > (?2, ?3) ORDER BY testname, item_path LIMIT ?4"
                        ))?
                        .query_map((run_id, name, item, CHUNK), record_from_row)?
                        .collect(),
            })?;
            let Some(last) = chunk.last() else {
                return Ok(());
            };
            after = Some((last.testname.clone(), last.item_path.clone()));
            let full = chunk.len() as i64 == CHUNK;
            chunk.into_iter().for_each(&mut each);
            if !full {
                return Ok(());
            }
        }
    }

    /// These records, by id (missing ids are left out).
    pub fn records(&self, ids: &[TestId]) -> Result<Vec<RecordState>> {
        self.read(|c| {
            let mut stmt =
                c.prepare_cached(&format!("SELECT {RECORD_COLUMNS} FROM tests WHERE id=?1"))?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(r) = stmt.query_map([id], record_from_row)?.next() {
                    out.push(r?);
                }
            }
            Ok(out)
        })
    }

    /// Sets the directories of a toplevel record (of an itemized test) once its first item
    /// launches.
    pub fn set_toplevel_dirs(&self, test_id: TestId, rundir: &str, shortdir: &str) -> Result<()> {
        self.write(|c| {
            c.prepare_cached("UPDATE tests SET rundir=?1, shortdir=?2 WHERE id=?3")?
                .execute((rundir, shortdir, test_id))?;
            Ok(())
        })
    }

    /// Records the process a launch started, unless the executor already did.
    pub fn set_launch_pid(&self, test_id: TestId, pid: u32) -> Result<()> {
        self.write(|c| {
            c.prepare_cached(
                "UPDATE tests SET attemptnum=?1 WHERE id=?2 AND coalesce(attemptnum,0)=0",
            )?
            .execute((pid, test_id))?;
            Ok(())
        })
    }

    /// The test's run time in seconds, as its job ends.
    pub fn set_run_duration(&self, test_id: TestId, seconds: i64) -> Result<()> {
        self.write(|c| {
            c.prepare_cached("UPDATE tests SET run_duration=?1 WHERE id=?2")?
                .execute((seconds, test_id))
        })?;
        Ok(())
    }

    /// The executor's heartbeat: run time so far, and a `test_rundat` sample.
    pub fn heartbeat(
        &self,
        test_id: TestId,
        seconds: i64,
        cpuload: f64,
        diskfree: i64,
    ) -> Result<()> {
        self.write(|c| {
            c.prepare_cached("UPDATE tests SET run_duration=?1, cpuload=?2, diskfree=?3 WHERE id=?4")?.execute((seconds, cpuload, diskfree, test_id))?;
            c.prepare_cached("INSERT INTO test_rundat (test_id, update_time, cpuload, diskfree, run_duration) VALUES (?1, ?2, ?3, ?4, ?5)")?.execute((test_id, now(), cpuload, diskfree, seconds))?;
            Ok(())
        })
    }

    /// The current state of one test.
    pub fn state_of(&self, test_id: TestId) -> Result<Option<(State, Status)>> {
        Ok(self.records(&[test_id])?.pop().map(|r| (r.state, r.status)))
    }
}

/// What [`super::RecordWrites::start_test`] found and did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TestStart {
    /// No such record.
    Missing,
    /// Not started: the record is in this state (REMOVING, DELETED, KILLREQ or KILLED).
    Refused(State),
    /// Started: the changes of REMOTEHOSTSTART, then of RUNNING.
    Started {
        /// The REMOTEHOSTSTART writes.
        started: Vec<StatusChange>,
        /// The RUNNING writes.
        running: Vec<StatusChange>,
    },
}

/// Which records [`Store::reset_tests`] resets.
#[derive(Debug, Clone, Default)]
pub struct ResetFilter<'a> {
    /// Only these tests.
    pub testnames: Option<&'a [String]>,
    /// Only records in these states.
    pub states: Option<&'a [String]>,
    /// Only records with these statuses.
    pub statuses: Option<&'a [String]>,
}

impl Store {
    /// Sets matching records of a run (not DELETED) to NOT_STARTED, with `status` (or
    /// keeping theirs when `None`), so they run again; returns how many changed.
    pub fn reset_tests(
        &self,
        run_id: RunId,
        filter: &ResetFilter<'_>,
        status: Option<&Status>,
    ) -> Result<usize> {
        let mut conditions = vec!["run_id=?".to_string(), "state != 'DELETED'".to_string()];
        let mut params: Vec<rusqlite::types::Value> = vec![run_id.into()];
        for (column, list) in [
            ("testname", filter.testnames),
            ("state", filter.states),
            ("status", filter.statuses),
        ] {
            if let Some(list) = list {
                if list.is_empty() {
                    return Ok(0);
                }
                conditions.push(format!("{column} IN ({})", vec!["?"; list.len()].join(",")));
                params.extend(list.iter().map(|s| rusqlite::types::Value::Text(s.clone())));
            }
        }
        let set_status = match status {
            Some(s) => {
                params.insert(0, s.to_string().into());
                "state='NOT_STARTED', status=?"
            }
            None => "state='NOT_STARTED'",
        };
        let sql = format!(
            "UPDATE tests SET {set_status} WHERE {}",
            conditions.join(" AND ")
        );
        self.write(|c| {
            let changed = c.execute(&sql, rusqlite::params_from_iter(params.iter()))?;
            refresh_run_stats(c, run_id)?;
            Ok(changed)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_read_whole_across_chunks_and_no_other_run() {
        let dir = tempfile::tempdir().unwrap();
        let (store, target) = Store::scratch(dir.path());
        let run = store.register_run(&target, "r", "me", "").unwrap();
        let other = store.register_run(&target, "o", "me", "").unwrap();
        let items: Vec<String> = (0..9000).map(|i| format!("{i}")).collect();
        let mut names: Vec<(&str, &str)> = vec![("t", ""), ("u", "")];
        names.extend(items.iter().map(|i| ("t", i.as_str())));
        store.register_tests(run, &names).unwrap();
        store.register_tests(other, &[("t", "1")]).unwrap();
        let mut seen = Vec::new();
        store
            .for_each_run_record(run, |r| seen.push((r.testname, r.item_path)))
            .unwrap();
        assert_eq!(
            seen.len(),
            names.len(),
            "every record once, across three chunks"
        );
        let unique: std::collections::BTreeSet<_> = seen.iter().collect();
        assert_eq!(unique.len(), names.len());
    }
}
