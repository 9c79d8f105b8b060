//! A fetched suite's definitions (spec §3–§6): `ts_control`, the case list (`tslist.run`
//! with each case's `tc_control` merged with its overrides, or `tslist.auto`), checked as a
//! whole before anything runs.

use super::fields::{Fields, error};
use super::yaml::{DefError, Document, Value, load};
use std::path::{Path, PathBuf};

/// `ts_control` (spec §4).
#[derive(Debug, Clone, Default)]
pub struct TsControl {
    /// `build_cmd`.
    pub build_cmd: Option<String>,
    /// `ts_setup`.
    pub setup: Option<String>,
    /// `ts_cleanup`.
    pub cleanup: Option<String>,
    /// `timeout`: each suite command's limit and the auto cases' (0: none).
    pub timeout: Option<u64>,
}

/// When a case asks for a reboot (spec §8.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reboot {
    /// After every run of the case.
    Always,
    /// When it passed.
    Pass,
    /// Never.
    Never,
}

/// A `tslist.run` case: its `tc_control` with overrides applied (spec §5, §6.1).
#[derive(Debug, Clone)]
pub struct Case {
    /// The case's name (its directory in the suite).
    pub name: String,
    /// `build_cmd`.
    pub build_cmd: Option<String>,
    /// `tc_setup`.
    pub setup: Option<String>,
    /// `command`.
    pub command: String,
    /// `tc_cleanup`.
    pub cleanup: Option<String>,
    /// Seconds each command may run (0: no limit).
    pub timeout: u64,
    /// `run_as`.
    pub run_as: Option<String>,
    /// `reboot`.
    pub reboot: Reboot,
}

/// A `tslist.auto` entry.
#[derive(Debug, Clone)]
pub struct AutoEntry {
    /// `discovery_cmd`.
    pub discovery_cmd: String,
    /// `test_cmd`, `{}` standing for the case name.
    pub test_cmd: String,
    /// Where the entry is, for the discovery's errors.
    pub file: PathBuf,
    /// Its line and column.
    pub at: (usize, usize),
}

/// The cases of a suite.
#[derive(Debug, Clone)]
pub enum Cases {
    /// Listed in `tslist.run`.
    Listed(Vec<Case>),
    /// Discovered by `tslist.auto`.
    Discovered(Vec<AutoEntry>),
}

/// A suite's definitions.
#[derive(Debug, Clone)]
pub struct SuiteDefs {
    /// `ts_control` (all empty when absent).
    pub control: TsControl,
    /// Its cases.
    pub cases: Cases,
    /// Things said but not fatal.
    pub warnings: Vec<String>,
}

const TS_KEYS: &[&str] = &["build_cmd", "timeout", "ts_setup", "ts_cleanup"];
const ITEM_KEYS: &[&str] = &["test", "run_as", "overrides"];
const AUTO_KEYS: &[&str] = &["discovery_cmd", "test_cmd"];
const TC_KEYS: &[&str] = &[
    "description",
    "dependencies",
    "action",
    "actions",
    "expected_results",
    "type",
    "timeout",
    "build_cmd",
    "command",
    "run_as",
    "tc_setup",
    "tc_cleanup",
    "reboot",
];

impl SuiteDefs {
    /// Reads the suite fetched into `dir`; `runlist_timeout` replaces every case's.
    pub fn read(dir: &Path, runlist_timeout: Option<u64>) -> Result<SuiteDefs, DefError> {
        let mut warnings = Vec::new();
        let control = read_ts_control(dir, &mut warnings)?;
        let run = dir.join("tslist.run");
        let auto = dir.join("tslist.auto");
        let cases = if run.is_file() {
            if auto.exists() {
                warnings.push(format!(
                    "{}: both tslist.run and tslist.auto are here; tslist.run is used",
                    dir.display()
                ));
            }
            Cases::Listed(read_listed(
                dir,
                &load(&run)?,
                runlist_timeout,
                &mut warnings,
            )?)
        } else if auto.is_file() {
            Cases::Discovered(read_auto(&load(&auto)?, &mut warnings)?)
        } else {
            return Err(DefError {
                file: dir.to_path_buf(),
                at: None,
                message: "the suite has neither tslist.run nor tslist.auto".to_string(),
            });
        };
        Ok(SuiteDefs {
            control,
            cases,
            warnings,
        })
    }
}

fn read_ts_control(dir: &Path, warnings: &mut Vec<String>) -> Result<TsControl, DefError> {
    let path = dir.join("ts_control");
    if !path.exists() {
        return Ok(TsControl::default());
    }
    let doc = load(&path)?;
    let fields = Fields::of_document(&doc, "ts_control")?;
    warnings.extend(fields.unknown_keys(TS_KEYS, "ts_control"));
    Ok(TsControl {
        build_cmd: optional_command(&fields, "build_cmd")?,
        setup: optional_command(&fields, "ts_setup")?,
        cleanup: optional_command(&fields, "ts_cleanup")?,
        timeout: fields.count("timeout")?,
    })
}

/// The items of a `tslist.*` document: a list (null: empty); a single mapping is a list of one.
fn items<'d>(doc: &'d Document, what: &str) -> Result<Vec<&'d super::yaml::Node>, DefError> {
    match &doc.root.value {
        Value::Null => Ok(Vec::new()),
        Value::List(items) => Ok(items.iter().collect()),
        Value::Map(_) => Ok(vec![&doc.root]),
        _ => Err(doc.error(
            doc.root.at,
            format!("{what}: expected a list, found {}", doc.root.kind()),
        )),
    }
}

fn read_listed(
    dir: &Path,
    doc: &Document,
    runlist_timeout: Option<u64>,
    warnings: &mut Vec<String>,
) -> Result<Vec<Case>, DefError> {
    let mut cases = Vec::new();
    for item in items(doc, "tslist.run")? {
        let fields = Fields::of(&doc.file, item, "tslist.run item")?;
        warnings.extend(fields.unknown_keys(ITEM_KEYS, "tslist.run item"));
        let name = fields.required_string("test")?;
        let (name_node, _) = fields.get("test").expect("read just before");
        let case_dir = dir.join(&name);
        let bad_name = name.is_empty()
            || name
                .split('/')
                .any(|c| c.is_empty() || c == "." || c == "..")
            || name.starts_with('/');
        if bad_name || !case_dir.join("tc_control").is_file() {
            let why = if bad_name {
                "a directory of the suite".to_string()
            } else if case_dir.is_dir() {
                format!("a test directory with a tc_control, and `{name}` has none")
            } else {
                format!("a test directory of the suite, and there is no `{name}`")
            };
            return Err(error(
                &doc.file,
                name_node.at,
                format!("test: expected {why}"),
            ));
        }
        let tc_doc = load(&case_dir.join("tc_control"))?;
        let mut merged = Fields::of_document(&tc_doc, "tc_control")?;
        warnings.extend(merged.unknown_keys(TC_KEYS, "tc_control"));
        if merged.get("actions").is_some() && merged.get("action").is_none() {
            warnings.push(format!(
                "{}: `actions` is read as `action` (the schema's name)",
                tc_doc.file.display()
            ));
        }
        if let Some((overrides, file)) = fields.get("overrides") {
            let file = file.to_path_buf();
            let over = match &overrides.value {
                Value::List(parts) => {
                    let mut all = Fields::of(&file, &null_at(overrides.at), "overrides")?;
                    for part in parts {
                        all.overlay(Fields::of(&file, part, "overrides")?);
                    }
                    all
                }
                _ => Fields::of(&file, overrides, "overrides")?,
            };
            warnings.extend(over.unknown_keys(TC_KEYS, "overrides"));
            merged.overlay(over);
        }
        cases.push(case(&name, &merged, &fields, runlist_timeout)?);
    }
    Ok(cases)
}

fn null_at(at: (usize, usize)) -> super::yaml::Node {
    super::yaml::Node {
        value: Value::Null,
        at,
    }
}

/// Checks the merged `tc_control` against the schema (spec §5.1).
fn case(
    name: &str,
    tc: &Fields,
    item: &Fields,
    runlist_timeout: Option<u64>,
) -> Result<Case, DefError> {
    tc.required_string("description")?;
    // `dependencies` is a string; the seed's list of items is taken too.
    match tc.get("dependencies").map(|(n, _)| &n.value) {
        None | Some(Value::Null) => return Err(tc.missing("dependencies", "a string")),
        Some(Value::List(_)) => {
            tc.strings("dependencies")?;
        }
        Some(_) => {
            tc.required_string("dependencies")?;
        }
    }
    if tc.string("action")?.is_none() && tc.string("actions")?.is_none() {
        return Err(tc.missing("action", "a string"));
    }
    tc.required_string("expected_results")?;
    tc.choice("type", &["userland"])?;
    let timeout = tc
        .count("timeout")?
        .ok_or_else(|| tc.missing("timeout", "an integer of at least 0"))?;
    let command = tc.required_string("command")?;
    let reboot = match tc
        .choice("reboot", &["always", "pass", "never"])?
        .as_deref()
    {
        Some("always") => Reboot::Always,
        Some("pass") => Reboot::Pass,
        _ => Reboot::Never,
    };
    Ok(Case {
        name: name.to_string(),
        build_cmd: optional_command(tc, "build_cmd")?,
        setup: optional_command(tc, "tc_setup")?,
        command,
        cleanup: optional_command(tc, "tc_cleanup")?,
        timeout: runlist_timeout.unwrap_or(timeout),
        run_as: item.string("run_as")?.or(tc.string("run_as")?),
        reboot,
    })
}

/// An optional command: an empty or blank one is none (there is nothing to run).
fn optional_command(fields: &Fields, key: &str) -> Result<Option<String>, DefError> {
    Ok(fields.string(key)?.filter(|c| !c.trim().is_empty()))
}

fn read_auto(doc: &Document, warnings: &mut Vec<String>) -> Result<Vec<AutoEntry>, DefError> {
    let mut entries = Vec::new();
    for item in items(doc, "tslist.auto")? {
        let fields = Fields::of(&doc.file, item, "tslist.auto entry")?;
        warnings.extend(fields.unknown_keys(AUTO_KEYS, "tslist.auto entry"));
        entries.push(AutoEntry {
            discovery_cmd: fields.required_string("discovery_cmd")?,
            test_cmd: fields.required_string("test_cmd")?,
            file: doc.file.clone(),
            at: item.at,
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TC: &str = "description: d\ndependencies: none\naction: a\nexpected_results: e\ntimeout: 30\ncommand: /bin/true\n";

    fn suite(files: &[(&str, &str)]) -> (tempfile::TempDir, Result<SuiteDefs, DefError>) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let read = SuiteDefs::read(dir.path(), None);
        (dir, read)
    }

    #[test]
    fn overrides_replace_tc_control_keys_as_a_mapping_or_a_list() {
        let (_d, read) = suite(&[
            (
                "tslist.run",
                "- test: a\n  overrides:\n    timeout: 200\n- test: a\n  run_as: nobody\n  overrides:\n    - timeout: 5\n    - command: /bin/false\n",
            ),
            ("a/tc_control", TC),
        ]);
        let Cases::Listed(cases) = read.unwrap().cases else {
            panic!()
        };
        assert_eq!(cases[0].timeout, 200);
        assert_eq!(cases[0].command, "/bin/true");
        assert_eq!(
            (cases[1].timeout, cases[1].command.as_str()),
            (5, "/bin/false")
        );
        assert_eq!(cases[1].run_as.as_deref(), Some("nobody"));
    }

    #[test]
    fn schema_errors_point_into_the_file_that_has_the_value() {
        let (_d, read) = suite(&[
            (
                "tslist.run",
                "- test: a\n  overrides:\n    reboot: sometimes\n",
            ),
            ("a/tc_control", TC),
        ]);
        let e = read.unwrap_err();
        assert!(e.file.ends_with("tslist.run"), "{e}");
        assert_eq!(e.at, Some((3, 13)));
        assert!(
            e.message
                .starts_with("reboot: expected one of always, pass, never")
        );
        let (_d, read) = suite(&[
            ("tslist.run", "- test: a\n"),
            (
                "a/tc_control",
                &TC.replace("timeout: 30\n", "type: kernel\n"),
            ),
        ]);
        let e = read.unwrap_err();
        assert!(e.file.ends_with("tc_control"), "{e}");
        assert!(e.message.contains("type: expected one of userland"), "{e}");
    }

    #[test]
    fn a_missing_test_directory_is_named_where_it_is_listed() {
        let (_d, read) = suite(&[
            ("tslist.run", "- test: a\n- test: nope\n"),
            ("a/tc_control", TC),
        ]);
        let e = read.unwrap_err();
        assert_eq!(e.at, Some((2, 9)));
        assert!(e.message.contains("there is no `nope`"), "{e}");
    }

    #[test]
    fn a_comment_only_ts_control_is_empty_and_auto_reads_a_single_mapping() {
        let (_d, read) = suite(&[
            ("ts_control", "# nothing\n"),
            ("tslist.auto", "discovery_cmd: seq 3\ntest_cmd: echo {}\n"),
        ]);
        let defs = read.unwrap();
        assert!(defs.control.setup.is_none());
        let Cases::Discovered(entries) = defs.cases else {
            panic!()
        };
        assert_eq!(entries[0].test_cmd, "echo {}");
    }
}
