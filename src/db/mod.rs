//! `megatest.db`: the schema and its migrations, and every query (spec §14).

mod activity;
mod archives;
mod envdat;
mod extract_rows;
mod launching;
mod maintenance;
mod meta;
mod model_sql;
mod record_writes;
mod records;
pub mod rmt;
mod rollup;
mod run_owners;
mod runs;
mod schema;
mod steps;
mod store;
mod test_data;
mod test_jobs;
mod test_records;

pub use archives::ArchiveEntry;
pub use envdat::EnvDat;
pub use extract_rows::{EXTRACT_DATA_COLUMNS, EXTRACT_TEST_COLUMNS};
pub use launching::{RecordState, ResetFilter, TestStart};
pub use maintenance::CleanupReport;
pub use meta::META_FIELDS;
pub use record_writes::RecordWrites;
pub use records::{
    DataRecord, Field, FieldRef, RUN_FIELDS, RunRecord, StepRecord, TEST_FIELDS, TestRecord,
    TestView,
};
pub use run_owners::RunOwner;
pub use schema::SCHEMA_VERSION;
pub use store::{Store, db_path, now, typed_keys};
pub use test_data::{DATA_COLUMNS, DataRow, computed_status, parse_row, parse_rows, split_csv};
pub use test_jobs::TestJob;
pub use test_records::{StatusChange, TestFilter};
