//! The toplevel record of an itemized test, computed from its items (spec §6.3).

use super::{State, Status};

/// An item's state and status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemState {
    /// The state.
    pub state: State,
    /// The status.
    pub status: Status,
}

impl ItemState {
    /// An item state from its two words.
    pub fn new(state: &str, status: &str) -> Self {
        ItemState {
            state: State::parse(state),
            status: Status::parse(status),
        }
    }
}

/// The toplevel (state, status) after `changed` got its new values, given the `others`
/// (every other item of the test).
///
/// Megatest looks for blocked items (NOT_STARTED with a status such as PREQ_FAIL) among the
/// other items only, so the result depended on which item was written last; here the changed
/// item counts too, and the same items always give the same toplevel.
pub fn rollup_toplevel(changed: &ItemState, others: &[ItemState]) -> ItemState {
    let running = others.iter().any(|o| o.state.is_running());
    let all = || std::iter::once(changed).chain(others.iter());
    let bad_not_started =
        all().any(|o| o.state == State::NotStarted && !o.status.harmless_when_not_started());
    let unfinished = all()
        .filter(|i| i.state != State::Completed)
        .max_by_key(|i| i.state.rank())
        .map(|i| i.state.clone());
    let state = if running {
        State::Running
    } else if bad_not_started {
        State::Completed
    } else {
        unfinished.clone().unwrap_or(State::Completed)
    };
    let status = if bad_not_started || (state == State::NotStarted && unfinished.is_some()) {
        Status::Check
    } else {
        all()
            .max_by_key(|i| i.status.rank())
            .map(|i| i.status.clone())
            .unwrap_or(Status::NotApplicable)
    };
    ItemState { state, status }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roll(changed: (&str, &str), others: &[(&str, &str)]) -> (String, String) {
        let others: Vec<ItemState> = others.iter().map(|(s, t)| ItemState::new(s, t)).collect();
        let r = rollup_toplevel(&ItemState::new(changed.0, changed.1), &others);
        (r.state.to_string(), r.status.to_string())
    }

    fn pair(state: &str, status: &str) -> (String, String) {
        (state.to_string(), status.to_string())
    }

    #[test]
    fn spec_examples() {
        assert_eq!(
            roll(
                ("COMPLETED", "FAIL"),
                &[("COMPLETED", "PASS"), ("COMPLETED", "PASS")]
            ),
            pair("COMPLETED", "FAIL")
        );
        assert_eq!(
            roll(
                ("COMPLETED", "PASS"),
                &[("RUNNING", "n/a"), ("COMPLETED", "PASS")]
            )
            .0,
            "RUNNING"
        );
        assert_eq!(
            roll(("COMPLETED", "WARN"), &[("COMPLETED", "PASS")]),
            pair("COMPLETED", "WARN")
        );
        assert_eq!(
            roll(("COMPLETED", "CHECK"), &[("COMPLETED", "FAIL")]),
            pair("COMPLETED", "FAIL")
        );
        assert_eq!(
            roll(
                ("COMPLETED", "PASS"),
                &[("NOT_STARTED", "PREQ_FAIL"), ("COMPLETED", "PASS")]
            ),
            pair("COMPLETED", "CHECK")
        );
        assert_eq!(
            roll(
                ("NOT_STARTED", "PREQ_FAIL"),
                &[("COMPLETED", "PASS"), ("COMPLETED", "PASS")]
            ),
            pair("COMPLETED", "CHECK"),
            "the order of the writes does not matter"
        );
    }

    #[test]
    fn unfinished_states_rank() {
        // The changed item itself running makes the toplevel RUNNING through the state ranks.
        assert_eq!(
            roll(("RUNNING", "n/a"), &[("COMPLETED", "PASS")]).0,
            "RUNNING"
        );
        assert_eq!(
            roll(("KILLED", "KILLED"), &[("COMPLETED", "PASS")]),
            pair("KILLED", "PASS")
        );
        // Items still waiting to run: NOT_STARTED with CHECK.
        assert_eq!(
            roll(("COMPLETED", "PASS"), &[("NOT_STARTED", "n/a")]),
            pair("NOT_STARTED", "CHECK")
        );
        assert_eq!(
            roll(("COMPLETED", "ABORT"), &[]),
            pair("COMPLETED", "ABORT")
        );
        assert_eq!(
            roll(("INCOMPLETE", "FAIL"), &[("COMPLETED", "PASS")]),
            pair("INCOMPLETE", "FAIL")
        );
    }
}
