//! The executor's end of the recorder. With a runner that answers, the test's writes go to
//! it; without one (no recorder in the job file, the runner gone) they go to `megatest.db`
//! directly. Requests whose answer the executor does not need at once are posted without
//! waiting and their replies read with the next call's. A link that breaks is given up for
//! good and the requests it left unanswered are made again on the database: every request
//! sets absolute values, so doing one twice leaves the same records. An executor on another
//! host than the database's never opens the database: it reaches the runner over TCP with
//! the area's secret, and when the link breaks it connects again (within the job's bound)
//! and sends what was not answered.

use super::handshake;
use super::protocol::{Reply, Request, answer};
use crate::db::{StatusChange, Store, TestStart};
use crate::error::{Error, Result};
use crate::launch::JobFile;
use crate::launch::job::Job;
use crate::model::{State, Status, TestId};
use crate::writer::Destination;
use std::cell::{OnceCell, RefCell};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long an executor waits for the runner's reply (as long as for a database lock)
/// before it gives the link up and writes to the database itself.
const REPLY_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// How long one TCP connection attempt may take.
const CONNECT_WAIT: Duration = Duration::from_secs(5);

/// The server an executor on another host sends everything to.
#[derive(Debug, Clone)]
pub struct RemoteServer {
    /// `host:port`.
    pub address: String,
    /// The area's secret.
    pub secret: String,
    /// The database the executor's job names (the server checks it is its own).
    pub db: PathBuf,
    /// How long to keep trying to reach it.
    pub wait: Duration,
    /// The area, whose long-lived servers (`megatest -server`) on the database's host
    /// take over when this one stops answering.
    pub area: PathBuf,
    /// The database's host (`None`: no other server is tried).
    pub homehost: Option<String>,
}

/// Why a TCP connection did not come up.
enum TcpFailure {
    /// Try again (nobody listens, the network, a timeout).
    Again(String),
    /// The server refused us: trying again changes nothing.
    Refused(String),
}

impl TcpFailure {
    fn reason(self) -> String {
        match self {
            TcpFailure::Again(why) => why,
            TcpFailure::Refused(why) => why,
        }
    }
}

impl RemoteServer {
    /// The server of `job` when this process (its executor, or a helper in its steps) runs
    /// away from the database's host; `None` at home.
    pub fn for_job(job: &Job) -> Result<Option<RemoteServer>> {
        let Some(home) = job.homehost.as_deref() else {
            return Ok(None);
        };
        let here = crate::sys::host_name();
        if crate::sys::same_host(home, &here) {
            return Ok(None);
        }
        let address = match job.server.clone() {
            Some(address) => address,
            // A long-lived server of the area will do.
            None => match super::registry::live_addresses(&job.toppath, home)
                .into_iter()
                .next()
            {
                Some(address) => address,
                None => {
                    return Err(Error::new(format!(
                        "this test runs on {here}, not on the database's host {home}, and neither its runner nor a megatest -server offers a way to record"
                    ))
                    .note("a process on another host never writes megatest.db over the network; run the runner with a launcher that uses other hosts, or start `megatest -server -` on the database's host"));
                }
            },
        };
        let secret = super::secret::read_secret(&job.toppath)?;
        Ok(Some(RemoteServer {
            address,
            secret,
            db: job.db_path.clone(),
            // A day at most: longer is no bound at all.
            wait: Duration::from_secs(job.server_wait.min(86_400)),
            area: job.toppath.clone(),
            homehost: Some(home.to_string()),
        }))
    }

    /// One attempt to log in at [`RemoteServer::address`] with the area's secret (`-ping`).
    pub fn login(&self) -> std::result::Result<(), String> {
        Link::over_tcp(self, &self.address)
            .map(|_| ())
            .map_err(TcpFailure::reason)
    }

    /// Asks the server at [`RemoteServer::address`] to stop (`-kill-servers`); a runner's
    /// recorder refuses.
    pub fn request_stop(&self) -> std::result::Result<(), String> {
        let mut link = Link::over_tcp(self, &self.address).map_err(TcpFailure::reason)?;
        if !link.send(Request::Stop) {
            return Err("the connection closed".into());
        }
        match link.receive() {
            Some(Reply::Done) => Ok(()),
            Some(Reply::Failed(why)) => Err(why),
            Some(other) => Err(format!("unexpected reply {other:?}")),
            None => Err("the connection closed".into()),
        }
    }

    /// The addresses to try: this server's, then the area's live long-lived servers on
    /// the database's host.
    fn candidates(&self) -> impl Iterator<Item = String> + '_ {
        // The area's registry is read only once the job's own address has failed.
        let others = std::iter::once_with(|| match &self.homehost {
            Some(home) => super::registry::live_addresses(&self.area, home),
            None => Vec::new(),
        })
        .flatten()
        .filter(|address| *address != self.address);
        std::iter::once(self.address.clone()).chain(others)
    }

    /// A link to the server (or, while it does not answer, to a long-lived server of the
    /// area), trying again every second for [`RemoteServer::wait`].
    fn connect(&self) -> Result<Link> {
        let deadline = Instant::now() + self.wait;
        loop {
            let mut why = String::new();
            let mut refusal = None;
            for address in self.candidates() {
                match Link::over_tcp(self, &address) {
                    Ok(link) => {
                        if address != self.address {
                            crate::debug!(1, "recording through the megatest server at {address}");
                        }
                        return Ok(link);
                    }
                    // Another area's server may have the port now: the others are tried.
                    Err(TcpFailure::Refused(reason)) => {
                        refusal.get_or_insert(format!("{address}: {reason}"));
                    }
                    Err(TcpFailure::Again(reason)) => {
                        if why.is_empty() {
                            why = reason;
                        }
                    }
                }
            }
            // Refused, and nobody else took us: trying again changes nothing.
            if let Some(refusal) = refusal {
                return Err(Error::new(format!(
                    "the megatest server refused this process: {refusal}"
                )));
            }
            if Instant::now() >= deadline {
                return Err(Error::new(format!(
                    "cannot reach the megatest server at {} (tried for {} s): {why}",
                    self.address,
                    self.wait.as_secs()
                ))
                .note("an executor on another host records only through the server, never by writing megatest.db itself"));
            }
            crate::debug!(
                1,
                "the megatest server at {}: {why}; trying again",
                self.address
            );
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

/// Where an executor's writes go.
pub struct Recorder {
    link: RefCell<Option<Link>>,
    /// Set on another host than the database's: the only way to the records.
    remote: Option<RemoteServer>,
    /// The summary page that came with the test's last write, until another request or a
    /// use of the database itself.
    summary: RefCell<Option<std::result::Result<Option<String>, String>>>,
    local: OnceCell<Store>,
    db_path: PathBuf,
    keys: Vec<(String, String)>,
}

/// The connection to the runner, with the requests sent whose replies are not read yet.
struct Link {
    reader: BufReader<Box<dyn Read>>,
    writer: Box<dyn Write>,
    unanswered: VecDeque<Request>,
}

impl Link {
    /// Connects and says hello (its reply is read with the first call's).
    fn connect(name: &str, db: &Path) -> Option<Link> {
        let stream = UnixStream::connect_addr(&SocketAddr::from_abstract_name(name).ok()?).ok()?;
        // Abstract names carry no permissions: only a runner of this user may take the writes.
        if crate::sys::peer_uid(&stream) != Some(crate::sys::user_id()) {
            crate::debug!(
                1,
                "the recorder {name} belongs to another user; not using it"
            );
            return None;
        }
        stream.set_read_timeout(Some(REPLY_WAIT)).ok()?;
        let mut link = Link {
            reader: BufReader::new(Box::new(stream.try_clone().ok()?)),
            writer: Box::new(stream),
            unanswered: VecDeque::new(),
        };
        link.send(Request::Hello {
            db: db.to_path_buf(),
            proof: None,
        })
        .then_some(link)
    }

    /// Connects over TCP and greets, each end proving it holds the area's secret (see
    /// handshake.rs), waiting for each answer: a refusal is known before anything else is
    /// sent.
    fn over_tcp(server: &RemoteServer, address: &str) -> std::result::Result<Link, TcpFailure> {
        let again = |e: &dyn std::fmt::Display| TcpFailure::Again(e.to_string());
        let addresses: Vec<std::net::SocketAddr> =
            address.to_socket_addrs().map_err(|e| again(&e))?.collect();
        let mut last = TcpFailure::Again(format!("`{address}` names no address"));
        for address in addresses {
            let stream = match TcpStream::connect_timeout(&address, CONNECT_WAIT) {
                Ok(stream) => stream,
                Err(e) => {
                    last = again(&e);
                    continue;
                }
            };
            stream.set_nodelay(true).map_err(|e| again(&e))?;
            stream
                .set_read_timeout(Some(REPLY_WAIT))
                .map_err(|e| again(&e))?;
            let link = Link {
                reader: BufReader::new(Box::new(stream.try_clone().map_err(|e| again(&e))?)),
                writer: Box::new(stream),
                unanswered: VecDeque::new(),
            };
            return link.greet(server);
        }
        Err(last)
    }

    /// The TCP greeting: the server proves it holds the secret first, then this client.
    fn greet(mut self, server: &RemoteServer) -> std::result::Result<Link, TcpFailure> {
        let closed = || TcpFailure::Again("the connection closed".into());
        let mine = handshake::nonce().map_err(|e| TcpFailure::Again(e.message.clone()))?;
        if !self.send(Request::Greet {
            nonce: mine.clone(),
        }) {
            return Err(closed());
        }
        let theirs = match self.receive() {
            Some(Reply::Challenge { nonce, proof }) => {
                let expected = handshake::server_proof(&server.secret, &mine, &nonce);
                if !handshake::proven(&expected, &proof) {
                    return Err(TcpFailure::Refused(
                        "the server there does not know the area's secret".into(),
                    ));
                }
                nonce
            }
            Some(Reply::Failed(why)) => return Err(TcpFailure::Refused(why)),
            Some(other) => {
                return Err(TcpFailure::Refused(format!("unexpected reply {other:?}")));
            }
            None => return Err(closed()),
        };
        let db = server.db.display().to_string();
        let hello = Request::Hello {
            db: server.db.clone(),
            proof: Some(handshake::client_proof(&server.secret, &mine, &theirs, &db)),
        };
        if !self.send(hello) {
            return Err(closed());
        }
        match self.receive() {
            Some(Reply::Done) => Ok(self),
            Some(Reply::Failed(why)) => Err(TcpFailure::Refused(why)),
            Some(other) => Err(TcpFailure::Refused(format!("unexpected reply {other:?}"))),
            None => Err(closed()),
        }
    }

    fn send(&mut self, request: Request) -> bool {
        let Ok(mut line) = serde_json::to_string(&request) else {
            return false;
        };
        line.push('\n');
        self.unanswered.push_back(request);
        self.writer.write_all(line.as_bytes()).is_ok()
    }

    /// Reads the reply of the oldest unanswered request; `None` when the runner is gone.
    fn receive(&mut self) -> Option<Reply> {
        let mut line = String::new();
        if self.reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let reply = serde_json::from_str(&line).ok()?;
        self.unanswered.pop_front();
        Some(reply)
    }
}

/// A posted request (a step record) that failed: the test goes on.
fn warn_posted(request: &Request, message: &str) {
    match request {
        Request::Step { name, state, .. } => {
            crate::warn!("recording step {name} {state}: {message}")
        }
        other => crate::warn!("recording {other:?}: {message}"),
    }
}

/// The reply, or its failure as an error.
fn checked(reply: Reply) -> Result<Reply> {
    match reply {
        Reply::Failed(message) => Err(Error::new(message)),
        reply => Ok(reply),
    }
}

impl Recorder {
    /// The recorder of the job in `file`: the runner's when it answers, else the database,
    /// opened now so that a database that cannot be opened stops the test at its start.
    pub fn open(file: &JobFile) -> Result<Recorder> {
        let link = file
            .recorder
            .as_deref()
            .and_then(|name| Link::connect(name, &file.job.db_path));
        match (&link, &file.recorder) {
            (Some(_), Some(name)) => crate::debug!(2, "writes go to the runner's recorder {name}"),
            _ => crate::debug!(
                2,
                "writes go to the database {}",
                file.job.db_path.display()
            ),
        }
        let remote = RemoteServer::for_job(&file.job)?;
        let link = match &remote {
            Some(server) => {
                crate::debug!(2, "writes go to the megatest server at {}", server.address);
                Some(server.connect()?)
            }
            None => link,
        };
        let recorder = Recorder {
            link: RefCell::new(link),
            remote,
            summary: RefCell::new(None),
            local: OnceCell::new(),
            db_path: file.job.db_path.clone(),
            keys: file.job.keys.clone(),
        };
        if recorder.link.borrow().is_none() {
            recorder.store()?;
        }
        Ok(recorder)
    }

    /// A recorder of its own for another thread of the executor: a link to `remote` when the
    /// executor runs on another host, else the database at `db` (opened at its first use).
    pub fn for_thread(
        remote: Option<&RemoteServer>,
        db: &Path,
        keys: &[(String, String)],
    ) -> Result<Recorder> {
        let link = remote.map(RemoteServer::connect).transpose()?;
        Ok(Recorder {
            link: RefCell::new(link),
            remote: remote.cloned(),
            summary: RefCell::new(None),
            local: OnceCell::new(),
            db_path: db.to_path_buf(),
            keys: keys.to_vec(),
        })
    }

    /// The server, when this executor runs away from the database's host.
    pub fn remote(&self) -> Option<&RemoteServer> {
        self.remote.as_ref()
    }

    /// The database itself, opened at the first call; for what the runner does not take.
    /// Never on another host than the database's.
    pub fn store(&self) -> Result<&Store> {
        if let Some(server) = &self.remote {
            return Err(Error::new(format!(
                "an executor on another host does not open the database; its records go to the server at {}",
                server.address
            )));
        }
        // Whoever writes through it may change what the kept summary page shows.
        self.summary.replace(None);
        if let Some(store) = self.local.get() {
            return Ok(store);
        }
        let store = Store::open_for_test(&self.db_path, &self.keys)?;
        Ok(self.local.get_or_init(|| store))
    }

    /// Sends `request` without waiting; its reply is read with the next [`Recorder::call`]
    /// (a failure is warned about then).
    fn post(&self, request: Request) -> Result<()> {
        self.summary.replace(None);
        let mut guard = self.link.borrow_mut();
        let sent = match (guard.as_mut(), &self.remote) {
            (Some(link), _) => link.send(request),
            (None, Some(server)) => {
                // A link that broke before: a new one, with this request.
                drop(guard);
                return self.resend(server, VecDeque::from([request])).map(|_| ());
            }
            (None, None) => {
                drop(guard);
                return checked(answer(self.store()?, request)).map(|_| ());
            }
        };
        drop(guard);
        if !sent {
            self.fall_back()?;
        }
        Ok(())
    }

    /// The reply to `request` (after the replies of the posted ones, whose failures are
    /// warned about: they do not undo this request).
    fn call(&self, request: Request) -> Result<Reply> {
        self.summary.replace(None);
        {
            let mut guard = self.link.borrow_mut();
            let Some(link) = guard.as_mut() else {
                drop(guard);
                if let Some(server) = &self.remote {
                    return self
                        .resend(server, VecDeque::from([request]))?
                        .ok_or_else(|| Error::new("the megatest server lost a request"));
                }
                return checked(answer(self.store()?, request));
            };
            if link.send(request) {
                while let Some(posted) = link.unanswered.front().cloned() {
                    let Some(reply) = link.receive() else { break };
                    if link.unanswered.is_empty() {
                        return checked(reply);
                    }
                    if let Reply::Failed(message) = reply {
                        if let Request::Hello { .. } = posted {
                            // A runner on another database: write to ours instead.
                            crate::debug!(1, "the runner's recorder refused: {message}");
                            break;
                        }
                        warn_posted(&posted, &message);
                    }
                }
            }
        }
        self.fall_back()?
            .ok_or_else(|| Error::new("the runner's recorder lost a request"))
    }

    /// Gives the link up and makes its unanswered requests on the database, in order;
    /// returns the reply to the last one (the earlier ones' failures are warned about).
    fn fall_back(&self) -> Result<Option<Reply>> {
        let unanswered = match self.link.borrow_mut().take() {
            Some(link) => link.unanswered,
            None => VecDeque::new(),
        };
        if let Some(server) = &self.remote {
            return self.resend(server, unanswered);
        }
        crate::debug!(
            1,
            "writing to the database instead of the runner's recorder"
        );
        let store = self.store()?;
        let count = unanswered.len();
        let mut last = None;
        for (index, request) in unanswered.into_iter().enumerate() {
            if index + 1 == count {
                last = Some(checked(answer(store, request))?);
            } else if let Reply::Failed(message) = answer(store, request.clone()) {
                warn_posted(&request, &message);
            }
        }
        Ok(last)
    }

    /// Connects to the server again and sends the requests it did not answer, in order
    /// (each sets absolute values, so one made twice does no harm), again on a new link
    /// when this one breaks too, within the server's bound; returns the reply to the last.
    /// An rmt call is the exception: it may register or remove, so it is not made twice.
    fn resend(
        &self,
        server: &RemoteServer,
        mut pending: VecDeque<Request>,
    ) -> Result<Option<Reply>> {
        if pending.iter().any(|r| matches!(r, Request::Api { .. })) {
            pending.retain(|r| !matches!(r, Request::Api { .. }));
            if !pending.is_empty() {
                self.resend(server, pending)?;
            }
            return Err(Error::new(
                "the link to the megatest server broke during an rmt call, which is not made again (it may or may not have been made)",
            ));
        }
        let deadline = Instant::now() + server.wait;
        loop {
            let mut link = server.connect()?;
            let mut last = None;
            while let Some(request) = pending.front().cloned() {
                let Some(reply) = link.send(request.clone()).then(|| link.receive()).flatten()
                else {
                    break;
                };
                pending.pop_front();
                if pending.is_empty() {
                    last = Some(reply);
                } else if let Reply::Failed(message) = reply {
                    warn_posted(&request, &message);
                }
            }
            if pending.is_empty() {
                self.link.replace(Some(link));
                return last.map(checked).transpose();
            }
            if Instant::now() >= deadline {
                return Err(Error::new(format!(
                    "the megatest server at {} keeps closing the connection",
                    server.address
                )));
            }
        }
    }

    /// `request` answered (by the runner or the database) and read by `pick`, which gives
    /// back a reply of the wrong kind.
    fn via<T>(
        &self,
        request: Request,
        pick: impl FnOnce(Reply) -> std::result::Result<T, Reply>,
    ) -> Result<T> {
        pick(self.call(request)?)
            .map_err(|other| Error::new(format!("unexpected reply from the recorder: {other:?}")))
    }

    /// Reads the replies of everything posted (at the test's end).
    pub fn flush(&self) -> Result<()> {
        let posted = self
            .link
            .borrow()
            .as_ref()
            .is_some_and(|l| !l.unanswered.is_empty());
        if posted {
            self.call(Request::Flush)?;
        }
        Ok(())
    }

    /// [`Store::set_step`], posted: a failure is warned about at the next call.
    pub fn set_step(
        &self,
        test_id: TestId,
        name: &str,
        state: &str,
        status: &str,
        comment: &str,
        logfile: &str,
    ) -> Result<()> {
        self.post(Request::step(
            test_id, name, state, status, comment, logfile,
        ))
    }

    /// [`Store::state_of`].
    pub fn state_of(&self, test_id: TestId) -> Result<Option<(State, Status)>> {
        self.via(Request::StateOf { test_id }, |r| match r {
            Reply::State(s) => Ok(s),
            other => Err(other),
        })
    }

    /// [`Store::set_test_log`].
    pub fn set_test_log(&self, test_id: TestId, logfile: &str) -> Result<()> {
        let request = Request::TestLog {
            test_id,
            logfile: logfile.to_string(),
        };
        self.via(request, done)
    }

    /// [`Store::heartbeat`].
    pub fn heartbeat(
        &self,
        test_id: TestId,
        seconds: i64,
        cpuload: f64,
        diskfree: i64,
    ) -> Result<()> {
        let request = Request::Heartbeat {
            test_id,
            seconds,
            cpuload,
            diskfree,
        };
        self.via(request, done)
    }

    /// [`Store::set_run_duration`].
    pub fn set_run_duration(&self, test_id: TestId, seconds: i64) -> Result<()> {
        self.via(Request::RunDuration { test_id, seconds }, done)
    }

    /// [`Store::load_test_data`].
    pub fn load_test_data(&self, test_id: TestId, rows: &[crate::db::DataRow]) -> Result<()> {
        let request = Request::TestData {
            test_id,
            rows: rows.to_vec(),
        };
        self.via(request, done)
    }

    /// Writes `dir/test-summary.html` for the test: the page that came with its last write,
    /// else one asked for now.
    pub fn write_test_summary(&self, test_id: TestId, dir: &Path) -> Result<()> {
        let page = match self.summary.take() {
            Some(page) => page.map_err(Error::new)?,
            None => self.via(Request::Summary { test_id }, |r| match r {
                Reply::Page(p) => Ok(p),
                other => Err(other),
            })?,
        };
        match page {
            Some(page) => crate::report::write_summary_page(&page, dir),
            None => Ok(()),
        }
    }

    /// [`Store::set_step`], waiting for the reply (a helper's one write).
    pub fn record_step(
        &self,
        test_id: TestId,
        name: &str,
        state: &str,
        status: &str,
        comment: &str,
        logfile: &str,
    ) -> Result<()> {
        let request = Request::step(test_id, name, state, status, comment, logfile);
        self.via(request, done)
    }

    /// An rmt procedure, answered by the server: its value and the records it changed.
    pub fn api(
        &self,
        name: &str,
        args: &[crate::api::Value],
    ) -> Result<(crate::api::Value, Vec<StatusChange>)> {
        let request = Request::Api {
            name: name.to_string(),
            args: args.to_vec(),
        };
        self.via(request, |r| match r {
            Reply::ApiValue(value, changes) => Ok((value, changes)),
            other => Err(other),
        })
    }

    /// [`crate::report::rollup_source`].
    pub fn rollup_source(
        &self,
        run_id: crate::model::RunId,
        test_name: &str,
    ) -> Result<crate::report::RollupSource> {
        let request = Request::RollupSource {
            run_id,
            test_name: test_name.to_string(),
        };
        self.via(request, |r| match r {
            Reply::Rollup(source) => Ok(source),
            other => Err(other),
        })
    }
}

/// The API's way to a server from a process on another host than the database's.
pub struct ServerApi {
    server: RemoteServer,
    db: PathBuf,
    keys: Vec<(String, String)>,
}

impl ServerApi {
    /// Calls through `server` for the database at `db`.
    pub fn new(server: RemoteServer, db: PathBuf, keys: Vec<(String, String)>) -> ServerApi {
        ServerApi { server, db, keys }
    }

    /// Runs `f` with this thread's link to the server (a link is not shared between
    /// threads), made at its first use and again for another server or database.
    fn with_link<R>(&self, f: impl FnOnce(&Recorder) -> Result<R>) -> Result<R> {
        thread_local! {
            static LINK: RefCell<Option<(String, PathBuf, Recorder)>> = const { RefCell::new(None) };
        }
        LINK.with(|link| {
            let mut link = link.borrow_mut();
            let fits = link
                .as_ref()
                .is_some_and(|(address, db, _)| *address == self.server.address && *db == self.db);
            if !fits {
                let recorder = Recorder::for_thread(Some(&self.server), &self.db, &self.keys)?;
                *link = Some((self.server.address.clone(), self.db.clone(), recorder));
            }
            f(&link.as_ref().expect("made above").2)
        })
    }
}

impl crate::api::RemoteApi for ServerApi {
    fn call(
        &self,
        name: &str,
        args: &[crate::api::Value],
    ) -> Result<(crate::api::Value, Vec<StatusChange>)> {
        self.with_link(|recorder| recorder.api(name, args))
    }

    fn record_dir(&self, test_id: TestId) -> Option<(String, i64)> {
        self.with_link(|recorder| recorder.record_dir(test_id))
            .ok()
            .flatten()
    }
}

impl Destination for Recorder {
    /// The store's state/status write, through the runner; for the `last` write the test's
    /// summary page comes back with it and is kept for [`Recorder::write_test_summary`].
    fn set_state_status(
        &self,
        test_id: TestId,
        state: Option<&State>,
        status: Option<&Status>,
        comment: Option<&str>,
        last: bool,
    ) -> Result<Vec<StatusChange>> {
        let request = Request::Status {
            test_id,
            state: state.cloned(),
            status: status.cloned(),
            comment: comment.map(str::to_string),
            summary: last,
        };
        let (changes, page) = self.via(request, |r| match r {
            Reply::Changes(c) => Ok((c, None)),
            Reply::Finished(c, page) => Ok((c, Some(page))),
            other => Err(other),
        })?;
        self.summary.replace(page);
        Ok(changes)
    }

    fn start_test(
        &self,
        test_id: TestId,
        host: &str,
        uname: &str,
        pid: u32,
        first_step: Option<&str>,
    ) -> Result<TestStart> {
        let request = Request::Start {
            test_id,
            host: host.to_string(),
            uname: uname.to_string(),
            pid,
            first_step: first_step.map(str::to_string),
        };
        self.via(request, |r| match r {
            Reply::Started(s) => Ok(s),
            other => Err(other),
        })
    }

    fn record_dir(&self, test_id: TestId) -> Result<Option<(String, i64)>> {
        self.via(Request::RecordDir { test_id }, |r| match r {
            Reply::RecordDir(d) => Ok(d),
            other => Err(other),
        })
    }

    fn previous_instance(
        &self,
        run_id: crate::model::RunId,
        test_name: &str,
        item_path: &str,
    ) -> Result<Option<(State, Status, String, String)>> {
        let request = Request::PreviousInstance {
            run_id,
            test_name: test_name.to_string(),
            item_path: item_path.to_string(),
        };
        self.via(request, |r| match r {
            Reply::Previous(p) => Ok(p),
            other => Err(other),
        })
    }

    fn test_data_rollup(&self, test_id: TestId) -> Result<Vec<StatusChange>> {
        self.via(Request::DataRollup { test_id }, |r| match r {
            Reply::Changes(c) => Ok(c),
            other => Err(other),
        })
    }
}

fn done(reply: Reply) -> std::result::Result<(), Reply> {
    match reply {
        Reply::Done => Ok(()),
        other => Err(other),
    }
}

impl Drop for Recorder {
    /// Posted writes are not left to chance when the executor ends on an early path.
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            crate::warn!("{}", e.message);
        }
    }
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
