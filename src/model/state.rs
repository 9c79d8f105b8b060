//! A test's state (its lifecycle, spec §8.1): the words Megatest writes, their ranks, and the
//! one definition of which states run. In the database it is plain text, as in Megatest.

use super::spelled::spelled_enum;

spelled_enum! {
    /// The state of a test record.
    State {
        /// Archived.
        Archived = "ARCHIVED",
        /// Found hung.
        Stuck = "STUCK",
        /// An operator asked for it to be killed.
        KillReq = "KILLREQ",
        /// Killed.
        Killed = "KILLED",
        /// Registered, not launched (yet).
        NotStarted = "NOT_STARTED",
        /// Ran to its end.
        Completed = "COMPLETED",
        /// Handed to the launcher.
        Launched = "LAUNCHED",
        /// Its executor started on a host.
        RemoteHostStart = "REMOTEHOSTSTART",
        /// Its steps run.
        Running = "RUNNING",
        /// Ended without a verdict of its own (dead, launch failed).
        Incomplete = "INCOMPLETE",
        /// Removed (`-remove-runs`).
        Deleted = "DELETED",
        /// Being removed.
        Removing = "REMOVING",
        /// Being cleaned.
        Cleaning = "CLEANING",
        /// Its archive being removed.
        ArchiveRemoving = "ARCHIVE_REMOVING",
        /// A kill that did not work.
        FailedKill = "FAILEDKILL",
        /// Unknown to Megatest's own code.
        Unknown = "UNKNOWN",
        /// Locked.
        Locked = "LOCKED",
    }
}

impl State {
    /// The canonical states, lowest rank first (the rollup ranks by this order).
    pub const RANKED: &'static [State] = &[
        State::Archived,
        State::Stuck,
        State::KillReq,
        State::Killed,
        State::NotStarted,
        State::Completed,
        State::Launched,
        State::RemoteHostStart,
        State::Running,
    ];

    /// States in which a test is being run: they hold a job slot (`max_concurrent_jobs`).
    pub const RUNNING: &'static [State] =
        &[State::Running, State::RemoteHostStart, State::Launched];

    /// States a kill request applies to: running, or not started yet (a finished record keeps
    /// its result).
    pub const KILLABLE: &'static [State] = &[
        State::Launched,
        State::RemoteHostStart,
        State::Running,
        State::NotStarted,
        State::KillReq,
    ];

    /// States in which a test has an executor, or had one asked to stop: the runner waits for
    /// these (the running states and `KILLREQ`).
    pub const ACTIVE: &'static [State] = &[
        State::Running,
        State::RemoteHostStart,
        State::Launched,
        State::KillReq,
    ];

    /// Rank for the rollup: the position in [`State::RANKED`]; other states rank 0.
    pub fn rank(&self) -> usize {
        State::RANKED.iter().position(|s| s == self).unwrap_or(0)
    }

    /// Whether a test in this state is being run (see [`State::RUNNING`]).
    pub fn is_running(&self) -> bool {
        State::RUNNING.contains(self)
    }

    /// Whether a test in this state has, or had until asked to stop, an executor (see
    /// [`State::ACTIVE`]).
    pub fn is_active(&self) -> bool {
        State::ACTIVE.contains(self)
    }

    /// Whether the test has ended, well or badly (`COMPLETED`, `INCOMPLETE`, `KILLED`).
    pub fn has_ended(&self) -> bool {
        matches!(self, State::Completed | State::Incomplete | State::Killed)
    }

    /// Whether the test ran (or started) in an earlier pass but has no verdict worth keeping:
    /// it is run again without `-rerun` (`NOT_STARTED`, `DELETED`, `INCOMPLETE`).
    pub fn runs_again(&self) -> bool {
        matches!(self, State::NotStarted | State::Deleted | State::Incomplete)
    }

    /// Whether the record is on its way out or being stopped, so no executor may take it
    /// (`REMOVING`, `DELETED`, `KILLREQ`, `KILLED`).
    pub fn refuses_start(&self) -> bool {
        matches!(
            self,
            State::Removing | State::Deleted | State::KillReq | State::Killed
        )
    }
}

/// `states` as an SQL list for `state IN ...`, e.g. `('RUNNING','LAUNCHED')` (known words
/// only hold letters and `_`, so they need no escaping).
pub fn sql_list(states: &[State]) -> String {
    let quoted: Vec<String> = states.iter().map(|s| format!("'{s}'")).collect();
    format!("({})", quoted.join(","))
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
    fn words_round_trip_and_others_are_kept() {
        for state in State::KNOWN {
            assert_eq!(&State::parse(state.as_str()), state);
        }
        assert_eq!(State::parse("FINISHED"), State::Other("FINISHED".into()));
        assert_eq!(State::from("running".to_string()).to_string(), "running");
        assert!(
            !State::parse("running").is_running(),
            "case matters, as in Megatest"
        );
    }

    #[test]
    fn ranks_and_running_states() {
        assert_eq!(State::Running.rank(), 8);
        assert_eq!(State::Incomplete.rank(), 0);
        assert_eq!(State::Other("X".into()).rank(), 0);
        assert!(State::RUNNING.iter().all(State::is_active));
        assert!(State::KillReq.is_active() && !State::KillReq.is_running());
        assert_eq!(
            sql_list(State::RUNNING),
            "('RUNNING','REMOTEHOSTSTART','LAUNCHED')"
        );
        assert_eq!(full_test_name("t", "a/b"), "t/a/b");
    }
}
