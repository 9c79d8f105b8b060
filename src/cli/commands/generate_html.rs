//! `-generate-html`: writes the runs' static pages into the link tree (see
//! report::html_pages) and says where.

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::db::TestFilter;
use crate::error::{Error, Result};
use crate::select::RunSelector;

/// Writes the pages.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let area = session.area()?.clone();
    let settings = crate::runner::Settings::read(&area);
    let store = session.store()?;
    let keys = store.keys().to_vec();
    let mut runs = store.runs(&RunSelector::new(None, None))?;
    // Newest first, as a page of recent results is read.
    runs.sort_by_key(|r| std::cmp::Reverse((r.event_time(), r.id().0)));
    let mut listed = Vec::with_capacity(runs.len());
    for run in runs {
        let tests = store.tests_for_run(run.id(), &TestFilter::default())?;
        listed.push((run, tests));
    }
    let linktree = &settings.linktree;
    std::fs::create_dir_all(linktree)
        .map_err(|e| Error::new(format!("cannot make `{}`: {e}", linktree.display())))?;
    let pages = crate::report::runs_pages(&settings.area_name, &keys, &listed, linktree);
    for (name, html) in &pages {
        let path = linktree.join(name);
        std::fs::write(&path, html)
            .map_err(|e| Error::new(format!("cannot write `{}`: {e}", path.display())))?;
    }
    crate::output::stdout::println(&format!(
        "HTML output created in {}/page#.html ({} pages, {} runs)",
        linktree.display(),
        pages.len(),
        listed.len()
    ));
    Ok(Flow::Continue)
}
