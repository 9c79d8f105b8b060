//! Following the Slurm jobs of a pass: a job that ends (fails, is cancelled, times out, is
//! preempted, or finishes) while its test's record still says it runs ends the test at once,
//! rather than after `deadtime`; a kill request cancels the job (`scancel`), whether or not
//! its executor has started. Jobs an earlier runner submitted are found in `test_jobs`.

use crate::db::{RecordState, Store};
use crate::error::Result;
use crate::launch::slurm::{self, JobState, SLURM};
use crate::model::{State, Status, TestId};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// How often Slurm is asked about the jobs.
const CHECK_EVERY: Duration = Duration::from_secs(1);
/// How often, while a test stopped by a signal waits for its job's end.
const SETTLE_EVERY: Duration = Duration::from_millis(250);
/// How long a job Slurm does not list must stay unlisted before its test is ended for it
/// (a job Slurm lists as ended has no process left, so its executor wrote all it will).
const UNKNOWN_GRACE: Duration = Duration::from_secs(2);
/// How long a running executor has to carry out a kill request itself (its watch reads the
/// record every second) before its job is cancelled.
const KILL_GRACE: Duration = Duration::from_secs(10);
/// How long a test its executor ended on a signal waits for Slurm to say why.
const SETTLE_LIMIT: Duration = Duration::from_secs(60);

/// A followed job.
struct Followed {
    /// The item of the pass (test, item).
    at: (usize, usize),
    /// The Slurm job id.
    job: String,
    /// `scancel` was sent by this runner.
    cancelled: bool,
    /// When Slurm was first found not to list it.
    unknown_since: Option<Instant>,
    /// When its record was first seen in KILLREQ.
    kill_since: Option<Instant>,
    /// When its executor was first seen to have ended the test on a signal.
    signalled_since: Option<Instant>,
}

/// Which record an [`Ending`] may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Replaces {
    /// One that still says the test runs: its job ended under it.
    Running,
    /// The executor's own end on a signal (`INCOMPLETE`/`KILLED`), given Slurm's reason.
    Signalled,
}

/// A test to end (or whose end to restate) because of what happened to its job.
pub(super) struct Ending {
    /// The item of the pass.
    pub at: (usize, usize),
    /// Its record.
    pub id: TestId,
    /// The record it may change.
    pub replaces: Replaces,
    /// The final state and status.
    pub outcome: (State, Status),
    /// Why.
    pub comment: String,
}

/// Whether the executor ended the test on a signal (spec §9.2: `INCOMPLETE`/`KILLED`).
pub(super) fn signalled(record: &RecordState) -> bool {
    record.state == State::Incomplete && record.status == Status::Killed
}

/// The Slurm jobs of a pass.
#[derive(Default)]
pub(super) struct SlurmJobs {
    jobs: HashMap<TestId, Followed>,
    /// Records already looked for in `test_jobs`.
    looked_up: HashSet<TestId>,
    next_check: Option<Instant>,
    /// The last failure said (said once until it changes).
    last_error: Option<String>,
}

impl SlurmJobs {
    /// Follows the job just submitted for `id`.
    pub(super) fn follow(&mut self, at: (usize, usize), id: TestId, job: String) {
        self.looked_up.insert(id);
        self.jobs.insert(
            id,
            Followed {
                at,
                job,
                cancelled: false,
                unknown_since: None,
                kill_since: None,
                signalled_since: None,
            },
        );
        self.next_check
            .get_or_insert_with(|| Instant::now() + CHECK_EVERY);
    }

    /// Whether Slurm is due to be asked again.
    pub(super) fn due(&self, now: Instant) -> bool {
        self.next_check.is_none_or(|at| now >= at)
    }

    /// Asks Slurm again at the next look (a kill request was made).
    pub(super) fn check_soon(&mut self) {
        self.next_check = Some(Instant::now());
    }

    /// Whether a test stopped by a signal waits to learn why from its job: the pass is not
    /// over before (the record decides whether the next pass runs the test again).
    pub(super) fn settling(&self, records: &HashMap<TestId, RecordState>) -> bool {
        self.jobs
            .iter()
            .any(|(id, f)| f.signalled_since.is_some() || records.get(id).is_some_and(signalled))
    }

    /// Takes in the followed items of the pass (those the database tells of): jobs an earlier
    /// runner submitted for them are followed too.
    pub(super) fn adopt(
        &mut self,
        store: &Store,
        polled: &[((usize, usize), TestId)],
    ) -> Result<()> {
        let new: Vec<((usize, usize), TestId)> = polled
            .iter()
            .filter(|(_, id)| !self.looked_up.contains(id))
            .copied()
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        let ids: Vec<TestId> = new.iter().map(|(_, id)| *id).collect();
        self.looked_up.extend(ids.iter().copied());
        for job in store.test_jobs(&ids)? {
            if job.launcher != SLURM {
                continue;
            }
            if let Some((at, _)) = new.iter().find(|(_, id)| *id == job.test_id) {
                self.follow(*at, job.test_id, job.job);
            }
        }
        Ok(())
    }

    /// Asks Slurm about the jobs whose tests run (as `records` last saw them), or were
    /// stopped by a signal: cancels the jobs of kill requests that their executor does not
    /// carry out (not started yet, or too slow), and returns the tests to end or restate.
    pub(super) fn check(&mut self, records: &HashMap<TestId, RecordState>) -> Vec<Ending> {
        let now = Instant::now();
        self.jobs.retain(|id, f| match records.get(id) {
            Some(r) if r.state.is_active() => {
                f.signalled_since = None;
                true
            }
            Some(r) if signalled(r) => {
                now.duration_since(*f.signalled_since.get_or_insert(now)) < SETTLE_LIMIT
            }
            _ => false,
        });
        let every = if self.settling(records) {
            SETTLE_EVERY
        } else {
            CHECK_EVERY
        };
        self.next_check = Some(now + every);
        if self.jobs.is_empty() {
            return Vec::new();
        }
        let ids: Vec<String> = self.jobs.values().map(|f| f.job.clone()).collect();
        let states = match slurm::query(&ids) {
            Ok(states) => {
                self.last_error = None;
                states
            }
            Err(e) => {
                if self.last_error.as_deref() != Some(e.message.as_str()) {
                    crate::warn!("cannot follow the Slurm jobs: {}", e.message);
                    self.last_error = Some(e.message.clone());
                }
                return Vec::new();
            }
        };
        let mut endings = Vec::new();
        let mut to_cancel = Vec::new();
        let mut done = Vec::new();
        for (id, followed) in &mut self.jobs {
            let Some(record) = records.get(id) else {
                continue;
            };
            let state = states.get(&followed.job);
            if record.state == State::KillReq && !followed.cancelled {
                let waiting = state.is_none_or(JobState::pending);
                let since = *followed.kill_since.get_or_insert(now);
                if waiting || now.duration_since(since) >= KILL_GRACE {
                    to_cancel.push(*id);
                }
            }
            if state.is_some_and(|s| !s.ended()) {
                followed.unknown_since = None;
                continue;
            }
            if record.state.is_active() {
                if state.is_none() {
                    let since = *followed.unknown_since.get_or_insert(now);
                    if now.duration_since(since) < UNKNOWN_GRACE {
                        continue;
                    }
                }
                let (outcome, comment) = ending(&followed.job, state, &record.state);
                endings.push(Ending {
                    at: followed.at,
                    id: *id,
                    replaces: Replaces::Running,
                    outcome,
                    comment,
                });
            } else if let Some((outcome, comment)) =
                signalled_ending(&followed.job, state, followed.cancelled)
            {
                endings.push(Ending {
                    at: followed.at,
                    id: *id,
                    replaces: Replaces::Signalled,
                    outcome,
                    comment,
                });
            } else {
                // Nothing to say of it: the executor's end stands.
                done.push(*id);
            }
        }
        done.extend(endings.iter().map(|e| e.id));
        for id in done {
            self.jobs.remove(&id);
        }
        self.cancel(&to_cancel);
        endings
    }

    /// Cancels the jobs of these tests.
    fn cancel(&mut self, ids: &[TestId]) {
        let mut jobs = Vec::new();
        for id in ids {
            if let Some(f) = self.jobs.get_mut(id).filter(|f| !f.cancelled) {
                f.cancelled = true;
                jobs.push(f.job.clone());
            }
        }
        if jobs.is_empty() {
            return;
        }
        crate::debug!(1, "cancelling Slurm jobs {}", jobs.join(" "));
        if let Err(e) = slurm::cancel(&jobs) {
            crate::warn!("{}", e.message);
        }
        // Soon asked again: the cancelled jobs end their tests.
        self.next_check = Some(Instant::now() + SETTLE_EVERY);
    }
}

/// How a test whose job ended (or that Slurm no longer knows) ends, and why.
fn ending(job: &str, state: Option<&JobState>, record: &State) -> ((State, Status), String) {
    let Some(state) = state else {
        return (
            (State::Incomplete, Status::Dead),
            format!("Slurm no longer knows job {job}, and the test did not finish"),
        );
    };
    let said = said(state);
    if *record == State::KillReq {
        return (
            (State::Killed, Status::Killed),
            format!("Killed on request (KILLREQ): Slurm job {job} ended {said}"),
        );
    }
    // Cancelled on purpose (scancel): a kill, which the next pass does not undo.
    if state.cancelled() {
        return (
            (State::Killed, Status::Killed),
            format!("Slurm job {job} was cancelled before the test finished (scancel)"),
        );
    }
    (
        (State::Incomplete, Status::Dead),
        format!("Slurm job {job} ended {said} before the test finished; see slurm-{job}.out"),
    )
}

/// What a test its executor ended on a signal becomes once its job's end is known: a job
/// cancelled is a kill (not run again by the next pass, as an operator's `scancel` means
/// it); another end (time limit, preemption, node failure) keeps `INCOMPLETE`, which the
/// next pass runs again, and says why. `None` when Slurm says nothing more.
fn signalled_ending(
    job: &str,
    state: Option<&JobState>,
    cancelled_here: bool,
) -> Option<((State, Status), String)> {
    let state = state?;
    if state.cancelled() {
        let comment = if cancelled_here {
            format!("Killed on request (KILLREQ): Slurm job {job} was cancelled")
        } else {
            format!("Slurm job {job} was cancelled while the test ran (scancel)")
        };
        return Some(((State::Killed, Status::Killed), comment));
    }
    if state.ended_by_itself() {
        return None;
    }
    Some((
        (State::Incomplete, Status::Killed),
        format!(
            "Slurm job {job} ended {} and stopped the test; see slurm-{job}.out",
            said(state)
        ),
    ))
}

/// A job's state with its reason.
fn said(state: &JobState) -> String {
    if state.reason.is_empty() || state.reason == "None" {
        state.state.clone()
    } else {
        format!("{} ({})", state.state, state.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(state: &str, reason: &str) -> JobState {
        JobState {
            state: state.into(),
            reason: reason.into(),
        }
    }

    #[test]
    fn an_ended_job_ends_its_test_by_what_ended_it() {
        let (outcome, comment) = ending("5", Some(&job("TIMEOUT", "TimeLimit")), &State::Running);
        assert_eq!(outcome, (State::Incomplete, Status::Dead));
        assert_eq!(
            comment,
            "Slurm job 5 ended TIMEOUT (TimeLimit) before the test finished; see slurm-5.out"
        );
        let (outcome, _) = ending("5", Some(&job("CANCELLED", "None")), &State::Launched);
        assert_eq!(outcome, (State::Killed, Status::Killed));
        let (outcome, comment) = ending("5", Some(&job("CANCELLED", "None")), &State::KillReq);
        assert_eq!(outcome, (State::Killed, Status::Killed));
        assert!(comment.starts_with("Killed on request"), "{comment}");
        let (outcome, comment) = ending("5", None, &State::Running);
        assert_eq!(outcome, (State::Incomplete, Status::Dead));
        assert!(comment.contains("no longer knows"), "{comment}");
    }

    #[test]
    fn a_test_stopped_by_a_signal_is_restated_by_its_job() {
        let (outcome, comment) =
            signalled_ending("5", Some(&job("CANCELLED", "None")), false).unwrap();
        assert_eq!(outcome, (State::Killed, Status::Killed));
        assert!(comment.contains("scancel"), "{comment}");
        let (outcome, _) = signalled_ending("5", Some(&job("PREEMPTED", "None")), false).unwrap();
        assert_eq!(outcome, (State::Incomplete, Status::Killed));
        assert!(signalled_ending("5", Some(&job("COMPLETED", "None")), false).is_none());
        assert!(signalled_ending("5", None, false).is_none());
    }
}
