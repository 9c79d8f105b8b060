//! The `-list-runs` listing (spec §15.6): which fields show, and the runs with their tests as
//! Megatest's text, JSON or S-expressions.

use super::config_dump::scheme_string;
use crate::db::{Field, FieldRef, RUN_FIELDS, RunRecord, Store, TEST_FIELDS, TestRecord};
use crate::error::{Error, Result};
use crate::model::{State, Status, TestId};
use std::fmt::Write;

/// `-fields runs:F1,F2+tests:F3+steps`.
pub(crate) struct FieldSpec {
    /// The run fields shown.
    pub(crate) runs: Vec<String>,
    /// The test fields shown, if tests are.
    pub(crate) tests: Option<Vec<String>>,
    /// Whether the run fields are the default ones, whose text shows the pass and fail
    /// counts as `#f`: Megatest 1.65 lists them without reading them (spec §15.6).
    pub(crate) unread_counts: bool,
}

impl FieldSpec {
    /// The fields `-fields` names (all, when absent) for an area with these keys.
    pub(crate) fn parse(spec: Option<&str>, keys: &[String]) -> Result<FieldSpec> {
        let Some(spec) = spec else {
            // The keys, then the run fields up to the counts (not contour, last_update).
            let mut runs: Vec<String> = keys.to_vec();
            runs.extend(RUN_FIELDS[..9].iter().map(|f| f.to_string()));
            return Ok(FieldSpec {
                runs,
                tests: Some(TEST_FIELDS.map(String::from).to_vec()),
                unread_counts: true,
            });
        };
        let mut runs = Vec::new();
        let mut tests = None;
        for part in spec.split('+') {
            let (table, fields) = match part.split_once(':') {
                Some((t, f)) => (
                    t,
                    f.split(',')
                        .map(str::to_string)
                        .filter(|f| !f.is_empty())
                        .collect(),
                ),
                None => (part, Vec::new()),
            };
            match table {
                "runs" => runs = fields,
                "tests" => tests = Some(fields),
                "steps" => {}
                other => {
                    return Err(Error::usage(format!(
                        "-fields: unknown table `{other}` (use runs, tests, steps)"
                    )));
                }
            }
        }
        let bad_runs: Vec<&String> = runs
            .iter()
            .filter(|f| *f != "target" && !keys.contains(f) && !RUN_FIELDS.contains(&f.as_str()))
            .collect();
        if !bad_runs.is_empty() {
            return Err(
                Error::usage(format!("-fields: invalid run fields: {}", join(&bad_runs))).note(
                    format!(
                        "run fields: target, {}, {}",
                        keys.join(", "),
                        RUN_FIELDS.join(", ")
                    ),
                ),
            );
        }
        if let Some(t) = &tests {
            let bad: Vec<&String> = t
                .iter()
                .filter(|f| !TEST_FIELDS.contains(&f.as_str()))
                .collect();
            if !bad.is_empty() {
                return Err(
                    Error::usage(format!("-fields: invalid test fields: {}", join(&bad)))
                        .note(format!("test fields: {}", TEST_FIELDS.join(", "))),
                );
            }
        }
        if runs.is_empty() {
            runs.push("id".into());
        }
        let tests = tests.map(|t| {
            if t.is_empty() {
                TEST_FIELDS.map(String::from).to_vec()
            } else {
                t
            }
        });
        Ok(FieldSpec {
            runs,
            tests,
            unread_counts: false,
        })
    }
}

fn join(items: &[&String]) -> String {
    items
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The listing's format (`-dumpmode`).
pub(crate) enum ListingMode {
    /// Megatest's text listing.
    Text,
    /// JSON.
    Json,
    /// S-expressions.
    Sexp,
    /// JUnit XML (see junit.rs).
    Junit,
    /// An OpenDocument spreadsheet (see spreadsheet.rs).
    Ods,
}

/// The order of two field values (numbers as numbers, the rest as text), for `-sort`.
pub(crate) fn compare(a: Option<&Field>, b: Option<&Field>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(Field::Int(x)), Some(Field::Int(y))) => x.cmp(y),
        (Some(Field::Real(x)), Some(Field::Real(y))) => x.total_cmp(y),
        (Some(x), Some(y)) => x.to_string().cmp(&y.to_string()),
        _ => std::cmp::Ordering::Equal,
    }
}

fn run_value(run: &RunRecord, keys: &[String], field: &str) -> Field {
    run.field(keys, field).unwrap_or(Field::Null)
}

const SPACES: &str = "                                                  ";

/// Appends `text` padded with spaces to `width` (left-aligned, or right-aligned).
fn push_padded(out: &mut String, text: &str, width: usize, right: bool) {
    let shown = if text.is_ascii() {
        text.len()
    } else {
        text.chars().count()
    };
    let fill = width.saturating_sub(shown);
    if right {
        out.push_str(&SPACES[..fill.min(SPACES.len())]);
    }
    out.push_str(text);
    if !right {
        out.push_str(&SPACES[..fill.min(SPACES.len())]);
    }
}

/// Test field indexes, for the text listing.
const ID: usize = 0;
const TESTNAME: usize = 2;
const STATE: usize = 3;
const STATUS: usize = 4;
const EVENT_TIME: usize = 5;
const HOST: usize = 6;
const ITEM_PATH: usize = 11;
const RUN_DURATION: usize = 12;
const CPULOAD: usize = 7;
const DISKFREE: usize = 8;
const UNAME: usize = 9;
const RUNDIR: usize = 10;

/// The line of one run.
pub(crate) fn run_line(out: &mut String, keys: &[String], spec: &FieldSpec, run: &RunRecord) {
    if !spec.runs.iter().any(|f| f == "target") {
        let _ = write!(out, "Run: {}/{} ", run.target(), run.runname());
    }
    for field in &spec.runs {
        if spec.unread_counts && (field == "fail_count" || field == "pass_count") {
            let _ = write!(out, "{field}: #f ");
            continue;
        }
        let _ = write!(out, "{field}: {} ", run_value(run, keys, field));
    }
    out.push('\n');
}

/// Tests listed without their details and steps: passed, warned, or not started.
const QUIET_STATUSES: &[Status] = &[Status::Pass, Status::Warn];
const QUIET_STATES: &[State] = &[State::NotStarted];

/// The lines of one test: its summary, and for tests that did not pass, its details and steps.
/// `value` and `name` are scratch buffers kept across tests.
pub(crate) fn test_lines<'a>(
    out: &mut String,
    store: &Store,
    selected: &[bool],
    at: &dyn Fn(usize) -> FieldRef<'a>,
    value: &mut String,
    name: &mut String,
) -> Result<()> {
    let text_of = |i: usize, buf: &mut String| -> bool {
        buf.clear();
        if selected[i] {
            at(i).push_to(buf);
        }
        selected[i]
    };
    out.push_str("  Test: ");
    name.clear();
    if text_of(TESTNAME, value) {
        name.push_str(value);
    }
    if text_of(ITEM_PATH, value) && !value.is_empty() {
        name.push('(');
        name.push_str(value);
        name.push(')');
    }
    if selected[STATE] && selected[STATUS] && selected[EVENT_TIME] {
        push_padded(out, name, 25, false);
        out.push_str(" State: ");
        text_of(STATE, value);
        push_padded(out, value, 15, false);
        out.push_str(" Status: ");
        text_of(STATUS, value);
        push_padded(out, value, 15, false);
        out.push_str(" Runtime: ");
        if !text_of(RUN_DURATION, value) {
            value.push_str("#f");
        }
        push_padded(out, value, 5, true);
        out.push_str("s Time: ");
        text_of(EVENT_TIME, value);
        push_padded(out, value, 22, false);
        out.push_str(" Host: ");
        if !text_of(HOST, value) {
            value.push_str("#f");
        }
        push_padded(out, value, 10, false);
    } else {
        out.push_str(name);
        for (label, i) in [
            (" State: ", STATE),
            (" Status: ", STATUS),
            (" Runtime: ", RUN_DURATION),
            (" Time: ", EVENT_TIME),
            (" Host: ", HOST),
        ] {
            if text_of(i, value) {
                out.push_str(label);
                out.push_str(value);
            }
        }
    }
    out.push('\n');
    let status = at(STATUS).text().unwrap_or("");
    let quiet = Status::text_is_one_of(status, QUIET_STATUSES)
        || at(STATE)
            .text()
            .is_some_and(|s| State::text_is_one_of(s, QUIET_STATES));
    if !quiet {
        let mut first = true;
        for (label, i) in [
            ("cpuload:  ", CPULOAD),
            ("diskfree: ", DISKFREE),
            ("uname:    ", UNAME),
            ("rundir:   ", RUNDIR),
        ] {
            if text_of(i, value) {
                if !first {
                    out.push('\n');
                }
                first = false;
                out.push_str("         ");
                out.push_str(label);
                out.push_str(value);
            }
        }
        out.push('\n');
        let id = match at(ID) {
            FieldRef::Int(i) => TestId(i),
            _ => return Ok(()),
        };
        for step in store.steps(id)? {
            let _ = writeln!(
                out,
                "    Step: {:<20} State: {:<10} Status: {:<10} Time {:<22}",
                step.stepname,
                step.state,
                step.status,
                step.event_time.to_string()
            );
        }
    }
    Ok(())
}

/// The runs and their tests as JSON.
pub(crate) fn json_listing(
    keys: &[String],
    spec: &FieldSpec,
    listed: &[(RunRecord, Vec<TestRecord>)],
) -> serde_json::Value {
    let mut top = serde_json::Map::new();
    for (run, tests) in listed {
        let mut meta = serde_json::Map::new();
        for field in &spec.runs {
            meta.insert(field.clone(), run_value(run, keys, field).to_json());
        }
        let mut data = serde_json::Map::new();
        for test in tests {
            let fields: serde_json::Map<String, serde_json::Value> = spec
                .tests
                .iter()
                .flatten()
                .map(|f| {
                    (
                        f.clone(),
                        test.field(f)
                            .map_or(serde_json::Value::Null, Field::to_json),
                    )
                })
                .collect();
            data.insert(test.id().to_string(), fields.into());
        }
        let entry = top
            .entry(run.target())
            .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
        entry[run.runname()] = serde_json::json!({ "meta": meta, "data": data });
    }
    top.into()
}

fn sexp_value(f: &Field) -> String {
    match f {
        Field::Text(t) => scheme_string(t),
        Field::Null => "#f".into(),
        other => other.to_string(),
    }
}

/// The runs and their tests as S-expressions.
pub(crate) fn sexp_listing(
    keys: &[String],
    spec: &FieldSpec,
    listed: &[(RunRecord, Vec<TestRecord>)],
) -> String {
    let mut out = String::from("(");
    let mut targets: Vec<String> = Vec::new();
    for (run, _) in listed {
        if !targets.contains(&run.target()) {
            targets.push(run.target());
        }
    }
    for (ti, target) in targets.iter().enumerate() {
        if ti > 0 {
            out.push_str("\n ");
        }
        let _ = write!(out, "({}", scheme_string(target));
        for (run, tests) in listed.iter().filter(|(r, _)| r.target() == *target) {
            let _ = write!(out, "\n  ({}\n   (\"meta\"", scheme_string(&run.runname()));
            for field in &spec.runs {
                let _ = write!(
                    out,
                    " ({} . {})",
                    scheme_string(field),
                    sexp_value(&run_value(run, keys, field))
                );
            }
            out.push_str(")\n   (\"data\"");
            for test in tests {
                let _ = write!(out, "\n    ({}", scheme_string(&test.id().to_string()));
                for field in spec.tests.iter().flatten() {
                    let value = test.field(field).cloned().unwrap_or(Field::Null);
                    let _ = write!(out, " ({} . {})", scheme_string(field), sexp_value(&value));
                }
                out.push(')');
            }
            out.push_str("))");
        }
        out.push(')');
    }
    out.push_str(")\n");
    out
}
