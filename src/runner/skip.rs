//! `[skip]` (spec §4.3): checked right before a test or item would launch.

use crate::db::{Store, now};
use crate::error::Result;
use crate::model::TestId;
use crate::testdef::{Skip, TestDef};
use std::path::Path;

/// Why the test is skipped, if it is.
pub(super) fn skip_reason(
    def: &TestDef,
    store: &Store,
    area_top: &Path,
    item: &str,
    id: TestId,
) -> Result<Option<String>> {
    let Some(rule) = def.skip() else {
        return Ok(None);
    };
    let running = || store.instance_running(&def.name, item, id);
    Ok(match rule {
        Skip::PrevRunning => {
            running()?.then(|| "Skipping due to previous tests running".to_string())
        }
        Skip::FileExists(path) => {
            let path = path.trim();
            area_top
                .join(path)
                .exists()
                .then(|| format!("Skipping due to existence of file {path}"))
        }
        Skip::RunDelay(seconds) => {
            if running()? {
                Some("Skipping due to previous tests running".to_string())
            } else {
                let recent = store
                    .last_finished_start(&def.name, item)?
                    .is_some_and(|start| now() - start < seconds as i64);
                recent
                    .then(|| format!("Skipping due to previous test run less than {seconds}s ago"))
            }
        }
    })
}
