//! The runner's recorder: executors the runner launched hand their database writes to the
//! runner, which already holds the open database and its compiled statements, instead of
//! opening `megatest.db` in every test (docs/ARCHITECTURE.md, "How an executor records its
//! test").

mod client;
mod handshake;
mod posts;
mod protocol;
pub mod registry;
pub mod secret;
mod server;

pub use client::{Recorder, RemoteServer, ServerApi};
pub use protocol::{Reply, Request, answer};
pub use server::{RecorderServer, TcpOptions};
