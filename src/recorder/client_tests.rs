//! The recorder end to end in one process: a real server on a real database, a client
//! as the executor makes it, and the fallbacks.

use super::*;
use crate::area::Target;
use crate::model::TestId;
use crate::recorder::RecorderServer;

const KEYS: &[(&str, &str)] = &[("platform", "TEXT")];

fn keys() -> Vec<(String, String)> {
    KEYS.iter()
        .map(|(k, t)| (k.to_string(), t.to_string()))
        .collect()
}

/// A database with one run and one test; the runner's store and the test's id.
fn database(dir: &Path, name: &str) -> (Store, TestId) {
    let store = Store::open_at(&dir.join(name), &keys()).unwrap();
    let target = Target::parse("linux", &["platform".to_string()], "-target").unwrap();
    let run = store.register_run(&target, "r1", "me", "").unwrap();
    let ids = store.register_tests(run, &[("t1", "")]).unwrap();
    (store, ids[0])
}

fn job_file(db: &Path, recorder: Option<&str>) -> JobFile {
    JobFile {
        job: crate::launch::job::Job {
            db_path: db.to_path_buf(),
            keys: keys(),
            ..Default::default()
        },
        recorder: recorder.map(str::to_string),
        ..JobFile::default()
    }
}

fn steps(store: &Store, id: TestId) -> Vec<(String, String)> {
    store
        .steps(id)
        .unwrap()
        .into_iter()
        .map(|s| (s.state, s.status))
        .collect()
}

/// A recorder serving `store`.
fn serving(store: &Store) -> RecorderServer {
    RecorderServer::start(store.path().to_path_buf(), keys(), Box::new(|| {}), None).unwrap()
}

/// A recorder serving `store`, and an executor's recorder linked to it.
fn linked(store: &Store) -> (RecorderServer, Recorder) {
    let server = serving(store);
    let recorder = Recorder::open(&job_file(store.path(), Some(server.name()))).unwrap();
    (server, recorder)
}

/// What the executor does for a one-step test that passes.
fn record_a_passing_test(recorder: &Recorder, id: TestId) {
    match recorder.start_test(id, "host", "uname", 42, None).unwrap() {
        TestStart::Started { started, running } => {
            assert_eq!(started[0].state, "REMOTEHOSTSTART");
            assert_eq!(running[0].state, "RUNNING");
        }
        other => panic!("not started: {other:?}"),
    }
    recorder.set_step(id, "ok", "start", "-", "", "").unwrap();
    recorder.set_step(id, "ok", "end", "0", "", "").unwrap();
    let changes = recorder
        .set_state_status(
            id,
            Some(&State::Completed),
            Some(&Status::Pass),
            None,
            false,
        )
        .unwrap();
    assert_eq!(changes[0].status, "PASS");
}

/// The test passed, with its one step's two records (none lost or doubled).
fn assert_passed_once(store: &Store, id: TestId) {
    assert_eq!(
        store.state_of(id).unwrap(),
        Some(("COMPLETED".into(), "PASS".into()))
    );
    assert_eq!(steps(store, id).len(), 2, "no step lost or doubled");
}

/// The end of a one-step test that passes: its step's end, then COMPLETED/PASS.
fn end_passing(recorder: &Recorder, id: TestId) {
    recorder.set_step(id, "ok", "end", "0", "", "").unwrap();
    recorder
        .set_state_status(
            id,
            Some(&State::Completed),
            Some(&Status::Pass),
            None,
            false,
        )
        .unwrap();
}

#[test]
fn writes_go_through_the_runner() {
    let dir = tempfile::tempdir().unwrap();
    let (store, id) = database(dir.path(), "megatest.db");
    let (_server, recorder) = linked(&store);
    record_a_passing_test(&recorder, id);
    recorder.write_test_summary(id, dir.path()).unwrap();
    assert!(
        recorder.local.get().is_none(),
        "the executor never opened the database"
    );
    assert_eq!(
        store.state_of(id).unwrap(),
        Some(("COMPLETED".into(), "PASS".into()))
    );
    assert_eq!(
        steps(&store, id),
        [("start".into(), "-".into()), ("end".into(), "0".into())]
    );
    let page = std::fs::read_to_string(dir.path().join("test-summary.html")).unwrap();
    assert!(page.contains(">PASS</a>"), "{page}");
}

#[test]
fn a_runner_that_goes_away_leaves_the_writes_to_the_executor() {
    let dir = tempfile::tempdir().unwrap();
    let (store, id) = database(dir.path(), "megatest.db");
    let (server, recorder) = linked(&store);
    recorder.start_test(id, "host", "uname", 42, None).unwrap();
    assert!(recorder.local.get().is_none());
    recorder.set_step(id, "ok", "start", "-", "", "").unwrap();
    drop(server);
    end_passing(&recorder, id);
    assert!(recorder.local.get().is_some(), "the executor took over");
    assert_passed_once(&store, id);
}

#[test]
fn a_runner_of_another_database_is_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let (other, _) = database(dir.path(), "other.db");
    let (store, id) = database(dir.path(), "megatest.db");
    let server =
        RecorderServer::start(other.path().to_path_buf(), keys(), Box::new(|| {}), None).unwrap();
    let recorder = Recorder::open(&job_file(store.path(), Some(server.name()))).unwrap();
    record_a_passing_test(&recorder, id);
    assert_eq!(
        store.state_of(id).unwrap(),
        Some(("COMPLETED".into(), "PASS".into()))
    );
    assert_eq!(other.state_of(id).unwrap().unwrap().0, "NOT_STARTED");
}

#[test]
fn without_a_recorder_the_executor_writes_itself() {
    let dir = tempfile::tempdir().unwrap();
    let (store, id) = database(dir.path(), "megatest.db");
    let recorder = Recorder::open(&job_file(store.path(), None)).unwrap();
    assert!(recorder.local.get().is_some());
    record_a_passing_test(&recorder, id);
    let gone = Recorder::open(&job_file(store.path(), Some("megatest-recorder-none"))).unwrap();
    assert!(gone.local.get().is_some());
    assert_eq!(store.state_of(id).unwrap().unwrap().1, "PASS");
}

#[test]
fn a_failed_posted_write_does_not_undo_the_next_call() {
    let dir = tempfile::tempdir().unwrap();
    let (store, id) = database(dir.path(), "megatest.db");
    let (_server, recorder) = linked(&store);
    recorder.start_test(id, "host", "uname", 42, None).unwrap();
    store
        .connection()
        .execute_batch("DROP TABLE test_steps")
        .unwrap();
    recorder.set_step(id, "ok", "end", "0", "", "").unwrap();
    let changes = recorder
        .set_state_status(
            id,
            Some(&State::Completed),
            Some(&Status::Pass),
            None,
            false,
        )
        .unwrap();
    assert_eq!(changes[0].state, "COMPLETED", "the status write stands");
    assert_eq!(
        store.state_of(id).unwrap(),
        Some(("COMPLETED".into(), "PASS".into()))
    );
}

#[test]
fn a_request_that_fails_in_a_batch_leaves_the_others_written() {
    let dir = tempfile::tempdir().unwrap();
    let (store, id) = database(dir.path(), "megatest.db");
    let answers: Vec<Reply> = store
        .batch(|| {
            vec![
                answer(
                    &store,
                    Request::Step {
                        test_id: id,
                        name: "a".into(),
                        state: "start".into(),
                        status: "-".into(),
                        comment: String::new(),
                        logfile: String::new(),
                    },
                ),
                answer(
                    &store,
                    Request::Status {
                        test_id: TestId(id.0 + 1000),
                        state: Some("RUNNING".into()),
                        status: None,
                        comment: None,
                        summary: false,
                    },
                ),
                answer(
                    &store,
                    Request::Status {
                        test_id: id,
                        state: Some("RUNNING".into()),
                        status: None,
                        comment: None,
                        summary: false,
                    },
                ),
            ]
        })
        .unwrap();
    assert!(matches!(answers[1], Reply::Failed(_)), "{answers:?}");
    assert_eq!(store.state_of(id).unwrap().unwrap().0, "RUNNING");
    assert_eq!(steps(&store, id).len(), 1);
}

#[test]
fn the_first_step_starts_with_the_test_and_not_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let (store, id) = database(dir.path(), "megatest.db");
    let (_server, recorder) = linked(&store);
    let started = recorder
        .start_test(id, "host", "uname", 42, Some("ok"))
        .unwrap();
    assert!(matches!(started, TestStart::Started { .. }));
    assert_eq!(steps(&store, id), [("start".into(), "-".into())]);
    crate::db::RecordWrites::set_state_status(&store, id, Some(&State::KillReq), None, None)
        .unwrap();
    store
        .connection()
        .execute_batch("DELETE FROM test_steps")
        .unwrap();
    let refused = recorder
        .start_test(id, "host", "uname", 42, Some("ok"))
        .unwrap();
    assert_eq!(refused, TestStart::Refused("KILLREQ".into()));
    assert!(steps(&store, id).is_empty(), "no step of a refused test");
}

fn launched(id: TestId) -> Request {
    Request::Launched {
        test_id: id,
        rundir: "/links/t1".into(),
        shortdir: "/runs/t1".into(),
        host: "here".into(),
    }
}

#[test]
fn a_posted_launch_is_written_before_the_executor_starts() {
    let dir = tempfile::tempdir().unwrap();
    let (store, id) = database(dir.path(), "megatest.db");
    let (server, recorder) = linked(&store);
    assert!(server.post(launched(id)).is_some());
    record_a_passing_test(&recorder, id);
    assert_eq!(
        store.state_of(id).unwrap(),
        Some((State::Completed, Status::Pass))
    );
    assert_eq!(store.test(id).unwrap().unwrap().rundir(), "/links/t1");
    let record = store.records(&[id]).unwrap().pop().unwrap();
    assert_eq!(record.host, "host", "the executor's start came after");
}

#[test]
fn a_post_is_in_the_database_after_settling_and_after_the_recorder_stops() {
    for stop in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let (store, id) = database(dir.path(), "megatest.db");
        let server = serving(&store);
        assert!(server.post(launched(id)).is_some());
        if stop {
            drop(server);
        } else {
            server.settle();
        }
        assert_eq!(
            store.state_of(id).unwrap(),
            Some((State::Launched, Status::NotApplicable)),
            "stopped: {stop}"
        );
    }
}

#[test]
fn a_recorder_that_cannot_open_its_database_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("no"), "a file, not a directory").unwrap();
    let missing = dir.path().join("no/megatest.db");
    assert!(RecorderServer::start(missing, keys(), Box::new(|| {}), None).is_err());
}

#[test]
fn the_last_write_brings_the_summary_page_until_another_write() {
    let dir = tempfile::tempdir().unwrap();
    let (store, id) = database(dir.path(), "megatest.db");
    let (_server, recorder) = linked(&store);
    let job = crate::launch::job::Job {
        test_id: id,
        test_name: "t1".into(),
        ..crate::launch::job::Job::default()
    };
    recorder.start_test(id, "host", "uname", 42, None).unwrap();
    let triggers = crate::writer::TriggerTable::new();
    let writer = crate::writer::Writer::new(&recorder, &triggers);
    writer
        .set_last_test_status(&job, Some(&State::Completed), Some(&Status::Pass), None)
        .unwrap();
    // The page came with the write: the database may change behind it now.
    crate::db::RecordWrites::set_state_status(&store, id, None, Some(&Status::Check), None)
        .unwrap();
    recorder.write_test_summary(id, dir.path()).unwrap();
    let page = std::fs::read_to_string(dir.path().join("test-summary.html")).unwrap();
    assert!(page.contains(">PASS<"), "{page}");
    // A later write makes it stale: the page is asked for again.
    writer
        .set_last_test_status(&job, None, Some(&Status::Warn), None)
        .unwrap();
    recorder.set_step(id, "late", "start", "-", "", "").unwrap();
    crate::db::RecordWrites::set_state_status(&store, id, None, Some(&Status::Check), None)
        .unwrap();
    recorder.write_test_summary(id, dir.path()).unwrap();
    let page = std::fs::read_to_string(dir.path().join("test-summary.html")).unwrap();
    assert!(page.contains(">CHECK<") && page.contains("late"), "{page}");
}

/// A recorder serving `store` over TCP too (on loopback, port `port`, 0 for any), with the
/// area's secret made in `top`.
fn serving_tcp(store: &Store, top: &Path, port: u16) -> RecorderServer {
    let tcp = crate::recorder::TcpOptions {
        bind: format!("127.0.0.1:{port}"),
        advertise: "127.0.0.1".into(),
        secret: crate::recorder::secret::area_secret(top).unwrap(),
        stoppable: false,
    };
    RecorderServer::start(
        store.path().to_path_buf(),
        keys(),
        Box::new(|| {}),
        Some(tcp),
    )
    .unwrap()
}

/// The job file of an executor on another host than the database's.
fn remote_job(db: &Path, top: &Path, server: &str, wait: u64) -> JobFile {
    let mut file = job_file(db, None);
    file.job.toppath = top.to_path_buf();
    file.job.server = Some(server.to_string());
    file.job.homehost = Some("the-database-host.invalid".into());
    file.job.server_wait = wait;
    file
}

#[test]
fn an_executor_elsewhere_writes_through_the_server_and_reconnects() {
    let dir = tempfile::tempdir().unwrap();
    let (store, id) = database(dir.path(), "megatest.db");
    let server = serving_tcp(&store, dir.path(), 0);
    let address = server.address().unwrap().to_string();
    let port: u16 = address.rsplit(':').next().unwrap().parse().unwrap();
    let recorder = Recorder::open(&remote_job(store.path(), dir.path(), &address, 10)).unwrap();
    assert!(recorder.remote().is_some());
    recorder.start_test(id, "host", "uname", 42, None).unwrap();
    recorder.set_step(id, "ok", "start", "-", "", "").unwrap();
    recorder.heartbeat(id, 3, 0.5, 1000).unwrap();
    // The server goes away and comes back on the same port while the test runs.
    drop(server);
    let again = std::thread::spawn({
        let db = store.path().to_path_buf();
        let top = dir.path().to_path_buf();
        move || {
            std::thread::sleep(std::time::Duration::from_millis(1500));
            let store = Store::open_for_test(&db, &keys()).unwrap();
            let server = serving_tcp(&store, &top, port);
            std::thread::sleep(std::time::Duration::from_secs(4));
            drop(server);
        }
    });
    end_passing(&recorder, id);
    recorder.flush().unwrap();
    again.join().unwrap();
    assert!(recorder.local.get().is_none(), "never the database itself");
    assert!(recorder.store().is_err());
    assert_passed_once(&store, id);
}

#[test]
fn an_executor_elsewhere_gives_up_within_its_bound() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = database(dir.path(), "megatest.db");
    crate::recorder::secret::area_secret(dir.path()).unwrap();
    // A port nobody listens on: bound, then let go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = std::time::Instant::now();
    let job = remote_job(store.path(), dir.path(), &format!("127.0.0.1:{port}"), 2);
    let error = Recorder::open(&job).err().expect("no server");
    assert!(
        error.message.contains("cannot reach the megatest server"),
        "{}",
        error.message
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(6));
}

#[test]
fn a_wrong_secret_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = database(dir.path(), "megatest.db");
    let server = serving_tcp(&store, dir.path(), 0);
    let other = tempfile::tempdir().unwrap();
    crate::recorder::secret::area_secret(other.path()).unwrap();
    let job = remote_job(store.path(), other.path(), server.address().unwrap(), 30);
    let started = std::time::Instant::now();
    let error = Recorder::open(&job).err().expect("refused");
    assert!(error.message.contains("refused"), "{}", error.message);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "no retrying"
    );
}

/// Announces `address` as a long-lived server on the host `host` in the area at `top`, as
/// `megatest -server` would there.
fn announce_on(top: &Path, host: &str, address: &str) {
    let logs = top.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let log = logs.join(format!("server-4242-{host}.log"));
    std::fs::write(&log, format!("SERVER STARTED: {address} AT 1\n")).unwrap();
    std::fs::set_permissions(&log, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
}

/// A whole passing test recorded through `recorder`, found once in `store`.
fn passes_through(recorder: &Recorder, store: &Store, id: TestId) {
    recorder.start_test(id, "host", "uname", 42, None).unwrap();
    recorder.set_step(id, "ok", "start", "-", "", "").unwrap();
    end_passing(recorder, id);
    recorder.flush().unwrap();
    assert_passed_once(store, id);
}

/// A port nobody listens on.
fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn an_executor_elsewhere_goes_on_with_a_long_lived_server_of_the_database_host() {
    let dir = tempfile::tempdir().unwrap();
    let (store, id) = database(dir.path(), "megatest.db");
    let server = serving_tcp(&store, dir.path(), 0);
    let job = remote_job(
        store.path(),
        dir.path(),
        &format!("127.0.0.1:{}", dead_port()),
        3,
    );
    // Announced from another host than the database's: never used.
    announce_on(dir.path(), "some-other-host", server.address().unwrap());
    assert!(
        Recorder::open(&job).is_err(),
        "a server off the database's host"
    );
    announce_on(
        dir.path(),
        job.job.homehost.as_deref().unwrap(),
        server.address().unwrap(),
    );
    passes_through(&Recorder::open(&job).unwrap(), &store, id);
}

#[test]
fn a_refusal_at_the_jobs_address_gives_way_to_a_server_of_the_area() {
    let dir = tempfile::tempdir().unwrap();
    let (store, id) = database(dir.path(), "megatest.db");
    let ours = serving_tcp(&store, dir.path(), 0);
    // Another area's server now has the port the job names.
    let other = tempfile::tempdir().unwrap();
    let (other_store, _) = database(other.path(), "megatest.db");
    let theirs = serving_tcp(&other_store, other.path(), 0);
    let job = remote_job(store.path(), dir.path(), theirs.address().unwrap(), 3);
    let error = Recorder::open(&job)
        .err()
        .expect("refused, and no other server");
    assert!(error.message.contains("refused"), "{}", error.message);
    announce_on(
        dir.path(),
        job.job.homehost.as_deref().unwrap(),
        ours.address().unwrap(),
    );
    passes_through(&Recorder::open(&job).unwrap(), &store, id);
}

#[test]
fn a_listener_that_does_not_know_the_secret_gets_no_proof_and_no_records() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = database(dir.path(), "megatest.db");
    crate::recorder::secret::area_secret(dir.path()).unwrap();
    // An impostor: answers the greeting with a made-up proof and keeps what it is sent.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let impostor = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(3)))
            .unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut greeting = String::new();
        reader.read_line(&mut greeting).unwrap();
        let challenge = format!(
            "{{\"Challenge\":{{\"nonce\":\"{}\",\"proof\":\"{}\"}}}}\n",
            "cd".repeat(16),
            "0".repeat(64)
        );
        (&stream).write_all(challenge.as_bytes()).unwrap();
        let mut rest = String::new();
        let _ = reader.read_to_string(&mut rest);
        (greeting, rest)
    });
    let job = remote_job(store.path(), dir.path(), &address, 2);
    let error = Recorder::open(&job)
        .err()
        .expect("the impostor is not used");
    assert!(
        error.message.contains("does not know the area's secret"),
        "{}",
        error.message
    );
    let (greeting, rest) = impostor.join().unwrap();
    let secret = crate::recorder::secret::read_secret(dir.path()).unwrap();
    assert!(
        greeting.contains("Greet") && !greeting.contains(&secret),
        "{greeting}"
    );
    assert!(rest.is_empty(), "nothing after the greeting: {rest}");
}
