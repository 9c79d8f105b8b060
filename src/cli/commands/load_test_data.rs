//! `-load-test-data`: CSV rows from stdin into the running test's data, then the rollup.

use super::in_test;
use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::db::parse_rows;
use crate::error::{Error, Result};
use crate::writer::{TriggerTable, Writer};
use std::io::Read;

/// Loads test data.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let (job, records) = in_test::open(session, "-load-test-data")?;
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Error::new(format!("cannot read test data from stdin: {e}")))?;
    let rows = parse_rows(&text)?;
    records.load_test_data(job.test_id, &rows)?;
    crate::api::share_triggers(&job.test_name, job.triggers.clone());
    let triggers = TriggerTable::of_test(&job.test_name, job.triggers.clone());
    Writer::new(records.destination(), &triggers).test_data_rollup(job.test_id)?;
    Ok(Flow::Continue)
}
