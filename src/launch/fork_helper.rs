//! The fork helper (`megatest -fork-helper`, internal): a small single-threaded process the
//! runner starts once per pass, which forks one executor per local launch instead of the
//! runner spawning a fresh `megatest -execute` for each. A forked child skips the program's
//! load and start (about 2 ms of CPU per test in `benches/run_engine.rs`) and is otherwise the
//! same executor: same code, own session, stdout and stderr in `mt_launch.log`, the runner's
//! environment with its exports. An executor whose job left its process clean waits for
//! the next launch, which it then runs instead of a new fork (see `forked_executor`).
//!
//! Protocol with the runner, one line each way: the helper first says `R` (ready); then the
//! runner writes a [`Request`] as JSON on the helper's stdin per launch, and the helper
//! answers `F TOKEN MESSAGE` when it could not start it and `E TOKEN CODE` when its job ended
//! (the executor records its own pid when it starts). It leaves when its stdin closes;
//! executors still running then carry on alone, as tests do when their runner goes, and
//! leave after their job; waiting ones leave at once.

use super::forked_executor::Entry;
use crate::sys::process::{
    default_child_signal, duplicate, fork, pidfd_open, poll_readable, put_at, reap,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The option that makes megatest a fork helper.
pub const FORK_HELPER_OPTION: &str = "-fork-helper";

/// One launch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    /// Echoed in the answers.
    pub token: u64,
    /// The child's working directory.
    pub dir: PathBuf,
    /// The file that gets the child's stdout and stderr (appended).
    pub log: PathBuf,
    /// The megatest command line of the child, without the program name.
    pub words: Vec<String>,
    /// Exports (`Some`) and unsets (`None`) on top of the helper's environment.
    pub env: Vec<(String, Option<String>)>,
}

/// An executor the helper forked.
struct Executor {
    /// The launch it runs; `None` while it waits for one (or leaves).
    token: Option<u64>,
    /// Readable when it ends; without one (the kernel refused), it is looked at every
    /// [`NO_PIDFD_POLL_MS`].
    pidfd: Option<OwnedFd>,
    /// The helper's end of its control socket; `None` once it is let go (it then leaves
    /// after its job, or at once when it waits).
    control: Option<UnixStream>,
    /// What it said that is not a whole line yet.
    said: Vec<u8>,
    /// Since when it waits for a job.
    idle_since: Instant,
}

const NO_PIDFD_POLL_MS: i32 = 20;

/// How long an executor may wait for its next job before it is let go.
const IDLE_LIMIT: Duration = Duration::from_secs(5);

/// At most this many executors wait for a job at once; more are let go.
const MOST_WAITING: usize = 8;

/// What a polled descriptor belongs to.
enum Watched {
    Requests,
    End(u32),
    Control(u32),
}

/// Runs the helper until its stdin closes; returns its exit code. Each forked executor runs
/// its jobs through `entry`, the program's own command line (`cli::main`).
pub fn serve(entry: Entry) -> i32 {
    crate::sys::leave_session();
    default_child_signal();
    let (Ok(mut requests), Ok(mut answers)) = (duplicate(0), duplicate(1)) else {
        eprintln!("megatest -fork-helper: cannot take over stdin and stdout");
        return crate::error::exit_code::INTERNAL;
    };
    // Stray output must not mix with the answers, nor input be read twice.
    if let Ok(null) = File::open("/dev/null") {
        let _ = put_at(&null, 0);
    }
    let _ = put_at(&std::io::stderr(), 1);
    if pidfd_open(std::process::id()).is_err() {
        // Without pidfds (Linux before 5.3) the runner spawns executors itself.
        let _ = writeln!(answers, "N");
        return 0;
    }
    if writeln!(answers, "R").is_err() {
        return 0;
    }
    let mut executors: HashMap<u32, Executor> = HashMap::new();
    let mut pending = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        let mut fds = vec![requests.as_raw_fd()];
        let mut roles = vec![Watched::Requests];
        for (&pid, e) in &executors {
            if let Some(fd) = &e.pidfd {
                fds.push(fd.as_raw_fd());
                roles.push(Watched::End(pid));
            }
            if let (Some(_), Some(control)) = (e.token, &e.control) {
                fds.push(control.as_raw_fd());
                roles.push(Watched::Control(pid));
            }
        }
        let Ok(ready) = poll_readable(&fds, poll_timeout(&executors)) else {
            return crate::error::exit_code::INTERNAL;
        };
        let mut requests_ready = false;
        let mut ended: Vec<u32> = executors
            .iter()
            .filter(|(_, e)| e.pidfd.is_none())
            .map(|(pid, _)| *pid)
            .collect();
        for (role, ready) in roles.iter().zip(ready) {
            match (role, ready) {
                (_, false) => {}
                (Watched::Requests, true) => requests_ready = true,
                (Watched::End(pid), true) => ended.push(*pid),
                (Watched::Control(pid), true) => {
                    if let Some(e) = executors.get_mut(pid) {
                        hear(e, &mut answers);
                    }
                }
            }
        }
        for pid in ended {
            if let Some(status) = reap(pid)
                && let Some(e) = executors.remove(&pid)
                && let Some(token) = e.token
            {
                let code =
                    crate::sys::shell::status_code(std::process::ExitStatus::from_raw(status));
                let _ = writeln!(answers, "E {token} {code}");
            }
        }
        let_go_of_idle(&mut executors);
        if !requests_ready {
            continue;
        }
        let n = match requests.read(&mut buf) {
            Ok(0) | Err(_) => {
                see_waiting_out(executors);
                return 0;
            }
            Ok(n) => n,
        };
        pending.extend_from_slice(&buf[..n]);
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let Ok(request) = serde_json::from_slice::<Request>(&line) else {
                eprintln!("megatest -fork-helper: a request it cannot read");
                continue;
            };
            if hand_to_idle(&mut executors, &request, &line) {
                continue;
            }
            match start(&request, entry) {
                Ok((pid, e)) => {
                    executors.insert(pid, e);
                }
                Err(e) => {
                    let message = e.to_string().replace('\n', " ");
                    let _ = writeln!(answers, "F {} {message}", request.token);
                }
            }
        }
    }
}

/// How long to wait in poll: without limit, unless an executor has no pidfd or one that
/// waits for a job will have waited too long.
fn poll_timeout(executors: &HashMap<u32, Executor>) -> i32 {
    let mut timeout: Option<Duration> = None;
    for e in executors.values() {
        if e.pidfd.is_none() {
            timeout = Some(Duration::from_millis(NO_PIDFD_POLL_MS as u64));
        }
        if e.token.is_none() && e.control.is_some() {
            let left = IDLE_LIMIT.saturating_sub(e.idle_since.elapsed());
            timeout = Some(timeout.map_or(left, |t| t.min(left)));
        }
    }
    timeout.map_or(-1, |t| t.as_millis() as i32 + 1)
}

/// Reads what a busy executor said: `D CODE` ends its job (answered `E TOKEN CODE`) and
/// makes it wait for the next; `F MESSAGE` is a job it could not start. A closed socket
/// lets it go.
fn hear(e: &mut Executor, answers: &mut File) {
    let Some(control) = e.control.as_mut() else {
        return;
    };
    let mut chunk = [0u8; 512];
    match control.read(&mut chunk) {
        Ok(0) | Err(_) => {
            e.control = None;
            return;
        }
        Ok(n) => e.said.extend_from_slice(&chunk[..n]),
    }
    while let Some(end) = e.said.iter().position(|&b| b == b'\n') {
        let line: Vec<u8> = e.said.drain(..=end).collect();
        let line = String::from_utf8_lossy(&line);
        let (kind, rest) = line
            .trim_end()
            .split_once(' ')
            .unwrap_or((line.trim_end(), ""));
        let Some(token) = e.token else { continue };
        match kind {
            "D" => {
                let code: i32 = rest.parse().unwrap_or(crate::error::exit_code::INTERNAL);
                let _ = writeln!(answers, "E {token} {code}");
            }
            "F" => {
                let _ = writeln!(answers, "F {token} {rest}");
            }
            _ => continue,
        }
        e.token = None;
        e.idle_since = Instant::now();
    }
}

/// Lets go of executors that waited too long, and of the longest waiting beyond
/// [`MOST_WAITING`].
fn let_go_of_idle(executors: &mut HashMap<u32, Executor>) {
    let mut waiting: Vec<(Instant, u32)> = executors
        .iter()
        .filter(|(_, e)| e.token.is_none() && e.control.is_some())
        .map(|(pid, e)| (e.idle_since, *pid))
        .collect();
    waiting.sort_unstable();
    let surplus = waiting.len().saturating_sub(MOST_WAITING);
    for (k, (since, pid)) in waiting.into_iter().enumerate() {
        if (k < surplus || since.elapsed() >= IDLE_LIMIT)
            && let Some(e) = executors.get_mut(&pid)
        {
            e.control = None;
        }
    }
}

/// At the helper's end: lets every executor go and reaps those that waited for a job (they
/// leave at once), so that their time is counted with the runner's; busy ones carry on.
fn see_waiting_out(executors: HashMap<u32, Executor>) {
    let deadline = Instant::now() + Duration::from_secs(1);
    for (pid, mut e) in executors {
        e.control = None;
        if e.token.is_some() {
            continue;
        }
        let Some(pidfd) = &e.pidfd else { continue };
        let left = deadline.saturating_duration_since(Instant::now());
        if poll_readable(&[pidfd.as_raw_fd()], left.as_millis() as i32).is_ok_and(|r| r[0]) {
            let _ = reap(pid);
        }
    }
}

/// Gives the request (its JSON `line`) to the executor that waited the shortest time;
/// false when none takes it.
fn hand_to_idle(executors: &mut HashMap<u32, Executor>, request: &Request, line: &[u8]) -> bool {
    loop {
        let Some(pid) = executors
            .iter()
            .filter(|(_, e)| e.token.is_none() && e.control.is_some())
            .max_by_key(|(_, e)| e.idle_since)
            .map(|(pid, _)| *pid)
        else {
            return false;
        };
        let e = executors.get_mut(&pid).expect("just found");
        let sent = e.control.as_mut().map(|c| c.write_all(line));
        match sent {
            Some(Ok(())) => {
                e.token = Some(request.token);
                return true;
            }
            _ => e.control = None,
        }
    }
}

/// Forks the executor of one request.
fn start(request: &Request, entry: Entry) -> std::io::Result<(u32, Executor)> {
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&request.log)?;
    let null = File::open("/dev/null")?;
    let (ours, theirs) = UnixStream::pair()?;
    match fork()? {
        Some(pid) => Ok((
            pid,
            Executor {
                token: Some(request.token),
                pidfd: pidfd_open(pid).ok(),
                control: Some(ours),
                said: Vec::new(),
                idle_since: Instant::now(),
            },
        )),
        None => {
            drop(ours);
            // A panic must not end the child's only thread quietly, which exits with 0.
            let code = std::panic::catch_unwind(|| {
                super::forked_executor::live(request, null, log, theirs, entry)
            })
            .unwrap_or(crate::error::exit_code::INTERNAL);
            std::process::exit(code)
        }
    }
}
