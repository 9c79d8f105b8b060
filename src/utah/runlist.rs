//! The runlist (`master.run`, spec §2): its suites with how to fetch them, which of their
//! cases to run, how often to run it all, and an optional timeout over every case.

use super::fields::{Fields, error};
use super::yaml::{DefError, Value, load};
use std::path::{Path, PathBuf};

/// How a suite is obtained (spec §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchMethod {
    /// `cp -r`.
    Dev,
    /// `git clone`.
    Git,
    /// `bzr branch` (Breezy's `brz`, or `bzr`).
    Bzr,
    /// `bzr export`.
    BzrExport,
}

impl FetchMethod {
    /// The runlist's words for the methods.
    pub const WORDS: &'static [&'static str] = &["dev", "git", "bzr", "bzr-export"];

    fn parse(word: &str) -> Option<FetchMethod> {
        Some(match word {
            "dev" => FetchMethod::Dev,
            "git" => FetchMethod::Git,
            "bzr" => FetchMethod::Bzr,
            "bzr-export" => FetchMethod::BzrExport,
            _ => return None,
        })
    }
}

/// A suite entry.
#[derive(Debug, Clone)]
pub struct SuiteEntry {
    /// The suite's name: its directory in the work area, and `testsuite` in the report.
    pub name: String,
    /// How to fetch it.
    pub method: FetchMethod,
    /// From where, as written.
    pub location: String,
    /// `include_tests` (empty: all).
    pub include: Vec<String>,
    /// `exclude_tests`.
    pub exclude: Vec<String>,
}

/// A runlist, read and checked.
#[derive(Debug, Clone)]
pub struct Runlist {
    /// The file.
    pub file: PathBuf,
    /// `repeat_count`: the run happens this many times more.
    pub repeat_count: u64,
    /// `timeout`: replaces every case's timeout.
    pub timeout: Option<u64>,
    /// The suites, in order.
    pub suites: Vec<SuiteEntry>,
    /// Unknown keys and other things said but not fatal.
    pub warnings: Vec<String>,
}

const TOP_KEYS: &[&str] = &["testsuites", "repeat_count", "timeout"];
const SUITE_KEYS: &[&str] = &[
    "name",
    "fetch_method",
    "fetch_location",
    "include_tests",
    "exclude_tests",
];

impl Runlist {
    /// Reads the runlist at `path`.
    pub fn read(path: &Path) -> Result<Runlist, DefError> {
        let doc = load(path)?;
        // The seed draws the runlist as a one-item list holding the mapping.
        let root = match &doc.root.value {
            Value::List(items) if items.len() == 1 => &items[0],
            _ => &doc.root,
        };
        let top = Fields::of(&doc.file, root, "runlist")?;
        let mut warnings = top.unknown_keys(TOP_KEYS, "runlist");
        let Some((suites_node, _)) = top.get("testsuites") else {
            return Err(top.missing("testsuites", "a list of suites"));
        };
        let Value::List(items) = &suites_node.value else {
            return Err(error(
                &doc.file,
                suites_node.at,
                format!(
                    "testsuites: expected a list of suites, found {}",
                    suites_node.kind()
                ),
            ));
        };
        if items.is_empty() {
            return Err(error(
                &doc.file,
                suites_node.at,
                "testsuites: expected at least one suite, found an empty list".to_string(),
            ));
        }
        let mut suites = Vec::with_capacity(items.len());
        for item in items {
            let fields = Fields::of(&doc.file, item, "testsuites entry")?;
            warnings.extend(fields.unknown_keys(SUITE_KEYS, "testsuites entry"));
            let name = fields.required_string("name")?;
            check_name(&doc.file, &fields, &name)?;
            if suites.iter().any(|s: &SuiteEntry| s.name == name) {
                let (node, _) = fields.get("name").expect("read just before");
                return Err(error(
                    &doc.file,
                    node.at,
                    format!(
                        "name: expected a name not used by another suite (each is a directory of the run), found {name:?} again"
                    ),
                ));
            }
            let method = fields
                .choice("fetch_method", FetchMethod::WORDS)?
                .ok_or_else(|| {
                    fields.missing("fetch_method", "one of dev, git, bzr, bzr-export")
                })?;
            let location = fields.required_string("fetch_location")?;
            suites.push(SuiteEntry {
                name,
                method: FetchMethod::parse(&method).expect("checked by choice"),
                location,
                include: fields.strings("include_tests")?,
                exclude: fields.strings("exclude_tests")?,
            });
        }
        Ok(Runlist {
            file: path.to_path_buf(),
            repeat_count: top.count("repeat_count")?.unwrap_or(0),
            timeout: top.count("timeout")?,
            suites,
            warnings,
        })
    }

    /// The directory relative locations are taken from.
    pub fn dir(&self) -> PathBuf {
        match self.file.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }
}

/// A suite name becomes a directory and a test name: one plain path component.
fn check_name(file: &Path, fields: &Fields, name: &str) -> Result<(), DefError> {
    if crate::model::check_component(name).is_ok() && name != "." && name != ".." {
        return Ok(());
    }
    let (node, _) = fields.get("name").expect("read just before");
    Err(error(
        file,
        node.at,
        format!("name: expected a directory name (letters, digits, `_`, `-`, `.`), found {name:?}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Runlist, DefError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.run");
        std::fs::write(&path, text).unwrap();
        Runlist::read(&path).map_err(|mut e| {
            e.file = PathBuf::from("master.run");
            e
        })
    }

    #[test]
    fn both_shapes_are_read() {
        let map =
            read("testsuites:\n  - name: a\n    fetch_method: dev\n    fetch_location: ./a\n")
                .unwrap();
        assert_eq!(map.suites[0].name, "a");
        let list = read(
            "- testsuites:\n    - name: a\n      fetch_method: git\n      fetch_location: x\n",
        )
        .unwrap();
        assert_eq!(list.suites[0].method, FetchMethod::Git);
    }

    #[test]
    fn errors_name_the_place_and_the_field() {
        let e = read("testsuites:\n  - name: a\n    fetch_method: svn\n    fetch_location: x\n")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "master.run:3:19: fetch_method: expected one of dev, git, bzr, bzr-export, found \"svn\""
        );
        let e = read("testsuites:\n  - name: a\n    fetch_method: dev\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "master.run:2:5: fetch_location: required, expected a string"
        );
        let e = read("repeat_count: -1\ntestsuites: []\n").unwrap_err();
        assert!(e.to_string().contains("repeat_count") || e.to_string().contains("testsuites"));
    }
}
