//! Prerequisites, running counts, run statistics, earlier runs of a test, dead tests.

use super::args::Args;
use super::context::ApiContext;
use super::query::{ident, rows, scalar, vectors};
use super::value::Value;
use crate::db::{Store, TEST_FIELDS};
use crate::error::Result;
use crate::model::{State, Status, TestId};

fn finished_well(record: &[Value]) -> bool {
    let field = |name: &str| {
        TEST_FIELDS
            .iter()
            .position(|f| *f == name)
            .and_then(|i| record.get(i))
            .map(Value::text)
            .unwrap_or_default()
    };
    // Megatest's list here leaves CHECK out, unlike the waiton rule.
    State::from(field("state")) == State::Completed
        && matches!(
            Status::from(field("status")),
            Status::Pass | Status::Warn | Status::Waived | Status::Skip
        )
}

pub(super) fn get_prereqs_not_met(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let run_id = a.run_id(0, "run-id")?;
    let waitons = a.strs(1);
    let itempath = a.opt_str(3).unwrap_or_default();
    let modes: Vec<String> = match a.keyword("mode:") {
        Some(Value::List(m)) => m.iter().map(Value::text).collect(),
        Some(Value::Bool(false)) | None => vec!["normal".into()],
        Some(other) => vec![other.text()],
    };
    let itemwait = modes.iter().any(|m| m == "itemwait" || m == "itemmatch");
    let columns = TEST_FIELDS.join(",");
    let mut unmet = Vec::new();
    for waiton in waitons {
        let records = rows(
            store,
            &format!(
                "SELECT {columns} FROM tests WHERE run_id=?1 AND testname=?2 AND coalesce(state,'') != 'DELETED' ORDER BY item_path"
            ),
            &[run_id.into(), waiton.clone().into()],
        )?;
        if records.is_empty() {
            unmet.push(Value::Str(waiton));
            continue;
        }
        let item_index = TEST_FIELDS
            .iter()
            .position(|f| *f == "item_path")
            .expect("a field");
        let path_of = |r: &Vec<Value>| r[item_index].text();
        let same_item: Vec<&Vec<Value>> =
            records.iter().filter(|r| path_of(r) == itempath).collect();
        let considered: Vec<&Vec<Value>> =
            if itemwait && !itempath.is_empty() && !same_item.is_empty() {
                same_item
            } else {
                records.iter().collect()
            };
        unmet.extend(
            considered
                .into_iter()
                .filter(|r| !finished_well(r))
                .map(|r| Value::Vector(r.clone())),
        );
    }
    Ok(Value::List(unmet))
}

pub(super) fn count_running(_: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(Value::Int(store.count_running()?))
}

pub(super) fn count_running_for_run(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(Value::or_false(scalar(
        store,
        &format!(
            "SELECT count(*) FROM tests WHERE run_id=?1 AND state IN {}",
            crate::model::sql_list(crate::model::State::RUNNING)
        ),
        &[a.run_id(0, "run-id")?.into()],
    )?))
}

pub(super) fn count_running_in_jobgroup(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(Value::Int(
        store.count_running_in_jobgroup(&a.str(1, "jobgroup")?)?,
    ))
}

fn lists(found: Vec<Vec<Value>>) -> Value {
    Value::List(found.into_iter().map(Value::List).collect())
}

pub(super) fn raw_run_stats(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(lists(rows(
        store,
        "SELECT state, status, count(*) FROM tests WHERE run_id=?1 AND coalesce(state,'') != 'DELETED' GROUP BY state, status ORDER BY state, status",
        &[a.run_id(0, "run-id")?.into()],
    )?))
}

pub(super) fn main_run_stats(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(lists(rows(
        store,
        "SELECT state, status, count FROM run_stats WHERE run_id=?1 ORDER BY state, status",
        &[a.run_id(0, "run-id")?.into()],
    )?))
}

pub(super) fn run_stats(_: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
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
    Ok(lists(found))
}

/// `r.k1=o.k1 AND ...`: the other run has the same target.
fn same_target(store: &Store) -> String {
    let mut parts: Vec<String> = store
        .keys()
        .iter()
        .map(|k| format!("r.{0}=o.{0}", ident(k)))
        .collect();
    parts.push("r.id != o.id".into());
    parts.join(" AND ")
}

fn test_columns() -> String {
    TEST_FIELDS
        .iter()
        .map(|f| format!("t.{f}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The test's records in the other runs of the same target, newest first; `op` compares the
/// test name and item path (`=` or `LIKE`).
fn in_other_runs(a: &Args, store: &Store, op: &str) -> Result<Vec<Vec<Value>>> {
    let sql = format!(
        "SELECT {} FROM tests t JOIN runs r ON r.id=t.run_id JOIN runs o ON o.id=?1 WHERE {} AND coalesce(r.state,'') != 'deleted' AND t.testname {op} ?2 AND t.item_path {op} ?3 AND coalesce(t.state,'') != 'DELETED' ORDER BY t.event_time DESC, t.id DESC",
        test_columns(),
        same_target(store)
    );
    rows(
        store,
        &sql,
        &[
            a.run_id(0, "run-id")?.into(),
            a.str(1, "testname")?.into(),
            a.opt_str(2).unwrap_or_default().into(),
        ],
    )
}

pub(super) fn previous_test_run_record(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let found = in_other_runs(a, store, "=")?;
    Ok(Value::or_false(found.into_iter().next().map(Value::Vector)))
}

pub(super) fn matching_previous_records(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let found = in_other_runs(a, store, "LIKE")?;
    let name = TEST_FIELDS
        .iter()
        .position(|f| *f == "testname")
        .expect("a field");
    let item = TEST_FIELDS
        .iter()
        .position(|f| *f == "item_path")
        .expect("a field");
    let mut seen = std::collections::HashSet::new();
    let newest: Vec<Vec<Value>> = found
        .into_iter()
        .filter(|r| seen.insert((r[name].text(), r[item].text())))
        .collect();
    Ok(vectors(newest))
}

pub(super) fn find_and_mark_incomplete(a: &Args, store: &Store, ctx: &ApiContext) -> Result<Value> {
    let deadtime = a.opt_int(1, "ovr-deadtime")?.unwrap_or(7200);
    let changes = ctx.writer(store).mark_dead_tests(deadtime)?;
    let mut dead: Vec<TestId> = changes
        .iter()
        .filter(|c| c.status == crate::model::Status::Dead)
        .map(|c| c.test_id)
        .collect();
    dead.sort_unstable();
    dead.dedup();
    Ok(Value::Int(dead.len() as i64))
}
