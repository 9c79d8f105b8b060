//! The `test_steps` table: one row per step and state (`start`, `end`), replaced when a step
//! runs again.

use super::records::{Field, StepRecord, text};
use super::store::{Store, now};
use crate::error::Result;
use crate::model::TestId;

impl Store {
    /// Records a step state (insert or replace on test, step name and state).
    pub fn set_step(
        &self,
        test_id: TestId,
        stepname: &str,
        state: &str,
        status: &str,
        comment: &str,
        logfile: &str,
    ) -> Result<()> {
        self.write(|c| {
            c.prepare_cached("INSERT OR REPLACE INTO test_steps (test_id, stepname, state, status, event_time, comment, logfile) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?.execute((test_id, stepname, state, status, now(), comment, logfile))?;
            Ok(())
        })
    }

    /// The steps of a test, in the order they were recorded.
    pub fn steps(&self, test_id: TestId) -> Result<Vec<StepRecord>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, test_id, stepname, state, status, event_time, logfile, comment FROM test_steps WHERE test_id=?1 ORDER BY id ASC",
            )?;

            stmt
                .query_map([test_id], |r| {
                    Ok(StepRecord {
                        id: r.get(0)?,
                        test_id: r.get(1)?,
                        stepname: text(r, 2)?,
                        state: text(r, 3)?,
                        status: text(r, 4)?,
                        event_time: Field::from_ref(r.get_ref(5)?),
                        logfile: text(r, 6)?,
                        comment: text(r, 7)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
    }
}
