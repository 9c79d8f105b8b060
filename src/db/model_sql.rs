//! States, statuses and record ids in and out of SQLite: stored as Megatest stores them (words,
//! integers).

use crate::model::{RunId, State, Status, TestId};
use rusqlite::types::{FromSql, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

/// Stores a word enum as its text and reads it back with its `parse`.
macro_rules! as_sql_text {
    ($name:ident) => {
        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::Borrowed(ValueRef::Text(
                    self.as_str().as_bytes(),
                )))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                value.as_str().map($name::parse)
            }
        }
    };
}

as_sql_text!(State);
as_sql_text!(Status);

/// Stores an id newtype as its integer.
macro_rules! as_sql_integer {
    ($name:ident) => {
        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::Owned(rusqlite::types::Value::Integer(self.0)))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                value.as_i64().map($name)
            }
        }

        impl From<$name> for rusqlite::types::Value {
            fn from(id: $name) -> Self {
                rusqlite::types::Value::Integer(id.0)
            }
        }
    };
}

as_sql_integer!(TestId);
as_sql_integer!(RunId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_go_in_and_come_out_as_text() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        let (state, status): (State, Status) = c
            .query_row(
                "SELECT ?1, ?2",
                (State::RemoteHostStart, Status::Other("mine".into())),
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(state, State::RemoteHostStart);
        assert_eq!(status, Status::Other("mine".into()));
        let kind: String = c
            .query_row("SELECT typeof(?1)", [State::Running], |r| r.get(0))
            .unwrap();
        assert_eq!(kind, "text");
    }
}
