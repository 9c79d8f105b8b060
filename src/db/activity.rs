//! Area-wide questions the launch gate asks (spec §2.5, §4.3, §7.2 exclusive, §7.8): how many
//! tests run, in a job group, as the same test/item, and when one last finished.

use super::store::Store;
use crate::error::Result;
use crate::model::{RunId, State, Status, TestId, sql_list};
use rusqlite::OptionalExtension;

/// Excludes toplevel records of itemized tests that never ran themselves.
const EXECUTED: &str = "NOT (t.item_path='' AND t.uname='n/a' AND EXISTS (SELECT 1 FROM tests i WHERE i.run_id=t.run_id AND i.testname=t.testname AND i.item_path != ''))";

impl Store {
    /// Tests of any run in a running state whose `[test_meta] jobgroup` is `group`.
    pub fn count_running_in_jobgroup(&self, group: &str) -> Result<i64> {
        let running = sql_list(State::RUNNING);
        self.read(|c| {
            c.prepare_cached(&format!(
                    "SELECT count(*) FROM tests t JOIN test_meta m ON m.testname=t.testname WHERE t.state IN {running} AND m.jobgroup=?1 AND {EXECUTED}"
                ))?.query_row(
                [group],
                |r| r.get(0),
            )
        })
    }

    /// Whether another record of this test/item, in any run, is in a running state.
    pub fn instance_running(
        &self,
        testname: &str,
        item_path: &str,
        except_id: TestId,
    ) -> Result<bool> {
        let running = sql_list(State::RUNNING);
        self.read(|c| {
            c.prepare_cached(&format!(
                    "SELECT count(*) FROM tests t WHERE t.testname=?1 AND t.item_path=?2 AND t.id != ?3 AND t.state IN {running} AND {EXECUTED}"
                ))?.query_row(
                (testname, item_path, except_id),
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
        })
    }

    /// When the most recent finished instance (COMPLETED or INCOMPLETE, with PASS, FAIL or
    /// ABORT) of this test/item started, in any run.
    pub fn last_finished_start(&self, testname: &str, item_path: &str) -> Result<Option<i64>> {
        self.read(|c| {
            c.prepare_cached("SELECT max(event_time) FROM tests WHERE testname=?1 AND item_path=?2 AND state IN ('COMPLETED','INCOMPLETE') AND status IN ('PASS','FAIL','ABORT')")?.query_row(
                (testname, item_path),
                |r| r.get::<_, Option<i64>>(0),
            )
            .optional()
            .map(Option::flatten)
        })
    }

    /// The same test/item in the newest other run with the same target that has it:
    /// (state, status, comment, rundir). Used by waiver propagation (spec §12).
    pub fn previous_instance(
        &self,
        run_id: RunId,
        testname: &str,
        item_path: &str,
    ) -> Result<Option<(State, Status, String, String)>> {
        let keys = self.keys().to_vec();
        let same_target: String = keys
            .iter()
            .map(|k| format!(" AND r.\"{k}\" = cur.\"{k}\""))
            .collect();
        self.read(|c| {
            c.prepare_cached(&format!(
                    "SELECT t.state, t.status, coalesce(t.comment,''), coalesce(t.rundir,'') FROM tests t JOIN runs r ON r.id=t.run_id JOIN runs cur ON cur.id=?1 WHERE r.id != ?1 AND coalesce(r.state,'') != 'deleted' AND t.state != 'DELETED' AND t.testname=?2 AND t.item_path=?3{same_target} ORDER BY r.id DESC LIMIT 1"
                ))?.query_row(
                (run_id, testname, item_path),
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
        })
    }
}
