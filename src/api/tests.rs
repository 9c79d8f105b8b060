//! Test records: listing, looking up, registering, setting state and status, deleting.

use super::args::Args;
use super::context::ApiContext;
use super::query::{rows, scalar, vectors};
use super::value::Value;
use crate::db::{Store, TEST_FIELDS};
use crate::error::Result;
use crate::model::{RunId, State, Status, TestId};
use rusqlite::types::Value as SqlValue;

/// `state [NOT] IN (...)` for a non-empty list.
fn in_list(
    column: &str,
    values: &[String],
    not_in: bool,
    params: &mut Vec<SqlValue>,
) -> Option<String> {
    if values.is_empty() {
        return None;
    }
    let marks = vec!["?"; values.len()].join(",");
    params.extend(values.iter().map(|v| SqlValue::Text(v.clone())));
    Some(format!(
        "coalesce({column},'') {}IN ({marks})",
        if not_in { "NOT " } else { "" }
    ))
}

struct TestQuery {
    run_ids: Option<Vec<RunId>>,
    testpatt: Option<String>,
    states: Vec<String>,
    statuses: Vec<String>,
    not_in: bool,
    order: String,
    limit: Option<i64>,
    offset: Option<i64>,
    since: Option<i64>,
}

impl TestQuery {
    fn run(&self, store: &Store, columns: &str) -> Result<Vec<Vec<Value>>> {
        let mut params: Vec<SqlValue> = Vec::new();
        let mut conditions = Vec::new();
        if let Some(ids) = &self.run_ids {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let marks = vec!["?"; ids.len()].join(",");
            conditions.push(format!("run_id IN ({marks})"));
            params.extend(ids.iter().map(|&i| SqlValue::from(i)));
        }
        if let Some(p) = self
            .testpatt
            .as_ref()
            .filter(|p| !p.trim().is_empty() && p.trim() != "%")
        {
            conditions.push("mt_testpatt(?, testname, item_path)".into());
            params.push(SqlValue::Text(p.clone()));
        }
        conditions.extend(in_list("state", &self.states, self.not_in, &mut params));
        conditions.extend(in_list("status", &self.statuses, self.not_in, &mut params));
        match self.since {
            Some(since) => {
                conditions.push("last_update >= ?".into());
                params.push(since.into());
            }
            None => conditions.push("coalesce(state,'') != 'DELETED'".into()),
        }
        let mut sql = format!(
            "SELECT {columns} FROM tests WHERE {} {}",
            conditions.join(" AND "),
            self.order
        );
        if self.limit.is_some() || self.offset.is_some() {
            sql.push_str(" LIMIT ? OFFSET ?");
            params.push(self.limit.unwrap_or(-1).into());
            params.push(self.offset.unwrap_or(0).into());
        }
        rows(store, &sql, &params)
    }
}

/// The ORDER BY clause for Megatest's sort-by names (or raw SQL).
fn order_by(sort_by: Option<String>, sort_order: Option<String>) -> String {
    let order = match sort_order
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("DESC") => "DESC",
        _ => "ASC",
    };
    match sort_by.as_deref() {
        None | Some("") => "ORDER BY id ASC".into(),
        Some("testname") => format!("ORDER BY testname {order}, item_path {order}"),
        Some("event_time") => format!("ORDER BY event_time {order}, id {order}"),
        Some("statestatus") => {
            format!("ORDER BY state {order}, status {order}, testname, item_path")
        }
        Some("rundir") => format!("ORDER BY length(rundir) {order}"),
        Some(sql) => format!("ORDER BY {sql} {order}"),
    }
}

/// The record's columns; a short list reads six and fills the others with Megatest's
/// placeholders (-1 for numbers, "" for host and uname, "-" for rundir, log and comment).
fn record_columns(shortlist: bool) -> String {
    const SHORT: [&str; 6] = ["id", "run_id", "testname", "state", "status", "item_path"];
    TEST_FIELDS
        .iter()
        .map(|f| {
            if !shortlist || SHORT.contains(f) {
                return f.to_string();
            }
            match *f {
                "event_time" | "cpuload" | "diskfree" | "run_duration" => "-1",
                "host" | "uname" => "''",
                "rundir" | "final_logf" | "comment" => "'-'",
                _ => "NULL",
            }
            .to_string()
        })
        .collect::<Vec<_>>()
        .join(",")
}

pub(super) fn get_tests_for_run(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let query = TestQuery {
        run_ids: Some(vec![a.run_id(0, "run-id")?]),
        testpatt: a.opt_str(1),
        states: a.strs(2),
        statuses: a.strs(3),
        offset: a.opt_int(4, "offset")?,
        limit: a.opt_int(5, "limit")?,
        not_in: a.flag(6),
        order: order_by(a.opt_str(7), a.opt_str(8)),
        since: a.opt_int(10, "last-update")?,
    };
    let shortlist = a.opt_str(9).as_deref() == Some("shortlist");
    Ok(vectors(query.run(store, &record_columns(shortlist))?))
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
    let query = TestQuery {
        run_ids: Some(vec![a.run_id(0, "run-id")?]),
        testpatt: a.opt_str(1),
        states: a.strs(2),
        statuses: a.strs(3),
        not_in,
        order: order_by(Some(sort_by), sort_order),
        limit: None,
        offset: None,
        since,
    };
    Ok(vectors(query.run(store, &record_columns(false))?))
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
    let query = TestQuery {
        run_ids,
        testpatt: a.opt_str(1),
        states: a.strs(2),
        statuses: a.strs(3),
        not_in: a.flag(4),
        order: "ORDER BY id ASC".into(),
        limit: None,
        offset: None,
        since: None,
    };
    Ok(vectors(query.run(
        store,
        "id,run_id,testname,state,status,event_time,item_path",
    )?))
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
    let found = rows(
        store,
        &format!(
            "SELECT {} FROM tests WHERE id=?1",
            record_columns(shortlist)
        ),
        &[test_id.into()],
    )?;
    Ok(Value::or_false(found.into_iter().next().map(Value::Vector)))
}

pub(super) fn get_test_info_by_id(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    record(store, a.test_id(1, "test-id")?, false)
}

pub(super) fn get_testinfo_state_status(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    record(store, a.test_id(1, "test-id")?, true)
}

pub(super) fn get_rundir(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(Value::or_false(scalar(
        store,
        "SELECT rundir FROM tests WHERE id=?1",
        &[a.test_id(1, "test-id")?.into()],
    )?))
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
        let ids = rows(
            store,
            "SELECT id FROM tests WHERE run_id=?1 AND testname LIKE ?2 AND (?3 IS NULL OR state=?3) AND (?4 IS NULL OR status=?4) AND coalesce(state,'') != 'DELETED'",
            &[
                run_id.into(),
                name.clone().into(),
                curr_state.clone().map_or(SqlValue::Null, SqlValue::Text),
                curr_status.clone().map_or(SqlValue::Null, SqlValue::Text),
            ],
        )?;
        for id in ids.into_iter().flatten() {
            let Value::Int(id) = id else { continue };
            let changes = ctx.writer(store).set_state_status(
                TestId(id),
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
    Ok(Value::or_false(scalar(
        store,
        "SELECT count(*) FROM tests WHERE run_id=?1 AND testname=?2 AND item_path != '' AND coalesce(state,'') != 'DELETED'",
        &[a.run_id(0, "run-id")?.into(), a.str(1, "testname")?.into()],
    )?))
}

#[cfg(test)]
mod order_tests {
    use super::order_by;

    #[test]
    fn sort_by_names_megatest_knows() {
        assert_eq!(order_by(None, None), "ORDER BY id ASC");
        assert_eq!(
            order_by(Some("rundir".into()), Some("desc".into())),
            "ORDER BY length(rundir) DESC"
        );
        assert_eq!(
            order_by(Some("event_time".into()), None),
            "ORDER BY event_time ASC, id ASC"
        );
    }
}
