//! One runner per run: `-run` holds its run in `run_owners` while it works, renewing the hold
//! every few seconds from a small thread. A second `-run` of the same run waits until the
//! holder is done (then continues where it left off, so nothing runs twice); `-remove-runs`
//! refuses a held run. A holder counts as gone when its process is (same host: the pid and
//! its start time), or when its heartbeat is older than [`STALE_AFTER`] (another host).

use crate::db::{RunOwner, Store, now};
use crate::error::{Error, ErrorKind, Result};
use crate::model::RunId;
use crate::sys;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the holder renews its hold.
const RENEW_EVERY: Duration = Duration::from_secs(5);

/// A hold not renewed for this long (seconds) is taken over, when its host is another.
pub(super) const STALE_AFTER: i64 = 60;

/// How often a waiting runner looks again.
const WAIT_STEP: Duration = Duration::from_millis(250);

/// This process as a run owner.
pub(super) fn me() -> RunOwner {
    let pid = std::process::id();
    RunOwner {
        host: sys::host_name(),
        pid,
        pid_start: sys::process_start_time(pid).unwrap_or_default(),
        since: 0,
        heartbeat: 0,
    }
}

/// Whether `owner` still runs (or may: a silent owner on another host is given
/// [`STALE_AFTER`] seconds).
pub(super) fn is_alive(owner: &RunOwner) -> bool {
    let me = me();
    if owner.host == me.host {
        if owner.pid == me.pid && owner.pid_start == me.pid_start {
            return true;
        }
        if !sys::process_exists(owner.pid) {
            return false;
        }
        return match sys::process_start_time(owner.pid) {
            Some(start) => start == owner.pid_start,
            // Unreadable (`/proc` hides other users' processes): the heartbeat decides.
            None => now() - owner.heartbeat < STALE_AFTER,
        };
    }
    now() - owner.heartbeat < STALE_AFTER
}

/// How the holder of a run is named in messages.
pub fn describe(owner: &RunOwner) -> String {
    format!("megatest pid {} on host {}", owner.pid, owner.host)
}

/// The live holder of a run, if any (for commands that must not touch a run being run).
pub fn live_owner(store: &Store, run_id: RunId) -> Result<Option<RunOwner>> {
    Ok(store.run_owner(run_id)?.filter(is_alive))
}

/// A run held by this process; let go when dropped.
pub(super) struct RunLease {
    db: (PathBuf, Vec<(String, String)>),
    run_id: RunId,
    me: RunOwner,
    stop: Option<mpsc::Sender<()>>,
    renewer: Option<JoinHandle<()>>,
    lost: Arc<AtomicBool>,
}

impl RunLease {
    /// Takes the run, waiting while another live runner holds it (saying so once); Ctrl-C
    /// while waiting ends the command with exit 130.
    pub(super) fn take(
        store: &Store,
        keys: &[(String, String)],
        run_id: RunId,
        run_name: &str,
    ) -> Result<RunLease> {
        let me = me();
        let mut told = false;
        let held_by_other =
            |owner: &RunOwner| !(owner.host == me.host && owner.pid == me.pid) && is_alive(owner);
        loop {
            // Reading first: a waiting runner takes the write lock only when the run looks
            // free; the take itself decides again in its transaction.
            let holder = match store.run_owner(run_id)?.filter(held_by_other) {
                Some(holder) => holder,
                None => match store.take_run(run_id, &me, held_by_other)? {
                    Some(holder) => holder,
                    None => break,
                },
            };
            if !told {
                crate::output::log::emit(format_args!(
                    "NOTE: run {run_name} is being run by {}; waiting for it to finish (Ctrl-C stops waiting)",
                    describe(&holder)
                ));
                told = true;
            }
            if sys::interrupts() > 0 {
                return Err(Error::of(
                    ErrorKind::Interrupted,
                    format!(
                        "stopped waiting for {} to finish run {run_name}",
                        describe(&holder)
                    ),
                ));
            }
            std::thread::sleep(WAIT_STEP);
        }
        if told {
            crate::output::log::emit(format_args!("NOTE: run {run_name} is free; continuing it"));
        }
        let mut lease = RunLease {
            db: (store.path().to_path_buf(), keys.to_vec()),
            run_id,
            me,
            stop: None,
            renewer: None,
            lost: Arc::new(AtomicBool::new(false)),
        };
        lease.start_renewing();
        Ok(lease)
    }

    /// Set once another runner has taken the run over.
    pub(super) fn lost(&self) -> Arc<AtomicBool> {
        self.lost.clone()
    }

    fn start_renewing(&mut self) {
        let (stop, stopped) = mpsc::channel::<()>();
        let (db, run_id, me) = (self.db.clone(), self.run_id, self.me.clone());
        let lost = self.lost.clone();
        let renewer = std::thread::Builder::new()
            .name("run-lease".into())
            .spawn(move || {
                let mut store: Option<Store> = None;
                let mut warned = false;
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(RENEW_EVERY)
                {
                    if store.is_none() {
                        match Store::open_for_test(&db.0, &db.1) {
                            Ok(s) => store = Some(s),
                            Err(e) => {
                                if !warned {
                                    crate::warn!("cannot renew this runner's hold on its run: {e}");
                                    warned = true;
                                }
                                continue;
                            }
                        }
                    }
                    let Some(store) = &store else { continue };
                    if let Ok(false) = store.renew_run(run_id, &me) {
                        crate::warn!(
                            "another runner took this run over (this one's hold went stale); launching nothing more"
                        );
                        lost.store(true, Ordering::SeqCst);
                        return;
                    }
                }
            });
        if let Ok(handle) = renewer {
            self.stop = Some(stop);
            self.renewer = Some(handle);
        }
    }
}

impl Drop for RunLease {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(handle) = self.renewer.take() {
            let _ = handle.join();
        }
        if let Ok(store) = Store::open_for_test(&self.db.0, &self.db.1)
            && let Err(e) = store.release_run(self.run_id, &self.me)
        {
            crate::warn!("could not let go of the run: {e}");
        }
    }
}
