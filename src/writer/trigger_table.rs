//! Which `[triggers]` commands a write fires (spec §11): a table of each test's `STATE/STATUS`,
//! `STATE/` and `/STATUS` keys, held by whoever writes (the runner, an executor, a command,
//! the API), never process-wide.

use crate::db::StatusChange;
use crate::testdef::TestDef;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;

/// `[triggers]` entries: (`STATE/STATUS`, command).
pub type Triggers = Vec<(String, String)>;

/// Test name → its triggers.
#[derive(Debug, Default)]
pub struct TriggerTable {
    by_test: RefCell<HashMap<String, Triggers>>,
    /// The area whose testconfigs give the triggers of a test not registered (the API's
    /// writes, which may touch any test), read once per test.
    testconfigs_of: Option<PathBuf>,
    /// megatest.config `[triggers]`, after each test's own when they are read from its
    /// testconfig (registered triggers already hold them).
    area: Triggers,
    /// Set for a server answering a process on another host: the changes are kept here,
    /// for that process to fire their triggers, instead of firing on the server.
    collected: Option<RefCell<Vec<StatusChange>>>,
}

impl TriggerTable {
    /// A table with no triggers: the writes fire nothing until tests are registered.
    pub fn new() -> TriggerTable {
        TriggerTable::default()
    }

    /// The triggers of one test.
    pub fn of_test(test: &str, triggers: Triggers) -> TriggerTable {
        let mut table = TriggerTable::new();
        table.register(test, triggers);
        table
    }

    /// A table that reads a test's `[triggers]` from its testconfig under `top` the first time
    /// one of its records is written, followed by the area's (`area`, megatest.config's).
    pub fn reading_testconfigs(top: PathBuf, area: Triggers) -> TriggerTable {
        TriggerTable {
            testconfigs_of: Some(top),
            area,
            ..TriggerTable::default()
        }
    }

    /// A table that fires nothing and keeps the changes (see [`TriggerTable::take_collected`]).
    pub fn collecting() -> TriggerTable {
        TriggerTable {
            collected: Some(RefCell::new(Vec::new())),
            ..TriggerTable::default()
        }
    }

    /// The changes a collecting table kept.
    pub fn take_collected(&self) -> Vec<StatusChange> {
        self.collected
            .as_ref()
            .map(|c| c.take())
            .unwrap_or_default()
    }

    /// Keeps `changes` when collecting; whether it did.
    pub(super) fn collect(&self, changes: &[StatusChange]) -> bool {
        match &self.collected {
            Some(kept) => {
                kept.borrow_mut().extend_from_slice(changes);
                true
            }
            None => false,
        }
    }

    /// Registers the `[triggers]` of `test` (replacing earlier ones).
    pub fn register(&mut self, test: &str, triggers: Triggers) {
        self.by_test.get_mut().insert(test.to_string(), triggers);
    }

    /// Whether `test` has triggers.
    pub fn has(&self, test: &str) -> bool {
        self.with_triggers(test, |t| !t.is_empty())
    }

    /// The commands that fire for a change, with their keys.
    pub(super) fn commands_for(&self, change: &StatusChange) -> Vec<(String, String)> {
        self.with_triggers(&change.testname, |triggers| {
            matching(triggers, change.state.as_str(), change.status.as_str())
        })
    }

    fn with_triggers<R>(&self, test: &str, f: impl FnOnce(&Triggers) -> R) -> R {
        if let Some(top) = &self.testconfigs_of
            && !self.by_test.borrow().contains_key(test)
        {
            let mut read = read_triggers(top, test);
            read.extend(self.area.iter().cloned());
            self.by_test.borrow_mut().insert(test.to_string(), read);
        }
        match self.by_test.borrow().get(test) {
            Some(triggers) => f(triggers),
            None => f(&Vec::new()),
        }
    }
}

/// A test's `[triggers]` from its testconfig (none when it cannot be read), read without
/// running its commands: a command that changes records is not a run.
fn read_triggers(top: &std::path::Path, test: &str) -> Triggers {
    let dir = top.join("tests").join(test);
    if !dir.join("testconfig").is_file() {
        return Vec::new();
    }
    TestDef::read_without_commands(test, &dir, top)
        .map_or_else(|_| Vec::new(), |def| def.triggers())
}

/// The commands among `triggers` that fire for `state`/`status`, with their keys.
fn matching(triggers: &[(String, String)], state: &str, status: &str) -> Vec<(String, String)> {
    if triggers.is_empty() {
        return Vec::new();
    }
    let keys = [
        format!("{state}/{status}"),
        format!("{state}/"),
        format!("/{status}"),
    ];
    // Every entry of a key fires, in order: the testconfig's, then megatest.config's.
    keys.into_iter()
        .flat_map(|key| {
            triggers
                .iter()
                .filter(|(k, _)| *k == key)
                .map(|(_, cmd)| (key.clone(), cmd.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A test's triggers as every writer fires them: its testconfig's `[triggers]`, then
/// megatest.config's (1.65 runs both, the test's first).
pub fn test_and_area_triggers(test: Triggers, area: &crate::config::Config) -> Triggers {
    let mut all = test;
    all.extend(area.pairs("triggers"));
    all
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

    #[test]
    fn tables_are_their_owners() {
        let table = TriggerTable::of_test("t", vec![("/FAIL".into(), "x".into())]);
        assert!(table.has("t") && !table.has("u"));
        assert!(!TriggerTable::new().has("t"));
        let missing = TriggerTable::reading_testconfigs(PathBuf::from("/nonexistent"), Vec::new());
        assert!(
            !missing.has("t"),
            "an unreadable testconfig has no triggers"
        );
    }
}
