//! `-version`: the Megatest version this is compatible with, then this program's own.

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::error::Result;
use crate::output::stdout;

/// The Megatest release whose behaviour this port follows.
pub(crate) const MEGATEST_VERSION: &str = "1.6501";

/// Prints the version and stops.
pub(crate) fn run(_: &mut Session) -> Result<Flow> {
    stdout::println(&format!(
        "{MEGATEST_VERSION} (megatest-rs {})",
        env!("CARGO_PKG_VERSION")
    ));
    Ok(Flow::Stop)
}
