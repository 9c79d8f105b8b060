//! Executors hand their writes to the runner's recorder: the records come out the same,
//! `[setup] record-via-runner no` writes directly, and tests whose runner is killed finish
//! on their own, writing to the database themselves.

use crate::harness::Area;
use rusqlite::Connection;
use std::time::{Duration, Instant};

/// Four items, two at a time, each with a step judged by logpro and a plain one;
/// items 1 and 2 wait for the file `go` (at most a minute) in their second step.
fn area(setup_extra: &str) -> Area {
    Area::new()
        .file(
            "megatest.config",
            &format!(
                "[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs 2\nlinktree #{{getenv MT_RUN_AREA_HOME}}/links\nreruns 0\n{setup_extra}"
            ),
        )
        .file("runconfigs.config", "[default]\nX 1\n")
        .file(
            "tests/t/testconfig",
            "[items]\nN 1 2 3 4\n\n[ezsteps]\nsay echo hello $N\nhold i=0; if [ $N -le 2 ]; then while [ ! -e \"$MT_RUN_AREA_HOME/go\" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; fi\n\n[logpro]\nsay (expect:required in \"LogFileBody\" > 0 \"Greeting\" #/hello/)\n",
        )
}

/// (item, state, status) of every record; none while the runner is still creating the
/// database.
fn records(area: &Area) -> Vec<(String, String, String)> {
    let read = || -> rusqlite::Result<Vec<(String, String, String)>> {
        let db = Connection::open(area.path().join("megatest.db"))?;
        db.busy_timeout(Duration::from_secs(10))?;
        let mut stmt =
            db.prepare("SELECT item_path, state, status FROM tests ORDER BY item_path")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect()
    };
    read().unwrap_or_default()
}

fn step_rows(area: &Area) -> i64 {
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    db.query_row("SELECT count(*) FROM test_steps", [], |r| r.get(0))
        .unwrap()
}

fn launch_log(area: &Area, item: u32) -> String {
    let path = area
        .path()
        .join(format!("links/x/r/t/{item}/mt_launch.log"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn assert_all_passed(area: &Area) {
    let got = records(area);
    assert_eq!(got.len(), 5, "{got:?}");
    for (item, state, status) in &got {
        assert_eq!(
            (state.as_str(), status.as_str()),
            ("COMPLETED", "PASS"),
            "item {item:?} in {got:?}"
        );
    }
    assert_eq!(
        step_rows(area),
        4 * 2 * 2,
        "a start and an end row per step"
    );
    // The launch's own write (the run directories) went in too, whichever way.
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let without_dirs: i64 = db
        .query_row(
            "SELECT count(*) FROM tests WHERE item_path != '' AND (rundir NOT LIKE '%/links/x/r/t/' || item_path OR coalesce(shortdir,'') = '' OR coalesce(host,'n/a') = 'n/a')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(without_dirs, 0, "every item has its run directories");
}

#[test]
fn executors_write_through_the_runner_unless_told_not_to() {
    for (setup, expected) in [
        ("", "writes go to the runner's recorder"),
        ("record-via-runner no\n", "writes go to the database"),
    ] {
        let area = area(setup);
        std::fs::write(area.path().join("go"), "").unwrap();
        area.megatest(&[
            "-run",
            "-target",
            "x",
            "-runname",
            "r",
            "-run-wait",
            "-debug",
            "2",
        ])
        .run()
        .success();
        assert_all_passed(&area);
        for item in 1..=4 {
            let log = launch_log(&area, item);
            assert!(log.contains(expected), "item {item} ({setup:?}): {log}");
        }
        let summary =
            std::fs::read_to_string(area.path().join("links/x/r/t/3/test-summary.html")).unwrap();
        assert!(summary.contains(">PASS</a>"), "{summary}");
    }
}

#[test]
fn tests_of_a_killed_runner_finish_on_their_own() {
    let area = area("");
    let mut runner = area
        .megatest(&["-run", "-target", "x", "-runname", "r", "-run-wait"])
        .spawn();
    let start = Instant::now();
    let holding = |area: &Area| {
        records(area)
            .iter()
            .filter(|(item, state, _)| (item == "1" || item == "2") && state == "RUNNING")
            .count()
            == 2
    };
    while !holding(&area) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "items 1 and 2 start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    runner.kill().unwrap();
    runner.wait().unwrap();
    std::fs::write(area.path().join("go"), "").unwrap();
    let finished = |area: &Area| {
        records(area)
            .iter()
            .filter(|(item, state, status)| {
                (item == "1" || item == "2") && state == "COMPLETED" && status == "PASS"
            })
            .count()
            == 2
    };
    while !finished(&area) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "items 1 and 2 finish without their runner: {:?}",
            records(&area)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Their summaries were written from the database once the runner was gone.
    for item in 1..=2 {
        let summary = area
            .path()
            .join(format!("links/x/r/t/{item}/test-summary.html"));
        let start = Instant::now();
        while !summary.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "summary of {item}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
