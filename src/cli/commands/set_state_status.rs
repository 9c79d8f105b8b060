//! `-set-state-status STATE,STATUS`: sets every selected test of the selected runs (locked
//! runs excepted), items before their toplevel so that an explicit toplevel value wins.

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::db::TestRecord;
use crate::error::{Error, Result};
use crate::model::{State, Status};
use crate::runner::nested::NestedRun;
use crate::writer::{TriggerTable, Writer};

/// Sets state and status.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
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
    let (state, status) = (State::parse(state), Status::parse(status));
    if !state.is_known() {
        let known: Vec<&str> = State::KNOWN
            .iter()
            .filter(|s| **s != State::Locked)
            .map(State::as_str)
            .collect();
        return Err(Error::new(format!("unknown state `{state}`"))
            .note(format!("states: {}", known.join(", "))));
    }
    let (runs, filter) = session.test_selection("-set-state-status")?;
    let mut finished = 0;
    let mut nested_failed = 0;
    // A nested run gets this command's filters too, as in 1.65.
    let mut filters = Vec::new();
    for option in ["-state", "-status"] {
        if let Some(given) = session.args.value(option) {
            filters.extend([option.to_string(), given.to_string()]);
        }
    }
    // The writes fire the tests' `[triggers]`, read from their testconfigs.
    let triggers = TriggerTable::reading_testconfigs(
        session.area()?.top.clone(),
        session.area()?.config.pairs("triggers"),
    );
    for run in session.unlocked_runs(&runs, "not changed")? {
        let store = session.store()?;
        let writer = Writer::new(store, &triggers);
        let mut tests = store.tests_for_run(run.id(), &filter)?;
        tests.sort_by_key(|t| t.item_path().is_empty());
        for test in tests {
            // A kill request is for tests that have not finished: a finished record keeps
            // its result (the runner would otherwise take it for a lost test).
            if state == State::KillReq {
                // Decided in the write itself: a test may finish meanwhile.
                let set = writer.set_state_status_if_in(
                    test.id(),
                    State::KILLABLE,
                    Some(&state),
                    Some(&status),
                )?;
                finished += usize::from(set.is_none());
                continue;
            }
            writer.set_state_status(test.id(), Some(&state), Some(&status), None)?;
            nested_failed += usize::from(!set_in_nested_run(&test, &value, &filters));
        }
    }
    if finished > 0 {
        crate::output::log::emit(format_args!(
            "NOTE: {finished} finished test{} left as {} (KILLREQ is for tests not finished)",
            if finished == 1 { "" } else { "s" },
            if finished == 1 { "it is" } else { "they are" }
        ));
    }
    if nested_failed > 0 {
        return Err(Error::new(format!(
            "{nested_failed} nested run{} not changed (see above)",
            if nested_failed == 1 { " was" } else { "s were" }
        )));
    }
    Ok(Flow::Continue)
}

/// Sets the state of the nested run of `test`'s `[subrun]`, when it has one, as 1.65 does:
/// the same `-set-state-status`, with this command's `-state` and `-status`; false when that
/// fails (said on stderr).
fn set_in_nested_run(test: &TestRecord, value: &str, filters: &[String]) -> bool {
    let dir = std::path::PathBuf::from(test.rundir());
    let Some(nested) = NestedRun::recorded(&dir) else {
        return true;
    };
    let mut action = vec!["-set-state-status", value];
    action.extend(filters.iter().map(String::as_str));
    match nested.operate(&dir, &action, "set-state-status") {
        Ok(()) => true,
        Err(e) => {
            crate::output::log::emit(format_args!("{}", crate::error::render(&e).trim_end()));
            false
        }
    }
}
