//! Running one UTAH command (spec §1.5, §8.1, §8.2): `/bin/sh -c` in its own process group,
//! standard input from /dev/null, standard output and error captured apart, and a timeout
//! that ends the whole group (TERM, a grace period, then KILL), so nothing it started is
//! left behind; an interrupt of utah (Ctrl-C, TERM) ends the group the same way. `run_as`
//! goes through `sudo -n -u USER`.

use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime};

/// How long a timed-out group gets between TERM and KILL.
const GRACE: Duration = Duration::from_secs(3);
/// How long output is still read after the shell ended (something it left running may hold
/// the pipes open).
const DRAIN: Duration = Duration::from_secs(2);
/// How often a running command is looked at while its output is open.
const POLL: Duration = Duration::from_millis(20);

/// What a command did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The exit status, or minus the signal that ended it.
    pub returncode: i32,
    /// Standard output, as text.
    pub stdout: String,
    /// Standard error, as text (with the timeout's note).
    pub stderr: String,
    /// When it started.
    pub started: SystemTime,
    /// How long it ran.
    pub duration: Duration,
    /// Whether the timeout ended it.
    pub timed_out: bool,
    /// Whether it was stopped because utah was interrupted.
    pub interrupted: bool,
}

impl Outcome {
    /// Exit status 0.
    pub fn ok(&self) -> bool {
        self.returncode == 0
    }
}

/// Runs `command` in `dir` with `timeout` seconds (0: none), as `run_as` when given.
pub fn run(command: &str, dir: &Path, timeout: u64, run_as: Option<&str>) -> Outcome {
    let started = SystemTime::now();
    let clock = Instant::now();
    let mut cmd = match run_as {
        Some(user) => {
            let mut c = Command::new("sudo");
            c.args(["-n", "-u", user, "--", "/bin/sh", "-c", command]);
            c
        }
        None => {
            let mut c = Command::new("/bin/sh");
            c.args(["-c", command]);
            c
        }
    };
    cmd.current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    crate::environ::apply(&mut cmd);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            return Outcome {
                returncode: 127,
                stdout: String::new(),
                stderr: format!(
                    "utah: cannot start the command in {}: {}\n",
                    dir.display(),
                    crate::sys::io_reason(&e)
                ),
                started,
                duration: clock.elapsed(),
                timed_out: false,
                interrupted: false,
            };
        }
    };
    let group = child.id();
    let (tx, rx) = mpsc::channel::<Stream>();
    let out = Arc::new(Mutex::new(Vec::new()));
    let err = Arc::new(Mutex::new(Vec::new()));
    for (which, pipe, buffer) in [
        (
            Stream::Out,
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
            out.clone(),
        ),
        (
            Stream::Err,
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
            err.clone(),
        ),
    ] {
        let Some(pipe) = pipe else { continue };
        let tx = tx.clone();
        std::thread::spawn(move || {
            read_into(pipe, &buffer);
            let _ = tx.send(which);
        });
    }
    drop(tx);
    // A limit too far to reach is none.
    let deadline = (timeout > 0)
        .then(|| clock.checked_add(Duration::from_secs(timeout)))
        .flatten();
    let interrupts_before = crate::sys::interrupts();
    let mut status: Option<std::process::ExitStatus> = None;
    let mut timed_out = false;
    let mut interrupted = false;
    let mut streams_open = 2;
    let mut kill_at: Option<Instant> = None;
    let mut drain_until: Option<Instant> = None;
    let mut nap = Duration::from_micros(50);
    loop {
        let now = Instant::now();
        let stopping = timed_out || interrupted;
        if kill_at.is_some_and(|t| now >= t) {
            signal_group(group, libc::SIGKILL);
            kill_at = None;
        } else if !stopping && deadline.is_some_and(|t| now >= t) {
            timed_out = true;
            signal_group(group, libc::SIGTERM);
            kill_at = Some(now + GRACE);
        } else if !stopping && crate::sys::interrupts() > interrupts_before {
            // utah was asked to stop: the command goes too.
            interrupted = true;
            signal_group(group, libc::SIGTERM);
            kill_at = Some(now + GRACE);
        }
        if status.is_none() {
            status = child.try_wait().ok().flatten();
            if status.is_some() && streams_open > 0 {
                // Something it left running may hold its output open: not for long.
                drain_until = Some(now + DRAIN);
            }
        }
        if streams_open == 0 {
            if status.is_some() {
                break;
            }
            // The output is closed, the shell not yet gone.
            std::thread::sleep(nap);
            nap = (nap * 2).min(POLL);
            continue;
        }
        if drain_until.is_some_and(|t| now >= t) {
            break;
        }
        let wake = [deadline.filter(|_| !timed_out), kill_at, drain_until]
            .into_iter()
            .flatten()
            .chain(status.is_none().then_some(now + POLL))
            .min()
            .unwrap_or(now + POLL);
        match rx.recv_timeout(wake.saturating_duration_since(now)) {
            Ok(_) => streams_open -= 1,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => streams_open = 0,
        }
    }
    if timed_out || interrupted {
        // Whatever of the group outlived TERM (a child that ignores it) goes now.
        signal_group(group, libc::SIGKILL);
    }
    let returncode = match status {
        Some(s) => s.code().unwrap_or_else(|| -s.signal().unwrap_or(0)),
        None => -libc::SIGKILL,
    };
    // What was read so far: a process it left behind may still hold the pipes.
    let taken = |buffer: &Arc<Mutex<Vec<u8>>>| {
        let bytes = std::mem::take(&mut *buffer.lock().unwrap_or_else(|p| p.into_inner()));
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let mut stderr = taken(&err);
    let note = if timed_out {
        Some(format!("utah: command timed out after {timeout} seconds"))
    } else if interrupted {
        Some("utah: command stopped: utah was interrupted".to_string())
    } else {
        None
    };
    if let Some(note) = note {
        if !stderr.is_empty() && !stderr.ends_with('\n') {
            stderr.push('\n');
        }
        stderr.push_str(&note);
        stderr.push('\n');
    }
    Outcome {
        returncode,
        stdout: taken(&out),
        stderr,
        started,
        duration: clock.elapsed(),
        timed_out,
        interrupted,
    }
}

/// The most of one stream kept (the rest is read and dropped).
const KEEP: usize = 16 * 1024 * 1024;

/// Reads `pipe` to its end into `buffer`, as it comes.
fn read_into(mut pipe: Box<dyn Read + Send>, buffer: &Mutex<Vec<u8>>) {
    let mut chunk = [0u8; 8192];
    loop {
        match pipe.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => {
                let mut kept = buffer.lock().unwrap_or_else(|p| p.into_inner());
                let room = KEEP.saturating_sub(kept.len());
                kept.extend_from_slice(&chunk[..n.min(room)]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

enum Stream {
    Out,
    Err,
}

/// Sends `signal` to the process group `group` (ours to end: we made it).
fn signal_group(group: u32, signal: i32) {
    crate::sys::signal_group(group, signal);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_captured_apart_and_the_status_kept() {
        let o = run("echo out; echo err >&2; exit 3", Path::new("/"), 0, None);
        assert_eq!(
            (o.returncode, o.stdout.as_str(), o.stderr.as_str()),
            (3, "out\n", "err\n")
        );
        assert!(!o.timed_out);
    }

    #[test]
    fn a_timeout_ends_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let o = run(
            "(trap '' TERM; sleep 30; touch late) & sleep 30",
            dir.path(),
            1,
            None,
        );
        assert!(o.timed_out);
        assert_eq!(o.returncode, -libc::SIGTERM);
        assert!(
            o.stderr
                .ends_with("utah: command timed out after 1 seconds\n")
        );
        assert!(o.duration < Duration::from_secs(10), "{:?}", o.duration);
    }
}
