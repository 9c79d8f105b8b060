//! The one way a test record's state and status change: the write with its rollup, then the
//! triggers of every record it changed (spec §6.3, §11).

mod record_writer;
mod trigger_run;
mod trigger_table;

pub use record_writer::{Deferred, Destination, Start, Writer};
pub use trigger_table::{TriggerTable, Triggers};
