//! Megatest, re-built in Rust: the library behind the `megatest` and `logpro` binaries.
//!
//! The modules follow the data flow of a run: `cli` turns argv into an invocation, `area`
//! finds and reads the area's configs (through `config`, the config language), and the
//! `scheme` host evaluates the Scheme that configs, rule files and triggers contain.

pub mod api;
pub mod archive;
pub mod area;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod environ;
pub mod error;
pub mod exec;
pub mod launch;
pub mod logpro;
pub mod model;
pub mod output;
pub mod plan;
pub mod recorder;
pub mod repl;
pub mod report;
pub mod runner;
pub mod scheme;
pub mod select;
pub mod sys;
pub mod testdef;
pub mod utah;
pub mod writer;
