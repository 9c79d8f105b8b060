//! The fork helper (`megatest -fork-helper`, internal): a small single-threaded process the
//! runner starts once per pass, which forks one executor per local launch instead of the
//! runner spawning a fresh `megatest -execute` for each. A forked child skips the program's
//! load and start (about 2 ms of CPU per test in `benches/run_engine.rs`) and is otherwise the same
//! executor: same code, own session, stdout and stderr in `mt_launch.log`, the runner's
//! environment with its exports.
//!
//! Protocol, one line each way: the helper first says `R` (ready); then the runner writes a
//! [`Request`] as JSON on the helper's stdin per launch, and the helper answers
//! `F TOKEN MESSAGE` when it could not fork and `E TOKEN CODE` when the child ended (the
//! executor records its own pid when it starts). It leaves when its stdin closes; children still running then carry on
//! alone, as tests do when their runner goes.

use crate::sys_process::{
    close_from, default_child_signal, duplicate, fork, pidfd_open, poll_readable, put_at, reap,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;

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

struct Running {
    token: u64,
    /// Readable when the child ends; without one (the kernel refused), the child is looked
    /// at every [`NO_PIDFD_POLL_MS`].
    pidfd: Option<OwnedFd>,
}

const NO_PIDFD_POLL_MS: i32 = 20;

/// Runs the helper until its stdin closes; returns its exit code.
pub fn serve() -> i32 {
    crate::sys::leave_session();
    default_child_signal();
    let (Ok(mut requests), Ok(mut answers)) = (duplicate(0), duplicate(1)) else {
        eprintln!("megatest -fork-helper: cannot take over stdin and stdout");
        return crate::exit_code::INTERNAL;
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
    let mut running: HashMap<u32, Running> = HashMap::new();
    let mut pending = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        let mut fds = vec![requests.as_raw_fd()];
        let watched: Vec<u32> = running
            .iter()
            .filter(|(_, r)| r.pidfd.is_some())
            .map(|(pid, _)| *pid)
            .collect();
        fds.extend(
            watched
                .iter()
                .filter_map(|p| running[p].pidfd.as_ref().map(|fd| fd.as_raw_fd())),
        );
        let timeout = if watched.len() < running.len() {
            NO_PIDFD_POLL_MS
        } else {
            -1
        };
        let Ok(ready) = poll_readable(&fds, timeout) else {
            return crate::exit_code::INTERNAL;
        };
        let ended: Vec<u32> = running
            .keys()
            .copied()
            .filter(|pid| match watched.iter().position(|w| w == pid) {
                Some(k) => ready[k + 1],
                None => true,
            })
            .collect();
        for pid in ended {
            if let Some(status) = reap(pid)
                && let Some(child) = running.remove(&pid)
            {
                let code = crate::shell::status_code(std::process::ExitStatus::from_raw(status));
                let _ = writeln!(answers, "E {} {code}", child.token);
            }
        }
        if !ready[0] {
            continue;
        }
        let n = match requests.read(&mut buf) {
            Ok(0) | Err(_) => return 0,
            Ok(n) => n,
        };
        pending.extend_from_slice(&buf[..n]);
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let Ok(request) = serde_json::from_slice::<Request>(&line) else {
                eprintln!("megatest -fork-helper: a request it cannot read");
                continue;
            };
            match start(&request) {
                Ok((pid, pidfd)) => {
                    running.insert(
                        pid,
                        Running {
                            token: request.token,
                            pidfd,
                        },
                    );
                }
                Err(e) => {
                    let message = e.to_string().replace('\n', " ");
                    let _ = writeln!(answers, "F {} {message}", request.token);
                }
            }
        }
    }
}

/// Forks the child of one request.
fn start(request: &Request) -> std::io::Result<(u32, Option<OwnedFd>)> {
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&request.log)?;
    let null = File::open("/dev/null")?;
    match fork()? {
        Some(pid) => Ok((pid, pidfd_open(pid).ok())),
        None => {
            // A panic must not end the child's only thread quietly, which exits with 0.
            let code = std::panic::catch_unwind(|| run_child(request, &null, &log))
                .unwrap_or(crate::exit_code::INTERNAL);
            std::process::exit(code)
        }
    }
}

/// In the child: the descriptors, directory and environment a spawned executor would have,
/// then megatest itself on the request's words.
fn run_child(request: &Request, null: &File, log: &File) -> i32 {
    if put_at(null, 0).is_err() || put_at(log, 1).is_err() || put_at(log, 2).is_err() {
        return crate::exit_code::INTERNAL;
    }
    close_from(3);
    if let Err(e) = std::env::set_current_dir(&request.dir) {
        eprintln!("megatest: cannot enter `{}`: {e}", request.dir.display());
        return crate::exit_code::INTERNAL;
    }
    crate::environ::restore(&request.env);
    let code = crate::cli::main(request.words.clone());
    let _ = std::io::stdout().flush();
    code
}
