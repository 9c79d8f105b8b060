//! Who runs a run: one row per run in `run_owners` (host, pid, the pid's start time, a
//! heartbeat). The policy (when an owner counts as gone, waiting) is `runner::lease`'s.

use super::store::{Store, now};
use crate::error::Result;
use crate::model::RunId;
use rusqlite::OptionalExtension;

/// The runner holding a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOwner {
    /// Its host.
    pub host: String,
    /// Its process id on that host.
    pub pid: u32,
    /// The process's start time (tells a reused pid apart), `""` when unknown.
    pub pid_start: String,
    /// When it took the run (seconds since the epoch).
    pub since: i64,
    /// When it last said it is alive.
    pub heartbeat: i64,
}

fn owner_of(c: &rusqlite::Connection, run_id: RunId) -> rusqlite::Result<Option<RunOwner>> {
    c.prepare_cached(
        "SELECT host, pid, pid_start, since, heartbeat FROM run_owners WHERE run_id=?1",
    )?
    .query_row([run_id], |r| {
        Ok(RunOwner {
            host: r.get(0)?,
            pid: r.get(1)?,
            pid_start: r.get(2)?,
            since: r.get(3)?,
            heartbeat: r.get(4)?,
        })
    })
    .optional()
}

impl Store {
    /// The owner of a run, if one is recorded.
    pub fn run_owner(&self, run_id: RunId) -> Result<Option<RunOwner>> {
        self.read(|c| owner_of(c, run_id))
    }

    /// Every recorded owner, with its run.
    pub fn run_owners(&self) -> Result<Vec<(RunId, RunOwner)>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT run_id, host, pid, pid_start, since, heartbeat FROM run_owners",
            )?;
            stmt.query_map([], |r| {
                Ok((
                    r.get(0)?,
                    RunOwner {
                        host: r.get(1)?,
                        pid: r.get(2)?,
                        pid_start: r.get(3)?,
                        since: r.get(4)?,
                        heartbeat: r.get(5)?,
                    },
                ))
            })?
            .collect()
        })
    }

    /// Takes the run for `me` unless `keep(current owner)` says the current owner stays; in
    /// one transaction, so two runners cannot both take it. Returns the owner that stays.
    pub fn take_run(
        &self,
        run_id: RunId,
        me: &RunOwner,
        keep: impl FnOnce(&RunOwner) -> bool,
    ) -> Result<Option<RunOwner>> {
        self.write(|c| {
            if let Some(owner) = owner_of(c, run_id)?.filter(|o| keep(o)) {
                return Ok(Some(owner));
            }
            let time = now();
            c.prepare_cached(
                "INSERT OR REPLACE INTO run_owners (run_id, host, pid, pid_start, since, heartbeat) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            )?
            .execute((run_id, &me.host, me.pid, &me.pid_start, time))?;
            Ok(None)
        })
    }

    /// Renews `me`'s hold on a run; false when it is no longer `me`'s.
    pub fn renew_run(&self, run_id: RunId, me: &RunOwner) -> Result<bool> {
        self.write(|c| {
            let changed = c
                .prepare_cached(
                    "UPDATE run_owners SET heartbeat=?1 WHERE run_id=?2 AND host=?3 AND pid=?4 AND pid_start=?5",
                )?
                .execute((now(), run_id, &me.host, me.pid, &me.pid_start))?;
            Ok(changed == 1)
        })
    }

    /// Lets go of a run held by `me`.
    pub fn release_run(&self, run_id: RunId, me: &RunOwner) -> Result<()> {
        self.write(|c| {
            c.prepare_cached(
                "DELETE FROM run_owners WHERE run_id=?1 AND host=?2 AND pid=?3 AND pid_start=?4",
            )?
            .execute((run_id, &me.host, me.pid, &me.pid_start))?;
            Ok(())
        })
    }
}
