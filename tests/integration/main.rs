//! The integration tests: the real `megatest` binary on areas written to temp dirs.

mod cli;
mod config_errors;
mod harness;
mod scheme_engine;
mod show_config;
mod show_runconfig;
