//! Prerequisites, running counts, run statistics, earlier runs of a test, dead tests.

use super::args::Args;
use super::context::ApiContext;
use super::query::{value_rows, vectors};
use super::value::Value;
use crate::db::rmt;
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
    let mut unmet = Vec::new();
    for waiton in waitons {
        let records = value_rows(rmt::test_records_named(store, run_id, &waiton)?);
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
    Ok(Value::Int(rmt::count_running_in_run(
        store,
        a.run_id(0, "run-id")?,
    )?))
}

pub(super) fn count_running_in_jobgroup(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(Value::Int(
        store.count_running_in_jobgroup(&a.str(1, "jobgroup")?)?,
    ))
}

fn lists(found: Vec<rmt::Row>) -> Value {
    Value::List(value_rows(found).into_iter().map(Value::List).collect())
}

pub(super) fn raw_run_stats(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(lists(rmt::raw_run_stats(store, a.run_id(0, "run-id")?)?))
}

pub(super) fn main_run_stats(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(lists(rmt::main_run_stats(store, a.run_id(0, "run-id")?)?))
}

pub(super) fn run_stats(_: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(lists(rmt::run_stats(store)?))
}

/// The test's records in the other runs of the same target, newest first; with `like` the
/// test name and item path are patterns.
fn in_other_runs(a: &Args, store: &Store, like: bool) -> Result<Vec<Vec<Value>>> {
    Ok(value_rows(rmt::records_in_other_runs(
        store,
        a.run_id(0, "run-id")?,
        &a.str(1, "testname")?,
        &a.opt_str(2).unwrap_or_default(),
        like,
    )?))
}

pub(super) fn previous_test_run_record(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let found = in_other_runs(a, store, false)?;
    Ok(Value::or_false(found.into_iter().next().map(Value::Vector)))
}

pub(super) fn matching_previous_records(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let found = in_other_runs(a, store, true)?;
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
