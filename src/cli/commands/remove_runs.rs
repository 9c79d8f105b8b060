//! `-remove-runs`: removes the selected tests of the selected runs (not locked ones): their
//! run directories, link-tree links and records (records kept with `-keep-records`).

use crate::cli::dispatch::Flow;
use crate::cli::{output, session::Session};
use crate::error::Result;
use crate::model::full_test_name;
use crate::removal::{Removal, RemoveOptions, Roots, remove_tests};

/// Removes runs' tests.
pub fn run(session: &mut Session) -> Result<Flow> {
    let (runs, filter) = session.test_selection("-remove-runs")?;
    let opts = RemoveOptions {
        keep_records: session.args.has("-keep-records"),
    };
    let mut text = String::new();
    let roots = Roots::of_area(session.area()?);
    let mut refused = 0;
    for run in session.unlocked_runs(&runs, "nothing removed")? {
        let store = session.store()?;
        let removal = remove_tests(store, &run, &filter, opts, &roots)?;
        refused += removal.refused;
        for test in removal.removed {
            text.push_str(&format!(
                "removed {}/{}/{}\n",
                run.target(),
                run.runname(),
                full_test_name(&test.testname(), &test.item_path())
            ));
        }
    }
    output::print(&text);
    Removal::check_refused(refused)?;
    Ok(Flow::Continue)
}
