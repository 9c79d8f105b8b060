//! `-set-state-status STATE,STATUS`: sets every selected test of the selected runs (locked
//! runs excepted), items before their toplevel so that an explicit toplevel value wins.

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::error::{Error, Result};
use crate::model::{STATES, is_known_state};

/// Sets state and status.
pub fn run(session: &mut Session) -> Result<Flow> {
    let value = session
        .args
        .value("-set-state-status")
        .unwrap_or_default()
        .to_string();
    let Some((state, status)) = value
        .split_once(',')
        .filter(|(s, t)| !s.is_empty() && !t.is_empty() && !t.contains(','))
    else {
        return Err(Error::usage(format!(
            "-set-state-status needs STATE,STATUS, got `{value}`"
        )));
    };
    if !is_known_state(state) {
        return Err(Error::new(format!("unknown state `{state}`"))
            .note(format!("states: {}, INCOMPLETE, DELETED, REMOVING, CLEANING, ARCHIVE_REMOVING, FAILEDKILL, UNKNOWN", STATES.join(", "))));
    }
    let (runs, filter) = session.test_selection("-set-state-status")?;
    for run in session.unlocked_runs(&runs, "not changed")? {
        let store = session.store()?;
        let mut tests = store.tests_for_run(run.id(), &filter)?;
        tests.sort_by_key(|t| t.item_path().is_empty());
        for test in tests {
            store.set_state_status(test.id(), Some(state), Some(status), None)?;
        }
    }
    Ok(Flow::Continue)
}
