//! The `rmt:*` API (spec §16): Megatest's scripting procedures over megatest.db, with its
//! argument order and result shapes, independent of the Scheme engine that exposes them.

mod args;
mod catalog;
mod context;
mod meta;
mod query;
mod runs;
mod scheme_procs;
mod stats;
mod steps_data;
mod tests;
mod value;

pub use args::Args;
pub use catalog::{PROCEDURES, Procedure, call, call_on, find};
pub use context::{
    ApiContext, RemoteApi, install, install_at, install_remote, installed_top, share_triggers,
    with_store,
};
pub use scheme_procs::scheme_extension;
pub use value::Value;
