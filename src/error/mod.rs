//! The user-facing error: the value (what went wrong, where, what kind of failure, which
//! gives the exit code) and its rendering as a compiler-style frame.

pub mod exit_code;
mod kind;
mod message;
mod render;

pub use kind::ErrorKind;
pub use message::{Details, Error, Location, Result};
pub use render::render;
