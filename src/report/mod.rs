//! Output formats for people and programs: config dumps (ini, json, sexp), the run listing
//! (text, json, sexp, JUnit XML, OpenDocument spreadsheets), the diff of two runs, and the
//! HTML pages written into run directories.

mod config_dump;
mod html_pages;
mod item_rollup;
mod junit;
mod run_diff;
mod run_listing;
mod spreadsheet;
mod test_summary;

pub use config_dump::{DumpMode, dump_config, scheme_string};
pub use html_pages::{RUNS_PER_PAGE, runs_pages};
pub use item_rollup::{RollupSource, rollup_source, write_rollup, write_rollup_of};
pub use junit::{Verdict, junit_report, verdict};
pub use run_diff::{DiffKind, DiffRow, diff_page, diff_runs, subject as diff_subject};
pub(crate) use run_listing::{
    FieldSpec, ListingMode, compare, json_listing, run_line, sexp_listing, test_lines,
};
pub use spreadsheet::{SheetData, extract_sheets, listing_sheets, write_ods};
pub use test_summary::{test_summary_page, write_summary_page, write_test_summary};
