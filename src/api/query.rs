//! Rows of the database as API values.

use super::value::Value;
use crate::db::Field;

/// A row's fields as API values.
pub(super) fn values(row: Vec<Field>) -> Vec<Value> {
    row.into_iter().map(Value::from).collect()
}

/// Rows of fields as rows of API values.
pub(super) fn value_rows(rows: Vec<Vec<Field>>) -> Vec<Vec<Value>> {
    rows.into_iter().map(values).collect()
}

/// Each row as a vector.
pub(super) fn vectors(rows: Vec<Vec<Value>>) -> Value {
    Value::List(rows.into_iter().map(Value::Vector).collect())
}

/// A header/rows structure: `#(header rows)`.
pub(super) fn header_rows(header: Vec<String>, rows: Vec<Vec<Value>>) -> Value {
    Value::Vector(vec![Value::strs(header), vectors(rows)])
}
