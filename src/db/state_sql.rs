//! States and statuses in and out of SQLite: stored as their words, as Megatest stores them.

use crate::model::{State, Status};
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
