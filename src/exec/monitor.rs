//! The executor's watch over a running test (spec §9.7): the run-time limit, KILLREQ from
//! other processes, signals to the executor, and a heartbeat (run duration, load, free disk)
//! that dead-test detection reads. A test whose commands end within a second never starts
//! the monitor's thread, nor touches the database from here.

use super::supervisor::Supervisor;
use crate::model::TestId;
use crate::recorder::{Recorder, RemoteServer};
use crate::sys;
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the monitor looks at signals.
const TICK: Duration = Duration::from_millis(200);
/// How often it reads the test's state (for KILLREQ).
const STATE_EVERY: Duration = Duration::from_secs(1);
/// How often it writes the heartbeat.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(3);

/// Why the monitor killed the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KillReason {
    /// The run time went over `runtimelim` (seconds).
    TimeLimit(u64),
    /// Someone set the test to KILLREQ.
    Request,
    /// The executor got this signal.
    Signal(i32),
}

/// What the monitor needs.
pub(super) struct Watch {
    /// The database file and keys, for the monitor's own connection.
    pub db: (PathBuf, Vec<(String, String)>),
    /// The server to ask instead, on another host than the database's.
    pub remote: Option<RemoteServer>,
    /// The test record.
    pub test_id: TestId,
    /// The limit, in seconds.
    pub runtimelim: Option<u64>,
    /// The run directory (for free-space samples).
    pub work_area: PathBuf,
    /// The count of signals when the test's execution began: one that came since (even
    /// before the watch, as a batch system's signal to a job that just started) stops it.
    pub interrupts_before: usize,
}

/// How long a command runs before the monitor thread starts: most steps end sooner, and
/// their test then never pays for a thread (nor, as before, for the database).
const QUIET: Duration = Duration::from_secs(1);

/// The monitor of a test: its thread starts once a command has run for [`QUIET`] (or at the
/// run-time limit, if sooner), or at once on a signal.
pub(super) struct Monitor {
    running: Arc<Mutex<Option<Running>>>,
    supervisor: Arc<Supervisor>,
    interrupts_at_start: usize,
}

struct Running {
    stop: mpsc::Sender<()>,
    handle: JoinHandle<(Option<KillReason>, bool)>,
}

impl Monitor {
    /// Starts watching; kills go through `supervisor`.
    pub(super) fn start(watch: Watch, supervisor: Arc<Supervisor>) -> Monitor {
        let started = Instant::now();
        let interrupts_at_start = watch.interrupts_before;
        let quiet = watch
            .runtimelim
            .map_or(QUIET, |s| QUIET.min(Duration::from_secs(s)));
        let running = Arc::new(Mutex::new(None));
        let slot = running.clone();
        let killer = supervisor.clone();
        supervisor.watch_from(
            started + quiet,
            interrupts_at_start,
            Box::new(move || {
                let (stop, stopped) = mpsc::channel();
                let handle = std::thread::Builder::new()
                    .name("monitor".into())
                    .spawn(move || {
                        watch_loop(&watch, &killer, &stopped, started, interrupts_at_start)
                    })
                    .expect("the monitor thread starts");
                *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(Running { stop, handle });
            }),
        );
        Monitor {
            running,
            supervisor,
            interrupts_at_start,
        }
    }

    /// Stops the monitor; returns why it killed the test (if it did) and whether the kill
    /// left no process behind.
    pub(super) fn finish(self) -> (Option<KillReason>, bool) {
        self.supervisor.stop_watching();
        let running = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let found = match running {
            Some(running) => {
                let _ = running.stop.send(());
                running.handle.join().unwrap_or((None, true))
            }
            None => (None, true),
        };
        match found {
            // A signal that also ended the command (a batch system signals every process
            // of the job at once) before the watch looked, or one between commands.
            (None, _) if sys::interrupts() > self.interrupts_at_start => {
                (Some(KillReason::Signal(sys::last_signal())), true)
            }
            found => found,
        }
    }
}

fn watch_loop(
    watch: &Watch,
    supervisor: &Supervisor,
    stopped: &mpsc::Receiver<()>,
    start: Instant,
    interrupts_at_start: usize,
) -> (Option<KillReason>, bool) {
    let deadline = watch.runtimelim.map(|s| start + Duration::from_secs(s));
    let mut next_state = start + STATE_EVERY;
    let mut next_beat = start + HEARTBEAT_EVERY;
    // Its own connection to the database, or on another host its own link to the server.
    let mut store: Option<Recorder> = None;
    // Started late (see `QUIET`), it looks at once, then every tick.
    let mut looked = false;
    loop {
        if looked {
            let now = Instant::now();
            let mut wake = (now + TICK).min(next_state);
            if let Some(d) = deadline {
                wake = wake.min(d);
            }
            match stopped.recv_timeout(wake.saturating_duration_since(now)) {
                Ok(()) | Err(RecvTimeoutError::Disconnected) => return (None, true),
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
        looked = true;
        let now = Instant::now();
        let reason = if sys::interrupts() > interrupts_at_start {
            Some(KillReason::Signal(sys::last_signal()))
        } else if deadline.is_some_and(|d| now >= d) {
            println!("KILLING TEST DUE TO TIME LIMIT EXCEEDED!");
            Some(KillReason::TimeLimit(watch.runtimelim.unwrap_or(0)))
        } else if now >= next_state {
            next_state = now + STATE_EVERY;
            if store.is_none() {
                store = Recorder::for_thread(watch.remote.as_ref(), &watch.db.0, &watch.db.1)
                    .map_err(|e| crate::warn!("{}", e.message))
                    .ok();
            }
            let state = store
                .as_ref()
                .and_then(|s| s.state_of(watch.test_id).ok().flatten());
            if state.is_some_and(|(state, _)| state == crate::model::State::KillReq) {
                Some(KillReason::Request)
            } else {
                if now >= next_beat {
                    next_beat = now + HEARTBEAT_EVERY;
                    if let Some(s) = &store {
                        let load =
                            sys::load_average().map_or(-1.0, |l| l[0] / sys::cpu_count() as f64);
                        let free = sys::free_kib(&watch.work_area).map_or(-1, |f| f as i64);
                        let _ = s.heartbeat(
                            watch.test_id,
                            start.elapsed().as_secs() as i64,
                            load,
                            free,
                        );
                    }
                }
                None
            }
        } else {
            None
        };
        if let Some(reason) = reason {
            let clean = supervisor.kill();
            return (Some(reason), clean);
        }
    }
}
