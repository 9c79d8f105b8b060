//! States (lifecycle) and statuses (verdict) of tests: the canonical lists with their ranks
//! (spec §8.1). In the database both are plain text, as in Megatest.

/// The canonical states, lowest rank first.
pub const STATES: &[&str] = &[
    "ARCHIVED",
    "STUCK",
    "KILLREQ",
    "KILLED",
    "NOT_STARTED",
    "COMPLETED",
    "LAUNCHED",
    "REMOTEHOSTSTART",
    "RUNNING",
];

/// States Megatest's code also writes (ranked 0 by the rollup).
pub const OTHER_STATES: &[&str] = &[
    "INCOMPLETE",
    "DELETED",
    "REMOVING",
    "CLEANING",
    "ARCHIVE_REMOVING",
    "FAILEDKILL",
    "UNKNOWN",
    "LOCKED",
];

/// The canonical statuses, lowest rank first (`STUCK/DEAD` shares rank 7 with `DEAD`'s
/// spelling variants).
pub const STATUSES: &[&str] = &[
    "n/a",
    "PASS",
    "SKIP",
    "WARN",
    "WAIVED",
    "CHECK",
    "STUCK/DEAD",
    "FAIL",
    "ABORT",
];

/// States in which a test is being run.
pub const RUNNING_STATES: &[&str] = &["RUNNING", "REMOTEHOSTSTART", "LAUNCHED"];

/// Whether Megatest knows this state (a canonical one or one its code writes).
pub fn is_known_state(state: &str) -> bool {
    STATES.contains(&state) || OTHER_STATES.contains(&state)
}

/// Rank of a state for the rollup; unknown states rank 0.
pub fn state_rank(state: &str) -> usize {
    STATES.iter().position(|s| *s == state).unwrap_or(0)
}

/// Rank of a status for the rollup; unknown statuses (PREQ_FAIL, AUTO, ...) rank 0.
pub fn status_rank(status: &str) -> usize {
    STATUSES
        .iter()
        .position(|s| *s == status)
        .map_or(0, |i| i + 1)
}

/// `test` or `test/itempath`.
pub fn full_test_name(test: &str, item_path: &str) -> String {
    if item_path.is_empty() {
        test.to_string()
    } else {
        format!("{test}/{item_path}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks() {
        assert_eq!(state_rank("RUNNING"), 8);
        assert_eq!(state_rank("INCOMPLETE"), 0);
        assert_eq!(status_rank("n/a"), 1);
        assert_eq!(status_rank("ABORT"), 9);
        assert_eq!(status_rank("PREQ_FAIL"), 0);
        assert!(is_known_state("KILLREQ") && !is_known_state("FINISHED"));
        assert_eq!(full_test_name("t", "a/b"), "t/a/b");
    }
}
