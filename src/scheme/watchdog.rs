//! Stops runaway Scheme: one background thread interrupts the engine when an evaluation
//! outlives its deadline, grows the process's memory by more than its bound, or (at the
//! REPL) when Ctrl-C arrives during it.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use steel::steel_vm::ThreadStateController;

/// How often an evaluation watching for Ctrl-C or its memory checks them.
const SIGNAL_POLL: Duration = Duration::from_millis(25);

/// Why an evaluation was interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    /// It outlived its deadline.
    Deadline,
    /// Ctrl-C (SIGINT) arrived.
    Interrupt,
    /// It grew the process's memory past its bound.
    Memory,
}

#[derive(Clone, Copy)]
struct Watch {
    generation: u64,
    deadline: Option<Instant>,
    /// The SIGINT count when armed, when Ctrl-C should interrupt.
    interrupts_seen: Option<usize>,
    /// The resident size (bytes) above which it is stopped.
    memory_ceiling: Option<u64>,
}

#[derive(Default)]
struct State {
    armed: Option<Watch>,
    fired: Option<(u64, Stop)>,
    next: u64,
}

/// Interrupts one engine's evaluations that run past their deadline.
pub(super) struct Watchdog {
    shared: Arc<(Mutex<State>, Condvar)>,
}

/// An armed deadline; [`Watchdog::disarm`] it when the evaluation ends.
#[must_use]
pub(super) struct Armed(u64);

impl Watchdog {
    /// Starts the watchdog thread for the engine behind `controller`.
    pub(super) fn start(controller: ThreadStateController) -> Self {
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

    /// Arms a deadline `limit` from now (none: no deadline) and a bound on how much the
    /// process's resident memory may grow (none: no bound); with `on_interrupt`, Ctrl-C
    /// interrupts too.
    pub(super) fn arm(
        &self,
        limit: Option<Duration>,
        memory: Option<u64>,
        on_interrupt: bool,
    ) -> Armed {
        let memory_ceiling =
            memory.and_then(|m| crate::sys::resident_bytes().map(|r| r.saturating_add(m)));
        let (lock, cv) = &*self.shared;
        let mut st = lock.lock().unwrap_or_else(|p| p.into_inner());
        st.next += 1;
        let generation = st.next;
        st.armed = Some(Watch {
            generation,
            deadline: limit.map(|l| Instant::now() + l),
            interrupts_seen: on_interrupt.then(crate::sys::interrupts),
            memory_ceiling,
        });
        cv.notify_all();
        Armed(generation)
    }

    /// Disarms; says why the engine was interrupted, if it was.
    pub(super) fn disarm(&self, armed: Armed) -> Option<Stop> {
        let (lock, cv) = &*self.shared;
        let mut st = lock.lock().unwrap_or_else(|p| p.into_inner());
        if st.armed.is_some_and(|w| w.generation == armed.0) {
            st.armed = None;
            cv.notify_all();
        }
        st.fired
            .filter(|(g, _)| *g == armed.0)
            .map(|(_, stop)| stop)
    }
}

fn watch(shared: &(Mutex<State>, Condvar), controller: &ThreadStateController) {
    let (lock, cv) = shared;
    let mut st = lock.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        let Some(watch) = st.armed else {
            st = cv.wait(st).unwrap_or_else(|p| p.into_inner());
            continue;
        };
        let now = Instant::now();
        let stop = if watch.deadline.is_some_and(|d| now >= d) {
            Some(Stop::Deadline)
        } else if watch
            .interrupts_seen
            .is_some_and(|seen| crate::sys::interrupts() > seen)
        {
            Some(Stop::Interrupt)
        } else if watch
            .memory_ceiling
            .is_some_and(|ceiling| crate::sys::resident_bytes().is_some_and(|r| r > ceiling))
        {
            Some(Stop::Memory)
        } else {
            None
        };
        if let Some(stop) = stop {
            controller.interrupt();
            st.fired = Some((watch.generation, stop));
            st.armed = None;
            continue;
        }
        let mut wait = watch.deadline.map_or(Duration::MAX, |d| d - now);
        if watch.interrupts_seen.is_some() || watch.memory_ceiling.is_some() {
            wait = wait.min(SIGNAL_POLL);
        }
        st = if wait == Duration::MAX {
            cv.wait(st).unwrap_or_else(|p| p.into_inner())
        } else {
            cv.wait_timeout(st, wait)
                .unwrap_or_else(|p| p.into_inner())
                .0
        };
    }
}
