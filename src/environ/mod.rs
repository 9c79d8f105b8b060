//! The environment megatest hands to the commands it runs (`overlay`), and the environment
//! files it writes and reads (`env_file`).

pub mod env_file;
mod overlay;

pub use overlay::*;
