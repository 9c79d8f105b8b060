//! Triggers for writes made through the API: the test's `[triggers]` are read from its
//! testconfig the first time one of its records is written, then fired as the runner does.

use super::context::ApiContext;
use crate::db::{StatusChange, Store};
use crate::testdef::TestDef;
use std::collections::HashSet;
use std::sync::Mutex;

static LOADED: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// Fires the triggers of these writes.
pub fn fire(store: &Store, ctx: &ApiContext, changes: &[StatusChange]) {
    for change in changes {
        let first_time = {
            let mut guard = LOADED.lock().unwrap_or_else(|p| p.into_inner());
            guard
                .get_or_insert_with(HashSet::new)
                .insert(change.testname.clone())
        };
        if first_time && !crate::triggers::has_triggers(&change.testname) {
            let dir = ctx.top.join("tests").join(&change.testname);
            if dir.join("testconfig").is_file()
                && let Ok(def) = TestDef::read(&change.testname, &dir, &ctx.top)
            {
                crate::triggers::register(&change.testname, def.triggers());
            }
        }
    }
    crate::triggers::fire(store, changes);
}
