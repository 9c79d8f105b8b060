//! `megatest -repl`, `-load` and `MT_RUNSCRIPT`: Scheme at the top level of an area.

mod editor;
mod session;

pub use session::{load_file, repl, run_script};
