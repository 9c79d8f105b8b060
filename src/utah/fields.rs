//! Reading a YAML mapping as a definition's fields: typed getters whose errors name the
//! file, line, column and field and say what was expected, and warnings for keys the format
//! does not have. Entries may come from several files (a `tc_control` and the `overrides`
//! of its `tslist.run` item): each remembers its own.

use super::yaml::{DefError, Document, Key, Node, Value};
use std::path::{Path, PathBuf};

/// A mapping's entries, later ones winning.
#[derive(Debug, Clone)]
pub struct Fields {
    entries: Vec<(Key, Node, PathBuf)>,
    /// Where the mapping is (for missing keys).
    file: PathBuf,
    at: (usize, usize),
}

impl Fields {
    /// The mapping at `node` of `file`; null is an empty mapping.
    pub fn of(file: &Path, node: &Node, what: &str) -> Result<Fields, DefError> {
        let entries = match &node.value {
            Value::Null => Vec::new(),
            Value::Map(map) => map
                .iter()
                .map(|(k, v)| (k.clone(), v.clone(), file.to_path_buf()))
                .collect(),
            _ => {
                return Err(error(
                    file,
                    node.at,
                    format!("{what}: expected a mapping, found {}", node.kind()),
                ));
            }
        };
        Ok(Fields {
            entries,
            file: file.to_path_buf(),
            at: node.at,
        })
    }

    /// The top mapping of `doc`.
    pub fn of_document(doc: &Document, what: &str) -> Result<Fields, DefError> {
        Fields::of(&doc.file, &doc.root, what)
    }

    /// Adds `other`'s entries after these: they win.
    pub fn overlay(&mut self, other: Fields) {
        self.entries.extend(other.entries);
    }

    /// The value of `key` and its file (the last entry of that name).
    pub fn get(&self, key: &str) -> Option<(&Node, &Path)> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _, _)| k.name == key)
            .map(|(_, v, f)| (v, f.as_path()))
    }

    /// Error for a missing required key.
    pub fn missing(&self, key: &str, expected: &str) -> DefError {
        error(
            &self.file,
            self.at,
            format!("{key}: required, expected {expected}"),
        )
    }

    /// `key` as a string (a YAML 1.2 string: `true` or `42` must be quoted), if present and
    /// not null.
    pub fn string(&self, key: &str) -> Result<Option<String>, DefError> {
        let Some((node, file)) = self.get(key) else {
            return Ok(None);
        };
        match &node.value {
            Value::Null => Ok(None),
            Value::Str(s) => Ok(Some(s.clone())),
            _ => Err(not_a_string(key, node, file)),
        }
    }

    /// `key` as a string; an error if absent.
    pub fn required_string(&self, key: &str) -> Result<String, DefError> {
        self.string(key)?
            .ok_or_else(|| self.missing(key, "a string"))
    }

    /// `key` as an integer ≥ 0, if present.
    pub fn count(&self, key: &str) -> Result<Option<u64>, DefError> {
        let Some((node, file)) = self.get(key) else {
            return Ok(None);
        };
        match &node.value {
            Value::Null => Ok(None),
            Value::Int(i) if *i >= 0 => Ok(Some(*i as u64)),
            Value::Int(i) => Err(error(
                file,
                node.at,
                format!("{key}: expected an integer of at least 0, found {i}"),
            )),
            Value::Str(s) => Err(error(
                file,
                node.at,
                format!("{key}: expected an integer of at least 0, found the string {s:?}"),
            )),
            _ => Err(error(
                file,
                node.at,
                format!(
                    "{key}: expected an integer of at least 0, found {}",
                    node.kind()
                ),
            )),
        }
    }

    /// `key` as a list of strings (absent or null: empty).
    pub fn strings(&self, key: &str) -> Result<Vec<String>, DefError> {
        let Some((node, file)) = self.get(key) else {
            return Ok(Vec::new());
        };
        let items = match &node.value {
            Value::Null => return Ok(Vec::new()),
            Value::List(items) => items,
            _ => {
                return Err(error(
                    file,
                    node.at,
                    format!("{key}: expected a list of strings, found {}", node.kind()),
                ));
            }
        };
        items
            .iter()
            .map(|item| match &item.value {
                Value::Str(s) => Ok(s.clone()),
                _ => Err(not_a_string(key, item, file)),
            })
            .collect()
    }

    /// `key` as one of `allowed`, if present.
    pub fn choice(&self, key: &str, allowed: &[&str]) -> Result<Option<String>, DefError> {
        let Some(value) = self.string(key)? else {
            return Ok(None);
        };
        if allowed.contains(&value.as_str()) {
            return Ok(Some(value));
        }
        let (node, file) = self.get(key).expect("present: it has a value");
        Err(error(
            file,
            node.at,
            format!(
                "{key}: expected one of {}, found {value:?}",
                allowed.join(", ")
            ),
        ))
    }

    /// Warnings for keys not in `known`.
    pub fn unknown_keys(&self, known: &[&str], what: &str) -> Vec<String> {
        self.entries
            .iter()
            .filter(|(k, _, _)| !known.contains(&k.name.as_str()))
            .map(|(k, _, file)| {
                format!(
                    "{}:{}:{}: {what}: unknown key `{}` ignored (known: {})",
                    file.display(),
                    k.at.0,
                    k.at.1,
                    k.name,
                    known.join(", ")
                )
            })
            .collect()
    }
}

/// The error for a value that YAML 1.2 does not read as a string (spec §1.3): scalars such
/// as `true` or `007` must be quoted.
fn not_a_string(key: &str, node: &Node, file: &Path) -> DefError {
    let hint = match node.value {
        Value::Bool(_) | Value::Int(_) | Value::Float(_) => " (quote it to make it a string)",
        _ => "",
    };
    error(
        file,
        node.at,
        format!("{key}: expected a string, found {}{hint}", node.kind()),
    )
}

/// A definition error at a place.
pub fn error(file: &Path, at: (usize, usize), message: String) -> DefError {
    DefError {
        file: file.to_path_buf(),
        at: Some(at),
        message,
    }
}
