//! What megatest itself prints: results on standard output (`stdout`), warnings and `-debug`
//! traces on stderr or the `-log` file (`log`), and a progress bar on a terminal (`bar`).

mod bar;
pub mod log;
pub mod stdout;

pub use bar::ProgressBar;
