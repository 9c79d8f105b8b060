//! `-list-disks`: `name => path` for each `[disks]` entry.

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::error::Result;
use crate::output::stdout;

/// Prints the disks.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let area = session.area()?;
    let text: String = area
        .disks()
        .iter()
        .map(|(name, path)| format!("{name} => {path}\n"))
        .collect();
    stdout::print(&text);
    Ok(Flow::Continue)
}
