//! A test's status (its verdict, spec §8.1): the words Megatest writes, their ranks, and which
//! of them count as a pass for those waiting on the test.

use super::spelled::spelled_enum;

spelled_enum! {
    /// The status of a test record.
    Status {
        /// No verdict (yet).
        NotApplicable = "n/a",
        /// Passed.
        Pass = "PASS",
        /// Skipped (`[skip]`, logpro 6).
        Skip = "SKIP",
        /// Passed with warnings.
        Warn = "WARN",
        /// Failed, waived.
        Waived = "WAIVED",
        /// Needs a look.
        Check = "CHECK",
        /// Found hung.
        StuckDead = "STUCK/DEAD",
        /// Failed.
        Fail = "FAIL",
        /// Aborted.
        Abort = "ABORT",
        /// Its executor died.
        Dead = "DEAD",
        /// A waiton failed.
        PreqFail = "PREQ_FAIL",
        /// A waiton never ran.
        PreqDiscarded = "PREQ_DISCARDED",
        /// Its item list came out empty.
        ZeroItems = "ZERO_ITEMS",
        /// Killed.
        Killed = "KILLED",
        /// A kill that did not work.
        FailedToKill = "FAILED TO KILL",
        /// Set by the test: the status comes from its data (spec §9.8).
        Auto = "AUTO",
        /// `AUTO` with warnings.
        AutoWarn = "AUTO-WARN",
        /// Locked for removal.
        Locked = "LOCKED",
    }
}

impl Status {
    /// The canonical statuses, lowest rank first (`STUCK/DEAD` stands for every spelling of
    /// a dead test).
    pub const RANKED: &'static [Status] = &[
        Status::NotApplicable,
        Status::Pass,
        Status::Skip,
        Status::Warn,
        Status::Waived,
        Status::Check,
        Status::StuckDead,
        Status::Fail,
        Status::Abort,
    ];

    /// Rank for the rollup: one more than the position in [`Status::RANKED`]; other statuses
    /// (`PREQ_FAIL`, `AUTO`, ...) rank 0.
    pub fn rank(&self) -> usize {
        Status::RANKED
            .iter()
            .position(|s| s == self)
            .map_or(0, |i| i + 1)
    }

    /// Whether a completed test with this status satisfies a normal waiton, and keeps its
    /// result without `-rerun` (`PASS`, `WARN`, `CHECK`, `WAIVED`, `SKIP`).
    pub fn is_ok(&self) -> bool {
        matches!(
            self,
            Status::Pass | Status::Warn | Status::Check | Status::Waived | Status::Skip
        )
    }

    /// Whether a `NOT_STARTED` item with this status is merely waiting; any other status
    /// (`PREQ_FAIL`, ...) means it was blocked, which makes its toplevel `CHECK`.
    pub fn harmless_when_not_started(&self) -> bool {
        match self {
            Status::NotApplicable
            | Status::Pass
            | Status::Fail
            | Status::Warn
            | Status::Check
            | Status::Waived
            | Status::Dead
            | Status::Skip => true,
            // An old spelling of n/a.
            Status::Other(text) => text == "na",
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for status in Status::KNOWN {
            assert_eq!(&Status::parse(status.as_str()), status);
        }
        assert_eq!(Status::parse("pass"), Status::Other("pass".into()));
    }

    #[test]
    fn ranks() {
        assert_eq!(Status::NotApplicable.rank(), 1);
        assert_eq!(Status::Abort.rank(), 9);
        assert_eq!(Status::PreqFail.rank(), 0);
        assert!(Status::parse("na").harmless_when_not_started());
        assert!(!Status::PreqFail.harmless_when_not_started());
    }
}
