//! Triggers (spec §11): after every state/status write, the testconfig's `[triggers]`
//! commands for `STATE/STATUS`, `STATE/` and `/STATUS` run in the background as
//! `CMD TEST-ID RUNDIR KEY &`, in the test's run directory, when that directory exists.
//!
//! A command that starts with `(` is Scheme, a procedure called in megatest's own Scheme
//! host with the same three arguments: `(lambda (test-id rundir key) ...)`.
//!
//! Whoever writes (runner, executor, helper) first registers the triggers of the tests it
//! knows; writes to tests without registered triggers fire nothing.

use crate::db::{StatusChange, Store};
use crate::envfile::sh_quote;
use crate::environ;
use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// `[triggers]` entries: (`STATE/STATUS`, command).
type Triggers = Vec<(String, String)>;

/// Test name → its triggers.
static TABLE: Mutex<Option<HashMap<String, Triggers>>> = Mutex::new(None);

/// Registers the `[triggers]` of `test` (replacing earlier ones).
pub fn register(test: &str, triggers: Vec<(String, String)>) {
    let mut guard = TABLE.lock().unwrap_or_else(|p| p.into_inner());
    let table = guard.get_or_insert_with(HashMap::new);
    if triggers.is_empty() {
        table.remove(test);
    } else {
        table.insert(test.to_string(), triggers);
    }
}

/// Whether any test has registered triggers.
pub fn any_registered() -> bool {
    let guard = TABLE.lock().unwrap_or_else(|p| p.into_inner());
    guard.as_ref().is_some_and(|t| !t.is_empty())
}

/// Whether `test` has registered triggers.
pub fn has_triggers(test: &str) -> bool {
    let guard = TABLE.lock().unwrap_or_else(|p| p.into_inner());
    guard.as_ref().is_some_and(|t| t.contains_key(test))
}

/// The commands that fire for a write, with their keys.
pub fn matching(triggers: &[(String, String)], state: &str, status: &str) -> Vec<(String, String)> {
    let keys = [
        format!("{state}/{status}"),
        format!("{state}/"),
        format!("/{status}"),
    ];
    keys.into_iter()
        .filter_map(|key| {
            triggers
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, cmd)| (key, cmd.clone()))
        })
        .collect()
}

/// Fires the triggers of every write in `changes`.
pub fn fire(store: &Store, changes: &[StatusChange]) {
    fire_with(|| Some(store), changes);
}

/// [`fire`] with the database opened only when a trigger matches (to read the record).
pub fn fire_with<'s>(store: impl Fn() -> Option<&'s Store>, changes: &[StatusChange]) {
    for change in changes {
        let commands = {
            let guard = TABLE.lock().unwrap_or_else(|p| p.into_inner());
            match guard.as_ref().and_then(|t| t.get(&change.testname)) {
                Some(triggers) => matching(triggers, change.state.as_str(), change.status.as_str()),
                None => continue,
            }
        };
        if commands.is_empty() {
            continue;
        }
        let Some(Ok(Some(record))) = store().map(|s| s.test(change.test_id)) else {
            continue;
        };
        let rundir = record.rundir();
        if !Path::new(&rundir).is_dir() {
            continue;
        }
        for (key, command) in commands {
            run_trigger(&command, change, &rundir, &key);
        }
    }
}

fn run_trigger(command: &str, change: &StatusChange, rundir: &str, key: &str) {
    if command.trim_start().starts_with('(') {
        crate::debug!(1, "Scheme trigger {key} of {}", change.testname);
        if let Err(e) = crate::scheme::eval_trigger(command, change.test_id, rundir, key) {
            crate::warn!("trigger {key} of {} failed: {}", change.testname, e.message);
        }
        return;
    }
    let line = format!(
        "{command} {} {} {} &",
        change.test_id,
        sh_quote(rundir),
        sh_quote(key)
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
            crate::shell::status_code(status)
        ),
        Err(e) => crate::warn!("cannot run trigger {key} of {}: {e}", change.testname),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        let t = vec![
            ("COMPLETED/FAIL".to_string(), "a".to_string()),
            ("COMPLETED/".to_string(), "b".to_string()),
            ("/PASS".to_string(), "c".to_string()),
            ("PASS/".to_string(), "never".to_string()),
        ];
        let fired: Vec<String> = matching(&t, "COMPLETED", "FAIL")
            .into_iter()
            .map(|(_, c)| c)
            .collect();
        assert_eq!(fired, ["a", "b"]);
        let fired: Vec<String> = matching(&t, "COMPLETED", "PASS")
            .into_iter()
            .map(|(_, c)| c)
            .collect();
        assert_eq!(fired, ["b", "c"]);
        assert!(matching(&t, "RUNNING", "n/a").is_empty());
    }
}
