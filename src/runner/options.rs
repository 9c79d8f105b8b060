//! What a `-run` asks for (spec §15.3), resolved from the command line, and what one pass of
//! the dispatcher applies (spec §7.9).

use crate::area::Target;
use crate::model::{State, Status};
use crate::select::TagExpr;

/// A resolved `-run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The target.
    pub target: Target,
    /// The run name.
    pub runname: String,
    /// The test patterns (after runconfigs `TESTPATT` / `--modepatt`).
    pub testpatt: String,
    /// `-tagexpr`.
    pub tagexpr: Option<TagExpr>,
    /// `-rerun S1,S2`.
    pub rerun: Option<Vec<String>>,
    /// `-force`.
    pub force: bool,
    /// `-preclean`.
    pub preclean: bool,
    /// `-rerun-clean`.
    pub rerun_clean: bool,
    /// `-rerun-all`.
    pub rerun_all: bool,
    /// `-run-wait`.
    pub run_wait: bool,
    /// `-setvars V1=x,V2=y`.
    pub setvars: Vec<(String, String)>,
    /// `-contour`.
    pub contour: String,
    /// `-debug`, passed on to the executors.
    pub debug: Option<String>,
}

/// The re-run rules one pass applies.
#[derive(Debug, Clone, Default)]
pub struct PassRules {
    /// Statuses that run again (`-rerun`).
    pub rerun: Option<Vec<Status>>,
    /// Run whatever the record says (`-force`).
    pub force: bool,
    /// Empty the run directory before launching (`-preclean`).
    pub preclean: bool,
    /// Wait for launched tests to end before the pass ends.
    pub wait: bool,
    /// Say why a record is not started (the pass the user asked for; the automatic extra
    /// pass keeps quiet about the tests that are done).
    pub notes: bool,
}

/// Parses `-setvars V1=x,V2=y`.
pub fn parse_setvars(text: &str) -> Vec<(String, String)> {
    text.split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

/// What the re-run rules say about a record reaching the launch gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Launch it.
    Run,
    /// It is running already (an earlier runner's launch): wait for it.
    AlreadyRunning,
    /// Leave it as it is, with the reason.
    Keep(String),
}

impl PassRules {
    /// Spec §7.9: whether a record in `state`/`status` is launched.
    pub fn decide(&self, name: &str, state: &State, status: &Status) -> Decision {
        if state.is_active() {
            return Decision::AlreadyRunning;
        }
        if self.force || state.runs_again() {
            return Decision::Run;
        }
        if self
            .rerun
            .as_ref()
            .is_some_and(|r| r.iter().any(|s| s == status))
        {
            return Decision::Run;
        }
        // A finished test with an OK status is kept until `-rerun` or `-force` says otherwise.
        if *state == State::Completed || status.is_ok() {
            return Decision::Keep(format!(
                "Not starting test {name} as it is state \"{state}\" and status \"{status}\", use -rerun \"{status}\" or -force to override"
            ));
        }
        if *state == State::Killed {
            return Decision::Keep(format!(
                "Not starting test {name} as it was KILLED, use -force to override"
            ));
        }
        Decision::Keep(format!(
            "Not starting test {name}: unrecognised state {state}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl PassRules {
        fn decide_words(&self, name: &str, state: &str, status: &str) -> Decision {
            self.decide(name, &State::parse(state), &Status::parse(status))
        }
    }

    #[test]
    fn rerun_rules() {
        let plain = PassRules::default();
        assert_eq!(plain.decide_words("t", "NOT_STARTED", "n/a"), Decision::Run);
        assert_eq!(plain.decide_words("t", "INCOMPLETE", "DEAD"), Decision::Run);
        assert!(matches!(
            plain.decide_words("t", "COMPLETED", "PASS"),
            Decision::Keep(_)
        ));
        assert!(matches!(
            plain.decide_words("t", "COMPLETED", "FAIL"),
            Decision::Keep(_)
        ));
        assert!(matches!(
            plain.decide_words("t", "KILLED", "KILLED"),
            Decision::Keep(_)
        ));
        assert_eq!(
            plain.decide_words("t", "RUNNING", "n/a"),
            Decision::AlreadyRunning
        );
        let rerun = PassRules {
            rerun: Some(vec![Status::Fail]),
            ..PassRules::default()
        };
        assert_eq!(rerun.decide_words("t", "COMPLETED", "FAIL"), Decision::Run);
        assert!(matches!(
            rerun.decide_words("t", "COMPLETED", "PASS"),
            Decision::Keep(_)
        ));
        let force = PassRules {
            force: true,
            ..PassRules::default()
        };
        assert_eq!(force.decide_words("t", "COMPLETED", "PASS"), Decision::Run);
        assert_eq!(
            force.decide_words("t", "RUNNING", "n/a"),
            Decision::AlreadyRunning
        );
        assert_eq!(
            parse_setvars("A=1,B=x=y,=z"),
            vec![("A".into(), "1".into()), ("B".into(), "x=y".into())]
        );
    }
}
