//! What megatest itself prints: results on standard output (`stdout`), warnings and `-debug`
//! traces on stderr or the `-log` file (`log`).

pub mod log;
pub mod stdout;
