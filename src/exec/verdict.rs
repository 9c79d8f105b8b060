//! From exit codes to statuses (spec §9.6, §9.8): a step's verdict, the running verdict of a
//! test's steps, and the final status of a test its steps left running.

use crate::model::Status;

/// A step's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepVerdict {
    /// Exit 0.
    Pass,
    /// logpro 2.
    Warn,
    /// logpro 3.
    Check,
    /// logpro 4.
    Waived,
    /// logpro 5.
    Abort,
    /// logpro 6.
    Skip,
    /// Anything else.
    Fail,
}

impl StepVerdict {
    /// The verdict of exit code `code`; the logpro codes count only when logpro judged.
    pub fn of(code: i32, logpro: bool) -> StepVerdict {
        match (code, logpro) {
            (0, _) => StepVerdict::Pass,
            (2, true) => StepVerdict::Warn,
            (3, true) => StepVerdict::Check,
            (4, true) => StepVerdict::Waived,
            (5, true) => StepVerdict::Abort,
            (6, true) => StepVerdict::Skip,
            _ => StepVerdict::Fail,
        }
    }

    /// The status.
    pub fn status(self) -> Status {
        match self {
            StepVerdict::Pass => Status::Pass,
            StepVerdict::Warn => Status::Warn,
            StepVerdict::Check => Status::Check,
            StepVerdict::Waived => Status::Waived,
            StepVerdict::Abort => Status::Abort,
            StepVerdict::Skip => Status::Skip,
            StepVerdict::Fail => Status::Fail,
        }
    }

    /// The exit code that stands for this verdict.
    pub fn code(self) -> i32 {
        match self {
            StepVerdict::Pass => 0,
            StepVerdict::Fail => 1,
            StepVerdict::Warn => 2,
            StepVerdict::Check => 3,
            StepVerdict::Waived => 4,
            StepVerdict::Abort => 5,
            StepVerdict::Skip => 6,
        }
    }

    /// The comment that goes with a logpro verdict.
    pub fn comment(self) -> Option<&'static str> {
        match self {
            StepVerdict::Warn => Some("Logpro warning found"),
            StepVerdict::Check => Some("Logpro check found"),
            StepVerdict::Abort => Some("Logpro abort found"),
            StepVerdict::Skip => Some("Logpro skip found"),
            _ => None,
        }
    }

    /// The verdict so far (`self`) combined with the next step's: a pass takes the next
    /// verdict, a warning stays unless a failure follows, anything else is a failure.
    pub fn then(self, next: StepVerdict) -> StepVerdict {
        match self {
            StepVerdict::Pass => next,
            StepVerdict::Warn if next == StepVerdict::Fail => StepVerdict::Fail,
            StepVerdict::Warn => StepVerdict::Warn,
            _ => StepVerdict::Fail,
        }
    }
}

/// The status of a test its job left running, from the job's exit code and the current
/// status (an `AUTO` status set by the test is kept, spec §9.8).
pub fn final_status(code: i32, current: &Status) -> Status {
    let auto = *current == Status::Auto;
    match code {
        0 if auto => Status::Auto,
        0 => Status::Pass,
        2 if auto => Status::AutoWarn,
        2 => Status::Warn,
        3 => Status::Check,
        4 => Status::Waived,
        5 => Status::Abort,
        6 => Status::Skip,
        _ => Status::Fail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use StepVerdict::*;

    #[test]
    fn verdicts() {
        assert_eq!(
            StepVerdict::of(2, false),
            Fail,
            "exit 2 without logpro fails"
        );
        assert_eq!(StepVerdict::of(2, true), Warn);
        assert_eq!(StepVerdict::of(7, true), Fail);
        assert_eq!(Pass.then(Warn), Warn);
        assert_eq!(Warn.then(Pass), Warn);
        assert_eq!(Warn.then(Fail), Fail);
        assert_eq!(Fail.then(Pass), Fail);
        assert_eq!(Check.then(Pass), Fail);
        let status = |code, current| final_status(code, &Status::parse(current)).to_string();
        assert_eq!(status(0, "RUNNING"), "PASS");
        assert_eq!(status(0, "AUTO"), "AUTO");
        assert_eq!(status(2, "AUTO"), "AUTO-WARN");
        assert_eq!(status(9, "n/a"), "FAIL");
    }
}
