//! The executor's watch over a running test (spec §9.7): the run-time limit, KILLREQ from
//! other processes, signals to the executor, and a heartbeat (run duration, load, free disk)
//! that dead-test detection reads. A test that ends within a second never touches the
//! database from here.

use super::supervisor::Supervisor;
use crate::db::Store;
use crate::sys;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
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
pub enum KillReason {
    /// The run time went over `runtimelim` (seconds).
    TimeLimit(u64),
    /// Someone set the test to KILLREQ.
    Request,
    /// The executor got this signal.
    Signal(i32),
}

/// What the monitor needs.
pub struct Watch {
    /// The database file and keys, for the monitor's own connection.
    pub db: (PathBuf, Vec<(String, String)>),
    /// The test record.
    pub test_id: i64,
    /// The limit, in seconds.
    pub runtimelim: Option<u64>,
    /// The run directory (for free-space samples).
    pub work_area: PathBuf,
}

/// A running monitor.
pub struct Monitor {
    stop: mpsc::Sender<()>,
    handle: JoinHandle<(Option<KillReason>, bool)>,
}

impl Monitor {
    /// Starts watching; kills go through `supervisor`.
    pub fn start(watch: Watch, supervisor: Arc<Supervisor>) -> Monitor {
        let (stop, stopped) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("monitor".into())
            .spawn(move || watch_loop(&watch, &supervisor, &stopped))
            .expect("the monitor thread starts");
        Monitor { stop, handle }
    }

    /// Stops the monitor; returns why it killed the test (if it did) and whether the kill
    /// left no process behind.
    pub fn finish(self) -> (Option<KillReason>, bool) {
        let _ = self.stop.send(());
        self.handle.join().unwrap_or((None, true))
    }
}

fn watch_loop(
    watch: &Watch,
    supervisor: &Supervisor,
    stopped: &mpsc::Receiver<()>,
) -> (Option<KillReason>, bool) {
    let start = Instant::now();
    let deadline = watch.runtimelim.map(|s| start + Duration::from_secs(s));
    let mut next_state = start + STATE_EVERY;
    let mut next_beat = start + HEARTBEAT_EVERY;
    let mut store: Option<Store> = None;
    let interrupts_at_start = sys::interrupts();
    loop {
        let now = Instant::now();
        let mut wake = (now + TICK).min(next_state);
        if let Some(d) = deadline {
            wake = wake.min(d);
        }
        match stopped.recv_timeout(wake.saturating_duration_since(now)) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return (None, true),
            Err(RecvTimeoutError::Timeout) => {}
        }
        let now = Instant::now();
        let reason = if sys::interrupts() > interrupts_at_start {
            Some(KillReason::Signal(sys::last_signal()))
        } else if deadline.is_some_and(|d| now >= d) {
            println!("KILLING TEST DUE TO TIME LIMIT EXCEEDED!");
            Some(KillReason::TimeLimit(watch.runtimelim.unwrap_or(0)))
        } else if now >= next_state {
            next_state = now + STATE_EVERY;
            if store.is_none() {
                store = Store::open_for_test(&watch.db.0, &watch.db.1).ok();
            }
            let state = store
                .as_ref()
                .and_then(|s| s.state_of(watch.test_id).ok().flatten());
            if state.is_some_and(|(state, _)| state == "KILLREQ") {
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
