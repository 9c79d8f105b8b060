//! The one way a test record's state and status change: the write with its rollup (a FAIL
//! waived when a waiver carries over, spec §12), then the triggers of every record it changed
//! (spec §6.3, §11).

mod record_writer;
mod trigger_run;
mod trigger_table;
mod waivers;

pub use record_writer::{Deferred, Destination, Start, Writer};
pub use trigger_run::fire as fire_triggers;
pub use trigger_table::{TriggerTable, Triggers, test_and_area_triggers};
