//! Runs: keys, targets, listing, registering, status, locking, deleting.

use super::args::Args;
use super::context::ApiContext;
use super::query::{header_rows, ident, rows, scalar};
use super::value::Value;
use crate::area::Target;
use crate::db::{RUN_FIELDS, Store};
use crate::error::Result;
use crate::model::RunId;
use crate::select::like_or_glob;
use rusqlite::types::Value as SqlValue;

const RUN_COLUMNS: [&str; 6] = ["id", "runname", "state", "status", "owner", "event_time"];
/// What `rmt:get-run-info` shows after the keys: the run fields up to `contour`.
const RUN_INFO_COLUMNS: &[&str] = RUN_FIELDS.split_at(10).0;

fn key_values(store: &Store, run_id: RunId) -> Result<Option<Vec<Value>>> {
    if store.keys().is_empty() {
        return Ok(
            scalar(store, "SELECT 1 FROM runs WHERE id=?1", &[run_id.into()])?.map(|_| Vec::new()),
        );
    }
    let cols: Vec<String> = store.keys().iter().map(|k| ident(k)).collect();
    let sql = format!("SELECT {} FROM runs WHERE id=?1", cols.join(","));
    Ok(rows(store, &sql, &[run_id.into()])?.into_iter().next())
}

pub(super) fn get_keys(_: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(Value::strs(store.keys().iter().cloned()))
}

// A run that is not there has no keys: '() (and target ""), as Megatest's loops give.
pub(super) fn get_key_val_pairs(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let Some(values) = key_values(store, a.run_id(0, "run-id")?)? else {
        return Ok(Value::List(Vec::new()));
    };
    Ok(Value::List(
        store
            .keys()
            .iter()
            .zip(values)
            .map(|(k, v)| Value::List(vec![Value::str(k.clone()), v]))
            .collect(),
    ))
}

pub(super) fn get_key_vals(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(Value::List(
        key_values(store, a.run_id(0, "run-id")?)?.unwrap_or_default(),
    ))
}

pub(super) fn get_target(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let Some(values) = key_values(store, a.run_id(0, "run-id")?)? else {
        return Ok(Value::str(String::new()));
    };
    let parts: Vec<String> = values
        .iter()
        .map(|v| match v {
            Value::Bool(false) => "-na-".to_string(),
            other => other.text(),
        })
        .collect();
    Ok(Value::str(parts.join("/")))
}

pub(super) fn get_targets(_: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let cols: Vec<String> = store.keys().iter().map(|k| ident(k)).collect();
    let found = if cols.is_empty() {
        Vec::new()
    } else {
        rows(
            store,
            &format!(
                "SELECT DISTINCT {} FROM runs WHERE coalesce(state,'') != 'deleted'",
                cols.join(",")
            ),
            &[],
        )?
    };
    Ok(header_rows(store.keys().to_vec(), found))
}

/// `(cond OR cond ...)` for a comma list of run name patterns.
fn runname_condition(patterns: &str, params: &mut Vec<SqlValue>) -> String {
    let parts: Vec<String> = patterns
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (cond, value) = like_or_glob("runname", p);
            params.push(value);
            cond
        })
        .collect();
    if parts.is_empty() {
        "1".into()
    } else {
        format!("({})", parts.join(" OR "))
    }
}

/// Runs, oldest first as Megatest returns them; with `newest_paged` the limit and offset
/// count from the newest run (`rmt:get-runs`), else from the oldest (`get-runs-by-patt`).
fn run_listing(
    store: &Store,
    columns: &[String],
    conditions: Vec<String>,
    mut params: Vec<SqlValue>,
    (limit, offset): (Option<i64>, Option<i64>),
    newest_paged: bool,
) -> Result<Value> {
    let select: Vec<String> = columns.iter().map(|c| ident(c)).collect();
    let mut sql = format!(
        "SELECT {} FROM runs WHERE coalesce(state,'') != 'deleted' AND {} ORDER BY event_time {order}, id {order}",
        select.join(","),
        if conditions.is_empty() {
            "1".to_string()
        } else {
            conditions.join(" AND ")
        },
        order = if newest_paged { "DESC" } else { "ASC" }
    );
    if limit.is_some() || offset.is_some() {
        sql.push_str(" LIMIT ? OFFSET ?");
        params.push(limit.unwrap_or(-1).into());
        params.push(offset.unwrap_or(0).into());
    }
    let mut found = rows(store, &sql, &params)?;
    if newest_paged {
        found.reverse();
    }
    Ok(header_rows(columns.to_vec(), found))
}

pub(super) fn get_runs(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let runpatt = a.opt_str(0).unwrap_or_else(|| "%".into());
    let mut params = Vec::new();
    let mut conditions = vec![runname_condition(&runpatt, &mut params)];
    if let Some(Value::List(pairs)) = a.value(3) {
        for pair in pairs {
            let (key, patt) = match pair {
                Value::List(kv) | Value::Vector(kv) if kv.len() >= 2 => {
                    (kv[0].text(), kv[1].text())
                }
                _ => return Err(a.error("keypatts must be a list of (key pattern) lists")),
            };
            if !store.keys().contains(&key) {
                return Err(a.error(format!("`{key}` is not a key of this area")));
            }
            let (cond, value) = like_or_glob(&ident(&key), &patt);
            conditions.push(cond);
            params.push(value);
        }
    }
    let mut columns = store.keys().to_vec();
    columns.extend(RUN_COLUMNS.iter().map(|c| c.to_string()));
    run_listing(
        store,
        &columns,
        conditions,
        params,
        (a.opt_int(1, "count")?, a.opt_int(2, "offset")?),
        true,
    )
}

fn by_patt(a: &Args, store: &Store, paged: bool) -> Result<Value> {
    let runpatt = a.opt_str(1).unwrap_or_else(|| "%".into());
    let mut params = Vec::new();
    let mut conditions = vec![runname_condition(&runpatt, &mut params)];
    if let Some(targpatt) = a.opt_str(2) {
        for (key, patt) in store.keys().iter().zip(targpatt.split('/')) {
            let (cond, value) = like_or_glob(&ident(key), patt);
            conditions.push(cond);
            params.push(value);
        }
    }
    // As Megatest's standard run fields: the keys, then the fields asked for (or all).
    let mut columns = store.keys().to_vec();
    let fields = if paged { a.strs(5) } else { Vec::new() };
    if fields.is_empty() {
        columns.extend(RUN_COLUMNS.iter().map(|c| c.to_string()));
    } else {
        columns.extend(fields);
    }
    let (offset, limit) = if paged {
        if let Some(since) = a.opt_int(6, "last-update")? {
            conditions.push("last_update >= ?".into());
            params.push(since.into());
        }
        (a.opt_int(3, "offset")?, a.opt_int(4, "limit")?)
    } else {
        (None, None)
    };
    run_listing(store, &columns, conditions, params, (limit, offset), false)
}

pub(super) fn get_runs_by_patt(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    by_patt(a, store, true)
}

pub(super) fn mt_get_runs_by_patt(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    by_patt(a, store, false)
}

pub(super) fn get_run_info(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let mut columns = store.keys().to_vec();
    columns.extend(RUN_INFO_COLUMNS.iter().map(|c| c.to_string()));
    let select: Vec<String> = columns.iter().map(|c| ident(c)).collect();
    let row = rows(
        store,
        &format!(
            "SELECT {} FROM runs WHERE id=?1 AND coalesce(state,'') != 'deleted'",
            select.join(",")
        ),
        &[a.run_id(0, "run-id")?.into()],
    )?
    .into_iter()
    .next();
    Ok(Value::Vector(vec![
        Value::strs(columns),
        Value::or_false(row.map(Value::Vector)),
    ]))
}

pub(super) fn get_run_name_from_id(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(Value::or_false(scalar(
        store,
        "SELECT runname FROM runs WHERE id=?1",
        &[a.run_id(0, "run-id")?.into()],
    )?))
}

pub(super) fn get_all_run_ids(_: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let ids = rows(
        store,
        "SELECT id FROM runs WHERE coalesce(state,'') != 'deleted' ORDER BY event_time DESC, id DESC",
        &[],
    )?;
    Ok(Value::List(ids.into_iter().flatten().collect()))
}

pub(super) fn get_num_runs(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(Value::or_false(scalar(
        store,
        "SELECT count(*) FROM runs WHERE runname LIKE ?1 AND coalesce(state,'') != 'deleted'",
        &[a.opt_str(0).unwrap_or_else(|| "%".into()).into()],
    )?))
}

pub(super) fn register_run(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let pairs = match a.required(0, "keyvals")? {
        Value::List(p) => p,
        _ => return Err(a.error("keyvals must be a list of (key value) lists")),
    };
    let mut values = Vec::new();
    for key in store.keys() {
        let value = pairs
            .iter()
            .find_map(|p| match p {
                Value::List(kv) | Value::Vector(kv) if kv.len() >= 2 && kv[0].text() == *key => {
                    Some(kv[1].text())
                }
                _ => None,
            })
            .ok_or_else(|| a.error(format!("keyvals has no value for the key `{key}`")))?;
        values.push(value);
    }
    let target = Target::parse(&values.join("/"), store.keys(), "keyvals")?;
    let runname = a.str(1, "runname")?;
    let user = a.opt_str(4).unwrap_or_else(crate::environ::user_name);
    let contour = a.opt_str(5).unwrap_or_default();
    let id = store.register_run(&target, &runname, &user, &contour)?;
    let state = a.opt_str(2);
    let status = a.opt_str(3);
    store.write(|c| {
        c.execute(
            "UPDATE runs SET state=coalesce(?1,state), status=coalesce(?2,status) WHERE id=?3",
            (state, status, id),
        )
    })?;
    Ok(Value::from(id))
}

/// `"n/a"` for a run that is not there, as in Megatest.
pub(super) fn get_run_status(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(scalar(
        store,
        "SELECT status FROM runs WHERE id=?1",
        &[a.run_id(0, "run-id")?.into()],
    )?
    .unwrap_or_else(|| Value::str("n/a".to_string())))
}

pub(super) fn set_run_status(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let message = a.keyword("msg:").and_then(|v| match v {
        Value::Bool(false) => None,
        other => Some(other.text()),
    });
    store.set_run_status(
        a.run_id(0, "run-id")?,
        &a.str(1, "status")?,
        message.as_deref(),
    )?;
    Ok(Value::Void)
}

pub(super) fn lock_unlock_run(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let id = a.run_id(0, "run-id")?;
    let user = a.opt_str(3).unwrap_or_else(crate::environ::user_name);
    // Megatest locks unless only `unlock` is given.
    let lock = a.flag(1) || !a.flag(2);
    store.set_run_lock(id, lock, &user)?;
    Ok(Value::Void)
}

pub(super) fn delete_run(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    store.mark_run_deleted(a.run_id(0, "run-id")?)?;
    Ok(Value::Void)
}
