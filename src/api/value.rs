//! The values the API takes and returns: what Scheme sees, without the engine's types.

use crate::db::{Field, FieldRef};
use crate::model::{RunId, TestId};

/// A Scheme value as the API knows it (serialized when a call goes to a server).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Value {
    /// `#t` / `#f`.
    Bool(bool),
    /// An exact integer.
    Int(i64),
    /// A float.
    Real(f64),
    /// A string.
    Str(String),
    /// A symbol (also CHICKEN suffix keywords such as `msg:`).
    Sym(String),
    /// A list.
    List(Vec<Value>),
    /// A vector (records, header/rows structures).
    Vector(Vec<Value>),
    /// Nothing worth printing.
    Void,
}

impl Value {
    /// `#f`.
    pub const FALSE: Value = Value::Bool(false);

    /// A string value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    /// A list of strings.
    pub fn strs<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Value {
        Value::List(items.into_iter().map(|s| Value::Str(s.into())).collect())
    }

    /// `Some(v)` as v, `None` as `#f`.
    pub fn or_false(v: Option<Value>) -> Value {
        v.unwrap_or(Value::FALSE)
    }

    /// The value as `display` shows it (strings without quotes).
    pub fn text(&self) -> String {
        match self {
            Value::Bool(true) => "#t".into(),
            Value::Bool(false) => "#f".into(),
            Value::Int(i) => i.to_string(),
            Value::Real(r) => r.to_string(),
            Value::Str(s) | Value::Sym(s) => s.clone(),
            Value::List(items) => format!(
                "({})",
                items.iter().map(Value::text).collect::<Vec<_>>().join(" ")
            ),
            Value::Vector(items) => format!(
                "#({})",
                items.iter().map(Value::text).collect::<Vec<_>>().join(" ")
            ),
            Value::Void => String::new(),
        }
    }

    /// Whether Scheme would treat it as true (everything but `#f`).
    pub fn truthy(&self) -> bool {
        !matches!(self, Value::Bool(false))
    }
}

impl From<&Field> for Value {
    fn from(f: &Field) -> Value {
        match f {
            Field::Int(i) => Value::Int(*i),
            Field::Real(r) => Value::Real(*r),
            Field::Text(s) => Value::Str(s.clone()),
            Field::Null => Value::FALSE,
        }
    }
}

impl From<Field> for Value {
    fn from(f: Field) -> Value {
        Value::from(&f)
    }
}

impl From<FieldRef<'_>> for Value {
    fn from(f: FieldRef<'_>) -> Value {
        match f {
            FieldRef::Int(i) => Value::Int(i),
            FieldRef::Real(r) => Value::Real(r),
            FieldRef::Text(s) => Value::Str(s.to_string()),
            FieldRef::Null => Value::FALSE,
        }
    }
}

impl From<rusqlite::types::ValueRef<'_>> for Value {
    fn from(v: rusqlite::types::ValueRef<'_>) -> Value {
        use rusqlite::types::ValueRef;
        match v {
            ValueRef::Integer(i) => Value::Int(i),
            ValueRef::Real(r) => Value::Real(r),
            ValueRef::Text(t) | ValueRef::Blob(t) => Value::Str(String::from_utf8_lossy(t).into()),
            ValueRef::Null => Value::FALSE,
        }
    }
}

impl From<TestId> for Value {
    fn from(id: TestId) -> Value {
        Value::Int(id.0)
    }
}

impl From<RunId> for Value {
    fn from(id: RunId) -> Value {
        Value::Int(id.0)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.to_string())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
