//! The web dashboard (`megatest -dashboard`, the `dashboard` binary): the Runs view (tests
//! by runs, live), the test panel (steps, data, logs, actions), Run Control (start and stop
//! runs), served over megatest.db on loopback with a per-server token for anything that
//! changes records or starts processes.

mod actions;
mod assets;
mod colors;
mod control;
mod files;
mod filters;
mod matrix;
mod panel;
mod server;
mod summary;

pub use server::{DashboardOptions, serve};
