//! UTAH test suites (spec utah.md): runlists, suites and cases read and checked, fetched
//! into a run's work area, run in UTAH's order with its failure rules, recorded as a
//! Megatest run, and reported in UTAH's format. The `utah` and `phoenix` binaries and
//! `megatest -utah` are thin layers over [`client`].

pub mod args;
pub mod client;
pub mod command;
pub mod engine;
mod execute;
pub mod fetch;
pub mod fields;
pub mod phoenix;
pub mod place;
mod prepare;
pub mod record;
pub mod report;
pub mod resume;
pub mod runlist;
pub mod suite;
pub mod yaml;
