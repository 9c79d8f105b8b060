//! `-summarize-items`: writes `megatest-rollup-<test>.html` (the items of this test with
//! their state, status and comment) in the toplevel's directory and makes it its log.

use super::in_test;
use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::error::Result;
use crate::report::write_rollup;

/// Writes the rollup page.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let (job, store) = in_test::open(session, "-summarize-items")?;
    write_rollup(store, &job)?;
    Ok(Flow::Continue)
}
