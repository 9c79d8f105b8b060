//! The UTAH results report (spec §10): one entry per command run, the counters of §7.3 and
//! the system's description, written as YAML (sorted keys, block style), JSON or text, and
//! read back so that `-a`/`--append` and a resume merge into one document.

use super::yaml::{Node, Value};
use saphyr::{Mapping, Scalar, Yaml, YamlEmitter};
use std::borrow::Cow;
use std::path::Path;

/// The kind of a command (spec §10.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmdType {
    /// A failed fetch.
    SuiteFetch,
    /// `ts_control` `build_cmd`.
    SuiteBuild,
    /// `ts_setup`.
    SuiteSetup,
    /// A failed `discovery_cmd`.
    SuiteDiscovery,
    /// `ts_cleanup`.
    SuiteCleanup,
    /// `tc_control` `build_cmd`.
    CaseBuild,
    /// `tc_setup`.
    CaseSetup,
    /// `command` / `test_cmd`.
    CaseTest,
    /// `tc_cleanup`.
    CaseCleanup,
}

impl CmdType {
    const ALL: [CmdType; 9] = [
        CmdType::SuiteFetch,
        CmdType::SuiteBuild,
        CmdType::SuiteSetup,
        CmdType::SuiteDiscovery,
        CmdType::SuiteCleanup,
        CmdType::CaseBuild,
        CmdType::CaseSetup,
        CmdType::CaseTest,
        CmdType::CaseCleanup,
    ];

    /// The report's word.
    pub fn as_str(self) -> &'static str {
        match self {
            CmdType::SuiteFetch => "testsuite_fetch",
            CmdType::SuiteBuild => "testsuite_build",
            CmdType::SuiteSetup => "testsuite_setup",
            CmdType::SuiteDiscovery => "testsuite_discovery",
            CmdType::SuiteCleanup => "testsuite_cleanup",
            CmdType::CaseBuild => "testcase_build",
            CmdType::CaseSetup => "testcase_setup",
            CmdType::CaseTest => "testcase_test",
            CmdType::CaseCleanup => "testcase_cleanup",
        }
    }

    fn parse(word: &str) -> Option<CmdType> {
        CmdType::ALL.into_iter().find(|t| t.as_str() == word)
    }

    /// The step name a Megatest record gives it: the word after `testsuite_`/`testcase_`,
    /// suite steps with `ts_` before it.
    pub fn step_name(self) -> &'static str {
        match self {
            CmdType::SuiteFetch => "ts_fetch",
            CmdType::SuiteBuild => "ts_build",
            CmdType::SuiteSetup => "ts_setup",
            CmdType::SuiteDiscovery => "ts_discovery",
            CmdType::SuiteCleanup => "ts_cleanup",
            CmdType::CaseBuild => "build",
            CmdType::CaseSetup => "setup",
            CmdType::CaseTest => "test",
            CmdType::CaseCleanup => "cleanup",
        }
    }
}

/// One command's entry (spec §10.2).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Its kind.
    pub cmd_type: CmdType,
    /// The command line as run.
    pub command: String,
    /// Exit status; negative: the signal that ended it.
    pub returncode: i64,
    /// `YYYY-MM-DD HH:MM:SS`.
    pub start_time: String,
    /// `H:MM:SS.ffffff`.
    pub time_delta: String,
    /// Captured standard output.
    pub stdout: String,
    /// Captured standard error.
    pub stderr: String,
    /// The suite.
    pub testsuite: String,
    /// The case (none for suite commands).
    pub testcase: Option<String>,
    /// Who ran it.
    pub user: String,
}

/// The counters of spec §7.3.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Test commands that exited 0.
    pub passes: u64,
    /// Test commands that did not.
    pub failures: u64,
    /// Other commands that failed.
    pub errors: u64,
    /// Failed fetches.
    pub fetch_errors: u64,
}

impl Counters {
    /// Counts `entries`.
    pub fn of(entries: &[Entry]) -> Counters {
        let mut c = Counters::default();
        for e in entries {
            match (e.cmd_type, e.returncode == 0) {
                (CmdType::CaseTest, true) => c.passes += 1,
                (CmdType::CaseTest, false) => c.failures += 1,
                (CmdType::SuiteFetch, false) => c.fetch_errors += 1,
                (_, false) => c.errors += 1,
                (_, true) => {}
            }
        }
        c
    }

    /// The run's result (spec §7.4).
    pub fn result(&self) -> RunResult {
        if self.errors + self.fetch_errors > 0 {
            RunResult::Error
        } else if self.failures > 0 {
            RunResult::Fail
        } else {
            RunResult::Pass
        }
    }
}

/// A UTAH run's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunResult {
    /// Every test passed, nothing erred.
    Pass,
    /// A test failed, nothing erred.
    Fail,
    /// A command other than a test failed, or a fetch.
    Error,
}

impl RunResult {
    /// UTAH's word (also the Megatest run's status).
    pub fn as_str(self) -> &'static str {
        match self {
            RunResult::Pass => crate::model::Status::Pass.as_str(),
            RunResult::Fail => crate::model::Status::Fail.as_str(),
            RunResult::Error => "ERROR",
        }
    }
}

/// The whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The runlist as given.
    pub runlist: String,
    /// The run's name.
    pub name: String,
    /// When the run started, `YYYY-MM-DD HH:MM:SS`.
    pub ran_at: String,
    /// The commands, in order.
    pub commands: Vec<Entry>,
    /// `uname` of this system, split.
    pub uname: Vec<String>,
    /// `/var/log/installer/media-info`, or `n/a`.
    pub media_info: String,
    /// `install_type`, or `n/a`.
    pub install_type: String,
    /// The architecture.
    pub arch: String,
    /// The release codename, or `n/a`.
    pub release: String,
    /// The image build, or `n/a`.
    pub build_number: String,
}

/// The report formats (`-f`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML, the default.
    Yaml,
    /// The same object as JSON.
    Json,
    /// A line per command and a counters line.
    Text,
}

impl Format {
    /// `yaml`, `json` or `text`.
    pub fn parse(word: &str) -> Option<Format> {
        Some(match word {
            "yaml" => Format::Yaml,
            "json" => Format::Json,
            "text" => Format::Text,
            _ => return None,
        })
    }
}

impl Report {
    /// The counters of its commands.
    pub fn counters(&self) -> Counters {
        Counters::of(&self.commands)
    }

    /// The report in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Yaml => {
                let mut out = String::new();
                let mut emitter = YamlEmitter::new(&mut out);
                emitter.multiline(true);
                emitter
                    .dump(&self.to_yaml())
                    .expect("writing to a String cannot fail");
                out.push('\n');
                out
            }
            Format::Json => {
                let mut text = serde_json::to_string_pretty(&self.to_json()).expect("plain values");
                text.push('\n');
                text
            }
            Format::Text => self.to_text(),
        }
    }

    fn to_text(&self) -> String {
        let mut out = String::new();
        for e in &self.commands {
            out.push_str(&format!(
                "{:<19} {}/{} {} {}\n",
                e.cmd_type.as_str(),
                e.testsuite,
                e.testcase.as_deref().unwrap_or("-"),
                e.returncode,
                e.command.replace('\n', "\\n")
            ));
        }
        let c = self.counters();
        out.push_str(&format!(
            "passes: {} failures: {} errors: {} fetch_errors: {} result: {}\n",
            c.passes,
            c.failures,
            c.errors,
            c.fetch_errors,
            c.result().as_str()
        ));
        out
    }

    /// Fields in sorted order, as UTAH's writers dumped them.
    fn fields(&self) -> Vec<(&'static str, Field<'_>)> {
        let c = self.counters();
        vec![
            ("arch", Field::Str(&self.arch)),
            ("build_number", Field::Str(&self.build_number)),
            ("commands", Field::Commands(&self.commands)),
            ("errors", Field::Int(c.errors as i64)),
            ("failures", Field::Int(c.failures as i64)),
            ("fetch_errors", Field::Int(c.fetch_errors as i64)),
            ("install_type", Field::Str(&self.install_type)),
            ("media-info", Field::Str(&self.media_info)),
            ("name", Field::Str(&self.name)),
            ("passes", Field::Int(c.passes as i64)),
            ("ran_at", Field::Str(&self.ran_at)),
            ("release", Field::Str(&self.release)),
            ("runlist", Field::Str(&self.runlist)),
            ("uname", Field::List(&self.uname)),
        ]
    }

    fn to_yaml(&self) -> Yaml<'static> {
        let mut map = Mapping::new();
        for (key, field) in self.fields() {
            let value = match field {
                Field::Str(s) => string(s),
                Field::Int(i) => Yaml::Value(Scalar::Integer(i)),
                Field::List(items) => Yaml::Sequence(items.iter().map(|s| string(s)).collect()),
                Field::Commands(entries) => {
                    Yaml::Sequence(entries.iter().map(entry_yaml).collect())
                }
            };
            map.insert(string(key), value);
        }
        Yaml::Mapping(map)
    }

    fn to_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for (key, field) in self.fields() {
            let value = match field {
                Field::Str(s) => s.into(),
                Field::Int(i) => i.into(),
                Field::List(items) => items.clone().into(),
                Field::Commands(entries) => entries.iter().map(entry_json).collect(),
            };
            map.insert(key.to_string(), value);
        }
        serde_json::Value::Object(map)
    }

    /// Reads a report written before (YAML or JSON: JSON is YAML), for appending to it.
    pub fn read(path: &Path) -> Result<Report, String> {
        let doc = super::yaml::load(path).map_err(|e| e.to_string())?;
        Report::from_document(path, doc)
    }

    /// A report from its text; `path` names it in messages.
    pub fn parse(path: &Path, text: &[u8]) -> Result<Report, String> {
        let doc = super::yaml::parse(path, text).map_err(|e| e.to_string())?;
        Report::from_document(path, doc)
    }

    fn from_document(path: &Path, doc: super::yaml::Document) -> Result<Report, String> {
        let get = |key: &str| -> Option<&Node> {
            match &doc.root.value {
                Value::Map(m) => m.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
                _ => None,
            }
        };
        let text = |key: &str| -> String {
            match get(key).map(|n| &n.value) {
                Some(Value::Str(s)) => s.clone(),
                Some(Value::Int(i)) => i.to_string(),
                _ => "n/a".to_string(),
            }
        };
        let Some(Value::List(items)) = get("commands").map(|n| &n.value) else {
            return Err(format!(
                "{}: not a UTAH report (no `commands` list)",
                path.display()
            ));
        };
        let mut commands = Vec::new();
        for item in items {
            commands.push(entry_from(item).ok_or_else(|| {
                format!(
                    "{}:{}:{}: not a UTAH report entry",
                    path.display(),
                    item.at.0,
                    item.at.1
                )
            })?);
        }
        let uname = match get("uname").map(|n| &n.value) {
            Some(Value::List(items)) => items
                .iter()
                .filter_map(|n| match &n.value {
                    Value::Str(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        Ok(Report {
            runlist: text("runlist"),
            name: text("name"),
            ran_at: text("ran_at"),
            commands,
            uname,
            media_info: text("media-info"),
            install_type: text("install_type"),
            arch: text("arch"),
            release: text("release"),
            build_number: text("build_number"),
        })
    }
}

enum Field<'a> {
    Str(&'a str),
    Int(i64),
    List(&'a Vec<String>),
    Commands(&'a Vec<Entry>),
}

fn string(s: &str) -> Yaml<'static> {
    Yaml::Value(Scalar::String(Cow::Owned(s.to_string())))
}

/// An entry's fields in sorted order.
fn entry_fields(e: &Entry) -> [(&'static str, Option<EntryField<'_>>); 10] {
    [
        ("cmd_type", Some(EntryField::Str(e.cmd_type.as_str()))),
        ("command", Some(EntryField::Str(&e.command))),
        ("returncode", Some(EntryField::Int(e.returncode))),
        ("start_time", Some(EntryField::Str(&e.start_time))),
        ("stderr", Some(EntryField::Str(&e.stderr))),
        ("stdout", Some(EntryField::Str(&e.stdout))),
        ("testcase", e.testcase.as_deref().map(EntryField::Str)),
        ("testsuite", Some(EntryField::Str(&e.testsuite))),
        ("time_delta", Some(EntryField::Str(&e.time_delta))),
        ("user", Some(EntryField::Str(&e.user))),
    ]
}

enum EntryField<'a> {
    Str(&'a str),
    Int(i64),
}

fn entry_yaml(e: &Entry) -> Yaml<'static> {
    let mut map = Mapping::new();
    for (key, value) in entry_fields(e) {
        let value = match value {
            Some(EntryField::Str(s)) => string(s),
            Some(EntryField::Int(i)) => Yaml::Value(Scalar::Integer(i)),
            None => Yaml::Value(Scalar::Null),
        };
        map.insert(string(key), value);
    }
    Yaml::Mapping(map)
}

fn entry_json(e: &Entry) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (key, value) in entry_fields(e) {
        let value = match value {
            Some(EntryField::Str(s)) => s.into(),
            Some(EntryField::Int(i)) => i.into(),
            None => serde_json::Value::Null,
        };
        map.insert(key.to_string(), value);
    }
    serde_json::Value::Object(map)
}

fn entry_from(node: &Node) -> Option<Entry> {
    let Value::Map(map) = &node.value else {
        return None;
    };
    let get = |key: &str| {
        map.iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| &v.value)
    };
    let text = |key: &str| match get(key) {
        Some(Value::Str(s)) => Some(s.clone()),
        Some(Value::Null) | None => Some(String::new()),
        Some(Value::Int(i)) => Some(i.to_string()),
        _ => None,
    };
    Some(Entry {
        cmd_type: CmdType::parse(&text("cmd_type")?)?,
        command: text("command")?,
        returncode: match get("returncode")? {
            Value::Int(i) => *i,
            _ => return None,
        },
        start_time: text("start_time")?,
        time_delta: text("time_delta")?,
        stdout: text("stdout")?,
        stderr: text("stderr")?,
        testsuite: text("testsuite")?,
        testcase: match get("testcase") {
            Some(Value::Str(s)) => Some(s.clone()),
            _ => None,
        },
        user: text("user")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(cmd_type: CmdType, testcase: Option<&str>, returncode: i64) -> Entry {
        Entry {
            cmd_type,
            command: "echo \"hi\"; exit 2".into(),
            returncode,
            start_time: "2026-12-05 10:00:00".into(),
            time_delta: "0:00:00.004132".into(),
            stdout: "line one\nline two\n".into(),
            stderr: String::new(),
            testsuite: "s".into(),
            testcase: testcase.map(str::to_string),
            user: "root".into(),
        }
    }

    fn report() -> Report {
        Report {
            runlist: "m.run".into(),
            name: "n".into(),
            ran_at: "2026-12-05 10:00:00".into(),
            commands: vec![
                entry(CmdType::SuiteSetup, None, 0),
                entry(CmdType::CaseTest, Some("a"), 0),
                entry(CmdType::CaseTest, Some("007"), 1),
                entry(CmdType::CaseCleanup, Some("a"), 2),
                entry(CmdType::SuiteFetch, None, 128),
            ],
            uname: vec!["Linux".into(), "#1 SMP".into()],
            media_info: "n/a".into(),
            install_type: "n/a".into(),
            arch: "x86_64".into(),
            release: "n/a".into(),
            build_number: "n/a".into(),
        }
    }

    #[test]
    fn counters_follow_the_counting_rule() {
        let c = report().counters();
        assert_eq!(
            c,
            Counters {
                passes: 1,
                failures: 1,
                errors: 1,
                fetch_errors: 1
            }
        );
        assert_eq!(c.result(), RunResult::Error);
    }

    #[test]
    fn yaml_and_json_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        for format in [Format::Yaml, Format::Json] {
            let path = dir.path().join("r");
            let text = report().render(format);
            std::fs::write(&path, &text).unwrap();
            assert_eq!(Report::read(&path).unwrap(), report(), "{text}");
        }
        let yaml = report().render(Format::Yaml);
        assert!(yaml.contains("\nerrors: 1\n"), "{yaml}");
        assert!(
            yaml.contains("testcase: ~") || yaml.contains("testcase: null"),
            "{yaml}"
        );
    }
}
