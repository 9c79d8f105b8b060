//! `-set-run-status STATUS [-m COMMENT]` and `-get-run-status`: the status of the first run
//! matching the target and run name.

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::db::RunRecord;
use crate::error::{Error, Result};
use crate::output::stdout;

fn first_run(session: &mut Session, what: &str) -> Result<RunRecord> {
    let (selector, _) = session.required_selectors(what, false)?;
    session
        .store()?
        .runs(&selector)?
        .into_iter()
        .next()
        .ok_or_else(|| Error::new("no matching run found"))
}

/// Sets the run's status.
pub(crate) fn set(session: &mut Session) -> Result<Flow> {
    let status = session
        .args
        .value("-set-run-status")
        .unwrap_or_default()
        .to_string();
    let comment = session.args.value("-m").map(str::to_string);
    let run = first_run(session, "-set-run-status")?;
    session
        .store()?
        .set_run_status(run.id(), &status, comment.as_deref())?;
    Ok(Flow::Continue)
}

/// Prints the run's status.
pub(crate) fn get(session: &mut Session) -> Result<Flow> {
    let run = first_run(session, "-get-run-status")?;
    stdout::println(&run.status());
    Ok(Flow::Continue)
}
