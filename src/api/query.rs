//! Reading rows as API values.

use super::value::Value;
use crate::db::Store;
use crate::error::Result;
use rusqlite::params_from_iter;
use rusqlite::types::Value as SqlValue;

/// Every row of `sql`, each as its column values.
pub(super) fn rows(store: &Store, sql: &str, params: &[SqlValue]) -> Result<Vec<Vec<Value>>> {
    store.read(|c| {
        let mut stmt = c.prepare(sql)?;
        let width = stmt.column_count();
        let mut rows = stmt.query(params_from_iter(params.iter()))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(Value::from(row.get_ref(i)?));
            }
            out.push(values);
        }
        Ok(out)
    })
}

/// The first column of the first row, if any.
pub(super) fn scalar(store: &Store, sql: &str, params: &[SqlValue]) -> Result<Option<Value>> {
    Ok(rows(store, sql, params)?
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next()))
}

/// Each row as a vector.
pub(super) fn vectors(rows: Vec<Vec<Value>>) -> Value {
    Value::List(rows.into_iter().map(Value::Vector).collect())
}

/// A header/rows structure: `#(header rows)`.
pub(super) fn header_rows(header: Vec<String>, rows: Vec<Vec<Value>>) -> Value {
    Value::Vector(vec![Value::strs(header), vectors(rows)])
}

/// Double-quoted SQL identifier.
pub(super) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
