//! What an executor asks the runner's recorder (one JSON line per request and per reply),
//! and how the runner answers from its own connection.

use crate::db::{DataRow, RecordWrites, StatusChange, Store, TestStart};
use crate::model::{State, Status, TestId};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One request of an executor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Over TCP, the first line: the client's nonce, which the server's proof answers
    /// (see handshake.rs).
    Greet {
        /// The client's random nonce (hex).
        nonce: String,
    },
    /// The database the executor writes to (answered by the server itself): the first line
    /// over the Unix socket, the second over TCP.
    Hello {
        /// The job file's database path.
        db: PathBuf,
        /// Over TCP, the client's proof that it holds the area's secret, for both nonces
        /// and this database (the peer's user cannot be checked there).
        #[serde(default)]
        proof: Option<String>,
    },
    /// [`RecordWrites::start_test`].
    Start {
        /// The test record.
        test_id: TestId,
        /// The executor's host.
        host: String,
        /// Its `uname`.
        uname: String,
        /// Its pid.
        pid: u32,
        /// The step whose `start` record goes with a start (a job without a runscript
        /// begins with it), saving a write of its own.
        #[serde(default)]
        first_step: Option<String>,
    },
    /// [`Store::set_step`].
    Step {
        /// The test record.
        test_id: TestId,
        /// The step.
        name: String,
        /// `start` or `end`.
        state: String,
        /// The step's status.
        status: String,
        /// Its comment.
        comment: String,
        /// Its log file.
        logfile: String,
    },
    /// [`RecordWrites::set_state_status`].
    Status {
        /// The test record.
        test_id: TestId,
        /// The new state, if it changes.
        state: Option<State>,
        /// The new status, if it changes.
        status: Option<Status>,
        /// The new comment, if it changes.
        comment: Option<String>,
        /// The test's last write: the reply brings its summary page too, saving a request.
        #[serde(default)]
        summary: bool,
    },
    /// [`Store::state_of`].
    StateOf {
        /// The test record.
        test_id: TestId,
    },
    /// [`Store::set_test_log`].
    TestLog {
        /// The test record.
        test_id: TestId,
        /// The final log file.
        logfile: String,
    },
    /// [`RecordWrites::mark_launched`], posted by the runner itself (see `posts.rs`).
    Launched {
        /// The test record.
        test_id: TestId,
        /// The run directory (the link).
        rundir: String,
        /// The physical run directory.
        shortdir: String,
        /// The launching host.
        host: String,
    },
    /// The text of `test-summary.html`.
    Summary {
        /// The test record.
        test_id: TestId,
    },
    /// Nothing: its reply tells that every request before it was answered.
    Flush,
    /// [`Store::heartbeat`].
    Heartbeat {
        /// The test record.
        test_id: TestId,
        /// Seconds run so far.
        seconds: i64,
        /// Load per CPU.
        cpuload: f64,
        /// Free KiB in the run directory.
        diskfree: i64,
    },
    /// [`Store::set_run_duration`].
    RunDuration {
        /// The test record.
        test_id: TestId,
        /// Seconds run.
        seconds: i64,
    },
    /// [`Store::load_test_data`].
    TestData {
        /// The test record.
        test_id: TestId,
        /// The rows.
        rows: Vec<DataRow>,
    },
    /// A record's run directory and event time (what a trigger is given).
    RecordDir {
        /// The test record.
        test_id: TestId,
    },
    /// An rmt procedure of a Scheme trigger (or script) in a process on another host.
    Api {
        /// The procedure (`rmt:get-keys`).
        name: String,
        /// Its arguments.
        args: Vec<crate::api::Value>,
    },
    /// Asks a long-lived server (`megatest -server`) to stop (`-kill-servers`); a runner's
    /// recorder refuses, it ends with its run.
    Stop,
    /// [`RecordWrites::test_data_rollup`] (`-load-test-data`).
    DataRollup {
        /// The test record.
        test_id: TestId,
    },
    /// What the item rollup page shows (`-summarize-items`).
    RollupSource {
        /// The run.
        run_id: crate::model::RunId,
        /// The itemized test.
        test_name: String,
    },
    /// [`Store::previous_instance`] (waivers).
    PreviousInstance {
        /// This run.
        run_id: crate::model::RunId,
        /// The test.
        test_name: String,
        /// The item path.
        item_path: String,
    },
}

impl Request {
    /// [`Request::Step`].
    pub fn step(
        test_id: TestId,
        name: &str,
        state: &str,
        status: &str,
        comment: &str,
        logfile: &str,
    ) -> Request {
        Request::Step {
            test_id,
            name: name.to_string(),
            state: state.to_string(),
            status: status.to_string(),
            comment: comment.to_string(),
            logfile: logfile.to_string(),
        }
    }
}

/// The recorder's answer to one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// Written.
    Done,
    /// The request failed on the runner's side, with this message.
    Failed(String),
    /// What [`Request::Start`] found and did.
    Started(TestStart),
    /// The writes of [`Request::Status`], for the executor's triggers.
    Changes(Vec<StatusChange>),
    /// The state and status asked for.
    State(Option<(State, Status)>),
    /// The run directory and event time asked for.
    RecordDir(Option<(String, i64)>),
    /// The previous instance asked for: state, status, comment, run directory.
    Previous(Option<(State, Status, String, String)>),
    /// The summary page asked for.
    Page(Option<String>),
    /// What the item rollup page shows.
    Rollup(crate::report::RollupSource),
    /// What an rmt procedure returned, and the records it changed (whose triggers the
    /// caller fires).
    ApiValue(crate::api::Value, Vec<StatusChange>),
    /// The answer to a [`Request::Greet`]: the server's nonce, and its proof that it holds
    /// the area's secret.
    Challenge {
        /// The server's random nonce (hex).
        nonce: String,
        /// The server's proof for both nonces.
        proof: String,
    },
    /// The writes of a [`Request::Status`] that asked for the summary page, and the page
    /// (or why it could not be made: the writes stand).
    Finished(
        Vec<StatusChange>,
        std::result::Result<Option<String>, String>,
    ),
}

/// Carries out `request` on `store`.
pub fn answer(store: &Store, request: Request) -> Reply {
    let reply = match request {
        Request::Hello { .. } | Request::Flush => Ok(Reply::Done),
        Request::Greet { .. } => Err(crate::error::Error::new(
            "a greeting is answered by the server itself",
        )),
        Request::Start {
            test_id,
            host,
            uname,
            pid,
            first_step,
        } => start(store, test_id, &host, &uname, pid, first_step.as_deref()),
        Request::Step {
            test_id,
            name,
            state,
            status,
            comment,
            logfile,
        } => store
            .set_step(test_id, &name, &state, &status, &comment, &logfile)
            .map(|()| Reply::Done),
        Request::Status {
            test_id,
            state,
            status,
            comment,
            summary,
        } => store
            .set_state_status(test_id, state.as_ref(), status.as_ref(), comment.as_deref())
            .map(|changes| match summary {
                false => Reply::Changes(changes),
                true => {
                    let page = crate::report::test_summary_page(store, test_id);
                    Reply::Finished(changes, page.map_err(|e| e.message.clone()))
                }
            }),
        Request::StateOf { test_id } => store.state_of(test_id).map(Reply::State),
        Request::TestLog { test_id, logfile } => {
            store.set_test_log(test_id, &logfile).map(|()| Reply::Done)
        }
        Request::Launched {
            test_id,
            rundir,
            shortdir,
            host,
        } => store
            .mark_launched(test_id, &rundir, &shortdir, &host)
            .map(Reply::Changes),
        Request::Summary { test_id } => {
            crate::report::test_summary_page(store, test_id).map(Reply::Page)
        }
        Request::Heartbeat {
            test_id,
            seconds,
            cpuload,
            diskfree,
        } => store
            .heartbeat(test_id, seconds, cpuload, diskfree)
            .map(|()| Reply::Done),
        Request::RunDuration { test_id, seconds } => store
            .set_run_duration(test_id, seconds)
            .map(|()| Reply::Done),
        Request::TestData { test_id, rows } => {
            store.load_test_data(test_id, &rows).map(|()| Reply::Done)
        }
        Request::RecordDir { test_id } => store
            .test(test_id)
            .map(|r| Reply::RecordDir(r.map(|r| (r.rundir(), r.event_time())))),
        Request::Api { name, args } => crate::api::call_on(store, &name, &args)
            .map(|(value, changes)| Reply::ApiValue(value, changes)),
        Request::Stop => Err(crate::error::Error::new(
            "only a megatest -server can be stopped",
        )),
        Request::DataRollup { test_id } => store.test_data_rollup(test_id).map(Reply::Changes),
        Request::RollupSource { run_id, test_name } => {
            crate::report::rollup_source(store, run_id, &test_name).map(Reply::Rollup)
        }
        Request::PreviousInstance {
            run_id,
            test_name,
            item_path,
        } => store
            .previous_instance(run_id, &test_name, &item_path)
            .map(Reply::Previous),
    };
    reply.unwrap_or_else(|e| {
        let mut text = e.message.clone();
        for note in &e.notes {
            text.push_str("; ");
            text.push_str(note);
        }
        Reply::Failed(text)
    })
}

/// The executor's start, with the `start` record of its first step when the test starts.
fn start(
    store: &Store,
    test_id: TestId,
    host: &str,
    uname: &str,
    pid: u32,
    first_step: Option<&str>,
) -> crate::error::Result<Reply> {
    let started = store.start_test(test_id, host, uname, pid)?;
    if let (TestStart::Started { .. }, Some(step)) = (&started, first_step) {
        store.set_step(test_id, step, "start", "-", "", "")?;
    }
    Ok(Reply::Started(started))
}
