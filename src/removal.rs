//! Removing tests (spec §15.5): running ones are asked to stop, then their run directory and
//! link-tree link go and the record is marked DELETED; a run whose tests are all gone is
//! marked deleted.

use crate::db::{Store, TestFilter, TestRecord};
use crate::error::{Error, Result};
use crate::model::RUNNING_STATES;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a running test gets to stop after KILLREQ.
const KILL_WAIT: Duration = Duration::from_secs(10);

/// What to keep.
#[derive(Debug, Clone, Copy, Default)]
pub struct RemoveOptions {
    /// Keep the database records; remove only the files.
    pub keep_records: bool,
}

/// Deletes a run directory; refuses paths too short to be a test's directory.
fn remove_directory(path: &Path) -> Result<()> {
    let text = path.to_string_lossy();
    if text.len() <= 5 || path.parent().is_none() {
        return Err(Error::new(format!(
            "refusing to remove `{text}`: not a test directory"
        )));
    }
    if !path.exists() {
        return Ok(());
    }
    if std::fs::remove_dir_all(path).is_ok() {
        return Ok(());
    }
    // Read-only files or directories: make them writable and try again.
    let _ = std::process::Command::new("chmod")
        .args(["-R", "u+rwx"])
        .arg(path)
        .status();
    std::fs::remove_dir_all(path).map_err(|e| {
        Error::new(format!(
            "cannot remove `{text}`: {}",
            crate::config::io_reason(&e)
        ))
    })
}

/// Removes one test: its physical directory, its link, and (unless kept) its record.
pub fn remove_test(store: &Store, test: &TestRecord, opts: RemoveOptions) -> Result<()> {
    let id = test.id();
    if RUNNING_STATES.contains(&test.state().as_str()) {
        store.set_state_status(id, Some("KILLREQ"), Some("n/a"), None)?;
        let started = Instant::now();
        loop {
            let state = store.test(id)?.map(|t| t.state()).unwrap_or_default();
            if state != "KILLREQ" {
                break;
            }
            if started.elapsed() > KILL_WAIT {
                store.set_state_status(id, Some("FAILEDKILL"), Some("n/a"), None)?;
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    if !opts.keep_records {
        store.set_state_status(id, Some("REMOVING"), Some("LOCKED"), None)?;
    }
    let shortdir = test.shortdir();
    let rundir = test.rundir();
    for dir in [&shortdir, &rundir] {
        if dir.is_empty() || dir == "/tmp/badname" {
            continue;
        }
        let path = Path::new(dir);
        if path.is_symlink() {
            std::fs::remove_file(path).map_err(|e| {
                Error::new(format!(
                    "cannot remove the link `{dir}`: {}",
                    crate::config::io_reason(&e)
                ))
            })?;
        } else if path.is_dir() {
            remove_directory(path)?;
        }
    }
    if !opts.keep_records {
        store.mark_test_deleted(id)?;
    }
    Ok(())
}

/// Removes the selected tests of a run, items before their toplevel and deeper directories
/// first; a toplevel whose items are not all removed stays. Returns the tests removed.
pub fn remove_tests(
    store: &Store,
    run_id: i64,
    filter: &TestFilter,
    opts: RemoveOptions,
) -> Result<Vec<TestRecord>> {
    let mut tests = store.tests_for_run(run_id, filter)?;
    tests.sort_by_key(|t| {
        (
            t.item_path().is_empty(),
            std::cmp::Reverse(t.rundir().matches('/').count()),
        )
    });
    let mut removed = Vec::new();
    for test in tests {
        if test.item_path().is_empty() {
            let remaining = store
                .tests_for_run(run_id, &TestFilter::default())?
                .into_iter()
                .filter(|t| t.testname() == test.testname() && !t.item_path().is_empty())
                .filter(|t| {
                    !(opts.keep_records && removed.iter().any(|r: &TestRecord| r.id() == t.id()))
                })
                .count();
            if remaining > 0 && !opts.keep_records {
                crate::debug!(
                    1,
                    "keeping {}: {remaining} of its items remain",
                    test.testname()
                );
                continue;
            }
        }
        remove_test(store, &test, opts)?;
        removed.push(test);
    }
    if !opts.keep_records
        && store
            .tests_for_run(run_id, &TestFilter::default())?
            .is_empty()
    {
        store.mark_run_deleted(run_id)?;
        store.purge_deleted_tests(30)?;
    }
    Ok(removed)
}
