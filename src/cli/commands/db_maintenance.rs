//! `-cleanup-db` and `-rebuild-db`.

use crate::cli::commands::version::MEGATEST_VERSION;
use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::db::{Store, typed_keys};
use crate::error::Result;
use crate::output::stdout;

/// Removes orphan and deleted records, adds new key columns, vacuums.
pub(crate) fn cleanup(session: &mut Session) -> Result<Flow> {
    let area = session.area()?;
    let store = Store::open_for_repair(area)?;
    let report = store.cleanup(&typed_keys(area), &format!("{MEGATEST_VERSION}-rust"))?;
    let mut text = String::new();
    if !report.added_keys.is_empty() {
        text.push_str(&format!(
            "added key columns: {}\n",
            report.added_keys.join(", ")
        ));
    }
    text.push_str(&format!(
        "removed {} test records and {} run records from {}\n",
        report.tests,
        report.runs,
        store.path().display()
    ));
    stdout::print(&text);
    Ok(Flow::Continue)
}

/// Brings the schema, indexes and triggers up to date and checks integrity.
pub(crate) fn rebuild(session: &mut Session) -> Result<Flow> {
    let area = session.area()?;
    let store = Store::open_for_repair(area)?;
    store.rebuild(&typed_keys(area))?;
    stdout::println(&format!(
        "rebuilt {} (schema version {})",
        store.path().display(),
        crate::db::SCHEMA_VERSION
    ));
    Ok(Flow::Continue)
}
