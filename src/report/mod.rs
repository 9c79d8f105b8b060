//! Output formats for people and programs: config dumps (ini, json, sexp).

mod config_dump;

pub use config_dump::{DumpMode, dump_config, scheme_string};
