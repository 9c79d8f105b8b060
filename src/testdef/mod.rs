//! Test definitions (spec §4): a testconfig read into typed requirements, items, steps,
//! skip rules, triggers and waivers.

mod def;
mod hms;
mod itemmap;
mod items;

pub use def::{Modes, Skip, Step, Subrun, TestDef};
pub use hms::hms_seconds;
pub use itemmap::ItemMap;
pub use items::{Item, ItemVars, Items, expand, item_info};
