//! `-remove-runs`: removes the selected tests of the selected runs (not locked ones): their
//! run directories, link-tree links and records (records kept with `-keep-records`).

use crate::cli::dispatch::Flow;
use crate::cli::{output, session::Session};
use crate::error::Result;
use crate::model::full_test_name;
use crate::removal::{RemoveOptions, remove_tests};

/// Removes runs' tests.
pub fn run(session: &mut Session) -> Result<Flow> {
    let (runs, filter) = session.test_selection("-remove-runs")?;
    let opts = RemoveOptions {
        keep_records: session.args.has("-keep-records"),
    };
    let mut text = String::new();
    for run in session.unlocked_runs(&runs, "nothing removed")? {
        let store = session.store()?;
        for test in remove_tests(store, run.id(), &filter, opts)? {
            text.push_str(&format!(
                "removed {}/{}/{}\n",
                run.target(),
                run.runname(),
                full_test_name(&test.testname(), &test.item_path())
            ));
        }
    }
    output::print(&text);
    Ok(Flow::Continue)
}
