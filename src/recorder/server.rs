//! The runner's end of the recorder: one thread with its own connection to the database,
//! listening on a Unix socket with an abstract name (nothing is left on disk) and answering
//! every executor from a single poll loop. Only processes of the same user are served.

use super::protocol::{Reply, Request, answer};
use crate::db::Store;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The states that hold a job slot (`max_concurrent_jobs` counts them).
const RUNNING: [&str; 3] = ["LAUNCHED", "REMOTEHOSTSTART", "RUNNING"];

/// How long a reply may wait for its executor to read it.
const WRITE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The longest request line accepted.
const LONGEST_LINE: usize = 1 << 20;

/// How often the loop looks at its stop flag when nothing happens.
const STOP_CHECK_MS: i32 = 200;

/// A listening recorder; dropping it stops the thread and closes every connection.
pub struct RecorderServer {
    name: String,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RecorderServer {
    /// Listens for the executors that write to `db` (with the area's `keys`); `freed` is
    /// called after a test leaves the running states (its job slot is free, although its
    /// executor has not ended yet).
    pub fn start(
        db: PathBuf,
        keys: Vec<(String, String)>,
        freed: Box<dyn Fn() + Send>,
    ) -> std::io::Result<RecorderServer> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!("megatest-recorder-{}-{nanos:x}", std::process::id());
        let listener = UnixListener::bind_addr(&SocketAddr::from_abstract_name(&name)?)?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::Builder::new()
            .name("recorder".into())
            .stack_size(1024 * 1024)
            .spawn(move || match Store::open_for_test(&db, &keys) {
                Ok(store) => serve(&listener, &store, &stopped, &*freed),
                Err(e) => crate::debug!(1, "recorder: {}", e.message),
            })?;
        Ok(RecorderServer {
            name,
            stop,
            thread: Some(thread),
        })
    }

    /// The abstract socket name executors connect to.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for RecorderServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the loop so that it closes the socket now rather than at its next check.
        if let Ok(addr) = SocketAddr::from_abstract_name(&self.name) {
            let _ = UnixStream::connect_addr(&addr);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One executor's connection: what it sent that is not a whole line yet.
struct Connection {
    stream: UnixStream,
    pending: Vec<u8>,
    greeted: bool,
}

fn serve(listener: &UnixListener, store: &Store, stop: &AtomicBool, freed: &dyn Fn()) {
    let mut connections: Vec<Connection> = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    while !stop.load(Ordering::SeqCst) {
        let mut fds: Vec<RawFd> = vec![listener.as_raw_fd()];
        fds.extend(connections.iter().map(|c| c.stream.as_raw_fd()));
        let Ok(ready) = crate::sys_process::poll_readable(&fds, STOP_CHECK_MS) else {
            return;
        };
        if stop.load(Ordering::SeqCst) {
            return;
        }
        // Every whole line that arrived, answered in one transaction, then the replies.
        let mut open = vec![true; connections.len()];
        let mut lines: Vec<(usize, Vec<u8>)> = Vec::new();
        for (index, connection) in connections.iter_mut().enumerate() {
            if ready[index + 1] {
                open[index] = receive(connection, &mut chunk, index, &mut lines);
            }
        }
        if !lines.is_empty() {
            let requests: Vec<(usize, serde_json::Result<Request>)> = lines
                .into_iter()
                .map(|(index, line)| (index, serde_json::from_slice(&line)))
                .collect();
            let frees = requests.iter().any(|(_, request)| frees_a_slot(request));
            let indexes: Vec<usize> = requests.iter().map(|(index, _)| *index).collect();
            let mut answer_all = || {
                requests
                    .iter()
                    .map(|(index, request)| {
                        reply_to(request, &mut connections[*index].greeted, store)
                    })
                    .collect::<Vec<_>>()
            };
            // One commit for the round; if it fails, nothing of it was written: each
            // request again on its own, for its true reply.
            let replies = match indexes.len() {
                1 => answer_all(),
                _ => match store.batch(&mut answer_all) {
                    Ok(replies) => replies,
                    Err(e) => {
                        crate::debug!(1, "recorder: {}; answering one by one", e.message);
                        answer_all()
                    }
                },
            };
            let mut out: Vec<String> = vec![String::new(); connections.len()];
            for (index, reply) in indexes.into_iter().zip(replies) {
                out[index].push_str(&serde_json::to_string(&reply).unwrap_or_default());
                out[index].push('\n');
            }
            for (index, text) in out.iter().enumerate() {
                if !text.is_empty()
                    && connections[index]
                        .stream
                        .write_all(text.as_bytes())
                        .is_err()
                {
                    open[index] = false;
                }
            }
            if frees {
                freed();
            }
        }
        for index in (0..connections.len()).rev() {
            if !open[index] {
                connections.swap_remove(index);
            }
        }
        if ready[0]
            && let Ok((stream, _)) = listener.accept()
            && crate::sys::peer_uid(&stream) == Some(crate::sys::user_id())
            // An executor reads every reply; one that does not is dropped, not waited for.
            && stream.set_write_timeout(Some(WRITE_WAIT)).is_ok()
        {
            connections.push(Connection {
                stream,
                pending: Vec::new(),
                greeted: false,
            });
        }
    }
}

/// Reads what the executor sent (the socket is readable, so this does not block) and adds
/// its whole lines to `lines`; false when the connection is over.
fn receive(
    connection: &mut Connection,
    chunk: &mut [u8],
    index: usize,
    lines: &mut Vec<(usize, Vec<u8>)>,
) -> bool {
    let n = match connection.stream.read(chunk) {
        Ok(0) | Err(_) => return false,
        Ok(n) => n,
    };
    connection.pending.extend_from_slice(&chunk[..n]);
    while let Some(end) = connection.pending.iter().position(|&b| b == b'\n') {
        lines.push((index, connection.pending.drain(..=end).collect()));
    }
    connection.pending.len() <= LONGEST_LINE
}

/// Whether the request sets a state that does not hold a job slot.
fn frees_a_slot(request: &serde_json::Result<Request>) -> bool {
    matches!(
        request,
        Ok(Request::Status { state: Some(state), .. }) if !RUNNING.contains(&state.as_str())
    )
}

fn reply_to(request: &serde_json::Result<Request>, greeted: &mut bool, store: &Store) -> Reply {
    match request {
        Err(e) => Reply::Failed(format!("not a recorder request: {e}")),
        Ok(Request::Hello { db }) => {
            *greeted = same_file(db, store.path());
            if *greeted {
                Reply::Done
            } else {
                Reply::Failed(format!(
                    "this runner writes to `{}`",
                    store.path().display()
                ))
            }
        }
        Ok(_) if !*greeted => Reply::Failed("the first request must be Hello".into()),
        Ok(request) => answer(store, request.clone()),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}
