//! The writes that change a test record's state or status, each returning every record it
//! changed (the record and its rolled-up toplevel). They fire no triggers: `writer::Writer`
//! is their one user, with the recorder, which applies an executor's writes whose triggers
//! the executor's own writer fires. A test of the source tree keeps it so.

use super::launching::TestStart;
use super::store::Store;
use super::test_records::StatusChange;
use crate::error::Result;
use crate::model::{State, Status, TestId};

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
        Store::set_state_status(self, test_id, state, status, comment)
    }

    fn set_state_status_if_in(
        &self,
        test_id: TestId,
        only_in: &[State],
        state: Option<&State>,
        status: Option<&Status>,
    ) -> Result<Option<Vec<StatusChange>>> {
        Store::set_state_status_if_in(self, test_id, only_in, state, status)
    }

    fn set_state_status_without_rollup(
        &self,
        test_id: TestId,
        state: Option<&State>,
        status: Option<&Status>,
        comment: Option<&str>,
    ) -> Result<usize> {
        Store::set_state_status_without_rollup(self, test_id, state, status, comment)
    }

    fn mark_launched(
        &self,
        test_id: TestId,
        rundir: &str,
        shortdir: &str,
        host: &str,
    ) -> Result<Vec<StatusChange>> {
        Store::mark_launched(self, test_id, rundir, shortdir, host)
    }

    fn start_test(&self, test_id: TestId, host: &str, uname: &str, pid: u32) -> Result<TestStart> {
        Store::start_test(self, test_id, host, uname, pid)
    }

    fn mark_dead_tests(&self, deadtime: i64) -> Result<Vec<StatusChange>> {
        Store::mark_dead_tests(self, deadtime)
    }

    fn test_data_rollup(&self, test_id: TestId) -> Result<Vec<StatusChange>> {
        Store::test_data_rollup(self, test_id)
    }
}
