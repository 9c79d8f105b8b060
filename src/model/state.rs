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

/// States in which a test is being run: they hold a job slot (`max_concurrent_jobs`).
pub const RUNNING_STATES: &[&str] = &["RUNNING", "REMOTEHOSTSTART", "LAUNCHED"];

/// [`RUNNING_STATES`] as an SQL list, for `state IN ...` (a test keeps the two equal).
pub const RUNNING_STATES_SQL: &str = "('RUNNING','REMOTEHOSTSTART','LAUNCHED')";

/// States in which a test has an executor, or had one asked to stop: the runner waits for
/// these (the running states and `KILLREQ`).
pub const ACTIVE_STATES: &[&str] = &["RUNNING", "REMOTEHOSTSTART", "LAUNCHED", "KILLREQ"];

/// Whether a test in `state` is being run (see [`RUNNING_STATES`]).
pub fn is_running(state: &str) -> bool {
    RUNNING_STATES.contains(&state)
}

/// Whether a test in `state` has, or had until asked to stop, an executor (see
/// [`ACTIVE_STATES`]).
pub fn is_active(state: &str) -> bool {
    ACTIVE_STATES.contains(&state)
}

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
    fn the_sql_list_of_running_states_is_the_running_states() {
        let quoted: Vec<String> = RUNNING_STATES.iter().map(|s| format!("'{s}'")).collect();
        assert_eq!(RUNNING_STATES_SQL, format!("({})", quoted.join(",")));
        assert!(RUNNING_STATES.iter().all(|s| is_active(s)));
    }

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
