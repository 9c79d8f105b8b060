//! `-list-targets`: the sections of runconfigs.config, sorted, filtered by `-target` patterns.

use crate::area::pattern_list_matches;
use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::error::{Error, Result};
use crate::output::stdout;

/// Prints the targets, one per line or as a JSON list.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let filter = session.args.value("-target").map(str::to_string);
    let mode = session.args.value("-dumpmode").map(str::to_string);
    let area = session.area()?;
    let runconfigs = area.runconfigs_all(None)?;
    let mut targets: Vec<&str> = runconfigs
        .section_names()
        .filter(|t| filter.as_deref().is_none_or(|f| pattern_list_matches(t, f)))
        .collect();
    targets.sort_unstable();
    match mode.as_deref() {
        None | Some("alist") | Some("ini") => {
            let text: String = targets.iter().map(|t| format!("{t}\n")).collect();
            stdout::print(&text);
        }
        Some("json") => {
            stdout::println(&serde_json::to_string(&targets).expect("strings serialize"));
        }
        Some(other) => {
            return Err(Error::usage(format!(
                "-dumpmode `{other}` is not supported by -list-targets (use json)"
            )));
        }
    }
    Ok(Flow::Continue)
}
