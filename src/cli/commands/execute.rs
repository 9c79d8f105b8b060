//! `-execute JOBFILE` (internal): runs one test as a launcher started it (spec §9.2).

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::error::Result;
use std::path::PathBuf;

/// Runs the test of the job file.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    crate::sys::leave_session();
    let path = PathBuf::from(session.args.value("-execute").unwrap_or_default());
    session.exit_code = crate::exec::execute(&path)?;
    Ok(Flow::Stop)
}
