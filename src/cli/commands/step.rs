//! `-step NAME :state S :status T [-setlog FILE] [-m COMMENT]`: records a step of the running
//! test; a `NAME.dat` left by logpro in the run directory is loaded as its test data.

use super::in_test;
use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::error::Result;

/// Records a step.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let name = session.args.value("-step").unwrap_or_default().to_string();
    let (state, status) = in_test::state_and_status(session, "-step")?;
    let logfile = session
        .args
        .value("-setlog")
        .unwrap_or_default()
        .to_string();
    let mut comment = session.args.value("-m").unwrap_or_default().to_string();
    let (job, records) = in_test::open(session, "-step")?;
    let dat = job.work_area.join(format!("{name}.dat"));
    if dat.is_file()
        && let Some(summary) = crate::exec::logpro_dat::import(
            |rows| records.load_test_data(job.test_id, rows),
            &name,
            &dat,
        )?
        && comment.is_empty()
    {
        comment = summary;
    }
    records.set_step(job.test_id, &name, &state, &status, &comment, &logfile)?;
    Ok(Flow::Continue)
}
