//! `-h`, `-help`, `--help`.

use crate::cli::dispatch::Flow;
use crate::cli::{help, output, session::Session};
use crate::error::Result;

/// Prints the help and stops.
pub fn run(_: &mut Session) -> Result<Flow> {
    output::print(&help::text());
    Ok(Flow::Stop)
}
