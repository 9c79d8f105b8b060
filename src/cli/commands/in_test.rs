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
    Ok((job, session.store()?))
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
