//! What the in-test helpers share: the job from `MT_CMDINFO` and where its records go: the
//! area's database, or, on another host than the database's, a server (the runner's, or a
//! long-lived one of the area), as for the executor.

use crate::cli::session::Session;
use crate::db::{DataRow, Store};
use crate::error::{Error, ErrorKind, Result};
use crate::launch::job::Job;
use crate::model::TestId;
use crate::recorder::{Recorder, RemoteServer};
use crate::report::RollupSource;
use crate::writer::Destination;

/// Where a helper's writes go.
pub(super) enum Records<'s> {
    /// The database itself (on its host).
    Database(&'s Store),
    /// A server: this process runs away from the database's host.
    Server(Box<Recorder>),
}

impl Records<'_> {
    /// The writes that fire triggers.
    pub(super) fn destination(&self) -> &dyn Destination {
        match self {
            Records::Database(store) => *store,
            Records::Server(recorder) => &**recorder,
        }
    }

    /// Records a step.
    pub(super) fn set_step(
        &self,
        test_id: TestId,
        name: &str,
        state: &str,
        status: &str,
        comment: &str,
        logfile: &str,
    ) -> Result<()> {
        match self {
            Records::Database(store) => {
                store.set_step(test_id, name, state, status, comment, logfile)
            }
            Records::Server(recorder) => {
                recorder.record_step(test_id, name, state, status, comment, logfile)
            }
        }
    }

    /// Adds test data rows.
    pub(super) fn load_test_data(&self, test_id: TestId, rows: &[DataRow]) -> Result<()> {
        match self {
            Records::Database(store) => store.load_test_data(test_id, rows),
            Records::Server(recorder) => recorder.load_test_data(test_id, rows),
        }
    }

    /// Sets a record's final log.
    pub(super) fn set_test_log(&self, test_id: TestId, logfile: &str) -> Result<()> {
        match self {
            Records::Database(store) => store.set_test_log(test_id, logfile),
            Records::Server(recorder) => recorder.set_test_log(test_id, logfile),
        }
    }

    /// What the item rollup page of the job's test shows.
    pub(super) fn rollup_source(&self, job: &Job) -> Result<RollupSource> {
        match self {
            Records::Database(store) => {
                crate::report::rollup_source(store, job.run_id, &job.test_name)
            }
            Records::Server(recorder) => recorder.rollup_source(job.run_id, &job.test_name),
        }
    }

    /// The id of the job's toplevel record.
    pub(super) fn toplevel_id(&self, job: &Job) -> Result<TestId> {
        if job.toplevel_id != TestId::default() {
            return Ok(job.toplevel_id);
        }
        let found = match self {
            Records::Database(store) => store.test_id(job.run_id, &job.test_name, "")?,
            Records::Server(_) => None,
        };
        found.ok_or_else(|| Error::new(format!("test {} has no toplevel record", job.test_name)))
    }
}

/// The running test's job and where its records go, for the helper `what`.
pub(super) fn open<'s>(session: &'s mut Session, what: &str) -> Result<(Job, Records<'s>)> {
    let job = Job::from_env(what)?;
    if !job.toppath.as_os_str().is_empty() {
        crate::environ::set("MT_RUN_AREA_HOME", &job.toppath.display().to_string());
    }
    if let Some(server) = RemoteServer::for_job(&job)? {
        crate::debug!(
            2,
            "{what}: records go to the megatest server at {}",
            server.address
        );
        let recorder = Recorder::for_thread(Some(&server), &job.db_path, &job.keys)?;
        // Scheme in its triggers reaches the records through the server too.
        crate::api::install_remote(
            &job.toppath,
            &job.db_path,
            Box::new(crate::recorder::ServerApi::new(
                server,
                job.db_path.clone(),
                job.keys.clone(),
            )),
        );
        return Ok((job, Records::Server(Box::new(recorder))));
    }
    if job.db_path.as_os_str().is_empty() {
        return Ok((job, Records::Database(session.store()?)));
    }
    // The job names the database: the area's configs (and their Scheme) are not read again
    // for each helper call from a test.
    crate::api::install_at(&job.toppath, &job.db_path, job.keys.clone());
    let store = session.store_at(&job.db_path, &job.keys)?;
    Ok((job, Records::Database(store)))
}

/// `:state` and `:status`, both required (Megatest exits 6 without them).
pub(super) fn state_and_status(session: &Session, what: &str) -> Result<(String, String)> {
    match (session.args.value("-state"), session.args.value("-status")) {
        (Some(state), Some(status)) => Ok((state.to_string(), status.to_string())),
        _ => Err(Error::of(
            ErrorKind::MissingStateStatus,
            format!("{what} needs both :state and :status"),
        )),
    }
}
