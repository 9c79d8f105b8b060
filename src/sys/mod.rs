//! What megatest needs of the operating system beyond std: sessions, signals, host identity
//! and load (`os`), the fork helper's process plumbing (`process`), paths as Megatest
//! resolves them (`paths`), and work spread over threads (`parallel`).

mod os;
pub mod parallel;
mod paths;
pub mod process;
pub mod shell;

pub use os::*;
pub use paths::{io_error, io_reason, nice_path, normalize, same_file};
