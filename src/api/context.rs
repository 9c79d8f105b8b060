//! Which area the API works on: set once the area is known (a command, the executor), with
//! the database opened on the first call that needs it.

use super::value::Value;
use crate::area::Area;
use crate::db::StatusChange;
use crate::db::{Store, db_path, typed_keys};
use crate::error::{Error, Result};
use crate::model::TestId;
use crate::writer::{TriggerTable, Triggers, Writer};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The area behind the API.
pub struct ApiContext {
    /// The area's top directory (`*toppath*`).
    pub top: PathBuf,
    db_path: PathBuf,
    keys: Vec<(String, String)>,
    store: Option<Store>,
    /// The tests' `[triggers]`, read from their testconfigs as their records are written.
    triggers: TriggerTable,
    /// megatest.config's `[triggers]`, fired after a test's own.
    area_triggers: Triggers,
    /// In a process on another host than the database's: how calls reach its server.
    remote: Option<Arc<dyn RemoteApi>>,
}

/// How a process on another host than the database's makes API calls (see
/// `recorder::ServerApi`).
pub trait RemoteApi: Send + Sync {
    /// Makes the call on the server: its value, and the records it changed, whose triggers
    /// this process fires (the server fires none).
    fn call(&self, name: &str, args: &[Value]) -> Result<(Value, Vec<StatusChange>)>;

    /// A record's run directory and event time, for those triggers.
    fn record_dir(&self, test_id: TestId) -> Option<(String, i64)>;
}

impl ApiContext {
    /// Writes to `store`'s records, firing their tests' triggers.
    pub fn writer<'a>(&'a self, store: &'a Store) -> Writer<'a> {
        Writer::new(store, &self.triggers)
    }
}

static CONTEXT: Mutex<Option<ApiContext>> = Mutex::new(None);

/// Makes `area` the one API calls work on.
pub fn install(area: &Area) {
    install_with(
        &area.top,
        &db_path(area),
        typed_keys(area),
        area.config.pairs("triggers"),
    );
}

/// Makes the database at `db_path` (with these keys) the one API calls work on (a running
/// test's: the triggers it knows come with its job, see [`share_triggers`]).
pub fn install_at(top: &Path, db_path: &Path, keys: Vec<(String, String)>) {
    install_with(top, db_path, keys, Vec::new());
}

fn install_with(top: &Path, db_path: &Path, keys: Vec<(String, String)>, area_triggers: Triggers) {
    let mut guard = CONTEXT.lock().unwrap_or_else(|p| p.into_inner());
    // A process away from the database's host keeps its way to the server for the area.
    if guard
        .as_ref()
        .is_some_and(|c| c.top == top && (c.db_path == db_path || c.remote.is_some()))
    {
        return;
    }
    *guard = Some(ApiContext {
        top: top.to_path_buf(),
        db_path: db_path.to_path_buf(),
        keys,
        store: None,
        triggers: TriggerTable::reading_testconfigs(top.to_path_buf(), area_triggers.clone()),
        area_triggers,
        remote: None,
    });
}

/// Makes the area at `top` (its database at `db_path`) the one API calls work on, in a
/// process on another host than its database's: every call goes through `remote`, the
/// database is never opened.
pub fn install_remote(top: &Path, db_path: &Path, remote: Box<dyn RemoteApi>) {
    let mut guard = CONTEXT.lock().unwrap_or_else(|p| p.into_inner());
    *guard = Some(ApiContext {
        top: top.to_path_buf(),
        db_path: db_path.to_path_buf(),
        keys: Vec::new(),
        store: None,
        triggers: TriggerTable::reading_testconfigs(top.to_path_buf(), Vec::new()),
        area_triggers: Vec::new(),
        remote: Some(Arc::from(remote)),
    });
}

/// The answer of the server, when calls go to one; the triggers of what it changed fire
/// here, as they would for a call on the database.
pub(super) fn call_remote(name: &str, values: &[Value]) -> Option<Result<Value>> {
    let remote = {
        let guard = CONTEXT.lock().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().and_then(|c| c.remote.clone())?
    };
    // The lock is not held: the call may take a while, and a trigger may call again.
    let (value, changes) = match remote.call(name, values) {
        Ok(answer) => answer,
        Err(e) => return Some(Err(e)),
    };
    if !changes.is_empty() {
        let table = {
            let mut guard = CONTEXT.lock().unwrap_or_else(|p| p.into_inner());
            guard.as_mut().map(|ctx| {
                let fresh =
                    TriggerTable::reading_testconfigs(ctx.top.clone(), ctx.area_triggers.clone());
                std::mem::replace(&mut ctx.triggers, fresh)
            })
        };
        if let Some(table) = table {
            crate::writer::fire_triggers(&table, |id| remote.record_dir(id), &changes);
            let mut guard = CONTEXT.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(ctx) = guard.as_mut() {
                ctx.triggers = table;
            }
        }
    }
    Some(Ok(value))
}

/// Tells the API the `[triggers]` of `test` as the runner or executor of this process
/// registered them: its writes then fire those, as the process's own writes do, rather than
/// reading the test's testconfig (which may be elsewhere, `[tests-paths]`).
pub fn share_triggers(test: &str, triggers: Triggers) {
    let mut guard = CONTEXT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(ctx) = guard.as_mut() {
        ctx.triggers.register(test, triggers);
    }
}

/// The installed area's top directory.
pub fn installed_top() -> Option<PathBuf> {
    let guard = CONTEXT.lock().unwrap_or_else(|p| p.into_inner());
    guard.as_ref().map(|c| c.top.clone())
}

/// The installed area's database file.
pub(super) fn installed_db_path() -> Option<PathBuf> {
    let guard = CONTEXT.lock().unwrap_or_else(|p| p.into_inner());
    guard.as_ref().map(|c| c.db_path.clone())
}

/// Runs `f` with `store` (a server's own connection, answering a process on another host);
/// the triggers of its writes do not fire here: the records it changed come back with its
/// result, for that process to fire them.
pub(super) fn with_given_store<R>(
    store: &Store,
    f: impl FnOnce(&Store, &ApiContext) -> Result<R>,
) -> Result<(R, Vec<StatusChange>)> {
    let view = {
        let guard = CONTEXT.lock().unwrap_or_else(|p| p.into_inner());
        let ctx = guard
            .as_ref()
            .ok_or_else(|| Error::new("this server knows no Megatest area"))?;
        ApiContext {
            top: ctx.top.clone(),
            db_path: store.path().to_path_buf(),
            keys: ctx.keys.clone(),
            store: None,
            triggers: TriggerTable::collecting(),
            area_triggers: ctx.area_triggers.clone(),
            remote: None,
        }
    };
    let result = f(store, &view)?;
    Ok((result, view.triggers.take_collected()))
}

/// Runs `f` with the installed area's database. The lock is not held while `f` runs, so a
/// trigger fired by `f` may call the API again (it then gets a connection and a trigger
/// table of its own).
pub fn with_store<R>(f: impl FnOnce(&Store, &ApiContext) -> Result<R>) -> Result<R> {
    let (view, cached) = {
        let mut guard = CONTEXT.lock().unwrap_or_else(|p| p.into_inner());
        let ctx = guard.as_mut().ok_or_else(|| {
            Error::new("no Megatest area is known here").note(
                "the rmt procedures work inside an area: run megatest from it, or use -start-dir",
            )
        })?;
        let fresh = TriggerTable::reading_testconfigs(ctx.top.clone(), ctx.area_triggers.clone());
        let view = ApiContext {
            top: ctx.top.clone(),
            db_path: ctx.db_path.clone(),
            keys: ctx.keys.clone(),
            store: None,
            triggers: std::mem::replace(&mut ctx.triggers, fresh),
            area_triggers: ctx.area_triggers.clone(),
            remote: None,
        };
        (view, ctx.store.take())
    };
    let store = match cached {
        Some(store) => store,
        None => Store::open_at(&view.db_path, &view.keys)?,
    };
    let result = f(&store, &view);
    let mut guard = CONTEXT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(ctx) = guard.as_mut()
        && ctx.db_path == view.db_path
    {
        // What was read of the testconfigs is kept for the next call.
        ctx.triggers = view.triggers;
        if ctx.store.is_none() {
            ctx.store = Some(store);
        }
    }
    result
}
