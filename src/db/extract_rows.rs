//! The rows of `-extract-ods` (spec §15.6): each test of a run joined with its `test_meta`
//! entry, and the test data of a run's tests, as plain lists of fields.

use super::records::Field;
use super::store::Store;
use crate::error::Result;
use crate::model::RunId;

/// The columns of [`Store::extract_tests`], after the run's own (id, name, keys).
pub const EXTRACT_TEST_COLUMNS: [&str; 19] = [
    "Testname",
    "Item Path",
    "Description",
    "State",
    "Status",
    "Final Log",
    "Run Duration",
    "When Run",
    "Tags",
    "Run Owner",
    "Comment",
    "Author",
    "Test Owner",
    "Reviewed",
    "Diskfree",
    "Uname",
    "Rundir",
    "Host",
    "Cpu Load",
];

/// The columns of [`Store::extract_test_data`].
pub const EXTRACT_DATA_COLUMNS: [&str; 11] = [
    "Run Id",
    "Testname",
    "Item Path",
    "Category",
    "Variable",
    "Value",
    "Expected",
    "Tol",
    "Units",
    "Status",
    "Comment",
];

impl Store {
    /// The tests of a run (not deleted ones), by name and item path, in
    /// [`EXTRACT_TEST_COLUMNS`] order. A test without a `test_meta` entry has empty meta
    /// cells (1.65's inner join left such tests out).
    pub fn extract_tests(&self, run_id: RunId) -> Result<Vec<Vec<Field>>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT t.testname, t.item_path, tm.description, t.state, t.status, t.final_logf,
                        t.run_duration,
                        strftime('%m/%d/%Y %H:%M:%S', datetime(t.event_time, 'unixepoch'), 'localtime'),
                        tm.tags, r.owner, t.comment, tm.author, tm.owner, tm.reviewed,
                        t.diskfree, t.uname, t.rundir, t.host, t.cpuload
                 FROM tests AS t JOIN runs AS r ON t.run_id = r.id
                      LEFT JOIN test_meta AS tm ON tm.testname = t.testname
                 WHERE t.run_id = ?1 AND t.state != 'DELETED'
                 ORDER BY t.testname, t.item_path",
            )?;
            stmt.query_map([run_id], fields(EXTRACT_TEST_COLUMNS.len()))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
    }

    /// The test data of a run's tests (not deleted ones), by test, item and row, in
    /// [`EXTRACT_DATA_COLUMNS`] order.
    pub fn extract_test_data(&self, run_id: RunId) -> Result<Vec<Vec<Field>>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT t.run_id, t.testname, t.item_path, td.category, td.variable, td.value,
                        td.expected, td.tol, td.units, td.status, td.comment
                 FROM test_data AS td JOIN tests AS t ON t.id = td.test_id
                 WHERE t.run_id = ?1 AND t.state != 'DELETED'
                 ORDER BY t.testname, t.item_path, td.id",
            )?;
            stmt.query_map([run_id], fields(EXTRACT_DATA_COLUMNS.len()))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
    }
}

/// Reads the first `n` columns of a row.
fn fields(n: usize) -> impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<Vec<Field>> {
    move |row| {
        (0..n)
            .map(|i| row.get_ref(i).map(Field::from_ref))
            .collect()
    }
}
