//! `megatest -execute JOBFILE` (spec §9.2): start the test, set up its directory and
//! environment, run its job under the monitor, settle its final state, write its pages.

use super::environment;
use super::monitor::{KillReason, Monitor, Watch};
use super::steps::run_job;
use super::supervisor::Supervisor;
use super::verdict::final_status;
use crate::error::{Error, Result};
use crate::launch::JobFile;
use crate::model::{State, Status};
use crate::recorder::Recorder;
use crate::sys;
use crate::writer::{Start, TriggerTable, Writer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Exit code when the job did not end normally (spec §9.2 step 16).
const ABNORMAL: i32 = 4;

/// Runs the test described by the job file; returns the executor's exit code.
pub fn execute(job_path: &Path) -> Result<i32> {
    let file = JobFile::read(job_path)?;
    sys::catch_interrupts();
    let interrupts_before = sys::interrupts();
    let job = &file.job;
    let recorder = Recorder::open(&file)?;
    // The rmt procedures of Scheme triggers read the database on its host, and go through
    // the server elsewhere.
    match recorder.remote() {
        None => crate::api::install_at(&job.toppath, &file.job.db_path, file.job.keys.clone()),
        Some(server) => crate::api::install_remote(
            &job.toppath,
            &job.db_path,
            Box::new(crate::recorder::ServerApi::new(
                server.clone(),
                job.db_path.clone(),
                job.keys.clone(),
            )),
        ),
    }
    crate::api::share_triggers(&job.test_name, job.triggers.clone());
    let triggers = TriggerTable::of_test(&job.test_name, job.triggers.clone());
    let writer = Writer::new(&recorder, &triggers);
    // Without a runscript the first step begins the job: its start record goes with ours.
    let first_step = match &file.runscript {
        None => file.steps.first().map(|s| s.name.as_str()),
        Some(_) => None,
    };
    let running = match writer.start_test(
        job.test_id,
        &sys::host_name(),
        &sys::uname_text(),
        std::process::id(),
        first_step,
    )? {
        Start::Missing => {
            return Err(Error::new(format!(
                "test {} (id {}) is not in `{}`",
                job.test_name,
                job.test_id,
                file.job.db_path.display()
            )));
        }
        Start::Refused(State::KillReq) => {
            writer.set_test_status(
                job,
                Some(&State::Killed),
                Some(&Status::Killed),
                Some("Kill requested before the test started"),
            )?;
            return Ok(0);
        }
        Start::Refused(state) => {
            return Err(Error::new(format!(
                "test {} is {state} (removed or killed meanwhile); not starting it",
                job.test_name
            )));
        }
        Start::Started(running) => running,
    };
    let work = &job.work_area;
    std::fs::create_dir_all(work)
        .and_then(|()| std::env::set_current_dir(work))
        .map_err(|e| {
            Error::new(format!(
                "cannot enter the run directory `{}`: {e}",
                work.display()
            ))
        })?;
    let megatest = executable(&job.megatest);
    environment::prepare(&file, &megatest)?;
    environment::write_env_files(work)?;

    let supervisor = Arc::new(Supervisor::default());
    let monitor = Monitor::start(
        Watch {
            db: (file.job.db_path.clone(), file.job.keys.clone()),
            remote: recorder.remote().cloned(),
            test_id: job.test_id,
            runtimelim: file.runtimelim,
            work_area: work.clone(),
            interrupts_before,
        },
        supervisor.clone(),
    );
    let started = std::time::Instant::now();
    let outcome = run_job(
        &writer,
        &recorder,
        &file,
        &supervisor,
        running,
        first_step.is_some(),
    );
    let (killed, clean) = monitor.finish();
    // The heartbeat comes every few seconds and not in the first: the run time is written
    // once more as the job ends (a test of under a second keeps 0, with no extra write).
    let seconds = started.elapsed().as_secs() as i64;
    if seconds > 0
        && let Err(e) = recorder.set_run_duration(job.test_id, seconds)
    {
        crate::debug!(1, "cannot record the run time of {}: {e}", job.test_name);
    }
    // The watch is over: a write from here on is the test's last, with its summary page.
    let exit = match killed {
        Some(KillReason::Signal(signal)) => {
            let comment = format!("The executor received signal {signal}");
            writer.set_last_test_status(
                job,
                Some(&State::Incomplete),
                Some(&Status::Killed),
                Some(&comment),
            )?;
            1
        }
        Some(reason) => {
            let comment = match reason {
                KillReason::TimeLimit(limit) => {
                    format!("Killed: the run time went over the limit of {limit}s")
                }
                _ => "Killed on request (KILLREQ)".to_string(),
            };
            let status = if clean {
                Status::Killed
            } else {
                Status::FailedToKill
            };
            writer.set_last_test_status(
                job,
                Some(&State::Killed),
                Some(&status),
                Some(&comment),
            )?;
            0
        }
        None => {
            let outcome = outcome?;
            // A job whose last step set COMPLETED needs no second look.
            if !outcome.completed
                && let Some((state, status)) = recorder.state_of(job.test_id)?
                && matches!(state, State::RemoteHostStart | State::Running)
            {
                let new_status = if outcome.abnormal {
                    Status::Fail
                } else {
                    final_status(outcome.code, &status)
                };
                writer.set_last_test_status(
                    job,
                    Some(&State::Completed),
                    Some(&new_status),
                    None,
                )?;
            }
            if outcome.abnormal { ABNORMAL } else { 0 }
        }
    };
    if let Err(e) = recorder.write_test_summary(job.test_id, work) {
        crate::warn!("{}", e.message);
    }
    Ok(exit)
}

/// The megatest the test's helpers call: the job's, else this very program.
fn executable(from_job: &Path) -> PathBuf {
    if !from_job.as_os_str().is_empty() {
        return from_job.to_path_buf();
    }
    std::env::current_exe().unwrap_or_else(|_| PathBuf::from("megatest"))
}
