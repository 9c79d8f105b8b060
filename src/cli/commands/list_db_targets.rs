//! `-list-db-targets`: the targets that have runs in the database.

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::error::{Error, Result};
use crate::output::stdout;

/// Lists the targets, one per line or as JSON.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let mode = session.args.value("-dumpmode").map(str::to_string);
    let targets = session.store()?.db_targets()?;
    match mode.as_deref() {
        None => {
            stdout::print(&targets.iter().map(|t| format!("{t}\n")).collect::<String>());
        }
        Some("json") => {
            stdout::println(&serde_json::json!({ "targets": targets }).to_string());
        }
        Some(other) => {
            return Err(Error::usage(format!(
                "-dumpmode `{other}` is not supported by -list-db-targets (use json)"
            )));
        }
    }
    Ok(Flow::Continue)
}
