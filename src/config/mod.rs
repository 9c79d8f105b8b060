//! The config language shared by megatest.config, runconfigs.config and testconfig files
//! (spec §1): line reading, `#{...}` expansion, classification, includes, sections.

mod expand;
mod grammar;
mod lines;
mod model;
mod reader;
#[cfg(test)]
mod reader_tests;
mod shell_text;
mod unread;
mod wildcard;

pub use expand::HELPERS;
pub use model::{Config, Entry, Origin, Section};
pub use reader::{ReadOptions, SectionHook, SystemPolicy, read_file, read_file_into, read_str};
pub use unread::{ConfigKind, warn_unread};
