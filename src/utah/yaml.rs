//! UTAH definition files as YAML 1.2 trees with the line and column of every node (saphyr),
//! and the one error type every definition problem is reported with: `file:line:col: what`.

use saphyr::{LoadableYamlNode, MarkedYamlOwned, ScalarOwned, YamlDataOwned};
use std::fmt;
use std::path::{Path, PathBuf};

/// Definition files larger than this are refused (a UTAH control file is a few lines).
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// A definition problem: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line and column, when the problem has a place.
    pub at: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for DefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some((line, col)) => {
                write!(f, "{}:{line}:{col}: {}", self.file.display(), self.message)
            }
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// A YAML value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `~`, `null`, or nothing.
    Null,
    /// `true`/`false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    List(Vec<Node>),
    /// A mapping with string keys, in document order.
    Map(Vec<(Key, Node)>),
}

/// A mapping key and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key's text.
    pub name: String,
    /// 1-based line and column.
    pub at: (usize, usize),
}

/// A node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// 1-based line and column.
    pub at: (usize, usize),
}

impl Node {
    /// What kind of value this is, for messages.
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::List(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// One definition file, read: its path and top node (`Null` for a document with only
/// comments, or an empty file).
#[derive(Debug, Clone)]
pub struct Document {
    /// The file.
    pub file: PathBuf,
    /// Its top node.
    pub root: Node,
}

impl Document {
    /// An error at `at` in this file.
    pub fn error(&self, at: (usize, usize), message: impl Into<String>) -> DefError {
        DefError {
            file: self.file.clone(),
            at: Some(at),
            message: message.into(),
        }
    }
}

/// Reads and parses `path`.
pub fn load(path: &Path) -> Result<Document, DefError> {
    let whole = |message: String| DefError {
        file: path.to_path_buf(),
        at: None,
        message,
    };
    let size = std::fs::metadata(path)
        .map_err(|e| whole(format!("cannot read: {}", crate::sys::io_reason(&e))))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(whole(format!(
            "the file has {size} bytes; a UTAH definition file may have at most {MAX_FILE_BYTES}"
        )));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| whole(format!("cannot read: {}", crate::sys::io_reason(&e))))?;
    parse(path, &bytes)
}

/// Parses `bytes` as the content of `path`.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Document, DefError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        let line = good.iter().filter(|b| **b == b'\n').count() + 1;
        let col = good.len() - good.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1) + 1;
        DefError {
            file: path.to_path_buf(),
            at: Some((line, col)),
            message: "the file is not UTF-8 text (expected YAML)".to_string(),
        }
    })?;
    let docs = MarkedYamlOwned::load_from_str(text).map_err(|e| DefError {
        file: path.to_path_buf(),
        at: Some((e.marker().line(), e.marker().col() + 1)),
        message: format!("YAML syntax error: {}", e.info()),
    })?;
    let mut docs = docs.into_iter();
    let root = match docs.next() {
        Some(doc) => convert(path, doc)?,
        None => Node {
            value: Value::Null,
            at: (1, 1),
        },
    };
    if let Some(extra) = docs.next() {
        return Err(DefError {
            file: path.to_path_buf(),
            at: Some(position(&extra)),
            message: "a second YAML document; a definition file holds one".to_string(),
        });
    }
    Ok(Document {
        file: path.to_path_buf(),
        root,
    })
}

fn position(node: &MarkedYamlOwned) -> (usize, usize) {
    let start = node.span.start;
    (start.line().max(1), start.col() + 1)
}

fn convert(path: &Path, node: MarkedYamlOwned) -> Result<Node, DefError> {
    let at = position(&node);
    let unsupported = |what: &str| DefError {
        file: path.to_path_buf(),
        at: Some(at),
        message: format!("{what} are not supported in UTAH definitions"),
    };
    let value = match node.data {
        YamlDataOwned::Value(scalar) => scalar_value(scalar),
        YamlDataOwned::Representation(text, _, _) => Value::Str(text),
        YamlDataOwned::Sequence(items) => Value::List(
            items
                .into_iter()
                .map(|n| convert(path, n))
                .collect::<Result<_, _>>()?,
        ),
        YamlDataOwned::Mapping(map) => {
            let mut entries: Vec<(Key, Node)> = Vec::with_capacity(map.len());
            for (key, value) in map {
                let key_at = position(&key);
                let name = match convert(path, key)?.value {
                    Value::Str(s) => s,
                    Value::Int(i) => i.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => {
                        return Err(DefError {
                            file: path.to_path_buf(),
                            at: Some(key_at),
                            message: "a mapping key must be a plain word".to_string(),
                        });
                    }
                };
                entries.push((Key { name, at: key_at }, convert(path, value)?));
            }
            Value::Map(entries)
        }
        YamlDataOwned::Tagged(_, inner) => return convert(path, *inner),
        YamlDataOwned::Alias(_) => return Err(unsupported("aliases")),
        YamlDataOwned::BadValue => {
            return Err(DefError {
                file: path.to_path_buf(),
                at: Some(at),
                message: "a value YAML cannot read".to_string(),
            });
        }
    };
    Ok(Node { value, at })
}

fn scalar_value(scalar: ScalarOwned) -> Value {
    match scalar {
        ScalarOwned::Null => Value::Null,
        ScalarOwned::Boolean(b) => Value::Bool(b),
        ScalarOwned::Integer(i) => Value::Int(i),
        ScalarOwned::FloatingPoint(f) => Value::Float(f.into_inner()),
        ScalarOwned::String(s) => Value::Str(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Result<Document, DefError> {
        parse(Path::new("f.yaml"), text.as_bytes())
    }

    #[test]
    fn nodes_carry_their_place() {
        let d = doc("---\nsuites:\n  - name: a\n    n: 3\n").unwrap();
        let Value::Map(top) = &d.root.value else {
            panic!("{d:?}")
        };
        assert_eq!(top[0].0.name, "suites");
        assert_eq!(top[0].0.at, (2, 1));
        let Value::List(items) = &top[0].1.value else {
            panic!()
        };
        let Value::Map(entry) = &items[0].value else {
            panic!()
        };
        assert_eq!(entry[1].0.name, "n");
        assert_eq!(entry[1].1.value, Value::Int(3));
        assert_eq!(entry[1].1.at, (4, 8));
    }

    #[test]
    fn comments_only_is_null_and_yes_stays_a_string() {
        assert_eq!(doc("# nothing\n# here\n").unwrap().root.value, Value::Null);
        assert_eq!(doc("").unwrap().root.value, Value::Null);
        assert_eq!(doc("yes").unwrap().root.value, Value::Str("yes".into()));
    }

    #[test]
    fn syntax_errors_and_bad_bytes_have_a_place() {
        let e = doc("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.at.is_some(), "{e}");
        assert!(e.to_string().starts_with("f.yaml:"), "{e}");
        let e = parse(Path::new("f"), b"a: 1\nb: \xff\n").unwrap_err();
        assert_eq!(e.at, Some((2, 4)));
        assert!(e.message.contains("not UTF-8"));
    }
}
