//! `-remove-runs`: removes the selected tests of the selected runs (not locked ones): their
//! run directories, link-tree links and records (records kept with `-keep-records`).

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::db::TestRecord;
use crate::error::Result;
use crate::model::full_test_name;
use crate::output::stdout;
use crate::runner::removal::{Removal, RemoveOptions, Roots, remove_tests};

/// Removes runs' tests.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let (runs, filter) = session.test_selection("-remove-runs")?;
    let opts = RemoveOptions {
        keep_records: session.args.has("-keep-records"),
    };
    let roots = Roots::of_area(session.area()?);
    let triggers = crate::writer::TriggerTable::reading_testconfigs(
        session.area()?.top.clone(),
        session.area()?.config.pairs("triggers"),
    );
    let mut refused = 0;
    for run in session.unlocked_runs(&runs, "nothing removed")? {
        let store = session.store()?;
        // Each removal is reported as it happens: a large run takes a while.
        let mut report = |test: &TestRecord| {
            stdout::print(&format!(
                "removed {}/{}/{}\n",
                run.target(),
                run.runname(),
                full_test_name(&test.testname(), &test.item_path())
            ));
        };
        refused +=
            remove_tests(store, &run, &filter, opts, &roots, &triggers, &mut report)?.refused;
    }
    Removal::check_refused(refused)?;
    Ok(Flow::Continue)
}
