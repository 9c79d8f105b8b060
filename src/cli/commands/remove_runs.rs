//! `-remove-runs`: removes the selected tests of the selected runs (not locked ones): their
//! run directories, link-tree links and records (records kept with `-keep-records`).

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::db::TestRecord;
use crate::error::Result;
use crate::model::full_test_name;
use crate::output::{ProgressBar, stdout};
use crate::runner::removal::{Removal, RemoveOptions, Roots, remove_tests};

/// Removes runs' tests.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let (runs, filter) = session.test_selection("-remove-runs")?;
    let opts = RemoveOptions {
        keep_records: session.args.has("-keep-records"),
        workers: RemoveOptions::workers_of(session.area()?),
    };
    let roots = Roots::of_area(session.area()?);
    let triggers = crate::writer::TriggerTable::reading_testconfigs(
        session.area()?.top.clone(),
        session.area()?.config.pairs("triggers"),
    );
    let mut refused = 0;
    let mut bar = ProgressBar::on_stderr();
    for run in session.unlocked_runs(&runs, "nothing removed")? {
        let store = session.store()?;
        // Each removal is reported as it happens, with a bar on a terminal: a large run
        // takes a while.
        let mut report = |test: &TestRecord, (done, total): (usize, usize)| {
            bar.clear();
            stdout::print(&format!(
                "removed {}/{}/{}\n",
                run.target(),
                run.runname(),
                full_test_name(&test.testname(), &test.item_path())
            ));
            bar.draw(done, total, &format!("removed in {}", run.runname()));
        };
        let removal = remove_tests(store, &run, &filter, opts, &roots, &triggers, &mut report);
        bar.clear();
        refused += removal?.refused;
    }
    Removal::check_refused(refused)?;
    Ok(Flow::Continue)
}
