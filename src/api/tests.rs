//! Test records: listing, looking up, registering, setting state and status, deleting.

use super::args::Args;
use super::context::ApiContext;
use super::query::{value_rows, values, vectors};
use super::value::Value;
use crate::db::Store;
use crate::db::rmt::{self, TestColumns, TestListing, TestOrder};
use crate::error::Result;
use crate::model::{RunId, State, Status, TestId};

pub(super) fn get_tests_for_run(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let listing = TestListing {
        run_ids: Some(vec![a.run_id(0, "run-id")?]),
        testpatt: a.opt_str(1),
        states: a.strs(2),
        statuses: a.strs(3),
        offset: a.opt_int(4, "offset")?,
        limit: a.opt_int(5, "limit")?,
        not_in: a.flag(6),
        order: TestOrder::from_sort(a.opt_str(7), a.opt_str(8)),
        since: a.opt_int(10, "last-update")?,
    };
    let columns = if a.opt_str(9).as_deref() == Some("shortlist") {
        TestColumns::ShortList
    } else {
        TestColumns::Record
    };
    Ok(vectors(value_rows(listing.rows(store, columns)?)))
}

pub(super) fn mt_get_tests_for_run(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    // Megatest's keywords and their defaults: not-in: #t, sort-by: 'event_time,
    // sort-order: "ASC", last-update: #f.
    let not_in = a.keyword("not-in:").is_none_or(Value::truthy);
    let sort_by = a
        .keyword("sort-by:")
        .filter(|v| v.truthy())
        .map_or_else(|| "event_time".to_string(), Value::text);
    let sort_order = a
        .keyword("sort-order:")
        .filter(|v| v.truthy())
        .map(Value::text);
    let since = match a.keyword("last-update:") {
        Some(Value::Int(t)) => Some(*t),
        _ => None,
    };
    let listing = TestListing {
        run_ids: Some(vec![a.run_id(0, "run-id")?]),
        testpatt: a.opt_str(1),
        states: a.strs(2),
        statuses: a.strs(3),
        not_in,
        order: TestOrder::from_sort(Some(sort_by), sort_order),
        since,
        ..TestListing::default()
    };
    Ok(vectors(value_rows(
        listing.rows(store, TestColumns::Record)?,
    )))
}

pub(super) fn get_tests_for_runs_mindata(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let run_ids = match a.value(0) {
        None | Some(Value::Bool(false)) => None,
        Some(Value::List(ids)) => Some(
            ids.iter()
                .map(|v| {
                    v.text()
                        .parse::<i64>()
                        .map(RunId)
                        .map_err(|_| a.error("run-ids must be numbers"))
                })
                .collect::<Result<Vec<_>>>()?,
        ),
        Some(_) => Some(vec![a.run_id(0, "run-ids")?]),
    };
    let listing = TestListing {
        run_ids,
        testpatt: a.opt_str(1),
        states: a.strs(2),
        statuses: a.strs(3),
        not_in: a.flag(4),
        ..TestListing::default()
    };
    Ok(vectors(value_rows(
        listing.rows(store, TestColumns::MinData)?,
    )))
}

pub(super) fn get_test_id(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(Value::or_false(
        store
            .test_id(
                a.run_id(0, "run-id")?,
                &a.str(1, "testname")?,
                &a.opt_str(2).unwrap_or_default(),
            )?
            .map(Value::from),
    ))
}

fn record(store: &Store, test_id: TestId, shortlist: bool) -> Result<Value> {
    let columns = if shortlist {
        TestColumns::ShortList
    } else {
        TestColumns::Record
    };
    let found = rmt::test_record(store, test_id, columns)?;
    Ok(Value::or_false(found.map(|r| Value::Vector(values(r)))))
}

pub(super) fn get_test_info_by_id(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    record(store, a.test_id(1, "test-id")?, false)
}

pub(super) fn get_testinfo_state_status(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    record(store, a.test_id(1, "test-id")?, true)
}

pub(super) fn get_rundir(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(Value::or_false(
        rmt::test_rundir(store, a.test_id(1, "test-id")?)?.map(Value::from),
    ))
}

pub(super) fn register_test(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(Value::from(store.register_test(
        a.run_id(0, "run-id")?,
        &a.str(1, "testname")?,
        &a.opt_str(2).unwrap_or_default(),
    )?))
}

pub(super) fn test_set_state_status(a: &Args, store: &Store, ctx: &ApiContext) -> Result<Value> {
    let test_id = a.test_id(1, "test-id")?;
    let (state, status, comment) = (a.opt_str(2), a.opt_str(3), a.opt_str(4));
    let written = ctx.writer(store).set_state_status_without_rollup(
        test_id,
        state.map(State::from).as_ref(),
        status.map(Status::from).as_ref(),
        comment.as_deref(),
    )?;
    Ok(Value::Bool(written))
}

fn set_with_rollup(
    store: &Store,
    ctx: &ApiContext,
    test_id: TestId,
    a: &Args,
    from: usize,
) -> Result<Value> {
    let (state, status, comment) = (a.opt_str(from), a.opt_str(from + 1), a.opt_str(from + 2));
    if store.test(test_id)?.is_none() {
        return Ok(Value::FALSE);
    }
    ctx.writer(store).set_state_status(
        test_id,
        state.map(State::from).as_ref(),
        status.map(Status::from).as_ref(),
        comment.as_deref(),
    )?;
    Ok(Value::Bool(true))
}

pub(super) fn set_state_status_and_roll_up_items(
    a: &Args,
    store: &Store,
    ctx: &ApiContext,
) -> Result<Value> {
    let run_id = a.run_id(0, "run-id")?;
    let test_id = match a.required(1, "test-name-or-id")? {
        Value::Int(id) => Some(TestId(*id)),
        _ => store.test_id(
            run_id,
            &a.str(1, "test-name-or-id")?,
            &a.opt_str(2).unwrap_or_default(),
        )?,
    };
    match test_id {
        Some(id) => set_with_rollup(store, ctx, id, a, 3),
        None => Ok(Value::FALSE),
    }
}

pub(super) fn mt_test_set_state_status_by_id(
    a: &Args,
    store: &Store,
    ctx: &ApiContext,
) -> Result<Value> {
    set_with_rollup(store, ctx, a.test_id(1, "test-id")?, a, 2)
}

pub(super) fn set_tests_state_status(a: &Args, store: &Store, ctx: &ApiContext) -> Result<Value> {
    let run_id = a.run_id(0, "run-id")?;
    let names = a.strs(1);
    let (curr_state, curr_status) = (a.opt_str(2), a.opt_str(3));
    let new_state = a.opt_str(4).map(State::from);
    let new_status = a.opt_str(5).map(Status::from);
    let mut toplevels = Vec::new();
    for name in names {
        let ids = rmt::test_ids_matching(
            store,
            run_id,
            &name,
            curr_state.clone(),
            curr_status.clone(),
        )?;
        for id in ids {
            let changes = ctx.writer(store).set_state_status(
                id,
                new_state.as_ref(),
                new_status.as_ref(),
                None,
            )?;
            for change in changes.iter().filter(|c| c.item_path.is_empty()) {
                if !toplevels.contains(&Value::from(change.test_id)) {
                    toplevels.push(Value::from(change.test_id));
                }
            }
        }
    }
    Ok(Value::List(toplevels))
}

pub(super) fn delete_test_records(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let test_id = a.test_id(1, "test-id")?;
    if store.test(test_id)?.is_none() {
        return Ok(Value::FALSE);
    }
    store.mark_test_deleted(test_id)?;
    Ok(Value::Bool(true))
}

pub(super) fn toplevel_num_items(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(Value::Int(rmt::count_items(
        store,
        a.run_id(0, "run-id")?,
        &a.str(1, "testname")?,
    )?))
}
