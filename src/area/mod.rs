//! The area (spec §2, §3): finding `megatest.config`, reading it with its `[fields]` hook,
//! targets, runconfigs for a target, disks.

mod load;
mod locate;
mod runconfigs;
mod target;
mod tests;

pub use load::{Area, AreaOptions};
pub use locate::locate;
pub use target::{Target, check_target_pattern, pattern_list_matches, validate_key_names};
