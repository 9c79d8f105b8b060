//! `-list-runs RUNPATT`: runs and their tests as text (spec §15.6), JSON, S-expressions, JUnit
//! XML or a spreadsheet; the listing itself is `report::run_listing`.

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::db::{RunRecord, TEST_FIELDS, TestFilter, TestRecord};
use crate::error::{Error, Result};
use crate::output::stdout;
use crate::report::{
    FieldSpec, ListingMode as Mode, compare, json_listing, run_line, sexp_listing, test_lines,
};
use crate::select::{RunSelector, TestPatterns};

/// Lists runs.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let runpatt = session.args.value("-list-runs").unwrap_or("%").to_string();
    let target = session.args.value("-target").map(str::to_string);
    let patterns = TestPatterns::parse(session.args.value("-testpatt").unwrap_or("%"))?;
    let (states, statuses) = session.state_status_filters();
    let mode = match session.args.value("-dumpmode") {
        None => Mode::Text,
        Some("json") => Mode::Json,
        Some("sexpr" | "sexp") => Mode::Sexp,
        Some("junit") => Mode::Junit,
        Some("ods") => Mode::Ods,
        Some(other) => {
            return Err(Error::usage(format!(
                "-dumpmode `{other}` is not supported by -list-runs (use json, sexpr, junit or ods)"
            )));
        }
    };
    if matches!(mode, Mode::Junit | Mode::Ods) && session.args.has("-fields") {
        return Err(Error::usage(
            "-fields does not apply to -dumpmode junit or ods (they list every field of every test)",
        ));
    }
    let fields_arg = session.args.value("-fields").map(str::to_string);
    let output = session.args.value("-o").map(str::to_string);
    let sort = session.args.value("-sort").map(str::to_string);
    if let Some(s) = &sort
        && !TEST_FIELDS.contains(&s.as_str())
    {
        return Err(Error::usage(format!("-sort `{s}` is not a test field"))
            .note(format!("test fields: {}", TEST_FIELDS.join(", "))));
    }
    if let Some(t) = &target {
        session.check_target_pattern(t, "-target")?;
    }
    let store = session.store()?;
    let keys = store.keys().to_vec();
    let spec = FieldSpec::parse(fields_arg.as_deref(), &keys)?;
    let runs = store.runs(&RunSelector::new(target.as_deref(), Some(&runpatt)))?;
    let only_fields = match mode {
        // The text listing prints these, and needs the id (steps), state and status.
        Mode::Text if sort.is_none() => Some(
            TEST_FIELDS
                .iter()
                .copied()
                .filter(|f| {
                    ["id", "state", "status"].contains(f)
                        || (spec
                            .tests
                            .as_ref()
                            .is_some_and(|t| t.iter().any(|x| x == f))
                            && [
                                "testname",
                                "item_path",
                                "event_time",
                                "host",
                                "run_duration",
                                "cpuload",
                                "diskfree",
                                "uname",
                                "rundir",
                            ]
                            .contains(f))
                })
                .collect(),
        ),
        _ => None,
    };
    let filter = TestFilter {
        patterns: Some(patterns),
        states,
        statuses,
        include_deleted: false,
        only_fields,
    };
    let runs_tests = |run: &RunRecord| -> Result<Vec<TestRecord>> {
        let mut tests = match &spec.tests {
            Some(_) => store.tests_for_run(run.id(), &filter)?,
            None => Vec::new(),
        };
        if let Some(field) = &sort {
            tests.sort_by(|a, b| compare(a.field(field), b.field(field)));
        }
        Ok(tests)
    };
    if let Mode::Text = mode {
        // Run by run, rows read in place, so memory holds one run's output at a time.
        let selected: Vec<bool> = TEST_FIELDS
            .iter()
            .map(|f| {
                spec.tests
                    .as_ref()
                    .is_some_and(|s| s.iter().any(|x| x == f))
            })
            .collect();
        let mut chunk = String::new();
        let (mut value, mut name) = (String::new(), String::new());
        for run in &runs {
            chunk.clear();
            run_line(&mut chunk, &keys, &spec, run);
            if spec.tests.is_some() {
                if sort.is_some() {
                    for test in runs_tests(run)? {
                        let at = |i: usize| test.field_at(i).as_ref();
                        test_lines(&mut chunk, store, &selected, &at, &mut value, &mut name)?;
                    }
                } else {
                    store.for_each_test(run.id(), &filter, |view| {
                        test_lines(
                            &mut chunk,
                            store,
                            &selected,
                            &|i| view.get(i),
                            &mut value,
                            &mut name,
                        )
                    })?;
                }
            }
            if !stdout::print(&chunk) {
                break;
            }
        }
        return Ok(Flow::Continue);
    }
    let mut listed = Vec::new();
    for run in runs {
        let tests = runs_tests(&run)?;
        listed.push((run, tests));
    }
    if let Mode::Ods = mode {
        // 1.65 writes `out.ods` when no -o names the file.
        let file = output.as_deref().unwrap_or("out.ods");
        crate::report::write_ods(
            std::path::Path::new(file),
            &crate::report::listing_sheets(&keys, &listed),
        )?;
        return Ok(Flow::Continue);
    }
    let text = match mode {
        Mode::Junit => crate::report::junit_report(store, &listed)?,
        Mode::Json => {
            let mut text = serde_json::to_string_pretty(&json_listing(&keys, &spec, &listed))
                .expect("JSON values serialize");
            text.push('\n');
            text
        }
        _ => sexp_listing(&keys, &spec, &listed),
    };
    match &output {
        Some(file) => std::fs::write(file, text)
            .map_err(|e| Error::new(format!("cannot write `{file}`: {e}")))?,
        None => {
            stdout::print(&text);
        }
    }
    Ok(Flow::Continue)
}
