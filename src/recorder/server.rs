//! The runner's end of the recorder: one thread with its own connection to the database,
//! listening on a Unix socket with an abstract name (nothing is left on disk) and answering
//! every executor from a single poll loop. Only processes of the same user are served.
//! For executors on other hosts it also listens on TCP; a TCP connection is served only
//! after it proved that it holds the area's secret (see handshake.rs).

use super::handshake::{LONGEST_NONCE, client_proof, nonce, proven, server_proof};
use super::posts::Posts;
use super::protocol::{Reply, Request, answer};
use crate::db::Store;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// How long a reply may wait for its executor to read it.
const WRITE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The longest request line accepted.
const LONGEST_LINE: usize = 1 << 20;

/// What a TCP peer may send before it has given the secret: a greeting is short.
const LONGEST_GREETING: usize = 4096;

/// How long a TCP peer has to give the secret.
const GREETING_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The most TCP connections served at once; more wait in the listen queue.
const MOST_TCP: usize = 512;

/// How often the loop looks at its stop flag when nothing happens.
const STOP_CHECK_MS: i32 = 200;

/// How executors on other hosts reach the recorder.
#[derive(Debug, Clone)]
pub struct TcpOptions {
    /// The address to listen on (`0.0.0.0:0`: every interface, a port the system picks).
    pub bind: String,
    /// The host name executors are told to connect to.
    pub advertise: String,
    /// The area's secret.
    pub secret: String,
    /// Whether a client with the secret may stop it: a long-lived server; a runner's
    /// recorder ends with its run.
    pub stoppable: bool,
}

/// How many ports above a configured one are tried when it is taken (by the area's
/// long-lived server, or another runner's recorder).
const PORTS_TRIED: u16 = 100;

/// Listens on `bind` (`host:port`); a taken port other than 0 gives way to the next free
/// one above it, as 1.65's `[server] lowport` did.
fn bind_from(bind: &str) -> std::io::Result<TcpListener> {
    let port = bind
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse::<u16>().ok())
        .unwrap_or(0);
    let host = bind.rsplit_once(':').map_or(bind, |(h, _)| h);
    let mut last = None;
    for next in port..=port.saturating_add(PORTS_TRIED - 1) {
        match TcpListener::bind((host, next)) {
            Ok(listener) => return Ok(listener),
            Err(e) if port != 0 && e.kind() == std::io::ErrorKind::AddrInUse => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no port")))
}

/// What the serving thread tells about its clients.
struct Activity {
    /// When the server started.
    started: std::time::Instant,
    /// When a request or a connection last came (milliseconds after `started`).
    last_ms: AtomicU64,
    /// Greeted connections open.
    open: AtomicUsize,
    /// Greeted TCP connections open (processes on other hosts).
    remote_open: AtomicUsize,
    /// A client with the secret asked a stoppable server to stop.
    stop_asked: AtomicBool,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            started: std::time::Instant::now(),
            last_ms: AtomicU64::new(0),
            open: AtomicUsize::new(0),
            remote_open: AtomicUsize::new(0),
            stop_asked: AtomicBool::new(false),
        }
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn touch(&self) {
        self.last_ms.store(self.now_ms(), Ordering::SeqCst);
    }
}

/// A listening recorder; dropping it stops the thread and closes every connection.
pub struct RecorderServer {
    name: String,
    /// `host:port` for executors on other hosts, when listening on TCP.
    address: Option<String>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    posts: Arc<Posts>,
    /// Written to when a settling thread needs the recorder to look at its posts now.
    wake: UnixStream,
    activity: Arc<Activity>,
}

impl RecorderServer {
    /// Listens for the executors that write to `db` (with the area's `keys`); `freed` is
    /// called after a test leaves the running states (its job slot is free, although its
    /// executor has not ended yet).
    pub fn start(
        db: PathBuf,
        keys: Vec<(String, String)>,
        freed: Box<dyn Fn() + Send>,
        tcp: Option<TcpOptions>,
    ) -> std::io::Result<RecorderServer> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!("megatest-recorder-{}-{nanos:x}", std::process::id());
        let listener = UnixListener::bind_addr(&SocketAddr::from_abstract_name(&name)?)?;
        let stoppable = tcp.as_ref().is_some_and(|t| t.stoppable);
        let (tcp_listener, address, secret) = match tcp {
            Some(options) => {
                let listener = bind_from(&options.bind).map_err(|e| {
                    std::io::Error::new(e.kind(), format!("cannot listen on {}: {e}", options.bind))
                })?;
                listener.set_nonblocking(true)?;
                let port = listener.local_addr()?.port();
                let address = format!("{}:{port}", options.advertise);
                (Some(listener), Some(address), Some(options.secret))
            }
            None => (None, None, None),
        };
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let posts = Arc::new(Posts::default());
        let taken = posts.clone();
        let activity = Arc::new(Activity::new());
        let watched = activity.clone();
        let (wake, woken) = UnixStream::pair()?;
        wake.set_nonblocking(true)?;
        woken.set_nonblocking(true)?;
        // Opened here, so that a recorder that runs can write: posts never wait for a
        // recorder that could not.
        let store = Store::open_for_test(&db, &keys)
            .map_err(|e| std::io::Error::other(e.message.clone()))?;
        let thread = std::thread::Builder::new()
            .name("recorder".into())
            .stack_size(1024 * 1024)
            .spawn(move || {
                let serving = Serving {
                    listener: &listener,
                    tcp: tcp_listener.as_ref(),
                    secret: secret.as_deref(),
                    woken: &woken,
                    posts: &taken,
                    stop: &stopped,
                    freed: &*freed,
                    activity: &watched,
                    stoppable,
                };
                let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    serving.serve(&store)
                }));
                let left = taken.close();
                if served.is_err() {
                    // Its executors write for themselves now; a LAUNCHED written after them
                    // would undo their writes.
                    crate::warn!(
                        "the recorder failed; {} launch records not written",
                        left.len()
                    );
                    taken.applied(left.len());
                    return;
                }
                let n = left.len();
                for request in left {
                    apply_post(&store, request);
                }
                taken.applied(n);
            })?;
        Ok(RecorderServer {
            name,
            address,
            stop,
            thread: Some(thread),
            posts,
            wake,
            activity,
        })
    }

    /// Whether a client with the area's secret asked this (stoppable) server to stop.
    pub fn stop_asked(&self) -> bool {
        self.activity.stop_asked.load(Ordering::SeqCst)
    }

    /// How long no client has been connected nor sent anything; zero while one is.
    pub fn idle_for(&self) -> std::time::Duration {
        if self.activity.open.load(Ordering::SeqCst) > 0 {
            return std::time::Duration::ZERO;
        }
        let last = self.activity.last_ms.load(Ordering::SeqCst);
        std::time::Duration::from_millis(self.activity.now_ms().saturating_sub(last))
    }

    /// Waits up to `bound` for the processes on other hosts to close their connections:
    /// after a test's last state they still send its run time and its triggers' reads, and
    /// cannot write them anywhere else. Returns how many were still open.
    /// `give_up` ends the wait early (an interrupt).
    pub fn wait_for_remote_clients(
        &self,
        bound: std::time::Duration,
        give_up: impl Fn() -> bool,
    ) -> usize {
        let until = std::time::Instant::now() + bound;
        loop {
            let open = self.activity.remote_open.load(Ordering::SeqCst);
            if open == 0 || !self.alive() || give_up() || std::time::Instant::now() >= until {
                return open;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Whether the serving thread still runs.
    pub fn serving(&self) -> bool {
        self.alive()
    }

    /// Hands `request` to the recorder without waiting for it; returns its number, or
    /// `None` when the recorder is gone (the caller writes it then).
    pub fn post(&self, request: Request) -> Option<u64> {
        if !self.alive() {
            return None;
        }
        self.posts.post(request)
    }

    /// Whether post number `seq` is in the database (or will never be).
    pub fn is_applied(&self, seq: u64) -> bool {
        self.posts.is_applied(seq)
    }

    /// Waits until everything posted is in the database (or given up with the recorder).
    pub fn settle(&self) {
        self.posts.settle(&self.wake, || self.alive());
    }

    /// The abstract socket name executors connect to.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `host:port` for executors on other hosts, when the recorder listens on TCP.
    pub fn address(&self) -> Option<&str> {
        self.address.as_deref()
    }

    fn alive(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }
}

impl Drop for RecorderServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the loop so that it closes the socket now rather than at its next check.
        let _ = (&self.wake).write(b"s");
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A connection's socket.
enum Stream {
    /// From this host (the peer's user checked).
    Unix(UnixStream),
    /// From anywhere (the secret checked).
    Tcp(TcpStream),
}

impl Stream {
    fn fd(&self) -> RawFd {
        match self {
            Stream::Unix(s) => s.as_raw_fd(),
            Stream::Tcp(s) => s.as_raw_fd(),
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Unix(s) => s.read(buf),
            Stream::Tcp(s) => s.read(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            Stream::Unix(s) => s.write_all(buf),
            Stream::Tcp(s) => s.write_all(buf),
        }
    }
}

/// One executor's connection: what it sent that is not a whole line yet.
struct Connection {
    stream: Stream,
    pending: Vec<u8>,
    greeted: bool,
    /// Over TCP, the greeting so far: the client's nonce, the server's, and its proof.
    nonces: Option<(String, String, String)>,
    /// Refused (a wrong secret): closed once the refusal is sent.
    refused: bool,
    /// When it was accepted (a TCP peer must greet within [`GREETING_WAIT`]).
    opened: std::time::Instant,
}

impl Connection {
    fn new(stream: Stream) -> Connection {
        Connection {
            stream,
            pending: Vec::new(),
            greeted: false,
            nonces: None,
            refused: false,
            opened: std::time::Instant::now(),
        }
    }

    fn is_tcp(&self) -> bool {
        matches!(self.stream, Stream::Tcp(_))
    }
}

/// What the recorder thread works with.
struct Serving<'a> {
    listener: &'a UnixListener,
    /// For executors on other hosts.
    tcp: Option<&'a TcpListener>,
    /// The area's secret, which TCP connections must give.
    secret: Option<&'a str>,
    /// Readable when a settling thread wants the posts looked at now.
    woken: &'a UnixStream,
    posts: &'a Posts,
    stop: &'a AtomicBool,
    freed: &'a dyn Fn(),
    activity: &'a Activity,
    /// Whether [`Request::Stop`] is taken.
    stoppable: bool,
}

impl Serving<'_> {
    fn serve(&self, store: &Store) {
        let mut connections: Vec<Connection> = Vec::new();
        let mut chunk = vec![0u8; 16 * 1024];
        while !self.stop.load(Ordering::SeqCst) {
            let mut fds: Vec<RawFd> = vec![self.listener.as_raw_fd(), self.woken.as_raw_fd()];
            let tcp_count = connections.iter().filter(|c| c.is_tcp()).count();
            // At the cap the listener is not looked at (its queue waits), so a flood of
            // connections cannot use up the runner's files.
            if let Some(tcp) = self.tcp.filter(|_| tcp_count < MOST_TCP) {
                fds.push(tcp.as_raw_fd());
            }
            let first = fds.len();
            fds.extend(connections.iter().map(|c| c.stream.fd()));
            let Ok(ready) = crate::sys::process::poll_readable(&fds, STOP_CHECK_MS) else {
                return;
            };
            if self.stop.load(Ordering::SeqCst) {
                return;
            }
            if ready[1] {
                while matches!((&*self.woken).read(&mut chunk), Ok(n) if n > 0) {}
            }
            let mut open = vec![true; connections.len()];
            let mut lines: Vec<(usize, Vec<u8>)> = Vec::new();
            for (index, connection) in connections.iter_mut().enumerate() {
                if ready[index + first] {
                    open[index] = receive(connection, &mut chunk, index, &mut lines);
                }
            }
            // Taken after the lines: a launch posted before its executor started is here.
            let posted = self.posts.take();
            // Only a client that gave the secret (or a local one) keeps the server busy.
            if lines.iter().any(|(index, _)| connections[*index].greeted) {
                self.activity.touch();
            }
            if !lines.is_empty() || !posted.is_empty() {
                self.answer_round(store, &mut connections, &mut open, lines, posted);
            }
            for index in (0..connections.len()).rev() {
                let c = &connections[index];
                let silent = c.is_tcp() && !c.greeted && c.opened.elapsed() > GREETING_WAIT;
                if !open[index] || c.refused || silent {
                    connections.swap_remove(index);
                }
            }
            if ready[0]
                && let Ok((stream, _)) = self.listener.accept()
                && crate::sys::peer_uid(&stream) == Some(crate::sys::user_id())
                // An executor reads every reply; one that does not is dropped, not waited for.
                && stream.set_write_timeout(Some(WRITE_WAIT)).is_ok()
            {
                connections.push(Connection::new(Stream::Unix(stream)));
            }
            if first > 2
                && ready[2]
                && let Some(tcp) = self.tcp
            {
                let mut room = MOST_TCP.saturating_sub(tcp_count);
                while room > 0
                    && let Ok((stream, _)) = tcp.accept()
                {
                    room -= 1;
                    if stream.set_nonblocking(false).is_ok()
                        && stream.set_nodelay(true).is_ok()
                        && stream.set_write_timeout(Some(WRITE_WAIT)).is_ok()
                    {
                        connections.push(Connection::new(Stream::Tcp(stream)));
                    }
                }
            }
            let remote = connections
                .iter()
                .filter(|c| c.greeted && c.is_tcp())
                .count();
            self.activity.remote_open.store(remote, Ordering::SeqCst);
            let greeted = connections.iter().filter(|c| c.greeted).count();
            if self.activity.open.swap(greeted, Ordering::SeqCst) != greeted {
                self.activity.touch();
            }
        }
    }

    /// The posts, then every whole line that arrived, in one transaction; then the replies.
    fn answer_round(
        &self,
        store: &Store,
        connections: &mut [Connection],
        open: &mut [bool],
        lines: Vec<(usize, Vec<u8>)>,
        posted: Vec<Request>,
    ) {
        let requests: Vec<(usize, serde_json::Result<Request>)> = lines
            .into_iter()
            .map(|(index, line)| (index, serde_json::from_slice(&line)))
            .collect();
        let frees = requests.iter().any(|(_, request)| frees_a_slot(request));
        let posts = posted.len();
        let mut answer_all = || {
            for request in &posted {
                apply_post(store, request.clone());
            }
            requests
                .iter()
                .map(|(index, request)| match request {
                    Ok(Request::Stop) if connections[*index].greeted => self.stop(),
                    _ => reply_to(request, &mut connections[*index], self.secret, store),
                })
                .collect::<Vec<_>>()
        };
        // One commit for the round; if it fails, nothing of it was written: each request
        // again on its own, for its true reply.
        let replies = match posts + requests.len() {
            1 => answer_all(),
            _ => match store.batch(&mut answer_all) {
                Ok(replies) => replies,
                Err(e) => {
                    crate::debug!(1, "recorder: {}; answering one by one", e.message);
                    answer_all()
                }
            },
        };
        self.posts.applied(posts);
        let mut out: Vec<String> = vec![String::new(); connections.len()];
        for ((index, _), reply) in requests.iter().zip(replies) {
            out[*index].push_str(&serde_json::to_string(&reply).unwrap_or_default());
            out[*index].push('\n');
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
            (self.freed)();
        }
    }
}

impl Serving<'_> {
    /// [`Request::Stop`] from a greeted client (over TCP: one that gave the secret).
    fn stop(&self) -> Reply {
        if !self.stoppable {
            return Reply::Failed(
                "a runner's recorder ends with its run; it is not stopped".into(),
            );
        }
        self.activity.stop_asked.store(true, Ordering::SeqCst);
        Reply::Done
    }
}

/// Writes a post of the runner; a failure can only be reported.
fn apply_post(store: &Store, request: Request) {
    if let Reply::Failed(message) = answer(store, request) {
        crate::warn!("the recorder could not write a launch: {message}");
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
        if connection.is_tcp() && !connection.greeted {
            // Nothing after a stranger's first line is read before its answer.
            connection.pending.clear();
            break;
        }
    }
    let longest = if connection.is_tcp() && !connection.greeted {
        LONGEST_GREETING
    } else {
        LONGEST_LINE
    };
    connection.pending.len() <= longest
}

/// Whether the request sets a state that does not hold a job slot.
fn frees_a_slot(request: &serde_json::Result<Request>) -> bool {
    matches!(
        request,
        Ok(Request::Status { state: Some(state), .. }) if !state.is_running()
    )
}

fn reply_to(
    request: &serde_json::Result<Request>,
    connection: &mut Connection,
    secret: Option<&str>,
    store: &Store,
) -> Reply {
    if connection.refused {
        return Reply::Failed("refused".into());
    }
    let tcp = connection.is_tcp();
    if connection.greeted {
        return match request {
            // Answered again when a round is answered again (its commit failed).
            Ok(Request::Hello { .. }) => Reply::Done,
            Ok(Request::Greet { .. }) => Reply::Failed("already greeted".into()),
            Ok(request) => answer(store, request.clone()),
            Err(e) => Reply::Failed(format!("not a recorder request: {e}")),
        };
    }
    // Before the greeting, over TCP, any mistake closes the connection after its answer.
    let reply = match (request, tcp) {
        (Err(e), _) => Err(format!("not a recorder request: {e}")),
        (Ok(Request::Greet { nonce }), true) => greet(connection, secret, nonce),
        (Ok(Request::Hello { db, proof }), true) => {
            let known = match (secret, &connection.nonces, proof) {
                (Some(secret), Some((client, server, _)), Some(proof)) => {
                    let db_text = db.display().to_string();
                    proven(&client_proof(secret, client, server, &db_text), proof)
                }
                _ => false,
            };
            match known {
                true => hello(connection, db, store),
                false => Err("refused: not the area's secret".into()),
            }
        }
        (Ok(Request::Hello { db, .. }), false) => hello(connection, db, store),
        (Ok(_), true) => Err("refused: greet first".into()),
        (Ok(_), false) => Err("the first request must be Hello".into()),
    };
    reply.unwrap_or_else(|why| {
        connection.refused = tcp;
        Reply::Failed(why)
    })
}

/// Answers a TCP client's nonce with the server's and its proof.
fn greet(
    connection: &mut Connection,
    secret: Option<&str>,
    client: &str,
) -> std::result::Result<Reply, String> {
    let secret = secret.ok_or("refused: this server takes no connections over TCP")?;
    // The same greeting again (its round is answered again): the same answer.
    if let Some((given, nonce, proof)) = &connection.nonces
        && given == client
    {
        return Ok(Reply::Challenge {
            nonce: nonce.clone(),
            proof: proof.clone(),
        });
    }
    if connection.nonces.is_some()
        || client.len() > LONGEST_NONCE
        || client.len() < 16
        || !client.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err("refused: not a greeting".into());
    }
    let server = nonce().map_err(|e| e.message.clone())?;
    let proof = server_proof(secret, client, &server);
    connection.nonces = Some((client.to_string(), server.clone(), proof.clone()));
    Ok(Reply::Challenge {
        nonce: server,
        proof,
    })
}

/// Greets a client whose database is this server's.
fn hello(
    connection: &mut Connection,
    db: &Path,
    store: &Store,
) -> std::result::Result<Reply, String> {
    if !crate::sys::same_file(db, store.path()) {
        return Err(format!(
            "this server writes to `{}`",
            store.path().display()
        ));
    }
    connection.greeted = true;
    Ok(Reply::Done)
}
