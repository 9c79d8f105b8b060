//! The integration tests: the real `megatest` binary on areas written to temp dirs.

mod architecture;
mod bad_input;
mod chaos;
mod cli;
mod config_errors;
mod fork_launch;
mod fuzz;
mod harness;
mod logpro_cli;
mod logpro_conformance;
mod megatest_qa;
mod one_runner;
mod operator_changes;
mod path_safety;
mod pty;
mod real_area_causes;
mod recorder;
mod repl;
mod rerun_notes;
mod run_engine;
mod scheme_api;
mod scheme_engine;
mod show_config;
mod show_runconfig;
mod store_commands;
mod triggers;
