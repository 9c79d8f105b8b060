//! `-archive save|save-remove|keep-html|restore` with the selectors of `-remove-runs`
//! (`-target`, `-runname`, `-testpatt`, `-state`, `-status`): locked runs are left alone;
//! the work itself is `archive`'s.

use crate::archive::{ArchiveSettings, SaveMode, restore_tests, save_tests};
use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::db::TestRecord;
use crate::error::{Error, Result};
use crate::model::full_test_name;
use crate::output::{ProgressBar, stdout};
use crate::runner::removal::Roots;

/// Archives or restores the selected tests.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let command = session
        .args
        .value("-archive")
        .unwrap_or_default()
        .to_string();
    let mode = match command.as_str() {
        "save" | "keep-html" => Some(SaveMode::Keep),
        "save-remove" => Some(SaveMode::Remove),
        "restore" => None,
        other => {
            return Err(Error::usage(format!(
                "-archive `{other}` is not an archive command (save, save-remove, keep-html, restore)"
            )));
        }
    };
    let (runs, filter) = session.test_selection("-archive")?;
    let area = session.area()?.clone();
    let settings = ArchiveSettings::read(&area)?;
    let roots = Roots::of_area(&area);
    let triggers = crate::writer::TriggerTable::reading_testconfigs(
        area.top.clone(),
        area.config.pairs("triggers"),
    );
    let at = crate::archive::Place {
        area: &area,
        settings: &settings,
        roots: &roots,
        triggers: &triggers,
    };
    let verb = match mode {
        Some(SaveMode::Keep) => "archived",
        Some(SaveMode::Remove) => "archived and removed",
        None => "restored",
    };
    let mut refused = 0;
    let left = if mode.is_some() {
        "nothing archived"
    } else {
        "nothing restored"
    };
    let mut bar = ProgressBar::on_stderr();
    for run in session.unlocked_runs(&runs, left)? {
        let store = session.store()?;
        let line = |test: &TestRecord| {
            format!(
                "{verb} {}/{}/{}\n",
                run.target(),
                run.runname(),
                full_test_name(&test.testname(), &test.item_path())
            )
        };
        // Saving reports each test with a bar on a terminal: a large run takes a while.
        let mut saved = |test: &TestRecord, (done, total): (usize, usize)| {
            bar.clear();
            stdout::print(&line(test));
            bar.draw(done, total, &format!("{verb} in {}", run.runname()));
        };
        let mut restored = |test: &TestRecord| {
            stdout::print(&line(test));
        };
        let outcome = match mode {
            Some(mode) => save_tests(store, &at, &run, &filter, mode, &mut saved),
            None => restore_tests(store, &at, &run, &filter, &mut restored),
        };
        bar.clear();
        refused += outcome?.refused;
    }
    if refused > 0 {
        return Err(Error::new(format!(
            "{refused} {} left as {} (see above)",
            if refused == 1 {
                "test or run was"
            } else {
                "tests or runs were"
            },
            if refused == 1 { "it was" } else { "they were" }
        )));
    }
    Ok(Flow::Continue)
}
