//! A UTAH run as Megatest records it (spec utah.md Appendix A): the run is a run of the area,
//! each suite a test whose items are its cases (`CASE`, or `CASE/N` for repetition N when
//! the runlist repeats), each command a step with its log. A case's status is PASS, FAIL or
//! ABORT (UTAH's ERROR); a case its suite never reached is NOT_STARTED/PREQ_FAIL; a suite
//! whose own commands failed ends COMPLETED/ABORT.

use super::engine::{CaseRef, Observer, Verdict};
use super::report::{CmdType, Entry};
use crate::db::Store;
use crate::error::Result;
use crate::model::{RunId, State, Status, TestId};
use crate::writer::{TriggerTable, Writer};
use rusqlite::types::Value;
use std::collections::HashMap;
use std::path::Path;

/// Records into the run `run_id` of `store`.
pub struct Recording<'s> {
    store: &'s Store,
    triggers: TriggerTable,
    run_id: RunId,
    /// Each suite's toplevel record, and whether a suite command failed.
    suites: HashMap<String, (TestId, bool)>,
    /// The case being run, its start, and its steps (written with its end).
    case: Option<(TestId, std::time::Instant, Vec<Step>)>,
}

struct Step {
    name: String,
    status: String,
    log: String,
}

impl<'s> Recording<'s> {
    /// Records into `run_id`; `triggers` are the area's.
    pub fn new(store: &'s Store, run_id: RunId, triggers: TriggerTable) -> Recording<'s> {
        Recording {
            store,
            triggers,
            run_id,
            suites: HashMap::new(),
            case: None,
        }
    }

    fn writer(&self) -> Writer<'_> {
        Writer::new(self.store, &self.triggers)
    }

    fn item(case: &CaseRef<'_>) -> String {
        match case.repetition {
            Some(n) => format!("{}/{}", case.case, n + 1),
            None => case.case.to_string(),
        }
    }

    fn register(&self, suite: &str, item: &str, dir: &Path) -> Result<TestId> {
        let id = self.store.register_test(self.run_id, suite, item)?;
        let dir = Value::Text(dir.display().to_string());
        self.store
            .set_test_fields(id, &[("rundir", dir.clone()), ("shortdir", dir)])?;
        Ok(id)
    }

    /// Whether the suite has case records in the run.
    fn has_cases(&self, suite: &str) -> Result<bool> {
        Ok(self
            .store
            .tests_for_run(self.run_id, &crate::db::TestFilter::default())?
            .iter()
            .any(|t| t.testname() == suite && !t.item_path().is_empty()))
    }

    fn set(&self, id: TestId, state: State, status: Status, comment: &str) -> Result<()> {
        self.writer()
            .set_state_status(id, Some(&state), Some(&status), Some(comment))?;
        Ok(())
    }
}

/// Writes the command's log: its command line, output, error output and exit.
fn write_log(path: &Path, entry: &Entry) -> String {
    let text = format!(
        "$ {}\n--- stdout ---\n{}--- stderr ---\n{}--- exit {} after {} (started {}, as {}) ---\n",
        entry.command,
        with_newline(&entry.stdout),
        with_newline(&entry.stderr),
        entry.returncode,
        entry.time_delta,
        entry.start_time,
        entry.user
    );
    if let Err(e) = std::fs::write(path, text) {
        crate::warn!(
            "cannot write the log {}: {}",
            path.display(),
            crate::sys::io_reason(&e)
        );
    }
    path.display().to_string()
}

fn with_newline(text: &str) -> String {
    if text.is_empty() || text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n")
    }
}

impl Observer for Recording<'_> {
    fn suite_started(&mut self, suite: &str, dir: &Path) -> Result<()> {
        let id = match self.suites.get(suite) {
            Some((id, _)) => *id,
            None => self.store.batch(|| self.register(suite, "", dir))??,
        };
        self.suites.insert(suite.to_string(), (id, false));
        // A suite with cases already (run again, or going on after a reboot) shows the
        // rollup of its cases, which the next case's start makes RUNNING again.
        if self.has_cases(suite)? {
            return Ok(());
        }
        self.set(id, State::Running, Status::NotApplicable, "")
    }

    fn case_started(&mut self, case: &CaseRef<'_>, dir: &Path) -> Result<()> {
        let item = Recording::item(case);
        let id = self.store.batch(|| -> Result<TestId> {
            let id = self.register(case.suite, &item, dir)?;
            self.set(id, State::Running, Status::NotApplicable, "")?;
            Ok(id)
        })??;
        self.case = Some((id, std::time::Instant::now(), Vec::new()));
        Ok(())
    }

    fn command_done(
        &mut self,
        case: Option<&CaseRef<'_>>,
        entry: &Entry,
        dir: &Path,
    ) -> Result<()> {
        let step = entry.cmd_type.step_name();
        let log_name = match case.and_then(|c| c.repetition) {
            Some(n) => format!("{step}.{}.log", n + 1),
            None if entry.cmd_type == CmdType::SuiteFetch => {
                format!("{}.{step}.log", entry.testsuite)
            }
            None => format!("{step}.log"),
        };
        let log = write_log(&dir.join(log_name), entry);
        let status = entry.returncode.to_string();
        match (&mut self.case, case) {
            (Some((_, _, steps)), Some(_)) => steps.push(Step {
                name: step.to_string(),
                status,
                log,
            }),
            _ => {
                let Some((id, failed)) = self.suites.get_mut(&entry.testsuite) else {
                    return Ok(());
                };
                *failed |= entry.returncode != 0;
                let id = *id;
                self.store.batch(|| -> Result<()> {
                    self.store.set_step(id, step, "start", "-", "", "")?;
                    self.store.set_step(id, step, "end", &status, "", &log)
                })??;
            }
        }
        Ok(())
    }

    fn case_ended(&mut self, _case: &CaseRef<'_>, verdict: Verdict, comment: &str) -> Result<()> {
        let Some((id, started, steps)) = self.case.take() else {
            return Ok(());
        };
        let (state, status) = match verdict {
            Verdict::Pass => (State::Completed, Status::Pass),
            Verdict::Fail => (State::Completed, Status::Fail),
            Verdict::Error => (State::Completed, Status::Abort),
            Verdict::Killed => (State::Killed, Status::Killed),
        };
        self.store.batch(|| -> Result<()> {
            for step in &steps {
                self.store.set_step(id, &step.name, "start", "-", "", "")?;
                self.store
                    .set_step(id, &step.name, "end", &step.status, "", &step.log)?;
            }
            self.store
                .set_run_duration(id, started.elapsed().as_secs() as i64)?;
            self.set(id, state, status, comment)
        })?
    }

    fn case_not_run(&mut self, case: &CaseRef<'_>, why: &str) -> Result<()> {
        let item = Recording::item(case);
        let Some((suite_id, _)) = self.suites.get(case.suite) else {
            return Ok(());
        };
        let dir = self
            .store
            .test(*suite_id)?
            .map(|t| std::path::PathBuf::from(t.rundir()).join(case.case))
            .unwrap_or_default();
        self.store.batch(|| -> Result<()> {
            let id = self.register(case.suite, &item, &dir)?;
            self.set(id, State::NotStarted, Status::PreqFail, why)
        })?
    }

    fn suite_ended(&mut self, suite: &str) -> Result<()> {
        let Some(&(id, failed)) = self.suites.get(suite) else {
            return Ok(());
        };
        if failed {
            return self.set(
                id,
                State::Completed,
                Status::Abort,
                "UTAH ERROR: a suite command failed (see its ts_ steps)",
            );
        }
        // A suite with no cases: its own commands passed.
        if !self.has_cases(suite)? {
            return self.set(id, State::Completed, Status::Pass, "");
        }
        Ok(())
    }
}
