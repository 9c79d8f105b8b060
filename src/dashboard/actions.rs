//! What the test panel's buttons do, through the library calls the command line uses: the
//! writer for `-set-state-status` and kill (with the tests' and megatest.config's triggers,
//! so triggers fire and rollups happen as from a terminal), the removal of `-remove-runs`
//! for clean, the run lock of `-lock`/`-unlock`, and a `megatest -run -rerun-all` (through
//! Run Control) for re-run.

use super::control::{Control, StartForm};
use crate::area::Area;
use crate::db::{Store, TestFilter};
use crate::error::{Error, Result};
use crate::model::{State, Status, TestId};
use crate::runner::removal::{RemoveOptions, Roots, remove_test};
use crate::writer::{TriggerTable, Writer};
use serde::Deserialize;

/// A posted action.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct ActionForm {
    /// The server's token.
    #[serde(default)]
    pub(super) token: String,
    /// `set`, `kill`, `rerun`, `clean`, `lock` or `unlock`.
    pub(super) action: String,
    /// For `set`: the new state.
    #[serde(default)]
    pub(super) state: String,
    /// For `set`: the new status.
    #[serde(default)]
    pub(super) status: String,
    /// For `set`: the comment (kept when empty).
    #[serde(default)]
    pub(super) comment: String,
}

/// Carries out `form` on test `id`; what was done, for the reply.
pub(super) fn apply(
    area: &Area,
    store: &Store,
    roots: &Roots,
    control: &Control,
    id: TestId,
    form: &ActionForm,
) -> Result<String> {
    let triggers =
        TriggerTable::reading_testconfigs(area.top.clone(), area.config.pairs("triggers"));
    let writer = Writer::new(store, &triggers);
    let test = store
        .test(id)?
        .ok_or_else(|| Error::usage(format!("no test record {id}")))?;
    let run = store
        .run(test.run_id())?
        .ok_or_else(|| Error::usage(format!("no run record {}", test.run_id())))?;
    let name = crate::model::full_test_name(&test.testname(), &test.item_path());
    // As on the command line, a locked run is left alone (but for unlocking it).
    if run.state() == "locked" && !matches!(form.action.as_str(), "lock" | "unlock") {
        return Err(Error::usage(format!(
            "run {}/{} is locked: unlock it first",
            run.target(),
            run.runname()
        )));
    }
    match form.action.as_str() {
        "rerun" => {
            // Named by a test pattern: a name holding pattern characters would select more.
            if name.chars().any(|c| ",%*?[]()|\\^$+{}".contains(c)) {
                return Err(Error::usage(format!(
                    "`{name}` holds test-pattern characters; re-run it with -run -testpatt"
                )));
            }
            let pid = control.start(
                area,
                &StartForm {
                    token: String::new(),
                    target: run.target(),
                    runname: run.runname(),
                    testpatt: name,
                    rerun: "rerun-all".to_string(),
                },
            )?;
            Ok(format!("re-run started (pid {pid})"))
        }
        "clean" => {
            if let Some(owner) = crate::runner::live_owner(store, run.id())? {
                return Err(Error::usage(format!(
                    "run {}/{} is being run by {}; stop it first",
                    run.target(),
                    run.runname(),
                    crate::runner::describe_owner(&owner)
                )));
            }
            // The record, and for a test its items first: chosen by id, not by pattern.
            let mut chosen: Vec<_> = store
                .tests_for_run(run.id(), &TestFilter::default())?
                .into_iter()
                .filter(|t| {
                    t.id() == id
                        || (test.item_path().is_empty()
                            && t.testname() == test.testname()
                            && !t.item_path().is_empty())
                })
                .collect();
            chosen.sort_by_key(|t| t.item_path().is_empty());
            for t in &chosen {
                remove_test(store, &run, t, RemoveOptions::default(), roots, &triggers)?;
            }
            Ok(format!("removed {}", chosen.len()))
        }
        "lock" | "unlock" => {
            let lock = form.action == "lock";
            store.set_run_lock(run.id(), lock, &crate::environ::user_name())?;
            Ok(format!("run {}", if lock { "locked" } else { "unlocked" }))
        }
        "set" => {
            let state = State::parse(form.state.trim());
            let status = Status::parse(form.status.trim());
            if !state.is_known() || state == State::Locked {
                return Err(Error::usage(format!(
                    "unknown state `{}`",
                    form.state.trim()
                )));
            }
            if form.status.trim().is_empty() {
                return Err(Error::usage("a status is needed"));
            }
            let comment = Some(form.comment.trim()).filter(|c| !c.is_empty());
            writer.set_state_status(id, Some(&state), Some(&status), comment)?;
            Ok(format!("set to {state} {status}"))
        }
        "kill" => {
            let set = writer.set_state_status_if_in(
                id,
                State::KILLABLE,
                Some(&State::KillReq),
                Some(&Status::NotApplicable),
            )?;
            Ok(match set {
                Some(_) => "kill requested (KILLREQ)".to_string(),
                None => "the test has finished: nothing to kill".to_string(),
            })
        }
        other => Err(Error::usage(format!("unknown action `{other}`"))),
    }
}
