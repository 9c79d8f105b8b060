//! Counts and statistics of runs, and a test's records across runs.

use super::rows::{Row, count, ident, rows, text};
use crate::db::{Store, TEST_FIELDS};
use crate::error::Result;
use crate::model::{RunId, State, sql_list};

/// The records of the test in the run, item paths in order (not DELETED).
pub fn test_records_named(store: &Store, run_id: RunId, testname: &str) -> Result<Vec<Row>> {
    rows(
        store,
        &format!(
            "SELECT {} FROM tests WHERE run_id=?1 AND testname=?2 AND coalesce(state,'') != 'DELETED' ORDER BY item_path",
            TEST_FIELDS.join(",")
        ),
        &[run_id.into(), text(testname)],
    )
}

/// How many tests of the run are in a running state.
pub fn count_running_in_run(store: &Store, run_id: RunId) -> Result<i64> {
    count(
        store,
        &format!(
            "SELECT count(*) FROM tests WHERE run_id=?1 AND state IN {}",
            sql_list(State::RUNNING)
        ),
        &[run_id.into()],
    )
}

/// `(state status count)` of the run's tests, counted from the records.
pub fn raw_run_stats(store: &Store, run_id: RunId) -> Result<Vec<Row>> {
    rows(
        store,
        "SELECT state, status, count(*) FROM tests WHERE run_id=?1 AND coalesce(state,'') != 'DELETED' GROUP BY state, status ORDER BY state, status",
        &[run_id.into()],
    )
}

/// `(state status count)` of the run as its `run_stats` rows keep them.
pub fn main_run_stats(store: &Store, run_id: RunId) -> Result<Vec<Row>> {
    rows(
        store,
        "SELECT state, status, count FROM run_stats WHERE run_id=?1 ORDER BY state, status",
        &[run_id.into()],
    )
}

/// `(runname what count)` per run, then `("Totals" what count)`: what is the status of a
/// COMPLETED test, else its state.
pub fn run_stats(store: &Store) -> Result<Vec<Row>> {
    const WHAT: &str = "CASE WHEN t.state='COMPLETED' THEN t.status ELSE t.state END";
    const FROM: &str = "FROM tests t JOIN runs r ON r.id=t.run_id WHERE coalesce(t.state,'') != 'DELETED' AND coalesce(r.state,'') != 'deleted'";
    let mut found = rows(
        store,
        &format!(
            "SELECT r.runname, {WHAT} AS x, count(*) {FROM} GROUP BY r.id, x ORDER BY r.event_time, r.id, x"
        ),
        &[],
    )?;
    found.extend(rows(
        store,
        &format!("SELECT 'Totals', {WHAT} AS x, count(*) {FROM} GROUP BY x ORDER BY x"),
        &[],
    )?);
    Ok(found)
}

/// The test's records in the other runs of the run's target, newest first; with `like`
/// the test name and item path are `LIKE` patterns.
pub fn records_in_other_runs(
    store: &Store,
    run_id: RunId,
    testname: &str,
    item_path: &str,
    like: bool,
) -> Result<Vec<Row>> {
    let mut same_target: Vec<String> = store
        .keys()
        .iter()
        .map(|k| format!("r.{0}=o.{0}", ident(k)))
        .collect();
    same_target.push("r.id != o.id".into());
    let columns: Vec<String> = TEST_FIELDS.iter().map(|f| format!("t.{f}")).collect();
    let op = if like { "LIKE" } else { "=" };
    let sql = format!(
        "SELECT {} FROM tests t JOIN runs r ON r.id=t.run_id JOIN runs o ON o.id=?1 WHERE {} AND coalesce(r.state,'') != 'deleted' AND t.testname {op} ?2 AND t.item_path {op} ?3 AND coalesce(t.state,'') != 'DELETED' ORDER BY t.event_time DESC, t.id DESC",
        columns.join(","),
        same_target.join(" AND ")
    );
    rows(
        store,
        &sql,
        &[run_id.into(), text(testname), text(item_path)],
    )
}
