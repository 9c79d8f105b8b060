//! `-list-db-targets`: the targets that have runs in the database.

use crate::cli::dispatch::Flow;
use crate::cli::{output, session::Session};
use crate::error::{Error, Result};

/// Lists the targets, one per line or as JSON.
pub fn run(session: &mut Session) -> Result<Flow> {
    let mode = session.args.value("-dumpmode").map(str::to_string);
    let targets = session.store()?.db_targets()?;
    match mode.as_deref() {
        None => {
            output::print(&targets.iter().map(|t| format!("{t}\n")).collect::<String>());
        }
        Some("json") => {
            output::println(&serde_json::json!({ "targets": targets }).to_string());
        }
        Some(other) => {
            return Err(Error::usage(format!(
                "-dumpmode `{other}` is not supported by -list-db-targets (use json)"
            )));
        }
    }
    Ok(Flow::Continue)
}
