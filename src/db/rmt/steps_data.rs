//! A test's steps and data rows.

use super::rows::{Row, rows, text};
use crate::db::Store;
use crate::error::Result;
use crate::model::TestId;

/// `id, test_id, stepname, state, status, event_time, logfile, comment` of each step.
pub fn test_step_rows(store: &Store, test_id: TestId) -> Result<Vec<Row>> {
    rows(
        store,
        "SELECT id,test_id,stepname,state,status,event_time,logfile,comment FROM test_steps WHERE test_id=?1 ORDER BY id ASC",
        &[test_id.into()],
    )
}

/// The test's data rows whose category is `LIKE` the pattern, by category and variable.
pub fn test_data_rows(store: &Store, test_id: TestId, category_like: &str) -> Result<Vec<Row>> {
    rows(
        store,
        "SELECT id,test_id,category,variable,value,expected,tol,units,comment,status,type FROM test_data WHERE test_id=?1 AND category LIKE ?2 ORDER BY category, variable",
        &[test_id.into(), text(category_like)],
    )
}
