//! Stops runaway Scheme: one background thread interrupts the engine when an evaluation
//! outlives its deadline.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use steel::steel_vm::ThreadStateController;

#[derive(Default)]
struct State {
    armed: Option<(u64, Instant)>,
    fired: Option<u64>,
    next: u64,
}

/// Interrupts one engine's evaluations that run past their deadline.
pub struct Watchdog {
    shared: Arc<(Mutex<State>, Condvar)>,
}

/// An armed deadline; [`Watchdog::disarm`] it when the evaluation ends.
#[must_use]
pub struct Armed(u64);

impl Watchdog {
    /// Starts the watchdog thread for the engine behind `controller`.
    pub fn start(controller: ThreadStateController) -> Self {
        let shared = Arc::new((Mutex::new(State::default()), Condvar::new()));
        let theirs = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("scheme-watchdog".into())
            .spawn(move || watch(&theirs, &controller));
        if let Err(e) = spawned {
            crate::warn!("cannot start the Scheme watchdog, runaway code will not be stopped: {e}");
        }
        Watchdog { shared }
    }

    /// Arms a deadline `limit` from now.
    pub fn arm(&self, limit: Duration) -> Armed {
        let (lock, cv) = &*self.shared;
        let mut st = lock.lock().unwrap_or_else(|p| p.into_inner());
        st.next += 1;
        let generation = st.next;
        st.armed = Some((generation, Instant::now() + limit));
        cv.notify_all();
        Armed(generation)
    }

    /// Disarms; true when the deadline passed and the engine was interrupted.
    pub fn disarm(&self, armed: Armed) -> bool {
        let (lock, cv) = &*self.shared;
        let mut st = lock.lock().unwrap_or_else(|p| p.into_inner());
        if st.armed.is_some_and(|(g, _)| g == armed.0) {
            st.armed = None;
            cv.notify_all();
        }
        st.fired == Some(armed.0)
    }
}

fn watch(shared: &(Mutex<State>, Condvar), controller: &ThreadStateController) {
    let (lock, cv) = shared;
    let mut st = lock.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        match st.armed {
            None => st = cv.wait(st).unwrap_or_else(|p| p.into_inner()),
            Some((generation, deadline)) => {
                let now = Instant::now();
                if now >= deadline {
                    controller.interrupt();
                    st.fired = Some(generation);
                    st.armed = None;
                } else {
                    st = cv
                        .wait_timeout(st, deadline - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                }
            }
        }
    }
}
