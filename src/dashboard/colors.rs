//! Megatest's dashboard colours for a record (1.65's `gutils:get-color-for-state-status`),
//! and the word a cell shows: the status of a finished test, else its state. (1.65 also
//! colours a `CHECK` or `STARTED` state, which this version never writes.) A matrix cell
//! carries its colour as a short class ([`class_of`]), defined once in [`style_rules`]: a
//! page of 100,000 cells stays small.

use crate::model::{State, Status};

/// Yellow, 1.65's colour for SKIP.
const SKIP: &str = "rgb(230,230,0)";

/// The cell's colour (CSS `rgb(...)`) and label for `state`/`status` as stored.
pub(super) fn cell(state: &str, status: &str) -> (&'static str, String) {
    let (state_word, status_word) = (state, status);
    let (state, status) = (State::parse(state), Status::parse(status));
    let finished = |pass, warn, other| match status {
        Status::Pass => pass,
        Status::Warn | Status::Waived => warn,
        Status::Skip => SKIP,
        _ => other,
    };
    let (rgb, show_status) = match state {
        State::Completed => (
            match status {
                Status::PreqFail | Status::PreqDiscarded => "rgb(255,127,127)",
                Status::Abort => "rgb(198,36,166)",
                _ => finished("rgb(70,249,73)", "rgb(255,172,13)", "rgb(253,33,49)"),
            },
            true,
        ),
        State::Archived => (
            finished("rgb(70,170,73)", "rgb(200,130,13)", "rgb(180,33,49)"),
            true,
        ),
        State::Launched => ("rgb(101,123,142)", false),
        State::RemoteHostStart => ("rgb(50,130,195)", false),
        State::Running => ("rgb(9,131,232)", false),
        State::KillReq => ("rgb(39,82,206)", false),
        State::Killed => ("rgb(234,101,17)", false),
        State::NotStarted => (
            if status == Status::Check {
                SKIP
            } else {
                "rgb(240,240,240)"
            },
            false,
        ),
        _ => ("rgb(192,192,192)", false),
    };
    let label = if show_status { status_word } else { state_word };
    (rgb, label.to_string())
}

/// Every colour a cell can have, in a fixed order (a cell's class is `kN`).
const PALETTE: [&str; 17] = [
    "rgb(70,249,73)",
    "rgb(255,127,127)",
    "rgb(255,172,13)",
    "rgb(230,230,0)",
    "rgb(198,36,166)",
    "rgb(253,33,49)",
    "rgb(70,170,73)",
    "rgb(200,130,13)",
    "rgb(180,33,49)",
    "rgb(101,123,142)",
    "rgb(50,130,195)",
    "rgb(9,131,232)",
    "rgb(39,82,206)",
    "rgb(234,101,17)",
    "rgb(240,240,240)",
    "rgb(192,192,192)",
    "rgb(255,100,50)",
];

/// The class of a cell coloured `rgb` (one of [`cell`]'s colours).
pub(super) fn class_of(rgb: &str) -> String {
    let index = PALETTE.iter().position(|c| *c == rgb).unwrap_or(15);
    format!("k{index}")
}

/// The style rules of the cell classes.
pub(super) fn style_rules() -> String {
    PALETTE
        .iter()
        .enumerate()
        .map(|(i, c)| format!("td.k{i}{{background:{c}}}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_tests_show_their_status_others_their_state() {
        let pass = Status::Pass.as_str();
        assert_eq!(
            cell(State::Completed.as_str(), pass),
            ("rgb(70,249,73)", pass.to_string())
        );
        let running = State::Running.as_str();
        assert_eq!(
            cell(running, "n/a"),
            ("rgb(9,131,232)", running.to_string())
        );
        assert_eq!(
            cell(State::NotStarted.as_str(), Status::PreqFail.as_str()).1,
            State::NotStarted.as_str()
        );
        assert_eq!(class_of("rgb(9,131,232)"), "k11");
        assert!(style_rules().contains("td.k11{background:rgb(9,131,232)}"));
    }
}
