//! The web dashboard (`megatest -dashboard`, the `dashboard` binary): the Runs view (tests
//! by runs, live), the test panel (steps, data, logs, actions), served over megatest.db
//! on loopback with a per-server token for anything that changes records.

mod actions;
mod assets;
mod colors;
mod files;
mod filters;
mod matrix;
mod panel;
mod server;

pub use server::{DashboardOptions, serve};
