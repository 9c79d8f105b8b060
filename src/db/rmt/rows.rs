//! Reading every row of a statement as [`Field`]s.

use crate::db::{Field, Store};
use crate::error::Result;
use rusqlite::params_from_iter;
use rusqlite::types::Value as SqlValue;

/// One row, its columns in the order selected.
pub type Row = Vec<Field>;

/// Every row of `sql`.
pub(super) fn rows(store: &Store, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>> {
    store.read(|c| {
        let mut stmt = c.prepare(sql)?;
        let width = stmt.column_count();
        let mut found = stmt.query(params_from_iter(params.iter()))?;
        let mut out = Vec::new();
        while let Some(row) = found.next()? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(Field::from_ref(row.get_ref(i)?));
            }
            out.push(values);
        }
        Ok(out)
    })
}

/// The first column of the first row, if any.
pub(super) fn scalar(store: &Store, sql: &str, params: &[SqlValue]) -> Result<Option<Field>> {
    Ok(rows(store, sql, params)?
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next()))
}

/// A count (0 when the statement returns nothing).
pub(super) fn count(store: &Store, sql: &str, params: &[SqlValue]) -> Result<i64> {
    Ok(match scalar(store, sql, params)? {
        Some(Field::Int(n)) => n,
        _ => 0,
    })
}

/// Double-quoted SQL identifier.
pub(super) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A text parameter.
pub(super) fn text(s: &str) -> SqlValue {
    SqlValue::Text(s.to_string())
}
