//! The command line: Megatest's single-dash options parsed from one table, then the actions
//! run in Megatest's order. One file per command under `commands`.

mod args;
mod commands;
mod dispatch;
pub mod entry;
mod help;
mod options;
mod session;

pub use args::Args;
pub use dispatch::main;
pub use options::{Group, OPTIONS, OptionSpec, lookup};
