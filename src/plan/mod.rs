//! What a run contains and when each part may start (spec §7): the selection with its
//! waiton closure, and the prerequisite check.

mod prereq;
mod selection;

pub use prereq::{Board, Upstream, Verdict, Waiton, evaluate};
pub use selection::{Selection, select};
