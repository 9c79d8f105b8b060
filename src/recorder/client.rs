//! The executor's end of the recorder. With a runner that answers, the test's writes go to
//! it; without one (no recorder in the job file, another host, the runner gone) they go to
//! `megatest.db` directly. Requests whose answer the executor does not need at once are
//! posted without waiting and their replies read with the next call's. A link that breaks
//! is given up for good and the requests it left unanswered are made again on the database:
//! every request sets absolute values, so doing one twice leaves the same records.

use super::protocol::{Reply, Request, answer};
use crate::db::{StatusChange, Store, TestStart};
use crate::error::{Error, Result};
use crate::launch::JobFile;
use crate::model::{State, Status, TestId};
use crate::writer::Destination;
use std::cell::{OnceCell, RefCell};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixStream};
use std::path::{Path, PathBuf};

/// How long an executor waits for the runner's reply (as long as for a database lock)
/// before it gives the link up and writes to the database itself.
const REPLY_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// Where an executor's writes go.
pub struct Recorder {
    link: RefCell<Option<Link>>,
    /// The summary page that came with the test's last write, until another request or a
    /// use of the database itself.
    summary: RefCell<Option<std::result::Result<Option<String>, String>>>,
    local: OnceCell<Store>,
    db_path: PathBuf,
    keys: Vec<(String, String)>,
}

/// The connection to the runner, with the requests sent whose replies are not read yet.
struct Link {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
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
            reader: BufReader::new(stream.try_clone().ok()?),
            writer: stream,
            unanswered: VecDeque::new(),
        };
        link.send(Request::Hello {
            db: db.to_path_buf(),
        })
        .then_some(link)
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
        let recorder = Recorder {
            link: RefCell::new(link),
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

    /// The database itself, opened at the first call; for what the runner does not take.
    pub fn store(&self) -> Result<&Store> {
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
        let sent = match self.link.borrow_mut().as_mut() {
            Some(link) => link.send(request),
            None => return checked(answer(self.store()?, request)).map(|_| ()),
        };
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
        let request = Request::Step {
            test_id,
            name: name.to_string(),
            state: state.to_string(),
            status: status.to_string(),
            comment: comment.to_string(),
            logfile: logfile.to_string(),
        };
        self.post(request)
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

    fn database(&self) -> Result<&Store> {
        self.store()
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
