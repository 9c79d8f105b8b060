//! `max_concurrent_jobs` across runners: every runner counts the area's running tests and
//! launches under an area-wide file lock; when other runners hold runs of the same area (in
//! `run_owners`, looked at under the lock each time), it also has its launches committed
//! before it lets go, so the next runner's count sees them. Alone, it skips that wait.
//!
//! A runner that finds others already at work waits [`JOIN_DELAY`] under the lock before its
//! first count, so the launches they made while they thought themselves alone are committed.

use super::lease;
use crate::db::Store;
use crate::error::{Error, ErrorKind, Result};
use crate::model::RunId;
use std::fs::File;
use std::path::PathBuf;
use std::time::Duration;

/// How long a runner joining others waits before it first counts.
const JOIN_DELAY: Duration = Duration::from_millis(500);

/// The area's launch lock, and whether this runner has looked for others yet.
pub(super) struct AreaShare {
    lock_path: PathBuf,
    run_id: RunId,
    looked: bool,
}

/// The lock, held until dropped; `shared` says whether other runners are at work.
pub(super) struct AreaLock {
    _file: File,
    /// Other live runners hold runs of this area: commit launches before letting go.
    pub shared: bool,
}

impl AreaShare {
    /// For the run `run_id` of the database `store`.
    pub(super) fn new(store: &Store, run_id: RunId) -> AreaShare {
        let mut lock_path = store.path().as_os_str().to_owned();
        lock_path.push(".launch-lock");
        AreaShare {
            lock_path: PathBuf::from(lock_path),
            run_id,
            looked: false,
        }
    }

    /// Takes the area's launch lock and looks for other runners.
    pub(super) fn lock(&mut self, store: &Store) -> Result<AreaLock> {
        let fail = |e: std::io::Error| {
            Error::of(
                ErrorKind::Io,
                format!(
                    "cannot lock `{}`: {}",
                    self.lock_path.display(),
                    crate::sys::io_reason(&e)
                ),
            )
        };
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock_path)
            .map_err(fail)?;
        file.lock().map_err(fail)?;
        let shared = store
            .run_owners()?
            .into_iter()
            .any(|(run_id, owner)| run_id != self.run_id && lease::is_alive(&owner));
        if shared && !self.looked {
            crate::debug!(1, "other runners work in this area; joining them");
            std::thread::sleep(JOIN_DELAY);
        }
        self.looked = true;
        Ok(AreaLock {
            _file: file,
            shared,
        })
    }
}
