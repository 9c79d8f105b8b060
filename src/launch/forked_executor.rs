//! The life of an executor forked by the fork helper: it runs the job it was forked for and,
//! when that job left nothing behind in the process, says so to the helper and waits for
//! the next job of the pass instead of exiting; the next test then skips the fork, the
//! program's page faults and the exit.
//!
//! "Nothing left behind" is checked, not assumed: no signal arrived, no Scheme engine was
//! set up, no other thread, no child process and no descriptor beyond 0-3 is open (a job's
//! triggers live in its own writer and go with it). Anything else and the process exits after its job, as every executor used to.
//! Between jobs the exports, the log settings and the recorded command line are forgotten,
//! so a job sees what a freshly forked executor sees.
//!
//! Control socket (descriptor 3, closed on exec), one line each way: the helper sends a
//! job's [`Request`] as JSON; the executor answers `D CODE` when the job ended with `CODE`
//! and it can take another, or `F MESSAGE` when it could not start the job (and waits on).
//! A closed socket (the helper let it go, or is gone) ends the process.

use super::fork_helper::Request;
use crate::sys::process::{close_from, has_children, move_to, open_descriptors, put_at};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// Where the control socket lives in the executor.
const CONTROL_FD: i32 = 3;

/// How often a waiting executor looks for a signal to it.
const SIGNAL_TICK: Duration = Duration::from_secs(1);

/// The program's command line run on a job's words, returning its exit code.
pub(super) type Entry = fn(Vec<String>) -> i32;

/// Runs `first`, then the jobs the helper sends while the process stays clean, each through
/// `entry`; returns the exit code.
pub(super) fn live(
    first: &Request,
    null: File,
    log: File,
    control: UnixStream,
    entry: Entry,
) -> i32 {
    if put_at(&null, 0).is_err() || put_at(&log, 1).is_err() || put_at(&log, 2).is_err() {
        return crate::error::exit_code::INTERNAL;
    }
    drop((null, log));
    let Ok(control) = move_to(control, CONTROL_FD) else {
        return crate::error::exit_code::INTERNAL;
    };
    close_from(CONTROL_FD + 1);
    let mut reader = BufReader::new(&control);
    let mut code = run_job(first, entry);
    loop {
        if !left_clean() || say(&control, &format!("D {code}")).is_err() {
            return code;
        }
        let_go_of_last_job();
        loop {
            let Some(request) = next_request(&mut reader, &|| crate::sys::interrupts() > 0) else {
                return ended_waiting();
            };
            match take_descriptors(&request) {
                Ok(()) => {
                    code = run_job(&request, entry);
                    break;
                }
                // Nothing ran: the executor waits on.
                Err(message) => {
                    if say(&control, &format!("F {message}")).is_err() {
                        return ended_waiting();
                    }
                }
            }
        }
    }
}

/// While it waits, the executor holds nothing of the last test, whose directory may be
/// removed meanwhile (on NFS, an open log would leave a `.nfs` file behind).
fn let_go_of_last_job() {
    let _ = std::env::set_current_dir("/");
    if let Ok(null) = OpenOptions::new().read(true).write(true).open("/dev/null") {
        for fd in 0..=2 {
            let _ = put_at(&null, fd);
        }
    }
}

/// The exit code of an executor that stopped waiting: by a signal, as if it killed it.
fn ended_waiting() -> i32 {
    match crate::sys::last_signal() {
        0 => 0,
        signal => 128 + signal,
    }
}

/// The job's stdin (`/dev/null`), stdout and stderr (its `mt_launch.log`).
fn take_descriptors(request: &Request) -> Result<(), String> {
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&request.log)
        .map_err(|e| format!("cannot open `{}`: {e}", request.log.display()))?;
    let null = File::open("/dev/null").map_err(|e| format!("cannot open /dev/null: {e}"))?;
    for (file, fd) in [(&null, 0), (&log, 1), (&log, 2)] {
        put_at(file, fd).map_err(|e| format!("cannot set descriptor {fd}: {e}"))?;
    }
    Ok(())
}

/// One job: its directory and exports, then megatest on its words.
fn run_job(request: &Request, entry: Entry) -> i32 {
    crate::environ::clear();
    crate::output::log::reset();
    crate::scheme::forget_program_args();
    if let Err(e) = std::env::set_current_dir(&request.dir) {
        eprintln!("megatest: cannot enter `{}`: {e}", request.dir.display());
        return crate::error::exit_code::INTERNAL;
    }
    crate::environ::restore(&request.env);
    let code = entry(request.words.clone());
    let _ = std::io::stdout().flush();
    code
}

/// Whether the job left the process as a fresh fork would be (see the module's text).
fn left_clean() -> bool {
    crate::output::log::reset();
    crate::sys::interrupts() == 0
        && !crate::scheme::engine_created()
        && !has_children()
        && only_thread()
        && open_descriptors().is_some_and(|fds| fds == [0, 1, 2, CONTROL_FD])
}

fn only_thread() -> bool {
    std::fs::read_dir("/proc/self/task").is_ok_and(|tasks| tasks.count() == 1)
}

fn say(control: &UnixStream, line: &str) -> std::io::Result<()> {
    let mut control = control;
    control.write_all(format!("{line}\n").as_bytes())
}

/// Waits for the helper's next request; `None` when the socket closes, a request cannot be
/// read, or a signal asks the process to end (`interrupted`).
fn next_request(
    reader: &mut BufReader<&UnixStream>,
    interrupted: &dyn Fn() -> bool,
) -> Option<Request> {
    let fd = reader.get_ref().as_raw_fd();
    while reader.buffer().is_empty() {
        if interrupted() {
            return None;
        }
        match crate::sys::process::poll_readable(&[fd], SIGNAL_TICK.as_millis() as i32) {
            Ok(ready) if ready[0] => break,
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    let mut line = String::new();
    match reader.read_line(&mut line) {
        Ok(0) | Err(_) => None,
        // A signal that came with the request ends the executor as it would end a fresh one
        // before its job started (the job would take it as older than itself and run on).
        Ok(_) if interrupted() => None,
        Ok(_) => serde_json::from_str(&line).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn request_line() -> String {
        let request = serde_json::json!({
            "token": 7, "dir": "/", "log": "/dev/null", "words": ["-version"], "env": [],
        });
        format!("{request}\n")
    }

    #[test]
    fn a_request_is_read_when_no_signal_came() {
        let (ours, helper) = UnixStream::pair().unwrap();
        (&helper).write_all(request_line().as_bytes()).unwrap();
        let mut reader = BufReader::new(&ours);
        let request = next_request(&mut reader, &|| false).expect("the request");
        assert_eq!(request.token, 7);
    }

    #[test]
    fn a_signal_that_came_with_the_request_ends_the_wait() {
        let (ours, helper) = UnixStream::pair().unwrap();
        (&helper).write_all(request_line().as_bytes()).unwrap();
        let mut reader = BufReader::new(&ours);
        // No signal when the wait looks before polling; one by the time the line is read.
        let looks = Cell::new(0);
        let interrupted = || {
            looks.set(looks.get() + 1);
            looks.get() > 1
        };
        assert!(next_request(&mut reader, &interrupted).is_none());
    }
}
