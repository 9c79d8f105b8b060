//! The test's processes as one killable unit: each runscript or step runs in its own process
//! group, and a kill (run-time limit, KILLREQ, a signal to the executor) sends TERM to the
//! whole group, waits for a grace period, then sends KILL (spec §9.7).

use crate::sys;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a TERM'ed group gets before KILL.
pub(super) const GRACE: Duration = Duration::from_secs(5);

/// The running child's group, and whether the test was killed.
#[derive(Default)]
pub(super) struct Supervisor {
    state: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    group: Option<u32>,
    killed: bool,
    watch: Option<Watch>,
    /// Whether the watch started.
    watching: bool,
}

/// A watch to start once a command has run long enough (see [`Supervisor::watch_from`]).
struct Watch {
    at: Instant,
    interrupts: usize,
    start: Box<dyn FnOnce() + Send>,
}

/// How often a command's first moments look for a signal to the executor.
const SIGNAL_TICK: Duration = Duration::from_millis(200);

/// How long a command killed from outside waits for the executor's own signal (see
/// [`Supervisor::await_own_signal`]).
const OWN_SIGNAL_WAIT: Duration = Duration::from_secs(2);

/// Whether a signal that ends whole jobs (TERM, KILL, INT, HUP) ended the command.
fn ended_by_a_kill(status: &ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status
        .signal()
        .is_some_and(|s| [sys::SIGTERM, sys::SIGKILL, sys::SIGINT, sys::SIGHUP].contains(&s))
}

/// How a supervised command ended.
pub(super) enum Ended {
    /// It exited (or a signal ended it) by itself or by a kill.
    Exited(ExitStatus),
    /// The test was killed before it could start.
    NotStarted,
}

impl Supervisor {
    /// Runs `cmd` in a new process group and waits for it.
    pub(super) fn run(&self, mut cmd: Command) -> io::Result<Ended> {
        cmd.process_group(0);
        let interrupts_at_spawn = sys::interrupts();
        // A watch that is due starts before anything more runs; a signal that arrived in
        // the meantime stops the job here, as the watcher would have.
        if let Some(signalled) = self.watch_due(true) {
            if signalled {
                self.lock().killed = true;
            }
            self.ensure_watching();
        }
        let mut child = {
            let mut inner = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if inner.killed {
                return Ok(Ended::NotStarted);
            }
            let child = cmd.spawn()?;
            inner.group = Some(child.id());
            child
        };
        self.wait_quietly(&child);
        let status = child.wait();
        self.lock().group = None;
        if let Ok(status) = &status
            && ended_by_a_kill(status)
        {
            self.await_own_signal(interrupts_at_spawn);
        }
        // Past its time, the watch covers what the executor does next (logpro, writes).
        if self.watch_due(false).is_some() {
            self.ensure_watching();
        }
        status.map(Ended::Exited)
    }

    /// A command ended by a kill signal that this supervisor did not send: a batch system
    /// cancelling the job signals every process of it, in no set order, so the executor's own
    /// signal may still be on its way. Waits a moment for it, and if it comes the test counts
    /// as killed rather than failed at this command.
    fn await_own_signal(&self, interrupts_at_spawn: usize) {
        if self.was_killed() {
            return;
        }
        let deadline = Instant::now() + OWN_SIGNAL_WAIT;
        loop {
            if sys::interrupts() > interrupts_at_spawn {
                self.lock().killed = true;
                return;
            }
            if Instant::now() >= deadline {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the watch now if it has not started (before work done in this process that
    /// may take long, such as logpro on a large log).
    pub(super) fn ensure_watching(&self) {
        let start = {
            let mut inner = self.lock();
            let start = inner.watch.take().map(|w| w.start);
            inner.watching |= start.is_some();
            start
        };
        if let Some(start) = start {
            start();
        }
    }

    /// Whether the watch started (it may still write the test's heartbeat).
    pub(super) fn watch_started(&self) -> bool {
        self.lock().watching
    }

    /// Whether a pending watch is due (its time came, or with `signals`, a signal
    /// arrived: then `Some(true)`).
    fn watch_due(&self, signals: bool) -> Option<bool> {
        let inner = self.lock();
        let watch = inner.watch.as_ref()?;
        let signalled = signals && sys::interrupts() > watch.interrupts;
        (signalled || Instant::now() >= watch.at).then_some(signalled)
    }

    /// Calls `start` once a command is still running at `at`, or a signal arrived (the
    /// interrupt count went past `interrupts`); until then waits without a watcher.
    pub(super) fn watch_from(
        &self,
        at: Instant,
        interrupts: usize,
        start: Box<dyn FnOnce() + Send>,
    ) {
        self.lock().watch = Some(Watch {
            at,
            interrupts,
            start,
        });
    }

    /// The watch is no longer wanted (the job is over).
    pub(super) fn stop_watching(&self) {
        self.lock().watch = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Returns when `child` ended, or when the watch had to start.
    fn wait_quietly(&self, child: &std::process::Child) {
        let Some((at, interrupts)) = self.lock().watch.as_ref().map(|w| (w.at, w.interrupts))
        else {
            return;
        };
        if let Ok(pidfd) = sys::process::pidfd_open(child.id()) {
            loop {
                let now = Instant::now();
                if now >= at || sys::interrupts() > interrupts {
                    break;
                }
                let wait = (at - now).min(SIGNAL_TICK);
                match sys::process::poll_readable(&[pidfd.as_raw_fd()], wait.as_millis() as i32 + 1)
                {
                    Ok(ready) if ready[0] => return,
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        }
        self.ensure_watching();
    }

    /// Whether [`Supervisor::kill`] was called.
    pub(super) fn was_killed(&self) -> bool {
        self.lock().killed
    }

    /// Stops the test: no new command starts, the running group gets TERM, then KILL after
    /// the grace period. Returns false if processes survived the KILL.
    pub(super) fn kill(&self) -> bool {
        let group = {
            let mut inner = self.state.lock().unwrap_or_else(|p| p.into_inner());
            inner.killed = true;
            inner.group
        };
        let Some(group) = group else {
            return true;
        };
        sys::signal_group(group, sys::SIGTERM);
        let deadline = Instant::now() + GRACE;
        while Instant::now() < deadline {
            if !sys::group_has_live_members(group) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        sys::signal_group(group, sys::SIGKILL);
        // SIGKILL cannot be caught, but a process in uninterruptible sleep (NFS) takes a
        // moment to go; zombies waiting for their parent are gone already.
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if !sys::group_has_live_members(group) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn kill_reaches_the_whole_group() {
        let sup = Arc::new(Supervisor::default());
        let tmp = tempfile::tempdir().unwrap();
        let pidfile = tmp.path().join("pid");
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c")
            .arg(format!("sleep 60 & echo $! > {}; wait", pidfile.display()));
        let runner = {
            let sup = sup.clone();
            std::thread::spawn(move || sup.run(cmd).map(|e| matches!(e, Ended::Exited(_))))
        };
        while !pidfile.exists() || std::fs::read_to_string(&pidfile).unwrap().trim().is_empty() {
            std::thread::sleep(Duration::from_millis(10));
        }
        let sleeper: u32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let started = Instant::now();
        assert!(sup.kill());
        assert!(runner.join().unwrap().unwrap());
        assert!(started.elapsed() < GRACE, "TERM was enough");
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            !sys::process_exists(sleeper) || is_zombie(sleeper),
            "the background sleep died too"
        );
        let mut again = Command::new("/bin/true");
        again.arg("x");
        assert!(matches!(sup.run(again).unwrap(), Ended::NotStarted));
    }

    #[test]
    fn the_watch_starts_only_for_a_command_that_runs_long_enough() {
        use std::sync::atomic::{AtomicBool, Ordering};
        for (script, started_expected) in [("exit 0", false), ("sleep 1", true)] {
            let sup = Supervisor::default();
            let started = Arc::new(AtomicBool::new(false));
            let flag = started.clone();
            sup.watch_from(
                Instant::now() + Duration::from_millis(300),
                sys::interrupts(),
                Box::new(move || flag.store(true, Ordering::SeqCst)),
            );
            let mut cmd = Command::new("/bin/sh");
            cmd.arg("-c").arg(script);
            assert!(matches!(sup.run(cmd).unwrap(), Ended::Exited(s) if s.success()));
            assert_eq!(started.load(Ordering::SeqCst), started_expected, "{script}");
        }
    }

    fn is_zombie(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z"))
    }
}
