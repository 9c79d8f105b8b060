//! The arguments of one API call, read the forgiving way CHICKEN code passes them: numbers
//! as strings, `#f` for "not given", symbols where strings are expected, and trailing
//! `keyword: value` pairs.

use super::value::Value;
use crate::error::{Error, Result};
use crate::model::{RunId, TestId};

/// The arguments of a call to `name`.
pub struct Args<'a> {
    name: &'a str,
    values: &'a [Value],
}

impl<'a> Args<'a> {
    /// Wraps the values passed to `name`.
    pub fn new(name: &'a str, values: &'a [Value]) -> Self {
        Args { name, values }
    }

    /// How many were passed.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether none were passed.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// An error naming the procedure.
    pub fn error(&self, message: impl std::fmt::Display) -> Error {
        Error::new(format!("{}: {message}", self.name))
    }

    fn at(&self, i: usize) -> Option<&'a Value> {
        self.values
            .get(i)
            .filter(|v| !matches!(v, Value::Sym(s) if s.ends_with(':')))
    }

    /// The raw value at `i`, if given.
    pub fn value(&self, i: usize) -> Option<&'a Value> {
        self.at(i)
    }

    /// Argument `i`, required.
    pub fn required(&self, i: usize, what: &str) -> Result<&'a Value> {
        self.at(i)
            .ok_or_else(|| self.error(format!("argument {} ({what}) is missing", i + 1)))
    }

    /// An integer (a number or a numeric string).
    pub fn int(&self, i: usize, what: &str) -> Result<i64> {
        self.opt_int(i, what)?
            .ok_or_else(|| self.error(format!("argument {} ({what}) must be a number", i + 1)))
    }

    /// A test record's id.
    pub(crate) fn test_id(&self, i: usize, what: &str) -> Result<TestId> {
        self.int(i, what).map(TestId)
    }

    /// A run record's id.
    pub(crate) fn run_id(&self, i: usize, what: &str) -> Result<RunId> {
        self.int(i, what).map(RunId)
    }

    /// An integer, or `None` for `#f` or a missing argument.
    pub fn opt_int(&self, i: usize, what: &str) -> Result<Option<i64>> {
        match self.at(i) {
            None | Some(Value::Bool(false)) => Ok(None),
            Some(Value::Int(n)) => Ok(Some(*n)),
            Some(Value::Real(r)) => Ok(Some(*r as i64)),
            Some(Value::Str(s)) => s.trim().parse().map(Some).map_err(|_| {
                self.error(format!(
                    "argument {} ({what}) must be a number, got {s:?}",
                    i + 1
                ))
            }),
            Some(other) => Err(self.error(format!(
                "argument {} ({what}) must be a number, got {}",
                i + 1,
                other.text()
            ))),
        }
    }

    /// A string (symbols and numbers are taken as their text).
    pub fn str(&self, i: usize, what: &str) -> Result<String> {
        self.opt_str(i)
            .ok_or_else(|| self.error(format!("argument {} ({what}) is missing", i + 1)))
    }

    /// A string, or `None` for `#f` or a missing argument.
    pub fn opt_str(&self, i: usize) -> Option<String> {
        match self.at(i)? {
            Value::Bool(false) | Value::Void => None,
            Value::Str(s) | Value::Sym(s) => Some(s.clone()),
            other => Some(other.text()),
        }
    }

    /// A list of strings (`'()`, `#f` or missing: empty; one string: a list of one).
    pub fn strs(&self, i: usize) -> Vec<String> {
        match self.at(i) {
            Some(Value::List(items)) | Some(Value::Vector(items)) => {
                items.iter().map(Value::text).collect()
            }
            Some(Value::Str(s)) | Some(Value::Sym(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }

    /// Whether argument `i` is given and not `#f`.
    pub fn flag(&self, i: usize) -> bool {
        self.at(i).is_some_and(Value::truthy)
    }

    /// The value after the keyword `key:` (for example `msg:`), anywhere in the call.
    pub fn keyword(&self, key: &str) -> Option<&'a Value> {
        self.values
            .iter()
            .position(|v| matches!(v, Value::Sym(s) if s == key))
            .and_then(|i| self.values.get(i + 1))
    }
}
