//! `-mark-incompletes`: tests whose executor is gone (no heartbeat for `[setup] deadtime`
//! seconds, or launched a day ago and never started) become COMPLETED/DEAD, as at the start
//! of every `-run` (spec §8.4; 1.65 lists the option but its helper no longer worked).

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::error::Result;
use crate::model::Status;
use crate::output::stdout;
use crate::runner::Settings;
use crate::writer::{TriggerTable, Writer};

/// Marks the dead tests of the area and says how many.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let (area, store) = session.area_and_store()?;
    let deadtime = Settings::read(area).deadtime;
    let triggers =
        TriggerTable::reading_testconfigs(area.top.clone(), area.config.pairs("triggers"));
    let changes = Writer::new(store, &triggers).mark_dead_tests(deadtime)?;
    let mut dead: Vec<String> = changes
        .iter()
        .filter(|c| c.status == Status::Dead)
        .map(|c| crate::model::full_test_name(&c.testname, &c.item_path))
        .collect();
    dead.sort();
    dead.dedup();
    let mut text = format!("{} test(s) marked COMPLETED/DEAD\n", dead.len());
    for name in dead {
        text.push_str(&format!("  {name}\n"));
    }
    stdout::print(&text);
    Ok(Flow::Continue)
}
