//! `-h`, `-help`, `--help`.

use crate::cli::dispatch::Flow;
use crate::cli::{help, session::Session};
use crate::error::Result;
use crate::output::stdout;

/// Prints the help and stops.
pub(crate) fn run(_: &mut Session) -> Result<Flow> {
    stdout::print(&help::text());
    Ok(Flow::Stop)
}
