//! `-list-runs ... -dumpmode junit`: the runs as JUnit XML for CI servers. One testsuite per
//! run (`target/runname`), one testcase per test without items and per item (class name
//! the test, name the item path), its verdict from the record's state and status, its time
//! the record's run time, and the tails of its steps' logs as `system-out`.

use crate::db::{RunRecord, Store, TestRecord};
use crate::error::{Error, Result};
use crate::model::{State, Status};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

/// Lines kept of each step log.
const TAIL_LINES: usize = 30;

/// Bytes kept of each step log (its end).
const TAIL_BYTES: u64 = 8 * 1024;

/// What a record's state and status say to a CI server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Passed (PASS, WARN, WAIVED, ...).
    Passed,
    /// The test itself failed (FAIL, CHECK).
    Failed,
    /// It could not give a verdict (ABORT, DEAD, KILLED, PREQ_FAIL, INCOMPLETE, ...).
    Error,
    /// It did not run (NOT_STARTED, PREQ_DISCARDED, SKIP, ZERO_ITEMS), or has not ended.
    Skipped,
}

/// The verdict of a record in `state` with `status`.
pub fn verdict(state: &State, status: &Status) -> Verdict {
    match status {
        Status::Fail | Status::Check => return Verdict::Failed,
        Status::Abort
        | Status::Dead
        | Status::StuckDead
        | Status::PreqFail
        | Status::Killed
        | Status::FailedToKill => return Verdict::Error,
        Status::PreqDiscarded | Status::Skip | Status::ZeroItems => return Verdict::Skipped,
        _ => {}
    }
    match state {
        State::Completed => Verdict::Passed,
        State::Incomplete | State::Killed | State::Stuck | State::FailedKill | State::Unknown => {
            Verdict::Error
        }
        _ => Verdict::Skipped,
    }
}

/// The JUnit XML of `listed` (each run with its tests).
pub fn junit_report(store: &Store, listed: &[(RunRecord, Vec<TestRecord>)]) -> Result<String> {
    let mut report = Report::new("megatest");
    let mut total = Duration::ZERO;
    for (run, tests) in listed {
        let suite = run_suite(store, run, tests)?;
        total += suite.time.unwrap_or_default();
        report.add_test_suite(suite);
    }
    report.set_time(total);
    report
        .to_string()
        .map_err(|e| Error::new(format!("cannot write the JUnit report: {e}")))
}

fn run_suite(store: &Store, run: &RunRecord, tests: &[TestRecord]) -> Result<TestSuite> {
    let target = run.target();
    let mut suite = TestSuite::new(format!("{target}/{}", run.runname()));
    if let Some(at) = timestamp(run.event_time()) {
        suite.set_timestamp(at);
    }
    suite.add_property(Property::new("target", target));
    suite.add_property(Property::new("runname", run.runname()));
    suite.add_property(Property::new("run-id", run.id().0.to_string()));
    // An itemized test is its items: its toplevel record only rolls them up.
    let itemized: HashSet<String> = tests
        .iter()
        .filter(|t| !t.item_path().is_empty())
        .map(TestRecord::testname)
        .collect();
    let mut time = Duration::ZERO;
    for test in tests {
        if test.item_path().is_empty() && itemized.contains(&test.testname()) {
            continue;
        }
        let case = test_case(store, test)?;
        time += case.time.unwrap_or_default();
        suite.add_test_case(case);
    }
    suite.set_time(time);
    Ok(suite)
}

fn test_case(store: &Store, test: &TestRecord) -> Result<TestCase> {
    let (state, status) = (test.state(), test.status());
    let comment = test.comment();
    let said = match comment.trim() {
        "" => format!("{state}/{status}"),
        c => format!("{state}/{status}: {c}"),
    };
    let mut verdict_status = match verdict(&state, &status) {
        Verdict::Passed => TestCaseStatus::success(),
        Verdict::Failed => TestCaseStatus::non_success(NonSuccessKind::Failure),
        Verdict::Error => TestCaseStatus::non_success(NonSuccessKind::Error),
        Verdict::Skipped => TestCaseStatus::skipped(),
    };
    verdict_status
        .set_message(said)
        .set_type(status.as_str().to_string());
    let name = match test.item_path() {
        path if path.is_empty() => test.testname(),
        path => path,
    };
    let mut case = TestCase::new(name, verdict_status);
    case.set_classname(test.testname());
    let seconds = test
        .field("run_duration")
        .and_then(|f| f.to_string().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(0.0)
        // A run time past any real one is a broken record, not a panic.
        .min(1e12);
    case.set_time(Duration::from_secs_f64(seconds));
    if let Some(at) = timestamp(test.event_time()) {
        case.set_timestamp(at);
    }
    for (name, field) in [("host", "host"), ("rundir", "rundir")] {
        let value = test.field(field).map(|f| f.to_string()).unwrap_or_default();
        if !value.is_empty() {
            case.add_property(Property::new(name, value));
        }
    }
    let out = step_tails(store, test)?;
    if !out.is_empty() {
        case.set_system_out(out);
    }
    Ok(case)
}

/// The end of each step's log, in the order the steps ran.
fn step_tails(store: &Store, test: &TestRecord) -> Result<String> {
    let rundir = test.rundir();
    let mut seen = HashSet::new();
    let mut out = String::new();
    for step in store.steps(test.id())? {
        // An ezstep's output is NAME.log; a step judged by logpro records its HTML page.
        let own_log = format!("{}.log", step.stepname);
        let logfile = match step.logfile.is_empty() || step.logfile.ends_with(".html") {
            true if Path::new(&rundir).join(&own_log).is_file() => own_log,
            _ => step.logfile.clone(),
        };
        if logfile.is_empty() || !seen.insert(logfile.clone()) {
            continue;
        }
        let path = Path::new(&rundir).join(&logfile);
        let Some(tail) = tail_of(&path) else { continue };
        out.push_str(&format!("== {} ({logfile}) ==\n{tail}", step.stepname));
        if !tail.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

/// The last [`TAIL_LINES`] lines of a file (of its last [`TAIL_BYTES`]), as text.
fn tail_of(path: &Path) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path).ok()?;
    let length = file.metadata().ok()?.len();
    file.seek(SeekFrom::Start(length.saturating_sub(TAIL_BYTES)))
        .ok()?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    // Control characters other than tab and newline are not allowed in XML.
    let clean: String = text
        .chars()
        .filter(|c| *c != '\r')
        .map(|c| match c {
            '\n' | '\t' => c,
            c if c.is_control() => '?',
            c => c,
        })
        .collect();
    let lines: Vec<&str> = clean.lines().collect();
    let from = lines.len().saturating_sub(TAIL_LINES);
    Some(lines[from..].join("\n"))
}

/// Seconds since the epoch as a time with this host's offset.
fn timestamp(seconds: i64) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    let utc = chrono::DateTime::from_timestamp(seconds, 0)?;
    Some(utc.with_timezone(&chrono::Local).fixed_offset())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        let v = |state: &str, status: &str| verdict(&State::from(state), &Status::parse(status));
        assert_eq!(v("COMPLETED", "PASS"), Verdict::Passed);
        assert_eq!(v("COMPLETED", "WARN"), Verdict::Passed);
        assert_eq!(v("COMPLETED", "WAIVED"), Verdict::Passed);
        assert_eq!(v("COMPLETED", "FAIL"), Verdict::Failed);
        assert_eq!(v("COMPLETED", "CHECK"), Verdict::Failed);
        assert_eq!(v("COMPLETED", "ABORT"), Verdict::Error);
        assert_eq!(v("INCOMPLETE", "DEAD"), Verdict::Error);
        assert_eq!(v("NOT_STARTED", "PREQ_FAIL"), Verdict::Error);
        assert_eq!(v("KILLED", "KILLED"), Verdict::Error);
        assert_eq!(v("NOT_STARTED", "PREQ_DISCARDED"), Verdict::Skipped);
        assert_eq!(v("COMPLETED", "SKIP"), Verdict::Skipped);
        assert_eq!(v("NOT_STARTED", "n/a"), Verdict::Skipped);
        assert_eq!(v("RUNNING", "n/a"), Verdict::Skipped);
    }

    #[test]
    fn tails_are_short_and_clean() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("step.log");
        let text: String = (0..100).map(|i| format!("line {i}\u{1b}[0m\n")).collect();
        std::fs::write(&log, text).unwrap();
        let tail = tail_of(&log).unwrap();
        assert_eq!(tail.lines().count(), TAIL_LINES);
        assert!(tail.starts_with("line 70"), "{tail}");
        assert!(!tail.contains('\u{1b}'));
        assert!(tail_of(&dir.path().join("missing.log")).is_none());
    }
}
