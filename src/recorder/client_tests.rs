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
    RecorderServer::start(store.path().to_path_buf(), keys(), Box::new(|| {})).unwrap()
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
    assert!(recorder.local.get().is_some(), "the executor took over");
    assert_eq!(
        store.state_of(id).unwrap(),
        Some(("COMPLETED".into(), "PASS".into()))
    );
    assert_eq!(steps(&store, id).len(), 2, "no step lost or doubled");
}

#[test]
fn a_runner_of_another_database_is_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let (other, _) = database(dir.path(), "other.db");
    let (store, id) = database(dir.path(), "megatest.db");
    let server =
        RecorderServer::start(other.path().to_path_buf(), keys(), Box::new(|| {})).unwrap();
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
    assert!(RecorderServer::start(missing, keys(), Box::new(|| {})).is_err());
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
