//! Megatest, re-built in Rust: the library behind the `megatest` and `logpro` binaries.
//!
//! The modules follow the data flow of a run: `cli` turns argv into an invocation, `area`
//! finds and reads the area's configs (through `config`, the config language), and the
//! `scheme` host evaluates the Scheme that configs, rule files and triggers contain.

pub mod api;
pub mod area;
pub mod cli;
pub mod config;
pub mod db;
pub mod entry;
pub mod envfile;
pub mod environ;
pub mod error;
pub mod exec;
pub mod exit_code;
pub mod job;
pub mod launch;
pub mod log;
pub mod logpro;
pub mod logpro_dat;
pub mod model;
pub mod plan;
pub mod recorder;
pub mod removal;
pub mod repl;
pub mod report;
pub mod runner;
pub mod scheme;
pub mod select;
pub mod shell;
pub mod stdout;
pub mod sys;
pub mod testdef;
pub mod writer;
