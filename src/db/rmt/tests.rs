//! Test records: listings by run, pattern, state and status; single records and counts.

use super::rows::{Row, count, rows, scalar, text};
use crate::db::{Field, Store, TEST_FIELDS};
use crate::error::Result;
use crate::model::{RunId, TestId};
use rusqlite::types::Value as SqlValue;

/// Which columns of a test a listing reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestColumns {
    /// Every field in Megatest's order.
    Record,
    /// Six fields; the others hold Megatest's placeholders (-1 for numbers, "" for host and
    /// uname, "-" for rundir, log and comment).
    ShortList,
    /// `id, run_id, testname, state, status, event_time, item_path`.
    MinData,
}

impl TestColumns {
    fn sql(self) -> String {
        const SHORT: [&str; 6] = ["id", "run_id", "testname", "state", "status", "item_path"];
        if self == TestColumns::MinData {
            return "id,run_id,testname,state,status,event_time,item_path".into();
        }
        let shortlist = self == TestColumns::ShortList;
        TEST_FIELDS
            .iter()
            .map(|f| {
                if !shortlist || SHORT.contains(f) {
                    return f.to_string();
                }
                match *f {
                    "event_time" | "cpuload" | "diskfree" | "run_duration" => "-1",
                    "host" | "uname" => "''",
                    "rundir" | "final_logf" | "comment" => "'-'",
                    _ => "NULL",
                }
                .to_string()
            })
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The order of a listing, by Megatest's sort-by names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TestOrder {
    /// By id, ascending (no sort-by given).
    #[default]
    Id,
    /// `sort-by` (a name Megatest knows, or SQL) and whether descending.
    By(String, bool),
}

impl TestOrder {
    /// From Megatest's sort-by and sort-order arguments.
    pub fn from_sort(sort_by: Option<String>, sort_order: Option<String>) -> TestOrder {
        let descending = sort_order
            .as_deref()
            .is_some_and(|o| o.eq_ignore_ascii_case("DESC"));
        match sort_by {
            None => TestOrder::Id,
            Some(s) if s.is_empty() => TestOrder::Id,
            Some(s) => TestOrder::By(s, descending),
        }
    }

    fn sql(&self) -> String {
        let (sort_by, order) = match self {
            TestOrder::Id => return "ORDER BY id ASC".into(),
            TestOrder::By(s, desc) => (s.as_str(), if *desc { "DESC" } else { "ASC" }),
        };
        match sort_by {
            "testname" => format!("ORDER BY testname {order}, item_path {order}"),
            "event_time" => format!("ORDER BY event_time {order}, id {order}"),
            "statestatus" => {
                format!("ORDER BY state {order}, status {order}, testname, item_path")
            }
            "rundir" => format!("ORDER BY length(rundir) {order}"),
            sql => format!("ORDER BY {sql} {order}"),
        }
    }
}

/// `state [NOT] IN (...)` for a non-empty list.
fn in_list(
    column: &str,
    values: &[String],
    not_in: bool,
    params: &mut Vec<SqlValue>,
) -> Option<String> {
    if values.is_empty() {
        return None;
    }
    let marks = vec!["?"; values.len()].join(",");
    params.extend(values.iter().map(|v| SqlValue::Text(v.clone())));
    Some(format!(
        "coalesce({column},'') {}IN ({marks})",
        if not_in { "NOT " } else { "" }
    ))
}

/// A listing of test records.
#[derive(Debug, Default)]
pub struct TestListing {
    /// Only these runs (`None`: every run).
    pub run_ids: Option<Vec<RunId>>,
    /// A `-testpatt` pattern.
    pub testpatt: Option<String>,
    /// States to keep (empty: any).
    pub states: Vec<String>,
    /// Statuses to keep (empty: any).
    pub statuses: Vec<String>,
    /// Keep the states and statuses NOT listed instead.
    pub not_in: bool,
    /// The order.
    pub order: TestOrder,
    /// At most this many.
    pub limit: Option<i64>,
    /// Skipping this many.
    pub offset: Option<i64>,
    /// Records updated at or after this time, DELETED ones too (else no DELETED ones).
    pub since: Option<i64>,
}

impl TestListing {
    /// The records' rows.
    pub fn rows(&self, store: &Store, columns: TestColumns) -> Result<Vec<Row>> {
        let mut params: Vec<SqlValue> = Vec::new();
        let mut conditions = Vec::new();
        if let Some(ids) = &self.run_ids {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let marks = vec!["?"; ids.len()].join(",");
            conditions.push(format!("run_id IN ({marks})"));
            params.extend(ids.iter().map(|&i| SqlValue::from(i)));
        }
        if let Some(p) = self
            .testpatt
            .as_ref()
            .filter(|p| !p.trim().is_empty() && p.trim() != "%")
        {
            conditions.push("mt_testpatt(?, testname, item_path)".into());
            params.push(SqlValue::Text(p.clone()));
        }
        conditions.extend(in_list("state", &self.states, self.not_in, &mut params));
        conditions.extend(in_list("status", &self.statuses, self.not_in, &mut params));
        match self.since {
            Some(since) => {
                conditions.push("last_update >= ?".into());
                params.push(since.into());
            }
            None => conditions.push("coalesce(state,'') != 'DELETED'".into()),
        }
        let mut sql = format!(
            "SELECT {} FROM tests WHERE {} {}",
            columns.sql(),
            conditions.join(" AND "),
            self.order.sql()
        );
        if self.limit.is_some() || self.offset.is_some() {
            sql.push_str(" LIMIT ? OFFSET ?");
            params.push(self.limit.unwrap_or(-1).into());
            params.push(self.offset.unwrap_or(0).into());
        }
        rows(store, &sql, &params)
    }
}

/// One test's record.
pub fn test_record(store: &Store, test_id: TestId, columns: TestColumns) -> Result<Option<Row>> {
    Ok(rows(
        store,
        &format!("SELECT {} FROM tests WHERE id=?1", columns.sql()),
        &[test_id.into()],
    )?
    .into_iter()
    .next())
}

/// The test's run directory.
pub fn test_rundir(store: &Store, test_id: TestId) -> Result<Option<Field>> {
    scalar(
        store,
        "SELECT rundir FROM tests WHERE id=?1",
        &[test_id.into()],
    )
}

/// The tests of the run that are not DELETED whose name is `LIKE` the pattern, with this
/// state and status where given.
pub fn test_ids_matching(
    store: &Store,
    run_id: RunId,
    name_like: &str,
    state: Option<String>,
    status: Option<String>,
) -> Result<Vec<TestId>> {
    let found = rows(
        store,
        "SELECT id FROM tests WHERE run_id=?1 AND testname LIKE ?2 AND (?3 IS NULL OR state=?3) AND (?4 IS NULL OR status=?4) AND coalesce(state,'') != 'DELETED'",
        &[
            run_id.into(),
            text(name_like),
            state.map_or(SqlValue::Null, SqlValue::Text),
            status.map_or(SqlValue::Null, SqlValue::Text),
        ],
    )?;
    Ok(found
        .into_iter()
        .flatten()
        .filter_map(|f| match f {
            Field::Int(id) => Some(TestId(id)),
            _ => None,
        })
        .collect())
}

/// How many items of the test the run has (not DELETED).
pub fn count_items(store: &Store, run_id: RunId, testname: &str) -> Result<i64> {
    count(
        store,
        "SELECT count(*) FROM tests WHERE run_id=?1 AND testname=?2 AND item_path != '' AND coalesce(state,'') != 'DELETED'",
        &[run_id.into(), text(testname)],
    )
}

#[cfg(test)]
mod order_tests {
    use super::TestOrder;

    fn sql(by: Option<&str>, order: Option<&str>) -> String {
        TestOrder::from_sort(by.map(str::to_string), order.map(str::to_string)).sql()
    }

    #[test]
    fn sort_by_names_megatest_knows() {
        assert_eq!(sql(None, None), "ORDER BY id ASC");
        assert_eq!(
            sql(Some("rundir"), Some("desc")),
            "ORDER BY length(rundir) DESC"
        );
        assert_eq!(
            sql(Some("event_time"), None),
            "ORDER BY event_time ASC, id ASC"
        );
    }
}
