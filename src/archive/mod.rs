//! `-archive`: saving tests' run directories into archive blocks with bup or tar, removing
//! them once saved, and restoring them (spec §17.2).

mod block;
mod method;
mod restore;
mod save;
mod settings;

pub use method::Method;
pub use restore::restore_tests;
pub use save::{Outcome, Place, SaveMode, save_tests};
pub use settings::ArchiveSettings;
