//! `-show-keys`: `Keys: k1, k2, ...` (on stdout; Megatest wrote it to its log).

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::error::Result;
use crate::output::stdout;

/// Prints the `[fields]` keys.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let area = session.area()?;
    stdout::println(&format!("Keys: {}", area.keys.join(", ")));
    Ok(Flow::Continue)
}
