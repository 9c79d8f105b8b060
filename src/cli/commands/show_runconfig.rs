//! `-show-runconfig`: runconfigs.config for the target (default and target sections), or all
//! of it without a target. `-section S -var V` falls back to `default`.

use super::show_config::{mode_of, section_and_var, show};
use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::error::Result;
use crate::report::DumpMode;

/// Prints runconfigs.config.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let mode = mode_of(session, DumpMode::Ini)?;
    let (section, var) = section_and_var(session);
    let target = session.target()?;
    if let Some(t) = &target {
        session.check_reqtarg(t)?;
    }
    let area = session.area()?;
    let config = match &target {
        Some(t) => area.runconfigs(t)?,
        None => area.runconfigs_all(None)?,
    };
    show(
        &config,
        section.as_deref(),
        var.as_deref(),
        mode,
        Some("default"),
    )
}
