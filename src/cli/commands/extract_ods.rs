//! `-extract-ods FILE -target T -runname R [-pathmod P]`: a spreadsheet of the selected runs'
//! tests with their meta data, and a sheet of test data per test (spec §15.6).

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::error::Result;
use std::path::PathBuf;

/// Writes the spreadsheet.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let file = PathBuf::from(session.args.value("-extract-ods").unwrap_or("out.ods"));
    let pathmod = session.args.value("-pathmod").map(str::to_string);
    let (selector, _) = session.required_selectors("-extract-ods", false)?;
    let store = session.store()?;
    let runs = store.runs(&selector)?;
    let keys = store.keys().to_vec();
    let sheets = crate::report::extract_sheets(store, &keys, &runs, pathmod.as_deref())?;
    crate::report::write_ods(&file, &sheets)?;
    crate::output::log::emit(format_args!(
        "INFO: (0) wrote {} ({} runs, {} tests)",
        file.display(),
        runs.len(),
        sheets[0].rows.len() - 1
    ));
    Ok(Flow::Continue)
}
