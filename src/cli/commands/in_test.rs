//! What the in-test helpers share: the job from `MT_CMDINFO` and the area's database.

use crate::cli::session::Session;
use crate::db::Store;
use crate::error::{Error, ErrorKind, Result};
use crate::launch::job::Job;

/// The running test's job and the database, for the helper `what`.
pub(super) fn open<'s>(session: &'s mut Session, what: &str) -> Result<(Job, &'s Store)> {
    let job = Job::from_env(what)?;
    if !job.toppath.as_os_str().is_empty() {
        crate::environ::set("MT_RUN_AREA_HOME", &job.toppath.display().to_string());
    }
    if job.db_path.as_os_str().is_empty() {
        return Ok((job, session.store()?));
    }
    // The job names the database: the area's configs (and their Scheme) are not read again
    // for each helper call from a test.
    crate::api::install_at(&job.toppath, &job.db_path, job.keys.clone());
    let store = session.store_at(&job.db_path, &job.keys)?;
    Ok((job, store))
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
