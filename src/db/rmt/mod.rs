//! The reads and writes behind the rmt procedures, as Megatest's `db:` functions shape them:
//! rows of [`Field`](super::Field)s in the columns asked for. The API turns arguments into
//! these calls and rows into Scheme values; the SQL is here.

mod meta;
mod rows;
mod runs;
mod stats;
mod steps_data;
mod tests;

pub use meta::{NAMED_STATEMENTS, delete_var, run_named_statement, test_meta_record, test_tags};
pub use rows::Row;
pub use runs::{
    RunListing, count_runs_named_like, run_ids_newest_first, run_info, run_key_values, run_name,
    run_status, run_targets, set_run_state_status,
};
pub use stats::{
    count_running_in_run, main_run_stats, raw_run_stats, records_in_other_runs, run_stats,
    test_records_named,
};
pub use steps_data::{test_data_rows, test_step_rows};
pub use tests::{
    TestColumns, TestListing, TestOrder, count_items, test_ids_matching, test_record, test_rundir,
};
