//! The user-facing error: the value (what went wrong, where, which exit code) and its
//! rendering as a compiler-style frame.

mod message;
mod render;

pub use message::{Details, Error, Location, Result};
pub use render::render;
