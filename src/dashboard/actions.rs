//! What the test panel's buttons do, through the library calls the command line uses
//! (`-set-state-status`): the writer, with the tests' and megatest.config's triggers, so
//! triggers fire and rollups happen as they would from a terminal.

use crate::area::Area;
use crate::db::Store;
use crate::error::{Error, Result};
use crate::model::{State, Status, TestId};
use crate::writer::{TriggerTable, Writer};
use serde::Deserialize;

/// A posted action.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct ActionForm {
    /// The server's token.
    #[serde(default)]
    pub(super) token: String,
    /// `set` or `kill`.
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
pub(super) fn apply(area: &Area, store: &Store, id: TestId, form: &ActionForm) -> Result<String> {
    let triggers =
        TriggerTable::reading_testconfigs(area.top.clone(), area.config.pairs("triggers"));
    let writer = Writer::new(store, &triggers);
    match form.action.as_str() {
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
