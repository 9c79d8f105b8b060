//! `-repl`, `-load FILE` and `MT_RUNSCRIPT` (spec §16.1): Scheme in the area, when there is
//! one (without an area the rmt procedures report that none is known).

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::error::{ErrorKind, Result};
use std::path::PathBuf;

fn area(session: &mut Session) -> Result<Option<crate::area::Area>> {
    match session.area() {
        Ok(area) => Ok(Some(area.clone())),
        Err(e) if e.kind == ErrorKind::NoArea => Ok(None),
        Err(e) => Err(e),
    }
}

/// `-repl`.
pub(crate) fn repl(session: &mut Session) -> Result<Flow> {
    let area = area(session)?;
    session.exit_code = crate::repl::repl(area.as_ref())?;
    Ok(Flow::Stop)
}

/// `-load FILE`.
pub(crate) fn load(session: &mut Session) -> Result<Flow> {
    let file = PathBuf::from(session.args.value("-load").unwrap_or_default());
    let area = area(session)?;
    session.exit_code = crate::repl::load_file(area.as_ref(), &file)?;
    Ok(Flow::Stop)
}

/// A script on stdin, when `MT_RUNSCRIPT` is set and no action was given.
pub(crate) fn run_script(session: &mut Session) -> Result<i32> {
    let area = area(session)?;
    crate::repl::run_script(area.as_ref())
}
