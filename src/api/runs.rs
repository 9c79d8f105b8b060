//! Runs: keys, targets, listing, registering, status, locking, deleting.

use super::args::Args;
use super::context::ApiContext;
use super::query::{header_rows, values};
use super::value::Value;
use crate::area::Target;
use crate::db::rmt::{self, RunListing};
use crate::db::{RUN_FIELDS, Store};
use crate::error::Result;
use crate::model::RunId;

const RUN_COLUMNS: [&str; 6] = ["id", "runname", "state", "status", "owner", "event_time"];
/// What `rmt:get-run-info` shows after the keys: the run fields up to `contour`.
const RUN_INFO_COLUMNS: &[&str] = RUN_FIELDS.split_at(10).0;

fn key_values(store: &Store, run_id: RunId) -> Result<Option<Vec<Value>>> {
    Ok(rmt::run_key_values(store, run_id)?.map(values))
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
    let found = rmt::run_targets(store)?.into_iter().map(values).collect();
    Ok(header_rows(store.keys().to_vec(), found))
}

/// The run name patterns of a comma list.
fn runname_patterns(patterns: &str) -> Vec<String> {
    patterns.split(',').map(str::to_string).collect()
}

/// The listing's rows under a header of its columns.
fn listed(store: &Store, listing: RunListing) -> Result<Value> {
    let found = listing.rows(store)?.into_iter().map(values).collect();
    Ok(header_rows(listing.columns, found))
}

pub(super) fn get_runs(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let runpatt = a.opt_str(0).unwrap_or_else(|| "%".into());
    let mut key_patterns = Vec::new();
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
            key_patterns.push((key, patt));
        }
    }
    let mut columns = store.keys().to_vec();
    columns.extend(RUN_COLUMNS.iter().map(|c| c.to_string()));
    listed(
        store,
        RunListing {
            columns,
            runname_patterns: runname_patterns(&runpatt),
            key_patterns,
            limit: a.opt_int(1, "count")?,
            offset: a.opt_int(2, "offset")?,
            newest_paged: true,
            ..RunListing::default()
        },
    )
}

fn by_patt(a: &Args, store: &Store, paged: bool) -> Result<Value> {
    let runpatt = a.opt_str(1).unwrap_or_else(|| "%".into());
    let mut key_patterns = Vec::new();
    if let Some(targpatt) = a.opt_str(2) {
        for (key, patt) in store.keys().iter().zip(targpatt.split('/')) {
            key_patterns.push((key.clone(), patt.to_string()));
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
    let mut listing = RunListing {
        columns,
        runname_patterns: runname_patterns(&runpatt),
        key_patterns,
        ..RunListing::default()
    };
    if paged {
        listing.since = a.opt_int(6, "last-update")?;
        listing.offset = a.opt_int(3, "offset")?;
        listing.limit = a.opt_int(4, "limit")?;
    }
    listed(store, listing)
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
    let row = rmt::run_info(store, a.run_id(0, "run-id")?, &columns)?;
    Ok(Value::Vector(vec![
        Value::strs(columns),
        Value::or_false(row.map(|r| Value::Vector(values(r)))),
    ]))
}

pub(super) fn get_run_name_from_id(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(Value::or_false(
        rmt::run_name(store, a.run_id(0, "run-id")?)?.map(Value::from),
    ))
}

pub(super) fn get_all_run_ids(_: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(Value::List(values(rmt::run_ids_newest_first(store)?)))
}

pub(super) fn get_num_runs(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let pattern = a.opt_str(0).unwrap_or_else(|| "%".into());
    Ok(Value::Int(rmt::count_runs_named_like(store, &pattern)?))
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
    rmt::set_run_state_status(store, id, state, status)?;
    Ok(Value::from(id))
}

/// `"n/a"` for a run that is not there, as in Megatest.
pub(super) fn get_run_status(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(rmt::run_status(store, a.run_id(0, "run-id")?)?
        .map_or_else(|| Value::str("n/a".to_string()), Value::from))
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
