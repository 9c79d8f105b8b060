//! Running the triggers of a write (spec §11): each command for `STATE/STATUS`, `STATE/` and
//! `/STATUS` runs in the background, in the test's run directory when that directory exists,
//! with the eight arguments the manual lists: `CMD TEST-ID RUNDIR KEY TEST-NAME ITEM-PATH
//! STATE STATUS EVENT-TIME &` (each quoted, so a toplevel's empty item path stays one).
//!
//! A command that starts with `(` is Scheme, a procedure called in megatest's own Scheme
//! host with the same three arguments: `(lambda (test-id rundir key) ...)`.

use super::trigger_table::TriggerTable;
use crate::db::StatusChange;
use crate::environ;
use crate::environ::env_file::sh_quote;
use crate::model::TestId;
use std::path::Path;
use std::process::{Command, Stdio};

/// Fires the triggers of every write in `changes`; the record's run directory and event
/// time (`record_dir`) are asked for only when a trigger matches. A collecting table keeps
/// the changes instead.
pub fn fire(
    table: &TriggerTable,
    record_dir: impl Fn(TestId) -> Option<(String, i64)>,
    changes: &[StatusChange],
) {
    if table.collect(changes) {
        return;
    }
    for change in changes {
        let commands = table.commands_for(change);
        if commands.is_empty() {
            continue;
        }
        let Some((rundir, event_time)) = record_dir(change.test_id) else {
            continue;
        };
        if !Path::new(&rundir).is_dir() {
            continue;
        }
        for (key, command) in commands {
            run_trigger(&command, change, &rundir, &key, event_time);
        }
    }
}

fn run_trigger(command: &str, change: &StatusChange, rundir: &str, key: &str, event_time: i64) {
    if command.trim_start().starts_with('(') {
        crate::debug!(1, "Scheme trigger {key} of {}", change.testname);
        if let Err(e) = crate::scheme::eval_trigger(command, change.test_id, rundir, key) {
            crate::warn!("trigger {key} of {} failed: {}", change.testname, e.message);
        }
        return;
    }
    let line = format!(
        "{command} {} {} {} {} {} {} {} {event_time} &",
        change.test_id,
        sh_quote(rundir),
        sh_quote(key),
        sh_quote(&change.testname),
        sh_quote(&change.item_path),
        sh_quote(change.state.as_str()),
        sh_quote(change.status.as_str()),
    );
    crate::debug!(1, "trigger {key} of {}: {line}", change.testname);
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(&line)
        .current_dir(rundir)
        .stdin(Stdio::null());
    environ::apply(&mut cmd);
    cmd.env("MT_TEST_NAME", &change.testname)
        .env("MT_TEST_RUN_DIR", rundir)
        .env("MT_ITEMPATH", &change.item_path);
    match cmd.status() {
        Ok(status) if status.success() => {}
        Ok(status) => crate::warn!(
            "trigger {key} of {} exited with {}",
            change.testname,
            crate::sys::shell::status_code(status)
        ),
        Err(e) => crate::warn!("cannot run trigger {key} of {}: {e}", change.testname),
    }
}
