//! The metadat variables, test_meta, and Megatest's named statements.

use super::args::Args;
use super::context::ApiContext;
use super::query::rows;
use super::value::Value;
use crate::db::Store;
use crate::error::Result;

pub(super) fn get_var(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(match store.var(&a.str(0, "var")?)? {
        None => Value::FALSE,
        Some(text) => {
            if let Ok(i) = text.trim().parse::<i64>() {
                Value::Int(i)
            } else if let Ok(r) = text.trim().parse::<f64>() {
                Value::Real(r)
            } else {
                Value::Str(text)
            }
        }
    })
}

pub(super) fn set_var(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    store.set_var(&a.str(0, "var")?, &a.str(1, "value")?)?;
    Ok(Value::Void)
}

pub(super) fn del_var(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let name = a.str(0, "var")?;
    store.write(|c| c.execute("DELETE FROM metadat WHERE var=?1", [name]))?;
    Ok(Value::Void)
}

/// `((tag name ...) ...)`; the Scheme side turns it into a hash table.
pub(super) fn get_tests_tags(_: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let mut by_tag: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for row in rows(
        store,
        "SELECT testname, tags FROM test_meta ORDER BY testname",
        &[],
    )? {
        let name = row[0].text();
        for tag in row[1]
            .text()
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|t| !t.is_empty())
        {
            by_tag
                .entry(tag.to_string())
                .or_default()
                .push(name.clone());
        }
    }
    Ok(Value::List(
        by_tag
            .into_iter()
            .map(|(tag, names)| {
                let mut entry = vec![Value::Str(tag)];
                entry.extend(names.into_iter().map(Value::Str));
                Value::List(entry)
            })
            .collect(),
    ))
}

pub(super) fn testmeta_get_record(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let found = rows(
        store,
        "SELECT id,testname,author,owner,description,reviewed,iterated,avg_runtime,avg_disk,tags,jobgroup FROM test_meta WHERE testname=?1",
        &[a.str(0, "testname")?.into()],
    )?;
    Ok(Value::or_false(found.into_iter().next().map(Value::Vector)))
}

/// Megatest's `db:queries` statements that scripts use, with their parameter order.
const STATEMENTS: &[(&str, &str)] = &[
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

pub(super) fn general_call(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let name = a.str(0, "stmt")?;
    let Some((_, sql)) = STATEMENTS.iter().find(|(n, _)| *n == name) else {
        let known: Vec<&str> = STATEMENTS.iter().map(|(n, _)| *n).collect();
        return Err(a.error(format!(
            "unknown statement `{name}`; known: {}",
            known.join(", ")
        )));
    };
    // Argument 2 is the run id; the statement's parameters follow.
    let params: Vec<rusqlite::types::Value> = (2..a.len())
        .filter_map(|i| a.value(i))
        .map(|v| match v {
            Value::Int(i) => rusqlite::types::Value::Integer(*i),
            Value::Real(r) => rusqlite::types::Value::Real(*r),
            Value::Bool(false) => rusqlite::types::Value::Null,
            other => rusqlite::types::Value::Text(other.text()),
        })
        .collect();
    // This one sets a status behind the rollup's back: the run's counts are redone.
    let status_of = match (name.as_str(), params.first()) {
        ("test_data-pf-rollup", Some(rusqlite::types::Value::Integer(id))) => Some(*id),
        ("test_data-pf-rollup", Some(rusqlite::types::Value::Text(id))) => id.trim().parse().ok(),
        _ => None,
    };
    store.general_statement(sql, &params, status_of)?;
    Ok(Value::Void)
}
