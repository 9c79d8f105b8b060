//! Output formats for people and programs: config dumps (ini, json, sexp) and the HTML pages
//! written into run directories.

mod config_dump;
mod item_rollup;
mod test_summary;

pub use config_dump::{DumpMode, dump_config, scheme_string};
pub use item_rollup::write_rollup;
pub use test_summary::{test_summary_page, write_summary_page, write_test_summary};
