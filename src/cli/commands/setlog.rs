//! `-setlog FILE` (this test's log) and `-set-toplog FILE` (its toplevel record's log).

use super::in_test;
use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::error::Result;

/// Sets the running test's final log.
pub(crate) fn setlog(session: &mut Session) -> Result<Flow> {
    let file = session
        .args
        .value("-setlog")
        .unwrap_or_default()
        .to_string();
    let (job, records) = in_test::open(session, "-setlog")?;
    records.set_test_log(job.test_id, &file)?;
    Ok(Flow::Continue)
}

/// Sets the final log of the running test's toplevel record.
pub(crate) fn set_toplog(session: &mut Session) -> Result<Flow> {
    let file = session
        .args
        .value("-set-toplog")
        .unwrap_or_default()
        .to_string();
    let (job, records) = in_test::open(session, "-set-toplog")?;
    let top = records.toplevel_id(&job)?;
    records.set_test_log(top, &file)?;
    Ok(Flow::Continue)
}
