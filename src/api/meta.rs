//! The metadat variables, test_meta, and Megatest's named statements.

use super::args::Args;
use super::context::ApiContext;
use super::query::values;
use super::value::Value;
use crate::db::rmt;
use crate::db::{Field, Store};
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
    rmt::delete_var(store, &name)?;
    Ok(Value::Void)
}

/// `((tag name ...) ...)`; the Scheme side turns it into a hash table.
pub(super) fn get_tests_tags(_: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let mut by_tag: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (name, tags) in rmt::test_tags(store)? {
        for tag in tags
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
    let found = rmt::test_meta_record(store, &a.str(0, "testname")?)?;
    Ok(Value::or_false(found.map(|r| Value::Vector(values(r)))))
}

pub(super) fn general_call(a: &Args, store: &Store, _: &ApiContext) -> Result<Value> {
    let name = a.str(0, "stmt")?;
    // Argument 2 is the run id; the statement's parameters follow.
    let params: Vec<Field> = (2..a.len())
        .filter_map(|i| a.value(i))
        .map(|v| match v {
            Value::Int(i) => Field::Int(*i),
            Value::Real(r) => Field::Real(*r),
            Value::Bool(false) => Field::Null,
            other => Field::Text(other.text()),
        })
        .collect();
    if !rmt::run_named_statement(store, &name, &params)? {
        let known: Vec<&str> = rmt::NAMED_STATEMENTS.iter().map(|(n, _)| *n).collect();
        return Err(a.error(format!(
            "unknown statement `{name}`; known: {}",
            known.join(", ")
        )));
    }
    Ok(Value::Void)
}
