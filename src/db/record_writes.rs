//! The writes that change a test record's state or status, each returning every record it
//! changed (the record and its rolled-up toplevel). They fire no triggers: `writer::Writer`
//! is their one user, with the recorder, which applies an executor's writes whose triggers
//! the executor's own writer fires. A test of the source tree keeps it so. Each write and its
//! rollup are one transaction.

use super::launching::TestStart;
use super::rollup::{Extra, refresh_run_stats, set_and_roll_up, set_and_roll_up_through};
use super::store::{Store, now};
use super::test_records::StatusChange;
use crate::error::Result;
use crate::model::{RunId, State, Status, TestId};
use rusqlite::OptionalExtension;

/// State and status writes, triggers not fired.
pub trait RecordWrites {
    /// Sets state and/or status (and the comment, when given) of a test; for an item, the
    /// toplevel record is rolled up in the same transaction.
    fn set_state_status(
        &self,
        test_id: TestId,
        state: Option<&State>,
        status: Option<&Status>,
        comment: Option<&str>,
    ) -> Result<Vec<StatusChange>>;

    /// [`RecordWrites::set_state_status`] only when the record's state is one of `only_in`,
    /// decided in the same transaction (`None`: nothing written).
    fn set_state_status_if_in(
        &self,
        test_id: TestId,
        only_in: &[State],
        state: Option<&State>,
        status: Option<&Status>,
    ) -> Result<Option<Vec<StatusChange>>>;

    /// State, status and comment of one record without its rollup; how many records changed.
    fn set_state_status_without_rollup(
        &self,
        test_id: TestId,
        state: Option<&State>,
        status: Option<&Status>,
        comment: Option<&str>,
    ) -> Result<usize>;

    /// The runner's launch: LAUNCHED/n/a with the run directories and the host.
    fn mark_launched(
        &self,
        test_id: TestId,
        rundir: &str,
        shortdir: &str,
        host: &str,
    ) -> Result<Vec<StatusChange>>;

    /// The executor's start: REMOTEHOSTSTART then RUNNING, unless removed or killed meanwhile.
    fn start_test(&self, test_id: TestId, host: &str, uname: &str, pid: u32) -> Result<TestStart>;

    /// Tests silent past their time become COMPLETED/DEAD (spec §8.4).
    fn mark_dead_tests(&self, deadtime: i64) -> Result<Vec<StatusChange>>;

    /// The test-data rollup's status (spec §13.3).
    fn test_data_rollup(&self, test_id: TestId) -> Result<Vec<StatusChange>>;
}

impl RecordWrites for Store {
    fn set_state_status(
        &self,
        test_id: TestId,
        state: Option<&State>,
        status: Option<&Status>,
        comment: Option<&str>,
    ) -> Result<Vec<StatusChange>> {
        let extra = Extra {
            comment,
            ..Extra::default()
        };
        let changes = self.write(|c| set_and_roll_up(c, test_id, state, status, extra))?;
        if status == Some(&Status::Auto) {
            let mut more = self.test_data_rollup(test_id)?;
            let mut all = changes;
            all.append(&mut more);
            return Ok(all);
        }
        Ok(changes)
    }

    fn set_state_status_if_in(
        &self,
        test_id: TestId,
        only_in: &[State],
        state: Option<&State>,
        status: Option<&Status>,
    ) -> Result<Option<Vec<StatusChange>>> {
        self.write(|c| {
            let current: Option<State> = c
                .prepare_cached("SELECT coalesce(state,'') FROM tests WHERE id=?1")?
                .query_row([test_id], |r| r.get(0))
                .optional()?;
            if !current.is_some_and(|state| only_in.contains(&state)) {
                return Ok(None);
            }
            set_and_roll_up(c, test_id, state, status, Extra::default()).map(Some)
        })
    }

    fn set_state_status_without_rollup(
        &self,
        test_id: TestId,
        state: Option<&State>,
        status: Option<&Status>,
        comment: Option<&str>,
    ) -> Result<usize> {
        self.write(|c| {
            let written = c.execute(
                "UPDATE tests SET state=coalesce(?1,state), status=coalesce(?2,status), comment=coalesce(?3,comment) WHERE id=?4",
                (state, status, comment, test_id),
            )?;
            if written > 0 {
                let run_id: RunId =
                    c.prepare_cached("SELECT run_id FROM tests WHERE id=?1")?.query_row( [test_id], |r| {
                        r.get(0)
                    })?;
                refresh_run_stats(c, run_id)?;
            }
            Ok(written)
        })
    }

    fn mark_launched(
        &self,
        test_id: TestId,
        rundir: &str,
        shortdir: &str,
        host: &str,
    ) -> Result<Vec<StatusChange>> {
        self.write(|c| {
            c.prepare_cached("UPDATE tests SET event_time=?1, rundir=?2, shortdir=?3, host=?4, attemptnum=0, run_duration=0 WHERE id=?5")?.execute((now(), rundir, shortdir, host, test_id))?;
            // The job of an earlier launch is not this launch's (see test_jobs.rs).
            c.prepare_cached("DELETE FROM test_jobs WHERE test_id=?1")?
                .execute([test_id])?;
            let extra = Extra {
                comment: Some(""),
                uname: Some("n/a"),
            };
            let launched = (State::Launched, Status::NotApplicable);
            set_and_roll_up(c, test_id, Some(&launched.0), Some(&launched.1), extra)
        })
    }

    fn start_test(&self, test_id: TestId, host: &str, uname: &str, pid: u32) -> Result<TestStart> {
        self.write(|c| {
            let state: Option<State> = c
                .prepare_cached("SELECT coalesce(state,'') FROM tests WHERE id=?1")?
                .query_row([test_id], |r| r.get(0))
                .optional()?;
            let Some(state) = state else {
                return Ok(TestStart::Missing);
            };
            if state.refuses_start() {
                return Ok(TestStart::Refused(state));
            }
            c.prepare_cached("UPDATE tests SET event_time=?1, host=?2, attemptnum=?3, run_duration=0 WHERE id=?4")?.execute((now(), host, pid, test_id))?;
            let extra = Extra {
                uname: Some(uname),
                ..Extra::default()
            };
            let mut changes = set_and_roll_up_through(
                c,
                test_id,
                &[
                    (Some(&State::RemoteHostStart), Some(&Status::NotApplicable)),
                    (Some(&State::Running), None),
                ],
                extra,
            )?;
            let running = changes.pop().unwrap_or_default();
            let started = changes.pop().unwrap_or_default();
            Ok(TestStart::Started { started, running })
        })
    }

    fn mark_dead_tests(&self, deadtime: i64) -> Result<Vec<StatusChange>> {
        let time = now();
        let ids: Vec<TestId> = self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id FROM tests WHERE (state IN ('RUNNING','REMOTEHOSTSTART') AND ?1 - event_time > coalesce(run_duration,0) + ?2) OR (state='LAUNCHED' AND ?1 - event_time > 86400)",
            )?;
            stmt.query_map((time, deadtime), |r| r.get(0))?.collect()
        })?;
        let mut changes = Vec::new();
        for id in ids {
            changes.extend(self.set_state_status(
                id,
                Some(&State::Completed),
                Some(&Status::Dead),
                Some("Test failed to complete"),
            )?);
        }
        Ok(changes)
    }

    fn test_data_rollup(&self, test_id: TestId) -> Result<Vec<StatusChange>> {
        self.write(|c| {
            let (fails, passes): (i64, i64) = c.prepare_cached("SELECT (SELECT count(*) FROM test_data WHERE test_id=?1 AND status LIKE 'fail'), (SELECT count(*) FROM test_data WHERE test_id=?1 AND status LIKE 'pass')")?.query_row(
                [test_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            c.execute(
                "UPDATE tests SET fail_count=?1, pass_count=?2 WHERE id=?3",
                (fails, passes, test_id),
            )?;
            let current: Status = c.prepare_cached("SELECT coalesce(status,'') FROM tests WHERE id=?1")?.query_row( [test_id], |r| r.get(0))?;
            let status = if fails > 0 {
                Some(Status::Fail)
            } else if passes > 0 && current != Status::Warn && current != Status::Fail {
                Some(Status::Pass)
            } else {
                None
            };
            match status {
                Some(s) => set_and_roll_up(c, test_id, None, Some(&s), Extra::default()),
                None => Ok(Vec::new()),
            }
        })
    }
}
