//! Steps and test data of a test.

use super::args::Args;
use super::context::ApiContext;
use super::query::{value_rows, vectors};
use super::value::Value;
use crate::db::rmt;
use crate::db::{Store, parse_rows};
use crate::error::Result;

pub(super) fn get_steps_for_test(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    Ok(vectors(value_rows(rmt::test_step_rows(
        store,
        a.test_id(1, "test-id")?,
    )?)))
}

pub(super) fn teststep_set_status(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    store.set_step(
        a.test_id(1, "test-id")?,
        &a.str(2, "stepname")?,
        &a.opt_str(3).unwrap_or_default(),
        &a.opt_str(4).unwrap_or_default(),
        &a.opt_str(5).unwrap_or_default(),
        &a.opt_str(6).unwrap_or_default(),
    )?;
    Ok(Value::Void)
}

pub(super) fn read_test_data(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let category = a.opt_str(2).unwrap_or_else(|| "%".into());
    Ok(vectors(value_rows(rmt::test_data_rows(
        store,
        a.test_id(1, "test-id")?,
        &category,
    )?)))
}

pub(super) fn csv_to_test_data(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let test_id = a.test_id(1, "test-id")?;
    let parsed = parse_rows(&a.str(2, "csv")?).map_err(|e| a.error(&e.message))?;
    store.load_test_data(test_id, &parsed)?;
    Ok(Value::Void)
}

pub(super) fn test_data_rollup(a: &Args, store: &Store, ctx: &ApiContext) -> Result<Value> {
    ctx.writer(store)
        .test_data_rollup(a.test_id(1, "test-id")?)?;
    Ok(Value::Void)
}

pub(super) fn test_set_log(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    store.set_test_log(a.test_id(1, "test-id")?, &a.str(2, "logfile")?)?;
    Ok(Value::Void)
}
