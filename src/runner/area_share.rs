//! `max_concurrent_jobs` across runners: when other runners work in the same area (other
//! runs held in `run_owners`), each takes an area-wide file lock around counting the running
//! tests and launching, and has its launches committed before it lets go, so the next
//! runner's count sees them. A runner alone in its area skips all of this.
//!
//! A runner that finds others already at work waits [`JOIN_DELAY`] before its first count:
//! longer than they keep their answer to "am I alone?", so they have seen it (and lock)
//! by then, and the launches they made alone are committed.

use super::lease;
use crate::db::Store;
use crate::error::{Error, Result};
use std::fs::File;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long the answer to "are other runners here?" is kept.
const LOOK_EVERY: Duration = Duration::from_secs(1);

/// How long a runner joining others waits before it first counts.
const JOIN_DELAY: Duration = Duration::from_millis(1500);

/// Whether this runner shares its area, and the lock it then takes.
pub struct AreaShare {
    lock_path: PathBuf,
    run_id: i64,
    looked: Option<(Instant, bool)>,
}

impl AreaShare {
    /// For the run `run_id` of the database `store`.
    pub fn new(store: &Store, run_id: i64) -> AreaShare {
        let mut lock_path = store.path().as_os_str().to_owned();
        lock_path.push(".launch-lock");
        AreaShare {
            lock_path: PathBuf::from(lock_path),
            run_id,
            looked: None,
        }
    }

    /// Whether another live runner holds a run of this area.
    fn shared(&mut self, store: &Store) -> Result<bool> {
        if let Some((at, shared)) = self.looked
            && at.elapsed() < LOOK_EVERY
        {
            return Ok(shared);
        }
        let first_look = self.looked.is_none();
        let shared = store
            .run_owners()?
            .into_iter()
            .any(|(run_id, owner)| run_id != self.run_id && lease::is_alive(&owner));
        if shared && first_look {
            crate::debug!(1, "other runners work in this area; joining them");
            std::thread::sleep(JOIN_DELAY);
        }
        self.looked = Some((Instant::now(), shared));
        Ok(shared)
    }

    /// The area's launch lock when other runners are here (held until dropped), else `None`.
    pub fn lock(&mut self, store: &Store) -> Result<Option<File>> {
        if !self.shared(store)? {
            return Ok(None);
        }
        let fail = |e: std::io::Error| {
            Error::new(format!(
                "cannot lock `{}`: {}",
                self.lock_path.display(),
                crate::config::io_reason(&e)
            ))
        };
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock_path)
            .map_err(fail)?;
        file.lock().map_err(fail)?;
        Ok(Some(file))
    }
}
