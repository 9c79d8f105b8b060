//! `-show-config`: megatest.config after processing, whole, one section, or one value.

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::config::{Config, Section};
use crate::error::{Error, Result};
use crate::output::stdout;
use crate::report::{DumpMode, dump_config};

/// Prints megatest.config.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let mode = mode_of(session, DumpMode::Sexp)?;
    let (section, var) = section_and_var(session);
    let area = session.area()?;
    show(&area.config, section.as_deref(), var.as_deref(), mode, None)
}

pub(super) fn mode_of(session: &Session, default: DumpMode) -> Result<DumpMode> {
    session
        .args
        .value("-dumpmode")
        .map_or(Ok(default), DumpMode::parse)
}

pub(super) fn section_and_var(session: &Session) -> (Option<String>, Option<String>) {
    (
        session.args.value("-section").map(str::to_string),
        session.args.value("-var").map(str::to_string),
    )
}

/// Shows a config: the bare value of `section`/`var` (looked up in `fallback` too, when
/// given), only `section`, or everything. A missing value prints nothing, as in Megatest.
pub(super) fn show(
    config: &Config,
    section: Option<&str>,
    var: Option<&str>,
    mode: DumpMode,
    fallback: Option<&str>,
) -> Result<Flow> {
    let with_origins = crate::output::log::enabled(9);
    match (section, var) {
        (Some(s), Some(v)) => {
            let value = config
                .get(s, v)
                .or_else(|| fallback.and_then(|f| config.get(f, v)));
            match value {
                Some(value) => {
                    stdout::println(value);
                }
                None => crate::debug!(1, "no variable `{v}` in section [{s}]"),
            }
        }
        (Some(s), None) => {
            let picked: Vec<&Section> = config.section(s).into_iter().collect();
            stdout::print(&dump_config(&picked, mode, with_origins));
        }
        (None, Some(_)) => {
            return Err(Error::usage("-var needs -section"));
        }
        (None, None) => {
            stdout::print(&dump_config(&config.section_refs(), mode, with_origins));
        }
    }
    Ok(Flow::Continue)
}
