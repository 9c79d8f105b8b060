//! Runs: their key values, targets, listings by pattern, names, statuses.

use super::rows::{Row, count, ident, rows, scalar, text};
use crate::db::{Field, Store};
use crate::error::Result;
use crate::model::RunId;
use crate::select::like_or_glob;
use rusqlite::types::Value as SqlValue;

/// The run's key values in the keys' order; `None` when there is no such run.
pub fn run_key_values(store: &Store, run_id: RunId) -> Result<Option<Row>> {
    if store.keys().is_empty() {
        return Ok(
            scalar(store, "SELECT 1 FROM runs WHERE id=?1", &[run_id.into()])?.map(|_| Vec::new()),
        );
    }
    let cols: Vec<String> = store.keys().iter().map(|k| ident(k)).collect();
    let sql = format!("SELECT {} FROM runs WHERE id=?1", cols.join(","));
    Ok(rows(store, &sql, &[run_id.into()])?.into_iter().next())
}

/// Each target of a run that is not deleted, once, as its key values.
pub fn run_targets(store: &Store) -> Result<Vec<Row>> {
    let cols: Vec<String> = store.keys().iter().map(|k| ident(k)).collect();
    if cols.is_empty() {
        return Ok(Vec::new());
    }
    rows(
        store,
        &format!(
            "SELECT DISTINCT {} FROM runs WHERE coalesce(state,'') != 'deleted'",
            cols.join(",")
        ),
        &[],
    )
}

/// Runs that are not deleted, by run name and key patterns (`%`/`_` or glob), oldest first.
#[derive(Debug, Default)]
pub struct RunListing {
    /// The columns to read, keys or run fields.
    pub columns: Vec<String>,
    /// Run name patterns, any of which matches (none: every run).
    pub runname_patterns: Vec<String>,
    /// (key, pattern): each must match.
    pub key_patterns: Vec<(String, String)>,
    /// Only runs updated at or after this time.
    pub since: Option<i64>,
    /// At most this many.
    pub limit: Option<i64>,
    /// Skipping this many.
    pub offset: Option<i64>,
    /// The limit and offset count from the newest run (the rows stay oldest first).
    pub newest_paged: bool,
}

impl RunListing {
    /// The runs' rows, in [`RunListing::columns`].
    pub fn rows(&self, store: &Store) -> Result<Vec<Row>> {
        let mut params: Vec<SqlValue> = Vec::new();
        let names: Vec<String> = self
            .runname_patterns
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (cond, value) = like_or_glob("runname", p);
                params.push(value);
                cond
            })
            .collect();
        let mut conditions = vec![if names.is_empty() {
            "1".to_string()
        } else {
            format!("({})", names.join(" OR "))
        }];
        for (key, pattern) in &self.key_patterns {
            let (cond, value) = like_or_glob(&ident(key), pattern);
            conditions.push(cond);
            params.push(value);
        }
        if let Some(since) = self.since {
            conditions.push("last_update >= ?".into());
            params.push(since.into());
        }
        let select: Vec<String> = self.columns.iter().map(|c| ident(c)).collect();
        let mut sql = format!(
            "SELECT {} FROM runs WHERE coalesce(state,'') != 'deleted' AND {} ORDER BY event_time {order}, id {order}",
            select.join(","),
            conditions.join(" AND "),
            order = if self.newest_paged { "DESC" } else { "ASC" }
        );
        if self.limit.is_some() || self.offset.is_some() {
            sql.push_str(" LIMIT ? OFFSET ?");
            params.push(self.limit.unwrap_or(-1).into());
            params.push(self.offset.unwrap_or(0).into());
        }
        let mut found = rows(store, &sql, &params)?;
        if self.newest_paged {
            found.reverse();
        }
        Ok(found)
    }
}

/// These columns of a run that is not deleted.
pub fn run_info(store: &Store, run_id: RunId, columns: &[String]) -> Result<Option<Row>> {
    let select: Vec<String> = columns.iter().map(|c| ident(c)).collect();
    Ok(rows(
        store,
        &format!(
            "SELECT {} FROM runs WHERE id=?1 AND coalesce(state,'') != 'deleted'",
            select.join(",")
        ),
        &[run_id.into()],
    )?
    .into_iter()
    .next())
}

/// The run's name.
pub fn run_name(store: &Store, run_id: RunId) -> Result<Option<Field>> {
    scalar(
        store,
        "SELECT runname FROM runs WHERE id=?1",
        &[run_id.into()],
    )
}

/// The ids of the runs that are not deleted, newest first.
pub fn run_ids_newest_first(store: &Store) -> Result<Vec<Field>> {
    Ok(rows(
        store,
        "SELECT id FROM runs WHERE coalesce(state,'') != 'deleted' ORDER BY event_time DESC, id DESC",
        &[],
    )?
    .into_iter()
    .flatten()
    .collect())
}

/// How many runs that are not deleted have a name `LIKE` the pattern.
pub fn count_runs_named_like(store: &Store, pattern: &str) -> Result<i64> {
    count(
        store,
        "SELECT count(*) FROM runs WHERE runname LIKE ?1 AND coalesce(state,'') != 'deleted'",
        &[text(pattern)],
    )
}

/// Sets the run's state and status where given (an absent one keeps its value).
pub fn set_run_state_status(
    store: &Store,
    run_id: RunId,
    state: Option<String>,
    status: Option<String>,
) -> Result<()> {
    store.write(|c| {
        c.execute(
            "UPDATE runs SET state=coalesce(?1,state), status=coalesce(?2,status) WHERE id=?3",
            (state, status, run_id),
        )
    })?;
    Ok(())
}

/// The run's status.
pub fn run_status(store: &Store, run_id: RunId) -> Result<Option<Field>> {
    scalar(
        store,
        "SELECT status FROM runs WHERE id=?1",
        &[run_id.into()],
    )
}
