//! `-summarize-items`: writes `megatest-rollup-<test>.html` (the items of this test with
//! their state, status and comment) in the toplevel's directory and makes it its log.

use super::in_test;
use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::error::Result;
use crate::report::write_rollup_of;

/// Writes the rollup page.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let (job, records) = in_test::open(session, "-summarize-items")?;
    let source = records.rollup_source(&job)?;
    write_rollup_of(&source, &job, |id, name| records.set_test_log(id, name))?;
    Ok(Flow::Continue)
}
