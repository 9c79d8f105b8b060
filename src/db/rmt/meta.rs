//! The metadat variables, test_meta, and Megatest's named statements.

use super::rows::{Row, rows, text};
use crate::db::{Field, Store};
use crate::error::Result;

/// Removes the metadat variable.
pub fn delete_var(store: &Store, name: &str) -> Result<()> {
    store.write(|c| c.execute("DELETE FROM metadat WHERE var=?1", [name]))?;
    Ok(())
}

/// (test name, its tags as written) for every test_meta row, by test name.
pub fn test_tags(store: &Store) -> Result<Vec<(String, String)>> {
    Ok(rows(
        store,
        "SELECT testname, tags FROM test_meta ORDER BY testname",
        &[],
    )?
    .into_iter()
    .map(|row| {
        let text = |f: &Field| match f {
            Field::Null => String::new(),
            other => other.to_string(),
        };
        (text(&row[0]), text(&row[1]))
    })
    .collect())
}

/// The test's test_meta row.
pub fn test_meta_record(store: &Store, testname: &str) -> Result<Option<Row>> {
    Ok(rows(
        store,
        "SELECT id,testname,author,owner,description,reviewed,iterated,avg_runtime,avg_disk,tags,jobgroup FROM test_meta WHERE testname=?1",
        &[text(testname)],
    )?
    .into_iter()
    .next())
}

/// Megatest's `db:queries` statements that scripts use, with their parameter order.
pub const NAMED_STATEMENTS: &[(&str, &str)] = &[
    (
        "set-test-comment",
        "UPDATE tests SET comment=?1 WHERE id=?2",
    ),
    ("test-set-log", "UPDATE tests SET final_logf=?1 WHERE id=?2"),
    (
        "update-run-duration",
        "UPDATE tests SET run_duration=?1 WHERE id=?2",
    ),
    (
        "register-test",
        "INSERT OR IGNORE INTO tests (run_id,testname,event_time,item_path,state,status) VALUES (?1,?2,strftime('%s','now'),?3,'NOT_STARTED','n/a')",
    ),
    (
        "set-test-start-time",
        "UPDATE tests SET event_time=strftime('%s','now') WHERE id=?1",
    ),
    (
        "test_data-pf-rollup",
        "UPDATE tests SET status=CASE WHEN (SELECT count(*) FROM test_data WHERE test_id=?1 AND status LIKE 'fail') > 0 THEN 'FAIL' WHEN (SELECT count(*) FROM test_data WHERE test_id=?1 AND status LIKE 'pass') > 0 THEN 'PASS' ELSE status END WHERE id=?1",
    ),
];

/// Runs the named statement with these parameters; false when no statement has the name.
pub fn run_named_statement(store: &Store, name: &str, params: &[Field]) -> Result<bool> {
    let Some((_, sql)) = NAMED_STATEMENTS.iter().find(|(n, _)| *n == name) else {
        return Ok(false);
    };
    let params: Vec<rusqlite::types::Value> = params.iter().map(Field::to_sql).collect();
    // This one sets a status behind the rollup's back: the run's counts are redone.
    let status_of = match (name, params.first()) {
        ("test_data-pf-rollup", Some(rusqlite::types::Value::Integer(id))) => Some(*id),
        ("test_data-pf-rollup", Some(rusqlite::types::Value::Text(id))) => id.trim().parse().ok(),
        _ => None,
    };
    store.general_statement(sql, &params, status_of)?;
    Ok(true)
}
