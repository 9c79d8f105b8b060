//! `-run` (`-runall`, `-runtests PATT`): runs the selected tests of a target and run name
//! (spec §15.3), and `-run-wait` alone: waits for a run's tests to finish.

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::db::TestFilter;
use crate::environ::user_name;
use crate::error::exit_code;
use crate::error::{Error, ErrorKind, Result};
use crate::runner::{RunOptions, parse_setvars};
use crate::select::{RunSelector, TagExpr, TestPatterns, list_filter};
use std::time::Duration;

/// Runs the tests.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    if session.args.has("-xterm") {
        return Err(Error::usage("-xterm is not supported by this version")
            .note("open the test's environment with `source megatest.sh` in its run directory"));
    }
    let missing =
        |thing: &str| Error::of(ErrorKind::MissingSelector, format!("-run needs {thing}"));
    let Some(target) = session.target()? else {
        return Err(missing(
            "a target: -target K1/K2/... (or -reqtarg, or $MT_TARGET)",
        ));
    };
    let Some(runname) = session.runname() else {
        return Err(missing("a run name: -runname NAME"));
    };
    crate::model::check_run_name(&runname)?;
    session.check_reqtarg(&target)?;
    let Some(testpatt) = test_pattern(session, &target)? else {
        crate::output::stdout::println(
            "WARNING: there is no test pattern for this run. Exiting now.",
        );
        return Ok(Flow::Stop);
    };
    TestPatterns::parse(&testpatt)?;
    let args = &session.args;
    let opts = RunOptions {
        target,
        runname,
        testpatt,
        tagexpr: args.value("-tagexpr").map(TagExpr::parse).transpose()?,
        rerun: list_filter(args.value("-rerun")),
        force: args.has("-force"),
        preclean: args.has("-preclean"),
        rerun_clean: args.has("-rerun-clean"),
        rerun_all: args.has("-rerun-all"),
        run_wait: args.has("-run-wait"),
        setvars: args
            .value("-setvars")
            .map(parse_setvars)
            .unwrap_or_default(),
        contour: args.value("-contour").unwrap_or_default().to_string(),
        debug: args.value("-debug").map(str::to_string),
    };
    let (area, store) = session.area_and_store()?;
    let code = crate::runner::run(area, store, &opts, &user_name())?;
    session.exit_code = code;
    Ok(if code == exit_code::SUCCESS {
        Flow::Continue
    } else {
        Flow::Stop
    })
}

/// `-runtests PATT` is `-run -testpatt PATT`.
pub(crate) fn runtests(session: &mut Session) -> Result<Flow> {
    if session.args.has("-run") {
        return Ok(Flow::Continue);
    }
    run(session)
}

/// The test pattern (spec §3.4): `--modepatt KEY` from runconfigs (which must have it), else
/// `-testpatt`/`-runtests`, where absent or `%` the runconfigs `TESTPATT`, else `%`.
fn test_pattern(session: &mut Session, target: &crate::area::Target) -> Result<Option<String>> {
    let given = session
        .args
        .value("-testpatt")
        .or_else(|| session.args.value("-runtests"))
        .map(str::to_string);
    let modepatt = session.args.value("--modepatt").map(str::to_string);
    let runconfigs = session.area()?.runconfigs(target)?;
    let lookup = |key: &str| {
        runconfigs
            .get(&target.to_string(), key)
            .or_else(|| runconfigs.get("default", key))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    if let Some(key) = modepatt {
        return Ok(lookup(&key));
    }
    match given.as_deref() {
        Some(p) if p != "%" => Ok(Some(p.to_string())),
        _ => Ok(Some(match lookup("TESTPATT") {
            Some(p) => {
                crate::output::stdout::println(&format!(
                    "testpatt defined in TESTPATT from runconfigs: {p}"
                ));
                p
            }
            None => "%".to_string(),
        })),
    }
}

/// `-run-wait` without `-run`: waits while tests of the selected runs (and `-testpatt`,
/// `-state`, `-status`) exist.
pub(crate) fn run_wait(session: &mut Session) -> Result<Flow> {
    if session.args.has("-run") || session.args.has("-runtests") {
        return Ok(Flow::Continue);
    }
    let (selector, patterns): (RunSelector, Option<TestPatterns>) =
        session.required_selectors("-run-wait", false)?;
    let (states, statuses) = session.state_status_filters();
    if states.is_none() && statuses.is_none() {
        crate::warn!("-run-wait without -state or -status waits while any selected test exists");
    }
    let filter = TestFilter {
        patterns,
        states,
        statuses,
        ..TestFilter::default()
    };
    let store = session.store()?;
    loop {
        let mut count = 0;
        for run in store.runs(&selector)? {
            count += store.tests_for_run(run.id(), &filter)?.len();
        }
        if count == 0 {
            return Ok(Flow::Continue);
        }
        if crate::sys::interrupts() > 0 {
            session.exit_code = exit_code::INTERRUPTED;
            return Ok(Flow::Stop);
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}
