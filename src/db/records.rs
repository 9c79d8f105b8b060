//! Rows as the commands and the Scheme API see them, in Megatest's field orders.

use crate::model::{RunId, TestId, format_flonum};
use rusqlite::Row;
use rusqlite::types::{Value, ValueRef};
use std::fmt;

/// One column's value, typed as SQLite stored it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Field {
    /// An integer.
    Int(i64),
    /// A float.
    Real(f64),
    /// Text.
    Text(String),
    /// NULL.
    Null,
}

impl Field {
    /// From a column.
    pub fn from_ref(v: ValueRef<'_>) -> Field {
        match v {
            ValueRef::Integer(i) => Field::Int(i),
            ValueRef::Real(f) => Field::Real(f),
            ValueRef::Text(t) | ValueRef::Blob(t) => Field::Text(match std::str::from_utf8(t) {
                Ok(text) => text.to_owned(),
                Err(_) => String::from_utf8_lossy(t).into_owned(),
            }),
            ValueRef::Null => Field::Null,
        }
    }

    /// As JSON.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Field::Int(i) => (*i).into(),
            Field::Real(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Field::Text(t) => t.clone().into(),
            Field::Null => serde_json::Value::Null,
        }
    }

    /// As a SQL value.
    pub fn to_sql(&self) -> Value {
        match self {
            Field::Int(i) => Value::Integer(*i),
            Field::Real(f) => Value::Real(*f),
            Field::Text(t) => Value::Text(t.clone()),
            Field::Null => Value::Null,
        }
    }
}

impl Field {
    /// Borrowed, as a [`FieldRef`].
    pub fn as_ref(&self) -> FieldRef<'_> {
        match self {
            Field::Int(i) => FieldRef::Int(*i),
            Field::Real(f) => FieldRef::Real(*f),
            Field::Text(t) => FieldRef::Text(t),
            Field::Null => FieldRef::Null,
        }
    }

    /// Appends the field as [`fmt::Display`] shows it, without an intermediate string.
    pub fn push_to(&self, out: &mut String) {
        use std::fmt::Write as _;
        match self {
            Field::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Field::Text(t) => out.push_str(t),
            other => {
                let _ = write!(out, "{other}");
            }
        }
    }
}

impl fmt::Display for Field {
    /// As Megatest (CHICKEN's `display`) prints it: floats with `.0`, NULL as `#f`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Int(i) => write!(f, "{i}"),
            Field::Real(x) => f.write_str(&format_flonum(*x)),
            Field::Text(t) => f.write_str(t),
            Field::Null => f.write_str("#f"),
        }
    }
}

pub(crate) fn text(row: &Row<'_>, i: usize) -> rusqlite::Result<String> {
    Ok(match Field::from_ref(row.get_ref(i)?) {
        Field::Null => String::new(),
        other => other.to_string(),
    })
}

/// A column's value borrowed from the row being read (no copy), for streaming listings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldRef<'a> {
    /// An integer.
    Int(i64),
    /// A float.
    Real(f64),
    /// Text (lossless UTF-8; other bytes show as empty).
    Text(&'a str),
    /// NULL.
    Null,
}

impl<'a> FieldRef<'a> {
    /// From a column.
    pub fn from_ref(v: ValueRef<'a>) -> FieldRef<'a> {
        match v {
            ValueRef::Integer(i) => FieldRef::Int(i),
            ValueRef::Real(f) => FieldRef::Real(f),
            ValueRef::Text(t) | ValueRef::Blob(t) => {
                FieldRef::Text(std::str::from_utf8(t).unwrap_or(""))
            }
            ValueRef::Null => FieldRef::Null,
        }
    }

    /// Appends the value as [`Field`] displays it.
    pub fn push_to(&self, out: &mut String) {
        use std::fmt::Write as _;
        match self {
            FieldRef::Int(i) => {
                let _ = write!(out, "{i}");
            }
            FieldRef::Real(f) => out.push_str(&format_flonum(*f)),
            FieldRef::Text(t) => out.push_str(t),
            FieldRef::Null => out.push_str("#f"),
        }
    }

    /// The text, when it is text.
    pub fn text(&self) -> Option<&'a str> {
        match self {
            FieldRef::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// A `tests` row being read, its columns in [`TEST_FIELDS`] order.
pub struct TestView<'r, 's> {
    pub(crate) row: &'r Row<'s>,
}

impl TestView<'_, '_> {
    /// The field at `index` of [`TEST_FIELDS`].
    pub fn get(&self, index: usize) -> FieldRef<'_> {
        self.row
            .get_ref(index)
            .map_or(FieldRef::Null, FieldRef::from_ref)
    }
}

/// The fields of a test record, in Megatest's order (`db:test-record-fields`).
pub const TEST_FIELDS: [&str; 18] = [
    "id",
    "run_id",
    "testname",
    "state",
    "status",
    "event_time",
    "host",
    "cpuload",
    "diskfree",
    "uname",
    "rundir",
    "item_path",
    "run_duration",
    "final_logf",
    "comment",
    "shortdir",
    "attemptnum",
    "archived",
];

/// A row of `tests`, in [`TEST_FIELDS`] order.
#[derive(Debug, Clone, PartialEq)]
pub struct TestRecord {
    /// The values, in [`TEST_FIELDS`] order.
    pub fields: Vec<Field>,
}

impl TestRecord {
    /// `SELECT` list matching [`TEST_FIELDS`].
    pub fn columns() -> String {
        TEST_FIELDS.join(",")
    }

    pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<TestRecord> {
        let fields = (0..TEST_FIELDS.len())
            .map(|i| row.get_ref(i).map(Field::from_ref))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(TestRecord { fields })
    }

    /// A field by name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        TEST_FIELDS
            .iter()
            .position(|f| *f == name)
            .map(|i| &self.fields[i])
    }

    /// The field at `index` of [`TEST_FIELDS`].
    pub fn field_at(&self, index: usize) -> &Field {
        &self.fields[index]
    }

    fn text_of(&self, name: &str) -> String {
        match self.field(name) {
            Some(Field::Null) | None => String::new(),
            Some(f) => f.to_string(),
        }
    }

    fn int_of(&self, name: &str) -> i64 {
        match self.field(name) {
            Some(Field::Int(i)) => *i,
            Some(Field::Real(f)) => *f as i64,
            Some(Field::Text(t)) => t.parse().unwrap_or(0),
            _ => 0,
        }
    }

    /// The id.
    pub fn id(&self) -> TestId {
        TestId(self.int_of("id"))
    }
    /// The run id.
    pub fn run_id(&self) -> RunId {
        RunId(self.int_of("run_id"))
    }
    /// The test name.
    pub fn testname(&self) -> String {
        self.text_of("testname")
    }
    /// The item path (`""` for a toplevel or plain test).
    pub fn item_path(&self) -> String {
        self.text_of("item_path")
    }
    /// The state.
    pub fn state(&self) -> crate::model::State {
        self.text_of("state").into()
    }
    /// The status.
    pub fn status(&self) -> crate::model::Status {
        self.text_of("status").into()
    }
    /// When it started (epoch seconds).
    pub fn event_time(&self) -> i64 {
        self.int_of("event_time")
    }
    /// The link-tree path of its run directory.
    pub fn rundir(&self) -> String {
        self.text_of("rundir")
    }
    /// The physical run directory.
    pub fn shortdir(&self) -> String {
        self.text_of("shortdir")
    }
    /// The comment.
    pub fn comment(&self) -> String {
        self.text_of("comment")
    }
}

/// The run fields Megatest lists after the keys (`-list-runs`).
pub const RUN_FIELDS: [&str; 11] = [
    "id",
    "runname",
    "state",
    "status",
    "owner",
    "event_time",
    "comment",
    "fail_count",
    "pass_count",
    "contour",
    "last_update",
];

/// A row of `runs`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// The key values, in key order.
    pub key_values: Vec<String>,
    /// The other fields, in [`RUN_FIELDS`] order.
    pub fields: Vec<Field>,
}

impl RunRecord {
    /// `SELECT` list: the keys, then [`RUN_FIELDS`].
    pub fn columns(keys: &[String]) -> String {
        keys.iter()
            .map(|k| format!("\"{k}\""))
            .chain(RUN_FIELDS.iter().map(|f| f.to_string()))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub(crate) fn from_row(row: &Row<'_>, nkeys: usize) -> rusqlite::Result<RunRecord> {
        let key_values = (0..nkeys)
            .map(|i| text(row, i))
            .collect::<rusqlite::Result<_>>()?;
        let fields = (0..RUN_FIELDS.len())
            .map(|i| row.get_ref(nkeys + i).map(Field::from_ref))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(RunRecord { key_values, fields })
    }

    /// A field by name: a key, `target`, or a [`RUN_FIELDS`] name.
    pub fn field(&self, keys: &[String], name: &str) -> Option<Field> {
        if name == "target" {
            return Some(Field::Text(self.target()));
        }
        if let Some(i) = keys.iter().position(|k| k == name) {
            return Some(Field::Text(self.key_values[i].clone()));
        }
        RUN_FIELDS
            .iter()
            .position(|f| *f == name)
            .map(|i| self.fields[i].clone())
    }

    /// `v1/v2/...`.
    pub fn target(&self) -> String {
        self.key_values.join("/")
    }

    fn at(&self, name: &str) -> &Field {
        &self.fields[RUN_FIELDS
            .iter()
            .position(|f| *f == name)
            .expect("a run field")]
    }

    /// The id.
    pub fn id(&self) -> RunId {
        RunId(match self.at("id") {
            Field::Int(i) => *i,
            _ => 0,
        })
    }
    /// The run name.
    pub fn runname(&self) -> String {
        self.at("runname").to_string()
    }
    /// The state (`new`, `locked`, `deleted`, ...).
    pub fn state(&self) -> String {
        match self.at("state") {
            Field::Null => String::new(),
            f => f.to_string(),
        }
    }
    /// The status.
    pub fn status(&self) -> String {
        match self.at("status") {
            Field::Null => String::new(),
            f => f.to_string(),
        }
    }
    /// When it was registered (epoch seconds).
    pub fn event_time(&self) -> i64 {
        match self.at("event_time") {
            Field::Int(i) => *i,
            Field::Real(f) => *f as i64,
            Field::Text(t) => t.parse().unwrap_or(0),
            Field::Null => 0,
        }
    }
}

/// A row of `test_steps`: `id test_id stepname state status event_time logfile comment`.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    /// The id.
    pub id: i64,
    /// The test.
    pub test_id: TestId,
    /// The step name.
    pub stepname: String,
    /// `start`, `end`, ...
    pub state: String,
    /// The status (`n/a`, an exit code, ...).
    pub status: String,
    /// When (epoch seconds).
    pub event_time: Field,
    /// The log file.
    pub logfile: String,
    /// The comment.
    pub comment: String,
}

/// A row of `test_data`: `id test_id category variable value expected tol units comment
/// status type`.
#[derive(Debug, Clone, PartialEq)]
pub struct DataRecord {
    /// The id.
    pub id: i64,
    /// The test.
    pub test_id: TestId,
    /// The category.
    pub category: String,
    /// The variable.
    pub variable: String,
    /// The value (a number or text).
    pub value: Field,
    /// The expected value.
    pub expected: Field,
    /// The tolerance (a number or a comparator).
    pub tol: Field,
    /// The units.
    pub units: String,
    /// The comment.
    pub comment: String,
    /// `pass`, `fail`, a given status, or empty.
    pub status: String,
    /// The type.
    pub kind: String,
}
