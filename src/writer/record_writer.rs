//! [`Writer`]: every change of a test record's state or status is written (with the rollup of
//! its toplevel) and then fires the triggers of each record it changed, so no caller has to
//! remember the second half.

use super::trigger_run::fire;
use super::trigger_table::TriggerTable;
use crate::db::{RecordWrites, StatusChange, Store, TestStart};
use crate::error::Result;
use crate::launch::job::Job;
use crate::model::{RunId, State, Status, TestId};

/// Where the writes go: the database itself, or the runner's recorder, which writes them
/// there and sends the changes back.
pub trait Destination {
    /// Sets state and/or status (and the comment) of a record with its rollup; returns every
    /// record written. `last` tells the test's last write (the recorder then brings its
    /// summary page back with the reply).
    fn set_state_status(
        &self,
        test_id: TestId,
        state: Option<&State>,
        status: Option<&Status>,
        comment: Option<&str>,
        last: bool,
    ) -> Result<Vec<StatusChange>>;

    /// The executor's start ([`RecordWrites::start_test`]); `first_step` gets its `start` step
    /// record in the same write when the test starts.
    fn start_test(
        &self,
        test_id: TestId,
        host: &str,
        uname: &str,
        pid: u32,
        first_step: Option<&str>,
    ) -> Result<TestStart>;

    /// A record's run directory and event time, for the triggers that match a write.
    fn record_dir(&self, test_id: TestId) -> Result<Option<(String, i64)>>;

    /// The same test of the newest earlier run of the target (state, status, comment, run
    /// directory), for waivers.
    fn previous_instance(
        &self,
        run_id: RunId,
        test_name: &str,
        item_path: &str,
    ) -> Result<Option<(State, Status, String, String)>>;

    /// [`RecordWrites::test_data_rollup`]: the status the test's data gives.
    fn test_data_rollup(&self, test_id: TestId) -> Result<Vec<StatusChange>>;
}

impl Destination for Store {
    fn set_state_status(
        &self,
        test_id: TestId,
        state: Option<&State>,
        status: Option<&Status>,
        comment: Option<&str>,
        _last: bool,
    ) -> Result<Vec<StatusChange>> {
        RecordWrites::set_state_status(self, test_id, state, status, comment)
    }

    fn start_test(
        &self,
        test_id: TestId,
        host: &str,
        uname: &str,
        pid: u32,
        first_step: Option<&str>,
    ) -> Result<TestStart> {
        let started = RecordWrites::start_test(self, test_id, host, uname, pid)?;
        if let (TestStart::Started { .. }, Some(step)) = (&started, first_step) {
            self.set_step(test_id, step, "start", "-", "", "")?;
        }
        Ok(started)
    }

    fn record_dir(&self, test_id: TestId) -> Result<Option<(String, i64)>> {
        Ok(self
            .test(test_id)?
            .map(|record| (record.rundir(), record.event_time())))
    }

    fn previous_instance(
        &self,
        run_id: RunId,
        test_name: &str,
        item_path: &str,
    ) -> Result<Option<(State, Status, String, String)>> {
        Store::previous_instance(self, run_id, test_name, item_path)
    }

    fn test_data_rollup(&self, test_id: TestId) -> Result<Vec<StatusChange>> {
        RecordWrites::test_data_rollup(self, test_id)
    }
}

/// Writes to records and fires their triggers.
pub struct Writer<'a, D: Destination + ?Sized = Store> {
    to: &'a D,
    triggers: &'a TriggerTable,
}

impl Writer<'_, Store> {
    /// Sets one state (and status, when given) on many records (with their rollups) in one transaction,
    /// none of them when one fails; their triggers fire once it is committed, so a trigger
    /// that writes is not kept waiting for it.
    pub fn set_state_status_of_all(
        &self,
        test_ids: &[TestId],
        state: &State,
        status: Option<&Status>,
    ) -> Result<()> {
        if test_ids.is_empty() {
            return Ok(());
        }
        let changes = self.to.transaction(|| {
            let mut all = Vec::new();
            for &id in test_ids {
                all.extend(RecordWrites::set_state_status(
                    self.to,
                    id,
                    Some(state),
                    status,
                    None,
                )?);
            }
            Ok(all)
        })?;
        self.fire(&changes);
        Ok(())
    }
}

/// Changes made already whose triggers fire later, through [`Writer::release`]: the RUNNING
/// writes of a start, whose triggers wait for the test's directory and environment.
#[derive(Debug, Default)]
#[must_use = "the triggers of these changes fire only when released"]
pub struct Deferred(Vec<StatusChange>);

/// What [`Writer::start_test`] found and did.
#[derive(Debug)]
pub enum Start {
    /// No such record.
    Missing,
    /// Not started: the record is in this state (REMOVING, DELETED, KILLREQ or KILLED).
    Refused(State),
    /// Started; the triggers of REMOTEHOSTSTART fired, those of RUNNING wait.
    Started(Deferred),
}

impl<'a, D: Destination + ?Sized> Writer<'a, D> {
    /// A writer to `to` that fires what `triggers` holds.
    pub fn new(to: &'a D, triggers: &'a TriggerTable) -> Self {
        Writer { to, triggers }
    }

    /// Whether `test` has triggers.
    pub fn has_triggers(&self, test: &str) -> bool {
        self.triggers.has(test)
    }

    fn fire(&self, changes: &[StatusChange]) {
        fire(
            self.triggers,
            |id| self.to.record_dir(id).ok().flatten(),
            changes,
        );
    }

    /// Sets state and/or status (and the comment) of a record, rolls its toplevel up, fires
    /// the triggers; returns every record written.
    pub fn set_state_status(
        &self,
        test_id: TestId,
        state: Option<&State>,
        status: Option<&Status>,
        comment: Option<&str>,
    ) -> Result<Vec<StatusChange>> {
        let changes = self
            .to
            .set_state_status(test_id, state, status, comment, false)?;
        self.fire(&changes);
        Ok(changes)
    }

    /// A job's own state/status write: a FAIL becomes WAIVED when a waiver carries over
    /// (spec §12).
    pub fn set_test_status(
        &self,
        job: &Job,
        state: Option<&State>,
        status: Option<&Status>,
        comment: Option<&str>,
    ) -> Result<Vec<StatusChange>> {
        self.test_status(job, state, status, comment, false)
    }

    /// [`Writer::set_test_status`] for what should be the test's last write: the recorder
    /// brings the summary page back with it, unless triggers may still write after it.
    pub fn set_last_test_status(
        &self,
        job: &Job,
        state: Option<&State>,
        status: Option<&Status>,
        comment: Option<&str>,
    ) -> Result<Vec<StatusChange>> {
        self.test_status(job, state, status, comment, true)
    }

    fn test_status(
        &self,
        job: &Job,
        state: Option<&State>,
        status: Option<&Status>,
        comment: Option<&str>,
        last: bool,
    ) -> Result<Vec<StatusChange>> {
        let (status, comment) = super::waivers::waived_status(
            || {
                self.to
                    .previous_instance(job.run_id, &job.test_name, &job.item_path)
            },
            job,
            status,
            comment,
        )?;
        let last = last && !self.triggers.has(&job.test_name);
        let changes = self.to.set_state_status(
            job.test_id,
            state,
            status.as_ref(),
            comment.as_deref(),
            last,
        )?;
        self.fire(&changes);
        Ok(changes)
    }

    /// The executor's start: REMOTEHOSTSTART then RUNNING, unless the record was removed or
    /// killed meanwhile.
    pub fn start_test(
        &self,
        test_id: TestId,
        host: &str,
        uname: &str,
        pid: u32,
        first_step: Option<&str>,
    ) -> Result<Start> {
        Ok(
            match self.to.start_test(test_id, host, uname, pid, first_step)? {
                TestStart::Missing => Start::Missing,
                TestStart::Refused(state) => Start::Refused(state),
                TestStart::Started { started, running } => {
                    self.fire(&started);
                    Start::Started(Deferred(running))
                }
            },
        )
    }

    /// Fires the triggers of changes made earlier.
    pub fn release(&self, deferred: Deferred) {
        self.fire(&deferred.0);
    }

    /// [`Destination::test_data_rollup`], firing the triggers of the status it sets.
    pub fn test_data_rollup(&self, test_id: TestId) -> Result<Vec<StatusChange>> {
        let changes = self.to.test_data_rollup(test_id)?;
        self.fire(&changes);
        Ok(changes)
    }
}

impl Writer<'_, Store> {
    /// [`RecordWrites::set_state_status_if_in`], firing the triggers of what it wrote.
    pub fn set_state_status_if_in(
        &self,
        test_id: TestId,
        only_in: &[State],
        state: Option<&State>,
        status: Option<&Status>,
    ) -> Result<Option<Vec<StatusChange>>> {
        let changes = self
            .to
            .set_state_status_if_in(test_id, only_in, state, status)?;
        if let Some(changes) = &changes {
            self.fire(changes);
        }
        Ok(changes)
    }

    /// [`RecordWrites::set_state_status_without_rollup`] (the API's `test-set-state-status-by-id`),
    /// firing the triggers of the record as written; returns whether it was there.
    pub fn set_state_status_without_rollup(
        &self,
        test_id: TestId,
        state: Option<&State>,
        status: Option<&Status>,
        comment: Option<&str>,
    ) -> Result<bool> {
        let written = self
            .to
            .set_state_status_without_rollup(test_id, state, status, comment)?;
        if written == 0 {
            return Ok(false);
        }
        let change = self.to.test(test_id)?.map(|t| StatusChange {
            test_id,
            run_id: t.run_id(),
            testname: t.testname(),
            item_path: t.item_path(),
            state: t.state(),
            status: t.status(),
        });
        self.fire(change.as_slice());
        Ok(true)
    }

    /// [`RecordWrites::mark_dead_tests`], firing the triggers of the tests found dead.
    pub fn mark_dead_tests(&self, deadtime: i64) -> Result<Vec<StatusChange>> {
        let changes = self.to.mark_dead_tests(deadtime)?;
        self.fire(&changes);
        Ok(changes)
    }

    /// [`RecordWrites::mark_launched`], firing the triggers of LAUNCHED.
    pub fn mark_launched(
        &self,
        test_id: TestId,
        rundir: &str,
        shortdir: &str,
        host: &str,
    ) -> Result<Vec<StatusChange>> {
        let changes = self.to.mark_launched(test_id, rundir, shortdir, host)?;
        self.fire(&changes);
        Ok(changes)
    }
}
