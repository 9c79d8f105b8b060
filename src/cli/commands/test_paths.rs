//! `-test-paths` and `-test-files GLOB`: the run directories of the selected tests (newest run
//! first), or the files matching GLOB in them.

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::db::TestFilter;
use crate::error::{Error, Result};
use crate::output::stdout;
use crate::select::{RunSelector, TestPatterns};
use std::path::Path;

/// Files matching `glob` in `dir`, as the shell expands them.
fn expand(dir: &str, glob: &str) -> Vec<String> {
    let script =
        format!("for f in \"$1\"/{glob}; do [ -e \"$f\" ] && printf '%s\\n' \"$f\"; done; true");
    std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(script)
        .arg("sh")
        .arg(dir)
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Prints test paths or files.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let files = session.args.value("-test-files").map(str::to_string);
    let in_test =
        crate::environ::var(crate::launch::job::CMDINFO_VAR).is_some_and(|v| !v.is_empty());
    let target = match session.args.value("-target") {
        Some(t) => t.to_string(),
        None if in_test => {
            return Err(Error::usage(
                "inside a test, -test-paths and -test-files need -target",
            ));
        }
        None => session
            .target_text()
            .map(|(t, _)| t)
            .unwrap_or_else(|| "%".into()),
    };
    session.check_target_pattern(&target, "-target")?;
    let runname = session.runname().unwrap_or_else(|| "%".into());
    let patterns = TestPatterns::parse(session.args.value("-testpatt").unwrap_or("%"))?;
    let (states, statuses) = session.state_status_filters();
    if let Some(job) = in_test
        .then(|| crate::launch::job::Job::from_env("-test-paths"))
        .transpose()?
    {
        crate::environ::set("MT_RUN_AREA_HOME", &job.toppath.display().to_string());
    }
    let store = session.store()?;
    let filter = TestFilter {
        patterns: Some(patterns),
        states,
        statuses,
        ..TestFilter::default()
    };
    let mut runs = store.runs(&RunSelector::new(Some(&target), Some(&runname)))?;
    runs.reverse();
    let mut text = String::new();
    for run in runs {
        for test in store.tests_for_run(run.id(), &filter)? {
            let dir = test.rundir();
            if in_test && !Path::new(&dir).exists() {
                continue;
            }
            match &files {
                Some(glob) => expand(&dir, glob).iter().for_each(|f| {
                    text.push_str(f);
                    text.push('\n');
                }),
                None => {
                    text.push_str(&dir);
                    text.push('\n');
                }
            }
        }
    }
    stdout::print(&text);
    Ok(Flow::Continue)
}
